"""The benchmark's shared runner pieces: settings (BENCH_QUICK, BENCH_SMOKE, BENCH_SECTIONS),
the results table (row, fmt, DATA), timing helpers, and the project snapshot every
section measures (configure() points PROJECT, CAMPAIGN, LAYOUTS and ENV at it: read
them as common.NAME, they change once the snapshot is taken).
"""
from __future__ import annotations

import base64
import compileall
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# The checkout the bench snapshots. Not pipeline.paths: the pipeline is imported from
# the snapshot (configure()), never from here.
ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
CLI = str(VENV / "bin" / "campaign-print")
RESULTS = ROOT / "bench" / "results"
# What is measured is a snapshot of the project taken at start (see snapshot()): the
# code and layouts are edited concurrently, and one run must measure one version.
SNAPSHOT_DIRS = ("pipeline", "layouts", "profiles", "colour", "fonts", "assets", "content")
PROJECT = ROOT  # set by configure()
CAMPAIGN = ROOT / "content" / "no-matter-how-small.yaml"
LAYOUTS = ROOT / "layouts"
ENV = dict(os.environ)
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
# BENCH_SMOKE=1: every section once with a few documents, for CI: does the benchmark
# still run? Figures are not judged and latest.* is left as it was (-> smoke.*).
SMOKE = os.environ.get("BENCH_SMOKE", "") not in ("", "0")
QUICK = QUICK or SMOKE
SECTIONS = [s.strip() for s in os.environ.get("BENCH_SECTIONS", "").split(",") if s.strip()]

# Sizes of each measurement; full mode is sized to finish in ~10 minutes on 2 cores.
SETTINGS = {
    "doc_repeats": 3 if QUICK else 7,           # rounds of raw / pipeline / +preflight
    "component_repeats": 5 if QUICK else 10,    # load, template, preflight alone
    "qr_repeats": 10 if QUICK else 20,
    "chromium_posters": 3 if QUICK else 6,
    "batch_districts": 12 if QUICK else 124,    # x 4 documents, + 4 county-wide = 52 / 500
    "speedup_docs": 8 if QUICK else 24,         # subset built with workers=1 and with 2
    "nochange_repeats": 2 if QUICK else 3,
    "startup_repeats": 5,
    "rss_interval_s": 0.5,
    "leak_probe_docs": 60,                      # trivial documents in plain WeasyPrint
    "cluster_districts": 6 if QUICK else 24,    # x 4 documents, + 4 county-wide = 28 / 100
    "national": (3, 3) if QUICK else (43, 29),  # forces x districts: 48 / 5,160 documents
    # one worker's RSS after each document of the batch's mix: slope from document 50 to the last
    "worker_memory": (50, 150) if QUICK else (50, 300),
}
if SMOKE:
    SETTINGS.update(doc_repeats=1, component_repeats=1, qr_repeats=2, chromium_posters=1, batch_districts=1,
                    speedup_docs=2, nochange_repeats=1, startup_repeats=1, leak_probe_docs=12,
                    cluster_districts=1, national=(1, 1), worker_memory=(5, 12))
