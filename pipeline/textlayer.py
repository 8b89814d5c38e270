"""A text layer that reads back as the source text, in logical order, in any script.

WeasyPrint maps each glyph to one string in the font's ToUnicode CMap, the first
time it draws the glyph (upstream issue #2841). With real GSUB shaping (Noto
Nastaliq Urdu) one glyph is drawn for different letters (the letters of one
skeleton differ only by their dots), a letter is drawn with several glyphs, and a
right-to-left run is drawn left to right: screen readers, search, copy and paste
and every extractor read a different text from the one printed.

This module hooks WeasyPrint's drawing of one line (`draw_first_line`) while a
screen copy is rendered (`text_layer(...)`). A line with an ambiguous run (right to
left, a cluster that is not one glyph for one character, or a glyph already mapped
to another text) is drawn in two layers:

- what is seen: each glyph where Pango put it, through a code that reads as
  nothing, painted in the order WeasyPrint paints them (the page looks the same),
  inside a form XObject of the text box's own, drawn where the text box is;
- what is read: the line's text, in *logical* order, as invisible characters
  (rendering mode 3) laid over the clusters they stand for, one code per character
  whose ToUnicode entry is that character (a CIDToGIDMap sends the codes to a real
  glyph; `finish`). Extractors that ignore marked content (pdfminer, pypdf) read
  the source text in logical order, and only it: the glyphs inside a form are kept
  apart from the page's characters (see `_draw_logical`);
- the line's structure element gets `/ActualText` (the line's text, logical order),
  which screen readers use;
- poppler, which orders characters by position with a bidi pass of its own, gets
  marked-content `/ActualText` for what it would misorder: a run against the line's
  direction (digits, an English name in Urdu) and a right-to-left mark before a
  space that follows a digit or separator (see `_draw_logical`).

It also marks text boxes in another language than the document's (English names
and addresses in an Urdu leaflet) with `/Lang`: in the marked-content properties
and, by `finish`, on the structure element of the text.
"""
from __future__ import annotations

import io
import math
import re
import threading
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field

import pydyf
from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont
from weasyprint.draw import text as wp_text
from weasyprint.text.line_break import strut
from weasyprint.text.ffi import FROM_UNITS, ffi, pango

_local = threading.local()
ACTUAL_KEY = "PipelineActualText"  # carried from the drawing to finish(), never written
FIRST_VIRTUAL = 1024  # virtual codes start this far above the font's last glyph
LATIN = re.compile(r"[A-Za-z]")
STRETCH = 0.8  # of a right-to-left line's pitch: the height extractors give a character read
ALTERNATE = 1e-5  # every other character read in a right-to-left line is this much larger


def _script_letters(text: str) -> set[str]:
    """The scripts of the letters of `text`, roughly: 'latin', 'arabic', 'other'."""
    scripts = set()
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        scripts.add("latin" if name.startswith("LATIN") else "arabic" if name.startswith("ARABIC") else "other")
    return scripts


@dataclass
class Layer:
    """What the hook recorded while one document was drawn."""

    language: str  # the document's language, e.g. "ur" or "en-GB"
    other_language: str | None  # language of Latin-script runs in a non-Latin document
    virtual: dict[str, dict[tuple[int, str, int], int]] = field(default_factory=dict)  # font -> (gid, text, width) -> code
    fonts: dict[str, object] = field(default_factory=dict)  # font hash -> WeasyPrint font
    lines: int = 0  # lines drawn with a text layer of their own
    reader: tuple | None = None  # (font, glyph) every right-to-left line's characters are read in

    def code(self, font, gid: int, text: str, width: int, carrier: bool = False) -> int:
        """The character code that draws glyph `gid` `width` thousandths of an em wide
        and reads as `text`. Carriers are drawn invisible and only read."""
        if not carrier:
            known = font.to_unicode.setdefault(gid, text)  # keeps the glyph in the subset
            if known == text:
                return gid
        table = self.virtual.setdefault(font.hash, {})
        self.fonts[font.hash] = font
        key = (gid, text, width)
        if key not in table:
            table[key] = font.glyph_count + FIRST_VIRTUAL + len(table)
            if table[key] > 0xFFFF:
                raise ValueError(f"too many distinct glyph readings in {font.family}")
        return table[key]


@contextmanager
def text_layer(language: str, other_language: str | None):
    """Draw the documents rendered inside this block with a faithful text layer."""
    previous = getattr(_local, "layer", None)
    _local.layer = layer = Layer(language, other_language)
    try:
        yield layer
    finally:
        _local.layer = previous


