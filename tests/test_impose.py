"""Imposition: n-up sheets checked with pikepdf (structure, content streams), PDFium
(rasters) and qpdf. Source PDFs are built here, not by the pipeline.

Expected geometry is worked out by hand: a wallet card is 85 x 55 mm, with 3 mm bleed
a cell of 91 x 61 mm; 2 x 4 cells make a 182 x 244 mm grid, centred on A4 210 x 297
that leaves 14 mm left and right and 26.5 mm top and bottom.
"""
from __future__ import annotations

import io
import shutil
import subprocess
from collections import defaultdict

import pikepdf
import pypdfium2 as pdfium
import pytest
from pikepdf import Array, Dictionary, Name

from pipeline.impose import Imposition, impose, positions

PT = 72 / 25.4  # points per mm
CARD = (85.0, 55.0)
BLEED = 3.0
A4 = (210.0, 297.0)
CARDS_ON_A4 = Imposition(sheet_mm=A4, columns=2, rows=4, bleed_mm=BLEED)
GRID = (14.0, 26.5, 196.0, 270.5)  # left, bottom, right, top of the grid's bleed edge, mm
TRIM_XS = [17.0, 102.0, 108.0, 193.0]  # left and right trim of both columns, mm
TRIM_YS = [29.5, 84.5, 90.5, 145.5, 151.5, 206.5, 212.5, 267.5]
ICC = b"dummy ICC profile"
DPI = 50


def card_pdf(pages: int = 2, origin: tuple[float, float] = (0, 0), slug_mm: float = 0) -> bytes:
    """Wallet card as WeasyPrint writes it: TrimBox at `origin` (pt), BleedBox = trim + 3 mm,
    MediaBox = bleed + `slug_mm` (negative origin). The bleed box is filled with 50% K; a
    black square marks each page (top left on page 1, top right on page 2); the slug is
    black, so it shows if a copy is not clipped to its bleed."""
    pdf = pikepdf.new()
    ox, oy = origin
    w, h, b, s = CARD[0] * PT, CARD[1] * PT, BLEED * PT, slug_mm * PT
    for index in range(pages):
        square_x = (5 if index % 2 == 0 else 65) * PT
        ops = []
        if slug_mm:
            ops.append(f"0 0 0 1 k {ox - b - s} {oy - b - s} {w + 2 * (b + s)} {h + 2 * (b + s)} re f")
        ops.append(f"0 0 0 0.5 k {ox - b} {oy - b} {w + 2 * b} {h + 2 * b} re f")
        ops.append(f"0 0 0 1 k {ox + square_x} {oy + 35 * PT} {15 * PT} {15 * PT} re f")
        pdf.pages.append(pikepdf.Page(pdf.make_indirect(Dictionary(
            Type=Name.Page,
            MediaBox=Array([ox - b - s, oy - b - s, ox + w + b + s, oy + h + b + s]),
            BleedBox=Array([ox - b, oy - b, ox + w + b, oy + h + b]),
            TrimBox=Array([ox, oy, ox + w, oy + h]),
            Resources=Dictionary(),
            Contents=pdf.make_stream("\n".join(ops).encode())))))
    pdf.Root.OutputIntents = Array([Dictionary(
        Type=Name.OutputIntent, S=Name.GTS_PDFX, OutputConditionIdentifier="FOGRA39",
        DestOutputProfile=pdf.make_stream(ICC, N=4))])
    with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
        xmp["dc:title"] = "Wallet card"
    pdf.docinfo.GTS_PDFXVersion = "PDF/X-4"
    pdf.docinfo.Trapped = Name.False_
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


@pytest.fixture(scope="module")
def sheet() -> bytes:
    return impose(card_pdf(), CARDS_ON_A4, "Wallet cards 8-up A4")


# ---------------------------------------------------------------- structure


def test_one_sheet_per_source_page_with_all_boxes_the_sheet(sheet):
    with pikepdf.open(io.BytesIO(sheet)) as pdf:
        assert len(pdf.pages) == 2
        for page in pdf.pages:
            for box in ("/MediaBox", "/TrimBox", "/BleedBox"):
                x0, y0, x1, y1 = (float(v) / PT for v in page.obj[box])
                assert (x0, y0) == pytest.approx((0, 0), abs=0.05)
                assert (x1, y1) == pytest.approx(A4, abs=0.05)


def test_grid_that_does_not_fit_is_refused_with_its_sizes():
    positions(CARDS_ON_A4, CARD, back=False)  # 2 x 4 fits
    too_many = Imposition(sheet_mm=A4, columns=4, rows=4, bleed_mm=BLEED)
    with pytest.raises(ValueError, match=r"4 x 4 copies.*need 376 x 256 mm.*sheet is 210 x 297 mm") as raised:
        impose(card_pdf(), too_many, "too many")
    assert "85 x 55 mm" in str(raised.value)


