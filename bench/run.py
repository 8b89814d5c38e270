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
"""
from __future__ import annotations

import base64
import cProfile
import hashlib
import json
import os
import platform
import pstats
import re
import resource
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"

# Run inside the project's venv whatever `python` started us.
if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != VENV.resolve():
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])

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
            if path.is_file():
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
    path = folder / CAMPAIGN.name  # same slug as the real campaign
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# ---------------------------------------------------------------- 1. one document

def raw_weasyprint(job, html: str) -> bytes:
    """What a user would write by hand: same HTML (the QR code as an SVG), same page
    CSS, no finisher, no layout map, no preflight, WeasyPrint's default URL fetcher."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from pipeline.layouts import profile_css

    html = with_qr_svg(job, html)
    base_url = str(job.layouts.folder) + "/"
    font_config, color_profiles = FontConfiguration(), {}
    page_css = CSS(string=profile_css(job), base_url=base_url, font_config=font_config,
                   color_profiles=color_profiles)
    return HTML(string=html, base_url=base_url).write_pdf(
        stylesheets=[page_css], font_config=font_config, color_profiles=color_profiles,
        pdf_variant=job.profile.spec.pdf_variant)


def raster_difference(pdf_a: bytes, pdf_b: bytes, dpi: int = 20) -> dict:
    """Do two PDFs look the same? Pages, media size, mean pixel difference at low dpi."""
    import pypdfium2 as pdfium
    from PIL import ImageChops, ImageStat

    a, b = pdfium.PdfDocument(pdf_a), pdfium.PdfDocument(pdf_b)
    result = {"pages": [len(a), len(b)], "size_pt": [a[0].get_size(), b[0].get_size()]}
    if len(a) == len(b):
        diffs = []
        for pa, pb in zip(a, b):
            ia = pa.render(scale=dpi / 72).to_pil().convert("RGB")
            ib = pb.render(scale=dpi / 72).to_pil().convert("RGB").resize(ia.size)
            diffs.append(sum(ImageStat.Stat(ImageChops.difference(ia, ib)).mean) / 3 / 255 * 100)
        result["mean_pixel_diff_pct"] = max(diffs)
    return result


def section_document():
    from pipeline.content import load_campaigns
    from pipeline.layouts import colour_value, render_html
    from pipeline.preflight import preflight
    from pipeline.qr import qr_svg, qr_url
    from pipeline.render import render_pdf

    s, out = "1 document", {}
    job = a3_poster()
    html = render_html(job)

    def pipeline_only():
        render_pdf(job, render_html(job))

    def pipeline_preflight():
        h = render_html(job)
        preflight(job, h, render_pdf(job, h))

    variants = {"a": lambda: raw_weasyprint(job, html), "b": pipeline_only, "c": pipeline_preflight}
    for fn in variants.values():  # warm-up
        fn()
    times = {k: [] for k in variants}
    for round_ in range(SETTINGS["doc_repeats"]):  # interleaved, order rotated each round
        shift = round_ % len(variants)
        names = list(variants)[shift:] + list(variants)[:shift]
        for name in names:
            times[name].append(timed(variants[name]))
    stats = {k: summarise(v) for k, v in times.items()}
    out["raw_weasyprint"], out["pipeline"], out["pipeline_preflight"] = stats["a"], stats["b"], stats["c"]
    ratio_b = stats["b"]["median"] / stats["a"]["median"]
    ratio_c = stats["c"]["median"] / stats["a"]["median"]
    out["ratio_b_a"], out["ratio_c_a"] = ratio_b, ratio_c

    rendered = render_pdf(job, html)
    out["equivalence"] = raster_difference(raw_weasyprint(job, html), rendered.pdf)
    out["pdf_bytes"] = {"raw": len(raw_weasyprint(job, html)), "pipeline": len(rendered.pdf)}

    # The parts on their own.
    n = SETTINGS["component_repeats"]
    load_campaigns([CAMPAIGN])
    out["content_loading"] = summarise([timed(lambda: load_campaigns([CAMPAIGN])) for _ in range(n)])
    out["templating"] = summarise([timed(lambda: render_html(job)) for _ in range(n)])
    fill = colour_value(job.layouts.colours["ink"], job.profile.spec.output)
    qr = job.source.campaign.qr
    fresh = [qr_url(qr, f"bench-{uuid.uuid4().hex[:8]}") for _ in range(SETTINGS["qr_repeats"])]
    out["qr"] = summarise([timed(lambda u=u: qr_svg(u, fill)) for u in fresh])
    def fresh_preflight():
        rendered.derived.clear()  # the page rasters are kept per rendering: make them again
        preflight(job, html, rendered)

    def readers_eye():
        from pipeline.preflight import Subject, check_codes, check_page_numbers, check_visible
        rendered.derived.clear()
        subject = Subject(job, html, rendered)
        for check in (check_visible, check_codes, check_page_numbers):
            check(subject)

    fresh_preflight()
    out["preflight"] = summarise([timed(fresh_preflight) for _ in range(n)])
    out["readers_eye"] = summarise([timed(readers_eye) for _ in range(n)])
    DATA["sections"]["document"] = out

    row(s, "(a) raw WeasyPrint, final HTML", stats["a"]["median"], "s", spread_text(stats["a"]))
    row(s, "(b) render_html + render_pdf", stats["b"]["median"], "s", spread_text(stats["b"]))
    row(s, "(c) (b) + preflight", stats["c"]["median"], "s", spread_text(stats["c"]))
    row(s, "b/a", ratio_b, "x", target=("<=", 1.1))
    row(s, "c/a", ratio_c, "x", target=("<=", 1.5))
    for key, label in (("content_loading", "content loading (load_campaigns)"),
                       ("templating", "templating (render_html, QR cached)"),
                       ("qr", "QR generation (qr_svg, fresh URL)"), ("preflight", "preflight alone"),
                       ("readers_eye", "of which the reader's eye (page rasters, hidden-text, codes, page numbers)")):
        row(s, label, out[key]["median"], "s", spread_text(out[key]))
    diff = out["equivalence"].get("mean_pixel_diff_pct")
    row(s, "raw vs pipeline PDF: raster difference", diff, "%",
        f"pages {out['equivalence']['pages']}, bytes {out['pdf_bytes']['raw']}/{out['pdf_bytes']['pipeline']}")


