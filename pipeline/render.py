"""HTML -> PDF with WeasyPrint. The only module that imports WeasyPrint.

- a URL fetcher that serves files from the project's layout, font, colour and asset
  folders only (no network, no file:///etc/...), plus data: URIs;
- the PDF variant of the job's profile (PDF/X-4, PDF/X-1a, PDF/UA-1) and a finisher
  that sets what WeasyPrint leaves out: exact Trim/BleedBox, crop marks outside the
  bleed in 100% K, the registered output condition, GTS_PDFXVersion;
- WeasyPrint's warnings (unsupported CSS, missing files) become Problems, at the
  stylesheet or template line they come from (sources.py).
"""
from __future__ import annotations

import logging
import mimetypes
import os
import re
import threading
import uuid
import zlib
from functools import lru_cache
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint import images as wp_images
from weasyprint.formatting_structure import boxes
from weasyprint.svg.utils import color as svg_colour
from weasyprint.text.ffi import FROM_UNITS, ffi, pango
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

import pydyf

from . import assets, colour, links, overprint, sources, textlayer
from .layouts import MARK_GAP_MM, MARK_LENGTH_MM, colour_value, profile_css
from .paths import ASSETS, COLOUR, FONTS
from .plan import Job, layouts_neighbours
from .problems import PipelineError, Problem, RenderError
from .qr import qr_data_uri, qr_operators

PROJECT_ROOTS = (FONTS, COLOUR, ASSETS)
IMAGE_SUFFIXES = tuple(assets.RASTER_FORMATS)
# Served as they are; anything else is an image and must pass the asset checks.
RAW_SUFFIXES = (".css", ".ttf", ".otf", ".woff", ".woff2", ".icc", ".icm")
PT_PER_MM = 72 / 25.4
BASE_LANGUAGE = "en-GB"  # of names, helplines and addresses kept untranslated in translations


class _Served(URLFetcherResponse):
    """Bytes the fetcher read and checked itself. No path: otherwise WeasyPrint embeds
    a raster image by reading the file named in the URL again (LazyLocalImage), i.e.
    the original PNG under the JPEG's /DCTDecode filter instead of the CMYK JPEG."""

    @property
    def path(self):
        return None


class ProjectFetcher(URLFetcher):
    """Serves file: URLs inside the project's own folders; refuses everything else.

    Each file is read once, by `assets.read_project_file` (regular files inside the
    folders after resolving symlinks, bounded size); images and SVG must pass the
    asset checks. For press output (`cmyk` = the output intent's ICC file), images and
    SVG colours are converted to CMYK on the way in, so no RGB reaches a print PDF."""

    def __init__(self, layouts: Path, cmyk: Path | None = None):
        super().__init__(allowed_protocols={"file", "data"})
        self.roots = [r.resolve() for r in (layouts, *PROJECT_ROOTS)]
        self.layouts = Path(layouts)
        self.cmyk = cmyk

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "data":
            return self._data(url, headers)
        if parts.scheme != "file":
            raise URLFetchingError(f"refused {url}: only the project's own files may be used")
        path = Path(unquote(parts.path))
        try:
            data = assets.read_project_file(path, self.roots)
        except assets.RefusedFile as exc:
            beside = self.layouts.parent
            if any(path.is_relative_to(beside / name) for name in ("fonts", "colour", "assets")) \
                    and layouts_neighbours(self.layouts):
                # A copy of layouts/ without the project's folders beside it (checked
                # when the folder is loaded; said again here for a folder removed since).
                raise URLFetchingError(f"refused {exc.path}: {exc.what}; the layouts folder {self.layouts} needs "
                                       f"the project's fonts/, colour/ and assets/ beside it, in {beside}/ "
                                       "(links to them: README, \"For designers\")") from None
            raise URLFetchingError(f"refused {exc.path}: {exc.what}") from None
        suffix = path.suffix.lower()
        if suffix not in RAW_SUFFIXES:  # an image: PNG, JPEG or SVG, checked
            problems = assets.check_asset(data, str(path))
            if problems:
                raise URLFetchingError("; ".join(f"{p.what} ({p.hint})" for p in problems))
        if self.cmyk and suffix == ".svg":
            data = colour.svg_to_cmyk(data.decode("utf-8"), self.cmyk).encode("utf-8")
        elif suffix in IMAGE_SUFFIXES:
            data, normalised = assets.normalise_image(data)  # 8 bits, upright, sRGB: as proofed
            if self.cmyk:
                return _Served(url, colour.image_to_cmyk(data, self.cmyk), {"Content-Type": "image/jpeg"})
            if normalised:
                return _Served(url, data, {"Content-Type": normalised})
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or suffix == ".svg":
            content_type += "; charset=utf-8"
        return _Served(url, data, {"Content-Type": content_type})


    def _data(self, url, headers):
        """A data: URI, with the same image checks as a file (a 12000×12000 PNG
        written into a template is as much a bomb as one in assets/)."""
        response = super().fetch(url, headers)
        kind = (response.content_type or "").lower()
        if kind.startswith("image/"):
            data = response.read()
            suffix = {"image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg"}.get(kind)
            if suffix is None:
                raise URLFetchingError(f"refused a data: URI of {kind}: only PNG, JPEG and SVG images are used")
            problems = assets.check_asset(data, f"a data: URI ({kind}){suffix}")
            if problems:
                raise URLFetchingError("refused " + "; ".join(f"{p.file}: {p.what} ({p.hint})" for p in problems))
            if suffix == ".svg":  # as a file's SVG: its colours in CMYK for the press
                if self.cmyk:
                    data = colour.svg_to_cmyk(data.decode("utf-8"), self.cmyk).encode("utf-8")
            else:  # as a file's image: normalised, and CMYK for the press
                data, normalised = assets.normalise_image(data)
                if self.cmyk:
                    return _Served(url, colour.image_to_cmyk(data, self.cmyk), {"Content-Type": "image/jpeg"})
                kind = normalised or kind
            return _Served(url, data, {"Content-Type": kind})
        return response


