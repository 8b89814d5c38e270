"""The change review: approved proofs kept in the repository (proofs/) and the
comparison of the current renders with them (tests/test_proofs.py, `campaign-print
proof --approve` and `--review`, the studio's "changes" view).

The approved set (`approved_set`) is every product at every size, county-wide, in
each language, for one partner and one district (where the product is made for
them), every statistic, in the press profile (or the product's own profile when it
is not made for press: a 6-sheet in large-format). Each page is kept as:

- `N.png`: a grey image, 16 levels, at the resolution where the page's smallest
  type (the size's `min_type_pt`) is PX_PER_EM pixels high: words can be read;
- `N.txt`: the page boxes and every word of the PDF's text layer with its box (in
  mm from the trim's top-left corner) and colour, one word a line (a typo is a
  one-line diff).

A page differs from its approved proof when its boxes changed, a word changed
(named with the words before and after), words changed colour, moved or changed size
(a scaled page is a change however few pixels move), or more than PAGE_TOLERANCE of
its pixels changed (images, backgrounds, rules: grey, so a colour of the same
lightness is not seen there). The same renders always give the same files, so an
approval that changes nothing leaves proofs/ as it was.
"""
from __future__ import annotations

import difflib
import io
import itertools
import os
import statistics
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from multiprocessing import get_context
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageDraw

from .paths import PROOFS, stamp
from .pdflock import PDFIUM
from .pdfwords import Box, Word, page_geometry
from .plan import Job
from .proof import APPROVED_PROFILE, proof_name

APPROVED = PROOFS
MM_PER_INCH = 25.4
PX_PER_EM = 10  # the smallest type's em in pixels: 9 pt cards at 80 dpi, 12 pt leaflets at 60 dpi
GREYS = 16  # levels kept: 4-bit PNGs, half the size of 8-bit ones
# A pixel has changed when it moved by more than PIXEL_TOLERANCE (of 255) of grey:
# less is anti-aliasing. A page has drifted when more than PAGE_TOLERANCE of its
# pixels changed, or any word changed, moved, changed size or colour.
PIXEL_TOLERANCE = 40
PAGE_TOLERANCE = 0.001
MOVE_MM = 0.3  # a word whose box moved further has moved (the boxes are kept to 0.1 mm)
SCALE_TOLERANCE = 0.02  # a word whose box grew or shrank by more has changed size
WORDS_HEAD = "# words: x y width height (mm from the trim's top-left) colour text"
TEXT_AS_SET = "# text as set, in reading order (right to left)"
NAMED = 4  # text changes named in full per page; the rest are counted
HIGHLIGHT = (230, 0, 126)  # changed pixels: magenta, a colour no layout here uses

# ---------------------------------------------------------------- what is kept

@dataclass
class Page:
    """One page as approved proofs keep it."""

    image: Image.Image  # grey ("L")
    boxes: dict[str, Box]  # media, trim, bleed: from the media box's top-left corner, mm
    words: list[Word]
    # Right to left: the words as set, in reading order. The press PDF's text layer maps
    # each Nastaliq glyph to one letter for all its uses (docs/textlayer.md), so its words
    # place the glyphs but do not read as the text.
    text: list[str] | None = None

    def text_file(self) -> str:
        head = " ".join(f"{name} " + " ".join(f"{v:.1f}" for v in box) for name, box in self.boxes.items())
        return (f"# page boxes (mm from the page's top-left): {head}\n"
                f"{WORDS_HEAD}\n"
                + "".join(f"{w.line()}\n" for w in self.words)
                + ("" if self.text is None else f"{TEXT_AS_SET}\n" + "".join(f"{w}\n" for w in self.text)))

    @cached_property
    def png(self) -> bytes:
        return _grey_png(self.image)


@dataclass
class Record:
    """An output of the approved set: its name (campaign/output without .pdf) and pages."""

    name: str
    dpi: float
    pages: list[Page]


def approved_dpi(job: Job) -> float:
    """The resolution at which the size's smallest type is PX_PER_EM pixels to the em."""
    return round(PX_PER_EM * 72 / job.spec.sizes[job.size].min_type_pt, 2)


def record_name(job: Job) -> str:
    return f"{job.source.slug}/{proof_name(job)}"


