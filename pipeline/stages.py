"""The data one stage hands the next, in a module that imports no renderer: what the
layout placed on a page (`Placed`) and one rendering of a job (`Rendered`). `Job` is
plan.job's."""
from __future__ import annotations

from dataclasses import dataclass, field

from .problems import Problem

# The marked-content tag around the glyphs a screen copy's text layer draws as outlines
# (textlayer/draw.py): text to the reader's eye (eye.py hides them with the text).
GLYPHS = "Glyphs"


@dataclass(frozen=True)
class Placed:
    """Something the layout put on a page, for preflight: where, what, how it looks.

    Rectangles are (x, y, width, height) in mm from the top-left corner of the trim.
    """

    page: int  # 1-based
    kind: str  # "text", "image", "qr" or "backdrop" (a box's CSS background picture)
    rect: tuple[float, float, float, float]
    element: str  # e.g. "div.panel.flap > h2", to say where in the layout
    text: str = ""
    font_size_pt: float = 0
    bold: bool = False
    colour: tuple[float, float, float] = (0, 0, 0)  # sRGB 0..1 (CMYK converted naively)
    background: tuple[float, float, float] = (1, 1, 1)
    # text: the colour and its ground as written for the press, CMYK 0..1 (device-cmyk),
    # or None where the stylesheet gave an RGB colour (screen copies; none in press)
    colour_cmyk: tuple[float, float, float, float] | None = None
    background_cmyk: tuple[float, float, float, float] | None = (0, 0, 0, 0)
    clip: tuple[float, float, float, float] | None = None  # visible area, from overflow: hidden
    image_px: tuple[int, int] | None = None  # raster images: intrinsic pixels
    image_mode: str | None = None  # raster images: "RGB", "CMYK", ...
    # text: the ink box of each glyph as shaped and placed, (x, y, width, height) in mm;
    # it may reach well past the line box (Nastaliq's ascenders and descenders)
    ink: tuple[tuple[float, float, float, float], ...] = ()
    # the characters each of those glyphs draws ('' for the second and later glyphs of
    # a cluster): a line read by where its glyphs are, left to right (preflight numbers)
    ink_text: tuple[str, ...] = ()


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    warnings: list[Problem]
    layout: list[Placed]
    # What is worked out from this rendering once and asked for twice (copyfitting and
    # preflight both measure the empty blocks), by what it is and its parameters.
    derived: dict = field(default_factory=dict, repr=False, compare=False)
