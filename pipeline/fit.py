"""Copyfitting: set short content larger rather than leave a hole in the page.

A product's stylesheets may define fill steps, `.fit-1` to `.fit-N` on <body>, each
setting the text larger and the space more generous than the one before (the
product's `fit_steps` in products.yaml says how many there are). The job is rendered
as designed first; while a page is emptier than the product allows (preflight's
`empty` measure), the next step is tried, and kept while the content still fits:
the same number of pages, nothing lost, pushed off the page, over a fold or into the
safe margin (preflight's own checks). Full content costs one rendering, as before;
only short content pays for the steps it climbs.
"""
from __future__ import annotations

from .layouts import render_html
from .plan import Job
from .preflight import Subject, check_lost_text, check_safe_area, emptiest_page
from .render import Rendered, render_pdf_of


def fitted(job: Job) -> tuple[str, Rendered]:
    """The job's HTML and PDF at the smallest fill step that fills its pages (or the
    largest step that still fits, for very short content)."""
    html = render_html(job)
    rendered = render_pdf_of(job, html)
    steps, allowed = job.spec.fit_steps, job.spec.max_empty_share
    if not steps or allowed is None:
        return html, rendered
    empty = emptiest_page(job, rendered)
    flaws = _flaws(job, html, rendered)
    for step in range(1, steps + 1):
        if empty <= allowed:
            break
        html_at = render_html(job, fit=step)
        rendered_at = render_pdf_of(job, html_at)
        if _flaws(job, html_at, rendered_at) > flaws:
            break  # too large: the step before is the best this content gets
        html, rendered, empty = html_at, rendered_at, emptiest_page(job, rendered_at)
    return html, rendered


def _flaws(job: Job, html: str, rendered: Rendered) -> int:
    """How much of the content does not fit: pages beyond the product's, and preflight's
    lost-text and safe-area errors. Compared with the design as rendered at step 0, so
    a step is judged only by what it breaks."""
    subject = Subject(job, html, rendered)
    errors = [p for check in (check_lost_text, check_safe_area) for p in check(subject) if p.level == "error"]
    return abs(rendered.pages - job.spec.pages) + len(errors)
