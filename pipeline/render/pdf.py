"""HTML -> PDF with WeasyPrint for one job: stylesheets and fonts, the fetcher, the
profile's PDF variant, the QR drawing and the finisher; WeasyPrint's warnings become Problems,
at the stylesheet or template line they come from (pipeline/sources.py)."""
from __future__ import annotations

import logging
import re
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from weasyprint import CSS
from weasyprint.css import ColorProfile
from weasyprint.text.fonts import FontConfiguration

from .. import assets, sources, textlayer
from ..paths import COLOUR, stamp
from ..pdflock import PDFIUM
from ..plan import Job, layouts_neighbours
from ..problems import PipelineError, Problem, RenderError
from ..profilecss import profile_css
from ..stages import Rendered
from . import cascade
from . import columns  # noqa: F401 (balanced columns found once per content)
from .fetcher import ProjectFetcher
from .finish import finish
from .layoutmap import layout_map, reading_ink
from .qrdraw import drawing_qr_code

BASE_LANGUAGE = "en-GB"  # of names, helplines and addresses kept untranslated in translations


# WeasyPrint only logs a file it could not load and goes on without it: a PDF without
# the partner's logo, or with a file the fetcher refused left out, must not pass.
DATA_URI = re.compile(r"(data:[\w/+.-]+[;,][^'\s,]{0,24})[^'\s]*")
MISSING_FILE = re.compile(r"^Failed to (load|render SVG) image|refused ")


@contextmanager
def _weasyprint_warnings():
    handler = cascade.Said()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


@lru_cache(maxsize=4)
def _font_config(layouts: Path) -> FontConfiguration:
    """One font configuration per layouts folder and worker: a new one for every
    document leaks about 250 kB a document inside Pango/fontconfig, and registers
    the same @font-face files again each time."""
    return FontConfiguration()


@lru_cache(maxsize=8)
def _fetcher(layouts: Path, cmyk: Path | None) -> ProjectFetcher:
    """One fetcher per layouts folder and output intent and worker: making one (urllib's
    opener, proxies read from the environment) cost 0.3 ms a document."""
    return ProjectFetcher(layouts, cmyk)


# The stylesheet links the page shell writes (layouts/_parts.html, head).
STYLESHEET_LINK = re.compile(r'<link rel="stylesheet" href="([^"]+)">\n?')


@lru_cache(maxsize=64)
def _stylesheet(layouts: Path, href: str, data: bytes, cmyk: Path | None,
                font_config: FontConfiguration) -> tuple[CSS, tuple[Problem, ...]]:
    """A layout stylesheet, parsed once per worker for its bytes (a batch renders the
    same few sheets hundreds of times), with what WeasyPrint said while parsing it
    (at the sheet's file and line), to be said again for every document that uses
    it, and a bracket left open. Keyed by the font configuration too: its
    @font-face rules live there, and a configuration that was let go (more than
    four layouts folders in one process) must not be used."""
    text = data.decode("utf-8")
    with _weasyprint_warnings() as messages:
        try:
            sheet = CSS(string=text, base_url=str(layouts / href),
                        url_fetcher=ProjectFetcher(layouts, cmyk), font_config=font_config)
        except Exception as exc:  # WeasyPrint's parser fails on a few values, e.g. calc(1px + )
            raise RenderError([Problem("error", f"layouts/{href}", "WeasyPrint could not read this stylesheet "
                                       f"({type(exc).__name__}{': ' + str(exc) if str(exc) else ''})",
                                       "check the values on this line", line=sources.failing_line(exc),
                                       check="css-syntax")]) from None
    unclosed = sources.unclosed_bracket(text, f"layouts/{href}")
    said = [sources.css_message(DATA_URI.sub(r"\1…", m), f"layouts/{href}",
                                "error" if MISSING_FILE.search(m) else "warning") for m in messages]
    return sheet, tuple(([unclosed] if unclosed else []) + said)


# The profile's sheet, parsed once per worker and thread for its text and the files it
# loads (fonts, ICC profile) as they are now: jobs of one product, size and profile
# share it. The least recently used goes first (a hot sheet evicted would be parsed
# again, and a new sheet starts the kept cascades again: render/cascade.py keys on it).
PROFILE_SHEETS_KEPT = 16
_profile_sheets: dict[tuple, tuple] = {}  # key -> (sheet, colour profiles, said, the font configuration kept)


def _profile_sheet(job: Job, base_url: str, fetcher: ProjectFetcher,
                   font_config: FontConfiguration) -> tuple[CSS, dict, list[str]]:
    """The profile's sheet (profilecss.py), its colour profiles and what WeasyPrint said
    reading it. The sheet carries @color-profile: each document gets its own copy of
    the colour profile table the sheet filled (WeasyPrint adds to it as it writes),
    as @font-face rules share the font configuration."""
    text = profile_css(job)
    files = tuple(stamp(job.layouts.folder / name) for name in PROFILE_FILE.findall(text))
    key = (text, base_url, id(font_config), files, threading.get_ident())
    if key not in _profile_sheets:
        if len(_profile_sheets) >= PROFILE_SHEETS_KEPT:
            del _profile_sheets[next(iter(_profile_sheets))]
        profiles: dict = {}
        with _weasyprint_warnings() as said:
            sheet = CSS(string=text, base_url=base_url, url_fetcher=fetcher, font_config=font_config,
                        color_profiles=profiles)
        for profile in profiles.values():
            profile.__class__, profile.kept = _KeptProfile, profile.content
        _profile_sheets[key] = (sheet, profiles, tuple(said), font_config)
    _profile_sheets[key] = _profile_sheets.pop(key)  # most recently used last
    sheet, profiles, said, _ = _profile_sheets[key]
    return sheet, dict(profiles), list(said)