def record(job: Job, pdf: bytes, layout: list = ()) -> Record:
    """Read a rendered PDF as the approved set keeps it: a grey image, the page boxes
    and the words of the text layer (PDFium, not the renderer) of each page; for a
    right-to-left language also the words as set (the render's layout map)."""
    dpi = approved_dpi(job)
    rtl = job.source.campaign.direction == "rtl"
    pages = []
    with PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            for number, page in enumerate(document, 1):
                image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
                text = [word for item in layout if item.page == number and item.kind == "text"
                        for word in item.text.split()] if rtl else None
                pages.append(Page(_greys(image), *page_geometry(page), text))
        finally:
            document.close()
    return Record(record_name(job), dpi, pages)


def _greys(image: Image.Image) -> Image.Image:
    step = 255 / (GREYS - 1)
    return image.point(lambda v: round(round(v / step) * step))


def _grey_png(image: Image.Image) -> bytes:
    """A 4-bit PNG with a fixed grey palette: the same page gives the same bytes."""
    step = 255 / (GREYS - 1)
    indexed = image.point(lambda v: round(v / step)).convert("P")  # "L" values 0..15 as palette indices
    indexed.putpalette([round(i * step) for i in range(GREYS) for _ in range(3)])
    buffer = io.BytesIO()
    indexed.save(buffer, "PNG", optimize=True, bits=4)
    return buffer.getvalue()


def _parse(text: str) -> tuple[dict[str, Box], list[Word], list[str] | None]:
    """A page's boxes and words as `Page.text_file` wrote them; ValueError otherwise."""
    lines = text.splitlines()
    if len(lines) < 2 or lines[1] != WORDS_HEAD:
        raise ValueError("not a page's words")
    head = lines[0].split(": ", 1)[1].split()
    boxes = {head[i]: tuple(float(v) for v in head[i + 1:i + 5]) for i in range(0, len(head), 5)}
    placed, _, as_set = "\n".join(lines[2:]).partition(TEXT_AS_SET)
    words = []
    for line in placed.splitlines():
        *numbers, colour, word = line.split(" ", 5)
        words.append(Word(word, tuple(float(v) for v in numbers), colour))
    return boxes, words, as_set.split() if TEXT_AS_SET in text else None


# ---------------------------------------------------------------- the approved set

def approved_set(jobs: list[Job]) -> list[Job]:
    """The jobs approved proofs are kept for, from jobs planned in every profile: per
    campaign, product, size and statistic, the county-wide version, each language's,
    the first district's and the first partner's that make it; in press, or in the
    first profile a product names when it is not made for press."""
    chosen, seen = [], set()
    for job in jobs:
        made_in = job.spec.size_profiles(job.size)
        profile = APPROVED_PROFILE if made_in is None or APPROVED_PROFILE in made_in else made_in[0]
        key = (job.source.slug, job.product, job.size, job.statistic, job.axis, job.language)
        if job.profile.name == profile and key not in seen:
            seen.add(key)
            chosen.append(job)
    return chosen


def _made(job: Job) -> Record:
    from .fit import fitted

    rendered = fitted(job)[1]
    made = record(job, rendered.pdf, rendered.layout)
    for page in made.pages:
        page.png  # encoded here, in the worker
    return made


