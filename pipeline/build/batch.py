"""A build: every job made (in parallel, local worker processes or a Dask cluster) or kept
when unchanged, then per campaign the manifest and reports, all in a new generation."""
from __future__ import annotations

import gc
import hashlib
import itertools
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

from ..plan import Job
from ..problems import PipelineError, Problem
from ..report import write_reports
from ..webpage import WebPage
from .cache import file_hash, forget_file_hashes, input_hashes, web_input_hash
from .generations import Generation, output_lock
from .manifest import (Output, beside_entries, deliver, earlier_entries, imposed_entry, merge, merged_problems,
                       unchanged, write_manifest)
from .progress import progress_bar
from .store import hold, inside, system_error, write_atomically
from .worker import Made, attempt, cost, failure, worker_died


# Jobs a worker process runs before a fresh one takes over. A worker grows about 8 KiB a
# document (bench, batch section) since each job gives its freed memory back
# (worker.give_back_memory); a fresh one costs about 0.4 s of warming up.
WORKER_JOBS = 250


@dataclass
class BuildResult:
    outputs: list[Output] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    built: int = 0
    cached: int = 0
    rejected: int = 0
    pages: list[WebPage] = field(default_factory=list)  # web pages made or kept (webpage.py)
    pages_built: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


def build(jobs: list[Job], out_dir: Path, write_pdfs: bool = True, workers: int | None = None,
          force: bool = False, progress: bool = False, wait: bool = False,
          on_progress: Callable[[int, int], None] | None = None, cluster: str | None = None,
          pages: list[WebPage] | None = None) -> BuildResult:
    """Every job (in parallel), skipping unchanged ones; then per campaign the
    manifest, CSV, print order (when writing PDFs) and the preflight reports, all
    in a new generation of the campaign's folder that replaces the old in one step.
    Jobs are made by local worker processes, or by the workers of the Dask cluster
    whose scheduler is at `cluster` (e.g. tcp://print-1:8786); either way this
    process writes every file. `progress` shows a bar in a terminal;
    `on_progress(done, total)` is called as jobs finish (the portal's progress).
    `pages`: the accessible web pages to make beside the PDFs (webpage.plan_pages)."""
    pages = pages or []
    if not write_pdfs:
        _not_a_build_folder(out_dir, dict.fromkeys([j.source.slug for j in jobs] + [p.source.slug for p in pages]))
    with output_lock(out_dir, wait):
        slugs = dict.fromkeys([j.source.slug for j in jobs] + [page.source.slug for page in pages])
        generations = {slug: Generation(out_dir, slug) for slug in slugs}
        try:
            folders = {slug: g.begin() for slug, g in generations.items()}
            hold("begun")
            result = _build(jobs, folders, write_pdfs, workers, force, progress, on_progress, cluster, pages)
            hold("written")
            for generation in generations.values():
                generation.commit()
        except OSError as exc:  # a full or read-only disk: the folder stays as it was
            for generation in generations.values():
                generation.abandon()
            raise PipelineError([system_error(exc, out_dir)]) from None
        except BaseException:
            for generation in generations.values():
                generation.abandon()
            raise
    return result


def _not_a_build_folder(out_dir: Path, slugs) -> None:
    """A report-only run (preflight) never writes into a build's folder: its report
    would replace the one printers read beside the PDFs."""
    for folder in (out_dir, *(out_dir / slug for slug in slugs)):
        if (folder / "manifest.json").is_file():
            raise PipelineError([Problem(
                "error", str(folder), "holds a build (manifest.json): preflight does not write its report "
                "into the folder printers take from",
                "leave out --out (the report goes to output/preflight/), or give a folder no build writes to")])


