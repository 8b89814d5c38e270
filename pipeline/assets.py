"""Files the renderer reads (templates, stylesheets, fonts, ICC, logos) and the checks
an asset must pass before it may go to print.

- `read_project_file`: the one way a project file is read while rendering: a regular
  file inside the allowed folders after resolving symlinks, read with a bound, so a
  symlink to /etc/passwd, a FIFO or /dev/zero is refused instead of read, hung on or
  read until memory runs out.
- `check_image` (PNG, JPEG) and `check_svg`: each returns the problems of one file;
  `check_asset` adds any QR code or barcode the file carries (`codes_in`), and
  `check_logo` reads and checks a partner logo in assets/.
- Stand-in logos are marked by name: `<name>.stand-in.svg` (see assets/README.md).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
import stat
import warnings
from pathlib import Path
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree
import pypdfium2 as pdfium
import zxingcpp
from defusedxml import DefusedXmlException
from PIL import Image, ImageCms, ImageFile, ImageOps

from . import limits
from .paths import ASSETS
from .problems import Problem

# The bounds are in pipeline/limits.py, read at each use (so a test can lower them).

RASTER_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
SVG_NS = "{http://www.w3.org/2000/svg}"
# SVG elements that run code or pull in HTML (or other documents).
FORBIDDEN_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler", "listener"}
SAFE_DATA_URI = re.compile(r"data:image/(png|jpeg);base64,([A-Za-z0-9+/=\s]*)\Z", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
CSS_IMPORT = re.compile(r"@import", re.IGNORECASE)


class RefusedFile(Exception):
    """A project file that may not be read; says which file, why, and what to do."""

    def __init__(self, path: Path | str, what: str, hint: str):
        self.path, self.what, self.hint = str(path), what, hint
        super().__init__(f"{path}: {what}")


def read_project_file(path: Path | str, roots, limit: int | None = None) -> bytes:
    """The bytes of a regular file inside one of `roots` after resolving symlinks, at
    most `limit` bytes (default limits.FILE_BYTES), with no other hard link to it;
    RefusedFile otherwise."""
    path = Path(path)
    limit = limits.FILE_BYTES if limit is None else limit
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        raise RefusedFile(path, "file not found", "check the file name and that the file exists") from None
    folders = [Path(r).resolve() for r in roots]
    if not any(resolved.is_relative_to(root) for root in folders):
        raise RefusedFile(path, f"resolves to {resolved}, outside {', '.join(f.name + '/' for f in folders)}",
                          "copy the file into the project folder instead of linking to it")
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the
        # resolved name must not have been swapped for a symlink since.
        fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        raise RefusedFile(path, f"cannot be opened: {exc.strerror}", "check the file's permissions") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise RefusedFile(path, "is not a regular file (a directory, FIFO or device)", "use an ordinary file")
    if info.st_nlink > 1:
        # A hard link is the file it links to, wherever that is (/etc/passwd): a
        # copy (cp, git checkout, an editor's save) always has exactly one name.
        os.close(fd)
        raise RefusedFile(path, f"has {info.st_nlink} hard links: it may be a file from outside the project",
                          f"make it a copy of its own: cp {path} {path}.copy && mv {path}.copy {path}")
    with os.fdopen(fd, "rb") as file:
        if info.st_size > limit:
            raise RefusedFile(path, f"is {info.st_size} bytes, over the limit of {limit}",
                              "use a smaller file")
        data = file.read(limit + 1)
    if len(data) > limit:  # grew while being read
        raise RefusedFile(path, f"is over the limit of {limit} bytes", "use a smaller file")
    return data


def _error(name: str, what: str, hint: str) -> Problem:
    return Problem("error", name, what, hint, check="assets")


# What a file's first bytes say it is (whatever its name says): (kind, how it is called).
_KINDS = ((b"\x89PNG\r\n\x1a\n", "png", "a PNG image"), (b"\xff\xd8\xff", "jpg", "a JPEG image"),
          (b"GIF87a", "gif", "a GIF image"), (b"GIF89a", "gif", "a GIF image"), (b"%PDF", "pdf", "a PDF"))
_CALLED = {"webp": "a WebP image", "html": "an HTML page", "svg": "an SVG image", None: "not an image Pillow can read"}


def sniff(data: bytes) -> str | None:
    """The file's kind from its first bytes: "png", "jpg", "svg", "gif", "webp", "pdf",
    "html", or None. The one rule for every file the pipeline or the portal takes in."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    for magic, kind, _ in _KINDS:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if re.match(rb"(?i)(<!doctype html|<html)", head):
        return "html"
    if re.search(rb"<svg[\s>]", head):
        return "svg"
    return None