# ---------------------------------------------------------------- 2. chromium

class ChromiumPipe:
    """One Chromium driven over --remote-debugging-pipe (DevTools protocol, NUL-framed
    JSON on fds 3 and 4): print several files without restarting the browser."""

    def __init__(self, chromium: str, user_data_dir: str):
        cmd_read, self.cmd_write = os.pipe()
        self.resp_read, resp_write = os.pipe()
        argv = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}", "--remote-debugging-pipe"]
        self.proc = subprocess.Popen(["sh", "-c", f'exec "$@" 3<&{cmd_read} 4>&{resp_write}', "sh", *argv],
                                     pass_fds=(cmd_read, resp_write),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_read)
        os.close(resp_write)
        self.buffer, self.last_id, self.events = b"", 0, []

    def _message(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.resp_read], [], [], max(0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self.resp_read, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout=60) -> dict:
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.cmd_write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._message(timeout)
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, session: str, timeout=60) -> None:
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    self.events.clear()
                    return
            self.events.append(self._message(timeout))

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except (OSError, EOFError, TimeoutError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.cmd_write)
        os.close(self.resp_read)


def with_qr_svg(job, html: str) -> str:
    """The pipeline's HTML with the QR code as the SVG a user would write by hand: the
    pipeline's own HTML has an empty placeholder there that only render.py draws."""
    from pipeline.layouts import colour_value
    from pipeline.qr import qr_data_uri, qr_svg

    fill = colour_value(job.colours["ink"], job.profile.spec.output)
    svg = "data:image/svg+xml;base64," + base64.b64encode(qr_svg(job.qr_url, fill).encode()).decode()
    placeholder = qr_data_uri(job.qr_url, fill)
    if placeholder not in html:
        raise RuntimeError("the QR placeholder is not in the HTML")
    return html.replace(placeholder, svg)


def chromium_html(job, html: str) -> str:
    """The final HTML with the profile's CSS inlined and the QR code as an SVG. Chromium
    has no device-cmyk(): the brand colours' RGB twins follow, so the page looks the same."""
    from pipeline.layouts import colour_value, profile_css

    html = with_qr_svg(job, html)
    rgb = "; ".join(f"--{name}: {colour_value(c, 'screen')}" for name, c in job.layouts.colours.items())
    style = f"<style>\n{profile_css(job)}:root {{ {rgb} }}\n</style>\n"
    return html.replace("</head>", style + "</head>", 1)


def pdf_pages(path: Path) -> int:
    import pypdfium2 as pdfium

    return len(pdfium.PdfDocument(str(path)))