PX_TO_MM = 25.4 / 96  # CSS px


@dataclass(frozen=True)
class Placed:
    """Something the layout put on a page, for preflight: where, what, how it looks.

    Rectangles are (x, y, width, height) in mm from the top-left corner of the trim.
    """

    page: int  # 1-based
    kind: str  # "text", "image" or "qr"
    rect: tuple[float, float, float, float]
    element: str  # e.g. "div.panel.flap > h2", to say where in the layout
    text: str = ""
    font_size_pt: float = 0
    bold: bool = False
    colour: tuple[float, float, float] = (0, 0, 0)  # sRGB 0..1 (CMYK converted naively)
    background: tuple[float, float, float] = (1, 1, 1)
    # text: the colour and its ground as written for the press, CMYK 0..1 (device-cmyk),
    # or None where the stylesheet gave an RGB colour (screen copies; none in press)
    colour_cmyk: tuple[float, float, float, float] | None = None
    background_cmyk: tuple[float, float, float, float] | None = (0, 0, 0, 0)
    clip: tuple[float, float, float, float] | None = None  # visible area, from overflow: hidden
    image_px: tuple[int, int] | None = None  # raster images: intrinsic pixels
    image_mode: str | None = None  # raster images: "RGB", "CMYK", ...
    # text: the ink box of each glyph as shaped and placed, (x, y, width, height) in mm;
    # it may reach well past the line box (Nastaliq's ascenders and descenders)
    ink: tuple[tuple[float, float, float, float], ...] = ()
    # the characters each of those glyphs draws ('' for the second and later glyphs of
    # a cluster): a line read by where its glyphs are, left to right (preflight numbers)
    ink_text: tuple[str, ...] = ()


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    warnings: list[Problem]
    layout: list[Placed]
    # What is worked out from this rendering once and asked for twice (copyfitting and
    # preflight both measure the empty blocks), by what it is and its parameters.
    derived: dict = field(default_factory=dict, repr=False, compare=False)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


# WeasyPrint only logs a file it could not load and goes on without it: a PDF without
# the partner's logo, or with a file the fetcher refused left out, must not pass.
DATA_URI = re.compile(r"(data:[\w/+.-]+[;,][^'\s,]{0,24})[^'\s]*")
MISSING_FILE = re.compile(r"^Failed to (load|render SVG) image|refused ")


@contextmanager
def _weasyprint_warnings():
    handler = _Collect()
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


