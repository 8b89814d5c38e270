"""Section 3, batch: a full build of synthetic districts (throughput, speed-up with two
workers, memory of the workers and WeasyPrint's growth per document).
"""
from __future__ import annotations

import json
import resource
from pathlib import Path

import common
from common import (
    BATCH_PRODUCTS, DATA, PYTHON, QUICK, SETTINGS, batch_content, layouts_copy, press_jobs, row, run_timed,
    timed)
from procs import cli_build


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
import ctypes, json, os, statistics, sys, time
from itertools import zip_longest
from pathlib import Path
from pipeline.build import make, worker
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
class MallInfo2(ctypes.Structure):  # glibc >= 2.33: the C heap in use, as against RSS
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
mallinfo2 = getattr(ctypes.CDLL(None), "mallinfo2", None)
if mallinfo2 is not None:
    mallinfo2.restype = MallInfo2
def heap():
    info = mallinfo2()
    return (info.uordblks + info.hblkhd) / 1024
# The CPU of the malloc_trim each job ends with (pipeline/build/worker.py), after warm-up.
trim, trim_cpu = worker.MALLOC_TRIM, [0.0]
def timed_trim(pad):
    started = time.process_time()
    done = trim(pad)
    trim_cpu[0] += time.process_time() - started
    return done
if trim is not None:
    worker.MALLOC_TRIM = timed_trim
series, in_use, cpu = [], [], 0.0
for index, job in enumerate(jobs):
    if index == start:
        trim_cpu[0], cpu = 0.0, time.process_time()
    make(job)
    series.append(rss())
    if mallinfo2 is not None:
        in_use.append(heap())
cpu = time.process_time() - cpu
slope = statistics.linear_regression(range(start, len(series)), series[start:]).slope
heap_slope = statistics.linear_regression(range(start, len(in_use)), in_use[start:]).slope if in_use else None
print(json.dumps({{"documents": len(series), "start": start, "slope_kib": slope, "series_kib": series,
                  "heap_in_use_slope_kib": heap_slope, "heap_in_use_kib": in_use,
                  "trim_ms_per_document": trim_cpu[0] * 1000 / (len(series) - start) if trim else None,
                  "cpu_ms_per_document": cpu * 1000 / (len(series) - start)}}))
"""


def worker_memory(content: Path, layouts: Path) -> dict:
    """One worker's memory growth after warm-up: a fresh process makes the batch's
    documents one after another (as a pool worker does, with no fresh worker every
    WORKER_JOBS jobs), RSS after each; the slope of a linear fit from document
    `start` on, in KiB per document."""
    start, count = SETTINGS["worker_memory"]
    _, done = run_timed([PYTHON, "-c", WORKER_MEMORY.format(only=BATCH_PRODUCTS), str(content), str(layouts),
                         str(start), str(count)], cwd=common.PROJECT, env=common.ENV, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-800:])
    return json.loads(done.stdout.strip().splitlines()[-1])


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
    # Issue 26: 21 documents/s with the reader's-eye preflight (the 21.2 of a quiet run before
    # it, on an AMD EPYC; issue 15's was 10.2: 1.5x the 6.8 of 2026-11-28).
    row(s, "documents per second (--jobs 2)", len(jobs) / full["wall_s"], "docs/s",
        target=(">=", 21.0) if not QUICK else None)
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
        f"at document {probe['start']}, {series[-1] / 1024:.0f} at the last; linear fit", target=("<=", 10))
    if probe["heap_in_use_slope_kib"] is not None:
        heap = probe["heap_in_use_kib"]
        row(s, "  the same worker's C heap in use (mallinfo2), growth per document", probe["heap_in_use_slope_kib"],
            "KiB", f"{min(heap[probe['start']:]) / 1024:.0f}-{max(heap[probe['start']:]) / 1024:.0f} MiB in use "
            "after each document; linear fit")
    if probe["trim_ms_per_document"] is not None:
        share = probe["trim_ms_per_document"] / probe["cpu_ms_per_document"] * 100
        row(s, "  malloc_trim after each job (worker.give_back_memory): CPU", round(probe["trim_ms_per_document"], 3),
            "ms", f"the call alone, of {probe['cpu_ms_per_document']:.0f} ms a document ({share:.2f} %)")
    out["weasyprint_growth_kib_per_document"] = weasyprint_growth_kib(SETTINGS["leak_probe_docs"])
    row(s, "plain WeasyPrint '<p>hello</p>': RSS per document", out["weasyprint_growth_kib_per_document"],
        "KiB", f"{SETTINGS['leak_probe_docs']} documents, fresh process")
    return {"content": content, "layouts": layouts, "out": work / "batch" / "out", "full": full,
            "documents": len(jobs), "uses_poster_a4": sum("poster-a4.css" in j.stylesheets for j in jobs)}
