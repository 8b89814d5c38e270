"""What the renderer placed on each page, read from WeasyPrint's boxes: text, images and
the QR code with where they are, their colours and each glyph's ink (`Placed`, for
copyfitting and preflight)."""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.draw import text as wp_text
from weasyprint.formatting_structure import boxes
from weasyprint.images import RasterImage, SVGImage
from weasyprint.text.ffi import FROM_UNITS, ffi, gobject, pango

from .. import textlayer  # noqa: F401  its hook on WeasyPrint's line drawing goes in first: ours wraps it
from ..stages import Placed

PX_TO_MM = 25.4 / 96  # CSS px

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


# The glyphs' ink, read while WeasyPrint draws each line (its Pango layout is shaped
# for drawing then, and let go after): by the text box, kept with it (its id is
# unique while the box lives). A line not drawn (visibility: hidden), or one drawn
# with an ellipsis (its text changed as it is drawn), is shaped again afterwards.
_drawing = threading.local()
_drawn_first_line = wp_text.draw_first_line
# Pango's paragraph separators. WeasyPrint draws a line in single-paragraph mode, and
# turning it on shapes the text again; a text without a separator is shaped alike
# either way, so the mode is turned on before the ink is read and the text shaped once.
PARAGRAPH_SEPARATORS = re.compile("[\n\r\u2029]")


def _draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    inks = getattr(_drawing, "inks", None)
    if (inks is not None and isinstance(textbox, boxes.TextBox)  # not an SVG's <text>
            and text_overflow != "ellipsis" and block_ellipsis == "none"
            and getattr(textbox, "pango_layout", None) is not None):
        if not PARAGRAPH_SEPARATORS.search(textbox.pango_layout.text or ""):
            pango.pango_layout_set_single_paragraph_mode(textbox.pango_layout.layout, True)
        inks[id(textbox)] = (textbox, _glyph_ink(textbox, _drawing.extents))
    return _drawn_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)


wp_text.draw_first_line = _draw_first_line


@contextmanager
def reading_ink():
    """While a document is drawn (write_pdf), each line's ink is read as it is drawn,
    for `layout_map`: the text is not shaped a third time (layout, drawing, here)."""
    previous = getattr(_drawing, "inks", None), getattr(_drawing, "extents", None)
    _drawing.inks, _drawing.extents = {}, GlyphExtents()
    try:
        yield _drawing.inks
    finally:
        _drawing.inks, _drawing.extents = previous


def layout_map(document, inks: dict | None = None) -> list[Placed]:
    """Every text run and image the layout placed, page by page; `inks`: the glyphs'
    ink read while the document was drawn (`reading_ink`), for the lines it has."""
    inks = inks or {}
    placed: list[Placed] = []

    def rect(box):
        return (box.content_box_x() * PX_TO_MM, box.content_box_y() * PX_TO_MM,
                box.width * PX_TO_MM, box.height * PX_TO_MM)

    def where(path) -> str:
        # Name the place by its classed ancestors below the sheet, e.g.
        # "div.panel.in-2 > section.stats > div.stat > p.figure".
        return " > ".join(name for _, name in path[3:]) or (path[-1][1] if path else "")

    def walk(box, page, path, background, clip, ground=(0, 0, 0, 0)):
        element = getattr(box, "element", None)
        if element is not None and (not path or path[-1][0] is not element):
            path = path + ((element, _describe(element)),)
        style = box.style
        painted = _srgb(style["background_color"])
        if painted:
            ground = _cmyk(style["background_color"])
        background = painted or background
        if style["overflow"] != "visible" and not isinstance(box, (boxes.TextBox, boxes.ReplacedBox)):
            x, y = box.padding_box_x() * PX_TO_MM, box.padding_box_y() * PX_TO_MM
            w, h = box.padding_width() * PX_TO_MM, box.padding_height() * PX_TO_MM
            clip = _intersect(clip, (x, y, w, h)) if clip else (x, y, w, h)
        if isinstance(box, boxes.TextBox) and box.text.strip(" \t\n\u200b"):  # not a bare <wbr>
            placed.append(Placed(
                page, "text", rect(box), where(path), text=box.text,
                font_size_pt=style["font_size"] * 0.75, bold=style["font_weight"] >= 600,
                colour=_srgb(style["color"]) or (0, 0, 0), background=background, clip=clip,
                colour_cmyk=_cmyk(style["color"]), background_cmyk=ground, **_drawn_ink(box, inks)))
        elif isinstance(box, boxes.ReplacedBox):
            image = box.replacement
            is_qr = "qr" in (element.get("class") or "").split() if element is not None else False
            raster = hasattr(image, "mode")
            placed.append(Placed(
                page, "qr" if is_qr else "image", rect(box), where(path), background=background, clip=clip,
                image_px=(image.width, image.height) if raster else None,
                image_mode=image.mode if raster else None))
        layers = box.background.layers if getattr(box, "background", None) else ()
        if any(_picture(layer.image) for layer in layers):
            placed.append(Placed(
                page, "backdrop", (box.border_box_x() * PX_TO_MM, box.border_box_y() * PX_TO_MM,
                                   box.border_width() * PX_TO_MM, box.border_height() * PX_TO_MM),
                where(path), background=background, clip=clip))
        for child in getattr(box, "children", ()):
            walk(child, page, path, background, clip, ground)

    for number, page in enumerate(document.pages, 1):
        walk(page._page_box, number, (), (1.0, 1.0, 1.0), None)
    return placed


