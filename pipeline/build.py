"""Running jobs: HTML -> PDF -> preflight (+ imposed sheets) in worker processes, or
on a Dask cluster's workers (`cluster.py`), skipping jobs whose inputs have not
changed; this process writes what they made, then per campaign the manifest (JSON
and CSV), the print order and the preflight report.

What a printer or a partner takes from the output folder is always whole and
consistent, whatever happens to a build:

- one build at a time writes to a folder (a lock; a second build refuses or waits);
- a build writes a complete new *generation* of the campaign's folder beside the
  current one (unchanged files hard-linked, not copied) and switches to it with one
  atomic rename of a symbolic link, so a crash or `kill -9` at any moment leaves
  the previous generation, whose manifest matches its files, in place;
- a job that fails (any exception, a dead worker) is listed and the others go on;
  its earlier PDF stays;
- a PDF that fails preflight never replaces the last good one: it is kept beside it
  as `<name>.rejected.pdf`, listed as rejected, and never enters the print order;
- every path it writes, deletes or locks is one it made inside the output folder: a
  link planted at the lock or the generations is refused, never followed;
- each job runs within the limits of `limits.py`; an operating-system error is one
  message with the path and what to do (`system_error`).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import errno
import fcntl
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

from jinja2 import meta

from . import __version__, limits
from .easyread import picture_files
from .layouts import environment, media_bleed_mm
from .plan import ASSETS, COLOUR, ROOT, Job
from .problems import PipelineError, Problem, RenderError
from .report import thumbnail_name, write_reports
from .webpage import WebPage

from .paths import FONTS, PIPELINE as PIPELINE_SOURCE  # noqa: E402
WORKER_JOBS = 100  # jobs a worker process runs before a fresh one takes over


@dataclass
class Output:
    """One PDF of this build (built now, or kept from an earlier build: `cached`)."""

    job: Job
    sha256: str
    pages: int
    problems: list[Problem]
    input_hash: str
    imposed: dict | None = None  # the manifest entry of its imposed press sheet
    cached: bool = False
    rejected: bool = False  # failed preflight: written beside the last good PDF, never printed

    @property
    def path(self) -> str:
        return self.job.rejected_output if self.rejected else self.job.output

    def notes(self) -> list[Problem]:
        """What the build itself has to say about this output (not a preflight check)."""
        if self.job.stand_in and self.job.profile.spec.output == "print":
            return [Problem("warning", self.path, f"the logo {self.job.partner.logo} is a stand-in: "
                            "this PDF is a proof only and is left out of print-order.csv",
                            "put the partner's real logo in assets/ and name it in the campaign",
                            check="stand-in")]
        return []

    def manifest_entries(self) -> list[dict]:
        job = self.job
        width, height = job.trim_mm
        bleed, media = job.profile.spec.bleed_mm, media_bleed_mm(job)
        entry = {
            "path": self.path,
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
            "print_note": job.spec.print_note if job.profile.spec.output == "print" else None,
            "input_hash": self.input_hash,
            "preflight": {"errors": sum(p.level == "error" for p in self.problems),
                          "warnings": sum(p.level == "warning" for p in self.problems)},
            "rejected": self.rejected,
            "stand_in": job.stand_in,
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
        # The short code in qr_url (?c=...) and what it stands for, for web analysts;
        # None when the campaign does not track its codes (no qr.utm).
        "tracking_code": job.tracking_code if job.tracking else None,
        "tracking": job.tracking,
    }


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
    except OSError as exc:  # a full disk says no file name: name the one being written
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(target)) from None
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


FONT_FORMATS = (".ttf", ".otf", ".woff", ".woff2", ".ttc")


@lru_cache(maxsize=None)
def _fonts_hash(folder: Path) -> str:
    """Every font file in `folder` and below, of every format a stylesheet may load."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in FONT_FORMATS and path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + _file_hash(path).encode())
    return digest.hexdigest()


# What a template or stylesheet loads: url(...) and @import in CSS, src= and href= in HTML.
LOADS = re.compile(r"""url\(\s*["']?([^"')\s]+)|@import\s+["']([^"']+)|\b(?:src|href)\s*=\s*["']([^"'{}]+)""")


