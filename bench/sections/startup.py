"""Section 5, start-up: `campaign-print --help` and `check`, and the imports of the build.
"""
from __future__ import annotations

import re
import subprocess

import common
from common import CLI, DATA, PYTHON, SETTINGS, row, run_timed, spread_text, summarise


IMPORT_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def section_startup():
    s, out = "5 start-up", {}
    commands = {"campaign-print --help": [CLI, "--help"],
                "campaign-print check": [CLI, "check"],
                "python -c 'import pipeline.cli'": [PYTHON, "-c", "import pipeline.cli"]}
    for label, argv in commands.items():
        run_timed(argv)  # warm-up (page cache, .pyc)
        runs = []
        for _ in range(SETTINGS["startup_repeats"]):
            seconds, done = run_timed(argv)
            if done.returncode != 0:
                raise RuntimeError(f"{label} exited {done.returncode}: {done.stderr[-500:]}")
            runs.append(seconds)
        out[label] = summarise(runs)
        row(s, label, out[label]["median"], "s", spread_text(out[label]))

    done = subprocess.run([PYTHON, "-X", "importtime", "-c", "import pipeline.build"],
                          cwd=common.PROJECT, env=common.ENV, capture_output=True, text=True)
    imports = [(int(m[2]), m[4].strip(), len(m[3]) - 1) for m in map(IMPORT_LINE.match, done.stderr.splitlines())
               if m]
    top = sorted(imports, reverse=True)[:5]
    weasy = sorted({name for _, name, _ in imports if name == "weasyprint" or name.startswith("weasyprint.")})
    out["import_pipeline_build"] = {"top5_cumulative_us": [{"module": n, "cumulative_us": us, "depth": d // 2}
                                                           for us, n, d in top],
                                    "total_modules": len(imports), "weasyprint_modules": weasy}
    DATA["sections"]["startup"] = out
    row(s, "import pipeline.build imports weasyprint?", bool(weasy), "",
        f"{len(imports)} modules; top: " + ", ".join(f"{n} {us / 1e6:.2f}s" for us, n, _ in top[:3]),
        target=("==", False))
