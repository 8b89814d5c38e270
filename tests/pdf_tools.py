"""Independent readers of rendered PDFs (none of them is WeasyPrint)."""
from __future__ import annotations

from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import zxingcpp

MM_PER_PT = 25.4 / 72


def page_boxes_mm(path: Path) -> list[dict[str, tuple[float, float]]]:
    """Width and height in mm of each page's MediaBox (and TrimBox where present)."""
    out = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            boxes = {}
            for name in ("/MediaBox", "/TrimBox", "/BleedBox"):
                if name in page.obj:
                    x0, y0, x1, y1 = (float(v) for v in page.obj[name])
                    boxes[name[1:]] = ((x1 - x0) * MM_PER_PT, (y1 - y0) * MM_PER_PT)
            out.append(boxes)
    return out


def fonts(path: Path) -> list[tuple[str, bool]]:
    """(font name, embedded?) for every font used by every page."""
    found = {}
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in (page.obj.get("/Resources", {}).get("/Font", {}) or {}).values():
                descendants = font.get("/DescendantFonts")
                target = descendants[0] if descendants else font
                descriptor = target.get("/FontDescriptor", {})
                embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                found[str(font.get("/BaseFont"))] = embedded
    return sorted(found.items())


def text(path: Path) -> str:
    doc = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def decode_qr(path: Path, dpi: int = 150) -> list[list[str]]:
    """Decoded QR texts per page, from a raster of the page at `dpi`."""
    doc = pdfium.PdfDocument(str(path))
    try:
        result = []
        for page in doc:
            image = page.render(scale=dpi / 72).to_pil()
            codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            result.append([c.text for c in codes])
        return result
    finally:
        doc.close()


RGB_OPERATORS = {"rg", "RG", "g", "G"}  # DeviceRGB and DeviceGray fills and strokes


def colour_operators(path: Path) -> dict[str, set]:
    """Colour operators and colour spaces used by every page and form XObject."""
    found: dict[str, set] = {"operators": set(), "spaces": set(), "image_spaces": set()}
    with pikepdf.open(path) as pdf:
        seen = set()

        def walk(holder, resources):
            for operands, op in pikepdf.parse_content_stream(holder):
                name = str(op)
                if name in RGB_OPERATORS | {"k", "K", "sc", "scn", "SC", "SCN"}:
                    found["operators"].add(name)
                if name in ("cs", "CS"):
                    found["spaces"].add(str(operands[0]))
            for xobject in (resources.get("/XObject") or {}).values() if resources else ():
                if xobject.objgen in seen:
                    continue
                seen.add(xobject.objgen)
                if xobject.get("/Subtype") == "/Form":
                    walk(xobject, xobject.get("/Resources", resources))
                else:
                    found["image_spaces"].add(str(xobject.get("/ColorSpace")))

        for page in pdf.pages:
            walk(page, page.obj.get("/Resources"))
    return found


def render_media(path: Path, page_index: int, dpi: int):
    """A raster of the whole MediaBox (bleed and marks included) as a PIL image."""
    doc = pdfium.PdfDocument(str(path))
    try:
        page = doc[page_index]
        media = page.get_mediabox()
        page.set_cropbox(*media)
        return page.render(scale=dpi / 72).to_pil().convert("RGB"), media
    finally:
        doc.close()


def struct_elements(path: Path) -> list[dict]:
    """Every element of the structure tree: type and alt text."""
    out = []
    with pikepdf.open(path) as pdf:
        def walk(node):
            if isinstance(node, pikepdf.Array):
                for kid in node:
                    walk(kid)
                return
            if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
                return
            out.append({"type": str(node.S), "alt": str(node.get("/Alt", "")) or None})
            if "/K" in node:
                walk(node.K)
        walk(pdf.Root.StructTreeRoot.K)
    return out


def _multiply(a, b):
    """PDF matrices [a b c d e f]: a then b."""
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def _apply(m, x, y):
    return (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])


def _gray_or_rgb_as_cmyk(values):
    if len(values) == 1:  # DeviceGray
        return (0.0, 0.0, 0.0, 1 - values[0])
    if len(values) == 3:  # DeviceRGB, naively: a print file should have none (colour_operators)
        k = 1 - max(values)
        return tuple((1 - v - k) / (1 - k) if k < 1 else 0.0 for v in values) + (k,)
    return tuple(values)


