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

from itertools import combinations

from .layouts import render_html
from .plan import Job
from .preflight import Subject, check_lost_text, check_safe_area, check_visible, emptiest_page
from .render import render_pdf_of
from .stages import Placed, Rendered

HEADLINES = ("h1", "h2", "strapline")  # elements whose lines are balanced


def fitted(job: Job, html: str | None = None) -> tuple[str, Rendered]:
    """The job's HTML and PDF at the smallest fill step that fills its pages (or the
    largest step that still fits, for very short content), headlines balanced; or,
    where text does not show (a panel lifted over it by longer content), at the first
    shrink step that shows it all. `html`: the job's HTML as designed, when the
    caller has made it already (the studio)."""
    html = render_html(job) if html is None else html
    rendered = render_pdf_of(job, html)
    shrunk = _shrunk(job, html, rendered)
    if shrunk is not None:
        return _balanced(job, 0, *shrunk[1:], shrink=shrunk[0])
    return _balanced(job, *_filled(job, html, rendered))


def _hidden(job: Job, html: str, rendered: Rendered) -> int:
    return len(check_visible(Subject(job, html, rendered)))


def _shrunk(job: Job, html: str, rendered: Rendered) -> tuple[int, str, Rendered] | None:
    """The first shrink step (.shrink-1 ...: smaller type, less air) at which every
    letter shows, nothing else breaks; None when nothing is hidden (nearly always:
    preflight's rasters are made here once and kept for it) or no step helps."""
    steps = job.spec.shrink_steps
    if not steps or not _hidden(job, html, rendered):
        return None
    flaws = _flaws(job, html, rendered)
    for step in range(1, steps + 1):
        html_at = render_html(job, shrink=step)
        rendered_at = render_pdf_of(job, html_at)
        if not _hidden(job, html_at, rendered_at) and _flaws(job, html_at, rendered_at) <= flaws:
            return step, html_at, rendered_at
    return None


def _filled(job: Job, html: str, rendered: Rendered) -> tuple[int, str, Rendered]:
    """The fill step chosen, with its HTML and PDF."""
    steps, allowed = job.spec.fit_steps, job.spec.max_empty_share
    if not steps or allowed is None or (empty := emptiest_page(job, rendered)) <= allowed:
        return 0, html, rendered
    chosen, flaws = 0, _flaws(job, html, rendered)
    for step in range(1, steps + 1):
        html_at = render_html(job, fit=step)
        rendered_at = render_pdf_of(job, html_at)
        if _flaws(job, html_at, rendered_at) > flaws:
            break  # too large: the step before is the best this content gets
        chosen, html, rendered, empty = step, html_at, rendered_at, emptiest_page(job, rendered_at)
        if empty <= allowed:
            break
    return chosen, html, rendered


def _balanced(job: Job, step: int, html: str, rendered: Rendered, shrink: int = 0) -> tuple[str, Rendered]:
    """Headlines with a line of one word ("Worried about / your / partner's past?") are
    broken again into as many lines, as even as their words allow, and rendered once
    more; kept if every headline keeps its number of lines and nothing else moved out
    of place. Headlines that read well (nearly all) cost nothing."""
    headlines = headline_lines(rendered.layout)
    breaks = {" ".join(" ".join(lines).split()): better
              for lines, widths in headlines if (better := balance(lines, widths))}
    if not breaks:
        return html, rendered
    html_at = render_html(job, fit=step, breaks=breaks, shrink=shrink)
    rendered_at = render_pdf_of(job, html_at)
    counts = lambda found: sorted(len(lines) for lines, _ in found)  # noqa: E731
    if (counts(headline_lines(rendered_at.layout)) != counts(headlines)
            or _flaws(job, html_at, rendered_at) > _flaws(job, html, rendered)):
        return html, rendered
    return html_at, rendered_at


def headline_lines(layout: list[Placed]) -> list[tuple[list[str], list[float]]]:
    """Each headline on the pages as its lines' text and widths (mm), in order."""
    found: list[tuple[list[str], list[float]]] = []
    last = None
    for item in layout:
        tail = item.element.rsplit(" > ", 2)
        if item.kind != "text" or not any(h in part for part in tail[-2:] for h in HEADLINES):
            last = None
            continue
        if last is not None and (last.page, last.element) == (item.page, item.element) and item.rect[1] > last.rect[1]:
            found[-1][0].append(item.text)
            found[-1][1].append(item.rect[2])
        else:
            found.append(([item.text], [item.rect[2]]))
        last = item
    return found


def balance(lines: list[str], widths: list[float]) -> tuple[str, ...] | None:
    """New lines for a headline of several lines of which one is a single word: the
    same number of lines, none wider than the widest now, as even as possible, no
    one-word line where it can be helped. Word widths are estimated from the width of
    the line each stands in (one font and size per headline). None: nothing better."""
    if len(lines) < 2 or all(len(line.split()) > 1 for line in lines):
        return None
    words: list[tuple[str, float]] = []
    for line, width in zip(lines, widths):
        per_char = width / max(1, len(line.strip()))
        words += [(word, len(word) * per_char) for word in line.split()]
    space = sum(widths) / max(1, sum(len(line.strip()) for line in lines))
    widest = max(widths) * 1.01

    def cost(cut: tuple[int, ...]) -> float:
        total = 0.0
        for start, end in zip((0, *cut), (*cut, len(words))):
            width = sum(w for _, w in words[start:end]) + space * (end - start - 1)
            if width > widest:
                return float("inf")
            total += (widest - width) ** 2 + (widest ** 2 if end - start == 1 and start > 0 else 0)
        return total

    best = min(combinations(range(1, len(words)), len(lines) - 1), key=cost, default=None)
    if best is None or cost(best) == float("inf"):
        return None
    chosen = tuple(" ".join(w for w, _ in words[start:end]) for start, end in zip((0, *best), (*best, len(words))))
    return None if [" ".join(line.split()) for line in lines] == list(chosen) else chosen


def _flaws(job: Job, html: str, rendered: Rendered) -> int:
    """How much of the content does not fit: pages beyond the product's, and preflight's
    lost-text and safe-area errors. Compared with the design as rendered at step 0, so
    a step is judged only by what it breaks."""
    subject = Subject(job, html, rendered)
    errors = [p for check in (check_lost_text, check_safe_area) for p in check(subject) if p.level == "error"]
    return job.spec.page_overflow(rendered.pages) + len(errors)
