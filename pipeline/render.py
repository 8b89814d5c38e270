"""HTML -> PDF with WeasyPrint. The only module that imports WeasyPrint.

- a URL fetcher that serves files from the project's layout, font and asset
  folders only (no network, no file:///etc/...);
- WeasyPrint's warnings (unsupported CSS, missing files) become Problems;
- PDFs are written atomically: a temp file beside the target, then a rename.
"""
from __future__ import annotations

import logging
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetchingError

from .plan import LAYOUTS, ROOT, Job
from .problems import Problem, RenderError

FONTS = ROOT / "fonts"
ASSETS = ROOT / "assets"
SERVED_ROOTS = (LAYOUTS, FONTS, ASSETS)


class ProjectFetcher(URLFetcher):
    """Serves file: URLs inside the project's own folders; refuses everything else."""

    def __init__(self, roots=SERVED_ROOTS):
        super().__init__(allowed_protocols={"file"})
        self.roots = [r.resolve() for r in roots]

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise URLFetchingError(f"refused {url}: only the project's own files may be used")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise URLFetchingError(f"refused {path}: outside layouts/, fonts/ and assets/")
        return super().fetch(url, headers)


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    warnings: list[Problem]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _weasyprint_warnings():
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def page_css(job: Job) -> str:
    """The page geometry, set from the product description, not repeated in CSS."""
    width, height = job.trim_mm
    return f"@page {{ size: {width}mm {height}mm; margin: 0 }}"


def render_pdf(job: Job, html: str) -> Rendered:
    fetcher = ProjectFetcher()
    with _weasyprint_warnings() as messages:
        document = HTML(string=html, base_url=str(LAYOUTS) + "/", url_fetcher=fetcher).render(
            stylesheets=[CSS(string=page_css(job))],
            font_config=FontConfiguration(),
        )
        pdf = document.write_pdf()
    warnings = [Problem("warning", f"layouts/{job.spec.template}", f"WeasyPrint: {m}",
                        "check the CSS property or the file it names", check="weasyprint")
                for m in messages]
    return Rendered(pdf=pdf, pages=len(document.pages), warnings=warnings)


def write_atomically(target: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, then rename: never a half-written file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_error(job: Job, exc: Exception) -> RenderError:
    return RenderError([Problem("error", f"layouts/{job.spec.template}",
                                f"rendering {job.output} failed: {exc}",
                                "check the template and stylesheets of this product")])
