"""Check of identity: the force's logo and partners' logos as the brand's lockup rules
say (content/brands/: lockup): at least min_height_mm high, and clear_space times
their height kept clear on every side.

Where each logo is comes from the layout; what is printed around it is read from the
PDF itself: its characters (PDFium) and its raster without text (eye.py), in which the
clear space must be one plain ground.
"""
from __future__ import annotations

import numpy as np

from ..problems import Problem
from ..stages import Placed
from .subject import Subject, _overlap

LOGOS = (("brand-logo", "the force's logo"), ("partner-logo", "the partner's logo"))
EDGE_MM = 0.3  # anti-aliasing at the clear space's edge, from what stands just outside it
GROUND_LEVELS = 40  # grey levels a pixel may differ from the clear space's ground
MARKED_SHARE = 0.01  # pixels of the clear space that may differ (a stray anti-aliased edge)


def _logos(s: Subject) -> list[tuple[Placed, str]]:
    found = []
    for item in s.rendered.layout:
        if item.kind != "image":
            continue
        classes = item.element.rsplit(" > ", 1)[-1]
        found += [(item, who) for name, who in LOGOS if f".{name}" in classes]
    return found


def _union(a, b):
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return (x0, y0, x1 - x0, y1 - y0)


def _lockup_box(s: Subject, logo: Placed) -> tuple:
    """The logo with what the lockup sets beside it (the force's name)."""
    box = logo.rect
    lockup = logo.element.rsplit(" > ", 1)[0]
    for item in s.rendered.layout:
        if item.kind == "text" and item.page == logo.page and item.element.startswith(lockup + " > "):
            box = _union(box, item.rect)
    return box


def check_identity(s: Subject) -> list[Problem]:
    rules = s.job.source.brand.lockup
    brand_file = f"content/brands/{s.job.source.campaign.brand}.yaml"
    problems = []
    for logo, who in _logos(s):
        height = logo.rect[3]
        if height + 0.05 < rules.min_height_mm:
            problems.append(s.problem(
                "error", f"{who} is {height:.1f} mm high; the brand's lockup asks for at least "
                         f"{rules.min_height_mm:g} mm", f"set a larger --logo-height (or --partner-logo-height) in the "
                         f"product's stylesheet, or change lockup.min_height_mm in {brand_file}",
                logo, check="identity"))
        clear = rules.clear_space * height
        if clear <= 0:
            continue
        box = _lockup_box(s, logo) if who == LOGOS[0][1] else logo.rect
        x, y, w, h = box
        zone = (x - clear + EDGE_MM, y - clear + EDGE_MM, w + 2 * (clear - EDGE_MM), h + 2 * (clear - EDGE_MM))
        hint = (f"keep {clear:.1f} mm ({rules.clear_space:g} of the logo's height, lockup.clear_space in "
                f"{brand_file}) clear around it: move what is printed there, or give the logo room")
        view = s.views[logo.page - 1]
        text = "".join(c.text for c in view.chars if _overlap(c.box, zone, 0) and not _overlap(c.box, box, 0))
        if text:
            problems.append(s.problem("error", f"text {text[:40]!r} is printed in the clear space of {who}", hint,
                                      page=logo.page, box=zone, check="identity"))
            continue
        if _marked(view, zone, box):
            problems.append(s.problem("error", f"something is drawn in the clear space of {who} (a rule, an "
                                               "edge, an image): it must be one plain ground", hint,
                                      page=logo.page, box=zone, check="identity"))
    return problems


def _marked(view, zone, box) -> bool:
    """The clear space (zone without the lockup's own box) of the page without text
    is not one plain ground."""
    y0, y1, x0, x1 = view.region(zone)
    ring = view.bare[y0:y1, x0:x1].astype(np.int16)
    keep = np.ones(ring.shape, dtype=bool)
    by0, by1, bx0, bx1 = view.region(box)
    keep[max(by0 - y0, 0):max(by1 - y0, 0), max(bx0 - x0, 0):max(bx1 - x0, 0)] = False
    pixels = ring[keep]
    if pixels.size == 0:
        return False
    ground = np.median(pixels)
    return np.count_nonzero(np.abs(pixels - ground) > GROUND_LEVELS) > MARKED_SHARE * pixels.size