# ---------------------------------------------------------------- the QR code, drawn

_drawing = threading.local()
_original_svg_draw = wp_images.SVGImage.draw


@contextmanager
def _qr_code(job: Job):
    """While `job` renders, its QR placeholder (qr.qr_data_uri: an empty SVG that
    keeps the code's box, alt text, /Figure and link) is drawn as the code itself."""
    fill = colour_value(job.colours["ink"], job.profile.spec.output)
    previous = getattr(_drawing, "codes", None)
    _drawing.codes = {qr_data_uri(job.qr_url, fill): (job.qr_url, fill)}
    try:
        yield
    finally:
        _drawing.codes = previous


def _draw_svg(self, stream, width, height, style):
    code = (getattr(_drawing, "codes", None) or {}).get(self._base_url)
    if code is None:
        return _original_svg_draw(self, stream, width, height, style)
    url, fill = code
    size, operators = qr_operators(url)
    # As WeasyPrint draws the SVG of the same viewBox (xMidYMid meet), in one fill of
    # one path: the page's y-down space, a module per unit; no seams between modules.
    scale = min(width, height) / size
    stream.push_state()
    stream.transform(a=scale, d=scale, e=(width - scale * size) / 2, f=(height - scale * size) / 2)
    stream.set_color(svg_colour(fill))
    stream.stream.append(operators)
    stream.fill()
    stream.pop_state()


wp_images.SVGImage.draw = _draw_svg


def render_pdf(job: Job, html: str) -> Rendered:
    profile = job.profile.spec
    intent = profile.output_intent
    cmyk = COLOUR / intent.icc if intent else None
    fetcher = ProjectFetcher(job.layouts.folder, cmyk)
    base_url = str(job.layouts.folder) + "/"
    font_config, color_profiles = _font_config(job.layouts.folder), {}
    html, layout_sheets, said = _stylesheets(job, html, cmyk)  # says its own warnings
    with _weasyprint_warnings() as messages, _qr_code(job):
        # The profile's sheet carries @color-profile: it must share the document's
        # colour profile table, as @font-face rules share the font configuration.
        profile_sheet = CSS(string=profile_css(job), base_url=base_url, url_fetcher=fetcher,
                            font_config=font_config, color_profiles=color_profiles)
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            stylesheets=[profile_sheet, *layout_sheets],
            font_config=font_config,
            color_profiles=color_profiles,
            pdf_variant=profile.pdf_variant,
        )
        # Screen copies are read aloud, searched and copied from: their text layer
        # must read back as the source text in any script (textlayer.py).
        with _text_layer(job) as layer:
            pdf = document.write_pdf(pdf_variant=profile.pdf_variant,
                                     finisher=lambda doc, pdf: finish(job, pdf, layer, doc))
    # Not half a megabyte of base64 in a message; once each, not once per element.
    messages = dict.fromkeys(DATA_URI.sub(r"\1…", m) for m in messages)
    warnings = [*said, *(_missing_file(job, m) if MISSING_FILE.search(m) else _layout_message(job, m)
                         for m in messages)]
    return Rendered(pdf=pdf, pages=len(document.pages), warnings=warnings, layout=layout_map(document))


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


def _srgb(color) -> tuple[float, float, float] | None:
    """A CSS colour as sRGB 0..1, or None when transparent."""
    if color is None or color.alpha == 0:
        return None
    if color.space == "device-cmyk":
        c, m, y, k = color.coordinates
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    r, g, b = color.to("srgb").coordinates
    return (min(max(r, 0), 1), min(max(g, 0), 1), min(max(b, 0), 1))


def _cmyk(color) -> tuple[float, float, float, float] | None:
    """A device-cmyk CSS colour as CMYK 0..1, or None (RGB, or transparent)."""
    if color is None or color.alpha == 0 or color.space != "device-cmyk":
        return None
    return tuple(float(v) for v in color.coordinates)


def _describe(element) -> str:
    classes = (element.get("class") or "").split()
    return element.tag + "".join(f".{c}" for c in classes)