def test_room_for_crop_marks_counts_towards_the_fit():
    exact = Imposition(sheet_mm=(182, 244), columns=2, rows=4, bleed_mm=BLEED, marks=False)
    assert len(positions(exact, CARD, back=False)) == 8
    with pytest.raises(ValueError, match="crop marks"):
        positions(Imposition((182, 244), 2, 4, BLEED, marks=True), CARD, back=False)


def test_source_with_less_bleed_than_the_imposition_is_refused():
    with pytest.raises(ValueError, match="less than 5 mm bleed"):
        impose(card_pdf(), Imposition(A4, 2, 3, bleed_mm=5), "short bleed")


def test_print_metadata_is_kept_and_title_set(sheet):
    with pikepdf.open(io.BytesIO(sheet)) as pdf:
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == Name.GTS_PDFX
        assert intent.DestOutputProfile.N == 4
        assert intent.DestOutputProfile.read_bytes() == ICC
        assert str(pdf.docinfo.GTS_PDFXVersion) == "PDF/X-4"
        assert pdf.docinfo.Trapped == Name.False_
        assert str(pdf.docinfo.Title) == "Wallet cards 8-up A4"
        assert pdf.open_metadata()["dc:title"] == "Wallet cards 8-up A4"  # XMP agrees


def test_qpdf_finds_no_errors(sheet, tmp_path):
    if shutil.which("qpdf") is None:
        pytest.skip("qpdf not on PATH")
    path = tmp_path / "sheet.pdf"
    path.write_bytes(sheet)
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_same_input_same_bytes(sheet):
    assert impose(card_pdf(), CARDS_ON_A4, "Wallet cards 8-up A4") == sheet


# ---------------------------------------------------------------- positions


def test_front_positions_step_and_repeat_from_the_top_left():
    front = positions(CARDS_ON_A4, CARD, back=False)
    assert len(front) == 8
    expected = [(x, y) for y in (212.5, 151.5, 90.5, 29.5) for x in (17.0, 108.0)]
    for got, want in zip(front, expected):
        assert got == pytest.approx(want)


@pytest.mark.parametrize("imposition", [CARDS_ON_A4, Imposition((320, 450), 3, 2, BLEED)])
def test_backs_are_fronts_mirrored_about_the_vertical_centre_line(imposition):
    front = positions(imposition, CARD, back=False)
    back = positions(imposition, CARD, back=True)
    sheet_width = imposition.sheet_mm[0]
    for (fx, fy), (bx, by) in zip(front, back):
        assert bx == pytest.approx(sheet_width - fx - CARD[0])  # trim mirrored, not its corner
        assert by == pytest.approx(fy)
    # copy 0 sits top left on the front, so top right on the back
    assert back[0] == pytest.approx(front[imposition.columns - 1])


# ---------------------------------------------------------------- crop marks


def _operators_with_forms(page_or_form, resources) -> list[str]:
    """Operators of a content stream and, recursively, of the forms it draws."""
    found = [str(i.operator) for i in pikepdf.parse_content_stream(page_or_form)]
    for xobject in resources.get("/XObject", {}).values():
        if xobject.get("/Subtype") == Name.Form:
            found += _operators_with_forms(xobject, xobject.get("/Resources", {}))
    return found


def _stroked_lines(page) -> list[tuple[tuple[float, float], tuple[float, float], tuple, float]]:
    """(start mm, end mm, stroke colour, line width) of every stroked line on the sheet."""
    ctm, stack = (1, 0, 0, 1, 0, 0), []
    colour, width, path, lines = None, 1.0, [], []
    for inst in pikepdf.parse_content_stream(page):
        op, args = str(inst.operator), [float(v) for v in inst.operands if not isinstance(v, Name)]
        if op == "q":
            stack.append((ctm, colour, width))
        elif op == "Q":
            ctm, colour, width = stack.pop()
        elif op == "cm":
            a, b, c, d, e, f = args
            A, B, C, D, E, F = ctm
            ctm = (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
                   e * A + f * C + E, e * B + f * D + F)
        elif op == "K":
            colour = tuple(args)
        elif op == "w":
            width = args[0]
        elif op in ("m", "l"):
            x, y = args
            A, B, C, D, E, F = ctm
            path.append(((A * x + C * y + E) / PT, (B * x + D * y + F) / PT))
        elif op == "S":
            lines += [(p0, p1, colour, width) for p0, p1 in zip(path, path[1:])]
            path = []
    return lines


@pytest.mark.parametrize("page_index", [0, 1])
def test_colours_are_cmyk_only_and_marks_100_k(sheet, page_index):
    with pikepdf.open(io.BytesIO(sheet)) as pdf:
        page = pdf.pages[page_index]
        sheet_ops = [(str(i.operator), [float(v) for v in i.operands])
                     for i in pikepdf.parse_content_stream(page) if str(i.operator) == "K"]
        assert ("K", [0, 0, 0, 1]) in sheet_ops
        everything = _operators_with_forms(page, page.Resources)
        assert "Do" in everything and "k" in everything  # the forms were reached
        assert not {"rg", "RG", "g", "G"} & set(everything)
        for _, _, colour, width in _stroked_lines(page):
            assert colour == (0, 0, 0, 1)
            assert width == pytest.approx(0.3)


