"""Screen preflight, for social images: checked on the image as published (the PNG's
own raster, social.py), in its pixels. The image is the size the platform asks for,
its text legible at the size the medium shows it, in WCAG AA contrast as rastered,
clear of the edges the platforms' interfaces cover, and with no code to scan: a
screen carries the address as text (a QR code on a phone's screen cannot be scanned
by that phone)."""
from __future__ import annotations

import numpy as np
import zxingcpp

from .. import social
from ..plan.specs import MM_PER_PX, ScreenSpec
from ..problems import Problem
from .subject import Subject, _content, _label


def _screen(s: Subject) -> ScreenSpec:
    return s.job.spec.sizes[s.job.size].screen


def _px(rect_mm) -> tuple[int, int, int, int]:
    """A layout rectangle (mm) as (left, top, right, bottom) pixels of the image."""
    x, y, w, h = (v / MM_PER_PX for v in rect_mm)
    return round(x), round(y), round(x + w), round(y + h)


def check_image_size(s: Subject) -> list[Problem]:
    want = tuple(_screen(s).pixels)
    got = social.image(s.job, s.rendered).size
    if got == want:
        return []
    return [s.problem("error", f"the image is {got[0]} × {got[1]} px; {s.job.name} is {want[0]} × {want[1]} px",
                      "give the size its pixels in products.yaml (screen.pixels), not trim_mm", page=1,
                      check="screen-size")]


def check_legible(s: Subject) -> list[Problem]:
    """No text under the size's `min_text_px` (a CSS pixel is a pixel of the image)."""
    least = _screen(s).min_text_px
    return [s.problem("error", f"text {_label(p)} is {p.font_size_pt * 4 / 3:.0f} px; {s.job.name} needs at least "
                               f"{least:g} px to be read at the size the platform shows it",
                      "make it larger in the stylesheet, or leave it out of the image", p, check="legible")
            for p in _content(s) if p.kind == "text" and p.font_size_pt * 4 / 3 < least - 0.05]


def _luminance_contrast(text_rgb: np.ndarray, ground: np.ndarray) -> np.ndarray:
    """WCAG contrast of each pixel (N x 3, 0..255) against the ground colour."""
    def luminance(rgb):
        c = rgb / 255.0
        c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return c @ np.array([0.2126, 0.7152, 0.0722])
    a, b = luminance(text_rgb), luminance(ground[None, :].astype(float))[0]
    return (np.maximum(a, b) + 0.05) / (np.minimum(a, b) + 0.05)


def check_screen_contrast(s: Subject) -> list[Problem]:
    """WCAG AA from the rastered image: 4.5:1 for text, 3:1 for large text (twice the
    size's smallest text, or bold at 1.5 times it). The ground is the commonest colour
    of the text's box, the text's colour the strongest the glyphs reach (their edges
    are smoothed; their strokes, at least 3 px at these sizes, are not)."""
    pixels = np.asarray(social.image(s.job, s.rendered))
    least = _screen(s).min_text_px
    problems = []
    for item in _content(s):
        if item.kind != "text":
            continue
        left, top, right, bottom = _px(item.rect)
        box = pixels[max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)].reshape(-1, 3)
        if len(box) == 0:
            continue  # off the image: lost-text says so
        colours, counts = np.unique(box, axis=0, return_counts=True)
        ground = colours[counts.argmax()]
        ratios = _luminance_contrast(box.astype(float), ground)
        ink = ratios[ratios > 1.05]
        ratio = float(np.percentile(ink, 98)) if len(ink) else 1.0
        size_px = item.font_size_pt * 4 / 3
        need = 3.0 if size_px >= 2 * least or (item.bold and size_px >= 1.5 * least) else 4.5
        if ratio < need:
            problems.append(s.problem(
                "error", f"text {_label(item)} has contrast {ratio:.1f}:1 against its ground in the image "
                         f"(rgb{tuple(int(v) for v in ground)}); needs {need:g}:1 (WCAG AA)",
                "use the brand's text colour on its ground (var(--paper) on var(--primary), var(--ink) on "
                "var(--tint))", item, check="screen-contrast"))
    return problems


def check_clear_zones(s: Subject) -> list[Problem]:
    """Text and logos keep out of the edges the platform's interface covers (a story's
    top: the account name and progress bar; its foot: the reply bar), products.yaml
    `screen.clear_px`."""
    clear = _screen(s).clear_px
    width, height = _screen(s).pixels
    problems = []
    for item in _content(s):
        if item.kind not in ("text", "image") or "device" in item.element:
            continue  # the graphic device is decoration: it may run under the interface
        left, top, right, bottom = _px(item.rect)
        reach = {"top": clear.get("top", 0) - top, "bottom": bottom - (height - clear.get("bottom", 0)),
                 "left": clear.get("left", 0) - left, "right": right - (width - clear.get("right", 0))}
        for side, over in reach.items():
            if clear.get(side) and over > 0:
                problems.append(s.problem(
                    "error", f"{_label(item)} is in the {side} {clear[side]} px of {s.job.name}, which the "
                             f"platform's interface covers (by {over} px)",
                    f"keep text and logos {clear[side]} px from the {side} edge (products.yaml screen.clear_px)",
                    item, check="clear-zone"))
    return problems


def check_no_code(s: Subject) -> list[Problem]:
    """A whole-image scan (zxing-cpp, every format it reads): a screen product carries
    the address as text; a code on a screen cannot be scanned by the phone showing it."""
    found = zxingcpp.read_barcodes(social.image(s.job, s.rendered))
    return [s.problem("error", f"the image carries a {code.format.name} code ({code.text!r})",
                      "leave the code out of a screen product: print the address (qr.label) instead",
                      page=1, check="no-code") for code in found]


SCREEN_CHECKS = (check_image_size, check_legible, check_screen_contrast, check_clear_zones, check_no_code)