def layout_map(document) -> list[Placed]:
    """Every text run and image the layout placed, page by page."""
    placed: list[Placed] = []

    def rect(box):
        return (box.content_box_x() * PX_TO_MM, box.content_box_y() * PX_TO_MM,
                box.width * PX_TO_MM, box.height * PX_TO_MM)

    def walk(box, page, path, background, clip, ground=(0, 0, 0, 0)):
        element = getattr(box, "element", None)
        if element is not None and (not path or path[-1][0] is not element):
            path = path + ((element, _describe(element)),)
        style = box.style
        if _srgb(style["background_color"]):
            ground = _cmyk(style["background_color"])
        background = _srgb(style["background_color"]) or background
        if style["overflow"] != "visible" and not isinstance(box, (boxes.TextBox, boxes.ReplacedBox)):
            x, y = box.padding_box_x() * PX_TO_MM, box.padding_box_y() * PX_TO_MM
            w, h = box.padding_width() * PX_TO_MM, box.padding_height() * PX_TO_MM
            clip = _intersect(clip, (x, y, w, h)) if clip else (x, y, w, h)
        # Name the place by its classed ancestors below the sheet, e.g.
        # "div.panel.in-2 > section.stats > div.stat > p.figure".
        where = " > ".join(name for _, name in path[3:]) or (path[-1][1] if path else "")
        if isinstance(box, boxes.TextBox) and box.text.strip(" \t\n\u200b"):  # not a bare <wbr>
            placed.append(Placed(
                page, "text", rect(box), where, text=box.text,
                font_size_pt=style["font_size"] * 0.75, bold=style["font_weight"] >= 600,
                colour=_srgb(style["color"]) or (0, 0, 0), background=background, clip=clip,
                colour_cmyk=_cmyk(style["color"]), background_cmyk=ground, **_ink(box)))
        elif isinstance(box, boxes.ReplacedBox):
            image = box.replacement
            is_qr = "qr" in (element.get("class") or "").split() if element is not None else False
            raster = hasattr(image, "mode")
            placed.append(Placed(
                page, "qr" if is_qr else "image", rect(box), where, background=background, clip=clip,
                image_px=(image.width, image.height) if raster else None,
                image_mode=image.mode if raster else None))
        for child in getattr(box, "children", ()):
            walk(child, page, path, background, clip, ground)

    for number, page in enumerate(document.pages, 1):
        walk(page._page_box, number, (), (1.0, 1.0, 1.0), None)
    return placed


def _ink(box) -> dict:
    """The ink of a text box's glyphs as Pango shaped and placed them (cursive
    attachment in Nastaliq raises and lowers glyphs): one (x, y, width, height) in mm
    on the page per glyph that draws something (`ink`), and the characters each
    draws (`ink_text`)."""
    layout = getattr(box, "pango_layout", None)
    if layout is None:
        return {}
    layout.reactivate(box.style)  # WeasyPrint frees the Pango layout once drawn
    try:
        utf8 = (layout.text or "").encode()
        line, _ = layout.get_first_line()
        rect = ffi.new("PangoRectangle *")
        x, baseline = box.position_x, box.position_y + box.baseline
        glyphs, texts = [], []
        node = line.runs
        while node != ffi.NULL:
            run = node.data
            node = node.next
            string, font, item = run.glyphs, run.item.analysis.font, run.item
            clusters = [item.offset + string.log_clusters[i] for i in range(string.num_glyphs)]
            starts = sorted(set(clusters))
            ends = dict(zip(starts, starts[1:] + [item.offset + item.length]))
            seen = set()
            for i in range(string.num_glyphs):
                info = string.glyphs[i]
                geometry = info.geometry
                if not info.glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG and info.glyph != pango.PANGO_GLYPH_EMPTY:
                    pango.pango_font_get_glyph_extents(font, info.glyph, rect, ffi.NULL)
                    if rect.width > 0 and rect.height > 0:
                        left = x + (geometry.x_offset + rect.x) * FROM_UNITS
                        top = baseline + (geometry.y_offset + rect.y) * FROM_UNITS
                        glyphs.append((left * PX_TO_MM, top * PX_TO_MM, rect.width * FROM_UNITS * PX_TO_MM,
                                       rect.height * FROM_UNITS * PX_TO_MM))
                        start = clusters[i]
                        texts.append("" if start in seen else utf8[start:ends[start]].decode("utf-8", "replace"))
                        seen.add(start)
                x += geometry.width * FROM_UNITS
        return {"ink": tuple(glyphs), "ink_text": tuple(texts)}
    finally:
        layout.deactivate()


