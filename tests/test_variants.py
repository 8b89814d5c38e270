"""Variants and batch production: districts, partners, languages, the key-statistic
series and wallet cards; parallel builds, the cache, the manifest, the print order."""
from __future__ import annotations

import csv
import json
import shutil

import pikepdf
import pypdfium2 as pdfium
import pytest

from pipeline.cli import main
from pipeline.content import load_campaign, load_campaigns
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles
from pipeline.problems import ContentError

from . import pdf_tools
from .conftest import DEFAULT_CAMPAIGN, campaign_copy

ALL_DISTRICTS = ["Craven", "Hambleton", "Harrogate", "Richmondshire", "Ryedale", "Scarborough", "Selby", "York"]


def manifest_of(out):
    return json.loads((out / "no-matter-how-small" / "manifest.json").read_text())


def build(tmp_path, *args, out=None) -> tuple[int, object]:
    out = out or tmp_path / "out"
    code = main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--profile", "press", *args])
    return code, out


def test_plan_covers_every_district_partner_and_language():
    campaigns = load_campaigns([DEFAULT_CAMPAIGN])
    jobs = plan(campaigns, load_layouts(), select_profiles(load_profiles(), "press"))
    districts = {j.district.name for j in jobs if j.district}
    assert districts == set(ALL_DISTRICTS)
    assert {j.partner.id for j in jobs if j.partner} == {"slt", "paladin"}
    assert {j.language for j in jobs if j.language} == {"ur", "pl", "ro", "ar"}
    # Every output path and every tracking name is unique.
    assert len({j.output for j in jobs}) == len(jobs)
    assert len({j.name for j in jobs}) == len(jobs)
    # One key-statistic poster per statistic and size.
    stats = [j for j in jobs if j.product == "stat-poster" and not j.variant]
    assert len(stats) == 2 * len(campaigns[0].campaign.statistics)
    for job in jobs:
        query = job.qr_url.split("?", 1)[1]
        assert "stalk" not in query and "victim" not in query, job.qr_url


def test_list_shows_the_jobs_a_selection_would_build(capsys):
    assert main(["list", str(DEFAULT_CAMPAIGN), "--district", "york", "--profile", "press"]) == 0
    lines = capsys.readouterr().out.split()
    assert lines == sorted(lines, key=lines.index)  # stable order
    assert set(lines) == {f"no-matter-how-small/districts/york/{name}.pdf"
                          for name in ("poster-a4", "poster-a3", "poster-a2", "leaflet-a5")}


def test_profile_repeats_and_an_unknown_one_is_named(capsys):
    """--profile repeats as the README says: each profile named, in profiles/ order."""
    assert main(["list", str(DEFAULT_CAMPAIGN), "--district", "york", "--only", "poster",
                 "--profile", "screen", "--profile", "large-format"]) == 0
    lines = capsys.readouterr().out.split()
    assert len(lines) == 6
    assert sum(line.endswith("-large-format.pdf") for line in lines) == 3
    assert sum(line.endswith("-screen.pdf") for line in lines) == 3
    assert main(["list", str(DEFAULT_CAMPAIGN), "--profile", "screen", "--profile", "presss"]) == 1
    assert "unknown profile 'presss'" in capsys.readouterr().err


def test_a_district_by_its_printed_name_and_an_unknown_selection_are_understood(capsys):
    # A new user types the district as printed: "Craven" selects craven's jobs; a
    # district, partner or language the campaigns do not have is an error naming the
    # choices, not "0 job(s)" and exit 0 (a build that makes nothing, silently).
    assert main(["list", str(DEFAULT_CAMPAIGN), "--district", "Craven", "--only", "poster",
                 "--profile", "press"]) == 0
    assert capsys.readouterr().out.split() == [f"no-matter-how-small/districts/craven/poster-{size}.pdf"
                                               for size in ("a4", "a3", "a2")]
    for option, value, names in (("--district", "cravn", "craven"), ("--partner", "acme", "slt"),
                                 ("--language", "fr", "ur")):
        assert main(["list", str(DEFAULT_CAMPAIGN), option, value]) == 1
        err = capsys.readouterr().err
        assert f"{option}: unknown" in err and repr(value) in err and names in err and "none" in err, err


