"""One job in a worker process (local, or a cluster's): rendered, fitted, preflighted and
imposed into bytes and results, writing nothing; any failure is this job's problems alone.

A build calls `attempt` (the job's limits; any failure becomes its problems), which
calls `make`: fit (fit.py) -> preflight -> causes -> the press sheet or the social image,
then hands the memory the job freed back to the system (`give_back_memory`)."""
from __future__ import annotations

import ctypes
import gc
import hashlib
from dataclasses import dataclass, replace

from .. import limits
from ..plan import Job
from ..problems import PipelineError, Problem
from .store import SYSTEM_ERRORS, hold


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
    beside: dict[str, bytes] | None = None  # files made with it, by path: a social image's JPEG and alt text


def _malloc_trim():
    """glibc's malloc_trim, or None where the C library has none (musl, macOS)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own symbols, the C library's among them
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


MALLOC_TRIM = _malloc_trim()


def give_back_memory() -> None:
    """Return the heap's free pages to the system once a job's objects are gone.

    glibc raises its mmap threshold to the largest block freed so far (a page raster,
    several MiB), so later rasters come from the heap, whose free top it returns only
    beyond twice that: a worker's RSS stepped 15-20 MiB up and down with the product
    it made last, with the same 25-27 MiB in use (mallinfo2), which a batch's mix of
    products read as growth. malloc_trim(0) gives back every free page: RSS follows
    what is in use. About a millisecond a job, the call (bench section batch)."""
    if MALLOC_TRIM is not None:
        MALLOC_TRIM(0)


# Objects allocated, less freed, between collections of the youngest generation.
# Python's 700 suits small programs; a job makes some million short-lived objects
# (layout boxes, styles, path operators), and at 700 the collector ran 4 times a
# poster and walked what earlier jobs kept: 5 ms of a poster's 110. At 5,000 it is
# about 2 ms. At 10,000 a worker's RSS grew 13 KiB a document (documents 50-300 of
# the bench's probe, twice) against 3 at 5,000 and 7 at 700: cycles waited longer.
GEN0_THRESHOLD = 5_000


def collect_less() -> None:
    """The process's youngest-generation threshold raised to GEN0_THRESHOLD (once;
    a process that makes jobs keeps it)."""
    threshold = gc.get_threshold()
    if threshold[0] < GEN0_THRESHOLD:
        gc.set_threshold(GEN0_THRESHOLD, *threshold[1:])


def make(job: Job, write_pdf: bool = True) -> Made:
    """One job top to bottom, writing nothing: rendered and fitted, preflighted, its
    problems said once per content cause, then imposed (or, for a social image, made
    into PNG, JPEG and alt text). Raises PipelineError when it cannot be rendered at
    all. The renderer is imported here, in the worker, not when a build starts.
    Once the job's rasters and documents are let go, their memory goes back to the
    system, made or failed."""
    collect_less()
    try:
        return _make(job, write_pdf)
    finally:
        give_back_memory()


def _make(job: Job, write_pdf: bool) -> Made:
    hold("make")  # a test's pause point (store.TEST_HOLD); nothing otherwise
    from ..causes import explain
    from ..fit import fitted
    from ..preflight import preflight

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
    output, imposed, beside = rendered.pdf, None, None
    if write_pdf and not rejected and job.spec.impose and job.profile.spec.output == "print":
        imposed = _impose(job, rendered.pdf)
    if job.social:  # the PNG is the output; the JPEG and alt text go beside a good one
        from .. import social

        picture = social.image(job, rendered)
        output = social.png(picture)
        if write_pdf and not rejected:
            beside = {job.beside["jpeg"]: social.jpeg(picture), job.beside["alt"]: social.alt_text(html).encode()}
    return Made(output if write_pdf else None, hashlib.sha256(output).hexdigest(), rendered.pages,
                problems, thumbnails, rejected, imposed, beside)


def _impose(job: Job, pdf: bytes) -> bytes:
    from ..impose import Imposition, impose

    spec = job.spec.impose
    c = job.source.campaign
    # A discreet product's sheet is titled as its face is: the campaign's name would reveal it.
    title = (f"{c.labels.useful_numbers}, {spec.columns * spec.rows}-up" if job.spec.options.get("discreet")
             else f"{c.name}: {job.name}, {spec.columns * spec.rows}-up")
    return impose(pdf, Imposition(tuple(spec.sheet_mm), spec.columns, spec.rows, job.profile.spec.bleed_mm),
                  title=title)


def worker_died(job: Job) -> list[Problem]:
    return [Problem("error", job.output, "the worker process making it died "
                    "(out of memory, or a crash inside a library)",
                    "run it alone with --jobs 1 to see more; the earlier PDF is unchanged")]


def cost(job: Job) -> float:
    """A job's rough render cost: printed area times pages (rasters and text scale with it)."""
    width, height = job.trim_mm
    return width * height * job.spec.pages


def attempt(job: Job, write_pdfs: bool) -> Made | list[Problem]:
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
        return failure(job, exc)
    finally:
        bounds.restore()  # the timer may fire as the limits come down (limits.job_limits)


def failure(job: Job, exc: Exception, writing: bool = False) -> list[Problem]:
    if writing and isinstance(exc, OSError) and exc.errno in SYSTEM_ERRORS:
        what, hint = SYSTEM_ERRORS[exc.errno]
        return [Problem("error", job.output, f"cannot write {exc.filename or 'it'}: {what}",
                        f"{hint}; the earlier PDF is unchanged")]
    return [Problem("error", job.output, f"could not be made: {type(exc).__name__}: {exc}",
                    "if the message names a file or the disk, fix that; otherwise report it. "
                    "The earlier PDF is unchanged")]