def _intersect(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return (x0, y0, max(0.0, x1 - x0), max(0.0, y1 - y0))


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


def finish(job: Job, pdf: pydyf.PDF, layer: textlayer.Layer | None = None, document=None) -> None:
    """Complete the PDF where WeasyPrint stops short of what a printer checks."""
    _stable_document_id(job, pdf)
    profile = job.profile.spec
    if profile.output == "screen":
        pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})
        if layer is not None:
            textlayer.finish(layer, pdf)
        if document is not None:  # live links, described, and the QR code's (links.py)
            links.finish(job, document, pdf)
        _figure_boxes_in_points(pdf)
        return
    _master_rendition(pdf)
    if profile.output_intent:  # gradients drawn in sRGB, as press colour (colour.py)
        colour.shadings_to_cmyk(pdf, COLOUR / profile.output_intent.icc)
    links.refuse_in_press(job, pdf)
    overprint.finish(pdf)  # 100 % K text, rules and codes overprint their ground (overprint.py)
    width, height = (v * PT_PER_MM for v in job.trim_mm)
    bleed = profile.bleed_mm * PT_PER_MM
    for page in (o for o in pdf.objects if isinstance(o, pydyf.Dictionary) and o.get("Type") == "/Page"):
        # WeasyPrint puts the BleedBox at most 10 pt outside the trim; set it exactly.
        page["TrimBox"] = pydyf.Array([0, 0, width, height])
        page["BleedBox"] = pydyf.Array([-bleed, -bleed, width + bleed, height + bleed])
        if profile.crop_marks:
            # WeasyPrint's stream leaves its y-flip in force: isolate it in q ... Q.
            streams = [pydyf.Stream([b"q"]), pydyf.Stream([b"Q"]),
                       pydyf.Stream([_crop_marks(width, height, bleed)])]
            for stream in streams:
                pdf.add_object(stream)
            page["Contents"] = pydyf.Array([streams[0].reference, page["Contents"],
                                            streams[1].reference, streams[2].reference])
    intent = profile.output_intent
    for output_intent in pdf.catalog["OutputIntents"]:
        reference = output_intent["DestOutputProfile"]  # b"12 0 R"
        _deflate_once(pdf.objects[int(bytes(reference).split()[0])])
        output_intent["OutputConditionIdentifier"] = pydyf.String(intent.identifier)
        output_intent["OutputCondition"] = pydyf.String(intent.condition)
        output_intent["RegistryName"] = pydyf.String(intent.registry)
        output_intent["Info"] = pydyf.String(intent.condition)
    if profile.pdf_variant == "pdf/x-1a":
        _pdfx_1a_keys(pdf)
    if "GTS_PDFXVersion" not in pdf.info:  # WeasyPrint sets it for X-1a and X-3 only
        pdf.info["GTS_PDFXVersion"] = pydyf.String("PDF/X-4")


# ISO 15930-4: the version key names the standard, the conformance key the level.
# WeasyPrint writes "PDF/X-1a:2003" into both, which strict preflights flag.
PDFX_1A_VERSION, PDFX_1A_CONFORMANCE = "PDF/X-1:2003", "PDF/X-1a:2003"


def _pdfx_1a_keys(pdf: pydyf.PDF) -> None:
    """GTS_PDFXVersion and GTS_PDFXConformance as ISO 15930-4 asks, in the Info
    dictionary and in the XMP (pdfx:, and no pdfxid: which belongs to X-4 and later)."""
    pdf.info["GTS_PDFXVersion"] = pydyf.String(PDFX_1A_VERSION)
    pdf.info["GTS_PDFXConformance"] = pydyf.String(PDFX_1A_CONFORMANCE)
    for obj in _xmp_streams(pdf):
        xmp = re.sub(rb"<pdfxid:GTS_PDFXVersion>[^<]*</pdfxid:GTS_PDFXVersion>", b"", obj.stream[0])
        xmp = re.sub(rb"(<pdfx:GTS_PDFXVersion>)[^<]*(</pdfx:GTS_PDFXVersion>)",
                     rb"\g<1>" + PDFX_1A_VERSION.encode() + rb"\g<2>", xmp)
        obj.stream[0] = re.sub(rb"(<pdfx:GTS_PDFXConformance>)[^<]*(</pdfx:GTS_PDFXConformance>)",
                               rb"\g<1>" + PDFX_1A_CONFORMANCE.encode() + rb"\g<2>", xmp)


