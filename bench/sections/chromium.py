"""Section 2, chromium: the same posters printed by headless Chromium (one process, a
DevTools pipe) beside the pipeline.
"""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import common
from common import (
    CHROMIUM_FLAGS, DATA, SETTINGS, SMOKE, batch_content, press_jobs, row, run_timed, spread_text, summarise,
    with_qr_svg)
from procs import tree_cpu_s


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


def chromium_html(job, html: str) -> str:
    """The final HTML with the profile's CSS inlined and the QR code as an SVG. Chromium
    has no device-cmyk(): the brand colours' RGB twins follow, so the page looks the same."""
    from pipeline.profilecss import colour_value, profile_css

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
    files = [common.LAYOUTS / f".bench-{os.getpid()}-{i}.html" for i in range(len(jobs))]
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

    # The render alone (render_html + render_pdf), the same posters, after the rounds.
    from pipeline.render import render_pdf_of

    render_rounds = []
    for _ in range(1 if SMOKE else 3):
        started = time.perf_counter()
        for job in jobs:
            render_pdf_of(job, render_html(job))
        render_rounds.append((time.perf_counter() - started) / len(jobs))
    out["render_per_poster"] = statistics.median(render_rounds)
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
        # Issues 15 and 26: a poster of a batch against a warm browser's time per poster once started.
        out["ratio_pipeline_chromium_steady"] = out["pipeline_per_poster"] / one["steady"]["median"]
        row(s, "pipeline / Chromium (one process, steady state)", out["ratio_pipeline_chromium_steady"], "x",
            f"{out['pipeline_per_poster']:.3f} s / {one['steady']['median']:.3f} s", target=("<=", 0.8))
        # What the browser does (HTML to PDF) against the same part of the pipeline: template,
        # WeasyPrint and the finisher, no fitting, preflight or files.
        out["ratio_render_chromium_steady"] = out["render_per_poster"] / one["steady"]["median"]
        row(s, "the pipeline's render alone / Chromium (steady state)", out["ratio_render_chromium_steady"], "x",
            f"{out['render_per_poster']:.3f} s / {one['steady']['median']:.3f} s")
        if one.get("steady_cpu"):
            # CPU seconds of every Chromium process (browser, renderer, GPU) per poster: it
            # spreads a print over several processes, so its wall time may use both cores.
            out["ratio_pipeline_chromium_steady_cpu"] = out["pipeline_cpu_per_poster"] / one["steady_cpu"]["median"]
            row(s, "the same in CPU time", out["ratio_pipeline_chromium_steady_cpu"], "x",
                f"{out['pipeline_cpu_per_poster']:.3f} s / {one['steady_cpu']['median']:.3f} s")


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