def text_fills(path: Path) -> list[dict]:
    """Every text-showing operator of every page (forms followed), with what is in
    force at it: the fill colour as CMYK fractions (gray and RGB converted naively;
    `space` says which), the font size in points on the page (Tf times the text
    matrix and CTM's vertical scale), the position in mm from the trim's top-left,
    the font's /BaseFont, and the ground: the colour of the last fill painted under a point inside the
    first glyph (paths of rectangles, even-odd frames and clipping followed; paper
    when none). Text render mode 3 (invisible) is left out.

    Read straight from the content streams with pikepdf: independent of WeasyPrint's
    layout and of the pipeline's preflight."""
    out = []
    with pikepdf.open(path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            trim = [float(v) for v in page.obj.get("/TrimBox", page.obj.MediaBox)]
            fills: list[tuple[list, bool, tuple | None, tuple]] = []  # rects, even-odd, clip, cmyk

            def covered(x, y, rects, even_odd, clip):
                if clip and not (clip[0] <= x <= clip[2] and clip[1] <= y <= clip[3]):
                    return False
                inside = sum(r[0] <= x <= r[2] and r[1] <= y <= r[3] for r in rects)
                return inside % 2 == 1 if even_odd else inside > 0

            def walk(holder, resources, ctm, clip=None, depth=0):
                state = {"ctm": ctm, "fill": (0.0,), "space": "/DeviceGray", "clip": clip}
                stack = []
                tm = lm = [1, 0, 0, 1, 0, 0]
                size, leading, mode, font_name = 0.0, 0.0, 0, ""
                rects, points, pending_clip = [], [], False
                for operands, op in pikepdf.parse_content_stream(holder):
                    name, args = str(op), list(operands)
                    if name == "q":
                        stack.append(dict(state))
                    elif name == "Q":
                        state = stack.pop() if stack else state
                    elif name == "cm":
                        state["ctm"] = _multiply([float(v) for v in args], state["ctm"])
                    elif name == "cs":
                        state["space"] = str(args[0])
                        state["fill"] = (0.0, 0.0, 0.0, 1.0) if state["space"] == "/DeviceCMYK" else (0.0,)
                    elif name in ("sc", "scn"):
                        try:
                            state["fill"] = tuple(float(a) for a in args)
                        except (TypeError, ValueError):  # a pattern
                            state["fill"] = ("pattern",)
                    elif name == "k":
                        state["space"], state["fill"] = "/DeviceCMYK", tuple(float(a) for a in args)
                    elif name == "g":
                        state["space"], state["fill"] = "/DeviceGray", (float(args[0]),)
                    elif name == "rg":
                        state["space"], state["fill"] = "/DeviceRGB", tuple(float(a) for a in args)
                    elif name == "re":
                        x, y, w, h = (float(a) for a in args)
                        corners = [_apply(state["ctm"], px, py) for px, py in ((x, y), (x + w, y + h))]
                        rects.append((min(c[0] for c in corners), min(c[1] for c in corners),
                                      max(c[0] for c in corners), max(c[1] for c in corners)))
                    elif name in ("m", "l"):
                        points.append(_apply(state["ctm"], float(args[0]), float(args[1])))
                    elif name in ("c", "v", "y"):
                        points.append(_apply(state["ctm"], float(args[-2]), float(args[-1])))
                    elif name in ("W", "W*"):
                        pending_clip = True
                    elif name in ("f", "F", "f*", "B", "B*", "b", "b*", "n", "S", "s"):
                        if name not in ("n", "S", "s") and state["fill"] != ("pattern",) and rects and not points:
                            fills.append((rects, name.endswith("*"), state["clip"],
                                          _gray_or_rgb_as_cmyk(state["fill"])))
                        if pending_clip:
                            xs = [r[0] for r in rects] + [r[2] for r in rects] + [p[0] for p in points]
                            ys = [r[1] for r in rects] + [r[3] for r in rects] + [p[1] for p in points]
                            box = (min(xs), min(ys), max(xs), max(ys))
                            old = state["clip"]
                            state["clip"] = box if old is None else (max(old[0], box[0]), max(old[1], box[1]),
                                                                      min(old[2], box[2]), min(old[3], box[3]))
                        rects, points, pending_clip = [], [], False
                    elif name == "BT":
                        tm = lm = [1, 0, 0, 1, 0, 0]
                    elif name == "Tf":
                        size = float(args[1])
                        font = ((resources or {}).get("/Font") or {}).get(str(args[0]))
                        font_name = str(font.get("/BaseFont", "")) if font is not None else ""
                    elif name == "TL":
                        leading = float(args[0])
                    elif name == "Tr":
                        mode = int(args[0])
                    elif name == "Tm":
                        tm = lm = [float(v) for v in args]
                    elif name in ("Td", "TD"):
                        if name == "TD":
                            leading = -float(args[1])
                        tm = lm = _multiply([1, 0, 0, 1, float(args[0]), float(args[1])], lm)
                    elif name in ("T*", "'", '"'):
                        tm = lm = _multiply([1, 0, 0, 1, 0, -leading], lm)
                    if name in ("Tj", "TJ", "'", '"') and mode != 3:
                        m = _multiply(tm, state["ctm"])
                        x, y = _apply(m, 0, 0)
                        probe = _apply(m, 0.25 * size, 0.3 * size)  # inside the first glyph
                        under = [c for r, eo, cl, c in fills if covered(*probe, r, eo, cl)]
                        fill = state["fill"]
                        out.append({
                            "page": number, "size_pt": round(size * (m[2] ** 2 + m[3] ** 2) ** 0.5, 2),
                            "font": font_name.lstrip("/"),
                            "fill": None if fill == ("pattern",) else _gray_or_rgb_as_cmyk(fill),
                            "space": state["space"],
                            "ground": under[-1] if under else (0.0, 0.0, 0.0, 0.0),
                            "at_mm": (round((x - trim[0]) * MM_PER_PT, 1), round((trim[3] - y) * MM_PER_PT, 1)),
                        })
                    if name == "Do" and depth < 8:
                        xobject = (resources.get("/XObject") or {}).get(str(args[0])) if resources else None
                        if xobject is not None and xobject.get("/Subtype") == "/Form":
                            matrix = [float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                            walk(xobject, xobject.get("/Resources", resources),
                                 _multiply(matrix, state["ctm"]), state["clip"], depth + 1)

            walk(page, page.obj.get("/Resources"), [1, 0, 0, 1, 0, 0])
    return out


def inks(cmyk, threshold: float = 0.005) -> str:
    """The process inks a CMYK colour (fractions) puts on the plates: 'K', 'CMK', ''."""
    return "".join(name for name, value in zip("CMYK", cmyk) if value > threshold)