def _sniff(data: bytes) -> str:
    kind = sniff(data)
    return next((called for _, k, called in _KINDS if k == kind), None) or _CALLED[kind]


def check_image(data: bytes, name: str) -> list[Problem]:
    """A PNG or JPEG: decodes fully, within the pixel limit, and is what its name says."""
    expected = RASTER_FORMATS.get(Path(name).suffix.lower())
    if expected is None:
        return [_error(name, "not a PNG, JPEG or SVG file", "supply the logo as SVG, PNG or JPEG")]
    if len(data) > limits.FILE_BYTES:
        return [_error(name, f"{len(data)} bytes, over the limit of {limits.FILE_BYTES} (FILE_BYTES in {limits.WHERE})",
                       "export the logo at 300 ppi at its printed size")]
    truncated = ImageFile.LOAD_TRUNCATED_IMAGES  # WeasyPrint sets it to True on import
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = limits.IMAGE_PIXELS  # Pillow's own bound, for WeasyPrint's decoding too
            with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
                if image.format != expected:
                    return [_error(name, f"named {expected} but is a {image.format} image",
                                   f"save it as {expected} or rename it to .{image.format.lower()}")]
                if getattr(image, "n_frames", 1) > 1:  # an animated PNG: the proof and print show frame 1 only
                    return [_error(name, f"an animated image of {image.n_frames} frames: only the first would print",
                                   "export the one frame to print as a still PNG or JPEG")]
                if image.width * image.height > limits.IMAGE_PIXELS:
                    return [_error(name, f"{image.width}×{image.height} pixels, over the limit of "
                                   f"{limits.IMAGE_PIXELS:,} (IMAGE_PIXELS in {limits.WHERE})",
                                   "export the logo at 300 ppi at its printed size")]
                image.load()
                normalise_image(data)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        return [_error(name, f"too many pixels to decode safely (decompression bomb): over the limit of "
                       f"{limits.IMAGE_PIXELS:,} (IMAGE_PIXELS in {limits.WHERE})",
                       "export the logo at 300 ppi at its printed size")]
    except Image.UnidentifiedImageError:
        return [_error(name, f"named {expected} but is {_sniff(data)}",
                       f"supply a real {expected} file (or SVG)")]
    except CannotNormalise as exc:
        return [_error(name, str(exc), "export it again as an 8-bit RGB, greyscale or CMYK image")]
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError... on broken files
        return [_error(name, f"{expected} image cannot be decoded ({exc})",
                       "the file is truncated or damaged: export it again")]
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated
    return []


class CannotNormalise(ValueError):
    pass


# Modes the renderer and the CMYK conversion take as they are.
PLAIN_MODES = {"L", "RGB", "RGBA", "CMYK"}
SRGB = ImageCms.createProfile("sRGB")


