"""Proofs: PNG images of the real PDF, print guides, contact sheets, and the visual
review against approved proofs kept in the repository (proofs/).

A proof is the press PDF rasterised whole (trim plus bleed, and the marks' room when
the profile has crop marks), so what a designer sees is what the printer gets.
Guides are drawn from the product and profile data, never put into a PDF.

The approved set is small on purpose: each product at one size, county-wide, press
profile, first statistic only, at APPROVED_DPI. It catches an unintended layout
change in CI (tests/test_proofs.py) and feeds the studio's "changes" view.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageDraw, ImageFont

from .paths import FONTS, PROOFS
from .pdflock import PDFIUM
from .plan import Job, media_bleed_mm
from .problems import Problem

MM_PER_INCH = 25.4
APPROVED = PROOFS
APPROVED_DPI = 20
APPROVED_PROFILE = "press"
# A pixel has changed when a channel moved by more than PIXEL_TOLERANCE (of 255): less
# is anti-aliasing noise. A page has drifted when more than PAGE_TOLERANCE of its
# pixels changed (at 20 dpi a 1 mm shift of a headline is well over it).
PIXEL_TOLERANCE = 40
PAGE_TOLERANCE = 0.001
HIGHLIGHT = (230, 0, 126)  # changed pixels: magenta, a colour no layout here uses

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
    return Proof(job, rendered.pdf, raster(rendered.pdf, dpi), dpi, problems, guides(job, qr))


def raster(pdf: bytes, dpi: float) -> list[Image.Image]:
    with PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in document]
        finally:
            document.close()


def png(image: Image.Image, fast: bool = True) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1 if fast else 9, optimize=not fast)
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


# ---------------------------------------------------------------- approved proofs

def approved_set(jobs: list[Job]) -> list[Job]:
    """The representative jobs approved proofs are kept for: each product at its first
    size, county-wide (no district, partner or language), press, first statistic."""
    chosen = []
    for job in jobs:
        if (job.variant is None and job.profile.name == APPROVED_PROFILE
                and job.size == next(iter(job.spec.sizes)) and job.statistic in (None, 0)):
            chosen.append(job)
    return chosen


def proof_name(job: Job) -> str:
    """The output's path without .pdf (a social image's without .png): names its proofs
    in proofs/ and in the studio's URLs."""
    return job.output.removesuffix(".pdf").removesuffix(".png")


def approved_path(folder: Path, job: Job, page: int) -> Path:
    return folder / job.source.slug / proof_name(job) / f"{page}.png"


def approved_image(proof_page: Image.Image) -> bytes:
    """A page as kept in proofs/: at APPROVED_DPI, an optimised PNG (a few kB)."""
    return png(proof_page.convert("RGB"), fast=False)


def approve(proofs: list[Proof], folder: Path | None = None, made: list[Job] | None = None) -> list[Path]:
    """Write the proofs (rendered at APPROVED_DPI) as the approved pages of their outputs
    (default proofs/). Only those outputs' pages are replaced: a selection (--only, one
    campaign) leaves every other approved proof as it was. `made`: the whole approved set
    of the proofs' campaigns; their approved outputs not in it (a product taken out of
    layouts/) are removed. Returns the files written."""
    folder = folder or APPROVED
    written = []
    for proof in proofs:
        if proof.dpi != APPROVED_DPI:
            raise ValueError(f"approved proofs are made at {APPROVED_DPI} dpi")
        pages = [approved_path(folder, proof.job, number) for number in range(1, len(proof.pages) + 1)]
        for path, page in zip(pages, proof.pages):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(approved_image(page))
        for stale in pages[0].parent.glob("*.png") if pages else []:  # the output has fewer pages now
            if stale not in pages:
                stale.unlink()
        written += pages
    if made is not None:
        kept = {approved_path(folder, job, 1).parent for job in made}
        for slug in {p.job.source.slug for p in proofs}:
            for stale in (folder / slug).glob("**/*.png"):
                if stale.parent not in kept:
                    stale.unlink()
    for empty in sorted((p for p in folder.glob("**/") if p != folder), reverse=True):
        if not any(empty.iterdir()):
            empty.rmdir()
    return written


