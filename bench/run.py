"""Benchmarks of the print pipeline, taken the same way every time.

    python bench/run.py                  # full run (< ~10 min on 2 cores)
    BENCH_QUICK=1 python bench/run.py    # quick run (< ~2 min)
    BENCH_SECTIONS=document,profile python bench/run.py   # some sections only (-> partial.*)

Sections: document, batch, incremental (needs batch), chromium, startup, profile, studio, cluster,
national.
Prints a table (value, spread, target, met?) and writes bench/results/latest.json
(plus a dated copy) and bench/results/latest.png. Ratios are measured side by side
in the same run; absolute times depend on the machine (recorded in the JSON).
See bench/README.md for what each figure means.

This file is the runner (the sections in order, the table, the JSON and the chart);
each section is a module of bench/sections/, their shared pieces are in common.py
(settings, results, the project snapshot) and procs.py (processes measured from outside).
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from common import ROOT, VENV, VENV_PYTHON

# Run inside the project's venv whatever `python` started us.
if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != VENV.resolve():
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])

from common import DATA, QUICK, RESULTS, ROWS, Row, SECTIONS, SETTINGS, SMOKE, configure, fmt, row, snapshot
from sections.batch import section_batch
from sections.chromium import section_chromium
from sections.cluster import section_cluster
from sections.document import section_document
from sections.incremental import section_incremental
from sections.national import section_national
from sections.profile import section_profile
from sections.startup import section_startup
from sections.studio import section_studio


# ---------------------------------------------------------------- machine

def machine() -> dict:
    from importlib.metadata import version

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "0")
    chromium = shutil.which("chromium")
    packages = {}
    for name in ("weasyprint", "pydyf", "pypdfium2", "pikepdf", "zxing-cpp", "qrcode", "jinja2", "pydantic"):
        try:
            packages[name] = version(name)
        except Exception:
            packages[name] = None
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu, "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "python": platform.python_version(), "kernel": platform.release(), "packages": packages,
        "chromium": subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout.strip()
        if chromium else None,
        "load_average_start": os.getloadavg(),
        "mode": "smoke" if SMOKE else "quick" if QUICK else "full", "settings": SETTINGS,
    }


# ---------------------------------------------------------------- output

def print_table() -> None:
    headers = ("section", "measure", "value", "spread / note", "target", "met?")
    lines = [(r.section, r.measure, fmt(r.value, r.unit), r.spread, r.target,
              "" if r.met is None else ("yes" if r.met else "NO")) for r in ROWS]
    widths = [min(max(len(str(x)) for x in col), 60) for col in zip(headers, *lines)]
    def line(cells):
        return "  ".join(str(c)[:60].ljust(w) for c, w in zip(cells, widths)).rstrip()
    print(line(headers))
    print(line(["-" * w for w in widths]))
    last = None
    for cells in lines:
        print(line(("" if cells[0] == last else cells[0], *cells[1:])))
        last = cells[0]
    profile = DATA["sections"].get("profile")
    if profile:
        print("\nTop 15 functions by cumulative time (one A3 poster, cProfile):")
        for entry in profile["top15_cumulative"]:
            print(f"  {entry['cumulative_s']:7.3f} s  {entry['self_s']:7.3f} s self  {entry['calls']:>7}  "
                  f"{entry['function']}")
    startup = DATA["sections"].get("startup")
    if startup:
        print("\nimport pipeline.build, top 5 cumulative imports (python -X importtime):")
        for entry in startup["import_pipeline_build"]["top5_cumulative_us"]:
            print(f"  {entry['cumulative_us'] / 1e6:7.3f} s  {entry['module']}")
    for section, error in DATA["errors"].items():
        print(f"\nERROR in {section}: {error.splitlines()[-1]}")


def draw_chart(path: Path) -> None:
    """Horizontal bars with Pillow: one panel per unit, a target tick where there is one."""
    from PIL import Image, ImageDraw, ImageFont

    panels: dict[str, list[Row]] = {}
    seconds = {"1": "one document, seconds", "2": "one document, seconds", "3": "batch and rebuilds, seconds",
               "4": "batch and rebuilds, seconds", "5": "start-up, seconds",
               "6": "profile of one A3 poster: self time by stage, seconds (cProfile)",
               "7": "designer studio: save -> visible in chromium, seconds",
               "8": "batch and rebuilds, seconds", "9": "batch and rebuilds, seconds"}
    titles = {"x": "ratios (red tick = target)", "%": "percent (red tick = target)",
              "MiB": "memory, MiB", "KiB": "memory growth per document, KiB"}
    for r in ROWS:
        if not isinstance(r.value, (int, float)) or isinstance(r.value, bool):
            continue
        if r.unit == "s" and not (r.section.startswith("6") and not r.measure.startswith("  ")):
            panels.setdefault(seconds[r.section[0]], []).append(r)
        elif r.unit in titles:
            panels.setdefault(titles[r.unit], []).append(r)
    try:
        font = ImageFont.truetype(str(ROOT / "fonts" / "AtkinsonHyperlegible-Regular.ttf"), 15)
        bold = ImageFont.truetype(str(ROOT / "fonts" / "AtkinsonHyperlegible-Bold.ttf"), 18)
    except OSError:
        font = bold = ImageFont.load_default()
    label_w, bar_w, bar_h, gap = 470, 520, 20, 6
    height = 70 + sum(40 + len(rows) * (bar_h + gap) for rows in panels.values())
    image = Image.new("RGB", (label_w + bar_w + 140, height), "white")
    draw = ImageDraw.Draw(image)
    mode = "quick" if QUICK else "full"
    draw.text((12, 12), f"campaign-print bench ({mode}), {DATA['machine']['date']}, "
                        f"{DATA['machine']['cpu']} × {DATA['machine']['cores']}", fill="black", font=bold)
    y = 52
    for title, rows in panels.items():
        draw.text((12, y), title, fill="black", font=bold)
        y += 30
        scale_max = max(max(abs(r.value) for r in rows), *(target_value(r) or 0 for r in rows)) or 1
        for r in rows:
            draw.text((12, y + 2), f"{r.section[:1]} {r.measure.strip()}"[:62], fill="black", font=font)
            width = int(abs(r.value) / scale_max * bar_w)
            colour = "#1f4e79" if r.met is not False else "#c0392b"
            draw.rectangle([label_w, y, label_w + max(width, 1), y + bar_h], fill=colour)
            draw.text((label_w + width + 6, y + 2), fmt(r.value, r.unit), fill="black", font=font)
            target = target_value(r)
            if target is not None:
                x = label_w + int(target / scale_max * bar_w)
                draw.line([x, y - 2, x, y + bar_h + 2], fill="#e74c3c", width=3)
            y += bar_h + gap
        y += 10
    image.save(path)


def target_value(r: Row) -> float | None:
    match = re.match(r"[<>=]+\s*([\d.]+)", r.target or "")
    return float(match[1]) if match else None


# ---------------------------------------------------------------- main

def main() -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    DATA["machine"] = machine()
    print(f"campaign-print bench, {DATA['machine']['mode']} mode: {DATA['machine']['cpu']}, "
          f"{DATA['machine']['cores']} cores, Python {DATA['machine']['python']}, "
          f"WeasyPrint {DATA['machine']['packages']['weasyprint']}", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="campaign-print-bench-") as tmp:
        work = Path(tmp)
        DATA["machine"]["project_sha256"] = configure(snapshot(work))
        batch = None
        # Batch before Chromium: RUSAGE_CHILDREN keeps the largest child ever waited for.
        plan_ = [("document", section_document), ("batch", lambda: section_batch(work)),
                 ("incremental", lambda: section_incremental(batch)),
                 ("chromium", lambda: section_chromium(work)),
                 ("startup", section_startup), ("profile", section_profile), ("studio", section_studio),
                 ("cluster", lambda: section_cluster(work)), ("national", lambda: section_national(work))]
        for name, run in plan_:
            if SECTIONS and name not in SECTIONS:
                continue
            t0 = time.perf_counter()
            print(f"[{time.perf_counter() - started:6.1f}s] {name} ...", flush=True)
            try:
                result = run()
                if name == "batch":
                    batch = result
            except Exception:
                DATA["errors"][name] = traceback.format_exc()
                row(name, "ERROR", traceback.format_exc().strip().splitlines()[-1][:120])
            DATA.setdefault("section_seconds", {})[name] = time.perf_counter() - t0
    DATA["machine"]["load_average_end"] = os.getloadavg()
    DATA["total_seconds"] = time.perf_counter() - started
    ROWS.sort(key=lambda r: r.section[:1])  # stable: sections in the brief's order
    DATA["rows"] = [r.__dict__ for r in ROWS]
    print()
    print_table()
    print(f"\ntotal {DATA['total_seconds']:.0f} s; load average {DATA['machine']['load_average_start'][0]:.2f}"
          f" at start, {DATA['machine']['load_average_end'][0]:.2f} at end")
    text = json.dumps(DATA, indent=2, default=str)
    # A run of some sections, or a smoke run, keeps latest.* as it was.
    name = "smoke" if SMOKE else "partial" if SECTIONS else "latest"
    (RESULTS / f"{name}.json").write_text(text)
    if not SECTIONS and not SMOKE:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        (RESULTS / f"{stamp}-{DATA['machine']['mode']}.json").write_text(text)
    try:
        draw_chart(RESULTS / f"{name}.png")
    except Exception:
        print("chart failed:\n" + traceback.format_exc())
    print(f"saved {RESULTS / (name + '.json')} and {RESULTS / (name + '.png')}")
    return 1 if DATA["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
