"""What PDFium (Chrome's reader) reads of a line drawn in two layers (docs/textlayer.md):
the line's text once more, for PDFium only, as characters whose codes are their own
Unicode values, laid in the order that PDFium's bidi pass turns back into the source's.

PDFium reads a character code that the font's ToUnicode maps to nothing as its number;
pdfminer, pypdf and poppler read it as nothing. PDFium passes over the characters that
the other readers read (they are set in a glyph with an empty box, `draw._blank`), so
each reader gets the arrangement it needs.
"""
from __future__ import annotations

import unicodedata

import pydyf

from .layer import Layer

FLAT = 2  # PDFium's characters are this much smaller, their advance stretched back
MIN_ADVANCE = 100  # thousandths of an em: PDFium drops a character that stands within
# 0.07 of its own advance of the same character before it
RISE = 0.5  # em: PDFium's characters stand this far above the line's baseline

# The pairs PDFium swaps in a stretch it turns round (its GetMirrorChar), as far as the
# content can hold them.
MIRRORED = dict(zip("()[]{}<>«»‹›", ")(][}{><»«›‹"))


def _class(ch: str) -> str:
    """PDFium's direction of a character (CFX_BidiChar): 'L' left to right, 'W' weak
    (digits, separators, combining marks, joiners: kept in drawing order, never turn a
    stretch round), 'R' right to left, 'N' neutral (spaces, other punctuation)."""
    kind = unicodedata.bidirectional(ch)
    if kind == "L":
        return "L"
    if kind in ("AN", "EN", "NSM", "CS", "ES", "ET", "BN"):
        return "W"
    return "R" if kind in ("R", "AL") else "N"


def _segments(indices: list[int], text: list[str]) -> list[tuple[str, list[int]]]:
    segments: list[tuple[str, list[int]]] = []
    for i in indices:
        kind = _class(text[i])
        if segments and segments[-1][0] == kind:
            segments[-1][1].append(i)
        else:
            segments.append((kind, [i]))
    return segments


def visual_order(text: str) -> list[tuple[int, str]]:
    """The characters of `text` (logical order) as they must stand left to right for
    PDFium to read `text`: (index in `text`, character drawn).

    PDFium's pass over a line (CPDF_TextPage::CloseTempLine, CFX_BidiString): it cuts
    the line, read left to right, into stretches of one direction; the line runs right
    to left when it has more right-to-left stretches than left-to-right ones, and then
    the order of the stretches is turned round; a right-to-left stretch, and a neutral
    one read while going right to left, is turned round itself, its brackets swapped.
    This undoes that pass: the source's stretches, each turned round (and its brackets
    swapped) where PDFium will turn it back, in the order PDFium will turn back."""
    chars = list(text)
    segments = _segments(list(range(len(chars))), chars)
    rtl_count = sum(1 for kind, _ in segments if kind == "R")
    ltr_count = sum(1 for kind, _ in segments if kind == "L")
    rtl_line = rtl_count > ltr_count  # a tie reads left to right (as PDFium does)
    current = "R" if rtl_line else "L"
    laid = []
    for kind, indices in segments:
        if kind == "R" or (kind == "N" and current == "R"):
            current = "R"
            laid.append([(i, MIRRORED.get(chars[i], chars[i])) for i in reversed(indices)])
        else:
            if kind != "W":
                current = "L"
            laid.append([(i, chars[i]) for i in indices])
    if rtl_line:
        laid.reverse()
    return [item for stretch in laid for item in stretch]


def one_stretch(text: str) -> bool:
    """Whether PDFium reads `text` (spaces around it aside) as one stretch of one
    direction, which it never turns round in pieces."""
    text = text.strip()
    return bool(text) and len(_segments(list(range(len(text))), list(text))) == 1


def draw_for_pdfium(form, values, layer: Layer, font, gid: int, chars: list[tuple[str, float, float]]) -> None:
    """Lay the line's characters for PDFium in `form`: `chars` is the line's text in
    logical order as (character, width in text space, font size); each is drawn
    invisible, in glyph `gid` of `font` (one with ink: PDFium passes over a glyph with
    an empty box), with its own code, side by side from the line's left edge in the
    order `visual_order` gives, in the text's size. A code's advance is its first
    width; where the same character is wider or narrower, the text matrix squeezes it
    (PDFium then finds each character where the one before it ends: no space added).
    """
    text = "".join(ch for ch, _, _ in chars)
    if not text.strip():
        return
    a, b, c, d, e, f = values
    codes = layer.pdfium.setdefault(font.hash, {})
    layer.fonts[font.hash] = font
    form.begin_text()
    form.set_text_rendering(3)
    x, parity = 0.0, 0
    for index, ch in visual_order(text):
        _, width, size = chars[index]
        width = max(width, 0.01 * size)
        code = ord(ch)
        if code > 0xFFFF or code == 0:
            x += width
            continue  # outside the two-byte codes; PDFium misses it
        advance = codes.setdefault(code, (gid, max(round(1000 * width / size), MIN_ADVANCE)))[1]
        squeeze = width / (advance * size / 1000)  # the code's advance is its first width
        # Every other character in a second copy of the font: PDFium drops a character
        # that stands near the same one in the same font (the two nun of جاننے).
        parity ^= 1
        pydyf.Stream.set_font_size(form, pdfium_font_name(font, parity), round(size / FLAT, 6))
        rise = RISE * size
        form.set_text_matrix(a * squeeze * FLAT, b * squeeze * FLAT, c, d, e + a * x + c * rise, f + b * x + d * rise)
        form.show_text(f"<{code:04x}>")
        x += width
    form.end_text()


def pdfium_font_name(font, parity: int) -> str:
    """The resource name of one of `font`'s two copies whose codes are Unicode values
    (`finish`)."""
    return f"{font.hash}U{parity}"