def _build(jobs: list[Job], folders: dict[str, Path], write_pdfs: bool, workers: int | None,
           force: bool, progress: bool, on_progress, cluster: str | None,
           pages: list[WebPage] = ()) -> BuildResult:
    result = BuildResult()
    earlier = {slug: earlier_entries(folder) for slug, folder in folders.items()}
    todo, done, failed = [], {}, {}  # by position in `jobs` (jobs hold lists, so are not hashable)
    forget_file_hashes()  # kept for one build: files may have changed since the last in this process
    keys = input_hashes(jobs)
    for index, job in enumerate(jobs):
        folder = folders[job.source.slug]
        entry, problems = earlier[job.source.slug].get(job.output, (None, None))
        if write_pdfs and not force and entry and unchanged(entry, job, keys[index], folder):
            kept = [p for p in problems if p.check != "stand-in"]  # notes() says it again
            done[index] = Output(job, entry["sha256"], entry["pages"], kept, entry["input_hash"],
                                 imposed_entry(earlier[job.source.slug], job.output),
                                 beside_entries(earlier[job.source.slug], job.output), cached=True)
        else:
            todo.append(index)
    bar = progress_bar(len(todo), progress)
    try:
        for index, outcome in _run([(i, jobs[i]) for i in todo], keys, write_pdfs, workers, cluster):
            job = jobs[index]
            if isinstance(outcome, Made):
                try:
                    outcome = deliver(job, outcome, keys[index], folders[job.source.slug])
                    hold("delivered")
                except Exception as exc:  # e.g. a full disk: this job's failure; the manifest decides the rest
                    outcome = failure(job, exc, writing=True)
            if isinstance(outcome, Output):
                done[index] = outcome
                result.rejected += outcome.rejected
            else:
                failed[index] = outcome
            if failed or result.rejected:
                bar.set_postfix_str(f"{len(failed)} failed, {result.rejected} rejected", refresh=False)
            bar.update()
            if on_progress:
                on_progress(len(done) + len(failed), len(jobs))
    finally:
        bar.close()
    result.cached = sum(o.cached for o in done.values())
    result.built = len(done) - result.cached
    for slug, folder in folders.items():
        group = [i for i in range(len(jobs)) if jobs[i].source.slug == slug]
        mine = [page for page in pages if page.source.slug == slug]
        web, failures = _web_pages(mine, folder, earlier[slug], write_pdfs, force, result)
        outputs = [done[i] for i in group if i in done]
        failures += [p for i in group for p in failed.get(i, [])]
        notes = [p for o in outputs for p in o.notes()]
        if write_pdfs:
            merged = {e["path"]: e for e in merge(earlier[slug], outputs, folder) + web}
            entries = [merged[path] for path in sorted(merged)]
            if entries:
                write_manifest(folder, jobs[group[0]] if group else mine[0], entries, write_atomically)
            problems = failures + merged_problems(earlier[slug], outputs, entries) + notes
        else:
            entries = [e for o in outputs for e in o.manifest_entries()]
            problems = failures + [p for o in outputs for p in o.problems] + notes
        write_reports(folder, slug, entries, problems, write_atomically)
        result.outputs += outputs
        result.problems += failures + [p for o in outputs for p in o.problems] + notes
    return result


def _web_pages(pages: list[WebPage], folder: Path, earlier: dict, write: bool, force: bool,
               result: BuildResult) -> tuple[list[dict], list[Problem]]:
    """Make (or keep, when their inputs have not changed) the web pages of one
    campaign's folder: their manifest entries and their problems. Made here, not in
    a worker: a page is a template rendering, milliseconds."""
    from ..webpage import make, manifest_entries

    entries, problems = [], []
    for page in pages:
        key = web_input_hash(page)
        kept = [earlier.get(path, (None, None))[0] for path in (page.output, page.text_output)]
        if write and not force and all(e and e.get("input_hash") == key for e in kept) and all(
                (folder / e["path"]).is_file() and not (folder / e["path"]).is_symlink()
                and file_hash(folder / e["path"]) == e["sha256"] for e in kept):
            entries += kept
            result.pages.append(page)
            continue
        try:
            html, text = make(page)
        except PipelineError as exc:
            problems += [replace(p, file=p.file or page.output) for p in exc.problems]
            continue
        if write:
            try:
                write_atomically(inside(folder, page.output), html)
                write_atomically(inside(folder, page.text_output), text)
            except OSError as exc:
                problems.append(system_error(exc, folder))
                continue
            entries += manifest_entries(page, hashlib.sha256(html).hexdigest(), hashlib.sha256(text).hexdigest(), key)
        result.pages.append(page)
        result.pages_built += 1
    return entries, problems