_original_draw_first_line = wp_text.draw_first_line


def _draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    layer: Layer | None = getattr(_local, "layer", None)
    if (layer is None or text_overflow == "ellipsis" or block_ellipsis != "none"
            or not textbox.text.strip() or textbox.style["font_size"] < 1e-6):
        return _original_draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    _mark_language(stream, textbox, layer)
    pango.pango_layout_set_single_paragraph_mode(textbox.pango_layout.layout, True)
    line, _ = textbox.pango_layout.get_first_line()
    runs = _runs(stream, textbox, line)
    line_rtl = _line_rtl(textbox)
    if runs is None or not any(run.ambiguous or run.rtl != line_rtl for run in runs):
        return _original_draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    utf8 = textbox.pango_layout.text.encode()
    actual = utf8[line.start_index:line.start_index + line.length].decode()
    _draw_logical(stream, runs, matrix, layer, line_rtl, strut(textbox.style)[0])
    properties = _properties(stream, textbox)
    if properties is not None:  # moved onto the structure element by finish()
        properties[ACTUAL_KEY] = pydyf.String(actual)
    layer.lines += 1
    return []


wp_text.draw_first_line = _draw_first_line


def _line_rtl(textbox) -> bool:
    """Whether the line the text box sits on runs right to left: its own direction, or
    its parent's for a left-to-right isolate (`<bdi dir="ltr">`, `dir="ltr"`) inline in
    right-to-left text (a text relay number, a service's name)."""
    style = textbox.style
    parent = getattr(style, "parent_style", None)
    return style["direction"] == "rtl" or (parent is not None and parent["direction"] == "rtl")


def _mark_language(stream, textbox, layer: Layer) -> None:
    """A Latin-only text box in a document of another script is in `other_language`:
    say so in its marked-content properties (copied onto its structure element)."""
    if not layer.other_language or stream._tags is None or textbox not in stream._tags:
        return
    if _script_letters(textbox.text) != {"latin"}:
        return
    properties = _properties(stream, textbox)
    if properties is not None:
        properties["Lang"] = pydyf.String(layer.other_language)


def _properties(stream, textbox):
    """The property list of the marked content WeasyPrint opened for `textbox`."""
    if stream._tags is None or textbox not in stream._tags:
        return None
    mcid = stream._tags[textbox]["mcid"]
    for item in reversed(stream.stream):
        if isinstance(item, pydyf.Dictionary) and item.get("MCID") == mcid:
            return item
    return None


@dataclass
class _Glyph:
    gid: int
    width: int  # Pango units: the pen's advance
    x_offset: int
    y_offset: int
    cluster: int  # byte offset of its cluster in the layout's text


@dataclass
class _Run:
    font: object
    font_size: float
    rtl: bool
    glyphs: list[_Glyph]
    texts: dict[int, str]  # cluster start -> the cluster's text
    pango_font: object = None
    x: float = 0  # text-space position of the run's left edge
    ambiguous: bool = False


def _runs(stream, textbox, line) -> list[_Run] | None:
    """The line's runs in visual order, with their glyphs and clusters; None when a
    run uses a bitmap or colour font (drawn by WeasyPrint as it is)."""
    utf8 = textbox.pango_layout.text.encode()
    runs = []
    node = line.runs
    x = 0.0
    while node != ffi.NULL:
        glyph_item = node.data
        node = node.next
        glyph_string = glyph_item.glyphs
        item = glyph_item.item
        font, font_size = stream.add_font(item.analysis.font)
        if font.bitmap or font.png or font.svg or font.colr:
            return None
        if pango.pango_version() < 14802:
            font_size = textbox.style["font_size"]
        glyphs = []
        for i in range(glyph_string.num_glyphs):
            info = glyph_string.glyphs[i]
            gid = info.glyph
            if gid == pango.PANGO_GLYPH_EMPTY or gid & pango.PANGO_GLYPH_UNKNOWN_FLAG:
                return None  # WeasyPrint handles these (and warns about missing glyphs)
            glyphs.append(_Glyph(gid, info.geometry.width, info.geometry.x_offset, info.geometry.y_offset,
                                 item.offset + glyph_string.log_clusters[i]))
        starts = sorted({g.cluster for g in glyphs})
        ends = starts[1:] + [item.offset + item.length]
        texts = {s: utf8[s:e].decode("utf-8", "replace") for s, e in zip(starts, ends)}
        run = _Run(font, font_size, bool(item.analysis.level % 2), glyphs, texts, item.analysis.font, x)
        per_cluster: dict[int, int] = {}
        for g in glyphs:
            per_cluster[g.cluster] = per_cluster.get(g.cluster, 0) + 1
        run.ambiguous = (run.rtl or any(n != 1 for n in per_cluster.values())
                         or any(len(t) != 1 for t in texts.values())
                         or any(font.to_unicode.get(g.gid, texts[g.cluster]) != texts[g.cluster] for g in glyphs))
        runs.append(run)
        x += sum(g.width for g in glyphs) * FROM_UNITS
    return runs