@dataclass
class Difference:
    """How one page differs from its approved proof."""

    name: str  # campaign/output without .pdf
    page: int
    changed: float  # fraction of the page's pixels that changed
    box_mm: tuple[float, float, float, float] | None  # around the changes, from the trim's top-left
    highlight: Image.Image | None  # the current page, faded, with changed pixels in magenta
    missing: str | None = None  # "approved" or "current" when one side has no such page
    current: Image.Image | None = None  # the page as it is now

    @property
    def percent(self) -> str:
        return f"{self.changed:.2%}"

    @property
    def drifted(self) -> bool:
        return self.missing is not None or self.changed > PAGE_TOLERANCE

    def __str__(self) -> str:
        where = f"{self.name} page {self.page}"
        if self.missing == "approved":
            return f"{where}: no approved proof (new page)"
        if self.missing == "current":
            return f"{where}: approved, but the page is no longer made"
        text = f"{where}: {self.changed:.2%} of the page changed"
        if self.box_mm:
            x, y, w, h = self.box_mm
            text += f", within x {x:.0f} to {x + w:.0f} mm, y {y:.0f} to {y + h:.0f} mm from the trim's top-left"
        return text


def compare(name: str, page: int, approved: Image.Image, current: Image.Image, dpi: float = APPROVED_DPI,
            offset_mm: float = 0) -> Difference:
    """Compare a page with its approved proof, pixel by pixel at the proof's resolution.
    `offset_mm` is the trim's distance from the image's edge (the bleed)."""
    approved, current = approved.convert("RGB"), current.convert("RGB")
    if approved.size != current.size:  # the trim changed: everything moved
        return _difference(name, page, current, Image.new("L", current.size, 255), dpi, offset_mm)
    delta = ImageChops.difference(approved, current).split()
    worst = ImageChops.lighter(ImageChops.lighter(delta[0], delta[1]), delta[2])
    mask = worst.point(lambda v: 255 if v > PIXEL_TOLERANCE else 0)
    return _difference(name, page, current, mask, dpi, offset_mm)


def _difference(name, page, current, mask, dpi, offset_mm) -> Difference:
    changed = mask.histogram()[255] / (mask.width * mask.height)
    bbox = mask.getbbox()
    box_mm = None
    if bbox:
        scale = MM_PER_INCH / dpi
        x0, y0, x1, y1 = (v * scale for v in bbox)
        box_mm = (x0 - offset_mm, y0 - offset_mm, x1 - x0, y1 - y0)
    faded = Image.blend(current, Image.new("RGB", current.size, "white"), 0.6)
    # Changed pixels: the current page tinted magenta, so what changed stays readable.
    tinted = Image.blend(current, Image.new("RGB", current.size, HIGHLIGHT), 0.55)
    highlight = Image.composite(tinted, faded, mask) if bbox else faded
    return Difference(name, page, changed, box_mm, highlight, current=current)


def review(proofs: list[Proof], folder: Path | None = None, made: list[Job] | None = None) -> list[Difference]:
    """Every page of the approved set that differs from its approved proof (and every
    approved page no longer made), most changed first. `proofs` at APPROVED_DPI; when
    they are a selection, `made` is the whole approved set (the rest is still made)."""
    folder = folder or APPROVED
    rendered = {f"{p.job.source.slug}/{proof_name(p.job)}" for p in proofs}
    not_rendered_now = {f"{job.source.slug}/{proof_name(job)}" for job in made or []} - rendered
    differences, seen = [], set()
    for proof in proofs:
        name = f"{proof.job.source.slug}/{proof_name(proof.job)}"
        offset = media_bleed_mm(proof.job)
        for number, current in enumerate(proof.pages, 1):
            path = approved_path(folder, proof.job, number)
            seen.add(path)
            if not path.is_file():
                differences.append(Difference(name, number, 1.0, None, None, missing="approved", current=current))
                continue
            with Image.open(path) as approved:
                difference = compare(name, number, approved, current, proof.dpi, offset)
            if difference.changed > 0:
                differences.append(difference)
    for slug in {p.job.source.slug for p in proofs}:
        for path in sorted((folder / slug).glob("**/*.png")):
            name = str(path.parent.relative_to(folder))
            if path not in seen and name not in not_rendered_now:
                differences.append(Difference(name, int(path.stem), 1.0, None, None, missing="current"))
    return sorted(differences, key=lambda d: -d.changed)
