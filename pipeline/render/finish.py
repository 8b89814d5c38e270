"""Finishers: what WeasyPrint leaves out, set once it has written the PDF, one finisher
per profile kind (`FINISHERS`): press (trim and bleed boxes, crop marks, output intent,
PDF/X keys, overprint) and screen (text layer, live links, figure boxes); and pydyf's
writing of the finished PDF, each object serialised once (`_write_once`)."""
from __future__ import annotations

import hashlib
import inspect
import re
import threading
import uuid
import zlib
from functools import lru_cache

import pydyf

from .. import colour, links, overprint, textlayer
from ..paths import COLOUR
from ..cropmarks import MARK_GAP_MM, MARK_LENGTH_MM, MARK_WIDTH_PT
from ..plan import Job

PT_PER_MM = 72 / 25.4
def finish(job: Job, pdf: pydyf.PDF, layer: textlayer.Layer | None = None, document=None) -> None:
    """Complete the PDF where WeasyPrint stops short: a stable document id, then the
    finisher of the profile's kind (`FINISHERS`, by profiles/*.yaml `output`); its
    streams deflated (`_deflate_streams`)."""
    _stable_document_id(job, pdf)
    FINISHERS[job.profile.spec.output](job, pdf, layer, document)
    _deflate_streams(pdf)


def finish_screen(job: Job, pdf: pydyf.PDF, layer: textlayer.Layer | None, document) -> None:
    """A screen copy: its title shown, its text layer read back as the source text
    (pipeline/textlayer/), live described links, figure boxes in PDF units."""
    pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})
    if layer is not None:
        textlayer.finish(layer, pdf)
    if document is not None:  # live links, described, and the QR code's (links.py)
        links.finish(job, document, pdf)
    _figure_boxes_in_points(pdf)


def finish_press(job: Job, pdf: pydyf.PDF, layer: textlayer.Layer | None, document) -> None:
    """A press file: the master rendition, CMYK gradients, no live links, overprint,
    exact trim and bleed boxes, crop marks, the registered output condition, PDF/X keys."""
    profile = job.profile.spec
    _master_rendition(pdf)
    if profile.output_intent:  # gradients drawn in sRGB, as press colour (colour.py)
        colour.shadings_to_cmyk(pdf, COLOUR / profile.output_intent.icc)
    links.refuse_in_press(job, pdf)
    overprint.finish(pdf)  # 100 % K text, rules and codes overprint their ground (overprint.py)
    width, height = (v * PT_PER_MM for v in job.trim_mm)
    bleed = profile.bleed_mm * PT_PER_MM
    for page in (o for o in pdf.objects if isinstance(o, pydyf.Dictionary) and o.get("Type") == "/Page"):
        # WeasyPrint puts the BleedBox at most 10 pt outside the trim; set it exactly.
        page["TrimBox"] = pydyf.Array([0, 0, width, height])
        page["BleedBox"] = pydyf.Array([-bleed, -bleed, width + bleed, height + bleed])
        if profile.crop_marks:
            # WeasyPrint's stream leaves its y-flip in force: isolate it in q ... Q.
            streams = [pydyf.Stream([b"q"]), pydyf.Stream([b"Q"]),
                       pydyf.Stream([_crop_marks(width, height, bleed)])]
            for stream in streams:
                pdf.add_object(stream)
            page["Contents"] = pydyf.Array([streams[0].reference, page["Contents"],
                                            streams[1].reference, streams[2].reference])
    intent = profile.output_intent
    for output_intent in pdf.catalog["OutputIntents"]:
        reference = output_intent["DestOutputProfile"]  # b"12 0 R"
        _deflate_once(pdf.objects[int(bytes(reference).split()[0])])
        output_intent["OutputConditionIdentifier"] = pydyf.String(intent.identifier)
        output_intent["OutputCondition"] = pydyf.String(intent.condition)
        output_intent["RegistryName"] = pydyf.String(intent.registry)
        output_intent["Info"] = pydyf.String(intent.condition)
    if profile.pdf_variant == "pdf/x-1a":
        _pdfx_1a_keys(pdf)
    if "GTS_PDFXVersion" not in pdf.info:  # WeasyPrint sets it for X-1a and X-3 only
        pdf.info["GTS_PDFXVersion"] = pydyf.String("PDF/X-4")


