"""One line drawn in two layers: its glyphs where Pango put them, reading as nothing, in a
form XObject; its text as invisible characters in logical order (docs/textlayer.md)."""
from __future__ import annotations

import io
import math
import unicodedata
from dataclasses import dataclass

import pydyf
from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont
from weasyprint.text.ffi import FROM_UNITS, pango

from ..stages import GLYPHS
from .layer import ALTERNATE, STRETCH, Layer, Run
from .pdfium import draw_for_pdfium


def _glyph_width(stream, run: "Run", gid: int) -> int:
    font = run.font
    if gid not in font.widths:
        pango.pango_font_get_glyph_extents(run.pango_font, gid, stream.ink_rect, stream.logical_rect)
        font.widths[gid] = round(stream.logical_rect.width * 1000 * FROM_UNITS / run.font_size)
    return font.widths[gid]


RLM = "\u200f"


def _poppler_type(ch: str) -> str:
    """How poppler's text output classes a character for its own reordering of a
    right-to-left line (UnicodeTypeTable): 'R', 'L', '#' (digits and the separators
    and signs around numbers: , . : - % and the Arabic comma) or 'N' (spaces, marks,
    other punctuation)."""
    kind = unicodedata.bidirectional(ch)
    if kind in ("R", "AL"):
        return "R"
    if kind == "L":
        return "L"
    return "#" if kind in ("EN", "AN", "ES", "ET", "CS") else "N"


@dataclass
class _Cluster:
    start: int  # byte offset of its text in the layout's text
    text: str
    glyphs: list  # (gid, x, y_offset, width in thousandths of an em)
    left: float = 0  # where its text is laid (text space)
    width: float = 0


_outlines: dict[tuple[str, int], bytes] = {}
_faces: dict[str, TTFont] = {}


def _outline(font, gid: int) -> bytes:
    """Glyph `gid` of `font` as a filled path in font units (y up, as text space)."""
    key = (font.hash, gid)
    if key not in _outlines:
        face = _faces.get(font.hash)
        if face is None:
            face = _faces[font.hash] = TTFont(io.BytesIO(font.file_content), fontNumber=font.index, lazy=True)
        pen = _PathPen(face.getGlyphSet())
        face.getGlyphSet()[face.getGlyphName(gid)].draw(pen)
        _outlines[key] = b" ".join(pen.ops) + (b" f" if pen.ops else b"")
    return _outlines[key]


class _PathPen(BasePen):
    """PDF path operators for a glyph (quadratic curves as cubic ones)."""

    def __init__(self, glyph_set):
        super().__init__(glyph_set)
        self.ops: list[bytes] = []

    def _add(self, points, op: str) -> None:
        self.ops.append((" ".join(f"{v:g}" for point in points for v in point) + " " + op).encode())

    def _moveTo(self, pt):
        self._add([pt], "m")

    def _lineTo(self, pt):
        self._add([pt], "l")

    def _curveToOne(self, pt1, pt2, pt3):
        self._add([pt1, pt2, pt3], "c")

    def _closePath(self):
        self.ops.append(b"h")


def _inked(run: Run) -> int:
    """The run's first glyph that draws something (not a space), kept in the font's
    subset: the characters PDFium reads are set in it, as it passes over a text object
    whose glyphs have an empty box. (The glyphs seen are outlines, so only the glyphs
    named in the font's ToUnicode, here with the text they stand for, stay in it.)"""
    glyph = next((g for g in run.glyphs if _outline(run.font, g.gid)), run.glyphs[0])
    run.font.to_unicode.setdefault(glyph.gid, run.texts[glyph.cluster])
    return glyph.gid


def _blank(run: Run) -> int:
    """The font's space, a glyph with an empty box, kept in the subset: the characters
    that pdfminer, pypdf and poppler read are set in it, so PDFium passes over them and
    reads its own (pdfium.py). A font without one: the run's inked glyph."""
    font = run.font
    face = _faces.get(font.hash)
    if face is None:
        face = _faces[font.hash] = TTFont(io.BytesIO(font.file_content), fontNumber=font.index, lazy=True)
    name = face.getBestCmap().get(0x20) if "cmap" in face else None
    gid = face.getGlyphID(name) if name else None
    if gid is None or _outline(font, gid):
        return _inked(run)
    font.to_unicode.setdefault(gid, " ")
    return gid


