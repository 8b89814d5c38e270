"""What every check looks at: the Subject (the job, its HTML, the rendered PDF and the
layout map, each page rastered once) and the geometry helpers the checks share.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pypdfium2 as pdfium

from .. import eye
from ..plan import Job, media_bleed_mm
from ..problems import Problem
from ..stages import Placed, Rendered

PT_PER_MM = 72 / 25.4
PICTURE = "figure.picture"  # the campaign's image (_parts.html picture): may run into the bleed
THUMBNAIL_DPI = 30  # the page raster for the report's proofs and the bleed check


@dataclass
class Subject:
    job: Job
    html: str
    rendered: Rendered
    pages: dict[int, pdfium.PdfPage] = field(default_factory=dict, repr=False)  # page index -> page of `pdf`
    merged: list[Placed] | None = field(default=None, repr=False)  # the layout's lines merged (`_content`)

    @property
    def file(self) -> str:
        return self.job.output

    @cached_property
    def pdf(self) -> pdfium.PdfDocument:
        return pdfium.PdfDocument(self.rendered.pdf)

    @property
    def views(self) -> list[eye.PageView]:
        """Each page as a reader sees it (pipeline/eye.py), rastered once per rendering
        for the visibility, code and number checks (and copyfitting's shrink steps),
        with its colour raster for the bleed check and thumbnails (`raster`)."""
        key = ("views",)
        if key not in self.rendered.derived:
            self.rendered.derived[key] = eye.page_views(
                self.rendered.pdf, media_bleed_mm(self.job), self.job.min_qr_module_mm,
                self.job.spec.sizes[self.job.size].min_type_pt, colour_dpi=THUMBNAIL_DPI)
        return self.rendered.derived[key]

    def reading(self, page: int) -> list[tuple[eye.Line, eye.Line | None]]:
        """Page `page`'s lines as a reader reads them, each with the line read after it
        (the number and address checks). Right-to-left documents are read from the
        glyphs as Pango placed them (the layout's ink boxes and their characters): their
        press text layer maps one Nastaliq glyph to one letter for all its uses
        (pipeline/textlayer/), and their screen copies draw what is read apart from what is seen."""
        key = ("reading", page)
        if key not in self.rendered.derived:
            if self.job.source.campaign.direction == "rtl":
                chars = [eye.Char(text, glyph) for item in self.rendered.layout
                         if item.page == page and item.kind == "text"
                         for glyph, text in zip(item.ink, item.ink_text) if text.strip()]
            else:
                chars = self.views[page - 1].chars
            lines = eye.reading_lines(chars)
            self.rendered.derived[key] = list(zip(lines, eye.next_lines(lines)))
        return self.rendered.derived[key]

    def page(self, index: int) -> pdfium.PdfPage:
        """Page `index` (from 0) of `pdf`, loaded once for the checks that raster it
        (closed with the document)."""
        if index not in self.pages:
            self.pages[index] = self.pdf[index]
        return self.pages[index]

    def raster(self, index: int) -> np.ndarray:
        """Page `index` (from 0) with its bleed, as RGB pixels (height x width x 3) at
        THUMBNAIL_DPI, for the bleed check and the report's thumbnails: rastered with
        the reader's views (`views`), from the page loaded for them."""
        return self.views[index].colour

    def problem(self, level, what, hint, item: Placed | None = None, page=None, box=None, check=None):
        return Problem(level, self.file, what, hint, page=item.page if item else page,
                       box_mm=item.rect if item else box, check=check,
                       field=item.element if item else None)


# ---------------------------------------------------------------- geometry helpers

def element_lines(layout: list[Placed]) -> list[list[Placed]]:
    """The text lines of each element, in order (a number or an address may break
    across lines of one element)."""
    elements: list[list[Placed]] = []
    for item in layout:
        if item.kind != "text":
            continue
        last = elements[-1][-1] if elements else None
        if last and (last.page, last.element) == (item.page, item.element):
            elements[-1].append(item)
        else:
            elements.append([item])
    return elements


def _overlap(a, b, slack=0.3) -> bool:
    return (a[0] + slack < b[0] + b[2] and b[0] + slack < a[0] + a[2]
            and a[1] + slack < b[1] + b[3] and b[1] + slack < a[1] + a[3])


def _inside(inner, outer, tolerance=0.2) -> bool:
    return (inner[0] >= outer[0] - tolerance and inner[1] >= outer[1] - tolerance
            and inner[0] + inner[2] <= outer[0] + outer[2] + tolerance
            and inner[1] + inner[3] <= outer[1] + outer[3] + tolerance)


def _content(subject: Subject) -> list[Placed]:
    """Text, images and codes, with the lines of one element merged into one item, so
    a paragraph over a fold is one problem, not one per line. Merged once per subject
    (a dozen checks ask); each caller gets its own list."""
    if subject.merged is None:
        subject.merged = _merged(subject.rendered.layout)
    return list(subject.merged)


def _merged(layout: list[Placed]) -> list[Placed]:
    merged: list[Placed] = []
    for item in layout:
        last = merged[-1] if merged else None
        if (last and item.kind == "text" == last.kind and item.page == last.page
                and item.element == last.element and item.font_size_pt == last.font_size_pt
                and item.colour == last.colour and item.background == last.background):
            x0, y0 = min(last.rect[0], item.rect[0]), min(last.rect[1], item.rect[1])
            x1 = max(last.rect[0] + last.rect[2], item.rect[0] + item.rect[2])
            y1 = max(last.rect[1] + last.rect[3], item.rect[1] + item.rect[3])
            merged[-1] = replace(last, rect=(x0, y0, x1 - x0, y1 - y0), text=f"{last.text} {item.text}")
        else:
            merged.append(item)
    return merged


def _label(item: Placed) -> str:
    if item.kind != "text":
        return item.kind
    text = " ".join(item.text.split())
    return repr(text if len(text) <= 40 else text[:39] + "…")
