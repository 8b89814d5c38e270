"""Fonts: every font in a PDF embedded, one of the project's own (fonts/), and drawing
each digit with a glyph that font draws for it.

A font decides what a reader sees; the text layer only says what was meant. A copy
of a shipped font with two digits' entries swapped prints 0808 802 0500 over a text
layer reading 0808 802 0300, and every check that reads text passes. So each embedded
font is matched to the file in fonts/ it claims to be (its PostScript name), and the
outline of each glyph the PDF's ToUnicode map gives a digit must be one of the
outlines the shipped font draws for that digit: its own glyph or one of its
alternates (tabular figures, a plain zero) reached by single or alternate
substitution. Compared per digit only: letters legitimately take contextual forms
(Nastaliq) and ligatures.
"""
from __future__ import annotations

import io
import re
from functools import lru_cache

import pikepdf
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.ttLib import TTFont

from ..paths import FONTS
from ..problems import Problem
from .subject import Subject

DIGITS = "0123456789"
FONT_SUFFIXES = (".ttf", ".otf")
BF_CHAR = re.compile(rb"<([0-9A-Fa-f]{1,8})>\s*<([0-9A-Fa-f]{4})>")
BF_RANGE = re.compile(rb"<([0-9A-Fa-f]{1,8})>\s*<([0-9A-Fa-f]{1,8})>\s*<([0-9A-Fa-f]{4})>")
HINT = "set it with @font-face from a file in fonts/ (with its licence; README, Fonts), not from the machine " \
       "or the layouts"


def _outline(glyphs, name: str) -> tuple:
    """A glyph's drawing, components drawn in place (a subset renames them)."""
    pen = DecomposingRecordingPen(glyphs)
    glyphs[name].draw(pen)
    return tuple((op, tuple(args)) for op, args in pen.value)


def _alternates(font: TTFont) -> dict[str, set[str]]:
    """Each glyph's single and alternate substitutes (GSUB types 1 and 3, through extensions)."""
    subs: dict[str, set[str]] = {}
    if "GSUB" not in font or not font["GSUB"].table.LookupList:
        return subs
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for table in lookup.SubTable:
            kind = lookup.LookupType
            if kind == 7:
                kind, table = table.ExtensionLookupType, table.ExtSubTable
            if kind == 1:
                for src, dst in table.mapping.items():
                    subs.setdefault(src, set()).add(dst)
            elif kind == 3:
                for src, dsts in table.alternates.items():
                    subs.setdefault(src, set()).update(dsts)
    return subs


@lru_cache(maxsize=1)
def shipped() -> dict[str, dict[str, frozenset]]:
    """PostScript name of each font in fonts/ -> digit -> the outlines it draws for it."""
    fonts = {}
    for path in sorted(FONTS.iterdir()):
        if path.suffix.lower() not in FONT_SUFFIXES:
            continue
        font = TTFont(path, lazy=True)
        glyphs, cmap, subs = font.getGlyphSet(), font.getBestCmap() or {}, _alternates(font)
        digits = {}
        for digit in DIGITS:
            if ord(digit) not in cmap:
                continue
            names, todo = set(), [cmap[ord(digit)]]
            while todo:  # the closure: an alternate's alternates too
                name = todo.pop()
                if name not in names:
                    names.add(name)
                    todo += subs.get(name, ())
            digits[digit] = frozenset(_outline(glyphs, n) for n in names)
        fonts[font["name"].getDebugName(6)] = digits
    return fonts


def _to_unicode(cmap: bytes) -> dict[int, str]:
    """CID -> text of a ToUnicode CMap, single characters only (what a digit is)."""
    found = {}
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, start in BF_RANGE.findall(block):
            for offset in range(int(last, 16) - int(first, 16) + 1):
                found[int(first, 16) + offset] = chr(int(start, 16) + offset)
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for cid, text in BF_CHAR.findall(block):
            found[int(cid, 16)] = chr(int(text, 16))
    return found


@lru_cache(maxsize=256)
def _verdict(program: bytes, to_unicode: bytes) -> tuple[str, str] | None:
    """What is wrong with one embedded font (program and ToUnicode map), or None.
    Kept by content: the variants of a batch embed the same subsets again and again."""
    try:
        font = TTFont(io.BytesIO(program), lazy=True)
        name = font["name"].getDebugName(6)
        count = font["maxp"].numGlyphs
    except Exception:  # noqa: BLE001 - any font the parser cannot read is not ours
        return "is not a font file the checks can read", HINT
    digits = shipped().get(name)
    if digits is None:
        return f"is not one of the project's fonts (fonts/ has {', '.join(sorted(shipped()))})", HINT
    drawn = [(cid, text) for cid, text in sorted(_to_unicode(to_unicode).items()) if text in DIGITS]
    if not drawn:
        return None
    # Glyphs by number (a subset keeps the font's glyph ids): naming them from the cmap costs more.
    font.setGlyphOrder([f"g{i}" for i in range(count)])
    glyphs = font.getGlyphSet()
    for cid, text in drawn:
        if cid >= count or _outline(glyphs, f"g{cid}") not in digits.get(text, ()):
            return (f"draws the digit {text} with a glyph that is not {name}'s for it: the page shows another figure "
                    "than the text says"), "use the font file from fonts/ as shipped; a copy whose glyphs differ " \
                                           "prints other numbers than the content's"
    return None


def check_fonts(s: Subject) -> list[Problem]:
    problems, seen = [], set()
    with pikepdf.open(io.BytesIO(s.rendered.pdf)) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            for font in (page.obj.get("/Resources", {}).get("/Font", {}) or {}).values():
                if font.objgen in seen:
                    continue
                seen.add(font.objgen)
                base = str(font.get("/BaseFont", "?"))[1:].split("+")[-1]
                descendants = font.get("/DescendantFonts")
                descriptor = (descendants[0] if descendants else font).get("/FontDescriptor", {})
                program = next((descriptor[k] for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor),
                               None)
                if program is None:
                    problems.append(s.problem("error", f"font {base} is not embedded", HINT, page=number,
                                              check="fonts"))
                    continue
                identity = descendants is None or str(descendants[0].get("/CIDToGIDMap", "/Identity")) == "/Identity"
                to_unicode = font["/ToUnicode"].read_bytes() if "/ToUnicode" in font and identity else b""
                wrong = _verdict(program.read_bytes(), to_unicode)
                if wrong:
                    problems.append(s.problem("error", f"font {base} {wrong[0]}", wrong[1], page=number,
                                              check="fonts"))
    return problems