def _glyph_form(stream, bbox) -> pydyf.Stream:
    """A form XObject in the resources of `stream`, for the glyphs of one line: no
    transparency group, so it paints as the page would. poppler and Ghostscript
    render the page pixel for pixel as with the glyphs in the page; pdfium moves a few
    edge pixels of large glyphs by an anti-aliasing step (at most 18/255)."""
    # Glyphs only: the colour and everything else come from where the form is drawn.
    resources = pydyf.Dictionary({"Font": None})  # the document's fonts, set by WeasyPrint
    extra = pydyf.Dictionary({"Type": "/XObject", "Subtype": "/Form", "BBox": pydyf.Array(bbox),
                              "Resources": resources})
    form = stream.clone(resources=resources, extra=extra)
    form.id = f"t{len(stream._resources['XObject'])}"
    stream._resources["XObject"][form.id] = form
    return form


def _text_box(values, per_run) -> list[float]:
    """Where the line's glyphs can ink, in user space, with room to spare (Nastaliq
    reaches 1.8 em above the baseline and 1.4 em below; marks are raised further)."""
    a, b, c, d, e, f = values
    xs, ys = [], []
    for run, ordered, _, _ in per_run:
        size = run.font_size
        for cluster in ordered:
            for _, x, y_offset, width in cluster.glyphs:
                rise = -y_offset / 1000
                for tx in (x - 2 * size, x + width * size / 1000 + 2 * size):
                    for ty in (rise - 3 * size, rise + 3 * size):
                        xs.append(a * tx + c * ty + e)
                        ys.append(b * tx + d * ty + f)
    return [round(min(xs), 2), round(min(ys), 2), round(max(xs), 2), round(max(ys), 2)]


def draw_logical(stream, runs: list[Run], matrix, layer: Layer, line_rtl: bool,
                  pitch: float | None = None) -> None:
    """Draw the line: its glyphs where Pango put them, reading as nothing, in a form
    XObject; then its text as invisible characters laid over the clusters, in logical
    order. What each extractor needs of it, and so why each step is as it is:
    docs/textlayer.md."""
    reading = _Reading(stream, matrix, layer, runs, line_rtl, pitch)
    per_run, painted = _clusters(stream, runs, line_rtl)
    form = _draw_glyphs(stream, matrix, layer, per_run, painted)
    font, gid = reading.pdfium_font(runs[0])
    draw_for_pdfium(form, matrix.values, layer, font, gid, _logical_chars(per_run))
    _draw_reading(reading, per_run, line_rtl)


def _logical_chars(per_run: list) -> list[tuple[str, float, float]]:
    """The line's characters in logical order: (character, its share of its cluster's
    width, its font size)."""
    clusters = sorted(((cluster, run.font_size) for run, ordered, _, _ in per_run for cluster in ordered),
                      key=lambda item: item[0].start)
    return [(ch, cluster.width / len(cluster.text), size) for cluster, size in clusters for ch in cluster.text]


