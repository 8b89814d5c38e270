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
same (the *shape*) cascade alike. The attribute values that may differ are the ones no
stylesheet can see: a link's `href` (read when boxes are built) and the QR code's
placeholder `src`. A text that is empty in one variant and not in the other (`:empty`)
changes the shape. A change this module cannot place exactly (a text found more or
less than once, in the tree or in the HTML) renders the whole document as WeasyPrint
does (and starts the shape again).

Kept per worker, the oldest shape first out (SHAPES_KEPT); only while the renderer
lock is held (render/pdf.py), so one document at a time.
"""
from __future__ import annotations

import functools
import html as html_text
import logging
import re
from dataclasses import dataclass, field

import weasyprint
from weasyprint import HTML
from weasyprint.css.targets import TargetCollector
from weasyprint.document import Document, Page
from weasyprint.formatting_structure.build import build_formatting_structure
from weasyprint.html import get_html_metadata
from weasyprint.images import get_image_from_uri
from weasyprint.layout import LayoutContext, layout_document
from weasyprint.pdf.metadata import DocumentMetadata

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
    keep: tuple  # the stylesheets and font configuration the key names by id, kept alive
    texts: list[str] = field(default_factory=list)  # the HTML's text between tags, as last rendered
    values: list[str] = field(default_factory=list)  # the masked attribute values, as last rendered
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
        _, context, said, options = _built[0]
        made = _Shape(parsed, context.style_for, context.counter_style,
                      tuple(context.target_collector.target_lookup_items), said, options, ())
    _built.clear()
    return document, made


def _variant(kept: _Shape, texts: list[str], values: list[str], font_config, color_profiles) -> Document | None:
    """The kept tree with this variant's texts and values, laid out; None when a change
    cannot be placed exactly."""
    changes = [(i, old, new) for i, (old, new) in enumerate(zip(kept.texts, texts)) if old != new]
    if not _place_texts(kept, changes) or not _place_values(kept, values):
        return None
    kept.texts, kept.values = texts, values
    kept.reused += 1
    parsed = kept.html
    logger = logging.getLogger("weasyprint")
    for message in kept.said:
        logger.warning("%s", message)
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


def _text(segment: str) -> str:
    """A text between tags as the HTML parser reads it."""
    return html_text.unescape(segment.replace("\r\n", "\n").replace("\r", "\n"))


def _place_texts(kept: _Shape, changes: list[tuple[int, str, str]]) -> bool:
    """Each changed text put into the one tree node holding it; False (nothing changed)
    unless every old text is found once in the tree and once among the HTML's texts."""
    if not changes:
        return True
    olds = {_text(old) for _, old, _ in changes}
    seen = [_text(t) for t in kept.texts]
    if len(olds) != len(changes) or any(seen.count(old) != 1 for old in olds):
        return False
    if any(not _text(text).strip() for _, old, new in changes for text in (old, new)):
        return False  # a text coming or going: :empty, :blank and anonymous boxes may change
    nodes: dict[str, list[tuple]] = {old: [] for old in olds}
    for element in kept.html.etree_element.iter():
        for where in ("text", "tail"):
            value = getattr(element, where)
            if value in nodes:
                nodes[value].append((element, where))
    if any(len(found) != 1 for found in nodes.values()):
        return False
    for _, old, new in changes:
        element, where = nodes[_text(old)][0]
        setattr(element, where, _text(new))
    return True


def _place_values(kept: _Shape, values: list[str]) -> bool:
    """The changed link targets and QR placeholders put into the elements holding them;
    False (nothing changed) unless each old value becomes one new value everywhere and the
    tree holds it exactly as often as the HTML's masked values do."""
    olds, changes = [_text(v) for v in kept.values], {}
    for old, new in zip(olds, map(_text, values)):
        if changes.setdefault(old, new) != new:
            return False
    changes = {old: new for old, new in changes.items() if old != new}
    if not changes:
        return True
    found = [(element, name, value) for element in kept.html.etree_element.iter() for name in ("href", "src")
             if (value := element.get(name)) in changes]
    if any(sum(1 for *_, value in found if value == old) != olds.count(old) for old in changes):
        return False
    for element, name, value in found:
        element.set(name, changes[value])
    return True


def _keep_context(build):
    """Document._build_layout_context, keeping what it built (and said) for `render`."""
    def kept(cls, html, font_config, counter_style, color_profiles, options):
        handler = _Said()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(handler)
        try:
            context = build.__func__(cls, html, font_config, counter_style, color_profiles, options)
        finally:
            logger.removeHandler(handler)
        _built[:] = [(html, context, tuple(handler.messages), dict(options))]
        return context
    return classmethod(kept)


class _Said(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


if SUPPORTED:
    Document._build_layout_context = _keep_context(Document._build_layout_context)