def _run(runs: list[tuple[int, Job]], keys: list[str], write_pdfs: bool, workers: int | None,
         cluster: str | None):
    """(index, Made or list of problems) for every (index, job), as they finish."""
    if not runs:
        return
    if cluster:
        from ..cluster import run_on_cluster

        yield from run_on_cluster(cluster, runs, keys, write_pdfs)
        return
    workers = max(1, min(workers or os.cpu_count() or 1, len(runs)))
    if workers == 1:
        for index, job in runs:
            yield index, attempt(job, write_pdfs)
        return
    # Largest first, so no long job starts last while the other worker idles.
    runs = sorted(runs, key=lambda run: -cost(run[1]))
    # Load WeasyPrint once here; forked workers inherit it. Fresh pools (about
    # WORKER_JOBS jobs a worker) bound what a worker keeps. (Not max_tasks_per_child:
    # on Python 3.11 to 3.13 it can deadlock, CPython issue 115634.)
    from .. import impose, inputs, preflight, render  # noqa: F401
    inputs.public_suffix("police.uk")  # the Public Suffix List parsed once, here (0.1 s a worker)
    # Pools of about WORKER_JOBS jobs a worker, as even as the jobs allow: a few jobs
    # over (504 of a 500-job pool) do not start fresh workers of their own.
    pools = max(1, round(len(runs) / (workers * WORKER_JOBS)))
    size, more = divmod(len(runs), pools)
    start = 0
    for number in range(pools):
        end = start + size + (number < more)
        crashed = yield from _pool(runs[start:end], workers, write_pdfs)
        start = end
        # A worker died (out of memory, a crash in a library): the jobs it took
        # down with it run again, each in a worker of its own, to find the culprit.
        for run in crashed:
            yield from _pool([run], 1, write_pdfs, last_try=True)


# The jobs of each pool at work (a build in another thread has its own), by index. The
# pool's workers are forked with them, so a job goes to its worker as its index, not
# pickled (40 KiB a job), and a worker's jobs share their campaign's objects, and so what
# the worker keeps by them (the templates' data, layouts._model_data: 5 ms a job when
# each job came with a copy of its own).
_forked: dict[int, dict[int, Job]] = {}
_pools = itertools.count()


def _attempt(pool: int, index: int, write_pdfs: bool) -> Made | list[Problem]:
    """`attempt` in a worker, of a job it was forked with."""
    return attempt(_forked[pool][index], write_pdfs)


def _pool(runs: list[tuple[int, Job]], workers: int, write_pdfs: bool, last_try: bool = False):
    """Make `runs` in a fresh pool; yield their outcomes; return the runs lost to a dead worker."""
    crashed, number = [], next(_pools)
    _forked[number] = dict(runs)  # before the pool forks its workers, at the first submit
    # What the workers inherit (modules, content, jobs) mostly lives as long as they do: frozen,
    # their full collections skip it (and leave its pages shared). Collected again here
    # once the pool is done.
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            futures = {pool.submit(_attempt, number, index, write_pdfs): (index, job) for index, job in runs}
            for future in as_completed(futures):
                # Let go of the future once read: it holds the job's PDF and thumbnails,
                # a chunk's worth (hundreds of MiB) in the parent otherwise.
                index, job = futures.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    if not last_try:
                        crashed.append((index, job))
                        continue
                    outcome = worker_died(job)
                yield index, outcome
    finally:
        del _forked[number]
        gc.unfreeze()
    return crashed