class _Reading:
    """The line's characters read: invisible (rendering mode 3), in the reading font
    and size, laid over the clusters they stand for."""

    def __init__(self, stream, matrix, layer: Layer, runs: list[Run], line_rtl: bool, pitch: float | None):
        self.stream, self.layer, self.line_rtl, self.values = stream, layer, line_rtl, matrix.values
        # The characters of a right-to-left line are all read in one font (the first
        # right-to-left run's): pdfminer keeps characters on one line only while their
        # boxes, made from each font's ascent and descent, overlap enough; Nastaliq's
        # and the Latin font's hardly do.
        if line_rtl and layer.reader is None:
            first = next((run for run in runs if run.rtl), None)
            if first is not None:
                layer.reader = (first.font, _blank(first))
                layer.pdfium_reader = (first.font, _inked(first))
        # The size poppler and pdfminer take for a character read: in a right to left
        # line, most of the line's pitch, every other character a hair larger.
        self.stretch = max(1.0, STRETCH * pitch / runs[0].font_size) if line_rtl and pitch else 1.0
        self.parity = 0
        self.inked = False  # PDFium reads these characters too (see draw_logical)

    def font(self, run: Run):
        if self.inked:
            return self.pdfium_font(run)
        return self.layer.reader if self.line_rtl and self.layer.reader else (run.font, _blank(run))

    def pdfium_font(self, run: Run):
        """The font and the inked glyph of the characters PDFium reads (pdfium.py)."""
        if self.line_rtl and self.layer.pdfium_reader:
            return self.layer.pdfium_reader
        return run.font, _inked(run)

    def place(self, run: Run, x: float) -> None:
        """Set the font and the text matrix of the next character read, at x."""
        a, b, c, d, e, f = self.values
        reader = self.font(run)[0]
        size = run.font_size * self.stretch
        if self.line_rtl:
            self.parity ^= 1
            size *= 1 + ALTERNATE * self.parity
        squeeze = run.font_size / size  # the advance stays that of run.font_size
        pydyf.Stream.set_font_size(self.stream, reader.hash, round(size, 6))
        self.stream._current_font = (reader.hash, size)
        self.stream.set_text_matrix(a * squeeze, b * squeeze, c, d, e + a * x, f + b * x)

    def characters(self, run: Run, cluster: _Cluster, left: float, width: float, rtl: bool) -> None:
        self.stream.set_text_rendering(3)
        text = cluster.text
        share = width / len(text) if text else 0
        # Rounded up, and a thousandth more: characters side by side overlap by a
        # hair, never leave a gap (poppler spaces out a line whose characters all
        # stand apart, however little).
        per_char = math.ceil(share / run.font_size * 1000) + 1 if run.font_size else 0
        reader, gid = self.font(run)
        for i, ch in enumerate(text):
            slot = len(text) - 1 - i if rtl else i
            self.place(run, left + slot * share)
            self.stream.show_text(f"<{self.layer.code(reader, gid, ch, per_char, carrier=True):04x}>")

    def mark(self, run: Run, x: float, actual: str | None):
        """An invisible character reading as nothing, at x; with `actual`, poppler
        reads that instead (its properties returned)."""
        self.stream.set_text_rendering(3)
        properties = None
        if actual is not None:
            properties = pydyf.Dictionary({"ActualText": pydyf.String(actual)})
            self.stream.begin_marked_content("Span", properties)
        reader, gid = self.font(run)
        self.place(run, x)
        # A tenth of an em wide: pdfminer breaks the line at two characters side by
        # side with no width between them.
        self.stream.show_text(f"<{self.layer.code(reader, gid, '', 100, carrier=True):04x}>")
        if actual is not None:
            self.stream.end_marked_content()
        return properties


def _clusters(stream, runs: list[Run], line_rtl: bool) -> tuple[list, list]:
    """Clusters of each run, tiled over the run's width in logical order (no gaps or
    overlaps between the characters an extractor joins into words), laid in the
    line's direction; and each run's clusters' glyphs as shaped, in painting order."""
    per_run = []
    painted = []
    for run in runs:
        x = run.x
        clusters: dict[int, _Cluster] = {}
        advances: dict[int, float] = {}
        for g in run.glyphs:
            cluster = clusters.setdefault(g.cluster, _Cluster(g.cluster, run.texts[g.cluster], []))
            cluster.glyphs.append((g.gid, x + g.x_offset / 1000, g.y_offset, _glyph_width(stream, run, g.gid)))
            advance = g.width * FROM_UNITS
            advances[g.cluster] = advances.get(g.cluster, 0) + advance
            x += advance
        painted.append((run, [clusters[k].glyphs for k in sorted(clusters)]))
        ordered = []
        for start in sorted(clusters):
            cluster = clusters[start]
            if ordered and advances[start] <= 0:
                # A cluster with no advance of its own (a combining mark Pango shapes
                # apart: the zer of شریکِ, the tanwin of تقریباً; a zero-width joiner)
                # is read with the cluster before it, sharing its width. Alone, it is a
                # character of no width at its base's edge, which poppler joins to the
                # base in drawing order and then reverses with the line (زیِر).
                previous = ordered[-1]
                previous.text += cluster.text
                previous.glyphs = previous.glyphs + cluster.glyphs  # `painted` keeps its own
                continue
            ordered.append(cluster)
        right = x
        # Laid in the line's direction (a run against it is mirrored for reading).
        pen = right if line_rtl else run.x
        for cluster in ordered:
            cluster.width = max(advances[cluster.start], 0)
            if line_rtl:
                pen -= cluster.width
                cluster.left = pen
            else:
                cluster.left = pen
                pen += cluster.width
        per_run.append((run, ordered, run.x, right))
    return per_run, painted


