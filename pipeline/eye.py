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
import hashlib
import io
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
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
    inks: dict = field(default_factory=dict)  # the pixels that show text, by contrast (`ink`)

    def region(self, box):
        """The pixels of `box` (mm from the trim), as (y0, y1, x0, x1), at least one pixel."""
        x, y, w, h = box
        x0 = int(np.floor((x + self.offset) * self.scale))
        y0 = int(np.floor((y + self.offset) * self.scale))
        x1 = max(int(np.ceil((x + w + self.offset) * self.scale)), x0 + 1)
        y1 = max(int(np.ceil((y + h + self.offset) * self.scale)), y0 + 1)
        height, width = self.seen.shape
        return max(y0, 0), min(y1, height), max(x0, 0), min(x1, width)

    def ink(self, contrast: float) -> np.ndarray:
        """The pixels that stand out from the page without text by `contrast` (`_ink`),
        flattened row by row, with one blank pixel past the last (`_inked`'s end)."""
        if contrast not in self.inks:
            self.inks[contrast] = np.append(_ink(self.bare, self.seen, contrast).ravel(), False)
        return self.inks[contrast]

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
        each row of each box looked at once (`_inked`), then the rows of each band
        counted; only the letters' pixels are read, not the whole page's."""
        ink = self.ink(contrast)
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
        line = (y0[box] + np.arange(box.size) - first[box]) * width

        def shows(inked_rows):
            """Per box: whether any of its rows from `start` to `stop` has ink."""
            before = np.concatenate(([0], np.cumsum(inked_rows, dtype=np.int64)))
            return lambda start, stop: before[stop] - before[start] > 0

        whole = shows(_inked(ink, line + x0[box], line + x1[box]))
        unseen = blank | ~whole(first, last)
        # First ink row later than 1.5 + share x height: the rows up to that are blank.
        rows = np.minimum(np.floor(1.5 + share * h).astype(int) + 1, h)
        tall = h > 5
        unseen |= tall & (~whole(first, first + rows) | ~whole(last - rows, last))
        columns = np.minimum(np.floor(1.5 + share * w).astype(int) + 1, w)
        wide = across & (w > 5) & ~blank
        if wide.any():
            mine = wide[box]
            rows_of, at = box[mine], line[mine]
            for start, stop in ((x0, x0 + columns), (x1 - columns, x1)):
                inked = np.zeros(box.size, dtype=bool)
                inked[mine] = _inked(ink, at + start[rows_of], at + stop[rows_of])
                unseen |= wide & ~shows(inked)(first, last)
        return unseen


def _inked(ink: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Whether `ink` (flat, one blank past the end) has a pixel set in each run from
    `starts` to `stops` (start < stop), one reduceat for them all. The runs go in by
    descending start, so from each run's stop to the next run's start is no run at
    all (reduceat reads one pixel there, which is dropped): only the runs' own
    pixels are read."""
    if not starts.size:
        return np.zeros(0, dtype=bool)
    order = np.argsort(starts)[::-1]
    bounds = np.empty(2 * starts.size, dtype=np.intp)
    bounds[0::2], bounds[1::2] = starts[order], stops[order]
    found = np.empty(starts.size, dtype=bool)
    found[order] = np.logical_or.reduceat(ink, bounds)[0::2]
    return found


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


def _ink(bare: np.ndarray, seen: np.ndarray, contrast: float) -> np.ndarray:
    """The pixels that stand out from the page without text by `contrast`: one look-up
    of (ground, printed) grey levels in a 256 x 256 table. A pixel the text left as it
    was stands out from nothing (a level is never `contrast` > 1 darker or lighter
    than itself), so only the pixels that differ are looked up: a tenth of a page or
    less, where the whole page's look-up was a third of the reader's eye's time."""
    flags = _standing_out(contrast)
    if flags[np.arange(256) * 257].any():  # contrast <= 1: every pixel is looked up
        return flags[(bare.astype(np.uint16) << 8) | seen]
    ground, printed = np.ascontiguousarray(bare).ravel(), np.ascontiguousarray(seen).ravel()
    changed = np.flatnonzero(ground != printed)
    ink = np.zeros(ground.size, dtype=bool)
    ink[changed] = flags[(ground[changed].astype(np.uint16) << 8) | printed[changed]]
    return ink.reshape(bare.shape)


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


