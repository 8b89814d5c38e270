"""Running jobs: HTML -> PDF -> preflight -> atomic write (+ imposed sheets), in
parallel, skipping jobs whose inputs have not changed; then per campaign the
manifest (JSON and CSV), the print order and the preflight report.

A job that fails does not stop the others; its earlier PDF stays as it was.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from multiprocessing import get_context
from pathlib import Path

from jinja2 import meta

from . import __version__
from .layouts import environment, media_bleed_mm, render_html
from .plan import ASSETS, COLOUR, ROOT, Job
from .problems import PipelineError, Problem
from .report import thumbnail_name, write_reports

PIPELINE_SOURCE = Path(__file__).resolve().parent
WORKER_JOBS = 100  # jobs a worker process runs before a fresh one takes over
FONTS = ROOT / "fonts"


@dataclass
class Output:
    """One PDF of this build (built now, or kept from an earlier build: `cached`)."""

    job: Job | None  # None only while travelling back from a worker
    sha256: str
    pages: int
    problems: list[Problem]
    input_hash: str
    imposed: dict | None = None  # the manifest entry of its imposed press sheet
    cached: bool = False

    def manifest_entries(self) -> list[dict]:
        job = self.job
        width, height = job.trim_mm
        bleed, media = job.profile.spec.bleed_mm, media_bleed_mm(job)
        entry = {
            "path": job.output,
            "product": job.product,
            "size": job.size,
            **_variant_fields(job),
            "output": job.profile.spec.output,
            "pages": self.pages,
            "trim_mm": [width, height],
            "bleed_mm": bleed,
            "boxes_mm": {
                "trim": [width, height],
                "bleed": [width + 2 * bleed, height + 2 * bleed],
                "media": [width + 2 * media, height + 2 * media],
            },
            "sha256": self.sha256,
            "copies": job.copies if job.profile.spec.output == "print" else None,
            "input_hash": self.input_hash,
            "preflight": {"errors": sum(p.level == "error" for p in self.problems),
                          "warnings": sum(p.level == "warning" for p in self.problems)},
        }
        return [entry] + ([self.imposed] if self.imposed else [])


def _variant_fields(job: Job) -> dict:
    """The manifest fields that say which variant, profile and link a file is."""
    return {
        "variant": job.variant,
        "district": job.district.name if job.district else None,
        "partner": job.partner.id if job.partner else None,
        "language": job.language or job.source.campaign.language,
        "statistic": job.statistic,
        "profile": job.profile.name,
        "pdf_variant": job.profile.spec.pdf_variant,
        "qr_url": job.qr_url,
    }


@dataclass
class BuildResult:
    outputs: list[Output] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    built: int = 0
    cached: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # mkstemp makes 0600 files; outputs are for everyone to read


def write_atomically(target: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, then rename: never a half-written file,
    and the earlier file stays whole until the new one is complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- the cache

def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=None)
def _folder_hash(folder: Path, pattern: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.glob(pattern)):
        digest.update(path.name.encode() + _file_hash(path).encode())
    return digest.hexdigest()


@lru_cache(maxsize=None)
def _template_files(folder: Path, template: str) -> tuple[str, ...]:
    """The template and every template it imports or includes, recursively."""
    env = environment(folder)
    seen, todo = [], [template]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        source = env.loader.get_source(env, name)[0]
        todo += [n for n in meta.find_referenced_templates(env.parse(source)) if n]
    return tuple(sorted(seen))


def input_hash(job: Job) -> str:
    """Everything a job's PDF depends on: its content (and only its own variant),
    templates, stylesheets, products/colours, fonts, assets, profile, ICC, pipeline."""
    layouts = job.layouts.folder
    campaign = job.source.campaign.model_dump(mode="json", exclude={"variants"})
    parts = {
        "pipeline": [__version__, _folder_hash(PIPELINE_SOURCE, "*.py")],
        "job": [job.product, job.size, job.statistic, job.output],
        "campaign": campaign,
        "district": job.district.model_dump(mode="json") if job.district else None,
        "partner": job.partner.model_dump(mode="json") if job.partner else None,
        "product": job.spec.model_dump(mode="json"),
        "colours": {k: v.model_dump(mode="json") for k, v in job.layouts.colours.items()},
        "profile": job.profile.spec.model_dump(mode="json"),
        "files": [_file_hash(layouts / name) for name in
                  (*_template_files(layouts, job.spec.template), *job.stylesheets)],
        "fonts": _folder_hash(FONTS, "*.ttf"),
        "logo": _file_hash(ASSETS / job.partner.logo) if job.partner else None,
        "icc": _file_hash(COLOUR / job.profile.spec.output_intent.icc) if job.profile.spec.output_intent else None,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


# ---------------------------------------------------------------- one job

def build_job(job: Job, out_dir: Path, write_pdf: bool = True, key: str | None = None) -> Output:
    """Render one job, preflight it and (unless only checking) write its PDF, its
    imposed sheet and its report thumbnails. Raises PipelineError when it cannot be
    rendered at all. Runs in a worker process: WeasyPrint is imported here only."""
    from .preflight import preflight
    from .render import render_error, render_pdf

    key = key or input_hash(job)
    html = render_html(job)
    try:
        rendered = render_pdf(job, html)
    except Exception as exc:  # WeasyPrint raises many types; the user needs one message
        raise render_error(job, exc) from exc
    try:
        problems, thumbnails = preflight(job, html, rendered)
    except Exception as exc:  # a bug in a check must not lose the other outputs
        problems, thumbnails = [Problem("error", job.output, f"preflight could not finish: {exc!r}",
                                        "report this to the pipeline's maintainers", check="preflight")], []
    folder = out_dir / job.source.slug
    for number, png in enumerate(thumbnails, 1):
        write_atomically(folder / thumbnail_name(job.output, number), png)
    imposed = None
    if write_pdf:
        write_atomically(folder / job.output, rendered.pdf)
        if job.spec.impose and job.profile.spec.output == "print":
            imposed = _impose(job, rendered.pdf, folder)
    return Output(job, hashlib.sha256(rendered.pdf).hexdigest(), rendered.pages, problems, key, imposed)


def _impose(job: Job, pdf: bytes, folder: Path) -> dict:
    from .impose import Imposition, impose

    spec = job.spec.impose
    sheet = impose(pdf, Imposition(tuple(spec.sheet_mm), spec.columns, spec.rows, job.profile.spec.bleed_mm),
                   title=f"{job.source.campaign.name}: {job.name}, {spec.columns * spec.rows}-up")
    path = f"{job.folder}{job.base_name}{job.profile.suffix}-imposed-{spec.name}.pdf"
    write_atomically(folder / path, sheet)
    return {"path": path, "product": f"imposed-{job.product}", "size": spec.name, **_variant_fields(job),
            "output": "print", "pages": job.spec.pages, "trim_mm": list(spec.sheet_mm), "bleed_mm": 0,
            "boxes_mm": {"trim": list(spec.sheet_mm), "bleed": list(spec.sheet_mm), "media": list(spec.sheet_mm)},
            "sha256": hashlib.sha256(sheet).hexdigest(), "copies": None,
            "imposed_from": job.output, "up": spec.columns * spec.rows}


# ---------------------------------------------------------------- the batch

def build(jobs: list[Job], out_dir: Path, write_pdfs: bool = True, workers: int | None = None,
          force: bool = False, progress: bool = False) -> BuildResult:
    """Every job (in parallel), skipping unchanged ones; then per campaign the
    manifest, CSV, print order (when writing PDFs) and the preflight reports."""
    result = BuildResult()
    earlier = {slug: _earlier(out_dir / slug) for slug in {j.source.slug for j in jobs}}
    todo, done, failed = [], {}, {}  # by position in `jobs` (jobs hold lists, so are not hashable)
    keys = [input_hash(job) for job in jobs]  # once here, handed to the workers
    for index, job in enumerate(jobs):
        entry, problems = earlier[job.source.slug].get(job.output, (None, None))
        if write_pdfs and not force and entry and _unchanged(entry, job, keys[index], out_dir):
            done[index] = Output(job, entry["sha256"], entry["pages"], problems, entry["input_hash"],
                                 _imposed_entry(earlier[job.source.slug], job.output), cached=True)
        else:
            todo.append(index)
    for index, outcome in _run([(i, jobs[i], keys[i]) for i in todo], out_dir, write_pdfs, workers, progress):
        if isinstance(outcome, Output):
            done[index] = outcome
        else:
            failed[index] = outcome
    result.cached = sum(o.cached for o in done.values())
    result.built = len(done) - result.cached
    for slug, group in groupby(range(len(jobs)), key=lambda i: jobs[i].source.slug):
        group = list(group)
        outputs = [done[i] for i in group if i in done]
        failures = [p for i in group for p in failed.get(i, [])]
        problems = failures + [p for o in outputs for p in o.problems]
        entries = [e for o in outputs for e in o.manifest_entries()]
        folder = out_dir / slug
        if write_pdfs and outputs:
            entries = _merge(earlier[slug], outputs, folder)
            write_manifest(folder, outputs[0].job, entries, write_atomically)
            problems = failures + _merged_problems(earlier[slug], outputs, entries)
        write_reports(folder, slug, entries, problems, write_atomically)
        result.outputs += outputs
        result.problems += failures + [p for o in outputs for p in o.problems]
    return result


def _run(jobs: list[tuple[int, Job, str]], out_dir: Path, write_pdfs: bool, workers: int | None, progress: bool):
    """(index, Output or list of problems) for every (index, job, input hash), as they finish."""
    if not jobs:
        return
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    bar = _progress(len(jobs), progress)
    try:
        if workers == 1:
            for index, job, key in jobs:
                yield index, _attempt(job, key, out_dir, write_pdfs, in_worker=False)
                bar.update()
            return
        # Largest first, so no long job starts last while the other worker idles.
        jobs = sorted(jobs, key=lambda item: -_cost(item[1]))
        # Load WeasyPrint once here; forked workers inherit it. A fresh pool every
        # WORKER_JOBS jobs a worker keeps memory flat: WeasyPrint keeps a little per
        # document. (Not max_tasks_per_child: on Python 3.11 to 3.13 it can deadlock,
        # CPython issue 115634.)
        from . import impose, preflight, render  # noqa: F401
        chunk = workers * WORKER_JOBS
        for start in range(0, len(jobs), chunk):
            with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
                futures = {pool.submit(_attempt, job, key, out_dir, write_pdfs): (index, job)
                           for index, job, key in jobs[start:start + chunk]}
                for future in as_completed(futures):
                    index, job = futures[future]
                    outcome = future.result()
                    if isinstance(outcome, Output):
                        outcome.job = job  # sent back without it: see _attempt
                    yield index, outcome
                    bar.update()
    finally:
        bar.close()


def _cost(job: Job) -> float:
    """A job's rough render cost: printed area times pages (rasters and text scale with it)."""
    width, height = job.trim_mm
    return width * height * job.spec.pages