def section_chromium(work: Path):
    from pipeline.build import build
    from pipeline.layouts import render_html

    s, out = "2 chromium", {}
    chromium = shutil.which("chromium")
    if not chromium:
        print("chromium not installed: skipped (make bench installs it)")
        DATA["sections"]["chromium"] = None
        row(s, "chromium", "not installed: skipped")
        return
    out["version"] = subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout.strip()
    n = SETTINGS["chromium_posters"]
    content = batch_content(work / "chromium", n)
    jobs = [j for j in press_jobs(content, only=["poster"]) if j.size == "A3" and j.district][:n]
    files = [LAYOUTS / f".bench-{os.getpid()}-{i}.html" for i in range(len(jobs))]
    pdfs = work / "chromium" / "pdf"
    pdfs.mkdir()
    profile_dir = tempfile.mkdtemp(prefix="bench-chromium-", dir=work)
    try:
        for job, file in zip(jobs, files):
            file.write_text(chromium_html(job, render_html(job)), encoding="utf-8")

        def print_one(file: Path, target: Path) -> float:
            seconds, done = run_timed([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}",
                                       f"--print-to-pdf={target}", "--no-pdf-header-footer", file.as_uri()],
                                      timeout=120)
            if done.returncode != 0 or not target.is_file():
                raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr[-500:]}")
            return seconds

        print_one(files[0], pdfs / "warm-up.pdf")
        per_process = [print_one(f, pdfs / f"{i}.pdf") for i, f in enumerate(files)]
        out["process_per_poster"] = summarise(per_process)
        out["pages"] = [pdf_pages(pdfs / f"{i}.pdf") for i in range(len(files))]

        # The pipeline over the same posters, one worker, everything it does (preflight,
        # files), in rounds alternating with one warm browser printing every file (what
        # a service would do), so both meet the same load on a shared machine.
        build_out = work / "chromium" / "pipeline"
        build(jobs[:1], build_out / "warm-up", workers=1, force=True)

        def pipeline_round() -> tuple[float, float]:
            wall, cpu = time.perf_counter(), time.process_time()
            build(jobs, build_out, workers=1, force=True)
            return (time.perf_counter() - wall) / len(jobs), (time.process_time() - cpu) / len(jobs)

        try:
            out["one_process"] = chromium_one_process(chromium, work, files, pdfs, pipeline_round)
            pipeline_rounds = out["one_process"].pop("pipeline_rounds")
        except Exception as exc:  # optional measurement
            out["one_process"] = {"error": repr(exc)}
            pipeline_rounds = [pipeline_round()]
    finally:
        for file in files:
            file.unlink(missing_ok=True)

    out["pipeline_rounds"] = pipeline_rounds
    out["pipeline_per_poster"] = statistics.median(w for w, _ in pipeline_rounds)
    out["pipeline_cpu_per_poster"] = statistics.median(c for _, c in pipeline_rounds)
    out["ratio_pipeline_chromium"] = out["pipeline_per_poster"] / out["process_per_poster"]["median"]
    DATA["sections"]["chromium"] = out

    row(s, f"Chromium, one process per poster ({len(jobs)} A3)", out["process_per_poster"]["median"], "s",
        spread_text(out["process_per_poster"]) + f", pages {out['pages']}")
    one = out["one_process"]
    if "per_poster" in one:
        row(s, "Chromium, one process, all files: per poster", one["per_poster"], "s",
            f"steady {one['steady']['median']:.3f} s, start-up {one['startup']:.2f} s")
    else:
        row(s, "Chromium, one process, all files", one.get("error", "n/a"))
    row(s, "pipeline per poster (build, workers=1)", out["pipeline_per_poster"], "s",
        f"{len(jobs)} posters, median of {len(out['pipeline_rounds'])} rounds; "
        f"CPU {out['pipeline_cpu_per_poster']:.3f} s")
    row(s, "pipeline / Chromium (process per poster)", out["ratio_pipeline_chromium"], "x", target=("<=", 0.5))
    if "per_poster" in one:
        out["ratio_pipeline_chromium_one_process"] = out["pipeline_per_poster"] / one["per_poster"]
        row(s, "pipeline / Chromium (one process)", out["ratio_pipeline_chromium_one_process"], "x")
        # Issue 15: a poster of a batch against a warm browser's time per poster once started.
        out["ratio_pipeline_chromium_steady"] = out["pipeline_per_poster"] / one["steady"]["median"]
        row(s, "pipeline / Chromium (one process, steady state)", out["ratio_pipeline_chromium_steady"], "x",
            f"{out['pipeline_per_poster']:.3f} s / {one['steady']['median']:.3f} s", target=("<=", 1.0))
        if one.get("steady_cpu"):
            # CPU seconds of every Chromium process (browser, renderer, GPU) per poster: it
            # spreads a print over several processes, so its wall time may use both cores.
            out["ratio_pipeline_chromium_steady_cpu"] = out["pipeline_cpu_per_poster"] / one["steady_cpu"]["median"]
            row(s, "the same in CPU time", out["ratio_pipeline_chromium_steady_cpu"], "x",
                f"{out['pipeline_cpu_per_poster']:.3f} s / {one['steady_cpu']['median']:.3f} s")


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and every process below it, alive now."""
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def chromium_one_process(chromium: str, work: Path, files: list[Path], pdfs: Path, between=None) -> dict:
    """One browser printing every file, in `rounds` rounds; `between()` runs after
    each round (the pipeline's round) and its results are returned as pipeline_rounds."""
    rounds = 1 if SMOKE else 3
    profile_dir = tempfile.mkdtemp(prefix="bench-chromium-pipe-", dir=work)
    started = time.perf_counter()
    browser = ChromiumPipe(chromium, profile_dir)
    steady, steady_cpu, pages, first, between_rounds = [], [], [], None, []
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        browser.call("Page.enable", session=session)
        startup = time.perf_counter() - started
        for round_ in range(rounds):
            for i, file in enumerate(files):
                t0, c0 = time.perf_counter(), tree_cpu_s(browser.proc.pid)
                browser.call("Page.navigate", {"url": file.as_uri()}, session=session)
                browser.wait_event("Page.loadEventFired", session)
                pdf = browser.call("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True,
                                                       "displayHeaderFooter": False}, session=session)["data"]
                steady.append(time.perf_counter() - t0)
                steady_cpu.append(tree_cpu_s(browser.proc.pid) - c0)
                path = pdfs / f"pipe-{i}.pdf"
                path.write_bytes(base64.b64decode(pdf))
                if round_ == 0:
                    pages.append(pdf_pages(path))
            if first is None:
                first = time.perf_counter() - started
            if between:
                between_rounds.append(between())
    finally:
        browser.close()
    return {"total": first, "startup": startup, "per_poster": first / len(files),
            "steady": summarise(steady), "steady_cpu": summarise(steady_cpu), "pages": pages,
            "rounds": rounds, "pipeline_rounds": between_rounds}