def normalise_image(data: bytes) -> tuple[bytes, str | None]:
    """A PNG or JPEG as the proof shows it: 8 bits per channel (a 16-bit greyscale
    PNG is otherwise clipped to white on the way to CMYK, and drawn black on screen),
    palette and grey-with-alpha as RGBA, turned upright by its EXIF orientation, in
    sRGB when it embeds another ICC profile (CMYK images keep theirs).
    Returns (data, None) for an image that needs none of this, else (PNG bytes,
    "image/png"); CannotNormalise for one that cannot be made so."""
    with Image.open(io.BytesIO(data)) as original:
        image, changed = original, False
        if original.getexif().get(0x0112, 1) != 1:  # EXIF orientation: turned by a camera or phone
            image, changed = ImageOps.exif_transpose(original), True
        if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):  # 16-bit greyscale PNG: 0-65535
            image, changed = image.convert("I").point(lambda v: v / 257).convert("L"), True
        elif image.mode == "1":
            image, changed = image.convert("L"), True
        elif image.mode in ("P", "PA", "LA", "La", "RGBa", "RGBX") or (
                image.mode in ("L", "RGB") and "transparency" in image.info):
            image, changed = image.convert("RGBA"), True
        if image.mode not in PLAIN_MODES:
            raise CannotNormalise(f"image in colour mode {original.mode}, which cannot be printed as proofed")
        icc = original.info.get("icc_profile")
        if icc and image.mode != "CMYK":
            try:
                source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
                mode = "RGBA" if image.mode == "RGBA" else "RGB"
                image = ImageCms.profileToProfile(image.convert(mode), source, SRGB, outputMode=mode)
            except (ImageCms.PyCMSError, OSError, ValueError) as exc:
                raise CannotNormalise(f"embedded ICC profile cannot be applied ({exc})") from None
            changed = True
        if not changed:
            return data, None
        out = io.BytesIO()
        dpi = original.info.get("dpi")
        image.save(out, "PNG", **({"dpi": dpi} if dpi else {}))
        return out.getvalue(), "image/png"


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _reference_problem(value: str, name: str, where: str) -> Problem | None:
    """None when a reference stays inside the SVG (#fragment) or is an embedded PNG/JPEG."""
    value = value.strip()
    if value.startswith("#") or value == "":
        return None
    data = SAFE_DATA_URI.match(value)
    if data:
        try:
            raw = base64.b64decode(re.sub(r"\s", "", data.group(2)), validate=True)
        except (binascii.Error, ValueError):
            return _error(name, f"{where}: embedded image is not valid base64", "export the SVG again")
        inner = check_image(raw, f"{name} ({where}).{'png' if data.group(1).lower() == 'png' else 'jpg'}")
        return inner[0] if inner else None
    shown = value if len(value) <= 60 else value[:57] + "..."
    return _error(name, f"{where} refers to {shown!r} outside the SVG",
                  "embed everything in the SVG: only #fragment and data:image/png|jpeg references are allowed")


CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\r\n\f]?|(.))", re.DOTALL)


def _css_unescaped(css: str) -> str:
    """CSS as the renderer reads it: escapes are the characters they stand for
    (`u\\72l(` is `url(`, `@\\69mport` is `@import`)."""
    def char(match: re.Match) -> str:
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return match.group(2)
    return CSS_ESCAPE.sub(char, css)


def _css_problems(css: str, name: str, where: str) -> list[Problem]:
    css = _css_unescaped(css)
    problems = []
    if CSS_IMPORT.search(css):
        problems.append(_error(name, f"{where} uses @import", "put the styles in the SVG itself"))
    for match in CSS_URL.finditer(css):
        problem = _reference_problem(match.group(2), name, f"{where} url()")
        if problem:
            problems.append(problem)
    return problems


def check_svg(data: bytes, name: str) -> list[Problem]:
    """An SVG that draws only: no DTD or entities, no scripts, event handlers or
    foreignObject, no reference to anything outside the file."""
    if len(data) > limits.SVG_BYTES:
        return [_error(name, f"{len(data)} bytes, over the limit of {limits.SVG_BYTES} (SVG_BYTES in {limits.WHERE})",
                       "simplify the SVG or export it without embedded bitmaps")]
    kind = _sniff(data)
    if kind not in ("an SVG image", "not an image Pillow can read"):
        return [_error(name, f"named SVG but is {kind}, not an SVG", "supply a real SVG file")]
    try:
        root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                                 forbid_external=True)
    except DefusedXmlException as exc:
        return [_error(name, f"SVG has a DTD or entities ({type(exc).__name__})",
                       "export the SVG without a DOCTYPE or entity declarations")]
    except (ParseError, ValueError) as exc:
        return [_error(name, f"not an SVG: not well-formed XML ({exc})",
                       "supply a real SVG file")]
    if root.tag != SVG_NS + "svg":
        return [_error(name, f"root element is <{_local(root.tag)}>, not an SVG <svg>",
                       "supply a real SVG file (xmlns=\"http://www.w3.org/2000/svg\")")]
    problems: list[Problem] = []
    todo, count = [(root, 1)], 0
    while todo:
        element, depth = todo.pop()
        count += 1
        if count > limits.SVG_ELEMENTS or depth > limits.SVG_DEPTH:
            return problems + [_error(name, f"over {limits.SVG_ELEMENTS} elements or {limits.SVG_DEPTH} levels "
                                      f"deep (SVG_ELEMENTS, SVG_DEPTH in {limits.WHERE})", "simplify the SVG")]
        if not isinstance(element.tag, str):  # comments, processing instructions
            continue
        tag = element.tag.rsplit("}", 1)[-1]
        if tag.lower() in FORBIDDEN_ELEMENTS:
            problems.append(_error(name, f"SVG contains <{tag}>",
                                   "remove scripts and embedded HTML: a logo only draws"))
        for attribute, value in element.attrib.items():
            local = _local(attribute)
            if local.startswith("on"):
                problems.append(_error(name, f"<{tag}> has an event handler {local}=",
                                       "remove scripts and event handlers: a logo only draws"))
            elif local in ("href", "src"):
                problem = _reference_problem(value, name, f"<{tag} {local}>")
                if problem:
                    problems.append(problem)
            else:
                problems += _css_problems(value, name, f"<{tag} {local}>")
        if tag == "style" and element.text:
            problems += _css_problems(element.text, name, "<style>")
        todo += [(child, depth + 1) for child in reversed(element)]  # in document order
    return problems + _use_fan_out(root, name)