def finish_social(job: Job, pdf: pydyf.PDF, layer: textlayer.Layer | None, document) -> None:
    """A social image's PDF is rastered into its PNG and JPEG, never kept: nothing to add."""


FINISHERS = {"screen": finish_screen, "print": finish_press, "social": finish_social}


# ISO 15930-4: the version key names the standard, the conformance key the level.
# WeasyPrint writes "PDF/X-1a:2003" into both, which strict preflights flag.
PDFX_1A_VERSION, PDFX_1A_CONFORMANCE = "PDF/X-1:2003", "PDF/X-1a:2003"


def _pdfx_1a_keys(pdf: pydyf.PDF) -> None:
    """GTS_PDFXVersion and GTS_PDFXConformance as ISO 15930-4 asks, in the Info
    dictionary and in the XMP (pdfx:, and no pdfxid: which belongs to X-4 and later)."""
    pdf.info["GTS_PDFXVersion"] = pydyf.String(PDFX_1A_VERSION)
    pdf.info["GTS_PDFXConformance"] = pydyf.String(PDFX_1A_CONFORMANCE)
    for obj in _xmp(pdf):
        xmp = re.sub(rb"<pdfxid:GTS_PDFXVersion>[^<]*</pdfxid:GTS_PDFXVersion>", b"", obj.stream[0])
        xmp = re.sub(rb"(<pdfx:GTS_PDFXVersion>)[^<]*(</pdfx:GTS_PDFXVersion>)",
                     rb"\g<1>" + PDFX_1A_VERSION.encode() + rb"\g<2>", xmp)
        obj.stream[0] = re.sub(rb"(<pdfx:GTS_PDFXConformance>)[^<]*(</pdfx:GTS_PDFXConformance>)",
                               rb"\g<1>" + PDFX_1A_CONFORMANCE.encode() + rb"\g<2>", xmp)


def _xmp(pdf: pydyf.PDF) -> list[pydyf.Stream]:
    """The document's XMP metadata stream (the catalog's /Metadata), if WeasyPrint wrote
    one: found by reference, not by searching every stream (fonts, ICC profile, images)."""
    reference = pdf.catalog.get("Metadata")
    obj = pdf.objects[int(bytes(reference).split()[0])] if reference else None
    if (isinstance(obj, pydyf.Stream) and obj.stream and isinstance(obj.stream[0], bytes)
            and b"<x:xmpmeta" in obj.stream[0]):
        return [obj]
    return []


def _master_rendition(pdf: pydyf.PDF) -> None:
    """WeasyPrint calls every PDF a proof (xmpMM:RenditionClass proof:pdf); a press
    file is the master a printer prints from: `default`."""
    for obj in _xmp(pdf):
        obj.stream[0] = re.sub(rb"(<xmpMM:RenditionClass>)proof:pdf(</xmpMM:RenditionClass>)",
                               rb"\1default\2", obj.stream[0])


def _figure_boxes_in_points(pdf: pydyf.PDF) -> None:
    """WeasyPrint writes a Figure's /BBox in CSS pixels from the page's top-left; the
    layout attribute is in PDF user space: points from the page's bottom-left."""
    for obj in pdf.objects:
        if not (isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/StructElem"
                and obj.get("S") == "/Figure" and isinstance(obj.get("A"), pydyf.Dictionary)
                and "BBox" in obj["A"] and "Pg" in obj):
            continue
        page = pdf.objects[int(bytes(obj["Pg"]).split()[0]) if isinstance(obj["Pg"], bytes)
                           else int(str(obj["Pg"]).split()[0])]
        top = float(page["MediaBox"][3])
        x1, y1, x2, y2 = (float(v) * 0.75 for v in obj["A"]["BBox"])  # 72 pt / 96 px
        obj["A"]["BBox"] = pydyf.Array([round(x1, 3), round(top - y2, 3), round(x2, 3), round(top - y1, 3)])


@lru_cache(maxsize=4)
def _deflated(data: bytes) -> bytes:
    # Level 6, zlib's default: 10 ms for FOGRA39's 247 kB against 72 ms at level 9, and
    # 0.6 % larger; paid by every fresh worker (a batch starts several).
    return zlib.compress(data, 6)


