"""Live links in screen copies; overprinting black in press PDFs (issue 14).

Links are read with pikepdf (annotations, structure tree, ParentTree) and the page
text with pdfminer.six; separations with Ghostscript's tiffsep, as a printer's
prepress would look at them."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np
import pikepdf
import pydyf
import pytest
from PIL import Image
from pdfminer.high_level import extract_text

from pipeline import layouts, links
from pipeline.content import load_campaigns, on_allow_list
from pipeline.inputs import find_phone_numbers, tel_href
from pipeline.layouts import render_html
from pipeline.overprint import overprint_stream
from pipeline.paths import CONTENT
from pipeline.plan import load_layouts, load_profiles, plan
from pipeline.render import render_pdf

CAMPAIGN = CONTENT / "no-matter-how-small.yaml"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ghostscript = pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript (make system-deps)")


@lru_cache(maxsize=None)
def rendered(product: str, profile: str, partner: str = "none"):
    campaigns = load_campaigns([CAMPAIGN])
    jobs = plan(campaigns, load_layouts(), [load_profiles()[profile]], only=[product], districts=["none"],
                partners=[partner], languages=["none"])
    job = next(j for j in jobs if j.statistic in (None, 0))
    html = render_html(job)
    return job, html, render_pdf(job, html)


SCREEN = [("leaflet-a5", "none"), ("wallet-card", "slt")]  # every kind of link; a partner's line


def _links(pdf: bytes):
    """(page index, URI, /Contents, annotation, document) of every link annotation."""
    doc = pikepdf.open(io.BytesIO(pdf))
    out = []
    for index, page in enumerate(doc.pages):
        for annotation in page.obj.get("/Annots", []):
            if annotation.get("/Subtype") == "/Link":
                out.append((index, str(annotation.A.URI), str(annotation.get("/Contents", "")), annotation))
    return doc, out


@pytest.mark.parametrize("product,partner", SCREEN)
def test_screen_copies_link_every_number_email_and_the_address(product, partner):
    job, _, result = rendered(product, "screen", partner)
    c = job.source.campaign
    doc, found = _links(result.pdf)
    for index in range(len(doc.pages)):
        text = extract_text(io.BytesIO(result.pdf), page_numbers=[index])
        targets = {uri for i, uri, _, _ in found if i == index}
        # Every number a reader reads on the page (E.164 when valid; 18001 101 is dialled as printed).
        wanted = {tel_href(n.written) for n in find_phone_numbers(text)}
        if c.labels.emergency in text:  # the report block: 999 and 101
            wanted |= {tel_href(c.report.emergency), tel_href(c.report.non_emergency)}
        if f"{c.labels.text_relay}:" in text:
            wanted |= {tel_href(r.number) for r in c.report.text_relay}
        wanted |= {f"mailto:{e}" for e in EMAIL.findall(text)}
        flat = "".join(text.split())
        if c.qr.label in flat or (job.spec.options.get("discreet") and c.qr.host_label in flat):
            wanted.add(job.qr_url)
        assert wanted <= targets, f"page {index + 1}: no link for {wanted - targets}"
    uris = [uri for _, uri, _, _ in found]
    assert {"tel:+448088020300", "tel:999", "tel:101", job.qr_url} <= set(uris)
    if product == "leaflet-a5":
        assert {"mailto:info@paladinservice.co.uk", "tel:18000", "tel:18001101", "tel:+442038664107"} <= set(uris)
    # The QR code links to what it encodes: one annotation over each code's box.
    codes = [p for p in result.layout if p.kind == "qr"]
    qr_links = [a for _, uri, contents, a in found if contents.startswith("QR code")]
    assert len(qr_links) == len(codes) >= 1
    for annotation, code in zip(qr_links, codes):
        assert str(annotation.A.URI) == job.qr_url
        x1, y1, x2, y2 = (float(v) for v in annotation.Rect)
        assert abs((x2 - x1) - code.rect[2] * 72 / 25.4) < 0.1 and abs((y2 - y1) - code.rect[3] * 72 / 25.4) < 0.1


@pytest.mark.parametrize("product,partner", SCREEN + [("wallet-card-discreet", "none")])
def test_links_are_described_and_in_the_structure_tree(product, partner):
    job, _, result = rendered(product, "screen", partner)
    doc, found = _links(result.pdf)
    assert found
    nums = doc.Root.StructTreeRoot.ParentTree.Nums
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for index, uri, contents, annotation in found:
        assert contents.strip() and contents != uri, (uri, contents)  # words, not the bare target
        element = parents[int(annotation.StructParent)]
        assert element.S == "/Link"
        objrs = [k for k in element.K if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"]
        assert [o.Obj.objgen for o in objrs] == [annotation.objgen]
        assert objrs[0].Pg.objgen == doc.pages[index].obj.objgen
        # A link holds what it shows: its text (marked content) or the code's figure.
        assert any(isinstance(k, int) or (isinstance(k, pikepdf.Dictionary) and k.get("/S") == "/Figure")
                   for k in element.K), uri
        assert element.P.get("/Type") == "/StructElem"
    if job.spec.options.get("discreet"):  # a link says no more than the card
        revealing = job.source.campaign.revealing_words
        assert not [c for _, _, c, _ in found if any(w.lower() in c.lower() for w in revealing)]


@pytest.mark.parametrize("product,partner", SCREEN)
def test_link_targets_are_tel_mailto_or_the_code_on_the_allow_list(product, partner):
    job, html, result = rendered(product, "screen", partner)
    _, found = _links(result.pdf)
    hosts = job.source.campaign.qr.allowed_hosts
    for _, uri, _, _ in found:
        scheme = uri.split(":", 1)[0]
        assert scheme in ("tel", "mailto") or (uri == job.qr_url and on_allow_list(uri, hosts)), uri
        if scheme == "tel":
            assert re.fullmatch(r"tel:(\+44\d{9,10}|\d{3,8})", uri), uri
    assert sorted(set(re.findall(r'<a href="([^"]+)"', html))) == sorted({u.replace("&", "&amp;") for _, u, _, _ in found
                                                                          if not u.startswith("https")}
                                                                         | {job.qr_url.replace("&", "&amp;")})
    assert links.allowed(job, job.qr_url) and links.allowed(job, "tel:999")
    for wrong in ("https://www.northyorkshire.police.uk.evil.example/stalking", "https://evil.example/",
                  "http://www.northyorkshire.police.uk/stalking", "javascript:alert(1)", "tel:", "tel:9 99",
                  job.source.campaign.qr.url + "?utm_content=other"):
        assert not links.allowed(job, wrong), wrong


def test_999_in_running_text_is_a_link_like_other_numbers():
    job, html, result = rendered("leaflet-a5", "screen")
    c = job.source.campaign
    _, found = _links(result.pdf)
    # The report block's 999, the tip "If you are in danger now, call 999." and the
    # silent solution's "call 999 and press 55": each a tel:999 link; 55 is a key, not a number.
    calls = [(index, contents) for index, uri, contents, _ in found if uri == "tel:999"]
    assert sorted(calls) == [(0, "Call 999"), (1, "Call 999"), (1, "Call 999")]
    assert "tel:55" not in html and any("999" in t for t in c.tips)
    # Text relay's "18000 for 999": 999 there names what 18000 is for; only 18000 is dialled.
    assert html.count('href="tel:999"') == 3
    with layouts._links_for(job):
        linked = str(layouts.keep_numbers("Call 999 or 101, not 1999, 101,5, 999% or 18001 101.", c.report))
    assert re.findall(r'href="tel:(\d+)"', linked) == ["999", "101"]
    press_job, press_html, _ = rendered("leaflet-a5", "press")
    assert "<a " not in press_html and "call 999" in press_html


@pytest.mark.parametrize("product,partner", [("leaflet-a5", "none"), ("wallet-card", "slt")])
def test_press_pdfs_have_no_links(product, partner):
    job, html, result = rendered(product, "press", partner)
    assert "<a " not in html
    with pikepdf.open(io.BytesIO(result.pdf)) as doc:
        assert all("/Annots" not in page.obj for page in doc.pages)
        assert not [o for o in doc.objects if isinstance(o, pikepdf.Dictionary) and o.get("/S") == "/Link"]


def _separations(pdf: bytes, tmp_path: Path, dpi: int = 300) -> dict[str, np.ndarray]:
    """Ghostscript's plates of page 1, as ink coverage 0..1."""
    source = tmp_path / "in.pdf"
    source.write_bytes(pdf)
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep", f"-r{dpi}",
                    "-dFirstPage=1", "-dLastPage=1", f"-sOutputFile={tmp_path / 'sep.tif'}", str(source)],
                   check=True, capture_output=True)
    return {plate: 1 - np.asarray(Image.open(tmp_path / f"sep({plate}).tif"), dtype=float) / 255
            for plate in ("Cyan", "Magenta", "Yellow", "Black")}


