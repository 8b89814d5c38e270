"""Proofs: PNG images of the real PDF, print guides and contact sheets (the change
review against the approved proofs in proofs/ is approved.py).

A proof is the press PDF rasterised whole (trim plus bleed, and the marks' room when
the profile has crop marks), so what a designer sees is what the printer gets.
Guides are drawn from the product and profile data, never put into a PDF.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from .paths import FONTS
from .pdflock import PDFIUM
from .plan import Job, media_bleed_mm
from .problems import Problem

MM_PER_INCH = 25.4
APPROVED_PROFILE = "press"  # the studio's first profile, and the approved proofs' (approved.py)

# Guide colours, as InDesign's defaults where it has them (designers know these).
GUIDE_COLOURS = {"trim": (0, 0, 0), "bleed": (220, 0, 0), "safe": (200, 0, 200),
                 "folds": (0, 150, 200), "qr": (0, 150, 60), "problem": (220, 0, 0)}


@dataclass(frozen=True)
class Guides:
    """Where the guides go, in mm from the top-left corner of the PDF page (MediaBox)."""

    media_mm: tuple[float, float]
    trim: tuple[float, float, float, float]
    bleed: tuple[float, float, float, float] | None
    safe: tuple[float, float, float, float]
    folds: list[list[float]]  # per page: x of each fold
    qr: list[tuple[int, tuple[float, float, float, float]]] = field(default_factory=list)  # (page, box incl. quiet zone)

    def to_dict(self) -> dict:
        return {"media_mm": self.media_mm, "trim": self.trim, "bleed": self.bleed, "safe": self.safe,
                "folds": self.folds, "qr": [{"page": p, "box": b} for p, b in self.qr]}


def guides(job: Job, qr: list[tuple[int, tuple[float, float, float, float]]] = ()) -> Guides:
    """The job's guides; `qr` are the codes' boxes (page, trim-relative mm) from a render."""
    width, height = job.trim_mm
    media, bleed, safe = media_bleed_mm(job), job.profile.spec.bleed_mm, job.safe_mm
    return Guides(
        media_mm=(width + 2 * media, height + 2 * media),
        trim=(media, media, width, height),
        bleed=(media - bleed, media - bleed, width + 2 * bleed, height + 2 * bleed) if bleed else None,
        safe=(media + safe, media + safe, width - 2 * safe, height - 2 * safe),
        folds=[[media + x for x in page] for page in job.folds_mm],
        qr=[(page, (x + media, y + media, w, h)) for page, (x, y, w, h) in qr],
    )


@dataclass
class Proof:
    """One job rendered: its PDF, a raster of each page, and what preflight found."""

    job: Job
    pdf: bytes
    pages: list[Image.Image]
    dpi: float
    problems: list[Problem]
    guides: Guides
    layout: list = field(default_factory=list)  # the render's layout map (render.Placed)


def render(job: Job, dpi: float, check: bool = True) -> Proof:
    """Render a job to PDF and rasterise each page; with `check`, run preflight too.
    Raises PipelineError (file:line problems) when the template or CSS is broken."""
    from .fit import fitted

    html, rendered = fitted(job)
    problems = list(rendered.warnings)
    if check:
        from .preflight import preflight

        problems, _ = preflight(job, html, rendered)
    qr = [(p.page, p.rect) for p in rendered.layout if p.kind == "qr"]
    return Proof(job, rendered.pdf, raster(rendered.pdf, dpi), dpi, problems, guides(job, qr), rendered.layout)


def raster(pdf: bytes, dpi: float) -> list[Image.Image]:
    with PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in document]
        finally:
            document.close()


def png(image: Image.Image) -> bytes:
    """A PNG made fast (level 1): for the screen, not to be kept."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


# ---------------------------------------------------------------- guides on a PNG

def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(FONTS / "AtkinsonHyperlegible-Regular.ttf"), size)
    except OSError:
        return ImageFont.load_default()


def draw_guides(proof: Proof, page: int, problems: bool = True) -> Image.Image:
    """The page with its guides (and preflight problems, numbered) drawn over it."""
    image = proof.pages[page - 1].copy()
    draw = ImageDraw.Draw(image)
    scale = proof.dpi / MM_PER_INCH
    g = proof.guides

    def box(rect, colour, width=1):
        x, y, w, h = (v * scale for v in rect)
        draw.rectangle([x, y, x + w, y + h], outline=colour, width=width)

    if g.bleed:
        box(g.bleed, GUIDE_COLOURS["bleed"])
    box(g.trim, GUIDE_COLOURS["trim"])
    box(g.safe, GUIDE_COLOURS["safe"])
    for x in g.folds[page - 1] if page - 1 < len(g.folds) else []:
        draw.line([x * scale, g.trim[1] * scale, x * scale, (g.trim[1] + g.trim[3]) * scale],
                  fill=GUIDE_COLOURS["folds"], width=1)
    for qr_page, rect in g.qr:
        if qr_page == page:
            box(rect, GUIDE_COLOURS["qr"])
    if problems:
        marked = [p for p in proof.problems if p.page == page and p.box_mm]
        for number, problem in enumerate(marked, 1):
            x, y, w, h = problem.box_mm
            rect = (x + g.trim[0], y + g.trim[1], w, h)
            box(rect, GUIDE_COLOURS["problem"], width=2)
            draw.text((rect[0] * scale + 2, rect[1] * scale + 1), str(number),
                      fill=GUIDE_COLOURS["problem"], font=_font(12))
    return image


def contact_sheet(proofs: list[Proof], columns: int = 6, cell_px: int = 220) -> Image.Image:
    """Every page of every proof on one sheet, each labelled with its file and page."""
    cells = [(p, n) for p in proofs for n in range(1, len(p.pages) + 1)]
    columns = max(1, min(columns, len(cells)))
    label_px = 30
    rows = max(1, -(-len(cells) // columns))
    sheet = Image.new("RGB", (columns * cell_px, rows * (cell_px + label_px)), "white")
    draw = ImageDraw.Draw(sheet)
    font = _font(11)
    for index, (proof, number) in enumerate(cells):
        image = draw_guides(proof, number, problems=False)
        image.thumbnail((cell_px - 10, cell_px - 10))
        x, y = (index % columns) * cell_px, (index // columns) * (cell_px + label_px)
        sheet.paste(image, (x + (cell_px - image.width) // 2, y + 5 + (cell_px - 10 - image.height)))
        errors = sum(p.level == "error" for p in proof.problems if p.page in (number, None))
        label = f"{proof.job.source.slug}/{proof.job.output.removesuffix('.pdf')} p{number}"
        draw.text((x + 5, y + cell_px), label, fill="black", font=font)
        if errors:
            draw.text((x + 5, y + cell_px + 13), f"{errors} preflight error(s)", fill=GUIDE_COLOURS["problem"], font=font)
    return sheet


def proof_name(job: Job) -> str:
    """The output's path without .pdf (a social image's without .png): names its proofs
    in proofs/ and in the studio's URLs."""
    return job.output.removesuffix(".pdf").removesuffix(".png")
