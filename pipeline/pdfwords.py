"""The words of a PDF page as PDFium reads them from its text layer (not as the
renderer meant them): each word's text, box in mm from the trim's top-left corner
and fill colour, and the page's boxes. The change review keeps them (approved.py)."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass

import pypdfium2.raw as pdfium_c

MM_PER_PT = 25.4 / 72
SPACES = "\x00\ufffe\uffff"  # besides whitespace: PDFium's own line ends
HYPHEN = "\x02"  # PDFium's hyphen at a line's end

Box = tuple[float, float, float, float]  # x, y, width, height in mm


@dataclass(frozen=True)
class Word:
    text: str
    box: Box  # from the trim's top-left corner
    colour: str  # its fill, as PDFium gives it in RGB: "#rrggbb"

    def line(self) -> str:
        return " ".join(f"{v:.1f}" for v in self.box) + f" {self.colour} {self.text}"


def page_geometry(page) -> tuple[dict[str, Box], list[Word]]:
    """A PDFium page's boxes (from the media box's top-left corner) and words. Call it
    holding pdflock.PDFIUM."""
    mx0, my0, mx1, my1 = page.get_mediabox()
    boxes = {}
    for name, (x0, y0, x1, y1) in (("media", (mx0, my0, mx1, my1)), ("trim", page.get_trimbox()),
                                   ("bleed", page.get_bleedbox())):
        boxes[name] = _mm((x0 - mx0) * MM_PER_PT, (my1 - y1) * MM_PER_PT, (x1 - x0) * MM_PER_PT, (y1 - y0) * MM_PER_PT)
    tx0, _, _, ty1 = page.get_trimbox()
    text = page.get_textpage()
    try:
        words, letters, box, colour = [], [], None, ""
        for index in range(text.count_chars()):
            char = chr(pdfium_c.FPDFText_GetUnicode(text.raw, index))
            if not (char.isspace() or char in SPACES):
                left, bottom, right, top = text.get_charbox(index)
                box = (left, bottom, right, top) if box is None else (
                    min(box[0], left), min(box[1], bottom), max(box[2], right), max(box[3], top))
                colour = colour or _fill(text, index)
                letters.append("-" if char == HYPHEN else char)
            if letters and (char.isspace() or char in SPACES + HYPHEN):
                words.append((letters, box, colour))
                letters, box, colour = [], None, ""
        if letters:
            words.append((letters, box, colour))
    finally:
        text.close()
    return boxes, [Word("".join(letters), _mm((left - tx0) * MM_PER_PT, (ty1 - top) * MM_PER_PT,
                                              (right - left) * MM_PER_PT, (top - bottom) * MM_PER_PT), colour)
                   for letters, (left, bottom, right, top), colour in words]


def _fill(text, index: int) -> str:
    """A character's fill colour (its word's: the first letter's), as "#rrggbb"."""
    rgba = [ctypes.c_uint() for _ in range(4)]
    if not pdfium_c.FPDFText_GetFillColor(text.raw, index, *(ctypes.byref(v) for v in rgba)):
        return "#000000"
    return "#" + "".join(f"{v.value:02x}" for v in rgba[:3])


def _mm(*values: float) -> Box:
    return tuple(round(v, 1) + 0.0 for v in values)  # + 0.0: no "-0.0"
