"""Pictures of text: what Tesseract reads in a picture on the page (a raster logo, an
SVG's outlined text, a CSS background), and which of its readings are phone numbers
the campaign does not have (preflight `numbers`, identity's logo checks).

Tesseract is called in the process (tesserocr), one engine per language and mode kept
per process: its command line loaded its language data again for every picture, about
0.15 s a reading, where a kept engine reads a logo in some 20-40 ms (a partner's first
proof waited on it). The language data is Debian's (`make system-deps`)."""
from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one thread: a build already runs a worker per core
import pypdfium2 as pdfium  # noqa: E402
import tesserocr  # noqa: E402

from . import limits  # noqa: E402
from .eye import PT_PER_MM  # noqa: E402
from .pdflock import PDFIUM  # noqa: E402

OCR_DPI = 300
OCR_LANGUAGES = {"ur": "urd+eng", "ar": "ara+eng", "pl": "pol+eng"}  # Debian's tesseract-ocr-* data
# OCR of a picture's raster, by the SHA-256 of its bytes: the same logo on many products.
# The oldest reading goes first past OCR_KEPT pictures, so a worker that reads a long
# batch of partners' logos does not grow with it.
OCR_KEPT = 64
_read: dict[bytes, str] = {}
# Engines by (languages, mode), kept for the process. An engine reads one picture at a
# time under the renderer's lock (the portal's web threads may ask together), so a
# fork never copies one mid-reading and a worker forked warm reads with its parent's.
_engines: dict[tuple[str, int], tesserocr.PyTessBaseAPI] = {}


@lru_cache(maxsize=1)
def tessdata() -> Path | None:
    """Tesseract's language data (TESSDATA_PREFIX, else Debian's), None when it is not
    installed (`make system-deps`)."""
    found = [Path(os.environ["TESSDATA_PREFIX"])] if os.environ.get("TESSDATA_PREFIX") else \
        sorted(Path("/usr/share/tesseract-ocr").glob("*/tessdata"), reverse=True)
    return next((folder for folder in found if (folder / "eng.traineddata").is_file()), None)


def installed() -> bool:
    return tessdata() is not None


def ocr(page: pdfium.PdfPage, box, offset: float, language: str) -> str | None:
    """The text Tesseract reads in `box` (mm from the trim) of the page rastered at
    300 dpi; None when Tesseract is not installed (`make system-deps`)."""
    if not installed():
        return None
    x, y, w, h = box
    width_pt, height_pt = page.get_size()
    left, top = (x + offset) * PT_PER_MM, (y + offset) * PT_PER_MM
    crop = (max(left, 0), max(height_pt - top - h * PT_PER_MM, 0),
            max(width_pt - left - w * PT_PER_MM, 0), max(top, 0))
    image = page.render(scale=OCR_DPI / 72, crop=crop, grayscale=True).to_pil().convert("L")
    return ocr_image(image, language)


def ocr_image(image, language: str, psm: str = "11") -> str | None:
    """The text Tesseract reads in a PIL image at 300 dpi (a page's picture, or the whole
    image a web page shows), as sparse text (page segmentation mode 11) or as `psm`
    says; None when Tesseract is not installed."""
    if not installed():
        return None
    grey = image.convert("L")
    languages = OCR_LANGUAGES.get(language.split("-")[0], "eng")
    key = hashlib.sha256(b"%d %d %s %s\n" % (*grey.size, languages.encode(), psm.encode()) + grey.tobytes()).digest()
    if key not in _read:
        with PDFIUM:
            engine = _engine(languages, int(psm))
            engine.SetImage(grey)
            engine.SetSourceResolution(OCR_DPI)
            # A C call a job's wall-time limit cannot interrupt: bounded here instead.
            finished = engine.Recognize(timeout=limits.OCR_SECONDS * 1000)
            text = engine.GetUTF8Text() if finished else None
            engine.Clear()
        if text is None:
            raise TimeoutError(f"reading a picture of {grey.width} x {grey.height} pixels took over {limits.OCR_SECONDS} s "
                               f"(OCR_SECONDS in {limits.WHERE})")
        if len(_read) >= OCR_KEPT:
            del _read[next(iter(_read))]
        _read[key] = text
    return _read[key]


def _engine(languages: str, psm: int) -> tesserocr.PyTessBaseAPI:
    key = (languages, psm)
    if key not in _engines:
        _engines[key] = tesserocr.PyTessBaseAPI(path=f"{tessdata()}/", lang=languages, psm=psm)
    return _engines[key]


OCR_DIGITS = re.compile(r"\d[\d \t.\-]{7,}\d")  # a run of digits a phone number could be


def unknown_numbers_read(text: str, known: set[str]) -> list[tuple[str, str, str | None]]:
    """Runs of digits OCR read in `text` that could be a phone number and are not one
    of `known` (E.164), as (written, digits, near): `near` the known number the reading
    is within two digits of (0 and 9 taken as one), else None. A near miss is not that
    number: a logo printing a one- or two-digit typo of the helpline reads just so.
    OCR corroborates, it does not invent: Tesseract reads this project's slashed zero
    as 6, 8 or 9, or as two digits (its slash one of its own), so a reading that is a
    known number with its zeros read so is that number (`_as_read`). The other digits
    it reads as printed."""
    national = {k: "0" + k[3:] if k.startswith("+44") else k.lstrip("+") for k in known}
    national = {k: n for k, n in national.items() if len(n) >= 9}  # not the short codes
    found = []
    for match in OCR_DIGITS.finditer(text):
        digits = "".join(c for c in match.group(0) if c.isdigit())
        if len(digits) < 9 or any(_as_read(n).fullmatch(digits) for n in national.values()):
            continue
        apart = {k: _edits(slashed_zero(digits), slashed_zero(n)) for k, n in national.items()}
        near = min(apart, key=apart.get, default=None)
        found.append((match.group(0).strip(), digits, near if near and apart[near] <= 2 else None))
    return found


@lru_cache(maxsize=64)
def _as_read(national: str) -> re.Pattern:
    """The readings Tesseract gives of a number printed in this project's type: each
    slashed zero as 0, 6, 8 or 9, or as two of 0 and 9; every other digit as it is."""
    return re.compile("".join("(?:[0689]|[09]{2})" if d == "0" else d for d in national))


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