BATCH_PRODUCTS = ["poster", "leaflet-a5"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MIB = 1024 * 1024


# ---------------------------------------------------------------- results

@dataclass
class Row:
    section: str
    measure: str
    value: float | bool | str | None
    unit: str = ""
    spread: str = ""
    target: str = ""
    met: bool | None = None


ROWS: list[Row] = []
DATA: dict = {"sections": {}, "errors": {}}


def row(section, measure, value, unit="", spread="", target=None):
    """Add a table row; `target` is (op, threshold) with op '<=', '<', '>=' or '=='."""
    met, target_text = None, ""
    if target is not None:
        op, threshold = target
        target_text = f"{op} {fmt(threshold, unit)}"
        if value is not None:
            met = {"<=": value <= threshold, "<": value < threshold,
                   ">=": value >= threshold, "==": value == threshold}[op]
    ROWS.append(Row(section, measure, value, unit, spread, target_text, met))


def fmt(value, unit="") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "x":
        return f"{value:.2f}×"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    if unit == "KiB":
        return f"{value:.0f} KiB"
    if unit == "docs/s":
        return f"{value:.2f} docs/s"
    return f"{value:g}{(' ' + unit) if unit else ''}"


def summarise(samples: list[float]) -> dict:
    """Median and spread of repeated timings."""
    s = sorted(samples)
    median = statistics.median(s)
    return {"median": median, "min": s[0], "max": s[-1], "n": len(s),
            "spread_pct": (s[-1] - s[0]) / median * 100 if median else None, "samples": s}


def spread_text(summary: dict) -> str:
    return (f"{summary['min']:.3f}–{summary['max']:.3f} s, n={summary['n']}"
            if summary["n"] > 1 else "n=1")


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run_timed(argv: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    kwargs.setdefault("cwd", PROJECT)
    kwargs.setdefault("env", ENV)
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    return time.perf_counter() - started, done


# ---------------------------------------------------------------- shared setup

def snapshot(work: Path) -> Path:
    """Copy the project's code and data; everything below runs from the copy (in-process
    via sys.path, subprocesses via PYTHONPATH), so the pipeline's input hash and the
    figures belong to one version even while pipeline/ and layouts/ are being edited."""
    project = work / "project"
    for name in SNAPSHOT_DIRS:
        shutil.copytree(ROOT / name, project / name,
                        ignore=shutil.ignore_patterns("__pycache__", ".bench-*", "*.pyc"))
    # Compiled once, as an installed copy is: with PYTHONDONTWRITEBYTECODE set (as in
    # some shells and CI), every process the bench starts compiled the pipeline again.
    for name in SNAPSHOT_DIRS:
        compileall.compile_dir(project / name, quiet=1, workers=0)
    return project


def configure(project: Path) -> str:
    """Point the bench at the snapshot; return a hash of its code, layouts and profiles."""
    global PROJECT, CAMPAIGN, LAYOUTS, ENV
    PROJECT, CAMPAIGN, LAYOUTS = project, project / "content" / CAMPAIGN.name, project / "layouts"
    ENV = {**os.environ, "PYTHONPATH": str(project)}
    sys.path.insert(0, str(project))
    import pipeline

    where = subprocess.run([PYTHON, "-c", "import pipeline; print(pipeline.__file__)"], cwd=project, env=ENV,
                           capture_output=True, text=True).stdout.strip()
    for path in (pipeline.__file__, where):
        if not Path(path).resolve().is_relative_to(project.resolve()):
            raise RuntimeError(f"pipeline imported from {path}, not from the snapshot {project}")
    digest = hashlib.sha256()
    for name in ("pipeline", "layouts", "profiles"):
        for path in sorted((project / name).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(project)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def press_jobs(campaign: Path, layouts: Path | None = None, only=None, districts=None):
    from pipeline.content import load_campaigns
    from pipeline.plan import load_layouts, load_profiles, plan, select_profiles

    return plan(load_campaigns([campaign]), load_layouts(layouts or LAYOUTS),
                select_profiles(load_profiles(), "press"),
                only=only, districts=districts, partners=["none"], languages=["none"])


def a3_poster():
    return next(j for j in press_jobs(CAMPAIGN, only=["poster"], districts=["none"]) if j.size == "A3")


def layouts_copy(where: Path) -> Path:
    """A copy of layouts/ beside links to the real fonts, colour and assets (as the tests do)."""
    project = where / "project"
    shutil.copytree(LAYOUTS, project / "layouts", ignore=shutil.ignore_patterns(".bench-*"))
    for name in ("fonts", "colour", "assets"):
        (project / name).symlink_to(PROJECT / name)
    return project / "layouts"


def batch_content(where: Path, districts: int) -> Path:
    """The campaign with only synthetic districts as variants (no partners, no languages)."""
    import yaml

    data = yaml.safe_load(CAMPAIGN.read_text(encoding="utf-8"))
    data["variants"] = {"districts": {
        "products": BATCH_PRODUCTS,
        "copies": {"poster": 20, "leaflet-a5": 500},
        "items": [{"name": f"Bench District {n:03d}"} for n in range(1, districts + 1)],
    }}
    folder = where / "content"
    folder.mkdir(parents=True)
    shutil.copytree(CAMPAIGN.parent / "sources", folder / "sources")  # its facts are checked against them
    path = folder / CAMPAIGN.name  # same slug as the real campaign
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def with_qr_svg(job, html: str) -> str:
    """The pipeline's HTML with the QR code as the SVG a user would write by hand: the
    pipeline's own HTML has an empty placeholder there that only pipeline/render/qrdraw.py draws."""
    from pipeline.profilecss import colour_value
    from pipeline.qr import qr_data_uri, qr_svg

    fill = colour_value(job.colours["ink"], job.profile.spec.output)
    svg = "data:image/svg+xml;base64," + base64.b64encode(qr_svg(job.qr_url, fill).encode()).decode()
    placeholder = qr_data_uri(job.qr_url, fill)
    if placeholder not in html:
        raise RuntimeError("the QR placeholder is not in the HTML")
    return html.replace(placeholder, svg)