# ---------------------------------------------------------------- 3. batch

def descendants(pid: int) -> dict[int, int]:
    """{pid: parent pid} of every process below `pid` (scanning /proc/*/stat)."""
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = parent
                todo.append(child)
    return found


def rss_mib(pid: int) -> float | None:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB
    except (OSError, IndexError, ValueError):
        return None


def hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


class RssSampler(threading.Thread):
    """Every `interval` s: RSS of the workers (children of `root`), and each worker's
    VmHWM (its own peak, kept by the kernel) the last time it was seen alive."""

    def __init__(self, root: int, interval: float):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.samples: list[tuple[float, dict[int, float]]] = []
        self.hwm: dict[int, float] = {}
        self.root_hwm = 0.0
        self.stopping = threading.Event()
        self.started_at = time.perf_counter()

    def run(self):
        while not self.stopping.is_set():
            workers = [p for p, parent in descendants(self.root).items() if parent == self.root]
            rss = {p: r for p in workers if (r := rss_mib(p)) is not None}
            for p in rss:
                self.hwm[p] = max(self.hwm.get(p, 0), hwm_mib(p) or 0)
            self.root_hwm = max(self.root_hwm, hwm_mib(self.root) or 0)
            self.samples.append((time.perf_counter() - self.started_at, rss))
            self.stopping.wait(self.interval)

    def summary(self) -> dict:
        # A worker caught starting or exiting reads 0 MiB: not a sample of its size.
        sized = [(t, [v for v in r.values() if v > 0]) for t, r in self.samples]
        alive = [(t, sum(values) / len(values)) for t, values in sized if values]
        result = {"workers": len(self.hwm), "samples": len(alive),
                  "peak_rss_per_worker_mib": self.hwm, "cli_parent_peak_mib": self.root_hwm}
        if len(alive) >= 2:
            start, end = alive[0][0], alive[-1][0]
            window = (end - start) * 0.1
            first = [r for t, r in alive if t <= start + window]
            last = [r for t, r in alive if t >= end - window]
            second = [r for t, r in alive if start + window < t <= start + 2 * window]
            steady = [(t, r) for t, r in alive if t > start + window]
            slope = statistics.linear_regression(*zip(*steady)).slope if len(steady) > 2 else None
            result.update(first_10pct_mib=statistics.mean(first), last_10pct_mib=statistics.mean(last),
                          growth_pct=(statistics.mean(last) / statistics.mean(first) - 1) * 100,
                          second_10pct_mib=statistics.mean(second) if second else None,
                          growth_after_warmup_pct=(statistics.mean(last) / statistics.mean(second) - 1) * 100
                          if second else None,
                          slope_mib_per_s=slope,
                          series=[(round(t, 2), round(r, 1)) for t, r in alive])
        return result


LEAK_PROBE = """
import gc, os
from weasyprint import HTML
def rss():
    return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 1024
for i in range({n}):
    HTML(string='<p>hello</p>').write_pdf()
    if i == 9:
        gc.collect()
        start = rss()
gc.collect()
print((rss() - start) / ({n} - 10))
"""


def weasyprint_growth_kib(documents: int) -> float:
    """RSS growth per document of plain WeasyPrint on a trivial page, in a fresh process:
    is memory growth in the batch ours or WeasyPrint's?"""
    _, done = run_timed([PYTHON, "-c", LEAK_PROBE.format(n=documents)])
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-500:])
    return float(done.stdout.strip())


WORKER_MEMORY = """
import json, os, statistics, sys
from itertools import zip_longest
from pathlib import Path
from pipeline.build import make
from pipeline.content import load_campaigns
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles
campaign, layouts, start, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
jobs = plan(load_campaigns([Path(campaign)]), load_layouts(Path(layouts)),
            select_profiles(load_profiles(), "press"), only={only!r}, partners=["none"], languages=["none"])
groups = {{}}
for job in jobs:
    groups.setdefault((job.product, job.size), []).append(job)
# Products in turn, as a long batch of variants mixes them: every product is warmed up early.
jobs = [j for group in zip_longest(*groups.values()) for j in group if j is not None][:count]
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024
series = []
for job in jobs:
    make(job)
    series.append(rss())
slope = statistics.linear_regression(range(start, len(series)), series[start:]).slope
print(json.dumps({{"documents": len(series), "start": start, "slope_kib": slope, "series_kib": series}}))
"""


def worker_memory(content: Path, layouts: Path) -> dict:
    """One worker's memory growth after warm-up: a fresh process makes the batch's
    documents one after another (as a pool worker does, with no fresh worker every
    WORKER_JOBS jobs), RSS after each; the slope of a linear fit from document
    `start` on, in KiB per document."""
    start, count = SETTINGS["worker_memory"]
    _, done = run_timed([PYTHON, "-c", WORKER_MEMORY.format(only=BATCH_PRODUCTS), str(content), str(layouts),
                         str(start), str(count)], cwd=PROJECT, env=ENV, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-800:])
    return json.loads(done.stdout.strip().splitlines()[-1])


