"""Identity and the content the design uses, read from the PDFs themselves (PDFium,
pikepdf): the force's logo in its lockup (corner, minimum height, clear space), every
partner product with its partner's logo, the campaign's image converted and credited,
and as many services and signs as the campaign chose."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from pipeline.cli import main
from pipeline.content import load_campaign
from pipeline.problems import ContentError

from . import pdf_tools
from .conftest import DEFAULT_CAMPAIGN, ROOT, campaign_copy, write_campaign
from .test_preflight import errors, layouts_copy, run_preflight

PHONE_SCAMS = ROOT / "content" / "examples" / "phone-scams.yaml"
MM = 72 / 25.4
DPI = 200


def forms(path: Path) -> list[list[dict]]:
    """Each page's form XObjects as placed: box (x, y, w, h) in mm from the trim's
    top-left, and the page's raster (RGB, at DPI) cut to the box."""
    pages = []
    doc = pdfium.PdfDocument(str(path))
    try:
        for page in doc:
            left, bottom, right, top = page.get_trimbox()
            media_left, _, _, media_top = page.get_mediabox()
            raster = np.asarray(page.render(scale=DPI / 72).to_pil().convert("RGB")).astype(int)
            found = []
            for obj in page.get_objects(max_depth=1):
                if obj.type != pdfium_c.FPDF_PAGEOBJ_FORM:
                    continue
                x0, y0, x1, y1 = obj.get_bounds()
                box = ((x0 - left) / MM, (top - y1) / MM, (x1 - x0) / MM, (y1 - y0) / MM)
                k = DPI / 72
                pixels = raster[int((media_top - y1) * k):int((media_top - y0) * k),
                                int((x0 - media_left) * k):int((x1 - media_left) * k)]
                found.append({"box": box, "pixels": pixels})
            pages.append(found)
    finally:
        doc.close()
    return pages


def raster_of(path: Path, box) -> np.ndarray:
    """The first page's raster (RGB, at DPI) of `box` (mm from the trim's top-left)."""
    doc = pdfium.PdfDocument(str(path))
    try:
        page = doc[0]
        left, _, _, top = page.get_trimbox()
        media_left, _, _, media_top = page.get_mediabox()
        raster = np.asarray(page.render(scale=DPI / 72).to_pil().convert("RGB")).astype(int)
    finally:
        doc.close()
    k = DPI / 25.4
    x0, y0 = (left - media_left) / MM + box[0], (media_top - top) / MM + box[1]
    return raster[int(y0 * k):int((y0 + box[3]) * k), int(x0 * k):int((x0 + box[2]) * k)]


def inked(pixels: np.ndarray) -> float:
    """The share of the pixels that differ from the ground (the box's corner colour)."""
    ground = pixels[0, 0]
    return float(np.mean(np.abs(pixels - ground).max(axis=2) > 60))


# The stand-in logos by their colours as printed: SLT's purple, Paladin's teal.
PARTNER_COLOUR = {
    "slt": lambda p: (p[..., 2] > p[..., 1] + 40) & (p[..., 0] > p[..., 1] + 20),
    "paladin": lambda p: (p[..., 1] > p[..., 0] + 40) & (p[..., 2] > p[..., 0] + 20),
}


@pytest.fixture(scope="module")
def partner_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("partners")
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--partner", "slt", "--partner", "paladin",
                 "--profile", "press", "--jobs", "1"]) == 0
    return out / "no-matter-how-small"


def test_every_partner_product_shows_its_partners_logo(partner_build):
    campaign = load_campaign(DEFAULT_CAMPAIGN).campaign
    for partner in campaign.variants.partners.items:
        for product in partner.products:
            path = partner_build / "partners" / partner.id / f"{product}.pdf"
            logos = [f for page in forms(path) for f in page
                     if 3.5 < f["box"][2] / f["box"][3] < 4.1]  # the stand-ins draw 222-236 x 60 of 240 x 60
            assert len(logos) == 1, (path, [f["box"] for page in forms(path) for f in page])
            logo = logos[0]
            # The brand's minimum height, 8 mm (the box; the stand-ins draw 56 of its 60 units)
            assert logo["box"][3] >= 8 * 56 / 60 - 0.05, (path, logo["box"])
            # Visible in the raster, in the partner's own colour, not another's.
            assert inked(logo["pixels"]) > 0.15, path
            ours = PARTNER_COLOUR[partner.id](logo["pixels"]).mean()
            theirs = max(test(logo["pixels"]).mean() for pid, test in PARTNER_COLOUR.items() if pid != partner.id)
            assert ours > 0.05 and theirs < 0.01, (path, ours, theirs)


def test_the_partner_card_carries_its_strip_and_the_helpline_once(partner_build):
    text = " ".join(pdf_tools.text(partner_build / "partners" / "slt" / "wallet-card.pdf").split())
    assert "In partnership with: Suzy Lamplugh Trust" in text
    assert text.count("0808 802 0300") == 1, text


