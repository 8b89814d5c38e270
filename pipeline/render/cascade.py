"""Variants of one product share its parsed HTML and its cascade.

District variants of a poster differ in a line of text ("In Craven? Call 101..."), the
QR code's placeholder and a link's tracking code; their tags, classes and stylesheets
are the same. Parsing the HTML and computing every element's style (the cascade, and
the values WeasyPrint computes lazily while it lays out) was about a third of
WeasyPrint's time a document, the same for every variant. Here the first variant of a
shape is rendered as WeasyPrint does it, and its element tree and styles are kept; the
next variant of the same shape gets that tree with its own texts and attribute values
put in, and is laid out afresh from there: boxes, line breaks and pages are the
variant's own, so nothing of the first variant's layout carries over.

Why the styles can be kept: CSS selects elements by their tags, attributes and place
in the tree, never by their text, so two documents whose tags and attributes are the
same (the *shape*) cascade alike. The attribute values that may differ (a link's `href`,
the QR code's placeholder `src`) are part of the shape where a selector reads them
(`a[href^="tel:"]`, `:local-link`). A text that is blank in one variant and not in the
other (`:empty`) changes the shape. Texts and values are put in by their place in the
tree, where the parser left them as written (not moved, merged or changed); a change
this module cannot place exactly renders the whole document as WeasyPrint does (and
starts the shape again), as does a document loading a stylesheet itself (it may change).

Kept per worker, the oldest shape first out (SHAPES_KEPT); only while the renderer
lock is held (render/pdf.py), so one document at a time.
"""
from __future__ import annotations

import functools
import hashlib
import io
import logging
import re
from dataclasses import dataclass, field

import weasyprint
from weasyprint import HTML
from weasyprint.css.targets import TargetCollector
from weasyprint.document import Document, Page
from weasyprint.formatting_structure.build import build_formatting_structure
from weasyprint.html import get_html_metadata
from weasyprint.images import RasterImage, get_image_from_uri
from weasyprint.layout import LayoutContext, layout_document
from weasyprint.pdf.metadata import DocumentMetadata

from .placing import place, places, slots

SHAPES_KEPT = 16
# The internals used here are WeasyPrint 70's; another version renders every document whole.
SUPPORTED = weasyprint.__version__.split(".")[0] == "70"

# Tags, and whole <style>/<script> blocks and comments (their text is not a text node).
_TOKEN = re.compile(r"(<style\b.*?</style\s*>|<script\b.*?</script\s*>|<!--.*?-->|<[^>]*>)", re.S | re.I)
# The attribute values a variant may change without changing the shape (module docstring).
_VALUE = re.compile(r'(<a\b[^>]*?\shref=")([^"]*)(")|(<img class="qr" src=")(data:image/svg\+xml;base64,[^"]*)(")')
_MASK = "\x00"


@dataclass
class _Shape:
    html: HTML  # the parsed tree, holding the texts and values of the last variant rendered
    style_for: object  # its styles (weasyprint.css.StyleFor), lazily computed values and all
    counter_style: object
    anchors: tuple[str, ...]  # what the cascade told the target collector
    said: tuple[str, ...]  # what WeasyPrint said while cascading, said again for each variant
    options: dict
    overflow: tuple  # (style, overflow) of the root and body: the box tree's build moves it to the page
    keep: tuple = ()  # the stylesheets and font configuration the key names by id, kept alive
    texts: list[str] = field(default_factory=list)  # the HTML's text between tags, as last rendered
    values: list[str] = field(default_factory=list)  # the masked attribute values, as last rendered
    slots: dict = field(default_factory=dict)  # index of a non-blank text -> (element, "text" or "tail")
    places: list | None = None  # per masked value, (element, attribute); None: not placeable
    reused: int = 0


_shapes: dict[tuple, _Shape] = {}
_built: list = []  # the layout context (and what was said) of the render in progress


def shape(text: str) -> tuple[str, list[str], list[str]]:
    """The HTML's shape (tags, masked values), its texts between tags and the masked values."""
    values: list[str] = []

    def mask(m: re.Match) -> str:
        if m.group(1) is not None:
            values.append(m.group(2))
            return m.group(1) + _MASK + m.group(3)
        values.append(m.group(5))
        return m.group(4) + _MASK + m.group(6)

    parts = _TOKEN.split(_VALUE.sub(mask, text))
    return "".join(parts[1::2]), parts[0::2], values


def render(text: str, base_url: str, fetcher, stylesheets: list, font_config, color_profiles: dict,
           pdf_variant: str | None) -> Document:
    """`HTML(string=text).render(...)`, laid out from a kept cascade where a variant of the same
    shape was rendered before. Call with the renderer lock held."""
    if not SUPPORTED:
        return _whole(text, base_url, fetcher, stylesheets, font_config, color_profiles, pdf_variant)[0]
    skeleton, texts, values = shape(text)
    key = (skeleton, base_url, str(getattr(fetcher, "cmyk", None)), tuple(map(id, stylesheets)),
           id(font_config), pdf_variant)
    kept = _shapes.get(key)
    if kept is not None:
        try:
            document = _variant(kept, texts, values, font_config, color_profiles)
        except Exception:
            del _shapes[key]  # its tree may be half changed: start the shape again
            raise
        if document is not None:
            _shapes[key] = _shapes.pop(key)  # most recently used last
            return document
        del _shapes[key]
    document, made = _whole(text, base_url, fetcher, stylesheets, font_config, color_profiles, pdf_variant)
    if made is not None:
        made.texts, made.values, made.keep = texts, values, (*stylesheets, font_config)
        made.slots = slots(made.html.etree_element, texts)
        made.places = places(made.html, made.style_for, values)
        _shapes[key] = made
        while len(_shapes) > SHAPES_KEPT:
            del _shapes[next(iter(_shapes))]
    return document