def _glyph_width(stream, run: "_Run", gid: int) -> int:
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


GLYPHS = "Glyphs"  # the marked-content tag of the outlines of a line's glyphs
_outlines: dict[tuple[str, int], bytes] = {}
_faces: dict[str, TTFont] = {}


def _inked(run: "_Run") -> int:
    """The run's first glyph that draws something (not a space), kept in the font's
    subset: the characters read are set in it, and PDFium passes over a text object
    whose glyphs have an empty box. (The glyphs seen are outlines, so only the glyphs
    named in the font's ToUnicode, here with the text they stand for, stay in it.)"""
    glyph = next((g for g in run.glyphs if _outline(run.font, g.gid)), run.glyphs[0])
    run.font.to_unicode.setdefault(glyph.gid, run.texts[glyph.cluster])
    return glyph.gid


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


def _draw_logical(stream, runs: list[_Run], matrix, layer: Layer, line_rtl: bool,
                  pitch: float | None = None) -> None:
    """Draw the line: its glyphs where Pango put them, reading as nothing, in a form
    XObject; then its text as invisible characters laid over the clusters, in logical
    order.

    What the extractors that are not ours need of it:

    - pdfminer joins characters into a line while each is near the one drawn before
      it, reads them in drawing order, then joins lines into a block while they are
      within half a character's height of each other; pypdf reads drawing order and
      adds a space when the pen jumps forward. So the line is read in one sweep in its
      direction (right to left in Urdu), a run against the line's direction (digits,
      an English name in Urdu) has its characters laid in the line's direction too, in
      logical order, and the glyphs are drawn in a form XObject: pdfminer takes a
      form's characters apart from the page's, so the glyphs (characters of no text
      to it, drawn left to right) no longer stand between the characters read by one
      text box and the next of the same line (a linked 999, a bold tag, the rest of
      the line), which broke the line in pieces that it then ordered as blocks;
    - pdfminer and poppler take a character's height from its font size: in a right
      to left line the characters read are set at `STRETCH` of the line's pitch
      (Nastaliq lines are 1.8 em apart), their advance squeezed back by the text
      matrix. At 1 em, pdfminer left every line a block of its own and ordered the
      blocks across the DL's panels; poppler, which keeps lines in one block while
      their baselines are less than 1.5 of the font size apart, did the same;
    - poppler orders characters by position and reverses right-to-left stretches
      itself: it must see each character of a right-to-left line as a word of its
      own, or it keeps the characters of a word in drawing order and reverses them
      with the line (a mark before its letter): every other character is set
      `ALTERNATE` larger (poppler starts a word where the font size changes), and a
      cluster of no advance (a combining mark shaped apart) is read with the one
      before it. Characters side by side overlap by a hair, never leave a gap:
      poppler puts a space in every gap of a line whose characters all stand apart
      (the A4 poster's headline came out letter by letter). A run against the line's
      direction is a marked-content /Span with /ActualText (its text, one
      left-to-right word to poppler), and a space after a digit, a Latin letter or a
      separator (, : and the Arabic comma, which poppler takes for parts of a
      number) gets a right-to-left mark before it, as /ActualText of an empty
      zero-width character: without it poppler moves the space before the number
      ("تو 999پر" for "تو 999 پر"). pdfminer and pypdf read no mark.
    """
    a, b, c, d, e, f = matrix.values

    def glyphs(form, run, cluster_glyphs):
        # Outlines, as the font draws them: text that reads as nothing is still read
        # by PDFium (a code's number) and ordered by position among the characters read.
        scale = run.font_size / run.font.upem
        for gid, x, y_offset, _ in cluster_glyphs:
            rise = -y_offset / 1000
            form.push_state()
            form.transform(a * scale, b * scale, c * scale, d * scale, e + a * x + c * rise, f + b * x + d * rise)
            form.stream.append(_outline(run.font, gid))
            form.pop_state()

    # The characters of a right-to-left line are all read in one font (the first
    # right-to-left run's): pdfminer keeps characters on one line only while their
    # boxes, made from each font's ascent and descent, overlap enough; Nastaliq's
    # and the Latin font's hardly do.
    if line_rtl and layer.reader is None:
        first = next((run for run in runs if run.rtl), None)
        if first is not None:
            layer.reader = (first.font, _inked(first))

    def reading(run):
        return layer.reader if line_rtl and layer.reader else (run.font, _inked(run))

    # The size poppler and pdfminer take for a character read: in a right to left
    # line, most of the line's pitch, every other character a hair larger (see above).
    stretch = max(1.0, STRETCH * pitch / runs[0].font_size) if line_rtl and pitch else 1.0
    parity = [0]

    def place(run, x):
        """Set the font and the text matrix of the next character read, at x."""
        reader = reading(run)[0]
        size = run.font_size * stretch
        if line_rtl:
            parity[0] ^= 1
            size *= 1 + ALTERNATE * parity[0]
        squeeze = run.font_size / size  # the advance stays that of run.font_size
        pydyf.Stream.set_font_size(stream, reader.hash, round(size, 6))
        stream._current_font = (reader.hash, size)
        stream.set_text_matrix(a * squeeze, b * squeeze, c, d, e + a * x, f + b * x)

    def characters(run, cluster, left, width, rtl):
        stream.set_text_rendering(3)
        text = cluster.text
        share = width / len(text) if text else 0
        # Rounded up, and a thousandth more: characters side by side overlap by a
        # hair, never leave a gap (poppler spaces out a line whose characters all
        # stand apart, however little).
        per_char = math.ceil(share / run.font_size * 1000) + 1 if run.font_size else 0
        reader, gid = reading(run)
        for i, ch in enumerate(text):
            slot = len(text) - 1 - i if rtl else i
            place(run, left + slot * share)
            stream.show_text(f"<{layer.code(reader, gid, ch, per_char, carrier=True):04x}>")

    def mark(run, x, actual):
        """An invisible character reading as nothing, at x; with `actual`, poppler
        reads that instead."""
        stream.set_text_rendering(3)
        if actual is not None:
            stream.begin_marked_content("Span", pydyf.Dictionary({"ActualText": pydyf.String(actual)}))
        reader, gid = reading(run)
        place(run, x)
        # A tenth of an em wide: pdfminer breaks the line at two characters side by
        # side with no width between them.
        stream.show_text(f"<{layer.code(reader, gid, '', 100, carrier=True):04x}>")
        if actual is not None:
            stream.end_marked_content()

    # Clusters of each run, tiled over the run's width in logical order: no gaps or
    # overlaps between the characters an extractor joins into words.
    per_run = []
    painted = []  # each run's clusters' glyphs, as shaped (painted in this order, as before)
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

    # What is seen first, every glyph at its place, in a form XObject of its own
    # (see _glyph_form for how it renders).
    form = _glyph_form(stream, _text_box(matrix.values, per_run))
    form.begin_marked_content(GLYPHS)  # text to the reader's eye (eye.py hides it with the text)
    for run, shaped in painted:
        for cluster_glyphs in sorted(shaped, key=lambda gs: gs[0][1]):
            glyphs(form, run, cluster_glyphs)
    form.end_marked_content()
    stream.end_text()  # no XObject inside a text object
    stream.draw_x_object(form.id)
    stream.begin_text()
    previous = None  # poppler's class of the last character read on this line
    per_run.sort(key=lambda item: item[1][0].start if item[1] else 0)
    for run, ordered, left_edge, right_edge in per_run:
        if not ordered:
            continue
        if run.rtl != line_rtl:
            # Against the line: poppler reads the run's text as one word.
            stream.begin_marked_content("Span", pydyf.Dictionary(
                {"ActualText": pydyf.String("".join(cl.text for cl in ordered))}))
            # A hair inside the run: PDFium orders by position, and a character of the
            # line's own at the same place would come between the run's and split it.
            mark(run, right_edge - run.font_size * 0.005 if line_rtl else left_edge, None)
            for cluster in ordered:
                characters(run, cluster, cluster.left, cluster.width, line_rtl)
            mark(run, left_edge if line_rtl else right_edge, None)
            stream.end_marked_content()
            previous = "L"
            continue
        for cluster in ordered:
            if line_rtl and cluster.text[:1].isspace() and previous in ("L", "#", None):
                # Inside the space, against the character before it: poppler sorts by
                # position and puts a space only where it sees a gap.
                mark(run, cluster.left + cluster.width - min(cluster.width / 4, run.font_size * 0.005), RLM)
            characters(run, cluster, cluster.left, cluster.width, run.rtl)
            if cluster.text:
                previous = _poppler_type(cluster.text[-1])
    stream.set_text_rendering(0)


