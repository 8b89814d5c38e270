"""Preflight: check every rendered output as a printer's preflight and a proof-reader would.

Each check is a small function taking a Subject (the job, the rendered PDF and the
layout map) and returning Problems with the page and the place on it. Commercial
preflight only sees the PDF; here we also see the layout, so lost text, text over a
fold or too close to the trim are named with the element they belong to.

One module per family of checks: text.py (pages, lost, hidden and touching text, safe
area, folds, type size), colour.py (contrast, inks), codes.py (QR codes), press.py
(fonts, images, bleed), identity.py (logo lockups), numbers.py, empty.py, discreet.py,
translation.py (drafts), addresses.py (printed web addresses), screen.py (social images: pixels,
legible size, contrast as rastered,
clear zones, no code); subject.py
holds what they share, thumbnails.py the report's page images.
"""
from __future__ import annotations

from ..pdflock import PDFIUM
from ..plan import Job
from ..problems import Problem
from ..stages import Rendered
from .addresses import check_addresses
from .codes import check_codes, check_qr
from .colour import check_contrast, check_small_text_inks, contrast, process_inks
from .discreet import check_discreet
from .empty import check_empty, emptiest_page, empty_blocks, largest_empty_block
from .fonts import check_fonts
from .identity import check_identity
from .numbers import check_numbers, check_page_numbers
from .press import check_bleed, check_images
from .screen import SCREEN_CHECKS
from .subject import Subject
from .text import (check_lost_text, check_pages, check_safe_area, check_touching_lines, check_type_size,
                   check_visible, touching_lines)
from .thumbnails import thumbnails as page_thumbnails
from .translation import check_easy_read, check_translation

__all__ = ["CHECKS", "SOCIAL_CHECKS", "Subject", "preflight", "strict", "contrast", "process_inks", "touching_lines",
           "largest_empty_block", "empty_blocks", "emptiest_page", *(
               "check_pages check_lost_text check_visible check_safe_area check_type_size check_contrast "
               "check_small_text_inks check_qr check_codes check_fonts check_images check_bleed "
               "check_translation check_easy_read check_discreet check_numbers check_page_numbers check_empty "
               "check_touching_lines check_identity check_addresses").split()]

CHECKS = (check_pages, check_lost_text, check_visible, check_safe_area, check_type_size, check_contrast,
          check_small_text_inks, check_qr, check_codes, check_fonts, check_images, check_bleed, check_translation,
          check_easy_read, check_discreet, check_numbers, check_page_numbers, check_addresses,
          check_empty, check_touching_lines, check_identity)

# A social image: the checks of what is on it, then the screen's own (screen.py) in
# place of the press's (trim, safe area, bleed, inks) and the QR code's.
SOCIAL_CHECKS = (check_pages, check_lost_text, check_visible, check_fonts, check_images, check_translation,
                 check_discreet, check_numbers, check_page_numbers, check_addresses, check_empty, check_touching_lines,
                 *SCREEN_CHECKS)


def preflight(job: Job, html: str, rendered: Rendered, thumbnails: bool = True) -> tuple[list[Problem], list[bytes]]:
    """Run every check; return the problems (WeasyPrint's warnings included) and the
    page thumbnails (from the raster the bleed check looked at; none when not
    `thumbnails`: a partner's proof draws its pages at the width the page shows)."""
    subject = Subject(job, html, rendered)
    problems = list(rendered.warnings)
    with PDFIUM:  # the checks read the PDF through PDFium (pdflock.py)
        try:
            for check in (SOCIAL_CHECKS if job.social else CHECKS):
                problems += check(subject)
            pngs = page_thumbnails(subject) if thumbnails else []
        finally:
            if "pdf" in subject.__dict__:
                subject.pdf.close()
    return problems, pngs


def strict(problems: list[Problem]) -> list[Problem]:
    """--strict: every warning counts as an error."""
    return [Problem(**{**p.__dict__, "level": "error"}) for p in problems]