def _whole(text, base_url, fetcher, stylesheets, font_config, color_profiles, pdf_variant):
    """WeasyPrint's own render, and what it built to cascade (for the next variant)."""
    _built.clear()
    parsed = HTML(string=text, base_url=base_url, url_fetcher=fetcher)
    document = parsed.render(stylesheets=stylesheets, font_config=font_config,
                             color_profiles=color_profiles, pdf_variant=pdf_variant)
    made = None
    if SUPPORTED and _built and _built[0][0] is parsed:  # not another thread's render
        _, context, said, options, overflow = _built[0]
        made = _Shape(parsed, context.style_for, context.counter_style,
                      tuple(context.target_collector.target_lookup_items), said, options, overflow)
    _built.clear()
    return document, made


def _variant(kept: _Shape, texts: list[str], values: list[str], font_config, color_profiles) -> Document | None:
    """The kept tree with this variant's texts and values, laid out; None when a change
    cannot be placed exactly."""
    if not place(kept, texts, values):
        return None
    kept.texts, kept.values = texts, values
    kept.reused += 1
    parsed = kept.html
    logger = logging.getLogger("weasyprint")
    for message in kept.said:
        logger.warning("%s", message)
    for style, overflow in kept.overflow:
        style["overflow"] = overflow
    collector = TargetCollector()
    for anchor in kept.anchors:
        collector.collect_anchor(anchor)
    images = functools.partial(get_image_from_uri, cache={}, url_fetcher=parsed.url_fetcher, options=kept.options)
    context = LayoutContext(kept.style_for, images, font_config, kept.counter_style, collector)
    root = build_formatting_structure(parsed.etree_element, context.style_for, context.get_image_from_uri,
                                      parsed.base_url, context.target_collector, context.counter_style,
                                      context.footnotes)
    pages = layout_document(parsed, root, context)
    document = Document([Page(page) for page in pages], DocumentMetadata(**get_html_metadata(parsed)),
                        parsed.url_fetcher, font_config, color_profiles, kept.options["output_intent"])
    document._html = parsed
    return document


def _keep_context(build):
    """Document._build_layout_context, keeping what it built (and said) for `render`."""
    def kept(cls, html, font_config, counter_style, color_profiles, options):
        handler, fetcher = Said(), html.url_fetcher
        html.url_fetcher = fetched = _Fetched(fetcher)
        logger = logging.getLogger("weasyprint")
        logger.addHandler(handler)
        try:
            context = build.__func__(cls, html, font_config, counter_style, color_profiles, options)
        finally:
            logger.removeHandler(handler)
            html.url_fetcher = fetcher
        if not fetched.urls:  # a stylesheet or font the document loads may change on disk
            root = html.etree_element
            overflow = tuple((context.style_for(e), context.style_for(e)["overflow"])
                             for e in (root, *root) if e is root or e.tag == "body")
            _built[:] = [(html, context, tuple(handler.messages), dict(options), overflow)]
        return context
    return classmethod(kept)


class _Fetched:
    """A URL fetcher noting what it is asked for."""
    def __init__(self, fetcher) -> None:
        self.fetcher, self.urls = fetcher, []

    def __call__(self, url, *args, **kwargs):
        self.urls.append(url)
        return self.fetcher(url, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.fetcher, name)


class Said(logging.Handler):
    """What WeasyPrint says (warnings and worse), kept as text (render/pdf.py's too)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


PNG_DATA_KEPT = 8
_png_data: dict[tuple, bytes] = {}


def _kept_png_data(encode):
    """RasterImage._get_png_data, the image data a PNG is embedded with (decoded and
    encoded again at zlib's level 6: 4-5 ms a document for a 600 x 300 logo), made
    once per worker for the bytes of a PNG as opened (a partner's logo at each
    keystroke's proof, a campaign's PNG in every job); others (an image with its alpha
    split off) as WeasyPrint makes them. The newest PNG_DATA_KEPT are kept."""
    def kept(pillow_image):
        source = getattr(pillow_image, "fp", None)
        if not isinstance(source, io.BytesIO):
            return encode(pillow_image)
        key = (hashlib.sha256(source.getvalue()).digest(), pillow_image.mode)
        if key not in _png_data:
            _png_data[key] = encode(pillow_image)
            while len(_png_data) > PNG_DATA_KEPT:
                del _png_data[next(iter(_png_data))]
        return _png_data[key]
    return staticmethod(kept)


if SUPPORTED:
    Document._build_layout_context = _keep_context(Document._build_layout_context)
    RasterImage._get_png_data = _kept_png_data(RasterImage._get_png_data)
