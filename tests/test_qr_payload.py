"""Short QR payloads (issue 14).

Every code of the default campaign and the examples is a low QR version with modules
large enough for its product (cards 0.5 mm: version 4 at 22 mm), its tracking code
is short, plain, neutral and unique, the manifest says what each code stands for,
and one code of every product, press and screen, decodes from a simulated phone
photo with two decoders that are not the pipeline's (zxing-cpp and zbar). Cards
print nothing under 9 pt.
"""
from __future__ import annotations

import ctypes
import csv
import io
import json
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import qrcode
import zxingcpp
from PIL import Image, ImageFilter
from pyzbar import pyzbar
from qrcode.constants import ERROR_CORRECT_M

from pipeline.cli import main
from pipeline.content import load_campaigns
from pipeline.plan import load_layouts, load_profiles, media_bleed_mm, plan, select_profiles
from pipeline.problems import PipelineError
from pipeline.qr import QUIET_ZONE, modules_across, qr_version, short_name
from pipeline.fit import fitted as render

from .conftest import DEFAULT_CAMPAIGN, ROOT, campaign_copy

CAMPAIGNS = [DEFAULT_CAMPAIGN, *sorted((ROOT / "content" / "examples").glob("*.yaml"))]
CARDS = ("wallet-card", "wallet-card-discreet")
MM_PER_INCH = 25.4
DPI = 300


@pytest.fixture(scope="module")
def jobs():
    """Every job of the default campaign and the examples that prints a code: press and
    screen (a social image carries a link, no code: tests/test_social.py)."""
    every = plan(load_campaigns(CAMPAIGNS), load_layouts(), select_profiles(load_profiles(), None))
    assert any(job.social for job in every)  # the filter below has something to leave out
    return [job for job in every if not job.social]


def _worst(jobs, key):
    """Per key, the job with the longest QR payload (the densest code)."""
    worst = {}
    for job in jobs:
        k = key(job)
        if k not in worst or len(job.qr_url) > len(worst[k].qr_url):
            worst[k] = job
    return worst


@pytest.fixture(scope="module")
def rendered(jobs):
    """Renders of the densest code of each campaign, product, size and profile
    (the examples in press only: their codes are the bare page)."""
    chosen = _worst([j for j in jobs if j.source.slug == DEFAULT_CAMPAIGN.stem or j.profile.name == "press"],
                    lambda j: (j.source.slug, j.product, j.size, j.profile.name))
    return {key: (job, render(job)[1]) for key, job in chosen.items()}


def _code_box(result) -> tuple[int, tuple[float, float, float, float]]:
    """The page and box of the product's code; of a two-sided one (a bilingual poster
    printed back to back, a code a side), the smallest."""
    codes = [p for p in result.layout if p.kind == "qr"]
    assert codes, "no code on the page"
    code = min(codes, key=lambda p: p.rect[2])
    return code.page, code.rect


# ---------------------------------------------------------------- payload, version, module size


def test_every_code_is_short_and_a_low_version(jobs):
    table = []
    for job in jobs:
        url, version = job.qr_url, qr_version(job.qr_url)
        table.append(f"{job.source.slug}/{job.output}: {len(url)} characters, version {version}")
        limit = 4 if job.product in CARDS else 5
        assert version <= limit, "\n".join(table)
        if job.source.campaign.qr.utm:
            assert len(url) <= len(job.source.campaign.qr.url) + 3 + 14 + 4, url
        else:
            assert url == job.source.campaign.qr.url  # no tracking asked for: the bare page


def test_every_code_has_modules_large_enough_for_its_product(jobs, rendered):
    layouts = load_layouts()
    for card in CARDS:
        assert layouts.products[card].min_qr_module_mm == 0.5
    sizes = {(slug, product, size): _code_box(result)[1][2]
             for (slug, product, size, _), (_, result) in rendered.items()}
    report = []
    for job in jobs:
        size = sizes[(job.source.slug, job.product, job.size)]
        module = size / modules_across(job.qr_url)
        report.append(f"{job.source.slug}/{job.output}: {size:.1f} mm, v{qr_version(job.qr_url)}, "
                      f"{module:.3f} mm modules (needs {job.min_qr_module_mm})")
        assert module >= job.min_qr_module_mm, "\n".join(report)
        if job.product in CARDS:
            assert module >= 0.5 and qr_version(job.qr_url) <= 4, report[-1]