@pytest.fixture(scope="module")
def scams_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scams")
    assert main(["build", str(PHONE_SCAMS), "--out", str(out), "--only", "poster", "--only", "web-page",
                 "--jobs", "1"]) == 0
    return out / "phone-scams"


def test_the_force_logo_stands_in_its_corner_at_its_size_with_its_clear_space(scams_build):
    # content/brands/riverside-constabulary.yaml: top right, at least 10 mm, a quarter clear.
    for size, width in (("a4", 210), ("a3", 297), ("a2", 420)):
        path = scams_build / f"poster-{size}.pdf"
        # The crest draws 36 x 46 units of its 40 x 48.
        [crest] = [f for f in forms(path)[0] if abs(f["box"][2] / f["box"][3] - 36 / 46) < 0.03]
        x, y, w, h = crest["box"]
        assert h >= 10 * 46 / 48 - 0.05 and inked(crest["pixels"]) > 0.3, (size, crest["box"])
        assert x > width / 2 and y < 0.1 * width, (size, crest["box"])  # the top-right corner
        clear = 0.25 * h
        doc = pdfium.PdfDocument(str(path))
        page = doc[0]
        left, _, _, top = page.get_trimbox()
        textpage = page.get_textpage()
        near = ""
        for i in range(textpage.count_chars()):
            cl, cb, cr, ct = textpage.get_charbox(i)
            cx0, cy0, cx1, cy1 = (cl - left) / MM, (top - ct) / MM, (cr - left) / MM, (top - cb) / MM
            if cx1 > x - clear and cx0 < x + w + clear and cy1 > y - clear and cy0 < y + h + clear:
                near += textpage.get_text_range(i, 1)
        doc.close()
        # No text but the force's name, set beside the crest as the lockup has it ...
        assert set("".join(near.split())) <= set("RiversideConstabulary"), (size, near)
        # ... and nothing drawn above, left of or under it: one plain ground.
        for strip in ((x - clear, y - clear, w + clear, clear), (x - clear, y, clear, h), (x - clear, y + h, w + clear, clear)):
            assert inked(raster_of(path, strip)) < 0.01, (size, strip)


def test_the_image_is_printed_converted_cropped_and_credited(scams_build):
    for name, spaces in (("poster-a4.pdf", {"/DeviceCMYK", 4}), ("poster-a4-screen.pdf", {"/DeviceRGB", 3})):
        path = scams_build / name
        with pikepdf.open(path) as pdf:
            images = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream)
                      and obj.get("/Subtype") == "/Image" and int(obj.get("/Width", 0)) >= 4000]
            assert len(images) == 1, name
            space = images[0].get("/ColorSpace")
            kind = str(space) if not isinstance(space, pikepdf.Array) else int(space[1].get("/N"))
            assert kind in spaces, (name, space)
        assert "Illustration: Riverside Constabulary" in " ".join(pdf_tools.text(path).split())
    # The poster shows a band of it, the full width, above the contact strip.
    [picture] = [f for f in forms(scams_build / "poster-a4.pdf")[0] if f["box"][2] > 200] or [None]
    assert picture is None  # a raster image is an image XObject, not a form
    page = (scams_build / "web" / "index.html").read_text()
    assert 'alt="A phone ringing with an unknown caller on its screen' in page
    assert "<figcaption>Illustration: Riverside Constabulary</figcaption>" in page
    assert "data:image/jpeg;base64," in page


def test_preflight_refuses_a_logo_under_the_brands_minimum_and_a_rule_in_its_clear_space(tmp_path):
    # A designer's stylesheet that sets the logo's height itself and drops its clear
    # space: the poster's accent rule under the wordmark then runs under the crest.
    layouts = layouts_copy(tmp_path, {"base.css": (
        "padding: calc(var(--logo-clear) * var(--logo-used)) !important;\n  line-height: 1;",
        "padding: 0 !important;\n  line-height: 1;")})
    (layouts / "poster.css").write_text((layouts / "poster.css").read_text() + "\n.brand-logo { height: 6mm; }\n")
    code, report = run_preflight(tmp_path, "--only", "poster", "--profile", "press", content=PHONE_SCAMS,
                                 layouts=layouts)
    assert code == 1
    found = errors(report, "identity")
    small = [p for p in found if "the force's logo is 6.0 mm high" in p["what"] and "at least 10 mm" in p["what"]]
    crowded = [p for p in found if "clear space of the force's logo" in p["what"]]
    assert small and crowded, found
    assert all("lockup" in p["hint"] and "riverside-constabulary.yaml" in p["hint"] for p in small + crowded)


SMALL_CAMPAIGN = """\
name: Spot the signs
brand: north-yorkshire-police
products: [poster]
strapline:
  lead: Worried about someone?
  call: Talk to us.
signs:
  - First sign
  - Second sign
  - Third sign
  - Fourth sign
labels:
  signs: Spot the signs
report:
  non_emergency: "101"
  emergency: "999"
support:
  - name: First Helpline
    phone: 0808 802 0300
    note: Free, confidential, 24 hours.
  - name: Second Service
    phone: 0203 866 4107
  - name: Third Service
    phone: 0808 2000 247
show:
  poster: {support: 2, signs: 3}
qr:
  url: https://www.northyorkshire.police.uk/
  label: northyorkshire.police.uk
  allowed_hosts: [www.northyorkshire.police.uk]
"""