def test_district_poster_carries_its_tracking_and_no_line_that_repeats_101(tmp_path):
    code, out = build(tmp_path, "--district", "craven", "--only", "poster")
    assert code == 0
    entries = [e for e in manifest_of(out)["outputs"] if e["product"] == "poster"]
    assert {e["district"] for e in entries} == {"Craven"}
    entry = next(e for e in entries if e["size"] == "A3")
    path = out / "no-matter-how-small" / entry["path"]
    assert entry["path"] == "districts/craven/poster-a3.pdf"
    # "In Craven? Call 101 to report it." only repeats the 101 line above it (issue 23).
    assert "In Craven?" not in " ".join(pdf_tools.text(path).split())
    assert pdf_tools.decode_qr(path) == [[entry["qr_url"]]]
    assert entry["qr_url"].endswith("?c=pa3-craven")
    assert entry["tracking_code"] == "pa3-craven" and entry["tracking"]["utm_content"] == "poster-a3-craven"


def test_partner_wallet_card_logo_contact_and_imposed_sheet(tmp_path):
    code, out = build(tmp_path, "--partner", "slt", "--only", "wallet-card")
    assert code == 0
    entries = {e["path"]: e for e in manifest_of(out)["outputs"]}
    card = entries["partners/slt/wallet-card.pdf"]
    assert card["partner"] == "slt" and card["copies"] == 2000
    folder = out / "no-matter-how-small"
    text = " ".join(pdf_tools.text(folder / card["path"]).split())
    assert "National Stalking Helpline 0808 802 0300" in text
    # The logo (SVG, converted to CMYK) is drawn: the press PDF is still CMYK only.
    used = pdf_tools.colour_operators(folder / card["path"])
    assert not used["operators"] & pdf_tools.RGB_OPERATORS
    sheet = entries["partners/slt/wallet-card-imposed-a4.pdf"]
    assert sheet["product"] == "imposed-wallet-card" and sheet["imposed_from"] == card["path"] and sheet["up"] == 8
    boxes = pdf_tools.page_boxes_mm(folder / sheet["path"])
    assert len(boxes) == 2 and boxes[0]["MediaBox"] == pytest.approx((210, 297), abs=0.05)
    # Eight cards on the sheet, each code still scans.
    codes = pdf_tools.decode_qr(folder / sheet["path"], dpi=200)
    assert len(codes[1]) == 8 and set(codes[1]) == {card["qr_url"]}


def test_discreet_card_says_nothing_outside(tmp_path):
    code, out = build(tmp_path, "--only", "wallet-card-discreet", "--district", "none", "--language", "none")
    assert code == 0
    path = out / "no-matter-how-small" / "wallet-card-discreet.pdf"
    doc = pdfium.PdfDocument(str(path))
    outside = doc[0].get_textpage().get_text_range().lower()
    inside = doc[1].get_textpage().get_text_range().lower()
    doc.close()
    assert "useful numbers" in outside
    for word in ("stalk", "police", "no matter how small", "#nomatterhowsmall"):
        assert word not in outside, word
    assert "999" in inside and "0808 802 0300" in inside and "stalking" not in inside
    assert pdf_tools.decode_qr(path)[0] == []  # no code outside


def test_key_statistic_series_one_poster_per_statistic(tmp_path):
    code, out = build(tmp_path, "--only", "stat-poster", "--district", "none", "--language", "none")
    assert code == 0
    c = load_campaign(DEFAULT_CAMPAIGN).campaign
    entries = [e for e in manifest_of(out)["outputs"] if e["size"] == "A3"]
    assert sorted(e["statistic"] for e in entries) == list(range(len(c.statistics)))
    for entry in entries:
        stat = c.statistics[entry["statistic"]]
        source = c.source(stat.source)
        text = " ".join(pdf_tools.text(out / "no-matter-how-small" / entry["path"]).split())
        assert stat.figure in text and stat.text in text
        # One footnote on the poster: one mark, "*", whatever the source's mark.
        assert f"*According to {source.name}." in text and "**" not in text
        assert " ".join(c.strapline.lead.split()) in text


