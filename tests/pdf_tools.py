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