@ghostscript
def test_black_text_overprints_its_ground_in_the_separations(tmp_path):
    """The discreet card's outside: 'Useful numbers' in 100 % K on the tint (8/3/0/2).
    Knocked out, the cyan and magenta plates had a hole in the shape of every letter."""
    job, _, result = rendered("wallet-card-discreet", "press")
    [title] = [p for p in result.layout if p.page == 1 and p.kind == "text" and p.colour == (0, 0, 0)
               and p.background != (1, 1, 1) and p.element.endswith("h1.useful")]
    dpi = 300
    px = dpi / 25.4
    bleed = job.profile.spec.bleed_mm
    x, y, w, h = title.rect
    box = (slice(int((y + bleed) * px), int((y + bleed + h) * px)), slice(int((x + bleed) * px), int((x + bleed + w) * px)))
    plates = _separations(result.pdf, tmp_path, dpi)
    tint = job.colours["tint"].cmyk  # percent
    assert plates["Black"][box].max() > 0.99  # the letters are there, in full black
    for plate, percent in zip(("Cyan", "Magenta"), tint):
        under = plates[plate][box]
        assert abs(under.min() - percent / 100) < 0.02 and abs(under.max() - percent / 100) < 0.02, \
            (plate, under.min(), under.max())
    # Colour that is not 100 % K still knocks out: white letters on the navy outside
    # of the ordinary card carry no ink on any plate.
    job, _, card = rendered("wallet-card", "press", "slt")
    [white, *_] = [p for p in card.layout if p.page == 1 and p.kind == "text" and p.colour == (1, 1, 1)]
    x, y, w, h = white.rect
    box = (slice(int((y + bleed) * px), int((y + bleed + h) * px)), slice(int((x + bleed) * px), int((x + bleed + w) * px)))
    (tmp_path / "card").mkdir()
    plates = _separations(card.pdf, tmp_path / "card", dpi)
    assert plates["Cyan"][box].max() > 0.95  # the navy ground
    assert (sum(plates[p][box] for p in plates) < 0.02).mean() > 0.05  # paper white letters