def test_preflight_refuses_modules_under_the_products_minimum(tmp_path, campaign_text):
    """A long variant name cannot crowd a card's code: preflight names the module size."""
    from pipeline.preflight import preflight

    # A page address long enough to push the cards to version 5 (0.49 mm modules).
    text = campaign_text.replace("  url: https://www.northyorkshire.police.uk/stalking",
                                 "  url: https://www.northyorkshire.police.uk/stalking/get-help-now")
    text = text.replace("  label: northyorkshire.police.uk/stalking",
                        "  label: northyorkshire.police.uk/stalking/get-help-now")
    [job] = [j for j in plan(load_campaigns([campaign_copy(tmp_path, text)]), load_layouts(),
                             [load_profiles()["press"]], only=["wallet-card"], districts=["none"],
                             partners=["none"], languages=["none"])]
    assert qr_version(job.qr_url) == 5
    html, result = render(job)
    problems, _ = preflight(job, html, result)
    [problem] = [p for p in problems if p.check == "qr" and p.level == "error"]
    assert "modules are 0.49 mm (version 5" in problem.what and "needs at least 0.5 mm" in problem.what
    assert "at least 22.5 mm" in problem.hint


# ---------------------------------------------------------------- neutral, plain, unique codes


def test_tracking_codes_are_plain_neutral_and_unique(jobs):
    seen = {}
    for job in jobs:
        campaign = job.source.campaign
        if campaign.qr.utm is None:
            continue
        page, query = job.qr_url.split("?")
        # A discreet product's code opens the campaign's neutral discreet_url.
        wanted = campaign.qr.discreet_url if job.spec.options.get("discreet") else campaign.qr.url
        assert page == wanted and query == f"c={job.tracking_code}"
        assert not campaign.reveals(query), job.qr_url
        # No words of the product or variant: only short codes (a district's or a
        # partner's name of more than 7 characters is shortened), no statistic's words.
        for word in ("wallet", "card", "discreet", "poster", "leaflet", "stat", "over", "richmondshire", "harrogate"):
            assert word not in query, job.qr_url
        key = (job.source.slug, job.tracking_code)
        assert seen.setdefault(key, job.output) == job.output, f"{key} names {seen[key]} and {job.output}"
    codes = {j.tracking_code for j in jobs if j.source.slug == DEFAULT_CAMPAIGN.stem}
    assert {"pa3-york", "pa3-york.pdf", "wc", "wc.pdf", "wc-ur", "wd", "wc-slt", "spa3s2", "ld-paladin"} <= codes


def test_long_names_are_shortened_the_same_way_every_time():
    assert short_name("york") == "york" and short_name("paladin") == "paladin"
    code = short_name("richmondshire")
    assert len(code) == 7 and code.startswith("rich") and short_name("richmondshire") == code
    assert short_name("richmond-shire") != code  # the check characters tell similar names apart
    other = short_name("richmondshire", taken=lambda candidate: candidate == code)
    assert other != code and other.startswith("rich") and len(other) == 7


def test_a_code_that_would_reveal_the_subject_is_refused(tmp_path, campaign_text):
    text = campaign_text.replace("revealing_words: [stalk,", "revealing_words: [pa3, stalk,")
    with pytest.raises(PipelineError) as caught:
        plan(load_campaigns([campaign_copy(tmp_path, text)]), load_layouts(), [load_profiles()["press"]],
             only=["poster"], districts=["none"], partners=["none"], languages=["none"])
    [problem] = caught.value.problems
    assert "'pa3'" in problem.what and "revealing_words" in problem.what and problem.field == "qr.utm"


def test_two_files_with_one_code_are_refused(tmp_path, campaign_text):
    """A district and a partner of the same short name would share the A5's code."""
    text = campaign_text.replace("      - id: paladin", "      - id: selby")
    with pytest.raises(PipelineError) as caught:
        plan(load_campaigns([campaign_copy(tmp_path, text)]), load_layouts(), [load_profiles()["press"]],
             only=["leaflet-a5"])
    [problem] = caught.value.problems
    assert "district 'Selby' and partner 'selby'" in problem.what and "same QR tracking code" in problem.what
    assert "'la5-selby'" in problem.what and problem.field == "variants.partners.items[1].id"
    assert "districts/selby/leaflet-a5.pdf" in problem.what and "partners/selby/leaflet-a5.pdf" in problem.what


# ---------------------------------------------------------------- the manifest and the cards as built


