"""The reader's eye: what a page shows, read from the rendered PDF alone.

Preflight's other checks read the layout (what WeasyPrint says it placed). These
read the page as a reader and a phone see it, however it was made:

- two rasters of each page, as printed and with every text object made invisible
  (PDFium, text render mode 7 in memory): where a letter's box looks the same in
  both, the letter does not show (under a panel or an image painted later, clipped,
  or the colour of its ground);
- every code on the page, from a whole-page scan of the printed raster (zxing-cpp);
- every character the page draws, where it is drawn, and the lines a reader reads,
  left to right by position on the page (not the text's logical order).

One pair of rasters per page, at the resolution a code of the product's smallest
modules needs (3 pixels a module), or its smallest type (16 pixels an em), the finer.
"""
from __future__ import annotations

import ctypes
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as raw
import zxingcpp

from .pdflock import PDFIUM
from .stages import GLYPHS

PT_PER_MM = 72 / 25.4
PX_PER_MODULE = 3  # zxing-cpp finds codes of 3 px a module on a clean raster
PX_PER_EM = 16  # the product's smallest type: its x-height is some 8 pixels
# The codes a phone's camera opens (Micro QR and Data Matrix were tried: zxing-cpp
# finds false ones in the modules of a QR code).
CODE_FORMATS = zxingcpp.BarcodeFormat.QRCode


@dataclass
class Char:
    text: str
    box: tuple[float, float, float, float]  # x, y, w, h in mm from the trim's top-left


@dataclass
class Line:
    """A run of characters a reader reads as one line: one baseline, no wide gap."""

    text: str
    box: tuple[float, float, float, float]
    chars: list[Char]


@dataclass
class Code:
    text: str
    box: tuple[float, float, float, float]


@dataclass
class PageView:
    scale: float  # pixels per mm
    offset: float  # mm from the raster's edge to the trim (the bleed rendered)
    seen: np.ndarray  # the page as printed, 8-bit grey levels
    bare: np.ndarray  # the same with no text drawn
    codes: list[Code]
    chars: list[Char]
    colour: np.ndarray | None = None  # as printed, RGB (height x width x 3), at the dpi asked for

    def region(self, box):
        """The pixels of `box` (mm from the trim), as (y0, y1, x0, x1), at least one pixel."""
        x, y, w, h = box
        x0 = int(np.floor((x + self.offset) * self.scale))
        y0 = int(np.floor((y + self.offset) * self.scale))
        x1 = max(int(np.ceil((x + w + self.offset) * self.scale)), x0 + 1)
        y1 = max(int(np.ceil((y + h + self.offset) * self.scale)), y0 + 1)
        height, width = self.seen.shape
        return max(y0, 0), min(y1, height), max(x0, 0), min(x1, width)

    def unseen(self, boxes: np.ndarray, contrast: float, share: float, across: np.ndarray) -> np.ndarray:
        """For each letter's ink box (n x 4: x, y, w, h in mm from the trim), whether a
        reader does not see it: no pixel in the box differs from the page without
        text by `contrast` (WCAG ratio) or more (covered, clipped away, the colour of
        its ground), or a band at one of its edges more than `share` of its height
        (or width, where `across`) has none. The box is the ink's own (tight), so a
        whole letter shows ink up to each edge; a letter half under a panel shows it
        down to the panel's edge only. Anti-aliased edges may fall under the
        contrast: a pixel and a half is allowed, and a box of five pixels or fewer
        (a full stop) is judged by its ink alone. All letters of a page at once:
        the pixels of each row of each box gathered and looked up (`_row_bands`),
        then the rows of each band counted; only the letters' pixels are read, not
        the whole page's."""
        height, width = self.seen.shape
        k, o = self.scale, self.offset
        x0 = np.clip(np.floor((boxes[:, 0] + o) * k).astype(int), 0, width)
        y0 = np.clip(np.floor((boxes[:, 1] + o) * k).astype(int), 0, height)
        x1 = np.clip(np.maximum(np.ceil((boxes[:, 0] + boxes[:, 2] + o) * k).astype(int), x0 + 1), 0, width)
        y1 = np.clip(np.maximum(np.ceil((boxes[:, 1] + boxes[:, 3] + o) * k).astype(int), y0 + 1), 0, height)
        h, w = y1 - y0, x1 - x0
        blank = (h <= 0) | (w <= 0)
        h = np.where(blank, 0, h)  # no rows to look at: unseen
        # Every row of every box, box after box: its box and its pixel row's start.
        box = np.repeat(np.arange(len(boxes)), h)
        first = np.cumsum(h) - h  # each box's first row in that list
        last = first + h
        if not box.size:
            return blank
        # Each row's run of pixels: where it starts on the page, how long, its bands.
        length = w[box]
        first_pixel = (y0[box] + np.arange(box.size) - first[box]) * width + x0[box]
        columns = np.minimum(np.floor(1.5 + share * w).astype(int) + 1, w)[box]
        left, middle, right = _row_bands(self.bare.reshape(-1), self.seen.reshape(-1), _standing_out(contrast),
                                         first_pixel, length, columns)
        inked = left | right | (middle & (2 * columns < length))

        def shows(inked_rows):
            """Per box: whether any of its rows from `start` to `stop` has ink."""
            before = np.concatenate(([0], np.cumsum(inked_rows, dtype=np.int64)))
            return lambda start, stop: before[stop] - before[start] > 0

        whole = shows(inked)
        unseen = blank | ~whole(first, last)
        # First ink row later than 1.5 + share x height: the rows up to that are blank.
        rows = np.minimum(np.floor(1.5 + share * h).astype(int) + 1, h)
        tall = h > 5
        unseen |= tall & (~whole(first, first + rows) | ~whole(last - rows, last))
        wide = across & (w > 5) & ~blank
        unseen |= wide & (~shows(left)(first, last) | ~shows(right)(first, last))
        return unseen