def _use_fan_out(root, name: str) -> list[Problem]:
    """What the SVG draws once every <use> is replaced by what it refers to: 8 levels
    of 10 <use> each are 100 million elements from a file of a few hundred bytes."""
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    sizes: dict[int, int] = {}
    bound = limits.SVG_USE_EXPANSION

    def size(element, seen: tuple) -> int:
        if id(element) in sizes:
            return sizes[id(element)]
        if id(element) in seen:
            raise RecursionError
        seen += (id(element),)
        total = 1 + sum(size(child, seen) for child in element)
        if isinstance(element.tag, str) and _local(element.tag) == "use":
            target = next((v for k, v in element.attrib.items() if _local(k) == "href"), "").strip()
            if target.startswith("#") and target[1:] in by_id:
                total += size(by_id[target[1:]], seen)
        sizes[id(element)] = total = min(total, bound + 1)  # no need to count further
        return total

    try:
        drawn = size(root, ())
    except RecursionError:
        return [_error(name, "an SVG <use> refers to itself or is nested too deeply",
                       "export the SVG with its <use> elements expanded (flattened)")]
    if drawn > bound:
        return [_error(name, f"draws over {bound:,} elements once its <use> elements are expanded "
                       f"(SVG_USE_EXPANSION in {limits.WHERE})",
                       "export the SVG with fewer repeated <use> elements, or flattened")]
    return []


_CHECKED: dict[tuple, tuple[Problem, ...]] = {}
CHECKED_KEPT = 64  # files by name, bytes and limits


def check_asset(data: bytes, name: str, codes: bool = True) -> list[Problem]:
    """Every problem of a logo or image as it comes in (the portal's upload, a campaign's
    logos and images when loaded): the file's own checks, then any QR code or barcode
    it carries (`codes_in`). The renderer's fetcher leaves the codes out (`codes`
    False): the campaign's own code comes to it as an SVG, every file it serves was
    scanned when it came in, and preflight scans each page.

    Decided once per name, bytes, `codes` and limits: a partner's logo is checked at
    each keystroke's proof (twice, and again when the renderer reads it), a
    campaign's images by every job of a worker."""
    Image.MAX_IMAGE_PIXELS = limits.IMAGE_PIXELS  # as check_image sets it, for WeasyPrint's decoding
    key = (name, codes, hashlib.sha256(data).digest(), *(v for k, v in vars(limits).items() if k.isupper()))
    if key not in _CHECKED:
        _CHECKED[key] = tuple(_checked(data, name, codes))
        while len(_CHECKED) > CHECKED_KEPT:
            del _CHECKED[next(iter(_CHECKED))]
    return list(_CHECKED[key])


def _checked(data: bytes, name: str, codes: bool) -> list[Problem]:
    problems = check_svg(data, name) if Path(name).suffix.lower() == ".svg" else check_image(data, name)
    if problems or not codes:
        return problems
    return [Problem("error", name, f"carries a {kind} that leads to {text!r}" if kind == "QR code" else
                    f"carries a {kind} barcode that reads {text!r}",
                    "a logo may not carry a QR code or barcode: the leaflet's only code is the campaign's "
                    "(ask for the file without it)", check="codes") for kind, text in codes_in(data, name)]


