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
