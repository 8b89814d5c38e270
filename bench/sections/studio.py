"""Section 7, studio: save -> new image of the product in view visible in chromium
(bench/studio.py): A3 poster, A5 and DL leaflets, CSS and YAML edits.
"""
from __future__ import annotations

import shutil
import sys

from common import DATA, QUICK, ROOT, SMOKE, row


def section_studio():
    """The designer studio: save -> new image visible in chromium (bench/studio.py)."""
    s = "7 studio"
    chromium = shutil.which("chromium")
    if not chromium:
        row(s, "chromium not installed: skipped", None)
        return
    sys.path.insert(0, str(ROOT / "bench"))
    from studio import TARGET_MAX_S, TARGET_MEDIAN_S, TARGET_YAML_MAX_S, save_to_visible

    result = save_to_visible(1 if SMOKE else 4 if QUICK else 8, chromium)
    DATA["sections"]["studio"] = result
    load = f"load {result['load_average'][0]} -> {result['load_average_after'][0]}"
    for key, kinds in result["products"].items():
        for kind, figures in kinds.items():
            note = f"n={result['edits']}, {result['outputs_on_screen']} outputs on screen, {load}"
            row(s, f"save -> visible, {key}, {kind} edit (median)", figures["median_s"], "s", note,
                ("<=", TARGET_MEDIAN_S))
            row(s, f"save -> visible, {key}, {kind} edit (max)", figures["max_s"], "s", note,
                ("<=", TARGET_YAML_MAX_S if kind == "yaml" else TARGET_MAX_S))
