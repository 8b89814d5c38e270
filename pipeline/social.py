"""Social images (a square post, a story, a link preview): the job's PDF rastered at its
exact pixels, written as PNG and JPEG in sRGB, and its alt text made from the words it
shows. The screen preflight (preflight/screen.py) checks the same raster."""
from __future__ import annotations

import io
from html.parser import HTMLParser

import pypdfium2 as pdfium
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from .paths import COLOUR
from .pdflock import PDFIUM
from .plan import Job
from .stages import Rendered

SRGB_ICC = COLOUR / "sRGB2014.icc"  # embedded in the JPEG (colour/README.md)
JPEG_QUALITY = 90  # text on flat colour: no visible ringing at 90, 4:4:4 keeps yellow on navy sharp


def image(job: Job, rendered: Rendered) -> Image.Image:
    """The first page at 96 px to the inch, the size's exact pixels (a screen size's
    trim is its pixels in CSS px, products.yaml `screen.pixels`); made once per rendering."""
    key = ("screen-image",)
    if key not in rendered.derived:
        with PDFIUM:
            document = pdfium.PdfDocument(rendered.pdf)
            try:
                rendered.derived[key] = document[0].render(scale=96 / 72).to_pil().convert("RGB")
            finally:
                document.close()
    return rendered.derived[key]


def png(picture: Image.Image) -> bytes:
    """PNG with the `sRGB` chunk (and the gAMA it implies, for older readers)."""
    info = PngInfo()
    info.add(b"sRGB", b"\x00")  # rendering intent: perceptual
    info.add(b"gAMA", (45455).to_bytes(4, "big"))
    out = io.BytesIO()
    picture.save(out, "PNG", pnginfo=info, optimize=True)
    return out.getvalue()


def jpeg(picture: Image.Image) -> bytes:
    """Baseline JPEG with the sRGB ICC profile embedded; no chroma subsampling."""
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=0, optimize=True,
                 icc_profile=SRGB_ICC.read_bytes())
    return out.getvalue()


# Elements whose text is one sentence of the alt text.
BLOCKS = {"p", "h1", "h2", "h3", "li", "div", "header", "footer", "section"}


class _Said(HTMLParser):
    """The text of the page's body, block by block, as it reads: what the image says.
    Images and anything hidden from screen readers (the graphic device) say nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._run: list[str] = []
        self._hidden: list[str] = []  # the open tags that hide their content
        self._body = False

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self._body = True
        if self._hidden or dict(attrs).get("aria-hidden") == "true" or tag in ("style", "script", "title"):
            self._hidden.append(tag)
        elif tag in BLOCKS:
            self._flush()
        elif tag == "br":  # a headline's line break is a space in the sentence
            self._run.append(" ")

    def handle_endtag(self, tag):
        if self._hidden:
            if self._hidden[-1] == tag:
                self._hidden.pop()
        elif tag in BLOCKS:
            self._flush()

    def handle_data(self, data):
        if self._body and not self._hidden:
            self._run.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._run).replace("\u00a0", " ").replace("\u200b", "").split())
        if text:
            self.blocks.append(text)
        self._run = []


def alt_text(html: str) -> str:
    """The image's alt text, from the HTML it was rendered from: every line it shows,
    in reading order (every number in it as printed), each ending as a sentence."""
    said = _Said()
    said.feed(html)
    said.close()
    said._flush()
    sentences: list[str] = []
    for block in said.blocks:
        if sentences and not any(ch.isalpha() for ch in sentences[-1]):
            sentences[-1] += " " + block  # a figure reads on into its words: "96% of victims ..."
        else:
            sentences.append(block)
    return " ".join(s if s[-1] in ".!?:;\u06d4\u061f" else s + "." for s in sentences) + "\n"