@pytest.fixture(scope="module")
def cards(tmp_path_factory) -> Path:
    """Both cards, county-wide, partners' and Urdu, press and screen."""
    out = tmp_path_factory.mktemp("cards")
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--only", "wallet-card",
                 "--only", "wallet-card-discreet", "--district", "none", "--language", "none",
                 "--language", "ur", "--jobs", "2"]) == 0
    return out / DEFAULT_CAMPAIGN.stem


def test_the_manifest_says_what_each_code_stands_for(cards):
    manifest = json.loads((cards / "manifest.json").read_text())
    entries = [e for e in manifest["outputs"] if not e.get("imposed_from")]
    assert len(entries) == 10
    for entry in manifest["outputs"]:
        page = "" if "discreet" in entry["product"] else "stalking"  # the discreet card's neutral page: home
        assert entry["qr_url"] == f"https://www.northyorkshire.police.uk/{page}?c={entry['tracking_code']}"
        medium = "pdf" if entry["profile"] == "screen" else "print"
        variant = f"-{entry['variant']}" if entry["variant"] else ""
        assert entry["tracking"] == {"utm_source": "nyp", "utm_medium": medium, "utm_campaign": "nmhs19",
                                     "utm_content": entry["product"].removeprefix("imposed-") + variant}
    by_path = {e["path"]: e for e in manifest["outputs"]}
    assert by_path["partners/slt/wallet-card.pdf"]["tracking_code"] == "wc-slt"
    assert by_path["languages/ur/wallet-card-discreet-screen.pdf"]["tracking_code"] == "wd-ur.pdf"
    for sheet in (e for e in manifest["outputs"] if e.get("imposed_from")):
        assert sheet["tracking_code"] == by_path[sheet["imposed_from"]]["tracking_code"]
    assert len({e["tracking_code"] for e in entries}) == len(entries)
    rows = list(csv.DictReader(io.StringIO((cards / "manifest.csv").read_text())))
    assert {r["path"]: r["tracking_code"] for r in rows} == {e["path"]: e["tracking_code"] for e in manifest["outputs"]}


def _type_sizes_pt(path: Path):
    """(page, character, size in pt) of every printed character, as PDFium reads it."""
    for number, page in enumerate(pdfium.PdfDocument(path), 1):
        text = page.get_textpage()
        for i in range(text.count_chars()):
            char = chr(pdfium_c.FPDFText_GetUnicode(text.raw, i))
            if not char.strip():
                continue
            matrix = pdfium_c.FS_MATRIX()
            pdfium_c.FPDFText_GetMatrix(text.raw, i, ctypes.byref(matrix))
            scale = abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
            yield number, char, pdfium_c.FPDFText_GetFontSize(text.raw, i) * scale


def test_cards_print_nothing_under_9_pt_and_numbers_larger(cards):
    layouts = load_layouts()
    for card in CARDS:
        assert {s.min_type_pt for s in layouts.products[card].sizes.values()} == {9}
    press = [p for p in cards.rglob("*.pdf") if "screen" not in p.name and "imposed" not in p.name]
    assert len(press) == 5
    for path in press:
        sizes = list(_type_sizes_pt(path))
        assert sizes and min(size for _, _, size in sizes) >= 9 - 0.01, path
        # The inside's numbers (999, 101, the helpline) are larger than the text.
        digits = [size for page, char, size in sizes if page == 2 and char.isdigit()]
        assert digits and min(digits) >= 10 - 0.01, path
    report = json.loads((cards / "preflight.json").read_text())
    assert not [p for p in report["problems"] if p["level"] == "error"]


# ---------------------------------------------------------------- a phone's photo, two decoders


