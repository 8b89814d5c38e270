"""Make WelshAccents-Bold.ttf and WelshAccents-Regular.ttf: the four letters Welsh
needs that Atkinson Hyperlegible lacks, w and y with a circumflex (ŵ ŷ Ŵ Ŷ, "to bach"),
each Atkinson's own w or y with its own circumflex centred over it, as the font sets
its â and Â. Each file holds those glyphs only; the layouts use them with
`unicode-range: U+0174-0177`, so every other character stays the brand's typeface.
SIL OFL 1.1, as the font it is made from (OFL-AtkinsonHyperlegible.txt; no reserved
font name). Run from the project folder: .venv/bin/python fonts/welsh-accents.py
"""
from pathlib import Path

from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphComponent

FONTS = Path(__file__).parent
# letter -> (base glyph, accent glyph): capitals take the font's capital circumflex.
LETTERS = {0x174: ("W", "uni0302.case"), 0x175: ("w", "uni0302"), 0x176: ("Y", "uni0302.case"),
           0x177: ("y", "uni0302")}


def _centre(glyf, name: str) -> float:
    glyph = glyf[name]
    glyph.recalcBounds(glyf)
    return (glyph.xMin + glyph.xMax) / 2


def welsh_accents(source: Path, target: Path, style: str) -> None:
    font = TTFont(source)
    glyf, hmtx, cmap = font["glyf"], font["hmtx"], font["cmap"]
    names = []
    for code, (base, accent) in LETTERS.items():
        name = f"uni{code:04X}"
        composite = Glyph()
        composite.numberOfContours = -1
        composite.components = []
        for part, x in ((base, 0), (accent, round(_centre(glyf, base) - _centre(glyf, accent)))):
            component = GlyphComponent()
            component.glyphName, component.x, component.y, component.flags = part, x, 0, 0x4  # ROUND_XY_TO_GRID
            composite.components.append(component)
        glyf[name] = composite
        hmtx[name] = hmtx[base]
        font.setGlyphOrder(glyf.glyphOrder)  # glyf added the name to its order
        for table in cmap.tables:
            if table.isUnicode():
                table.cmap[code] = name
        names.append(name)
    options = Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = Subsetter(options)
    subsetter.populate(unicodes=list(LETTERS))
    subsetter.subset(font)
    family = "Welsh Accents"
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = family
        elif record.nameID == 4:
            record.string = f"{family} {style}"
        elif record.nameID == 6:
            record.string = f"WelshAccents-{style}"
        elif record.nameID == 3:
            record.string = f"WelshAccents-{style}; derived from Atkinson Hyperlegible"
    font.save(target)


if __name__ == "__main__":
    for style in ("Bold", "Regular"):
        welsh_accents(FONTS / f"AtkinsonHyperlegible-{style}.ttf", FONTS / f"WelshAccents-{style}.ttf", style)