def test_urdu_renders_right_to_left_with_its_own_font(tmp_path):
    code, out = build(tmp_path, "--language", "ur", "--only", "poster")
    assert code == 0  # the draft translation is a warning, not an error
    entry = next(e for e in manifest_of(out)["outputs"] if e["size"] == "A4")
    assert entry["language"] == "ur" and entry["path"] == "languages/ur/poster-a4.pdf"
    path = out / "no-matter-how-small" / entry["path"]
    fonts = pdf_tools.fonts(path)
    assert any("NotoNastaliqUrdu" in name.replace("-", "") for name, _ in fonts)
    assert all(embedded for _, embedded in fonts)
    # Lines start at the right: the force's name (in Latin letters) is set flush
    # right, where the English poster sets it flush left.
    def wordmark_left(pdf):
        doc = pdfium.PdfDocument(str(pdf))
        try:
            text = doc[0].get_textpage()
            left, _, _, _ = text.get_charbox(text.get_text_range().index("North Yorkshire Police"))
            return left / doc[0].get_width()
        finally:
            doc.close()

    assert wordmark_left(path) > 0.5
    build(tmp_path, "--only", "poster", "--language", "none", "--district", "none", out=tmp_path / "en")
    assert wordmark_left(tmp_path / "en" / "no-matter-how-small" / "poster-a4.pdf") < 0.2
    report = json.loads((out / "no-matter-how-small" / "preflight.json").read_text())
    assert {p["check"] for p in report["problems"]} == {"translation"}


def test_missing_translation_is_an_error_naming_the_key(tmp_path, campaign_text):
    source = campaign_copy(tmp_path, campaign_text)
    translations = source.parent / "translations"
    translations.unlink()
    shutil.copytree(DEFAULT_CAMPAIGN.parent / "translations", translations)
    urdu = translations / "no-matter-how-small" / "ur.yaml"
    text = urdu.read_text()
    text = text.replace("  - پیغامات، خطوط اور تحفے بطور ثبوت سنبھال کر رکھیں۔\n", "")
    text = text.replace("اگر آپ ابھی خطرے میں ہیں تو 999 پر کال کریں۔", "اگر آپ ابھی خطرے میں ہیں تو 998 پر کال کریں۔")
    urdu.write_text(text)
    with pytest.raises(ContentError) as caught:
        load_campaigns([source])
    messages = [(p.field, p.what) for p in caught.value.problems]
    assert ("tips[3]", "missing translation for tips[3]") in messages
    assert any(field == "tips[2]" and "digits" in what for field, what in messages)
    assert all(p.file == str(urdu) for p in caught.value.problems)


def test_wrong_number_in_a_partner_line_is_an_error(tmp_path, campaign_text):
    source = campaign_copy(tmp_path, campaign_text.replace(
        "contact: National Stalking Helpline 0808 802 0300", "contact: National Stalking Helpline 0808 802 0301"))
    with pytest.raises(ContentError) as caught:
        load_campaigns([source])
    [problem] = caught.value.problems
    assert problem.field == "variants.partners.items[0].contact"
    assert "'0808 802 0301' is not one of the support numbers" in problem.what
    assert problem.line == campaign_text.splitlines().index(
        "        contact: National Stalking Helpline 0808 802 0300") + 1


def test_unchanged_jobs_are_kept_and_a_changed_stylesheet_rebuilds_only_its_jobs(tmp_path, capsys):
    from .test_preflight import layouts_copy

    layouts = layouts_copy(tmp_path, {})
    args = ["--district", "york", "--jobs", "2", "--layouts", str(layouts)]
    code, out = build(tmp_path, *args)
    assert code == 0
    first = {e["path"]: e["sha256"] for e in manifest_of(out)["outputs"]}
    capsys.readouterr()
    assert build(tmp_path, *args)[0] == 0
    assert "built 0 PDF(s), 4 unchanged (kept)" in capsys.readouterr().out
    (layouts / "poster-a4.css").write_text((layouts / "poster-a4.css").read_text() + "\n/* touched */\n")
    assert build(tmp_path, *args)[0] == 0
    assert "built 1 PDF(s), 3 unchanged (kept)" in capsys.readouterr().out
    assert build(tmp_path, *args, "--force")[0] == 0
    assert "built 4 PDF(s), 0 unchanged (kept)" in capsys.readouterr().out
    # A comment in a stylesheet changes nothing printed: same bytes.
    assert {e["path"]: e["sha256"] for e in manifest_of(out)["outputs"]} == first


