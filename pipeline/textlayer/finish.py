"""The text layer's finisher, once WeasyPrint has written the PDF: the virtual codes in
each font's ToUnicode and CIDToGIDMap, /ActualText and /Lang on the structure elements."""
from __future__ import annotations

import pydyf

from .layer import ACTUAL_KEY, Layer

RLM = "\u200f"
DIRECTION_MARGIN = 8  # right-to-left marks beyond the count of the page's letters
from .pdfium import pdfium_font_name


def _number(reference) -> int:
    return int(bytes(reference if isinstance(reference, bytes) else str(reference).encode()).split()[0])


def finish(layer: Layer, pdf: pydyf.PDF) -> None:
    """Write the virtual codes into the fonts (ToUnicode, widths, CIDToGIDMap) and
    copy marked-content /Lang onto the structure elements."""
    _direction_marks(layer)
    _write_virtual_codes(layer, pdf)
    _write_pdfium_fonts(layer, pdf)
    _lang_on_structure(pdf)


def _direction_marks(layer: Layer) -> None:
    """poppler takes a page as right to left when it reads more right-to-left letters
    than left-to-right ones on it, and orders every line of the page by that direction.
    The first right-to-left line of each page carries a mark that poppler reads as
    right-to-left marks (U+200F, its class R), as many as the page's left-to-right
    letters outnumber its right-to-left ones, and a few more (text not drawn as lines)."""
    for key, properties in layer.direction.items():
        surplus = layer.balance.get(key, 0) + DIRECTION_MARGIN
        properties["ActualText"] = pydyf.String(RLM * max(1, surplus))


def _write_virtual_codes(layer: Layer, pdf: pydyf.PDF) -> None:
    done = set()
    for obj in list(pdf.objects):
        fonts = obj.get("Font") if isinstance(obj, pydyf.Dictionary) else None
        if isinstance(fonts, (bytes, str)):  # WeasyPrint's font dictionary is an object of its own
            fonts = pdf.objects[_number(fonts)]
        if not isinstance(fonts, pydyf.Dictionary):
            continue
        for key, reference in fonts.items():
            table = layer.virtual.get(key)
            if not table or _number(reference) in done:
                continue
            done.add(_number(reference))
            _patch_font(pdf, pdf.objects[_number(reference)], layer.fonts[key], table)


def _font_dictionaries(pdf: pydyf.PDF):
    """Every font resource dictionary of the document (WeasyPrint's is an object of its own)."""
    seen = set()
    for obj in list(pdf.objects):
        fonts = obj.get("Font") if isinstance(obj, pydyf.Dictionary) else None
        if isinstance(fonts, (bytes, str)):
            fonts = pdf.objects[_number(fonts)]
        if isinstance(fonts, pydyf.Dictionary) and id(fonts) not in seen:
            seen.add(id(fonts))
            yield fonts


def _write_pdfium_fonts(layer: Layer, pdf: pydyf.PDF) -> None:
    """Beside each font PDFium's characters are drawn in, a copy whose codes are the
    Unicode values of the characters, each drawing the glyph it was given, reading as
    nothing in its ToUnicode (pdfium.py): PDFium reads such a code as its number."""
    made: dict[tuple[str, int], bytes] = {}
    for fonts in _font_dictionaries(pdf):
        for key, codes in layer.pdfium.items():
            if key not in fonts or not codes:
                continue
            for parity in (0, 1):  # two copies: two fonts to PDFium (pdfium.py)
                if (key, parity) not in made:
                    made[key, parity] = _pdfium_copy(pdf, pdf.objects[_number(fonts[key])], codes)
                fonts[pdfium_font_name(layer.fonts[key], parity)] = made[key, parity]


def _pdfium_copy(pdf, type0, codes: dict[int, tuple[int, int]]):
    by_code = sorted(codes.items())
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange"]
    for i in range(0, len(by_code), 100):
        batch = by_code[i:i + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [f"<{code:04x}> <>".encode() for code, _ in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    to_unicode = pydyf.Stream(lines, compress=True)
    pdf.add_object(to_unicode)
    mapping = bytearray(2 * (by_code[-1][0] + 1))
    widths = pydyf.Array()
    for code, (gid, width) in by_code:
        mapping[2 * code:2 * code + 2] = gid.to_bytes(2, "big")
        widths.extend([code, pydyf.Array([width])])
    cid_to_gid = pydyf.Stream([bytes(mapping)], compress=True)
    pdf.add_object(cid_to_gid)
    original = pdf.objects[_number(type0["DescendantFonts"][0])]
    cid_font = pydyf.Dictionary({**original, "W": widths,
                                 "DW": 1000, "CIDToGIDMap": cid_to_gid.reference})
    pdf.add_object(cid_font)
    copy = pydyf.Dictionary({**type0, "DescendantFonts": pydyf.Array([cid_font.reference]),
                             "ToUnicode": to_unicode.reference})
    pdf.add_object(copy)
    return copy.reference


def _patch_font(pdf, type0, font, table: dict[tuple[int, str, int], int]) -> None:
    by_code = sorted((code, gid, text, width) for (gid, text, width), code in table.items())
    # ToUnicode: one entry per virtual code, before the CMap's end.
    to_unicode = pdf.objects[_number(type0["ToUnicode"])]
    lines = []
    for i in range(0, len(by_code), 100):
        batch = by_code[i:i + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        for code, _, text, _ in batch:
            lines.append(f"<{code:04x}> <{text.encode('utf-16-be').hex()}>".encode())
        lines.append(b"endbfchar")
    end = to_unicode.stream.index(b"endcmap")
    to_unicode.stream[end:end] = lines
    cid_font = pdf.objects[_number(type0["DescendantFonts"][0])]
    widths = cid_font["W"]
    for code, _, _, width in by_code:
        widths.append(code)
        widths.append(pydyf.Array([width]))
    last = by_code[-1][0]
    gid_of = {code: gid for code, gid, _, _ in by_code}
    mapping = bytearray()
    for cid in range(last + 1):
        mapping += gid_of.get(cid, cid if cid < font.glyph_count else 0).to_bytes(2, "big")
    stream = pydyf.Stream([bytes(mapping)], compress=True)
    pdf.add_object(stream)
    cid_font["CIDToGIDMap"] = stream.reference


def _lang_on_structure(pdf: pydyf.PDF) -> None:
    root = pdf.catalog.get("StructTreeRoot")
    if root is None:
        return
    nums = pdf.objects[_number(pdf.objects[_number(root)]["ParentTree"])]["Nums"]
    per_page = {nums[i]: nums[i + 1] for i in range(0, len(nums), 2) if isinstance(nums[i + 1], pydyf.Array)}
    pages = [pdf.objects[_number(reference)] for reference in pdf.page_references]
    for index, page in enumerate(pages):
        refs = per_page.get(index)
        if refs is None:
            continue
        contents = page["Contents"]
        streams = contents if isinstance(contents, pydyf.Array) else [contents]
        for reference in streams:
            content = pdf.objects[_number(reference)]
            for item in content.stream:
                if not (isinstance(item, pydyf.Dictionary) and "MCID" in item):
                    continue
                actual = item.pop(ACTUAL_KEY, None)
                mcid = item["MCID"]
                if mcid >= len(refs):
                    continue
                element = pdf.objects[_number(refs[mcid])]
                if "Lang" in item:
                    element["Lang"] = item["Lang"]
                if actual is not None:
                    element["ActualText"] = actual