BUILT = re.compile(r"built (\d+) PDF\(s\), (\d+) unchanged \(kept\), (\d+) failed, in ([\d.]+)s")


def cli_build(content: Path, out: Path, layouts: Path, sampler_interval: float | None = None,
              extra: tuple[str, ...] = (), meanwhile=None) -> dict:
    """`campaign-print build` of the batch as a subprocess (start-up included);
    `meanwhile()` runs in a thread while it builds."""
    argv = [CLI, "build", str(content), "--out", str(out), "--profile", "press", "--jobs", "2",
            "--layouts", str(layouts), *extra] + [a for p in BATCH_PRODUCTS for a in ("--only", p)]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=PROJECT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if meanwhile:
        threading.Thread(target=meanwhile, daemon=True).start()
    sampler = None
    if sampler_interval:
        sampler = RssSampler(proc.pid, sampler_interval)
        sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    if sampler:
        sampler.stopping.set()
        sampler.join()
    match = BUILT.search(stdout)
    if not match:
        raise RuntimeError(f"campaign-print build failed ({proc.returncode}): {stderr[-800:]}")
    result = {"wall_s": wall, "exit_code": proc.returncode, "built": int(match[1]),
              "unchanged": int(match[2]), "failed": int(match[3]), "build_s": float(match[4]),
              "errors": stderr.count("error:"), "warnings": stderr.count("warning:")}
    if sampler:
        result["memory"] = sampler.summary()
    return result