def test_subset_build_keeps_the_rest_of_the_manifest(tmp_path):
    out = tmp_path / "out"
    assert build(tmp_path, "--district", "york", "--only", "poster", out=out)[0] == 0
    assert build(tmp_path, "--district", "selby", "--only", "poster", out=out)[0] == 0
    districts = {e["district"] for e in manifest_of(out)["outputs"]}
    assert districts == {"York", "Selby"}
    # The report covers the whole folder too, not just the last run.
    report = json.loads((out / "no-matter-how-small" / "preflight.json").read_text())
    assert {o["path"] for o in report["outputs"]} == {
        e["path"] for e in manifest_of(out)["outputs"] if "imposed_from" not in e}


def test_one_broken_job_does_not_stop_the_others(tmp_path, capsys):
    from .test_preflight import layouts_copy

    layouts = layouts_copy(tmp_path, {"stat-poster.html": ("{{ statistic.figure }}", "{{ statistic.figur }}")})
    code, out = build(tmp_path, "--only", "stat-poster", "--only", "wallet-card", "--district", "none",
                      "--language", "none", "--layouts", str(layouts))
    assert code == 1
    err = capsys.readouterr().err
    line = (layouts / "stat-poster.html").read_text().splitlines().index(
        '    <p class="big-figure">{{ statistic.figur }}</p>') + 1
    assert f"stat-poster.html:{line}: template uses" in err and "figur" in err
    paths = {e["path"] for e in manifest_of(out)["outputs"]}
    assert "wallet-card.pdf" in paths and not any(p.startswith("stat-poster") for p in paths)
    report = json.loads((out / "no-matter-how-small" / "preflight.json").read_text())
    assert report["errors"] >= 1
    assert any("figur" in p["what"] and p["file"] == "layouts/stat-poster.html" for p in report["problems"])


def test_print_order_and_csv_manifest(tmp_path):
    code, out = build(tmp_path, "--only", "poster", "--only", "leaflet-a5", "--partner", "none", "--language", "none")
    assert code == 0
    folder = out / "no-matter-how-small"
    with open(folder / "print-order.csv") as f:
        rows = list(csv.DictReader(f))
    york = {(r["product"], r["size"]): int(r["copies"]) for r in rows if r["district"] == "York"}
    assert york == {("poster", "A4"): 40, ("poster", "A3"): 40, ("poster", "A2"): 40, ("leaflet-a5", "A5"): 1200}
    assert {r["district"] for r in rows} == set(ALL_DISTRICTS)
    with open(folder / "manifest.csv") as f:
        listed = {r["path"] for r in csv.DictReader(f)}
    assert listed == {e["path"] for e in manifest_of(out)["outputs"]}


def test_parallel_build_is_byte_identical_to_serial(tmp_path):
    serial = build(tmp_path, "--district", "ryedale", "--jobs", "1", out=tmp_path / "one")[1]
    parallel = build(tmp_path, "--district", "ryedale", "--jobs", "2", out=tmp_path / "two")[1]
    one = {e["path"]: e["sha256"] for e in manifest_of(serial)["outputs"]}
    two = {e["path"]: e["sha256"] for e in manifest_of(parallel)["outputs"]}
    assert one == two and len(one) >= 5  # imposed sheet included
    with pikepdf.open(serial / "no-matter-how-small" / "districts/ryedale/leaflet-a5-imposed-sra3.pdf") as pdf:
        assert len(pdf.pages) == 2


def test_urdu_keeps_its_font_after_other_layout_folders(tmp_path):
    """A worker (or the studio) that has rendered from more than four layouts folders
    has let go of the first folder's font configuration; stylesheets parsed for it
    must not be reused with the new one (the Urdu text then fell back to another font
    and its web address read backwards)."""
    from pipeline.paths import LAYOUTS
    from pipeline.fit import fitted as render

    from .test_preflight import layouts_copy

    def card_text(layouts):
        [job] = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(layouts), select_profiles(load_profiles(), "press"),
                     only=["wallet-card-discreet"], languages=["ur"], districts=["none"], partners=["none"])
        document = pdfium.PdfDocument(render(job)[1].pdf)
        return document[1].get_textpage().get_text_range()

    assert "northyorkshire.police.uk" in card_text(LAYOUTS)
    for i in range(5):
        card_text(layouts_copy(tmp_path / str(i), {}))
    assert "northyorkshire.police.uk" in card_text(LAYOUTS)