@lru_cache(maxsize=None)
def _loaded_files(folder: Path, name: str) -> tuple[tuple[str, str], ...]:
    """(reference, hash) of every local file `name` (a file in the layouts folder)
    loads, and what those stylesheets load in turn: images, fonts, @imports. A
    reference that names no file is kept as missing, so adding the file rebuilds."""
    seen: dict[str, str] = {}
    todo = [folder / name]
    while todo:
        source = todo.pop()
        try:
            text = source.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for match in LOADS.finditer(text):
            ref = next(g for g in match.groups() if g)
            if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", ref, re.I):  # data:, https:, fragments, absolute
                continue
            target = (source.parent / ref.split("#")[0].split("?")[0]).resolve()
            key = str(target)
            if key in seen:
                continue
            seen[key] = _file_hash(target) if target.is_file() else "missing"
            if target.suffix == ".css" and target.is_file():
                todo.append(target)
    return tuple(sorted((ref_key(k, folder), v) for k, v in seen.items()))


def ref_key(path: str, folder: Path) -> str:
    """A loaded file's name relative to the project: the key holds on another machine."""
    target = Path(path)
    for base in (folder.parent, ROOT):
        if target.is_relative_to(base):
            return str(target.relative_to(base))
    return target.name


@lru_cache(maxsize=1)
def renderer_versions() -> dict[str, str]:
    """The renderer and the libraries that shape and draw text: a new version may
    move a line, so it rebuilds."""
    import ctypes
    import ctypes.util
    from importlib.metadata import version

    versions = {"weasyprint": version("weasyprint"), "pydyf": version("pydyf")}
    for name, library, function in (("pango", "pango-1.0", "pango_version_string"),
                                     ("harfbuzz", "harfbuzz", "hb_version_string")):
        try:
            call = getattr(ctypes.CDLL(ctypes.util.find_library(library)), function)
            call.restype = ctypes.c_char_p
            versions[name] = call().decode()
        except (OSError, AttributeError, TypeError):
            versions[name] = "unknown"
    return versions