def _chars(page: pdfium.PdfPage, offset: float) -> list[Char]:
    """Every character the page draws, with its box (not the spaces PDFium adds)."""
    text = page.get_textpage()
    try:
        # PDFium gives user space; its origin may lie anywhere on the MediaBox (WeasyPrint
        # puts it at the trim's corner when there is bleed): measure from the box.
        media_left, _, _, media_top = page.get_mediabox()
        chars = []
        left, right, bottom, top = (raw.c_double() for _ in range(4))
        for i in range(raw.FPDFText_CountChars(text.raw)):
            code = raw.FPDFText_GetUnicode(text.raw, i)
            if code in (0, 0xFFFE, 0xFFFF) or chr(code).isspace() or raw.FPDFText_IsGenerated(text.raw, i) == 1:
                continue
            char = chr(code)
            raw.FPDFText_GetCharBox(text.raw, i, left, right, bottom, top)
            x = (left.value - media_left) / PT_PER_MM - offset
            y = (media_top - top.value) / PT_PER_MM - offset
            w, h = (right.value - left.value) / PT_PER_MM, (top.value - bottom.value) / PT_PER_MM
            if w > 0 and h > 0:
                chars.append(Char(char, (x, y, w, h)))
        return chars
    finally:
        text.close()


def page_views(pdf: bytes, offset: float, min_module_mm: float, min_type_pt: float) -> list[PageView]:
    """Each page as printed and without text, its codes and its characters."""
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
                _hide_text(page)
                bare = render()
                bare = bare[..., 0] if bare.ndim == 3 else bare
                views.append(PageView(scale, offset, seen, bare, codes, chars))
                page.close()
        finally:
            document.close()
    return views


def reading_lines(chars: list[Char]) -> list[Line]:
    """The page's characters as the lines a reader reads: characters on one baseline,
    left to right by where they are printed, split where a gap is wider than a
    column gutter (1.5 x the letters' height); a space where a word space is."""
    rows: list[list[Char]] = []
    for char in sorted(chars, key=lambda c: c.box[1] + c.box[3] / 2):
        middle = char.box[1] + char.box[3] / 2
        if rows:
            row = rows[-1]
            first = row[0].box
            if abs((first[1] + first[3] / 2) - middle) < 0.35 * min(first[3], char.box[3]):
                row.append(char)
                continue
        rows.append([char])
    lines = []
    for row in rows:
        row.sort(key=lambda c: c.box[0])
        run: list[Char] = []
        for char in row:
            if run:
                last = run[-1].box
                gap = char.box[0] - (last[0] + last[2])
                if gap > 1.5 * max(last[3], char.box[3]):
                    lines.append(_line(run))
                    run = []
            run.append(char)
        if run:
            lines.append(_line(run))
    return _rejoined(lines)


def _rejoined(lines: list[Line]) -> list[Line]:
    """Lines of one baseline that a letter of another column cut into two rows (a "2"
    sits a hair higher than a "0": a letter whose middle falls between them starts a
    row of its own) joined again where they meet or interleave: one number reads whole.
    Lines of other columns stay apart: a gutter is wider than a third of a letter."""
    joined: list[Line] = []
    for line in sorted(lines, key=lambda l: l.box[0]):
        middle, height = line.box[1] + line.box[3] / 2, line.box[3]
        for index, before in enumerate(joined):
            end = before.box[0] + before.box[2]
            if (abs(before.box[1] + before.box[3] / 2 - middle) < 0.35 * min(before.box[3], height)
                    and line.box[0] - end <= 0.3 * max(before.box[3], height)):
                joined[index] = _line(sorted(before.chars + line.chars, key=lambda c: c.box[0]))
                break
        else:
            joined.append(line)
    return joined


def _line(chars: list[Char]) -> Line:
    text = chars[0].text
    for previous, char in zip(chars, chars[1:]):
        gap = char.box[0] - (previous.box[0] + previous.box[2])
        text += (" " if gap > 0.3 * max(previous.box[3], char.box[3]) else "") + char.text
    x0 = min(c.box[0] for c in chars)
    y0 = min(c.box[1] for c in chars)
    x1 = max(c.box[0] + c.box[2] for c in chars)
    y1 = max(c.box[1] + c.box[3] for c in chars)
    return Line(text, (x0, y0, x1 - x0, y1 - y0), chars)