def _deflate_once(stream: pydyf.Stream) -> None:
    """The press ICC profile (about 250 kB) is the same in every PDF, yet pydyf would
    deflate it at level 9 twice per file: half the time of a press render. Deflate
    it once per worker (`_deflated`) and hand pydyf the result."""
    if stream.compress and len(stream.stream) == 1 and isinstance(stream.stream[0], bytes):
        stream.stream = [_deflated(stream.stream[0])]
        stream.extra["Filter"] = "/FlateDecode"
        stream.compress = False


def _deflate_as_pydyf(data: bytes) -> bytes:
    deflater = zlib.compressobj(level=9)  # pydyf's Stream.data
    return deflater.compress(data) + deflater.flush()


# Streams of up to this size (fonts, ToUnicode maps, pages: under 40 kB in every
# product) are kept deflated for the next documents: the last 32, at most 2 MB of them.
KEPT_DEFLATED_BYTES = 64 * 1024
_deflated_kept = lru_cache(maxsize=32)(_deflate_as_pydyf)


def _deflate_streams(pdf: pydyf.PDF) -> None:
    """Every stream pydyf would deflate, deflated as it does, once a worker for the bytes
    of a stream seen before: a product's font subsets and their ToUnicode maps are the
    same in each district's variant, only its page differs (half a poster's deflating)."""
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and obj.compress:
            data = b"\n".join(pydyf._to_bytes(item) for item in obj.stream)
            obj.stream = [(_deflated_kept if len(data) <= KEPT_DEFLATED_BYTES else _deflate_as_pydyf)(data)]
            obj.extra["Filter"] = "/FlateDecode"
            obj.compress = False


def _stable_document_id(job: Job, pdf: pydyf.PDF) -> None:
    """WeasyPrint gives the XMP DocumentID a random UUID; derive it from the job so
    the same inputs give the same bytes (and printers' systems see one document)."""
    stable = f"xmp.did:{uuid.uuid5(uuid.NAMESPACE_URL, job.qr_url + '#' + job.output)}".encode()
    for obj in _xmp(pdf):
        obj.stream[0] = re.sub(rb"xmp\.did:[0-9a-f-]{36}", stable, obj.stream[0])


def _crop_marks(width: float, height: float, bleed: float) -> bytes:
    """Crop marks at the four corners, starting outside the bleed, in 100% K only."""
    gap = bleed + MARK_GAP_MM * PT_PER_MM
    length = MARK_LENGTH_MM * PT_PER_MM
    ops = ["q", "0 0 0 1 K", f"{MARK_WIDTH_PT} w"]
    for x, dx in ((0, -1), (width, 1)):
        for y, dy in ((0, -1), (height, 1)):
            ops.append(f"{x + dx * gap:.2f} {y:.2f} m {x + dx * (gap + length):.2f} {y:.2f} l S")
            ops.append(f"{x:.2f} {y + dy * gap:.2f} m {x:.2f} {y + dy * (gap + length):.2f} l S")
    ops.append("Q")
    return "\n".join(ops).encode()


# pydyf writes a PDF with an identifier (every PDF/X file) by serialising each object to
# write it, then every object again to hash them for the /ID: each stream deflated at
# level 9 twice, half of writing a poster. Nothing changes an object in between, so while
# a PDF is written each indirect object is serialised once and its bytes used twice.
_writing = threading.local()
_pydyf_write = pydyf.PDF.write
_pydyf_data = {kind: kind.data.fget for kind in (pydyf.Dictionary, pydyf.Array, pydyf.Stream)}


def _write_once(pdf, *args, **kwargs):
    _writing.kept = {}
    try:
        return _pydyf_write(pdf, *args, **kwargs)
    finally:
        _writing.kept = None


def _serialised_once(kind):
    def once(obj):
        kept = getattr(_writing, "kept", None)
        if kept is None or obj.number is None:  # not writing, or a direct object (made afresh)
            return _pydyf_data[kind](obj)
        if id(obj) not in kept:
            kept[id(obj)] = _pydyf_data[kind](obj)
        return kept[id(obj)]
    return property(once)


# Only over the write this was read from (pydyf 0.13.0's): another may change an object
# while it writes; then every object is serialised as pydyf does it.
_WRITE_SHA256 = "242cd38f92ecd33f831159f8eb560487bf2e18d746ff8a7666954f2a8d519ba0"
if hashlib.sha256(inspect.getsource(_pydyf_write).encode()).hexdigest() == _WRITE_SHA256:
    pydyf.PDF.write = _write_once
    for _kind in _pydyf_data:
        _kind.data = _serialised_once(_kind)