def _attempt(job: Job, key: str, out_dir: Path, write_pdfs: bool, in_worker: bool = True):
    try:
        output = build_job(job, out_dir, write_pdfs, key)
    except PipelineError as exc:
        return exc.problems
    if in_worker:
        # The parent has the job already; sending it back would unpickle a copy of
        # the whole campaign per PDF into the parent (tens of MB over a large batch).
        output.job = None
    return output


def _progress(total: int, wanted: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="pdf", desc="building", file=sys.stderr,
                disable=not wanted or not sys.stderr.isatty(), dynamic_ncols=True)


# ---------------------------------------------------------------- manifest and reports

def _earlier(folder: Path) -> dict[str, tuple[dict, list[Problem]]]:
    """The previous build's manifest entries and preflight problems, by path."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        report = json.loads((folder / "preflight.json").read_text())
    except (OSError, ValueError):
        return {}
    problems: dict[str, list[Problem]] = {}
    for p in report.get("problems", []):
        problems.setdefault(p["file"], []).append(Problem(**{**p, "box_mm": tuple(p["box_mm"]) if "box_mm" in p else None}))
    return {e["path"]: (e, problems.get(e["path"], [])) for e in manifest.get("outputs", [])}


def _imposed_entry(earlier: dict, path: str) -> dict | None:
    return next((e for e, _ in earlier.values() if e.get("imposed_from") == path), None)


def _unchanged(entry: dict, job: Job, key: str, out_dir: Path) -> bool:
    folder = out_dir / job.source.slug
    pdf = folder / job.output
    if entry.get("input_hash") != key or not pdf.is_file():
        return False
    thumbnails = [folder / thumbnail_name(job.output, n) for n in range(1, entry["pages"] + 1)]
    return _file_hash(pdf) == entry["sha256"] and all(t.is_file() for t in thumbnails)


def _merge(earlier: dict, outputs: list[Output], folder: Path) -> list[dict]:
    """This build's entries, plus earlier ones whose files are still there (a build
    of a subset keeps the rest of the folder listed)."""
    entries = {e["path"]: e for o in outputs for e in o.manifest_entries()}
    for path, (entry, _) in earlier.items():
        if path not in entries and (folder / path).is_file():
            entries[path] = entry
    return [entries[p] for p in sorted(entries)]


def _merged_problems(earlier: dict, outputs: list[Output], entries: list[dict]) -> list[Problem]:
    built = {o.job.output for o in outputs}
    problems = [p for o in outputs for p in o.problems]
    for entry in entries:
        if entry["path"] not in built and entry["path"] in earlier:
            problems += earlier[entry["path"]][1]
    return problems


MANIFEST_COLUMNS = ["path", "product", "size", "district", "partner", "language", "statistic", "profile",
                    "pdf_variant", "pages", "trim_mm", "copies", "sha256", "qr_url"]


def write_manifest(folder: Path, job: Job, entries: list[dict], write) -> None:
    """manifest.json, manifest.csv (for a print buyer) and print-order.csv."""
    manifest = {"campaign": job.source.slug, "name": job.source.campaign.name,
                "pipeline_version": __version__, "outputs": entries}
    write(folder / "manifest.json", (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    write(folder / "manifest.csv", _csv(MANIFEST_COLUMNS, entries))
    write(folder / "print-order.csv", _csv(
        ["district", "partner", "language", "product", "size", "copies", "path"],
        [e for e in entries if e["output"] == "print" and e.get("copies") and not e.get("imposed_from")]))


def _csv(columns: list[str], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("x".join(f"{v:g}" for v in row[k]) if isinstance(row.get(k), list) else row.get(k))
                         for k in columns})
    return out.getvalue().encode()