def phone_photo(image: Image.Image) -> Image.Image:
    """What a phone makes of a code held in front of it: a 300 dpi raster blurred by
    0.17 mm (focus, hand shake), turned 4 degrees, halved (150 dpi at the sensor) and
    saved as a JPEG at quality 60."""
    image = image.convert("RGB").filter(ImageFilter.GaussianBlur(2.0))
    image = image.rotate(4, resample=Image.BICUBIC, expand=True, fillcolor=(255, 255, 255))
    image = image.resize((image.width // 2, image.height // 2), Image.BILINEAR)
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=60)
    return Image.open(io.BytesIO(jpeg.getvalue())).convert("RGB")


def decode_both(image: Image.Image) -> tuple[list[str], list[str]]:
    """What zxing-cpp and zbar each read in the image."""
    zxing = [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    zbar = [r.data.decode() for r in pyzbar.decode(image.convert("L"), symbols=[pyzbar.ZBarSymbol.QRCODE])]
    return zxing, zbar


def _raster_of_code(job, result, margin_mm: float = 6) -> Image.Image:
    """The code's area of the rendered page (plus a margin), at 300 dpi."""
    page_number, (x, y, w, h) = _code_box(result)
    page = pdfium.PdfDocument(result.pdf)[page_number - 1]
    scale = DPI / MM_PER_INCH
    image = page.render(scale=DPI / 72).to_pil()
    bleed = media_bleed_mm(job)
    box = [round((v + bleed) * scale) for v in (x - margin_mm, y - margin_mm, x + w + margin_mm, y + h + margin_mm)]
    return image.crop(box)


def test_every_products_code_decodes_from_a_phone_photo_with_two_decoders(rendered):
    products = load_layouts().products
    tried = set()
    for (slug, product, size, profile), (job, result) in sorted(rendered.items()):
        made = [s for s in products[product].sizes if (slug, product, s, profile) in rendered]
        if slug != DEFAULT_CAMPAIGN.stem or size != min(made, key=lambda s: _code_box(
                rendered[(slug, product, s, profile)][1])[1][2]):
            continue  # per product, the size with the smallest code
        zxing, zbar = decode_both(phone_photo(_raster_of_code(job, result)))
        assert zxing == [job.qr_url] and zbar == [job.qr_url], (job.output, zxing, zbar)
        tried.add((product, profile))
    # Every product the default campaign makes (a 6-sheet is ordered by none), press and screen.
    assert tried == {(p, profile) for (slug, p, _, profile) in rendered if slug == DEFAULT_CAMPAIGN.stem}
    assert {p for p, _ in tried} >= {"poster", "leaflet-a5", "leaflet-dl", "stat-poster", "wallet-card"}


def _drawn(url: str, mm: float) -> Image.Image:
    """The code the pipeline would make of `url`, drawn at `mm` (quiet zone included)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    code.add_data(url)
    matrix = code.get_matrix()
    modules = Image.new("L", (len(matrix), len(matrix)), 255)
    modules.putdata([0 if dark else 255 for row in matrix for dark in row])
    pixels = round(mm / MM_PER_INCH * DPI)
    page = Image.new("L", (pixels + 140, pixels + 140), 255)
    page.paste(modules.resize((pixels, pixels), Image.NEAREST), (70, 70))
    return page


def test_the_photo_is_hard_enough_to_fail_the_old_card_codes():
    """The simulated photo is not a formality: the 125-character payload of before
    (version 8, 0.39 mm modules on a 22 mm card code) fails it with both decoders;
    today's longest card payload (version 4) passes."""
    page = "https://www.northyorkshire.police.uk/stalking"
    old = page + "?utm_source=nyp&utm_medium=print&utm_campaign=nmhs19&utm_content=wallet-card-slt"
    new = page + "?c=wd-paladin.pdf"  # 62 bytes: as long as a card's code can be at version 4
    assert (qr_version(old), qr_version(new)) == (8, 4)
    assert decode_both(phone_photo(_drawn(old, 22))) == ([], [])
    assert decode_both(phone_photo(_drawn(new, 22))) == ([new], [new])


def test_print_profiles_of_one_document_share_its_code():
    """press, press-x1a-marks and large-format print the same document: one code."""
    every = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(), list(load_profiles().values()),
                 only=["wallet-card"], districts=["none"], partners=["none"], languages=["none"])
    codes = {job.profile.name: job.tracking_code for job in every}
    assert codes == {"press": "wc", "press-x1a-marks": "wc", "large-format": "wc", "screen": "wc.pdf"}


def test_a_jobs_tracking_code_is_worked_out_once(jobs, monkeypatch):
    """A long district name's short code looks for revealing words in each candidate: a
    job works it out once, however often its QR address and manifest entries ask."""
    from dataclasses import replace

    from pipeline.build.manifest import variant_fields
    from pipeline.plan import job as job_module

    calls = []
    def counted(name, taken=lambda code: False):
        calls.append(name)
        return short_name(name, taken)

    monkeypatch.setattr(job_module, "short_name", counted)
    district = next(j for j in jobs if j.district and len(j.variant) > 7)
    fresh = replace(district)  # a new Job: nothing worked out yet
    codes = {fresh.tracking_code, variant_fields(fresh)["tracking_code"], fresh.qr_url.rpartition("=")[2]}
    assert codes == {district.tracking_code} and calls == [district.variant]
