"""The build's progress bar in a terminal."""
from __future__ import annotations

import sys


def progress_bar(total: int, wanted: bool):
    """Documents done of total, rate, time left and failures so far, in a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, unit="pdf", desc="building", file=sys.stderr,
                disable=not wanted or not sys.stderr.isatty(), dynamic_ncols=True)