@pytest.mark.parametrize("page_index", [0, 1])
def test_one_mark_at_each_end_of_every_trim_line_outside_the_bleed(sheet, page_index):
    left, bottom, right, top = GRID
    with pikepdf.open(io.BytesIO(sheet)) as pdf:
        lines = _stroked_lines(pdf.pages[page_index])
    vertical, horizontal = defaultdict(list), defaultdict(list)
    for (x0, y0), (x1, y1), _, _ in lines:
        for x, y in ((x0, y0), (x1, y1)):  # every end point lies outside the grid's bleed
            assert not (left - 0.99 < x < right + 0.99 and bottom - 0.99 < y < top + 0.99)
        if x0 == pytest.approx(x1):
            vertical[round(x0, 2)].append(sorted((y0, y1)))
        else:
            assert y0 == pytest.approx(y1)
            horizontal[round(y0, 2)].append(sorted((x0, x1)))
    assert sorted(vertical) == pytest.approx(TRIM_XS, abs=0.01)
    assert sorted(horizontal) == pytest.approx(TRIM_YS, abs=0.01)
    for spans, low, high in ((vertical, bottom, top), (horizontal, left, right)):
        for pair in spans.values():  # one mark beyond each end, 1 mm off the bleed, 5 mm long
            ends = [end for span in sorted(pair) for end in span]
            assert ends == pytest.approx([low - 6, low - 1, high + 1, high + 6], abs=0.01)
    assert len(lines) == 2 * (len(TRIM_XS) + len(TRIM_YS))


def test_no_marks_when_switched_off():
    plain = impose(card_pdf(), Imposition(A4, 2, 4, BLEED, marks=False), "plain")
    with pikepdf.open(io.BytesIO(plain)) as pdf:
        assert _stroked_lines(pdf.pages[0]) == []


# ---------------------------------------------------------------- raster


def _raster(pdf_bytes: bytes, page_index: int):
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        return doc[page_index].render(scale=DPI / 72).to_pil().convert("L")
    finally:
        doc.close()


def _at(image, x_mm: float, y_mm: float) -> int:
    """Grey level at a sheet point given in mm from the lower left."""
    return image.getpixel((int(x_mm * DPI / 25.4), int((A4[1] - y_mm) * DPI / 25.4)))


def _grey(level: int) -> bool:
    return 90 <= level <= 190  # 50% K


@pytest.mark.parametrize("origin, slug_mm", [((0, 0), 0), ((200, -120), 6)],
                         ids=["weasyprint-boxes", "offset-boxes-black-slug"])
def test_raster_copies_gutters_and_clean_margin(origin, slug_mm):
    sheet = impose(card_pdf(origin=origin, slug_mm=slug_mm), CARDS_ON_A4, "cards")
    for page_index in (0, 1):
        image = _raster(sheet, page_index)
        square_x = 12.5 if page_index == 0 else 72.5  # centre of the page's black square
        for x, y in positions(CARDS_ON_A4, CARD, back=page_index == 1):
            assert _grey(_at(image, x + 42.5, y + 20)), (page_index, x, y)  # copy centre
            assert _at(image, x + square_x, y + 42.5) < 60  # page i's own square
            assert _grey(_at(image, x + 85 - square_x, y + 42.5))  # not the other page's
        # gutters: bleed meets bleed, no white line between copies
        assert _grey(_at(image, 105, 150))
        for y in (87.5, 148.5, 209.5):
            assert _grey(_at(image, 60, y))
        _assert_margin_white_but_marks(image)


def _assert_margin_white_but_marks(image):
    left, bottom, right, top = GRID
    px = DPI / 25.4
    # a pixel is "near" a mark if its centre is within 0.8 mm of the mark's line
    marks = [(x - 0.8, bottom - 6.8, x + 0.8, bottom - 0.2) for x in TRIM_XS]
    marks += [(x - 0.8, top + 0.2, x + 0.8, top + 6.8) for x in TRIM_XS]
    marks += [(left - 6.8, y - 0.8, left - 0.2, y + 0.8) for y in TRIM_YS]
    marks += [(right + 0.2, y - 0.8, right + 6.8, y + 0.8) for y in TRIM_YS]
    darkest_in_mark = [255] * len(marks)
    width, height = image.size
    pixels = image.load()
    for row in range(height):
        y = A4[1] - (row + 0.5) / px
        for column in range(width):
            x = (column + 0.5) / px
            if left - 0.6 < x < right + 0.6 and bottom - 0.6 < y < top + 0.6:
                continue  # the grid, and its anti-aliased edge
            hits = [i for i, (x0, y0, x1, y1) in enumerate(marks) if x0 <= x <= x1 and y0 <= y <= y1]
            for i in hits:
                darkest_in_mark[i] = min(darkest_in_mark[i], pixels[column, row])
            if not hits:
                assert pixels[column, row] >= 250, (x, y)
    assert max(darkest_in_mark) < 245  # every mark was drawn