def test_a_poster_carries_the_services_and_signs_the_campaign_chose(tmp_path):
    path = write_campaign(tmp_path, SMALL_CAMPAIGN)
    out = tmp_path / "out"
    assert main(["build", str(path), "--out", str(out), "--only", "poster", "--profile", "press",
                 "--jobs", "1"]) == 0
    report = json.loads((out / "campaign" / "preflight.json").read_text())
    assert report["errors"] == 0, report["problems"]
    for size in ("a4", "a3", "a2"):
        text = " ".join(pdf_tools.text(out / "campaign" / f"poster-{size}.pdf").split())
        assert "First Helpline 0808 802 0300 Free, confidential, 24 hours." in text, text
        assert "Second Service 0203 866 4107" in text and "Third Service" not in text
        assert "Spot the signs" in text and "Third sign" in text and "Fourth sign" not in text


def test_a_card_carries_the_services_the_campaign_chose(tmp_path):
    text = SMALL_CAMPAIGN.replace("products: [poster]", "products: [wallet-card]")
    for chosen, shown in (("", ["Second Service", "Third Service"]), ("  wallet-card: {support: 2}\n", ["Second Service"])):
        path = write_campaign(tmp_path, text.replace("  poster: {support: 2, signs: 3}\n", chosen)
                              .replace("show:\n", "show:\n" if chosen else ""))
        out = tmp_path / f"out{len(shown)}"
        assert main(["build", str(path), "--out", str(out), "--profile", "press", "--jobs", "1"]) == 0
        card = " ".join(pdf_tools.text(out / "campaign" / "wallet-card.pdf").split())
        assert "First Helpline 0808 802 0300" in card
        for name, number in (("Second Service", "0203 866 4107"), ("Third Service", "0808 2000 247")):
            assert (f"{name} {number}" in card) == (name in shown), (chosen, card)


@pytest.mark.parametrize("old, new, field, says", [
    ("  poster: {support: 2, signs: 3}", "  postr: {support: 2}", "show", "did you mean 'poster'?"),
    ("  poster: {support: 2, signs: 3}", "  poster: {support: 0}", "show.poster.support", "greater than or equal to 1"),
    ("  - Fourth sign\n", "  - Fourth sign\nimage:\n  file: images/none.png\n  alt: Nothing\n", "image.file",
     "assets/images/none.png"),
    ("  - Fourth sign\n", "  - Fourth sign\nimage:\n  file: images/phone-scams-call.png\n", "image.alt", "alt"),
])
def test_a_mistake_in_the_new_fields_is_named_at_its_line(tmp_path, capsys, old, new, field, says):
    path = write_campaign(tmp_path, SMALL_CAMPAIGN.replace(old, new))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                if text.strip().startswith(field.split(".")[-1 if field == "image.file" else 0] + ":"))
    if field == "image.file":  # the file is checked where the campaign is planned, as logos are
        assert main(["check", str(path)]) == 1
        err = capsys.readouterr().err
        assert f"{path}:{line} image.file: image {says}: file not found" in err, err
        return
    with pytest.raises(ContentError) as caught:
        load_campaign(path)
    problems = [p for p in caught.value.problems if p.field and p.field.startswith(field.split(".")[0])]
    assert problems, caught.value.problems
    assert any(says in f"{p.what} {p.hint}" for p in problems), problems
    assert all(p.line and p.line >= line for p in problems), problems


def test_signs_to_show_need_signs(tmp_path):
    text = SMALL_CAMPAIGN.replace("signs:\n  - First sign\n  - Second sign\n  - Third sign\n  - Fourth sign\n", "")
    with pytest.raises(ContentError) as caught:
        load_campaign(write_campaign(tmp_path, text))
    assert any("no signs to show" in p.what for p in caught.value.problems), caught.value.problems


def test_a_districts_own_line_is_printed_and_a_line_that_repeats_101_is_not(tmp_path):
    text = DEFAULT_CAMPAIGN.read_text(encoding="utf-8")
    # A line that adds something (the example of docs/fields.md), for York only.
    text = text.replace("      - name: York\n", "      - name: York\n        line: York police station, Fulford Road\n")
    path = campaign_copy(tmp_path, text)
    out = tmp_path / "out"
    assert main(["build", str(path), "--out", str(out), "--only", "poster", "--only", "leaflet-a5",
                 "--district", "york", "--district", "selby", "--profile", "press", "--jobs", "1"]) == 0
    folder = out / "no-matter-how-small" / "districts"
    for product in ("poster-a3", "leaflet-a5"):
        york = " ".join(pdf_tools.text(folder / "york" / f"{product}.pdf").split())
        selby = " ".join(pdf_tools.text(folder / "selby" / f"{product}.pdf").split())
        assert "York police station, Fulford Road" in york, product
        assert "In Selby?" not in selby and "In York?" not in york, product