def records(jobs: list[Job], workers: int | None = None) -> list[Record]:
    """Render the jobs and read them as approved proofs keep them, on every core."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if workers == 1:
        return [_made(job) for job in jobs]
    from . import render  # noqa: F401  WeasyPrint loaded once, before the fork
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        return list(pool.map(_made, jobs))


def page_files(folder: Path, name: str) -> list[tuple[Path, Path]]:
    """The approved pages of an output: (image, words) per page, in page order."""
    pages, number = [], 1
    while (folder / name / f"{number}.png").is_file():
        pages.append((folder / name / f"{number}.png", folder / name / f"{number}.txt"))
        number += 1
    return pages


def approve(made: list[Record], folder: Path | None = None, whole: list[Job] | None = None) -> list[Path]:
    """Write the records as the approved pages of their outputs (default proofs/),
    rewriting only files whose bytes change. Only those outputs are replaced: a
    selection (--only, one campaign) leaves every other approved proof as it was.
    `whole`: the whole approved set of their campaigns; approved outputs not in it (a
    product taken out of layouts/) are removed. Returns the pages written."""
    folder = folder or APPROVED
    written = []
    for rec in made:
        target = folder / rec.name
        target.mkdir(parents=True, exist_ok=True)
        wanted = set()
        for number, page in enumerate(rec.pages, 1):
            for path, data in ((target / f"{number}.png", page.png),
                               (target / f"{number}.txt", page.text_file().encode())):
                wanted.add(path)
                if not path.is_file() or path.read_bytes() != data:
                    path.write_bytes(data)
            written.append(target / f"{number}.png")
        for stale in [*target.glob("*.png"), *target.glob("*.txt")]:  # the output has fewer pages now
            if stale not in wanted:
                stale.unlink()
    if whole is not None:
        kept = {folder / record_name(job) for job in whole}
        for campaign in {rec.name.split("/")[0] for rec in made}:
            for stale in [*(folder / campaign).glob("**/*.png"), *(folder / campaign).glob("**/*.txt")]:
                if stale.parent not in kept:
                    stale.unlink()
    for empty in sorted((p for p in folder.glob("**/") if p != folder), reverse=True):
        if not any(empty.iterdir()):
            empty.rmdir()
    return written


# ---------------------------------------------------------------- the review

_SERIALS = itertools.count(1)


@dataclass
class Difference:
    """How one page differs from its approved proof."""

    name: str  # campaign/output without .pdf
    page: int
    changed: float = 0.0  # fraction of the page's pixels that changed
    box_mm: Box | None = None  # around the changes, from the trim's top-left
    highlight: Image.Image | None = None  # the current page, faded, changes in magenta
    missing: str | None = None  # "approved", "current": one side has no such page; "unreadable"
    # Which comparison this is, in the process: the studio's images are addressed with it,
    # so a browser never shows an earlier comparison's image under the same address.
    serial: int = field(default_factory=lambda: next(_SERIALS), compare=False)
    current: Image.Image | None = None  # the page as it is now
    changes: list[str] = field(default_factory=list)  # what changed: boxes, words, moved, scaled

    @property
    def percent(self) -> str:
        return f"{self.changed:.2%}"

    @property
    def drifted(self) -> bool:
        return self.missing is not None or bool(self.changes) or self.changed > PAGE_TOLERANCE

    def __str__(self) -> str:
        where = f"{self.name} page {self.page}"
        if self.missing == "approved":
            return f"{where}: no approved proof (new page)"
        if self.missing == "current":
            return f"{where}: approved, but the page is no longer made"
        if self.missing == "unreadable":
            return (f"{where}: its approved proof ({self.page}.png, {self.page}.txt) cannot be read: "
                    "made by an older version or edited by hand; approve it again")
        return f"{where}: " + "; ".join([*self.changes, self.pixels])

    @property
    def pixels(self) -> str:
        """How much of the page changed, and where (around every change)."""
        said = f"{self.changed:.2%} of the pixels changed"
        if self.box_mm:
            x, y, w, h = self.box_mm
            said += f", within x {x:.0f} to {x + w:.0f} mm, y {y:.0f} to {y + h:.0f} mm from the trim's top-left"
        return said


def compare_pixels(approved: Image.Image, current: Image.Image) -> Image.Image:
    """The changed pixels (255) of two grey pages; all of them when the sizes differ."""
    approved, current = approved.convert("L"), current.convert("L")
    if approved.size != current.size:
        return Image.new("L", current.size, 255)
    return ImageChops.difference(approved, current).point(lambda v: 255 if v > PIXEL_TOLERANCE else 0)


def compare_words(approved: Page, current: Page) -> tuple[list[str], list[Box]]:
    """What changed in the words of a page, said as a proof-reader would, and the boxes
    of the changed words (on the current page, from the trim)."""
    said, where, pairs = [], [], []
    old, new = [w.text for w in approved.words], [w.text for w in current.words]
    same, edited = _opcodes(old, new)
    for a0, a1, b0, b1 in same:
        pairs += zip(approved.words[a0:a1], current.words[b0:b1])
    for _, _, _, b0, b1 in edited:
        where += [w.box for w in current.words[b0:b1]]
    if approved.text is not None and current.text is not None:  # right to left: read as set
        old, new = approved.text, current.text
        edited = _opcodes(old, new)[1]
    edits = [_edit(tag, old[a0:a1], new, b0, b1) for tag, a0, a1, b0, b1 in edited]
    if edits:
        more = f" and {len(edits) - NAMED} more" if len(edits) > NAMED else ""
        said.append("words: " + "; ".join(edits[:NAMED]) + more)
    scaled = [(a, b) for a, b in pairs if _ratio(a, b) is not None]
    if scaled:
        ratio = statistics.median(_ratio(a, b) for a, b in scaled)
        a, b = min(scaled, key=lambda pair: abs(_ratio(*pair) - ratio))  # a typical one
        said.append(f"scaled: {len(scaled)} of {len(pairs)} words at {ratio:.0%} of their approved size "
                    f"(e.g. '{b.text}' {a.box[3]:.1f} to {b.box[3]:.1f} mm high, {a.box[2]:.1f} to {b.box[2]:.1f} mm wide)")
        where += [b.box for _, b in scaled]
    recoloured = [(a, b) for a, b in pairs if a.colour != b.colour]
    if recoloured:
        a, b = recoloured[0]
        said.append(f"colour: {len(recoloured)} of {len(pairs)} words (e.g. '{b.text}' {a.colour} to {b.colour})")
        where += [b.box for _, b in recoloured]
    moved = [(a, b) for a, b in pairs if _ratio(a, b) is None and _distance(a, b) > MOVE_MM]
    if moved:
        a, b = max(moved, key=lambda pair: _distance(*pair))
        said.append(f"moved: {len(moved)} of {len(pairs)} words, by up to {_distance(a, b):.1f} mm "
                    f"('{b.text}' {_direction(a, b)})")
        where += [b.box for _, b in moved]
    return said, where


def _opcodes(old: list[str], new: list[str]) -> tuple[list[tuple], list[tuple]]:
    """The runs of words kept, (a0, a1, b0, b1), and the edits, (tag, a0, a1, b0, b1).
    A run left out in one place and added whole in another was drawn in another
    order (a positioned element is drawn after the rest): kept, not edited."""
    ops = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    same = [(a0, a1, b0, b1) for tag, a0, a1, b0, b1 in ops if tag == "equal"]
    added = {tuple(new[b0:b1]): (b0, b1) for tag, a0, a1, b0, b1 in ops if tag == "insert"}
    drawn_elsewhere = set()
    for tag, a0, a1, _, _ in ops:
        if tag == "delete" and tuple(old[a0:a1]) in added:
            b0, b1 = added.pop(tuple(old[a0:a1]))
            same.append((a0, a1, b0, b1))
            drawn_elsewhere |= {("delete", a0), ("insert", b0)}
    edited = [op for op in ops if op[0] != "equal" and (op[0], op[1] if op[0] == "delete" else op[3])
              not in drawn_elsewhere]
    return same, edited


def _edit(tag: str, was: list[str], new: list[str], b0: int, b1: int) -> str:
    """One change of words, named with the words before and after it."""
    before = f"'{new[b0 - 1]}'" if b0 else "the page's start"
    after = f"'{new[b1]}'" if b1 < len(new) else "the page's end"
    what = {"replace": f"{_quote(new[b0:b1])} for {_quote(was)}", "delete": f"{_quote(was)} left out",
            "insert": f"{_quote(new[b0:b1])} added"}[tag]
    return f"{what} between {before} and {after}"


def _quote(words: list[str]) -> str:
    shown = " ".join(words[:8]) + (" …" if len(words) > 8 else "")
    return f"'{shown}'"


def _ratio(a: Word, b: Word) -> float | None:
    """How much larger b is than a, when its size changed beyond the tolerance."""
    ratios = [b.box[i] / a.box[i] for i in (2, 3) if abs(b.box[i] - a.box[i]) > 0.15 and a.box[i] > 0]
    off = [r for r in ratios if abs(r - 1) > SCALE_TOLERANCE]  # 0.15 mm: over the boxes' rounding
    return off[0] if off else None


def _distance(a: Word, b: Word) -> float:
    return max(abs(b.box[0] - a.box[0]), abs(b.box[1] - a.box[1]))


def _direction(a: Word, b: Word) -> str:
    dx, dy = b.box[0] - a.box[0], b.box[1] - a.box[1]
    parts = [f"{abs(dx):.1f} mm {'right' if dx > 0 else 'left'}" if abs(dx) > MOVE_MM else "",
             f"{abs(dy):.1f} mm {'down' if dy > 0 else 'up'}" if abs(dy) > MOVE_MM else ""]
    return " and ".join(p for p in parts if p)


def compare(name: str, number: int, approved: Page, current: Page, dpi: float) -> Difference:
    """How a page differs from its approved proof: boxes, words, then pixels."""
    changes = []
    for box, was in approved.boxes.items():
        now = current.boxes.get(box)
        if now != was:
            changes.append(f"{box} box {_size(was)} is now {_size(now)}")
    said, where = compare_words(approved, current)
    changes += said
    mask = compare_pixels(approved.image, current.image)
    changed = mask.histogram()[255] / (mask.width * mask.height)
    trim_x, trim_y = current.boxes["trim"][:2]
    scale = MM_PER_INCH / dpi
    pixels = mask.getbbox()
    boxes = list(where)
    if pixels:
        x0, y0, x1, y1 = (v * scale for v in pixels)
        boxes.append((x0 - trim_x, y0 - trim_y, x1 - x0, y1 - y0))
    box_mm = None
    if boxes:
        x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
        x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
        box_mm = (x0, y0, x1 - x0, y1 - y0)
    # What changed: the current page faded, its changed pixels tinted magenta (where
    # words were too), and a magenta frame around each changed word as it is now.
    image = current.image.convert("RGB")
    faded = Image.blend(image, Image.new("RGB", image.size, "white"), 0.6)
    tinted = Image.blend(image, Image.new("RGB", image.size, HIGHLIGHT), 0.55)
    highlight = Image.composite(tinted, faded, mask) if pixels else faded
    draw = ImageDraw.Draw(highlight)
    for x, y, w, h in where:
        left, top = (x + trim_x) / scale, (y + trim_y) / scale
        draw.rectangle([left - 1, top - 1, left + w / scale + 1, top + h / scale + 1], outline=HIGHLIGHT)
    return Difference(name, number, changed, box_mm, highlight, current=image, changes=changes)


def _size(box: Box | None) -> str:
    return "missing" if box is None else f"{box[2]:g} × {box[3]:g} mm at {box[0]:g}, {box[1]:g}"


def review(made: list[Record], folder: Path | None = None, whole: list[Job] | None = None,
           compared: dict | None = None) -> list[Difference]:
    """Every page of the records that differs from its approved proof, and every
    approved page no longer made, the drifted first, most changed first. `whole`: the
    whole approved set, when the records are a selection; without it only the
    records' own outputs are looked at. `compared`: a page's comparison kept from an
    earlier review (the studio's changes view looks again as renders finish), by
    (name, page), while the page made and its approved files are the same."""
    folder = folder or APPROVED
    compared = {} if compared is None else compared
    still_made = {record_name(job) for job in whole or []}
    differences = []
    for rec in made:
        files = page_files(folder, rec.name)
        for number, current in enumerate(rec.pages, 1):
            if number > len(files) or not files[number - 1][1].is_file():
                differences.append(Difference(rec.name, number, 1.0, missing="approved",
                                              current=current.image.convert("RGB")))
                continue
            image_path, words_path = files[number - 1]
            seen = (current, stamp(image_path), stamp(words_path))
            kept = compared.get((rec.name, number))
            if kept is not None and kept[0][0] is current and kept[0][1:] == seen[1:]:
                difference = kept[1]
            else:
                difference = _compared(rec, number, current, image_path, words_path)
                compared[(rec.name, number)] = (seen, difference)
            if difference.missing or difference.changes or difference.changed > 0:
                differences.append(difference)
    pages = {rec.name: len(rec.pages) for rec in made}
    for campaign in {rec.name.split("/")[0] for rec in made}:
        for path in sorted((folder / campaign).glob("**/*.png")):
            name = path.parent.relative_to(folder).as_posix()
            if name in pages:  # made now: the pages past its last are gone
                gone = int(path.stem) > pages[name]
            else:  # not rendered now: gone when the whole set no longer has it
                gone = whole is not None and name not in still_made
            if gone:
                differences.append(Difference(name, int(path.stem), 1.0, missing="current"))
    return sorted(differences, key=lambda d: (not d.drifted, -d.changed))


def _compared(rec: Record, number: int, current: Page, image_path: Path, words_path: Path) -> Difference:
    try:
        with Image.open(image_path) as image:
            approved = Page(image.convert("L"), *_parse(words_path.read_text(encoding="utf-8")))
    except (OSError, ValueError, UnicodeDecodeError):  # an older format, or edited by hand
        return Difference(rec.name, number, 1.0, missing="unreadable", current=current.image.convert("RGB"))
    return compare(rec.name, number, approved, current, rec.dpi)