def forget_file_hashes() -> None:
    """Folder hashes (fonts, pipeline source) and template include lists are kept for
    a whole build; a long-running process (the studio) forgets them after a save."""
    _folder_hash.cache_clear()
    _fonts_hash.cache_clear()
    _loaded_files.cache_clear()
    _template_files.cache_clear()


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
    templates, stylesheets and every file they load, products/colours, fonts of every
    format, assets, profile, ICC, pipeline, and the renderer's library versions."""
    layouts = job.layouts.folder
    campaign = job.source.campaign.model_dump(mode="json", exclude={"variants"})
    parts = {
        "pipeline": [__version__, _folder_hash(PIPELINE_SOURCE, "**/*.py")],
        "job": [job.product, job.size, job.statistic, job.output],
        "campaign": campaign,
        "district": job.district.model_dump(mode="json") if job.district else None,
        "partner": job.partner.model_dump(mode="json") if job.partner else None,
        "product": job.spec.model_dump(mode="json"),
        "colours": {k: v.model_dump(mode="json") for k, v in job.colours.items()},
        "brand": job.source.brand.model_dump(mode="json"),
        "brand_logo": _file_hash(ASSETS / job.source.brand.logo) if job.source.brand.logo else None,
        "profile": job.profile.spec.model_dump(mode="json"),
        "files": [_file_hash(layouts / name) for name in
                  (*_template_files(layouts, job.spec.template), *job.stylesheets)],
        "loads": [_loaded_files(layouts, name) for name in
                  (*_template_files(layouts, job.spec.template), *job.stylesheets)],
        "fonts": _fonts_hash(FONTS),
        "renderer": renderer_versions(),
        "logo": _file_hash(ASSETS / job.partner.logo) if job.partner else None,
        "pictures": [_file_hash(p) for p in picture_files(job.source.campaign.easy_read)] if job.spec.needs else None,
        "icc": _file_hash(COLOUR / job.profile.spec.output_intent.icc) if job.profile.spec.output_intent else None,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def web_input_hash(page: WebPage) -> str:
    """Everything a web page (and its text) depends on: its content, the template
    and every template it includes (web-page.css), the colours, brand and its logo,
    the pipeline."""
    from .webpage import TEMPLATE

    layouts = page.layouts.folder
    parts = {
        "pipeline": [__version__, _folder_hash(PIPELINE_SOURCE, "**/*.py")],
        "campaign": page.source.campaign.model_dump(mode="json", exclude={"variants"}),
        "language": page.source.language,
        "colours": {k: v.model_dump(mode="json") for k, v in page.colours.items()},
        "brand": page.source.brand.model_dump(mode="json"),
        "brand_logo": _file_hash(ASSETS / page.source.brand.logo) if page.source.brand.logo else None,
        "files": [(name, _file_hash(layouts / name)) for name in _template_files(layouts, TEMPLATE)],
        "loads": [_loaded_files(layouts, name) for name in _template_files(layouts, TEMPLATE)],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


# ---------------------------------------------------------------- one job

def inside(folder: Path, relative: str) -> Path:
    """`folder/relative`, refusing any path that would land outside `folder`."""
    path = (folder / relative).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise RenderError([Problem("error", relative, "output path leaves the output folder",
                                   "report this: names are checked when the campaign is loaded")])
    return path


@dataclass
class Made:
    """One job rendered, preflighted and imposed: bytes and results only, so it can be
    made in a local worker or on any machine of a cluster and written by the build's
    own process. `pdf` is None when only checking (preflight)."""

    pdf: bytes | None
    sha256: str
    pages: int
    problems: list[Problem]
    thumbnails: list[bytes]  # PNG per page, for the preflight report
    rejected: bool = False  # failed preflight: goes beside the last good PDF, never printed
    imposed: bytes | None = None  # the press sheet, for products imposed n-up


def make(job: Job, write_pdf: bool = True) -> Made:
    """Render one job, preflight it and impose it, writing nothing. Raises
    PipelineError when it cannot be rendered at all. Runs in a worker process:
    WeasyPrint is imported here only."""
    hold("make")
    from .causes import explain
    from .preflight import preflight
    from .fit import fitted

    html, rendered = fitted(job)
    try:
        problems, thumbnails = preflight(job, html, rendered)
        problems = explain(job, problems, rendered)  # one error per content cause (causes.py)
    except MemoryError:
        raise
    except Exception as exc:  # a bug in a check must not lose the other outputs
        problems, thumbnails = [Problem("error", job.output, f"preflight could not finish: {exc!r}",
                                        "report this to the pipeline's maintainers", check="preflight")], []
    rejected = write_pdf and any(p.level == "error" for p in problems)
    if rejected:
        problems = [replace(p, file=job.rejected_output) if p.file == job.output else p for p in problems]
    imposed = None
    if write_pdf and not rejected and job.spec.impose and job.profile.spec.output == "print":
        imposed = _impose(job, rendered.pdf)
    return Made(rendered.pdf if write_pdf else None, hashlib.sha256(rendered.pdf).hexdigest(), rendered.pages,
                problems, thumbnails, rejected, imposed)


def _impose(job: Job, pdf: bytes) -> bytes:
    from .impose import Imposition, impose

    spec = job.spec.impose
    c = job.source.campaign
    # A discreet product's sheet is titled as its face is: the campaign's name would reveal it.
    title = (f"{c.labels.useful_numbers}, {spec.columns * spec.rows}-up" if job.spec.options.get("discreet")
             else f"{c.name}: {job.name}, {spec.columns * spec.rows}-up")
    return impose(pdf, Imposition(tuple(spec.sheet_mm), spec.columns, spec.rows, job.profile.spec.bleed_mm),
                  title=title)


def deliver(job: Job, made: Made, key: str, folder: Path) -> Output:
    """Write what was made into `folder`, the new generation of the campaign's folder,
    each file by rename. A rejected PDF goes to `*.rejected.pdf`."""
    path = job.rejected_output if made.rejected else job.output
    for number, png in enumerate(made.thumbnails, 1):
        write_atomically(inside(folder, thumbnail_name(path, number)), png)
    if made.pdf is not None:
        write_atomically(inside(folder, path), made.pdf)
    imposed = None
    if made.imposed is not None:
        spec = job.spec.impose
        sheet_path = f"{job.folder}{job.base_name}{job.profile.suffix}-imposed-{spec.name}.pdf"
        write_atomically(inside(folder, sheet_path), made.imposed)
        imposed = {"path": sheet_path, "product": f"imposed-{job.product}", "size": spec.name,
                   **_variant_fields(job), "output": "print", "pages": job.spec.pages,
                   "trim_mm": list(spec.sheet_mm), "bleed_mm": 0,
                   "boxes_mm": {"trim": list(spec.sheet_mm), "bleed": list(spec.sheet_mm),
                                "media": list(spec.sheet_mm)},
                   "sha256": hashlib.sha256(made.imposed).hexdigest(), "copies": None,
                   "imposed_from": job.output, "up": spec.columns * spec.rows}
    return Output(job, made.sha256, made.pages, made.problems, key, imposed, rejected=made.rejected)


# ---------------------------------------------------------------- the output folder

# For tests only: CAMPAIGN_PRINT_TEST_HOLD=PHASE:FOLDER stops the first process to reach
# PHASE (a hold() below) until FOLDER/PHASE.go exists, after writing its process id to
# FOLDER/PHASE.held; so a test kills a build, or a worker, at a known point.
TEST_HOLD = "CAMPAIGN_PRINT_TEST_HOLD"


def hold(phase: str) -> None:
    wanted, _, folder = os.environ.get(TEST_HOLD, "").partition(":")
    if wanted != phase:
        return
    mine = Path(folder) / f"{phase}.{os.getpid()}"
    mine.write_text(f"{os.getpid()}\n")
    try:
        os.link(mine, Path(folder) / f"{phase}.held")  # once: a job run again after its worker died goes on
    except FileExistsError:
        return
    finally:
        mine.unlink()
    while not (Path(folder) / f"{phase}.go").exists():
        time.sleep(0.05)


GENERATIONS = ".generations"  # inside --out: every campaign's generations, hidden


def planted(path: Path, what: str) -> PipelineError:
    """Something at a path the build makes itself that it did not make: a link
    planted there would have it write, truncate or delete files outside --out."""
    return PipelineError([Problem("error", str(path), f"{what}, where the build keeps its own files; "
                                  "it follows no link there and replaces nothing it did not make",
                                  f"remove it (rm -r {path}) and build again")])


def real_folder(path: Path) -> Path:
    """`path` as a folder of its own (made if missing): never a link or a file put there."""
    try:
        os.mkdir(path)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise planted(path, f"is a symbolic link to {os.readlink(path)}")
    if not stat.S_ISDIR(info.st_mode):
        raise planted(path, "is not a folder")
    return path


def _lock_file(out_dir: Path):
    """out/.lock, opened without following a link (O_NOFOLLOW) and refused if it is
    anything but a plain file of one name: truncating it must not truncate another."""
    path = out_dir / ".lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise planted(path, f"is a symbolic link to {os.readlink(path)}") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise planted(path, "is not a plain file of its own (a hard link, a FIFO or a device)")
    return os.fdopen(fd, "r+")


@contextmanager
def output_lock(out_dir: Path, wait: bool = False):
    """Hold the output folder for one build. A POSIX record lock: released by the
    kernel when the process dies (kill -9 included), never inherited by workers."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        lock = _lock_file(out_dir)
    except OSError as exc:
        raise PipelineError([system_error(exc, out_dir)]) from None
    with lock:
        try:
            fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.seek(0)
            holder = lock.read().strip() or "another build"
            if not wait:
                raise PipelineError([Problem(
                    "error", str(out_dir), f"{holder} is writing to this folder",
                    "wait for it to finish (or add --wait), or build into another folder with --out")]) from None
            print(f"waiting for {holder} to finish writing {out_dir} ...", file=sys.stderr)
            fcntl.lockf(lock, fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(f"the build with process id {os.getpid()}\n")
        lock.flush()
        try:
            yield
        finally:
            lock.truncate(0)


class Generation:
    """One build's complete copy of a campaign's output folder.

    `out/<campaign>` is a symbolic link to `out/.generations/<campaign>/<id>`. A build
    hard-links the current generation into a new one, writes into the new one only
    (always by rename, so a hard-linked file is never changed in place), then points
    the link at it with one rename. Readers see the old folder or the new, whole."""

    def __init__(self, out_dir: Path, slug: str):
        self.out_dir = out_dir = out_dir.resolve()
        self.link, self.store = out_dir / slug, out_dir / GENERATIONS / slug
        self.current = None
        self.folder = self.store / f"{time.time_ns():x}-{os.getpid()}"

    def begin(self) -> Path:
        # Every folder the build deletes in or writes to is one it made: a link
        # planted at .generations/ or .generations/<campaign> is refused, not followed.
        real_folder(real_folder(self.out_dir / GENERATIONS) / self.link.name)
        if self.link.is_symlink():
            current = self.link.resolve()
            if current.parent != self.store or not current.is_dir():
                raise planted(self.link, f"is a link to {os.readlink(self.link)}, not to one of the build's "
                                         f"folders in {self.store}")
            self.current = current
        elif self.link.is_dir():  # a folder from before generations
            self.current = self.link
        elif os.path.lexists(self.link):
            raise planted(self.link, "is not a folder")
        for stale in self.store.iterdir():  # left by a build that was killed
            if stale != self.current:
                _remove(stale)
        for stale in self.out_dir.glob(f".{self.link.name}.switch-*"):  # killed while switching
            if stale.is_symlink():
                stale.unlink()
        if self.current:
            shutil.copytree(self.current, self.folder, symlinks=True, copy_function=_link)
        else:
            self.folder.mkdir()
        return self.folder

    def commit(self) -> None:
        switch = self.out_dir / f".{self.link.name}.switch-{os.getpid()}"
        switch.unlink(missing_ok=True)
        switch.symlink_to(self.folder.relative_to(self.out_dir))
        hold("switching")
        if self.link.is_dir() and not self.link.is_symlink():  # a folder from before generations
            self.link.rename(self.store / f"{self.folder.name}-old")
        os.replace(switch, self.link)
        hold("switched")
        for old in self.store.iterdir():
            if old != self.folder:
                _remove(old)

    def abandon(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _remove(path: Path) -> None:
    """Delete an entry of a generations folder: a link or file itself (never what it
    points to), a folder with everything in it (rmtree follows no link inside)."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)


# ---------------------------------------------------------------- the batch

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
    earlier = {slug: _earlier(folder) for slug, folder in folders.items()}
    todo, done, failed = [], {}, {}  # by position in `jobs` (jobs hold lists, so are not hashable)
    forget_file_hashes()  # kept for one build: files may have changed since the last in this process
    keys = [input_hash(job) for job in jobs]
    for index, job in enumerate(jobs):
        folder = folders[job.source.slug]
        entry, problems = earlier[job.source.slug].get(job.output, (None, None))
        if write_pdfs and not force and entry and _unchanged(entry, job, keys[index], folder):
            kept = [p for p in problems if p.check != "stand-in"]  # notes() says it again
            done[index] = Output(job, entry["sha256"], entry["pages"], kept, entry["input_hash"],
                                 _imposed_entry(earlier[job.source.slug], job.output), cached=True)
        else:
            todo.append(index)
    bar = _progress(len(todo), progress)
    try:
        for index, outcome in _run([(i, jobs[i]) for i in todo], keys, write_pdfs, workers, cluster):
            job = jobs[index]
            if isinstance(outcome, Made):
                try:
                    outcome = deliver(job, outcome, keys[index], folders[job.source.slug])
                    hold("delivered")
                except Exception as exc:  # e.g. a full disk: this job's failure; the manifest decides the rest
                    outcome = _failure(job, exc, writing=True)
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
        problems = failures + [p for o in outputs for p in o.problems] + notes
        entries = [e for o in outputs for e in o.manifest_entries()]
        if write_pdfs:
            merged = {e["path"]: e for e in _merge(earlier[slug], outputs, folder) + web}
            entries = [merged[path] for path in sorted(merged)]
            if entries:
                write_manifest(folder, jobs[group[0]] if group else mine[0], entries, write_atomically)
            problems = failures + _merged_problems(earlier[slug], outputs, entries) + notes
        write_reports(folder, slug, entries, problems, write_atomically)
        result.outputs += outputs
        result.problems += failures + [p for o in outputs for p in o.problems] + notes
    return result


def _web_pages(pages: list[WebPage], folder: Path, earlier: dict, write: bool, force: bool,
               result: BuildResult) -> tuple[list[dict], list[Problem]]:
    """Make (or keep, when their inputs have not changed) the web pages of one
    campaign's folder: their manifest entries and their problems. Made here, not in
    a worker: a page is a template rendering, milliseconds."""
    from .webpage import make, manifest_entries

    entries, problems = [], []
    for page in pages:
        key = web_input_hash(page)
        kept = [earlier.get(path, (None, None))[0] for path in (page.output, page.text_output)]
        if write and not force and all(e and e.get("input_hash") == key for e in kept) and all(
                (folder / e["path"]).is_file() and not (folder / e["path"]).is_symlink()
                and _file_hash(folder / e["path"]) == e["sha256"] for e in kept):
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
        from .cluster import run_on_cluster

        yield from run_on_cluster(cluster, runs, keys, write_pdfs)
        return
    workers = max(1, min(workers or os.cpu_count() or 1, len(runs)))
    if workers == 1:
        for index, job in runs:
            yield index, _attempt(job, write_pdfs)
        return
    # Largest first, so no long job starts last while the other worker idles.
    runs = sorted(runs, key=lambda run: -cost(run[1]))
    # Load WeasyPrint once here; forked workers inherit it. A fresh pool every
    # WORKER_JOBS jobs a worker keeps memory flat: WeasyPrint keeps a little per
    # document. (Not max_tasks_per_child: on Python 3.11 to 3.13 it can deadlock,
    # CPython issue 115634.)
    from . import impose, preflight, render  # noqa: F401
    chunk = workers * WORKER_JOBS
    for start in range(0, len(runs), chunk):
        crashed = yield from _pool(runs[start:start + chunk], workers, write_pdfs)
        # A worker died (out of memory, a crash in a library): the jobs it took
        # down with it run again, each in a worker of its own, to find the culprit.
        for run in crashed:
            yield from _pool([run], 1, write_pdfs, last_try=True)


def _pool(runs: list[tuple[int, Job]], workers: int, write_pdfs: bool, last_try: bool = False):
    """Make `runs` in a fresh pool; yield their outcomes; return the runs lost to a dead worker."""
    crashed = []
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        futures = {pool.submit(_attempt, job, write_pdfs): (index, job) for index, job in runs}
        for future in as_completed(futures):
            index, job = futures[future]
            try:
                outcome = future.result()
            except BrokenProcessPool:
                if not last_try:
                    crashed.append(futures[future])
                    continue
                outcome = worker_died(job)
            yield index, outcome
    return crashed


def worker_died(job: Job) -> list[Problem]:
    return [Problem("error", job.output, "the worker process making it died "
                    "(out of memory, or a crash inside a library)",
                    "run it alone with --jobs 1 to see more; the earlier PDF is unchanged")]


def cost(job: Job) -> float:
    """A job's rough render cost: printed area times pages (rasters and text scale with it)."""
    width, height = job.trim_mm
    return width * height * job.spec.pages


def _attempt(job: Job, write_pdfs: bool) -> Made | list[Problem]:
    """`make` within the job's limits (limits.py), with any failure turned into this
    job's problems (the others go on)."""
    bounds = limits.job_limits()
    try:
        with bounds:
            return make(job, write_pdfs)
    except PipelineError as exc:
        return exc.problems
    except limits.JobLimit as exc:
        return [Problem("error", job.output, f"{exc.what} (layouts/{job.spec.template})", exc.hint, check="limits")]
    except MemoryError:
        what, hint = limits.memory_message()
        return [Problem("error", job.output, f"{what} (layouts/{job.spec.template})", hint, check="limits")]
    except Exception as exc:  # any other failure is this job's alone: list it, go on
        return _failure(job, exc)
    finally:
        bounds.restore()  # the timer may fire as the limits come down (limits.job_limits)


# What a user can do about an operating-system error, by its errno.
SYSTEM_ERRORS = {
    errno.ENOSPC: ("the disk is full", "free some disk space, or build into another disk with --out"),
    errno.EDQUOT: ("the disk quota is used up", "free some space, or build into another folder with --out"),
    errno.EROFS: ("the file system is read-only", "build into a folder on a writable disk with --out"),
    errno.EACCES: ("permission denied", "build as a user who may write there, or choose a folder of your own "
                                        "with --out"),
    errno.EPERM: ("operation not permitted", "build as a user who may write there, or choose a folder of your "
                                             "own with --out"),
    errno.EEXIST: ("is a file, not a folder", "give --out a folder (it is made if missing), not a file"),
    errno.ENOTDIR: ("a file is where a folder should be", "give --out a folder (it is made if missing), "
                                                          "not a file inside a file's path"),
}


def system_error(exc: OSError, out_dir: Path) -> Problem:
    """One message for an operating-system error a user can cause: the path, what
    happened and what to do; the earlier outputs are always unchanged."""
    path = Path(exc.filename) if isinstance(exc.filename, (str, os.PathLike)) else Path(out_dir)
    what, hint = SYSTEM_ERRORS.get(exc.errno, (exc.strerror or str(exc), "check the folder and the disk"))
    inside_out = path.resolve().is_relative_to(Path(out_dir).resolve())
    if not inside_out and exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        # Not the output folder: a file the build reads (e.g. a stylesheet deleted mid-build).
        return Problem("error", str(path), f"cannot be read: {exc.strerror or exc}",
                       "check that the file exists and may be read; nothing was written")
    return Problem("error", str(path), f"cannot write the output: {what}",
                   f"{hint}; the earlier outputs are unchanged")


def _failure(job: Job, exc: Exception, writing: bool = False) -> list[Problem]:
    if writing and isinstance(exc, OSError) and exc.errno in SYSTEM_ERRORS:
        what, hint = SYSTEM_ERRORS[exc.errno]
        return [Problem("error", job.output, f"cannot write {exc.filename or 'it'}: {what}",
                        f"{hint}; the earlier PDF is unchanged")]
    return [Problem("error", job.output, f"could not be made: {type(exc).__name__}: {exc}",
                    "if the message names a file or the disk, fix that; otherwise report it. "
                    "The earlier PDF is unchanged")]


def _progress(total: int, wanted: bool):
    """Documents done of total, rate, time left and failures so far, in a terminal."""
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


def _unchanged(entry: dict, job: Job, key: str, folder: Path) -> bool:
    pdf = folder / job.output
    if entry.get("input_hash") != key or pdf.is_symlink() or not pdf.is_file():  # a planted link is rebuilt
        return False
    thumbnails = [folder / thumbnail_name(job.output, n) for n in range(1, entry["pages"] + 1)]
    return _file_hash(pdf) == entry["sha256"] and all(t.is_file() for t in thumbnails)


def _merge(earlier: dict, outputs: list[Output], folder: Path) -> list[dict]:
    """This build's entries, plus earlier ones whose files are still there (a build
    of a subset keeps the rest of the folder listed). A job that now passes
    preflight takes its earlier rejected PDF away."""
    entries = {e["path"]: e for o in outputs for e in o.manifest_entries()}
    passed = {o.job.rejected_output for o in outputs if not o.rejected}
    for path, (entry, _) in earlier.items():
        if path in passed:
            # The folder it is in, checked inside; the name itself unlinked, never followed.
            (inside(folder, str(Path(path).parent)) / Path(path).name).unlink(missing_ok=True)
        elif path not in entries and (folder / path).is_file():
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
                    "pdf_variant", "pages", "trim_mm", "copies", "sha256", "qr_url", "tracking_code"]


def write_manifest(folder: Path, job: Job | WebPage, entries: list[dict], write) -> None:
    """manifest.json, manifest.csv (for a print buyer) and print-order.csv."""
    manifest = {"campaign": job.source.slug, "name": job.source.campaign.name,
                "pipeline_version": __version__, "outputs": entries}
    write(folder / "manifest.json", (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    write(folder / "manifest.csv", _csv(MANIFEST_COLUMNS, entries))
    write(folder / "print-order.csv", _csv(
        ["district", "partner", "language", "product", "size", "copies", "path", "print_note"],
        [e for e in entries if printable(e) and e.get("copies") and not e.get("imposed_from")]))


def printable(entry: dict) -> bool:
    """May go to the printer: a press file that passed preflight, with no stand-in logo."""
    return (entry["output"] == "print" and not entry.get("rejected") and not entry.get("stand_in")
            and entry.get("preflight", {}).get("errors", 0) == 0)


# A cell a spreadsheet would run as a formula (OWASP, "CSV Injection"): a district
# named =HYPERLINK("https://evil.example","York") must print as text, not a link.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A CSV cell as text a spreadsheet shows and does not run: a leading ' where the
    cell would begin a formula (numbers are numbers, so never changed)."""
    if isinstance(value, str) and (value.startswith(FORMULA_START) or value.lstrip().startswith(FORMULA_START)):
        return "'" + value
    return value


def _csv(columns: list[str], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet_safe("x".join(f"{v:g}" for v in row[k]) if isinstance(row.get(k), list)
                                             else row.get(k))
                         for k in columns})
    return out.getvalue().encode()