def test_overprint_follows_the_colour_and_the_graphics_state():
    stream = (b"q /DeviceCMYK cs 0 0 0 1 scn 0 0 10 10 re f Q "
              b"/DeviceCMYK cs 1 0.75 0 0.6 scn 0 0 10 10 re f "
              b"q 0 0 0 1 scn BT /F1 9 Tf (a) Tj ET Q 0 0 5 5 re f "
              b"/DeviceCMYK CS 0 0 0 1 SCN 0 0 m 5 5 l S 0 0 0 1 k 0 0 1 1 re f")
    out, overprinted = overprint_stream(stream)
    ops = re.findall(rb"/(OPf[01]s[01]) gs|(\bf\b|\bTj\b|\bS\b)", out)
    sequence = [(a or b).decode() for a, b in ops]
    assert sequence == ["OPf1s0", "f", "f",  # after Q the state is the one before q: navy knocks out
                        "OPf1s0", "Tj", "f",  # black text in q ... Q; navy again after Q
                        "OPf0s1", "S", "OPf1s1", "f"], sequence
    assert overprinted == 4


def test_press_pdfs_stay_clean_and_reproducible(tmp_path):
    job, html, result = rendered("wallet-card", "press", "slt")
    if shutil.which("qpdf"):
        (tmp_path / "card.pdf").write_bytes(result.pdf)
        check = subprocess.run(["qpdf", "--check", str(tmp_path / "card.pdf")], capture_output=True)
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
    assert render_pdf(job, html).pdf == result.pdf
    with pikepdf.open(io.BytesIO(result.pdf)) as doc:
        assert doc.Root.OutputIntents[0].S == "/GTS_PDFX" and str(doc.trailer.Info.GTS_PDFXVersion) == "PDF/X-4"
        states = doc.pages[1].Resources.ExtGState
        assert states.OPf1s1.OP is True and states.OPf1s1.op is True and states.OPf1s1.OPM == 1
        assert b"/OPf1s0 gs" in doc.pages[1].Contents.read_bytes()


@pytest.mark.parametrize("profile", ["screen", "press"])
def test_a_link_typed_into_a_template_stops_the_render(tmp_path, profile):
    from pipeline.problems import RenderError
    from tests.test_preflight import layouts_copy

    folder = layouts_copy(tmp_path, {"poster.html": ("{{ p.qr_block(c, qr) }}",
                                                     '<a href="https://evil.example/">more</a>{{ p.qr_block(c, qr) }}')})
    [job, *_] = plan(load_campaigns([CAMPAIGN]), load_layouts(folder), [load_profiles()[profile]], only=["poster"],
                     districts=["none"], partners=["none"], languages=["none"])
    with pytest.raises(RenderError) as caught:
        render_pdf(job, render_html(job))
    assert "link" in str(caught.value.problems[0].what)


def test_the_codes_path_passes_through_with_the_same_result():
    """The QR code's modules (overprint.PathOnly) are not parsed: the stream comes out
    as if they had been, the state followed across them (their fill overprints)."""
    from pipeline import overprint

    items = [b"q", b"/DeviceCMYK cs", b"0 0 0 1 scn", overprint.PathOnly(b"0 0 3 1 re\n4 0 1 1 re\n0 1 5 1 re"),
             b"f", b"Q", b"/DeviceCMYK cs 0.2 0 0 0 scn", overprint.PathOnly(b"1 1 1 1 re"), b"f"]
    stream = pydyf.Stream(list(items))
    overprinted = overprint._rewrite(stream)
    expected, count = overprint_stream(b"\n".join(bytes(item) for item in items))
    assert stream.stream == [expected] and overprinted == count == 1
    assert b"0 0 3 1 re\n4 0 1 1 re\n0 1 5 1 re\n/OPf1s0 gs\nf" in expected
