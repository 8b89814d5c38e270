"""Imposition: n-up press sheets from finished PDFs ("step and repeat").

Every page of a rendered PDF (trim plus bleed) is repeated columns x rows times on
one sheet, bleed edge against bleed edge, the grid centred, with crop marks in the
sheet margin. Sheet page i carries source page i. Backs are laid out work-and-turn:
the sheet is turned over its vertical axis, so a back's columns run right to left.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name

from .cropmarks import MARK_GAP_MM, MARK_LENGTH_MM, MARK_WIDTH_PT

PT_PER_MM = 72 / 25.4
BOX_TOLERANCE_PT = 0.01  # PDF writers round box coordinates


@dataclass(frozen=True)
class Imposition:
    sheet_mm: tuple[float, float]  # sheet width, height, e.g. (210, 297) A4 or (320, 450) SRA3
    columns: int
    rows: int
    bleed_mm: float  # bleed each placed page carries around its trim
    marks: bool = True  # crop marks

    def __post_init__(self):
        if self.columns < 1 or self.rows < 1 or self.bleed_mm < 0:
            raise ValueError(f"need at least 1 x 1 copies and no negative bleed: {self}")


def impose(source: bytes, imposition: Imposition, title: str) -> bytes:
    """n-up: every page of `source` (a PDF whose pages all have the same TrimBox and a
    BleedBox = trim + bleed) is repeated columns*rows times on one sheet ("step and repeat",
    the usual way to gang-run wallet cards or leaflets). Page i of the source becomes sheet
    page i. Returns the new PDF bytes."""
    with pikepdf.open(io.BytesIO(source)) as src:
        sheets = pikepdf.Pdf.new()
        for index, page in enumerate(src.pages):
            _add_sheet(sheets, page, index, imposition)
        _copy_print_metadata(src, sheets, title)
        out = io.BytesIO()
        sheets.save(out, deterministic_id=True, min_version=src.pdf_version)
    return out.getvalue()


def positions(imposition: Imposition, trim_mm: tuple[float, float],
              back: bool) -> list[tuple[float, float]]:
    """Lower-left trim corner (mm from the sheet's lower left) of every copy, top row
    first. On a front the columns run left to right; a back's copy i is the mirror of
    the front's copy i about the sheet's vertical centre line, so it lands behind it."""
    (width, height), bleed = trim_mm, imposition.bleed_mm
    left, bottom, _, _ = _grid_bleed_rect(imposition, trim_mm)
    placed = []
    for row in range(imposition.rows):
        for column in range(imposition.columns):
            x = left + bleed + column * (width + 2 * bleed)
            y = bottom + bleed + (imposition.rows - 1 - row) * (height + 2 * bleed)
            placed.append((imposition.sheet_mm[0] - x - width if back else x, y))
    return placed


def _grid_bleed_rect(imposition: Imposition,
                     trim_mm: tuple[float, float]) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) in mm of the grid's outer bleed edge, centred on the
    sheet; ValueError if the grid, and the crop marks around it, do not fit."""
    (width, height), bleed = trim_mm, imposition.bleed_mm
    sheet_width, sheet_height = imposition.sheet_mm
    grid_width = imposition.columns * (width + 2 * bleed)
    grid_height = imposition.rows * (height + 2 * bleed)
    margin = MARK_GAP_MM + MARK_LENGTH_MM if imposition.marks else 0
    need_width, need_height = grid_width + 2 * margin, grid_height + 2 * margin
    if need_width > sheet_width + 1e-6 or need_height > sheet_height + 1e-6:
        marks = f" and {margin:g} mm each side for crop marks" if imposition.marks else ""
        raise ValueError(
            f"{imposition.columns} x {imposition.rows} copies of {_mm(width)} x {_mm(height)} mm"
            f" with {_mm(bleed)} mm bleed{marks} need {_mm(need_width)} x {_mm(need_height)} mm,"
            f" but the sheet is {_mm(sheet_width)} x {_mm(sheet_height)} mm")
    left, bottom = (sheet_width - grid_width) / 2, (sheet_height - grid_height) / 2
    return left, bottom, left + grid_width, bottom + grid_height


def _add_sheet(sheets: pikepdf.Pdf, page: pikepdf.Page, index: int,
               imposition: Imposition) -> None:
    if int(page.obj.get("/Rotate", 0)) % 360:
        raise ValueError(f"page {index + 1} is rotated; impose unrotated pages")
    trim_x0, trim_y0, trim_x1, trim_y1 = (float(v) for v in page.trimbox)
    trim_mm = ((trim_x1 - trim_x0) / PT_PER_MM, (trim_y1 - trim_y0) / PT_PER_MM)
    bleed = imposition.bleed_mm * PT_PER_MM
    shown = (trim_x0 - bleed, trim_y0 - bleed, trim_x1 + bleed, trim_y1 + bleed)
    have = [float(v) for v in page.bleedbox]
    if any(have[i] > shown[i] + BOX_TOLERANCE_PT for i in (0, 1)) \
            or any(have[i] < shown[i] - BOX_TOLERANCE_PT for i in (2, 3)):
        raise ValueError(f"page {index + 1} carries less than {_mm(imposition.bleed_mm)} mm"
                         " bleed around its trim")

    form = sheets.copy_foreign(page.as_form_xobject())
    # QPDF bounds the form by the TrimBox. Show the bleed too, but nothing beyond it
    # (the source's own crop marks), or a wider bleed would paint over the neighbour.
    form.BBox = Array(shown)

    back = index % 2 == 1  # sheet pages alternate front, back
    ops = []
    for x, y in positions(imposition, trim_mm, back):
        ops.append(f"q 1 0 0 1 {x * PT_PER_MM - trim_x0:.3f} {y * PT_PER_MM - trim_y0:.3f} cm"
                   " /Page Do Q")
    if imposition.marks:
        ops.append(_crop_marks(imposition, trim_mm, back))

    sheet = Array([0, 0, imposition.sheet_mm[0] * PT_PER_MM, imposition.sheet_mm[1] * PT_PER_MM])
    sheets.pages.append(pikepdf.Page(sheets.make_indirect(Dictionary(
        Type=Name.Page, MediaBox=sheet, TrimBox=sheet, BleedBox=sheet,
        Resources=Dictionary(XObject=Dictionary(Page=form)),
        Contents=sheets.make_stream("\n".join(ops).encode())))))


def _crop_marks(imposition: Imposition, trim_mm: tuple[float, float], back: bool) -> str:
    """One mark at each end of every trim line, in the margin outside the grid's bleed,
    stroked in 100% K only (registration or RGB black would print on every plate)."""
    width, height = trim_mm
    placed = positions(imposition, trim_mm, back)
    # Without bleed neighbouring copies share a trim line: mark it once.
    xs = sorted({round(x + dx, 6) for x, _ in placed for dx in (0, width)})
    ys = sorted({round(y + dy, 6) for _, y in placed for dy in (0, height)})
    left, bottom, right, top = _grid_bleed_rect(imposition, trim_mm)
    near, far = MARK_GAP_MM, MARK_GAP_MM + MARK_LENGTH_MM
    lines = [((x, bottom - near), (x, bottom - far)) for x in xs]
    lines += [((x, top + near), (x, top + far)) for x in xs]
    lines += [((left - near, y), (left - far, y)) for y in ys]
    lines += [((right + near, y), (right + far, y)) for y in ys]
    ops = ["q", f"{MARK_WIDTH_PT} w", "0 0 0 1 K"]
    for (x0, y0), (x1, y1) in lines:
        ops.append(f"{x0 * PT_PER_MM:.3f} {y0 * PT_PER_MM:.3f} m"
                   f" {x1 * PT_PER_MM:.3f} {y1 * PT_PER_MM:.3f} l S")
    ops.append("Q")
    return "\n".join(ops)


def _copy_print_metadata(src: pikepdf.Pdf, sheets: pikepdf.Pdf, title: str) -> None:
    """Carry over what preflight reads: the output intent with its ICC profile, the
    XMP packet and the document info (PDF/X version, Trapped, the dates PDF/X requires).
    The whole info dictionary is copied so it still agrees with the XMP; copying the
    dates rather than stamping new ones keeps the output deterministic."""
    for key in ("/OutputIntents", "/Metadata"):
        if key in src.Root:
            # copy_foreign only takes indirect objects; WeasyPrint writes the intents direct.
            sheets.Root[key] = sheets.copy_foreign(src.make_indirect(src.Root[key]))
    sheets.docinfo = sheets.copy_foreign(src.make_indirect(src.docinfo))
    sheets.docinfo.Title = title
    if "/Metadata" in sheets.Root:
        with sheets.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
            xmp["dc:title"] = title


def _mm(value: float) -> str:
    return f"{round(value, 1):g}"
