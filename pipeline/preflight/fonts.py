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
import struct
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
def shipped() -> dict[str, object]:
    """PostScript name of each font in fonts/ -> its file (the name table read only)."""
    return {TTFont(path, lazy=True)["name"].getDebugName(6): path
            for path in sorted(FONTS.iterdir()) if path.suffix.lower() in FONT_SUFFIXES}


@lru_cache(maxsize=16)
def digit_outlines(name: str) -> dict[str, frozenset]:
    """Digit -> the outlines the shipped font `name` draws for it: its own glyph and
    those its single and alternate substitutions reach. Made when a PDF first needs it
    (the closure over a large font's substitutions takes a while)."""
    font = TTFont(shipped()[name], lazy=True)
    glyphs, cmap, subs = font.getGlyphSet(), font.getBestCmap() or {}, _alternates(font)
    digits = {}
    for digit in DIGITS:
        if ord(digit) not in cmap:
            continue
        names, todo = set(), [cmap[ord(digit)]]
        while todo:  # the closure: an alternate's alternates too
            glyph = todo.pop()
            if glyph not in names:
                names.add(glyph)
                todo += subs.get(glyph, ())
        digits[digit] = frozenset(_outline(glyphs, n) for n in names)
    return digits


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


def _verdict(program: bytes, to_unicode: bytes) -> tuple[str, str] | None:
    """What is wrong with one embedded font (program and ToUnicode map), or None.
    Kept by what it is judged on (`_digits_drawn`), the font and each digit apart:
    each variant of a batch embeds another subset of the same font, whose name and
    digits are the same bytes, and draws another few of its digits (a district's
    number)."""
    key = _digits_drawn(program, to_unicode)
    if key is None:
        return _judged(program, to_unicode)
    name, drawn = key
    keys = [name, *((name, digit) for digit in drawn)]
    verdicts = [_JUDGED.get(k, UNJUDGED) for k in keys]
    if any(verdict is UNJUDGED for verdict in verdicts):
        verdicts = list(_judgements(program, to_unicode))  # only the font's when it is not ours
        _JUDGED.update(zip(keys, verdicts))
        while len(_JUDGED) > JUDGED_KEPT:
            del _JUDGED[next(iter(_JUDGED))]
    return next((verdict for verdict in verdicts if verdict), None)


UNJUDGED = object()
_JUDGED: dict[tuple, tuple[str, str] | None] = {}
JUDGED_KEPT = 256
COMPONENT_ARGS = ((0x0001, 4, 2), (0x0008, 2, 0), (0x0040, 4, 0), (0x0080, 8, 0))  # flag, bytes if set, if not


def _digits_drawn(program: bytes, to_unicode: bytes) -> tuple | None:
    """A TrueType program's name table and, for each digit its ToUnicode map gives, the
    bytes of the glyph that draws it with those of its components, read straight from
    the tables (a subset keeps the font's glyph ids); None when it cannot be read so."""
    try:
        count = struct.unpack_from(">H", program, 4)[0]
        tables = {program[12 + 16 * i:16 + 16 * i]: struct.unpack_from(">II", program, 20 + 16 * i)
                  for i in range(count)}
        (name_at, name_size), (head_at, _), (loca_at, loca_size), (glyf_at, _) = (
            tables[b"name"], tables[b"head"], tables[b"loca"], tables[b"glyf"])
        long = struct.unpack_from(">h", program, head_at + 50)[0] == 1
        width = 4 if long else 2
        glyphs = loca_size // width - 1

        def glyph(gid: int, depth: int = 0) -> bytes:
            if gid >= glyphs or depth > 8:
                raise ValueError(gid)
            start, end = struct.unpack_from(">II" if long else ">HH", program, loca_at + gid * width)
            start, end = (start, end) if long else (2 * start, 2 * end)
            data = program[glyf_at + start:glyf_at + end]
            if len(data) < 10 or struct.unpack_from(">h", data)[0] >= 0:
                return data
            parts, at, more = [data], 10, True  # a composite: its components' bytes too
            while more:
                flags, component = struct.unpack_from(">HH", data, at)
                parts.append(glyph(component, depth + 1))
                at += 4 + sum(size if flags & flag else other for flag, size, other in COMPONENT_ARGS)
                more = bool(flags & 0x0020)
            return b"".join(parts)

        drawn = tuple((cid, text, glyph(cid)) for cid, text in sorted(_to_unicode(to_unicode).items())
                      if text in DIGITS)
        return program[name_at:name_at + name_size], drawn
    except (KeyError, ValueError, struct.error):
        return None


def _judged(program: bytes, to_unicode: bytes) -> tuple[str, str] | None:
    return next((verdict for verdict in _judgements(program, to_unicode) if verdict), None)


def _judgements(program: bytes, to_unicode: bytes):
    """The font's verdict (None: one of the project's fonts), then, if it is one, each
    digit's its ToUnicode map gives (None: drawn with a glyph the font draws for it),
    by glyph id as `_digits_drawn` lists them."""
    try:
        font = TTFont(io.BytesIO(program), lazy=True)
        name = font["name"].getDebugName(6)
        count = font["maxp"].numGlyphs
    except Exception:  # noqa: BLE001 - any font the parser cannot read is not ours
        yield "is not a font file the checks can read", HINT
        return
    if name not in shipped():
        yield f"is not one of the project's fonts (fonts/ has {', '.join(sorted(shipped()))})", HINT
        return
    yield None
    drawn = [(cid, text) for cid, text in sorted(_to_unicode(to_unicode).items()) if text in DIGITS]
    if not drawn:
        return
    digits = digit_outlines(name)
    # Glyphs by number (a subset keeps the font's glyph ids): naming them from the cmap costs more.
    font.setGlyphOrder([f"g{i}" for i in range(count)])
    glyphs = font.getGlyphSet()
    for cid, text in drawn:
        if cid < count and _outline(glyphs, f"g{cid}") in digits.get(text, ()):
            yield None
        else:
            yield (f"draws the digit {text} with a glyph that is not {name}'s for it: the page shows another figure "
                   "than the text says"), "use the font file from fonts/ as shipped; a copy whose glyphs differ " \
                                          "prints other numbers than the content's"


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
