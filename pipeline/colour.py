"""Colour conversion for press output: sRGB images and SVG colours to CMYK with the
output intent's ICC profile (littleCMS through Pillow's ImageCms).

Neutral colours (R = G = B) become black ink only: an ICC conversion would turn black
text in a logo into a four-colour rich black that fringes when plates misregister.
"""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

import defusedxml.ElementTree
import tinycss2
from PIL import Image, ImageCms
from tinycss2 import color4

SVG_NS = "http://www.w3.org/2000/svg"
# Properties that take a colour, as attributes (fill="navy") or in CSS (style=, <style>).
COLOUR_PROPERTIES = {"fill", "stroke", "stop-color", "flood-color", "lighting-color", "color", "solid-color"}
# Colour functions whose value tinycss2 can read (device-cmyk() is already press colour).
COLOUR_FUNCTIONS = {"rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch", "color"}

@lru_cache(maxsize=4)
def _transform(icc: Path, intent: int) -> ImageCms.ImageCmsTransform:
    # The profile from its bytes, not its file: littleCMS keeps a file open and reads its
    # tags as it needs them (every transform's apply writes the profile out), and a build's
    # workers forked after it was opened share that file's offset: read at once, they
    # read each other's bytes ("Could not determine profile size", now and then).
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc.read_bytes()))
    return ImageCms.buildTransform(ImageCms.createProfile("sRGB"), profile, "RGB", "CMYK", renderingIntent=intent)


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
    """Every colour of an SVG as device-cmyk(), read on the parsed tree: presentation
    attributes, style= attributes and <style> sheets (classes), in any CSS form
    (hex, rgb(), hsl(), named colours). References (url(#gradient), href="#id")
    and everything else are kept as they are."""
    for prefix, uri in (("", SVG_NS), ("xlink", "http://www.w3.org/1999/xlink")):
        ElementTree.register_namespace(prefix, uri)
    root = defusedxml.ElementTree.fromstring(svg.encode("utf-8"), forbid_dtd=True, forbid_entities=True,
                                             forbid_external=True)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        stop = element.tag.rsplit("}", 1)[-1] == "stop"
        for name, value in list(element.attrib.items()):
            local = name.rsplit("}", 1)[-1]
            if stop and local in ("stop-color", "style"):
                continue  # gradients are drawn in sRGB and converted as shadings (shadings_to_cmyk)
            if local in COLOUR_PROPERTIES:
                element.set(name, _value_to_cmyk(value, icc))
            elif local == "style":
                element.set(name, _declarations_to_cmyk(value, icc))
        if element.tag.rsplit("}", 1)[-1] == "style" and element.text:
            element.text = _stylesheet_to_cmyk(element.text, icc)
    return ElementTree.tostring(root, encoding="unicode")


def shadings_to_cmyk(pdf, icc: Path) -> None:
    """Every shading of a press PDF (an SVG's gradient) in DeviceCMYK.

    WeasyPrint draws SVG gradients from the first three values of each stop colour
    (sRGB), and in a press file labels them with the four-ink output intent: the
    gradient prints in wrong colours. So stops stay sRGB in the SVG, and here each
    three-value colour of a shading's functions is converted as every other colour
    is, and the shading's colour space made DeviceCMYK. (Gray shadings, the alpha
    masks of gradients, have one value and are left as they are.)"""
    import pydyf

    def rgb_stops(function) -> bool:
        if not isinstance(function, dict):
            return False
        own = [function.get(key) for key in ("C0", "C1") if function.get(key) is not None]
        inner = list(function.get("Functions") or ())
        return (bool(own) and all(len(v) == 3 for v in own)) or (bool(inner) and all(map(rgb_stops, inner)))

    def convert(function) -> None:
        for key in ("C0", "C1"):
            values = function.get(key)
            if values is not None and len(values) == 3:
                rgb = tuple(min(255, max(0, round(float(v) * 255))) for v in values)
                function[key] = pydyf.Array(rgb_to_cmyk(rgb, icc))
        for inner in function.get("Functions") or ():
            convert(inner)

    seen: set[int] = set()

    def walk(node) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, dict):
            if "ShadingType" in node and rgb_stops(node.get("Function")):
                convert(node["Function"])
                node["ColorSpace"] = "/DeviceCMYK"
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)
        if isinstance(node, pydyf.Stream):
            walk(node.extra)

    for obj in pdf.objects:
        walk(obj)


def _colour_token(token, icc: Path) -> str | None:
    """device-cmyk() for one CSS token that is a colour, else None."""
    if token.type == "hash":
        text = "#" + token.value
    elif token.type == "ident" and token.lower_value not in ("currentcolor", "none", "inherit", "transparent"):
        text = token.value
    elif token.type == "function" and token.lower_name in COLOUR_FUNCTIONS:
        text = tinycss2.serialize([token])
    else:
        return None
    colour = color4.parse_color(text)
    if colour is None or not hasattr(colour, "to"):
        return None
    red, green, blue = (min(255, max(0, round(v * 255))) for v in colour.to("srgb").coordinates)
    cmyk = rgb_to_cmyk((red, green, blue), icc)
    return _css(cmyk) if colour.alpha >= 1 else _css(cmyk)[:-1] + f" / {colour.alpha:g})"


def _value_to_cmyk(value: str, icc: Path) -> str:
    """A property's value with its colours converted. A paint server's fallback
    (`url(#g) red`) is left out: WeasyPrint reads a device-cmyk() fallback into the
    reference (its greedy url(...) match), and draws the reference either way."""
    tokens = tinycss2.parse_component_value_list(value)
    reference = next((t for t in tokens if t.type == "url" or (t.type == "function" and t.lower_name == "url")), None)
    if reference is not None:
        return tinycss2.serialize([reference])
    return "".join(_colour_token(t, icc) or tinycss2.serialize([t]) for t in tokens)


def _declarations_to_cmyk(text: str, icc: Path) -> str:
    parts = []
    for item in tinycss2.parse_blocks_contents(text):
        if item.type == "declaration" and item.lower_name in COLOUR_PROPERTIES:
            value = _value_to_cmyk(tinycss2.serialize(item.value), icc)
            parts.append(f"{item.name}:{value}{' !important' if item.important else ''}")
        elif item.type == "declaration":
            parts.append(f"{item.name}:{tinycss2.serialize(item.value)}{' !important' if item.important else ''}")
    return ";".join(parts)


def _stylesheet_to_cmyk(text: str, icc: Path) -> str:
    out = []
    for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule":
            body = _declarations_to_cmyk(tinycss2.serialize(rule.content), icc)
            out.append(f"{tinycss2.serialize(rule.prelude).strip()}{{{body}}}")
        elif rule.type == "at-rule" and rule.content is not None and rule.lower_at_keyword == "media":
            out.append(f"@media{tinycss2.serialize(rule.prelude)}{{{_stylesheet_to_cmyk(tinycss2.serialize(rule.content), icc)}}}")
        else:
            out.append(tinycss2.serialize([rule]))
    return "\n".join(out)


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
