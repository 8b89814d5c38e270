"""Every bound a job's inputs meet, in one table (SECURITY.md, "Limits", says where
each is enforced). A job past a limit fails alone, with a message naming the file
and the limit; the build's other jobs go on.

To change a limit, edit its number here (the pipeline's version is in every job's
input hash, so the next build remakes what a new limit lets through).
"""
from __future__ import annotations

import resource
import signal
import threading

# name:                value          what it bounds
JOB_SECONDS = 300  # wall time of one job: render, copyfit, preflight, imposition
OCR_SECONDS = 60  # one picture read by Tesseract (a C call the job's timer cannot interrupt)
JOB_MEMORY_MB = 3072  # address space one job may add to its process (RLIMIT_AS)
TEMPLATE_OUTPUT_CHARS = 1_000_000  # HTML one rendering may produce (the layouts make under 10 000)
TEMPLATE_STEPS = 200_000  # calls and range() items in one rendering (the layouts use under 100)
TEMPLATE_DEPTH = 40  # macro and function calls inside each other
TEMPLATE_RANGE = 10_000  # items of one range()
TEMPLATE_POWER = 64  # largest exponent of ** in a template
FILE_BYTES = 16 * 1024 * 1024  # any project file read while rendering (fonts, ICC, images)
TEMPLATE_BYTES = 1024 * 1024  # a template, products.yaml, colours.yaml
SVG_BYTES = 1024 * 1024
SVG_ELEMENTS = 20_000
SVG_DEPTH = 64  # levels of nested elements
SVG_USE_EXPANSION = 50_000  # elements an SVG draws once every <use> is expanded
LOGO_BYTES = 2 * 1024 * 1024  # a partner's logo as uploaded (the portal refuses a larger file)
IMAGE_PIXELS = 40_000_000  # decoded pixels of any image, from a file or a data: URI

WHERE = "pipeline/limits.py"


class JobLimit(BaseException):
    """A job went past its wall time. A BaseException, as KeyboardInterrupt is, so
    no `except Exception` on the way (a check's own safety net) swallows it and the
    job goes on past its limit."""

    def __init__(self, what: str, hint: str):
        self.what, self.hint = what, hint
        super().__init__(what)


class TemplateLimit(Exception):
    """A template rendering went past one of the TEMPLATE_* limits."""


def memory_message() -> tuple[str, str]:
    return (f"went over the memory limit of {JOB_MEMORY_MB} MiB per job (JOB_MEMORY_MB in {WHERE})",
            "look for a huge image or a template loop that builds a long text; the earlier PDF is unchanged")


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


class job_limits:
    """Wall time (JOB_SECONDS) and memory (JOB_MEMORY_MB more address space) for the
    job run inside `with job_limits():`. Only in a process's main thread (a build's
    worker processes, or a build with --jobs 1): signals and RLIMIT_AS are per
    process, and the studio's threads share theirs; there the TEMPLATE_* and file
    limits still apply.

    The timer fires once. Should it fire while the limits are being taken down (the
    job just finished), JobLimit leaves __exit__ early: call restore() again (it is
    idempotent) where that JobLimit is caught, so no lowered limit outlives the job."""

    def __enter__(self):
        self.active = threading.current_thread() is threading.main_thread()
        if not self.active:
            return self
        self.previous = signal.signal(signal.SIGALRM, self._expired)
        self.saved = resource.getrlimit(resource.RLIMIT_AS)
        soft, hard = self.saved
        try:
            bound = _address_space() + JOB_MEMORY_MB * 1024 * 1024
            if hard == resource.RLIM_INFINITY or bound < hard:
                resource.setrlimit(resource.RLIMIT_AS, (bound, hard))
        except (OSError, ValueError):  # no /proc, or a limit we may not set: time still bounds the job
            pass
        signal.setitimer(signal.ITIMER_REAL, JOB_SECONDS)
        return self

    def _expired(self, signum, frame):
        if self.active:  # not once the job is over
            raise JobLimit(f"took over {JOB_SECONDS} s, the wall time limit per job (JOB_SECONDS in {WHERE})",
                           "look for a slow template loop or a huge SVG or image; the earlier PDF is unchanged")

    def restore(self) -> None:
        if not getattr(self, "active", False):
            return
        self.active = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        resource.setrlimit(resource.RLIMIT_AS, self.saved)

    def __exit__(self, *exc) -> bool:
        self.restore()
        return False