def _xmp_streams(pdf: pydyf.PDF):
    for obj in pdf.objects:
        if (isinstance(obj, pydyf.Stream) and obj.stream and isinstance(obj.stream[0], bytes)
                and b"<x:xmpmeta" in obj.stream[0]):
            yield obj


def _master_rendition(pdf: pydyf.PDF) -> None:
    """WeasyPrint calls every PDF a proof (xmpMM:RenditionClass proof:pdf); a press
    file is the master a printer prints from: `default`."""
    for obj in _xmp_streams(pdf):
        obj.stream[0] = re.sub(rb"(<xmpMM:RenditionClass>)proof:pdf(</xmpMM:RenditionClass>)",
                               rb"\1default\2", obj.stream[0])


def _figure_boxes_in_points(pdf: pydyf.PDF) -> None:
    """WeasyPrint writes a Figure's /BBox in CSS pixels from the page's top-left; the
    layout attribute is in PDF user space: points from the page's bottom-left."""
    for obj in pdf.objects:
        if not (isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/StructElem"
                and obj.get("S") == "/Figure" and isinstance(obj.get("A"), pydyf.Dictionary)
                and "BBox" in obj["A"] and "Pg" in obj):
            continue
        page = pdf.objects[int(bytes(obj["Pg"]).split()[0]) if isinstance(obj["Pg"], bytes)
                           else int(str(obj["Pg"]).split()[0])]
        top = float(page["MediaBox"][3])
        x1, y1, x2, y2 = (float(v) * 0.75 for v in obj["A"]["BBox"])  # 72 pt / 96 px
        obj["A"]["BBox"] = pydyf.Array([round(x1, 3), round(top - y2, 3), round(x2, 3), round(top - y1, 3)])


@lru_cache(maxsize=4)
def _deflated(data: bytes) -> bytes:
    return zlib.compress(data, 9)


def _deflate_once(stream: pydyf.Stream) -> None:
    """The press ICC profile (about 250 kB) is the same in every PDF, yet pydyf would
    deflate it at level 9 twice per file: half the time of a press render. Deflate
    it once per worker and hand pydyf the result."""
    if stream.compress and len(stream.stream) == 1 and isinstance(stream.stream[0], bytes):
        stream.stream = [_deflated(stream.stream[0])]
        stream.extra["Filter"] = "/FlateDecode"
        stream.compress = False


def _stable_document_id(job: Job, pdf: pydyf.PDF) -> None:
    """WeasyPrint gives the XMP DocumentID a random UUID; derive it from the job so
    the same inputs give the same bytes (and printers' systems see one document)."""
    stable = f"xmp.did:{uuid.uuid5(uuid.NAMESPACE_URL, job.qr_url + '#' + job.output)}".encode()
    for obj in pdf.objects:
        if (isinstance(obj, pydyf.Stream) and obj.stream and isinstance(obj.stream[0], bytes)
                and b"xmp.did:" in obj.stream[0]):
            obj.stream[0] = re.sub(rb"xmp\.did:[0-9a-f-]{36}", stable, obj.stream[0])


def _crop_marks(width: float, height: float, bleed: float) -> bytes:
    """Crop marks at the four corners, starting outside the bleed, in 100% K only."""
    gap = bleed + MARK_GAP_MM * PT_PER_MM
    length = MARK_LENGTH_MM * PT_PER_MM
    ops = ["q", "0 0 0 1 K", "0.3 w"]
    for x, dx in ((0, -1), (width, 1)):
        for y, dy in ((0, -1), (height, 1)):
            ops.append(f"{x + dx * gap:.2f} {y:.2f} m {x + dx * (gap + length):.2f} {y:.2f} l S")
            ops.append(f"{x:.2f} {y + dy * gap:.2f} m {x:.2f} {y + dy * (gap + length):.2f} l S")
    ops.append("Q")
    return "\n".join(ops).encode()


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
