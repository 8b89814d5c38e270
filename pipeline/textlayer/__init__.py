"""A text layer that reads back as the source text, in logical order, in any script.

WeasyPrint maps each glyph to one string in the font's ToUnicode CMap, the first time
it draws it (upstream issue #2841): with real shaping (Noto Nastaliq Urdu) extractors,
screen readers and search read another text than the one printed. This package hooks
WeasyPrint's drawing of one line while a screen copy renders (`text_layer`): an
ambiguous line is drawn as glyphs that read as nothing plus its text as invisible
characters in logical order (`draw`); `finish` writes the codes' ToUnicode, /ActualText
and /Lang. How and why: docs/textlayer.md.
"""
from __future__ import annotations

import unicodedata

import pydyf
from weasyprint.draw import text as wp_text
from weasyprint.text.line_break import strut
from weasyprint.text.ffi import FROM_UNITS, ffi, pango

from .draw import draw_logical
from .finish import finish
from .layer import ACTUAL_KEY, Glyph, Layer, Run, drawing, text_layer

__all__ = ["Layer", "finish", "text_layer"]


def _script_letters(text: str) -> set[str]:
    """The scripts of the letters of `text`, roughly: 'latin', 'arabic', 'other'."""
    scripts = set()
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        scripts.add("latin" if name.startswith("LATIN") else "arabic" if name.startswith("ARABIC") else "other")
    return scripts


_original_draw_first_line = wp_text.draw_first_line


def _draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    layer: Layer | None = getattr(drawing, "layer", None)
    if (layer is None or text_overflow == "ellipsis" or block_ellipsis != "none"
            or not textbox.text.strip() or textbox.style["font_size"] < 1e-6):
        return _original_draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    layer.balance[id(stream)] = layer.balance.get(id(stream), 0) + _letters_balance(textbox.text)
    _mark_language(stream, textbox, layer)
    pango.pango_layout_set_single_paragraph_mode(textbox.pango_layout.layout, True)
    line, _ = textbox.pango_layout.get_first_line()
    runs = _runs(stream, textbox, line)
    line_rtl = _line_rtl(textbox)
    if runs is None or not any(run.ambiguous or run.rtl != line_rtl for run in runs):
        return _original_draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    utf8 = textbox.pango_layout.text.encode()
    actual = utf8[line.start_index:line.start_index + line.length].decode()
    draw_logical(stream, runs, matrix, layer, line_rtl, strut(textbox.style)[0])
    properties = _properties(stream, textbox)
    if properties is not None:  # moved onto the structure element by finish()
        properties[ACTUAL_KEY] = pydyf.String(actual)
    layer.lines += 1
    return []


wp_text.draw_first_line = _draw_first_line


def _letters_balance(text: str) -> int:
    """Left-to-right letters less right-to-left ones: how poppler decides a page's direction."""
    kinds = [unicodedata.bidirectional(ch) for ch in text]
    return sum(k == "L" for k in kinds) - sum(k in ("R", "AL") for k in kinds)


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


def _runs(stream, textbox, line) -> list[Run] | None:
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
            glyphs.append(Glyph(gid, info.geometry.width, info.geometry.x_offset, info.geometry.y_offset,
                                 item.offset + glyph_string.log_clusters[i]))
        starts = sorted({g.cluster for g in glyphs})
        ends = starts[1:] + [item.offset + item.length]
        texts = {s: utf8[s:e].decode("utf-8", "replace") for s, e in zip(starts, ends)}
        run = Run(font, font_size, bool(item.analysis.level % 2), glyphs, texts, item.analysis.font, x)
        per_cluster: dict[int, int] = {}
        for g in glyphs:
            per_cluster[g.cluster] = per_cluster.get(g.cluster, 0) + 1
        run.ambiguous = (run.rtl or any(n != 1 for n in per_cluster.values())
                         or any(len(t) != 1 for t in texts.values())
                         or any(font.to_unicode.get(g.gid, texts[g.cluster]) != texts[g.cluster] for g in glyphs))
        runs.append(run)
        x += sum(g.width for g in glyphs) * FROM_UNITS
    return runs
