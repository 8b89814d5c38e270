"""What the text layer records while one document is drawn (`Layer`, `text_layer`) and the
runs of a line as Pango shaped them."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

drawing = threading.local()
ACTUAL_KEY = "PipelineActualText"  # carried from the drawing to finish(), never written
FIRST_VIRTUAL = 1024  # virtual codes start this far above the font's last glyph
STRETCH = 0.8  # of a right-to-left line's pitch: the height extractors give a character read
ALTERNATE = 1e-5  # every other character read in a right-to-left line is this much larger


@dataclass
class Layer:
    """What the hook recorded while one document was drawn."""

    language: str  # the document's language, e.g. "ur" or "en-GB"
    other_language: str | None  # language of Latin-script runs in a non-Latin document
    virtual: dict[str, dict[tuple[int, str, int], int]] = field(default_factory=dict)  # font -> (gid, text, width) -> code
    fonts: dict[str, object] = field(default_factory=dict)  # font hash -> WeasyPrint font
    pdfium: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)  # font hash -> code (a Unicode value) -> (glyph, width)
    lines: int = 0  # lines drawn with a text layer of their own
    reader: tuple | None = None  # (font, glyph) every right-to-left line's characters are read in
    pdfium_reader: tuple | None = None  # the same font's (font, glyph) with ink, for PDFium's characters
    direction: dict[int, object] = field(default_factory=dict)  # id(stream) -> its direction mark's properties
    balance: dict[int, int] = field(default_factory=dict)  # id(stream) -> left-to-right less right-to-left letters

    def code(self, font, gid: int, text: str, width: int, carrier: bool = False) -> int:
        """The character code that draws glyph `gid` `width` thousandths of an em wide
        and reads as `text`. Carriers are drawn invisible and only read."""
        if not carrier:
            known = font.to_unicode.setdefault(gid, text)  # keeps the glyph in the subset
            if known == text:
                return gid
        table = self.virtual.setdefault(font.hash, {})
        self.fonts[font.hash] = font
        key = (gid, text, width)
        if key not in table:
            table[key] = font.glyph_count + FIRST_VIRTUAL + len(table)
            if table[key] > 0xFFFF:
                raise ValueError(f"too many distinct glyph readings in {font.family}")
        return table[key]


@contextmanager
def text_layer(language: str, other_language: str | None):
    """Draw the documents rendered inside this block with a faithful text layer."""
    previous = getattr(drawing, "layer", None)
    drawing.layer = layer = Layer(language, other_language)
    try:
        yield layer
    finally:
        drawing.layer = previous


@dataclass
class Glyph:
    gid: int
    width: int  # Pango units: the pen's advance
    x_offset: int
    y_offset: int
    cluster: int  # byte offset of its cluster in the layout's text


@dataclass
class Run:
    font: object
    font_size: float
    rtl: bool
    glyphs: list[Glyph]
    texts: dict[int, str]  # cluster start -> the cluster's text
    pango_font: object = None
    x: float = 0  # text-space position of the run's left edge
    ambiguous: bool = False
