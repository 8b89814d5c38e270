"""A partner's proof by panels: of the sides a partner changes, only the panels that
carry what it changes are rendered (the DL's back panel: its lines, logo and QR code;
not the cover and flap beside it), and drawn over the stand-in's whole side.

Made once per campaign, layouts, product and width (`_Stand`): the stand-in partner's
changed sides rendered whole as the sides' proof would (fitted), and with only the
partner's panels. Kept only when the two agree wherever the panels alone draw anything,
pixel for pixel (panels placed by CSS, each on its own: removing one moves nothing),
and copyfitting left the sides as designed (no fill, shrink or balancing step).

For each proof: the partner's panels are rendered and checked; its pages are the
stand-in's whole sides with every pixel where the partner's panels differ from the
stand-in's taken from the partner's render. None (the caller renders the whole sides)
when any of this cannot be shown to be what the whole sides would give: a pixel that
differs where another panel draws, text over a fold, hidden or lost, a page that is
too empty (a fill step would be climbed), a headline to balance, another page count.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import sheets
from .pdflock import PDFIUM
from .problems import Problem
from .stages import Rendered

PROOF_DPI = 96
STANDS_KEPT = 8  # campaign x product x width: two RGB rasters a changed side each
UNSURE = ("folds", "hidden-text", "lost-text")  # the partner's panel may reach into another's


@dataclass
class _Stand:
    panels: dict[int, frozenset[int]]  # side -> the panels kept (the partner's)
    width: int | None
    whole: list[np.ndarray]  # each changed side of the stand-in, drawn whole
    alone: list[np.ndarray]  # the same with only the partner's panels
    others: list  # the layout's items on the other panels (Placed), as in the whole side
    problems: list[Problem]  # the stand-in's problems found on the other panels


_STANDS: dict[tuple, _Stand | None] = {}


def changed_panels(a: list[str], b: list[str], changed: frozenset[int]) -> dict[int, frozenset[int]]:
    """For each changed side (of the HTML of two made-up partners, `a` and `b`), the
    panels that differ, when some of its panels do not."""
    found = {}
    for index in changed:
        pa, pb = sheets.panels(a[index])[1], sheets.panels(b[index])[1]
        if pa and len(pa) == len(pb):
            differ = frozenset(i for i, (x, y) in enumerate(zip(pa, pb)) if x != y)
            if differ and len(differ) < len(pa):
                found[index] = differ
    return found


def rasters(pdf: bytes, width: int | None) -> list[np.ndarray]:
    """Each page as RGB pixels, `width` wide (PROOF_DPI when None)."""
    import pypdfium2 as pdfium

    with PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            return [page.render(scale=width / page.get_width() if width else PROOF_DPI / 72,
                                rev_byteorder=True).to_numpy()[..., :3].copy() for page in document]
        finally:
            document.close()


def png(pixels: np.ndarray) -> bytes:
    """A proof's page as PNG: rows unfiltered, fast deflate (the report's thumbnails'
    writer): half the CPU of Pillow's level 1, which tries every row filter, and
    smaller on a leaflet's flat colour."""
    from .preflight.thumbnails import png as fast_png

    return fast_png(pixels)


def stand(key: tuple, stand_in, changed: frozenset[int], panels: dict[int, frozenset[int]],
          width: int | None) -> _Stand | None:
    """The stand-in's sides, whole and with the partner's panels alone (once per key)."""
    from .fit import fitted
    from .layouts import render_html
    from .preflight import preflight
    from .render import render_pdf_of

    if key not in _STANDS:
        with sheets.only_sheets(changed):
            as_designed = render_html(stand_in)
            html, whole = fitted(stand_in, as_designed)
        with sheets.only_sheets(changed, panels):
            alone = render_pdf_of(stand_in, render_html(stand_in))
        made = None
        if html == as_designed and whole.pages == alone.pages == len(changed):
            drawn, partial = rasters(whole.pdf, width), rasters(alone.pdf, width)
            blank = [np.all(p == 255, axis=2) for p in partial]
            if all(w.shape == p.shape and np.array_equal(w[~b], p[~b]) for w, p, b in zip(drawn, partial, blank)):
                dropped = {sheets.panel_name(p) for index, side in zip(sorted(changed), sheets.split(as_designed)[1])
                           for i, p in enumerate(sheets.panels(side)[1]) if i not in panels.get(index, range(99))}
                theirs = lambda element: bool(element) and element.split(" > ")[0] in dropped  # noqa: E731
                found, _ = preflight(stand_in, html, whole, thumbnails=False)
                if not any(p.level == "error" and p.check in UNSURE for p in found):  # as a partner's below
                    made = _Stand(panels, width, drawn, partial, [item for item in whole.layout
                                                                  if theirs(item.element)],
                                  [p for p in found if theirs(p.field)])
        _STANDS[key] = made
        while len(_STANDS) > STANDS_KEPT:
            del _STANDS[next(iter(_STANDS))]
    return _STANDS[key]


def proof(job, made: _Stand, changed: frozenset[int]) -> tuple[list[bytes], list[Problem], bytes] | None:
    """The partner's changed sides (PNG each), their problems (pages numbered in the
    changed sides) and the PDF of its panels; None when not shown to be exact."""
    from .fit import balance, headline_lines
    from .layouts import render_html
    from .preflight import check_empty, preflight
    from .preflight.subject import Subject
    from .render import render_pdf_of

    with sheets.only_sheets(changed, made.panels):
        html = render_html(job)
    rendered = render_pdf_of(job, html)
    if rendered.pages != len(changed):
        return None
    whole = Rendered(rendered.pdf, rendered.pages, rendered.warnings, rendered.layout + made.others)
    spec = job.spec
    if spec.fit_steps and spec.max_empty_share is not None:
        from .preflight import emptiest_page

        if emptiest_page(job, whole) > spec.max_empty_share:
            return None
    if any(balance(lines, widths) for lines, widths in headline_lines(whole.layout)):
        return None
    found, _ = preflight(job, html, rendered, thumbnails=False)
    if any(p.level == "error" and p.check in UNSURE for p in found):
        return None
    pages = []
    for drawn, alone, mine in zip(made.whole, made.alone, rasters(rendered.pdf, made.width)):
        if mine.shape != drawn.shape:
            return None
        differ = mine != alone
        differ[...] = (differ[..., 0] | differ[..., 1] | differ[..., 2])[..., None]  # the pixel, all 3 channels
        if np.any((drawn != alone) & differ):
            return None  # the partner's panel draws where another panel does
        page = drawn.copy()
        np.copyto(page, mine, where=differ)
        pages.append(png(page))
    found = [p for p in found if p.check != "empty"] + check_empty(Subject(job, html, whole))
    return pages, found + made.problems, rendered.pdf