def _picture(image) -> bool:
    """A CSS background that is a picture (not a gradient), other than the project's
    own Easy Read pictograms: it may carry text, which preflight reads (OCR) as it
    reads an <img>'s."""
    if isinstance(image, SVGImage):
        folder = Path(unquote(urlsplit(str(getattr(image, "_base_url", ""))).path)).parent
        return (folder.parent.name, folder.name) != ("assets", "easy-read")
    return isinstance(image, RasterImage)


def _drawn_ink(box, inks: dict) -> dict:
    found = inks.get(id(box))
    return found[1] if found is not None and found[0] is box else _ink(box)


def _ink(box) -> dict:
    """The ink of a text box's glyphs, its Pango layout shaped again (WeasyPrint frees
    it once drawn)."""
    layout = getattr(box, "pango_layout", None)
    if layout is None:
        return {}
    layout.reactivate(box.style)
    try:
        return _glyph_ink(box, GlyphExtents())
    finally:
        layout.deactivate()


# A glyph's ink rectangle from Pango (pango_font_get_glyph_extents), asked once a
# document per font and glyph; each font held while it is a key (a font let go may
# leave its address to another).
ffi.cdef("gpointer g_object_ref (gpointer object);")


class GlyphExtents(dict):
    """(font, glyph) -> the glyph's ink (x, y, width, height) in Pango units."""

    def __init__(self):
        super().__init__()
        self.fonts, self.rect = {}, ffi.new("PangoRectangle *")

    def __missing__(self, key):
        font, glyph = key
        if font not in self.fonts:
            self.fonts[font] = ffi.gc(gobject.g_object_ref(font), gobject.g_object_unref)
        rect = self.rect
        pango.pango_font_get_glyph_extents(font, glyph, rect, ffi.NULL)
        found = self[key] = (rect.x, rect.y, rect.width, rect.height)
        return found


GLYPH_INFO = ffi.sizeof("PangoGlyphInfo")  # glyph, width, x and y offsets, attributes
assert GLYPH_INFO == 5 * ffi.sizeof("int")
EMPTY, UNKNOWN = pango.PANGO_GLYPH_EMPTY, pango.PANGO_GLYPH_UNKNOWN_FLAG


def _glyph_ink(box, extents: GlyphExtents) -> dict:
    """The ink of a text box's glyphs as Pango shaped and placed them (cursive
    attachment in Nastaliq raises and lowers glyphs), from its active layout: one
    (x, y, width, height) in mm on the page per glyph that draws something (`ink`),
    and the characters each draws (`ink_text`)."""
    layout = box.pango_layout
    utf8 = (layout.text or "").encode()
    line, _ = layout.get_first_line()
    x, baseline = box.position_x, box.position_y + box.baseline
    glyphs, texts = [], []
    node = line.runs
    while node != ffi.NULL:
        run = node.data
        node = node.next
        string, item = run.glyphs, run.item
        count, font, offset = string.num_glyphs, item.analysis.font, item.offset
        # The run's glyphs read at once (five ints each), not field by field through cffi.
        infos = memoryview(ffi.buffer(string.glyphs, count * GLYPH_INFO)).cast("i").tolist()
        clusters = [offset + cluster for cluster in ffi.unpack(string.log_clusters, count)]
        starts = sorted(set(clusters))
        ends = dict(zip(starts, starts[1:] + [offset + item.length]))
        seen = set()
        for glyph, width, x_offset, y_offset, start in zip(infos[0::5], infos[1::5], infos[2::5], infos[3::5],
                                                           clusters):
            if not glyph & UNKNOWN and glyph != EMPTY:
                ink_x, ink_y, ink_width, ink_height = extents[font, glyph]
                if ink_width > 0 and ink_height > 0:
                    left = x + (x_offset + ink_x) * FROM_UNITS
                    top = baseline + (y_offset + ink_y) * FROM_UNITS
                    glyphs.append((left * PX_TO_MM, top * PX_TO_MM, ink_width * FROM_UNITS * PX_TO_MM,
                                   ink_height * FROM_UNITS * PX_TO_MM))
                    texts.append("" if start in seen else utf8[start:ends[start]].decode("utf-8", "replace"))
                    seen.add(start)
            x += width * FROM_UNITS
    return {"ink": tuple(glyphs), "ink_text": tuple(texts)}


def _intersect(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return (x0, y0, max(0.0, x1 - x0), max(0.0, y1 - y0))
