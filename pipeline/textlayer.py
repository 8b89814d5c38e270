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
to another text) is drawn cluster by cluster in *logical* order, each at its own
place (the page looks the same), and:

- each glyph is shown through a character code of its own for each text it stands
  for: the code's ToUnicode entry is exactly the cluster's text (the first glyph of
  a cluster carries it, the others map to nothing), and a CIDToGIDMap sends the code
  to the real glyph (`finish`). Extractors that ignore marked content (pdfminer,
  pypdf) read the source text in logical order;
- the line is a `/Span` with `/ActualText` (the line's text, logical order), which
  screen readers and poppler use.

It also marks text boxes in another language than the document's (English names
and addresses in an Urdu leaflet) with `/Lang`: in the marked-content properties
and, by `finish`, on the structure element of the text.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field

import pydyf
from weasyprint.draw import text as wp_text
from weasyprint.text.ffi import FROM_UNITS, ffi, pango

_local = threading.local()
ACTUAL_KEY = "PipelineActualText"  # carried from the drawing to finish(), never written
FIRST_VIRTUAL = 1024  # virtual codes start this far above the font's last glyph
LATIN = re.compile(r"[A-Za-z]")


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
    if runs is None or not any(run.ambiguous for run in runs):
        return _original_draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    utf8 = textbox.pango_layout.text.encode()
    actual = utf8[line.start_index:line.start_index + line.length].decode()
    _draw_logical(stream, runs, matrix, layer, actual)
    properties = _properties(stream, textbox)
    if properties is not None:  # moved onto the structure element by finish()
        properties[ACTUAL_KEY] = pydyf.String(actual)
    layer.lines += 1
    return []


wp_text.draw_first_line = _draw_first_line


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


def _draw_logical(stream, runs: list[_Run], matrix, layer: Layer, actual: str) -> None:
    """Draw the line's glyphs where Pango put them, reading as nothing, then its text
    in logical order as invisible characters laid over the clusters they stand for."""
    a, b, c, d, e, f = matrix.values

    def move(x):
        stream.set_text_matrix(a, b, c, d, e + a * x, f + b * x)

    # 1. What is seen: every glyph at its place, as WeasyPrint would draw it.
    clusters = []  # (byte offset, run, left x, width) of each cluster
    current = None
    for run in runs:
        x = run.x
        advances: dict[int, float] = {}
        for g in run.glyphs:
            if run.font is not current:
                stream.set_font_size(run.font.hash, run.font_size)
                current = run.font
            width = _glyph_width(stream, run, g.gid)
            code = layer.code(run.font, g.gid, "", width)
            move(x + g.x_offset / 1000)
            if g.y_offset:
                stream.set_text_rise(-g.y_offset / 1000)
            stream.show_text(f"<{code:04x}>")
            if g.y_offset:
                stream.set_text_rise(0)
            advance = g.width * FROM_UNITS
            advances[g.cluster] = advances.get(g.cluster, 0) + advance
            x += advance
        # The run's width tiled by its clusters in logical order, in its direction:
        # no gaps or overlaps between the characters an extractor joins into words.
        pen = x if run.rtl else run.x
        for start in sorted(advances):
            width = max(advances[start], 0)
            if run.rtl:
                pen -= width
                clusters.append((start, run, pen, width))
            else:
                clusters.append((start, run, pen, width))
                pen += width
    # 2. What is read: the text, in logical order, invisible. Characters of a cluster
    # share its width, laid in the run's direction. A font change before each one
    # ends the extractors' "run" (pypdf reverses right-to-left runs it sees as visual).
    clusters.sort(key=lambda item: item[0])
    stream.set_text_rendering(3)
    for start, run, left, width in clusters:
        text = run.texts[start]
        if not text:
            continue
        size = run.font_size
        share = width / len(text)
        per_char = round(share / size * 1000) if size else 0
        gid = run.glyphs[0].gid
        for i, ch in enumerate(text):
            slot = len(text) - 1 - i if run.rtl else i
            pydyf.Stream.set_font_size(stream, run.font.hash, size)  # always written: ends pypdf's run
            stream._current_font = (run.font.hash, size)
            move(left + slot * share)
            stream.show_text(f"<{layer.code(run.font, gid, ch, per_char, carrier=True):04x}>")
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