# ------------------------------------------------------------------ finisher

def _number(reference) -> int:
    return int(bytes(reference if isinstance(reference, bytes) else str(reference).encode()).split()[0])


def finish(layer: Layer, pdf: pydyf.PDF) -> None:
    """Write the virtual codes into the fonts (ToUnicode, widths, CIDToGIDMap) and
    copy marked-content /Lang onto the structure elements."""
    _write_virtual_codes(layer, pdf)
    _lang_on_structure(pdf)


def _write_virtual_codes(layer: Layer, pdf: pydyf.PDF) -> None:
    done = set()
    for obj in list(pdf.objects):
        fonts = obj.get("Font") if isinstance(obj, pydyf.Dictionary) else None
        if isinstance(fonts, (bytes, str)):  # WeasyPrint's font dictionary is an object of its own
            fonts = pdf.objects[_number(fonts)]
        if not isinstance(fonts, pydyf.Dictionary):
            continue
        for key, reference in fonts.items():
            table = layer.virtual.get(key)
            if not table or _number(reference) in done:
                continue
            done.add(_number(reference))
            _patch_font(pdf, pdf.objects[_number(reference)], layer.fonts[key], table)


def _patch_font(pdf, type0, font, table: dict[tuple[int, str, int], int]) -> None:
    by_code = sorted((code, gid, text, width) for (gid, text, width), code in table.items())
    # ToUnicode: one entry per virtual code, before the CMap's end.
    to_unicode = pdf.objects[_number(type0["ToUnicode"])]
    lines = []
    for i in range(0, len(by_code), 100):
        batch = by_code[i:i + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        for code, _, text, _ in batch:
            lines.append(f"<{code:04x}> <{text.encode('utf-16-be').hex()}>".encode())
        lines.append(b"endbfchar")
    end = to_unicode.stream.index(b"endcmap")
    to_unicode.stream[end:end] = lines
    cid_font = pdf.objects[_number(type0["DescendantFonts"][0])]
    widths = cid_font["W"]
    for code, _, _, width in by_code:
        widths.append(code)
        widths.append(pydyf.Array([width]))
    last = by_code[-1][0]
    gid_of = {code: gid for code, gid, _, _ in by_code}
    mapping = bytearray()
    for cid in range(last + 1):
        mapping += gid_of.get(cid, cid if cid < font.glyph_count else 0).to_bytes(2, "big")
    stream = pydyf.Stream([bytes(mapping)], compress=True)
    pdf.add_object(stream)
    cid_font["CIDToGIDMap"] = stream.reference


def _lang_on_structure(pdf: pydyf.PDF) -> None:
    root = pdf.catalog.get("StructTreeRoot")
    if root is None:
        return
    nums = pdf.objects[_number(pdf.objects[_number(root)]["ParentTree"])]["Nums"]
    per_page = {nums[i]: nums[i + 1] for i in range(0, len(nums), 2) if isinstance(nums[i + 1], pydyf.Array)}
    pages = [pdf.objects[_number(reference)] for reference in pdf.page_references]
    for index, page in enumerate(pages):
        refs = per_page.get(index)
        if refs is None:
            continue
        contents = page["Contents"]
        streams = contents if isinstance(contents, pydyf.Array) else [contents]
        for reference in streams:
            content = pdf.objects[_number(reference)]
            for item in content.stream:
                if not (isinstance(item, pydyf.Dictionary) and "MCID" in item):
                    continue
                actual = item.pop(ACTUAL_KEY, None)
                mcid = item["MCID"]
                if mcid >= len(refs):
                    continue
                element = pdf.objects[_number(refs[mcid])]
                if "Lang" in item:
                    element["Lang"] = item["Lang"]
                if actual is not None:
                    element["ActualText"] = actual