def _draw_glyphs(stream, matrix, layer: Layer, per_run: list, painted: list):
    """What is seen: every glyph at its place, as the outline the font draws, in a form
    XObject of its own (see _glyph_form for how it renders). Outlines, not text: a code
    that reads as nothing is still read by PDFium (as its number), which orders what it
    reads by position, so the glyphs would stand among the characters read. Marked
    GLYPHS: to the reader's eye (eye.py) they are text, hidden with it."""
    a, b, c, d, e, f = matrix.values
    form = _glyph_form(stream, _text_box(matrix.values, per_run))
    form.begin_marked_content(GLYPHS)
    for run, shaped in painted:
        scale = run.font_size / run.font.upem
        for cluster_glyphs in sorted(shaped, key=lambda gs: gs[0][1]):
            for gid, x, y_offset, _ in cluster_glyphs:
                rise = -y_offset / 1000
                form.push_state()
                form.transform(a * scale, b * scale, c * scale, d * scale,
                               e + a * x + c * rise, f + b * x + d * rise)
                form.stream.append(_outline(run.font, gid))
                form.pop_state()
    form.end_marked_content()
    stream.end_text()  # no XObject inside a text object
    stream.draw_x_object(form.id)
    stream.begin_text()
    return form


def _draw_reading(reading: _Reading, per_run: list, line_rtl: bool) -> None:
    """What is read: the line's text in logical order; a run against the line's
    direction one /ActualText word to poppler, a right-to-left mark before a space or
    separator that poppler would move, and the page's direction mark (finish.py)."""
    previous = None  # poppler's class of the last character read on this line
    per_run.sort(key=lambda item: item[1][0].start if item[1] else 0)
    for run, ordered, left_edge, right_edge in per_run:
        if not ordered:
            continue
        if run.rtl != line_rtl:
            # Against the line: poppler reads the run's text as one word.
            reading.stream.begin_marked_content("Span", pydyf.Dictionary(
                {"ActualText": pydyf.String("".join(cl.text for cl in ordered))}))
            # A hair inside the run: PDFium orders by position, and a character of the
            # line's own at the same place would come between the run's and split it.
            reading.mark(run, right_edge - run.font_size * 0.005 if line_rtl else left_edge, None)
            for cluster in ordered:
                reading.characters(run, cluster, cluster.left, cluster.width, line_rtl)
            reading.mark(run, left_edge if line_rtl else right_edge, None)
            reading.stream.end_marked_content()
            previous = "L"
            continue
        for cluster in ordered:
            inside = cluster.left + cluster.width - min(cluster.width / 4, run.font_size * 0.005)
            if line_rtl and run.rtl and id(reading.stream) not in reading.layer.direction:
                # The page's first right-to-left line: its direction mark (see finish).
                reading.layer.direction[id(reading.stream)] = reading.mark(run, inside, RLM)
            kind = _poppler_type(cluster.text[:1]) if cluster.text else "N"
            if line_rtl and kind in ("N", "#") and previous in ("L", "#", None):
                # Inside the space or separator, against the character before it:
                # poppler sorts by position and puts a space only where it sees a gap.
                # A separator after a left-to-right run (the full stop of "Trust.", the
                # colon of "2018:") would join the run, whose side poppler takes it for.
                reading.mark(run, inside, RLM)
            reading.characters(run, cluster, cluster.left, cluster.width, run.rtl)
            if cluster.text:
                previous = _poppler_type(cluster.text[-1])
    reading.stream.set_text_rendering(0)