# A logo is scanned for codes drawn CODE_SCAN_PX tall, with a tenth of that in white
# around it (a code at its edge has the paper round it in print). A logo prints at
# most some 33 mm tall (an A1 poster's 3rem); a phone reads modules down to some
# 0.2 mm, which get 3.6 pixels there (eye.PX_PER_MODULE: 3 is enough). A larger
# raster is scanned at its own pixels.
CODE_SCAN_PX = 600
# Widths per height: an SVG is laid out on a page this wide, a small raster enlarged to
# no wider (so a raster of one row of pixels is not a bomb). 144 mm at 9 mm tall: wider
# than a leaflet.
CODE_SCAN_WIDEST = 16


def codes_in(data: bytes, name: str) -> list[tuple[str, str]]:
    """Every code a phone finds in a logo or image that passed its checks, any format
    zxing-cpp reads, as (its kind, what it reads): "QR code", "Code 128"..."""
    image = _drawn_svg(data) if Path(name).suffix.lower() == ".svg" else _flattened(data)
    scale = min(CODE_SCAN_PX / image.height, CODE_SCAN_WIDEST * CODE_SCAN_PX / image.width)
    if scale > 1:  # a small raster: as many pixels a module as a drawn SVG's
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
    image = ImageOps.expand(image, CODE_SCAN_PX // 10, fill=255)
    return [("QR code" if code.format == zxingcpp.BarcodeFormat.QRCode else str(code.format), code.text)
            for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.All)]


def _flattened(data: bytes) -> Image.Image:
    """A PNG or JPEG as printed, in grey: upright, in sRGB, its transparency on paper."""
    with Image.open(io.BytesIO(normalise_image(data)[0])) as image:
        rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat.convert("L")


def _drawn_svg(data: bytes) -> Image.Image:
    """An SVG drawn as the renderer draws it (WeasyPrint, as an <img> of a set height,
    its width by its own proportions) and rastered by PDFium, CODE_SCAN_PX tall, in grey."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from .pdflock import PDFIUM

    uri = "data:image/svg+xml;base64," + base64.b64encode(data).decode()
    html = (f"<style>@page {{ size: {CODE_SCAN_WIDEST * CODE_SCAN_PX}px {CODE_SCAN_PX}px; margin: 0 }}"
            f"body {{ margin: 0 }} img {{ display: block; height: {CODE_SCAN_PX}px }}</style><img src='{uri}'>")
    with PDFIUM:  # WeasyPrint's text layout and PDFium (pdflock.py)
        document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).render()
        drawn = next(box for box in document.pages[0]._page_box.descendants() if hasattr(box, "replacement"))
        pdf = pdfium.PdfDocument(document.write_pdf())
        try:
            page = pdf[0]
            right = max(page.get_size()[0] - drawn.width * 0.75, 0)  # points: 0.75 a CSS pixel
            return page.render(scale=1 / 0.75, crop=(0, 0, right, 0), grayscale=True).to_pil().convert("L")
        finally:
            pdf.close()


def check_logo(path: Path | str, svg_codes: bool = True) -> list[Problem]:
    """Every problem of a partner logo file in assets/ (empty when it may be printed).
    Without `svg_codes` an SVG is not drawn to be scanned for codes: a build's planning
    leaves that to the renderer, which scans every picture it is given (a build that
    renders nothing, or `check`, need not load WeasyPrint to draw SVGs)."""
    path = Path(path)
    shown = f"assets/{path.relative_to(ASSETS)}" if path.is_relative_to(ASSETS) else str(path)
    try:
        data = read_project_file(path, [ASSETS])
    except RefusedFile as exc:
        return [_error(shown, exc.what, exc.hint)]
    return check_asset(data, shown, codes=svg_codes or path.suffix.lower() != ".svg")


def is_stand_in(path: Path | str) -> bool:
    """A stand-in logo (`<name>.stand-in.svg`): fine for proofs, never for print.
    By the name it is given and the file it is once links are resolved: a link
    `slt-final.svg` -> `slt.stand-in.svg` is still a stand-in."""
    path = ASSETS / path  # an absolute path stays as it is
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        resolved = path
    return any(p.stem.lower().endswith(".stand-in") for p in (path, resolved))
