"""Colour conversion for press output: sRGB images and SVG colours to CMYK with the
output intent's ICC profile (littleCMS through Pillow's ImageCms).

Neutral colours (R = G = B) become black ink only: an ICC conversion would turn black
text in a logo into a four-colour rich black that fringes when plates misregister.
"""
from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageCms

HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
RGB_FUNCTION = re.compile(r"rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)")
NAMED = {"black": (0, 0, 0), "white": (255, 255, 255)}


@lru_cache(maxsize=4)
def _transform(icc: Path, intent: int) -> ImageCms.ImageCmsTransform:
    return ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.getOpenProfile(str(icc)),
                                   "RGB", "CMYK", renderingIntent=intent)


@lru_cache(maxsize=1024)
def rgb_to_cmyk(rgb: tuple[int, int, int], icc: Path) -> tuple[float, float, float, float]:
    """One colour, as CMYK fractions 0..1."""
    r, g, b = rgb
    if r == g == b:
        return (0.0, 0.0, 0.0, round(1 - r / 255, 4))
    pixel = Image.new("RGB", (1, 1), rgb)
    c, m, y, k = ImageCms.applyTransform(pixel, _transform(icc, ImageCms.Intent.RELATIVE_COLORIMETRIC)).getpixel((0, 0))
    return tuple(round(v / 255, 4) for v in (c, m, y, k))


def _css(cmyk) -> str:
    return "device-cmyk({})".format(" ".join(f"{v:g}" for v in cmyk))


def svg_to_cmyk(svg: str, icc: Path) -> str:
    """Every hex, rgb() and black/white colour in an SVG as device-cmyk()."""
    def hex_colour(match):
        value = match.group(1)
        if len(value) == 3:
            value = "".join(ch * 2 for ch in value)
        return _css(rgb_to_cmyk(tuple(int(value[i:i + 2], 16) for i in (0, 2, 4)), icc))

    svg = HEX.sub(hex_colour, svg)
    svg = RGB_FUNCTION.sub(lambda m: _css(rgb_to_cmyk(tuple(int(v) for v in m.groups()), icc)), svg)
    for name, rgb in NAMED.items():
        svg = re.sub(rf'(fill|stroke|stop-color|color)="{name}"', rf'\1="{_css(rgb_to_cmyk(rgb, icc))}"', svg)
    return svg


def image_to_cmyk(data: bytes, icc: Path) -> bytes:
    """A raster image as a CMYK JPEG, transparency flattened onto paper white.

    JPEG because WeasyPrint embeds JPEG as it is and re-encodes anything else as PNG,
    which has no CMYK; quality 95 without chroma subsampling keeps logo edges clean."""
    image = Image.open(io.BytesIO(data))
    dpi = image.info.get("dpi")
    if image.mode in ("RGBA", "LA", "P") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, (255, 255, 255))
        image.paste(rgba, mask=rgba.getchannel("A"))
    if image.mode != "CMYK":
        image = ImageCms.applyTransform(image.convert("RGB"), _transform(icc, ImageCms.Intent.PERCEPTUAL))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, subsampling=0, **({"dpi": dpi} if dpi else {}))
    return out.getvalue()