ROWS_AT_ONCE = 1 << 15  # pixels of letters' rows looked up at once (`_row_bands`)


def _row_bands(bare: np.ndarray, seen: np.ndarray, flags: np.ndarray, first_pixel: np.ndarray,
               length: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For runs of pixels along rows of the flat rasters (from `first_pixel`, `length`
    long): whether any pixel stands out (`flags`, _standing_out) in the run's first
    `columns` pixels, between those and its last `columns`, and in its last `columns`
    (where the two bands meet or overlap, they cover the run and the middle is not
    read: reduceat gives one pixel there). The runs' pixels are gathered from both
    rasters, looked up and reduced some ROWS_AT_ONCE at a time: the arrays stay in
    the processor's cache and their memory is reused from one batch to the next
    (fresh memory is paged in at a cost above the arithmetic's)."""
    found = np.empty((length.size, 3), dtype=bool)
    end = np.cumsum(length)
    cuts = np.searchsorted(end, np.arange(ROWS_AT_ONCE, end[-1], ROWS_AT_ONCE), side="right")
    for a, b in zip([0, *cuts], [*cuts, length.size]):
        if a == b:
            continue
        runs = length[a:b]
        start = end[a:b] - runs - (end[a - 1] if a else 0)  # in this batch's pixels
        pixel = np.repeat(first_pixel[a:b] - start, runs)
        pixel += np.arange(pixel.size)
        ground, printed = np.take(bare, pixel), np.take(seen, pixel)
        key = np.left_shift(ground, 8, out=pixel, dtype=np.intp)  # the index array, reused
        np.bitwise_or(key, printed, out=key, dtype=np.intp)
        ink = np.zeros(key.size + 1, dtype=bool)  # one blank past the last: reduceat's end
        np.take(flags, key, out=ink[:-1], mode="wrap")  # every key is in range
        bounds = np.empty((b - a, 3), dtype=np.intp)
        bounds[:, 0], bounds[:, 1], bounds[:, 2] = start, start + columns[a:b], start + runs - columns[a:b]
        found[a:b] = np.logical_or.reduceat(ink, bounds.ravel()).reshape(-1, 3)
    return found[:, 0], found[:, 1], found[:, 2]


# 8-bit sRGB grey levels as relative luminance (WCAG)
_GREY = np.arange(256, dtype=np.float32) / 255
LINEAR = np.where(_GREY <= 0.04045, _GREY / 12.92, ((_GREY + 0.055) / 1.055) ** 2.4).astype(np.float32)


@lru_cache(maxsize=4)
def _contrasting(contrast: float) -> tuple[np.ndarray, np.ndarray]:
    """Per grey level g (0..255): the lightest level at least `contrast` darker than g,
    and the darkest at least `contrast` lighter (-1 and 256 where there is none)."""
    darker = np.full(256, -1, dtype=np.int16)
    lighter = np.full(256, 256, dtype=np.int16)
    for g in range(256):
        dark = np.flatnonzero((LINEAR[g] + 0.05) >= contrast * (LINEAR + 0.05))
        light = np.flatnonzero((LINEAR + 0.05) >= contrast * (LINEAR[g] + 0.05))
        if dark.size:
            darker[g] = dark.max()
        if light.size:
            lighter[g] = light.min()
    return darker, lighter


@lru_cache(maxsize=4)
def _standing_out(contrast: float) -> np.ndarray:
    """256 x 256 flags, flattened: [ground level * 256 + printed level] is true where
    the printed level is at least `contrast` darker or lighter than the ground."""
    darker, lighter = _contrasting(contrast)
    levels = np.arange(256)
    return ((levels[None, :] <= darker[:, None]) | (levels[None, :] >= lighter[:, None])).ravel()


def _hide_text(page: pdfium.PdfPage) -> None:
    """Every text object of the page, in forms too, drawn invisible (in memory only),
    and the glyphs a screen copy's text layer draws as outlines (stages.GLYPHS)."""
    def walk(objects):
        for obj in objects:
            kind = raw.FPDFPageObj_GetType(obj)
            if kind == raw.FPDF_PAGEOBJ_TEXT:
                raw.FPDFTextObj_SetTextRenderMode(obj, raw.FPDF_TEXTRENDERMODE_INVISIBLE)
            elif kind == raw.FPDF_PAGEOBJ_PATH and _glyph_outline(obj):
                raw.FPDFPath_SetDrawMode(obj, raw.FPDF_FILLMODE_NONE, False)
            elif kind == raw.FPDF_PAGEOBJ_FORM:
                walk([raw.FPDFFormObj_GetObject(obj, i) for i in range(raw.FPDFFormObj_CountObjects(obj))])
    walk([raw.FPDFPage_GetObject(page.raw, i) for i in range(raw.FPDFPage_CountObjects(page.raw))])


def _glyph_outline(obj) -> bool:
    """A path drawn inside the text layer's GLYPHS marked content."""
    for i in range(raw.FPDFPageObj_CountMarks(obj)):
        mark, length = raw.FPDFPageObj_GetMark(obj, i), ctypes.c_ulong()
        if raw.FPDFPageObjMark_GetName(mark, None, 0, ctypes.byref(length)) and length.value == 2 * (len(GLYPHS) + 1):
            name = (ctypes.c_ushort * (length.value // 2))()
            raw.FPDFPageObjMark_GetName(mark, name, length.value, ctypes.byref(length))
            if bytes(name).decode("utf-16-le").rstrip("\x00") == GLYPHS:
                return True
    return False


def _unchecked(function, restype=ctypes.c_int):
    """`function` of PDFium (pypdfium2's binding) called without ctypes' conversion of
    each argument by its declared type, half the cost of a call: for the loop over a
    page's characters, whose arguments are given as they go in (a c_void_p, ints,
    byref)."""
    return ctypes.CFUNCTYPE(restype)(ctypes.cast(function, ctypes.c_void_p).value)


_UNICODE = _unchecked(raw.FPDFText_GetUnicode, ctypes.c_uint)
_GENERATED = _unchecked(raw.FPDFText_IsGenerated)
_CHAR_BOX = _unchecked(raw.FPDFText_GetCharBox)


def _chars(page: pdfium.PdfPage, offset: float) -> list[Char]:
    """Every character the page draws, with its box (not the spaces PDFium adds)."""
    text = page.get_textpage()
    try:
        # PDFium gives user space; its origin may lie anywhere on the MediaBox (WeasyPrint
        # puts it at the trim's corner when there is bleed): measure from the box.
        media_left, _, _, media_top = page.get_mediabox()
        chars = []
        handle = ctypes.c_void_p(ctypes.cast(text.raw, ctypes.c_void_p).value)
        left, right, bottom, top = (raw.c_double() for _ in range(4))
        edges = [ctypes.byref(edge) for edge in (left, right, bottom, top)]
        for i in range(raw.FPDFText_CountChars(text.raw)):
            code = _UNICODE(handle, i)
            if code in (0, 0xFFFE, 0xFFFF) or chr(code).isspace() or _GENERATED(handle, i) == 1:
                continue
            char = chr(code)
            _CHAR_BOX(handle, i, *edges)
            x = (left.value - media_left) / PT_PER_MM - offset
            y = (media_top - top.value) / PT_PER_MM - offset
            w, h = (right.value - left.value) / PT_PER_MM, (top.value - bottom.value) / PT_PER_MM
            if w > 0 and h > 0:
                chars.append(Char(char, (x, y, w, h)))
        return chars
    finally:
        text.close()


def page_views(pdf: bytes, offset: float, min_module_mm: float, min_type_pt: float,
               colour_dpi: float | None = None) -> list[PageView]:
    """Each page as printed and without text, its codes and its characters; with
    `colour_dpi`, also as printed in colour at that resolution (the preflight's
    thumbnails and bleed check: the page loaded once for all)."""
    scale = max(PX_PER_MODULE / min_module_mm, PX_PER_EM / (min_type_pt / PT_PER_MM))
    with PDFIUM:  # not thread-safe (pdflock.py)
        document = pdfium.PdfDocument(pdf)
        views = []
        try:
            for page in document:
                render = lambda: page.render(scale=scale / PT_PER_MM, grayscale=True).to_numpy()  # noqa: E731
                seen = render()
                seen = seen[..., 0] if seen.ndim == 3 else seen
                found = zxingcpp.read_barcodes(seen, formats=CODE_FORMATS)
                codes = []
                for code in found:
                    xs = [p.x for p in (code.position.top_left, code.position.top_right,
                                        code.position.bottom_left, code.position.bottom_right)]
                    ys = [p.y for p in (code.position.top_left, code.position.top_right,
                                        code.position.bottom_left, code.position.bottom_right)]
                    codes.append(Code(code.text, (min(xs) / scale - offset, min(ys) / scale - offset,
                                                  (max(xs) - min(xs)) / scale, (max(ys) - min(ys)) / scale)))
                chars = _chars(page, offset)
                # RGB straight from PDFium (its BGR bitmap with the bytes reversed).
                colour = None if colour_dpi is None else \
                    page.render(scale=colour_dpi / 72, rev_byteorder=True).to_numpy()
                _hide_text(page)
                bare = render()
                bare = bare[..., 0] if bare.ndim == 3 else bare
                views.append(PageView(scale, offset, seen, bare, codes, chars, colour))
                page.close()
        finally:
            document.close()
    return views


def reading_lines(chars: list[Char]) -> list[Line]:
    """The page's characters as the lines a reader reads: characters on one baseline,
    left to right by where they are printed, split where a gap is wider than a
    column gutter (1.5 x the letters' height); a space where a word space is."""
    rows: list[list[Char]] = []
    row_middle = row_height = 0.0  # the last row's first character's
    marks = [c for c in chars if c.text in MARKS]
    if marks:
        chars = [c for c in chars if c.text not in MARKS]
    for middle, char in sorted(((c.box[1] + c.box[3] / 2, c) for c in chars), key=lambda pair: pair[0]):
        height = char.box[3]
        # min() and max() written out in this file's loops: as they pick, without a call
        if rows and abs(row_middle - middle) < 0.35 * (height if height < row_height else row_height):
            rows[-1].append(char)
        else:
            rows.append([char])
            row_middle, row_height = middle, height
    if marks:
        _place_marks(rows, marks)
    lines = []
    for row in rows:
        row.sort(key=lambda c: c.box[0])
        run: list[Char] = []
        for char in row:
            if run:
                last, box = run[-1].box, char.box
                if box[0] - (last[0] + last[2]) > 1.5 * (box[3] if box[3] > last[3] else last[3]):
                    lines.append(_line(run))
                    run = []
            run.append(char)
        if run:
            lines.append(_line(run))
    return _rejoined(lines)


# Small marks that sit on the baseline or high (an address's dots, a figure's comma): too
# short to share a line's middle, each is read in the line whose letters it stands among.
MARKS = frozenset(".,:;'\u2019-_")


def _place_marks(rows: list[list[Char]], marks: list[Char]) -> None:
    """Each mark into the row whose letters span it from top to bottom, of those the
    one with a letter nearest it (within a letter's height); else a row of its own."""
    bands = []
    for row in rows:
        row.sort(key=lambda c: c.box[0])
        bands.append((min(c.box[1] for c in row), max(c.box[1] + c.box[3] for c in row),
                      [c.box[0] for c in row], row))
    for mark in marks:
        x, y, w, h = mark.box
        middle = y + h / 2
        home, nearest = None, None
        for top, bottom, starts, row in bands:
            if not top <= middle <= bottom:
                continue
            at = bisect_left(starts, x)
            for c in row[max(at - 1, 0):at + 1]:  # the letters either side of it
                apart = c.box[0] - (x + w) if c.box[0] >= x else x - (c.box[0] + c.box[2])
                if apart < c.box[3] and (nearest is None or apart < nearest):
                    home, nearest = row, apart
        if home is None:
            rows.append([mark])
        else:
            home.append(mark)


def _rejoined(lines: list[Line]) -> list[Line]:
    """Lines of one baseline that a letter of another column cut into two rows (a "2"
    sits a hair higher than a "0": a letter whose middle falls between them starts a
    row of its own) joined again where they meet or interleave: one number reads whole.
    Lines of other columns stay apart: a gutter is wider than a third of a letter.
    Each line joins the first it meets in `joined`, whose middles, heights and right
    edges are kept beside it (`ends`), the arithmetic of the comparison done once."""
    joined: list[Line] = []
    ends: list[tuple[float, float, float]] = []  # per joined line: middle, height, right edge
    for line in sorted(lines, key=lambda l: l.box[0]):
        left, top, _, height = line.box
        middle = top + height / 2
        near = 0.35 * height  # at least 0.35 x the lower of the two: most lines fail it
        for index, (before_middle, before_height, end) in enumerate(ends):
            apart = abs(before_middle - middle)
            if (apart < near and apart < 0.35 * min(before_height, height)
                    and left - end <= 0.3 * max(before_height, height)):
                line = joined[index] = _line(sorted(joined[index].chars + line.chars, key=lambda c: c.box[0]))
                ends[index] = _ends(line)
                break
        else:
            joined.append(line)
            ends.append(_ends(line))
    return joined


def _ends(line: Line) -> tuple[float, float, float]:
    x, y, w, h = line.box
    return y + h / 2, h, x + w


def _line(chars: list[Char]) -> Line:
    """The characters (left to right) as one line: its text, a space at each gap wider
    than a third of a letter, and the box round them all (one pass)."""
    previous = chars[0].box
    words = [chars[0].text]
    x0, y0, x1, y1 = previous[0], previous[1], previous[0] + previous[2], previous[1] + previous[3]
    for char in chars[1:]:
        box = char.box
        if box[0] - (previous[0] + previous[2]) > 0.3 * (box[3] if box[3] > previous[3] else previous[3]):
            words.append(" ")
        words.append(char.text)
        if box[0] < x0:
            x0 = box[0]
        if box[1] < y0:
            y0 = box[1]
        if box[0] + box[2] > x1:
            x1 = box[0] + box[2]
        if box[1] + box[3] > y1:
            y1 = box[1] + box[3]
        previous = box
    return Line("".join(words), (x0, y0, x1 - x0, y1 - y0), chars)


def next_lines(lines: list[Line]) -> list[Line | None]:
    """For each line, the line a reader reads after it: the nearest below it in the
    same column (overlapping it across), within two of its heights (the first of
    `lines` where two are as near). The lines by their tops, each looked for from
    the first top low enough until one is too far below."""
    order = sorted(range(len(lines)), key=lambda i: lines[i].box[1])
    tops = [lines[i].box[1] for i in order]
    found: list[Line | None] = []
    for line in lines:
        x0, top, width, height = line.box
        x1, bottom = x0 + width, top + height
        after = None
        for i in order[bisect_left(tops, bottom - 0.3 * height):]:
            other = lines[i]
            if other.box[1] - bottom >= 2 * height:
                break
            if other is not line and min(x1, other.box[0] + other.box[2]) - max(x0, other.box[0]) > 0:
                after = other
                break
        found.append(after)
    return found