class _KeptProfile(ColorProfile):
    """A colour profile whose bytes are read once: Pillow's ImageCmsProfile.tobytes()
    gives other bytes the second time it is asked (a PDF's ICC stream would differ
    from the first document's)."""

    @property
    def content(self) -> bytes:
        return self.kept


PROFILE_FILE = re.compile(r'url\("([^"]+)"\)')


def _stylesheets(job: Job, html: str, cmyk: Path | None) -> tuple[str, list[CSS], list[Problem]]:
    """The HTML without its stylesheet links; those sheets parsed (cached), in order;
    and the parser's warnings. A bracket left open is a RenderError: the page would
    come out with most of its styles dropped.

    They are handed to WeasyPrint as user stylesheets after the profile's sheet, so
    the cascade among them is what it was with the links: same order, and no layout
    sheet sets what the profile's sheet sets (page size, colours, --vars)."""
    folder = job.layouts.folder
    sheets, messages = [], []
    for href in STYLESHEET_LINK.findall(html):
        try:
            data = assets.read_project_file(folder / href, [folder.resolve()])
        except assets.RefusedFile as exc:
            raise RenderError([Problem("error", f"layouts/{href}", exc.what, exc.hint)]) from None
        sheet, said = _stylesheet(folder, href, data, cmyk, _font_config(folder))
        sheets.append(sheet)
        messages += said
    unclosed = [p for p in messages if p.check == "css-syntax"]
    if unclosed:
        raise RenderError(unclosed)
    return STYLESHEET_LINK.sub("", html), sheets, messages


def render_pdf(job: Job, html: str) -> Rendered:
    # PDFIUM, the process's one renderer lock, over fontconfig and Pango too: a fork
    # while another thread lays out text copies the GLib and Pango locks it holds,
    # and the worker then waits on them for ever (pipeline/pdflock.py).
    with PDFIUM:
        return _render_pdf(job, html)


def _render_pdf(job: Job, html: str) -> Rendered:
    profile = job.profile.spec
    intent = profile.output_intent
    cmyk = COLOUR / intent.icc if intent else None
    fetcher = _fetcher(job.layouts.folder, cmyk)
    base_url = str(job.layouts.folder) + "/"
    font_config = _font_config(job.layouts.folder)
    html, layout_sheets, said = _stylesheets(job, html, cmyk)  # says its own warnings
    profile_sheet, color_profiles, said_profile = _profile_sheet(job, base_url, fetcher, font_config)
    with _weasyprint_warnings() as messages, drawing_qr_code(job):
        messages += said_profile
        # As HTML(string=html).render(...); a district variant from its product's cascade.
        document = cascade.render(html, base_url, fetcher, [profile_sheet, *layout_sheets], font_config,
                                  color_profiles, profile.pdf_variant)
        # Screen copies are read aloud, searched and copied from: their text layer
        # must read back as the source text in any script (pipeline/textlayer/).
        with _text_layer(job) as layer, reading_ink() as inks:
            pdf = document.write_pdf(pdf_variant=profile.pdf_variant,
                                     finisher=lambda doc, pdf: finish(job, pdf, layer, doc))
    # Not half a megabyte of base64 in a message; once each, not once per element.
    messages = dict.fromkeys(DATA_URI.sub(r"\1…", m) for m in messages)
    warnings = [*said, *(_missing_file(job, m) if MISSING_FILE.search(m) else _layout_message(job, m)
                         for m in messages)]
    return Rendered(pdf=pdf, pages=len(document.pages), warnings=warnings, layout=layout_map(document, inks))


def _layout_message(job: Job, message: str) -> Problem:
    """A WeasyPrint message said while laying out: at the stylesheet line it names
    (a var() with no value), else at the template."""
    found = sources.stylesheet_line(job.layouts.folder, job.stylesheets, message)
    file, line = found or (f"layouts/{job.spec.template}", None)
    return Problem("warning", file, f"WeasyPrint: {message}", "check the CSS property or the file it names",
                   line=line, check="weasyprint")


def _missing_file(job: Job, message: str) -> Problem:
    """A file WeasyPrint could not load, at the template or stylesheet line naming it."""
    url = re.search(r"'([^']+)'", message)
    found = url and sources.referenced_at(job.layouts.folder, url.group(1), job.spec.template)
    file, line = found or (f"layouts/{job.spec.template}", None)
    return Problem("error", file, f"WeasyPrint: {message}", "fix or replace the file it names (assets/README.md)",
                   line=line, check="weasyprint")


@contextmanager
def _text_layer(job: Job):
    if job.profile.spec.output != "screen":
        yield None
        return
    # In a translation, Latin-script runs are names and addresses in the language of
    # the campaign it was made from (English: translations are made from English).
    other = None if job.language is None or job.language.startswith("en") else BASE_LANGUAGE
    with textlayer.text_layer(job.source.campaign.language, other) as layer:
        yield layer


def render_pdf_of(job: Job, html: str) -> Rendered:
    """The job's HTML rendered to PDF (pipeline/fit.py chooses the HTML); any failure
    of the renderer becomes one RenderError naming the file (WeasyPrint raises many types)."""
    try:
        return render_pdf(job, html)
    except (PipelineError, MemoryError):
        raise
    except Exception as exc:
        neighbours = layouts_neighbours(job.layouts.folder) if "refused" in str(exc) else []
        raise RenderError([Problem("error", f"layouts/{job.spec.template}",
                                   f"rendering {job.output} failed: {exc}",
                                   neighbours[0].hint if neighbours else
                                   "check the template and stylesheets of this product")]) from exc