def next_line(lines: list[Line], line: Line) -> Line | None:
    """The line a reader reads after `line`: the nearest below it in the same column
    (overlapping it across), within two of its heights."""
    x0, x1 = line.box[0], line.box[0] + line.box[2]
    bottom, height = line.box[1] + line.box[3], line.box[3]
    below = [other for other in lines if other is not line and other.box[1] >= bottom - 0.3 * height
             and other.box[1] - bottom < 2 * height
             and min(x1, other.box[0] + other.box[2]) - max(x0, other.box[0]) > 0]
    return min(below, key=lambda other: other.box[1], default=None)


# ---------------------------------------------------------------- pictures of text

OCR_DPI = 300
OCR_LANGUAGES = {"ur": "urd+eng", "ar": "ara+eng", "pl": "pol+eng"}  # Debian's tesseract-ocr-* data
# OCR of a picture's raster, by the SHA-256 of its bytes: the same logo on many products.
# The oldest reading goes first past OCR_KEPT pictures, so a worker that reads a long
# batch of partners' logos does not grow with it.
OCR_KEPT = 64
_read: dict[bytes, str] = {}


def ocr(page: pdfium.PdfPage, box, offset: float, language: str) -> str | None:
    """The text Tesseract reads in `box` (mm from the trim) of the page rastered at
    300 dpi; None when Tesseract is not installed (`make system-deps`)."""
    if shutil.which("tesseract") is None:
        return None
    x, y, w, h = box
    width_pt, height_pt = page.get_size()
    left, top = (x + offset) * PT_PER_MM, (y + offset) * PT_PER_MM
    crop = (max(left, 0), max(height_pt - top - h * PT_PER_MM, 0),
            max(width_pt - left - w * PT_PER_MM, 0), max(top, 0))
    image = page.render(scale=OCR_DPI / 72, crop=crop, grayscale=True).to_pil().convert("L")
    return ocr_image(image, language)


def ocr_image(image, language: str, psm: str = "11") -> str | None:
    """The text Tesseract reads in a PIL image (a page's picture, or the whole image a
    web page shows), as sparse text (page segmentation mode 11) or as `psm` says; None
    when Tesseract is not installed."""
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        return None
    buffer = io.BytesIO()
    image.convert("L").save(buffer, "PNG", dpi=(OCR_DPI, OCR_DPI))
    data = buffer.getvalue()
    languages = OCR_LANGUAGES.get(language.split("-")[0], "eng")
    key = hashlib.sha256(data + languages.encode() + psm.encode()).digest()
    if key not in _read:
        # One thread: the build already runs a worker per core.
        done = subprocess.run([tesseract, "stdin", "stdout", "-l", languages, "--psm", psm],
                              input=data, capture_output=True, timeout=60,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        if len(_read) >= OCR_KEPT:
            del _read[next(iter(_read))]
        _read[key] = done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""
    return _read[key]


OCR_DIGITS = re.compile(r"\d[\d \t.\-]{7,}\d")  # a run of digits a phone number could be


def unknown_numbers_read(text: str, known: set[str]) -> list[tuple[str, str]]:
    """Runs of digits OCR read in `text` that could be a phone number and are not one
    of `known` (E.164), as (written, digits). OCR corroborates, it does not invent: a
    reading within two digits of a known number, with 0 and 9 taken as one (Tesseract
    reads this font's slashed zero as 9, and may add or drop a digit), is that number."""
    national = ["0" + k[3:] if k.startswith("+44") else k.lstrip("+") for k in known]
    slashed = [slashed_zero(n) for n in national if len(n) >= 9]
    found = []
    for match in OCR_DIGITS.finditer(text):
        digits = "".join(c for c in match.group(0) if c.isdigit())
        if len(digits) >= 9 and not any(_edits(slashed_zero(digits), n) <= 2 for n in slashed):
            found.append((match.group(0).strip(), digits))
    return found


def _edits(a: str, b: str) -> int:
    """Levenshtein distance: digits inserted, dropped or changed."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def slashed_zero(digits: str) -> str:
    """Digits as Tesseract may read this project's slashed zero (as 9): both as 9."""
    return digits.replace("0", "9")
