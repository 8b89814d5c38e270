"""Make PlainZero-Bold.ttf and PlainZero-Regular.ttf: Atkinson Hyperlegible's zero
without its slash, for display figures (a slashed zero at 300 pt reads as another
digit: "1ØØ"). Atkinson Hyperlegible has no unslashed alternate (no `zero` feature or
stylistic set), so this draws one from its own glyph: the outer ring kept, the two
counters either side of the slash replaced by one, the ring's own outline scaled into
the counters' box. Each file holds that one glyph; the layouts use it with
`unicode-range: U+0030`, so every other character stays the brand's typeface.
SIL OFL 1.1, as the font it is made from (OFL-AtkinsonHyperlegible.txt; no reserved
font name). Run from the project folder: .venv/bin/python fonts/plain-zero.py
"""
from pathlib import Path

from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTFont

FONTS = Path(__file__).parent


def plain_zero(source: Path, target: Path, style: str) -> None:
    font = TTFont(source)
    glyf = font["glyf"]
    zero = glyf["zero"]
    coords, ends, flags = zero.getCoordinates(glyf)
    contours, start = [], 0
    for end in ends:
        contours.append([(tuple(coords[i]), flags[i] & 1) for i in range(start, end + 1)])
        start = end + 1
    ring, *counters = contours
    # The counter's box: both halves either side of the slash, taken together.
    xs = [p[0] for c in counters for p, _ in c]
    ys = [p[1] for c in counters for p, _ in c]
    (rx0, ry0), (rx1, ry1) = [(min(p[0] for p, _ in ring), min(p[1] for p, _ in ring)),
                              (max(p[0] for p, _ in ring), max(p[1] for p, _ in ring))]
    cx0, cy0, cx1, cy1 = min(xs), min(ys), max(xs), max(ys)

    def scaled(point):
        x, y = point
        return (round(cx0 + (x - rx0) * (cx1 - cx0) / (rx1 - rx0)),
                round(cy0 + (y - ry0) * (cy1 - cy0) / (ry1 - ry0)))

    pen = TTGlyphPen(None)
    for contour, transform in ((ring, lambda p: p), (list(reversed(ring)), scaled)):  # the counter runs the other way
        # Quadratic outline: on-curve points start segments, off-curve points are controls.
        points = [(transform(p), on) for p, on in contour]
        first = next(i for i, (_, on) in enumerate(points) if on)
        points = points[first:] + points[:first]
        pen.moveTo(points[0][0])
        controls = []
        for point, on in points[1:] + [points[0]]:
            if on:
                pen.qCurveTo(*controls, point) if controls else pen.lineTo(point)
                controls = []
            else:
                controls.append(point)
        pen.closePath()
    glyf["zero"] = pen.glyph()
    options = Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = Subsetter(options)
    subsetter.populate(unicodes=[0x30])
    subsetter.subset(font)
    family = "Plain Zero"
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = family
        elif record.nameID in (4,):
            record.string = f"{family} {style}"
        elif record.nameID in (6,):
            record.string = f"PlainZero-{style}"
        elif record.nameID in (3,):
            record.string = f"PlainZero-{style}; derived from Atkinson Hyperlegible"
    font.save(target)


if __name__ == "__main__":
    for style in ("Bold", "Regular"):
        plain_zero(FONTS / f"AtkinsonHyperlegible-{style}.ttf", FONTS / f"PlainZero-{style}.ttf", style)
