"""Section 7, studio: save -> new image visible in chromium (bench/studio.py).
"""
from __future__ import annotations

import shutil
import sys

from common import DATA, QUICK, ROOT, SMOKE, row


def section_studio():
    """The designer studio: save -> new A3 poster image visible in chromium (bench/studio.py)."""
    s = "7 studio"
    chromium = shutil.which("chromium")
    if not chromium:
        row(s, "chromium not installed: skipped", None)
        return
    sys.path.insert(0, str(ROOT / "bench"))
    from studio import TARGET_S, save_to_visible

    result = save_to_visible(2 if SMOKE else 6 if QUICK else 12, chromium)
    DATA["sections"]["studio"] = result
    note = (f"n={result['edits']}, {result['outputs_on_screen']} outputs on screen, "
            f"{result['re_rendered_per_save']} re-rendered per save")
    row(s, "save -> visible, A3 poster (median)", result["median_s"], "s", note, ("<=", TARGET_S))
    row(s, "save -> visible, A3 poster (max)", result["max_s"], "s", note, ("<=", TARGET_S))