def section_batch(work: Path) -> dict:
    from pipeline.build import build

    s, out = "3 batch", {}
    content = batch_content(work / "batch", SETTINGS["batch_districts"])
    layouts = layouts_copy(work / "batch")
    jobs = press_jobs(content, layouts, only=BATCH_PRODUCTS)
    out["documents"] = len(jobs)

    # The whole batch, as a print coordinator runs it (also the base for 4. incremental).
    maxrss_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    full = cli_build(content, work / "batch" / "out", layouts, SETTINGS["rss_interval_s"])
    maxrss_after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out["full_build"] = full
    out["ru_maxrss_children_mib"] = {"before": maxrss_before, "after": maxrss_after}
    memory = full["memory"]

    # Speedup: the same subset (same product mix) with one worker and with two, in-process.
    subset = jobs[:SETTINGS["speedup_docs"]]
    build(subset[:1], work / "batch" / "warm-up", workers=1, force=True)  # imports, caches
    t1 = timed(lambda: build(subset, work / "batch" / "w1", workers=1, force=True))
    t2 = timed(lambda: build(subset, work / "batch" / "w2", workers=2, force=True))
    out["speedup"] = {"documents": len(subset), "workers_1_s": t1, "workers_2_s": t2, "speedup": t1 / t2}
    DATA["sections"]["batch"] = out

    row(s, "documents in the batch", len(jobs))
    row(s, "full build, CLI --jobs 2 (wall, incl. start-up)", full["wall_s"], "s",
        f"built {full['built']}, exit {full['exit_code']}, preflight errors {full['errors']}")
    # Issue 15: 1.5x the 6.8 documents/s of 2026-11-28 (500 variants, 2 cores, 73 s).
    row(s, "documents per second (--jobs 2)", len(jobs) / full["wall_s"], "docs/s",
        target=(">=", 10.2) if not QUICK else None)
    row(s, f"subset of {len(subset)}: workers=1", t1, "s", f"{len(subset) / t1:.2f} docs/s")
    row(s, f"subset of {len(subset)}: workers=2", t2, "s", f"{len(subset) / t2:.2f} docs/s")
    row(s, "speedup workers=2 vs 1 (ideal 2.0)", t1 / t2, "x")
    peaks = list(memory["peak_rss_per_worker_mib"].values())
    if peaks:
        row(s, "peak RSS per worker (VmHWM), max", max(peaks), "MiB",
            f"{len(peaks)} workers: " + ", ".join(f"{p:.0f}" for p in peaks))
    row(s, "peak RSS, largest child (RUSAGE_CHILDREN)", maxrss_after, "MiB",
        f"CLI parent {memory['cli_parent_peak_mib']:.0f} MiB")
    if "growth_pct" in memory:
        row(s, "worker RSS, first 10% of run (mean)", memory["first_10pct_mib"], "MiB",
            f"{memory['samples']} samples")
        row(s, "worker RSS, last 10% of run (mean)", memory["last_10pct_mib"], "MiB")
        row(s, "worker RSS growth, last vs first 10%", memory["growth_pct"], "%", target=("<", 10))
        if memory["second_10pct_mib"] is not None:  # a short run may have no sample in that window
            row(s, "worker RSS growth, last 10% vs 10–20%", memory["growth_after_warmup_pct"], "%",
                f"10–20%: {memory['second_10pct_mib']:.0f} MiB (after warm-up)")
        if memory.get("slope_mib_per_s") is not None:
            # Two workers at a time (--jobs 2), fresh ones every WORKER_JOBS jobs each: the
            # mean RSS of the live workers, fitted over the run after its first 10 %.
            per_doc = memory["slope_mib_per_s"] * 1024 / (len(jobs) / full["wall_s"] / 2)
            out["cli_worker_growth_kib_per_document"] = per_doc
            row(s, "worker RSS growth per document, CLI run", per_doc, "KiB",
                "linear fit of the live workers' mean RSS after the first 10 %, fresh workers every 100 jobs")
    probe = worker_memory(batch_content(work / "worker-memory", SETTINGS["worker_memory"][1] // 4 + 1), layouts)
    out["worker_memory"] = probe
    out["worker_growth_kib_per_document"] = probe["slope_kib"]
    series = probe["series_kib"]
    row(s, f"worker RSS growth per document, one worker, documents {probe['start']}-{probe['documents']}",
        probe["slope_kib"], "KiB", f"RSS {series[0] / 1024:.0f} MiB after the first, {series[probe['start']] / 1024:.0f} "
        f"at document {probe['start']}, {series[-1] / 1024:.0f} at the last; linear fit", target=("<=", 20))
    out["weasyprint_growth_kib_per_document"] = weasyprint_growth_kib(SETTINGS["leak_probe_docs"])
    row(s, "plain WeasyPrint '<p>hello</p>': RSS per document", out["weasyprint_growth_kib_per_document"],
        "KiB", f"{SETTINGS['leak_probe_docs']} documents, fresh process")
    return {"content": content, "layouts": layouts, "out": work / "batch" / "out", "full": full,
            "documents": len(jobs), "uses_poster_a4": sum("poster-a4.css" in j.stylesheets for j in jobs)}


# ---------------------------------------------------------------- 4. incremental

def section_incremental(batch: dict | None):
    s, out = "4 incremental", {}
    if batch is None:
        raise RuntimeError("needs the batch section")
    full_s = batch["full"]["wall_s"]
    nochange = [cli_build(batch["content"], batch["out"], batch["layouts"])
                for _ in range(SETTINGS["nochange_repeats"])]
    wall = summarise([r["wall_s"] for r in nochange])
    out["no_change"] = {"runs": nochange, "wall": wall, "fraction_pct": wall["median"] / full_s * 100}
    rebuilt = max(r["built"] for r in nochange)

    css = batch["layouts"] / "poster-a4.css"
    css.write_text(css.read_text(encoding="utf-8") + f"\n/* bench {uuid.uuid4().hex} */\n", encoding="utf-8")
    changed = cli_build(batch["content"], batch["out"], batch["layouts"])
    affected = batch["uses_poster_a4"]  # the A4 poster of each district and the county-wide one
    out["one_file_changed"] = {**changed, "fraction_pct": changed["wall_s"] / full_s * 100,
                               "expected_rebuilt": affected,
                               "affected_share_pct": affected / batch["documents"] * 100}
    DATA["sections"]["incremental"] = out

    row(s, "no-change rebuild (CLI, incl. start-up)", wall["median"], "s",
        spread_text(wall) + f", rebuilt {rebuilt}")
    row(s, "no-change rebuild / full build", out["no_change"]["fraction_pct"], "%", target=("<=", 5))
    if rebuilt:
        row(s, "WARNING: no-change rebuild rebuilt PDFs", rebuilt, "",
            "inputs changed during the run (pipeline/ or layouts/ edited?)")
    row(s, "poster-a4.css changed: rebuild", changed["wall_s"], "s",
        f"rebuilt {changed['built']} (expected {affected}), kept {changed['unchanged']}")
    row(s, "poster-a4.css changed / full build", out["one_file_changed"]["fraction_pct"], "%",
        f"affected share {out['one_file_changed']['affected_share_pct']:.1f} %")


# ---------------------------------------------------------------- 5. start-up

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
                          cwd=PROJECT, env=ENV, capture_output=True, text=True)
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


# ---------------------------------------------------------------- 6. profile

# Stage of a function by its file (first match wins); pipeline/render.py by function name.
STAGES = [
    ("content: YAML + validation (once per build)", ("pipeline/content.py", "pipeline/plan.py", "pipeline/problems.py",
                                    "/yaml/", "/_yaml", "/pydantic/", "/pydantic_core/")),
    ("QR: qrcode", ("pipeline/qr.py", "/qrcode/")),
    ("template: Jinja2", ("pipeline/layouts.py", "/jinja2/", "/markupsafe/", "layouts/")),
    ("preflight: raster + decode + checks", ("pipeline/preflight.py", "/pypdfium2/", "/zxingcpp", "/PIL/",
                                             "/pikepdf/")),
    ("our CMYK conversion", ("pipeline/colour.py",)),
    ("WeasyPrint: HTML/CSS parse + cascade", ("weasyprint/css/", "weasyprint/html.py", "weasyprint/urls.py",
                                              "weasyprint/__init__.py", "/tinyhtml5/", "/tinycss2/",
                                              "/cssselect2/", "/webencodings/")),
    ("WeasyPrint: fonts (@font-face, fontconfig)", ("weasyprint/text/fonts.py",)),
    ("WeasyPrint: layout + text shaping", ("weasyprint/layout/", "weasyprint/text/",
                                           "weasyprint/formatting_structure/", "/pyphen/")),
    ("WeasyPrint: draw", ("weasyprint/draw/", "weasyprint/stacking.py", "weasyprint/svg/",
                          "weasyprint/images.py", "weasyprint/matrix.py")),
    ("PDF write: weasyprint/pdf + pydyf + zlib + fontTools", ("weasyprint/pdf/", "/pydyf/", "/fontTools/")),
    ("WeasyPrint: other", ("weasyprint/",)),
]
RENDER_STAGES = {"finish": "our finisher", "_stable_document_id": "our finisher", "_crop_marks": "our finisher",
                 "layout_map": "our layout map", "walk": "our layout map", "rect": "our layout map",
                 "_srgb": "our layout map", "_describe": "our layout map", "_intersect": "our layout map"}


def stage_of(key) -> str | None:
    """None for built-ins (their time goes to their callers' stages)."""
    file, _, function = key
    file = file.replace(os.sep, "/")
    if file == "~" or file.startswith("<"):
        return None
    if file.endswith("pipeline/render.py"):
        return RENDER_STAGES.get(function, "our render glue + fetcher")
    for stage, patterns in STAGES:
        if any(p in file for p in patterns):
            return stage
    return "other"


def grouped_by_stage(stats: pstats.Stats) -> dict[str, float]:
    """Self time summed by stage; a built-in's time is split over its callers."""
    table = stats.stats  # key -> (cc, nc, tottime, cumtime, callers)
    totals: dict[str, float] = {}

    def add(key, seconds, depth=0):
        stage = stage_of(key)
        if stage is None and depth < 5:
            callers = table.get(key, (0, 0, 0, 0, {}))[4]
            edge_total = sum(edge[2] for edge in callers.values())
            for caller, edge in callers.items():
                add(caller, seconds * (edge[2] / edge_total if edge_total else 1 / len(callers)), depth + 1)
            if callers:
                return
        stage = stage or "other"
        totals[stage] = totals.get(stage, 0) + seconds

    for key, (_, _, tottime, _, _) in table.items():
        if tottime:
            add(key, tottime)
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def short(key) -> str:
    file, line, function = key
    if file == "~":
        return function
    for marker in ("site-packages/", str(PROJECT) + "/", str(ROOT) + "/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{file}:{line}({function})"


# ---------------------------------------------------------------- 8. cluster

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackCluster:
    """A Dask scheduler and worker processes on 127.0.0.1, started with Dask's own
    commands as a print coordinator would on their machines (one thread a worker)."""

    def __init__(self, work: Path, workers: int):
        work.mkdir(parents=True, exist_ok=True)
        dask = str(VENV / "bin" / "dask")
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        commands = [[dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]]
        commands += [[dask, "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                      "--no-dashboard"] for _ in range(workers)]
        self.processes = [subprocess.Popen(c, cwd=work, env=ENV, stdout=subprocess.DEVNULL,
                                           stderr=open(work / f"{c[1]}-{n}.log", "w"))
                          for n, c in enumerate(commands)]
        from distributed import Client

        with Client(self.address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=60)

    def kill_worker(self, number: int) -> None:
        self.processes[number].kill()

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()


def manifest_consistent(folder: Path) -> bool:
    """Every file the manifest lists is there with its sha256, and nothing else."""
    manifest = json.loads((folder / "manifest.json").read_text())
    listed = {e["path"]: e["sha256"] for e in manifest["outputs"]}
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*.pdf")}
    return on_disk == set(listed) and all(
        hashlib.sha256((folder / path).read_bytes()).hexdigest() == sha for path, sha in listed.items())


def section_cluster(work: Path):
    """The same batch through the local pool (--jobs 2) and through a loopback Dask
    cluster of two worker processes (--cluster); then a cluster run with a worker
    killed part-way."""
    s, out = "8 cluster", {}
    where = work / "cluster"
    content = batch_content(where, SETTINGS["cluster_districts"])
    documents = len(press_jobs(content, only=BATCH_PRODUCTS))
    slug = content.stem
    cluster = LoopbackCluster(where / "dask", workers=2)
    try:
        on_cluster = ("--cluster", cluster.address)
        # Workers import WeasyPrint on their first job, once in a cluster's life.
        cli_build(content, where / "warm-up", LAYOUTS, extra=(*on_cluster, "--district", "none"))
        local = cli_build(content, where / "local", LAYOUTS)
        remote = cli_build(content, where / "remote", LAYOUTS, extra=on_cluster)
        killed_at = remote["wall_s"] * 0.4
        killed = cli_build(content, where / "killed", LAYOUTS, extra=on_cluster,
                           meanwhile=lambda: (time.sleep(killed_at), cluster.kill_worker(2)))
    finally:
        cluster.close()

    def shas(name):
        return {e["path"]: e["sha256"] for e in
                json.loads((where / name / slug / "manifest.json").read_text())["outputs"]}

    out.update(documents=documents, local=local, cluster=remote, killed=killed, killed_at_s=killed_at,
               ratio=local["wall_s"] / remote["wall_s"], same_bytes=shas("local") == shas("remote"),
               killed_consistent=manifest_consistent(where / "killed" / slug),
               killed_same_bytes=shas("killed") == shas("local"))
    DATA["sections"]["cluster"] = out
    row(s, "documents in the batch", documents)
    row(s, "local pool, --jobs 2 (CLI wall)", local["wall_s"], "s", f"{documents / local['wall_s']:.2f} docs/s")
    row(s, "--cluster, 2 worker processes on loopback", remote["wall_s"], "s",
        f"{documents / remote['wall_s']:.2f} docs/s, built {remote['built']}, failed {remote['failed']}")
    row(s, "throughput, cluster / local pool", out["ratio"], "x", target=(">=", 0.9))
    row(s, "cluster bytes = local bytes (manifest sha256)", out["same_bytes"], "", target=("==", True))
    row(s, "worker killed at 40 %: build completes", killed["exit_code"] == 0 and killed["failed"] == 0, "",
        f"{killed['wall_s']:.1f} s, built {killed['built']}, failed {killed['failed']}", target=("==", True))
    row(s, "worker killed: manifest matches files, same bytes", out["killed_consistent"] and out["killed_same_bytes"],
        "", target=("==", True))


# ---------------------------------------------------------------- 9. national

def national_content(where: Path, forces: int, districts: int) -> Path:
    """One campaign file per synthetic force, each with its own synthetic districts."""
    import yaml

    data = yaml.safe_load(CAMPAIGN.read_text(encoding="utf-8"))
    folder = where / "content"
    folder.mkdir(parents=True)
    for force in range(1, forces + 1):
        data["variants"] = {"districts": {
            "products": BATCH_PRODUCTS,
            "copies": {"poster": 20, "leaflet-a5": 500},
            "items": [{"name": f"Force {force:02d} District {n:02d}"} for n in range(1, districts + 1)],
        }}
        (folder / f"force-{force:02d}.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                                                        encoding="utf-8")
    return folder


def section_national(work: Path):
    """Every force's campaign at once (synthetic forces x districts), --jobs 2."""
    s, out = "9 national", {}
    forces, districts = SETTINGS["national"]
    content = national_content(work / "national", forces, districts)
    full = cli_build(content, work / "national" / "out", LAYOUTS, SETTINGS["rss_interval_s"])
    documents = full["built"] + full["unchanged"] + full["failed"]
    memory = full["memory"]
    out.update(forces=forces, districts=districts, documents=documents, build=full)
    DATA["sections"]["national"] = out
    row(s, f"{forces} forces x {districts} districts: documents", documents, "",
        f"built {full['built']}, failed {full['failed']}, preflight errors {full['errors']}")
    row(s, "wall time (CLI --jobs 2)", full["wall_s"], "s")
    row(s, "documents per second", documents / full["wall_s"], "docs/s")
    peaks = list(memory["peak_rss_per_worker_mib"].values())
    if peaks:
        row(s, "peak RSS per worker (VmHWM), max", max(peaks), "MiB", f"{len(peaks)} workers over the run; "
            f"CLI parent {memory['cli_parent_peak_mib']:.0f} MiB")
    if memory.get("slope_mib_per_s") is not None:
        per_doc = memory["slope_mib_per_s"] * 1024 / (documents / full["wall_s"] / 2)
        out["worker_growth_kib_per_document"] = per_doc
        # A sawtooth (fresh workers every 100 jobs each, products largest first), warm-up
        # dominated in a quick run: the target is judged in one worker (3 batch).
        row(s, "worker RSS growth per document, CLI run", per_doc, "KiB",
            "linear fit of the live workers' mean RSS after the first 10 %; target: see 3 batch, one worker")


# ---------------------------------------------------------------- 7. studio

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


def section_profile():
    from pipeline.content import load_campaigns
    from pipeline.layouts import render_html
    from pipeline.plan import load_layouts, load_profiles, plan, select_profiles
    from pipeline.preflight import preflight
    from pipeline.render import render_pdf

    def one_poster():
        jobs = plan(load_campaigns([CAMPAIGN]), load_layouts(), select_profiles(load_profiles(), "press"),
                    only=["poster"], districts=["none"], partners=["none"], languages=["none"])
        job = next(j for j in jobs if j.size == "A3")
        html = render_html(job)
        preflight(job, html, render_pdf(job, html))

    one_poster()  # warm-up: imports and first-use caches, as in a worker after its first job
    profiler = cProfile.Profile()
    profiler.enable()
    one_poster()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(v[2] for v in stats.stats.values())
    top = sorted(((k, v) for k, v in stats.stats.items() if not k[0].endswith("bench/run.py")),
                 key=lambda kv: -kv[1][3])[:15]
    stages = grouped_by_stage(stats)
    DATA["sections"]["profile"] = {
        "total_s": total,
        "top15_cumulative": [{"function": short(k), "calls": v[1], "self_s": v[2], "cumulative_s": v[3]}
                             for k, v in top],
        "stages_s": stages,
        "stages_pct": {k: v / total * 100 for k, v in stages.items()},
    }
    s = "6 profile"
    row(s, "one A3 poster under cProfile (load → preflight)", total, "s", "profiler overhead included")
    for stage, seconds in stages.items():
        row(s, f"  {stage}", seconds, "s", f"{seconds / total * 100:.1f} %")


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
