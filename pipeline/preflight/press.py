"""Checks a printer's prepress makes: images' resolution and colour mode (fonts: fonts.py),
and colour at the trim running on into the bleed.
"""
from __future__ import annotations


import numpy as np

from ..plan import media_bleed_mm
from ..problems import Problem
from .subject import PICTURE, THUMBNAIL_DPI, Subject


def check_images(s: Subject) -> list[Problem]:
    problems = []
    minimum = s.job.spec.min_image_ppi
    for item in s.rendered.layout:
        if item.kind != "image" or item.image_px is None:
            continue
        ppi = min(item.image_px[0] / (item.rect[2] / 25.4), item.image_px[1] / (item.rect[3] / 25.4))
        if ppi < minimum:
            level = "error" if ppi < minimum / 2 else "warning"
            problems.append(s.problem(level, f"image is {ppi:.0f} ppi at its printed size; "
                                             f"a {s.job.product} wants {minimum:g} ppi",
                                      "supply a larger image, or a vector (SVG) logo", item, check="images"))
        if s.job.profile.spec.output == "print" and item.image_mode not in ("CMYK", "L", "1"):
            problems.append(s.problem("warning", f"{item.image_mode} image in a print PDF",
                                      "supply it in CMYK or as SVG, or the printer's RIP converts it by chance",
                                      item, check="images"))
    return problems


def check_bleed(s: Subject) -> list[Problem]:
    """Colour that touches the trim carries on to the bleed edge (no white slivers)."""
    problems = []
    bleed = s.job.profile.spec.bleed_mm
    if not bleed:
        return []
    media = media_bleed_mm(s.job)
    width, height = s.job.trim_mm
    scale = THUMBNAIL_DPI / 25.4  # pixels per mm
    for index in range(len(s.views)):
        image = s.raster(index)

        def px(points):
            """The RGB pixels at points (mm from the trim), as the raster's pixel each falls in."""
            x = np.minimum(((points[:, 0] + media) * scale).astype(int), image.shape[1] - 1)
            y = np.minimum(((points[:, 1] + media) * scale).astype(int), image.shape[0] - 1)
            return image[y, x].astype(np.int16)

        inside, outside = 1.0, bleed - 0.8
        # A photograph or illustration runs into the bleed with its own detail at the trim.
        pictures = np.array([item.rect for item in s.rendered.layout if item.page == index + 1
                             and item.kind == "image" and PICTURE in item.element]).reshape(-1, 4)
        for edge, points in _edge_points(width, height, inside, outside):
            inner, outer = np.array([p[0] for p in points]), np.array([p[1] for p in points])
            at_x, at_y, (x, y, w, h) = inner[:, :1], inner[:, 1:], pictures.T  # a pixel of slack
            on_picture = ((x - 1 <= at_x) & (at_x <= x + w + 1) & (y - 1 <= at_y) & (at_y <= y + h + 1)).any(axis=1)
            a, b = px(inner), px(outer)
            stops = ~on_picture & (a != 255).any(axis=1) & (np.abs(a - b).sum(axis=1) > 60)
            if stops.any():  # the first point along the edge, as one problem
                (xi, yi), (xo, yo) = points[int(np.argmax(stops))]
                problems.append(s.problem(
                    "error", f"colour at the {edge} trim stops short of the bleed",
                    "run the background on into the bleed with var(--bleed) (see layouts/base.css)",
                    page=index + 1, box=(max(min(xi, xo), 0), max(min(yi, yo), 0), 5, 5), check="bleed"))
    return problems


def _edge_points(width, height, inside, outside):
    steps = [i / 40 for i in range(1, 40)]
    yield "top", [((width * t, inside), (width * t, -outside)) for t in steps]
    yield "bottom", [((width * t, height - inside), (width * t, height + outside)) for t in steps]
    yield "left", [((inside, height * t), (-outside, height * t)) for t in steps]
    yield "right", [((width - inside, height * t), (width + outside, height * t)) for t in steps]
