"""The reader's eye (issue 19): what is printed is what was checked. Text a reader
cannot see, a code to another site and a number that is not the campaign's are
refused, with the field named, whatever road they took onto the page; none reaches
print-order.csv. Whether text shows is decided here with other tools than the check's
(poppler's pdftotext for where the words are, pdftoppm for the ink)."""
from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import qrcode
import qrcode.image.svg
from PIL import Image

from pipeline.cli import main
from pipeline.inputs import find_phone_numbers

from .conftest import DEFAULT_CAMPAIGN, campaign_copy
from .test_preflight import layouts_copy

SLUG = "no-matter-how-small"
COUNTY = ["--district", "none", "--partner", "none", "--language", "none"]


def without_other_formats(text: str) -> str:
    """The content without its other formats line: the poster's contact panel as these
    tests measured it (the line makes the panel taller; what they test is the panel's
    cover, not the line)."""
    return re.sub(r"\n(# [^\n]*\n)*other_formats:\n(  [^\n]*\n)+", "\n", text)


def english_only(text: str) -> str:
    """The default campaign without its languages (the last section: its translations
    carry the other formats line) and without the other formats line."""
    return without_other_formats(text[:text.index("\n  languages:\n")] + "\n")


def build(tmp_path, *args, content=DEFAULT_CAMPAIGN, layouts=None):
    out = tmp_path / "out"
    argv = ["build", str(content), "--out", str(out), "--jobs", "1", *args]
    if layouts:
        argv += ["--layouts", str(layouts)]
    code = main(argv)
    folder = out / SLUG
    report = json.loads((folder / "preflight.json").read_text())
    order = (folder / "print-order.csv").read_text() if (folder / "print-order.csv").exists() else ""
    return code, folder, report, order


def errors(report, check):
    return [p for p in report["problems"] if p["level"] == "error" and p.get("check") == check]


def word_boxes(pdf: Path, page: int = 1) -> list[tuple[str, float, float, float, float]]:
    """Each word poppler finds on the page, with its box in points from the top-left."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    import re
    return [(m[4], float(m[0]), float(m[1]), float(m[2]), float(m[3])) for m in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)]


def raster(pdf: Path, dpi: int = 150, page: int = 1) -> np.ndarray:
    png = subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-gray", "-png", str(pdf)],
                         capture_output=True, check=True).stdout
    return np.asarray(Image.open(io.BytesIO(png)).convert("L")).astype(int)


def ink_rows(pdf: Path, word: str, dpi: int = 150) -> tuple[float, float]:
    """For the word's box (pdftotext), the share of its upper half and of its lowest
    35 % holding dark ink (poppler's raster): text ink is dark, the panel's tint is light."""
    image = raster(pdf, dpi)
    [(text, x0, y0, x1, y1)] = [w for w in word_boxes(pdf) if w[0].startswith(word)][:1]
    k = dpi / 72
    box = image[int(y0 * k):int(y1 * k), int(x0 * k):int(x1 * k)]
    half, low = box.shape[0] // 2, int(box.shape[0] * 0.65)
    return (box[:half] < 110).mean(), (box[low:] < 110).mean()


# ---------------------------------------------------------------- hidden text


NO_SHRINK = ("  shrink_steps: 3", "  shrink_steps: 0")  # products.yaml: a layout without shrink steps


def longer_statistic_and_district(tmp_path, campaign_text):
    # A district's own line of four lines lifts the pinned contact panel (its left
    # column then outgrows the code's); a statistic of two more lines then ends under
    # it (issue 19: Redcar and Cleveland, Stockton-on-Tees).
    return campaign_copy(tmp_path, english_only(campaign_text).replace(
        "text: of victims of stalking are stalked by someone they know",
        "text: of victims of stalking are stalked by someone they know, often a former partner,"
        " a neighbour or someone they once worked with").replace(
        "      - name: Craven", "      - name: Redcar and Cleveland\n"
        "        line: In Redcar and Cleveland? Call 101 to report it, or 999 in an emergency."
        " Stalking is a crime, however small it may seem."))


def test_a_statistic_under_the_lifted_contact_panel_is_refused(tmp_path, campaign_text):
    content = longer_statistic_and_district(tmp_path, campaign_text)
    layouts = layouts_copy(tmp_path, {"products.yaml": NO_SHRINK})
    code, folder, report, order = build(tmp_path, "--only", "poster", "--district", "redcar-and-cleveland",
                                        "--profile", "press", content=content, layouts=layouts)
    assert code == 1
    pdf = folder / "districts/redcar-and-cleveland/poster-a4.rejected.pdf"
    # Independently: poppler finds the statistic's last line, its box running below the
    # panel's top edge, and no dark ink there (the panel's light tint covers it),
    # unlike a word of the statistic that shows.
    assert ink_under_panel(pdf, "worked") < 0.02
    visible_upper, visible_lower = ink_rows(pdf, "stalked")
    assert visible_lower > 0.5 * visible_upper
    # One error in the editor's words (pipeline/causes.py): the field, by how much.
    [cause] = [p for p in errors(report, "too-long") if p["file"].endswith("poster-a4.rejected.pdf")]
    assert cause["field"] == "statistics[0].text" and "too long" in cause["what"]
    assert "districts/redcar-and-cleveland/poster-a4" not in order


def test_the_poster_shrinks_so_a_longer_statistic_shows_whole(tmp_path, campaign_text):
    content = longer_statistic_and_district(tmp_path, campaign_text)
    code, folder, report, order = build(tmp_path, "--only", "poster", "--district", "redcar-and-cleveland",
                                        "--profile", "press", content=content)
    assert code == 0 and report["errors"] == 0
    pdf = folder / "districts/redcar-and-cleveland/poster-a4.pdf"
    upper, lower = ink_rows(pdf, "worked")
    visible_upper, visible_lower = ink_rows(pdf, "stalked")
    assert lower > 0.5 * upper and visible_lower > 0.5 * visible_upper
    assert "districts/redcar-and-cleveland/poster-a4.pdf" in order


def test_a_designers_stats_slid_under_the_panel_are_refused(tmp_path):
    layouts = layouts_copy(tmp_path, {"poster.css": (".stats { padding: 3rem var(--margin); }",
                                                    ".stats { padding: 3rem var(--margin); position: relative; top: 35mm; z-index: -1; }"),
                                      "products.yaml": NO_SHRINK})
    content = campaign_copy(tmp_path, english_only(DEFAULT_CAMPAIGN.read_text(encoding="utf-8")))
    code, folder, report, order = build(tmp_path, "--only", "poster", *COUNTY, "--profile", "press", content=content,
                                        layouts=layouts)
    assert code == 1
    hidden = errors(report, "hidden-text")
    # 35 mm is more than the A4 poster's room (the larger sizes have it to spare)
    assert "poster-a4.rejected.pdf" in {p["file"] for p in hidden}
    assert all("section.stats" in p["field"] for p in hidden)
    # Independently: the statistic's last line is in the text layer and leaves no dark ink.
    pdf = folder / "poster-a4.rejected.pdf"
    upper, _ = ink_rows(pdf, "know")
    assert upper < 0.02
    assert ",poster-a4.pdf" not in order


def card(tmp_path, edits, *args):
    layouts = layouts_copy(tmp_path, edits)
    return build(tmp_path, "--only", "wallet-card", *COUNTY, "--profile", "press", *args, layouts=layouts)


def test_white_on_white_text_is_refused(tmp_path):
    code, folder, report, order = card(tmp_path, {"wallet-card.css": (".title {", ".others .phone { color: #fff !important; }\n.title {")})
    assert code == 1
    hidden = errors(report, "hidden-text")
    assert any("0203 866 4107" in p["what"] and "the colour of their ground" in p["what"] for p in hidden), hidden
    assert all(p["field"].endswith("span.phone.nowrap") for p in hidden)
    pdf = folder / "wallet-card.rejected.pdf"
    assert any(w[0] == "4107" for w in word_boxes(pdf, 2))  # in the text layer ...
    [(_, x0, y0, x1, y1)] = [w for w in word_boxes(pdf, 2) if w[0] == "4107"]
    image = raster(pdf, 150, 2)
    box = image[int(y0 * 150 / 72):int(y1 * 150 / 72), int(x0 * 150 / 72):int(x1 * 150 / 72)]
    assert box.min() > 240  # ... and no ink on the page
    assert ",wallet-card.pdf" not in order


def test_text_under_an_image_is_refused(tmp_path):
    layouts = layouts_copy(tmp_path, {"wallet-card.html": (
        '<ul class="others">',
        '<img src="patch.png" alt="" style="position: absolute; left: 2mm; top: 33mm; width: 60mm; height: 20mm">'
        '<ul class="others">')})
    Image.new("RGB", (600, 160), (200, 30, 30)).save(layouts / "patch.png")
    code, folder, report, order = build(tmp_path, "--only", "wallet-card", *COUNTY, "--profile", "press", layouts=layouts)
    assert code == 1
    hidden = errors(report, "hidden-text")
    assert hidden and any("ul.others" in p["field"] for p in hidden)
    # Independently: poppler finds the word, and its box is all the image's red, no dark ink.
    pdf = folder / "wallet-card.rejected.pdf"
    [(_, x0, y0, x1, y1)] = [w for w in word_boxes(pdf, 2) if w[0] == "Advice"]
    png = subprocess.run(["pdftoppm", "-r", "150", "-f", "2", "-l", "2", "-png", str(pdf)], capture_output=True).stdout
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    box = rgb[int(y0 * 150 / 72) + 1:int(y1 * 150 / 72) - 1, int(x0 * 150 / 72) + 1:int(x1 * 150 / 72) - 1]
    assert box[..., 0].min() > 120 and box[..., 1].max() < 110  # red everywhere: the image, not the text
    assert ",wallet-card.pdf" not in order


def test_clipped_text_and_text_past_the_trim_are_refused(tmp_path):
    code, folder, report, _ = card(tmp_path, {"wallet-card.css": (".title {", ".others { height: 1mm; overflow: hidden; }\n"
                                                                              ".qr-label { position: relative; left: 60mm; }\n.title {")})
    assert code == 1
    # Independently: poppler finds both in the text layer; the number leaves no ink
    # (clipped away), the address starts past the trim (85 mm wide, 3 mm of bleed).
    pdf = folder / "wallet-card.rejected.pdf"
    words = {w[0]: w[1:] for w in word_boxes(pdf, 2)}
    x0, y0, x1, y1 = words["4107"]
    image = raster(pdf, 150, 2)
    assert image[int(y0 * 150 / 72):int(y1 * 150 / 72), int(x0 * 150 / 72):int(x1 * 150 / 72)].min() > 240
    line = [w for w in word_boxes(pdf, 2) if abs(w[2] - words["Scan"][1]) < 2]
    assert max(w[3] for w in line) > (3 + 85) * 72 / 25.4
    whats = {p["field"].rsplit(" > ", 1)[-1]: p["what"] for p in errors(report, "hidden-text")}
    assert "cut off by their box" in whats["span.phone.nowrap"]
    assert "past the trim" in " ".join(w for f, w in whats.items() if "qr-label" in f or f.startswith("strong"))


# ---------------------------------------------------------------- codes


def test_a_second_code_added_as_a_data_image_is_refused(tmp_path):
    buffer = io.BytesIO()
    qrcode.make("https://evil.example/report", border=4, box_size=10).save(buffer)
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    code, _, report, order = card(tmp_path, {"wallet-card.html": (
        '<ul class="others">', f'<img src="{uri}" alt="" style="position: absolute; left: 30mm; '
                               f'top: 20mm; width: 20mm; height: 20mm"><ul class="others">')})
    assert code == 1
    # Refused as the renderer loads it (every picture is scanned), so never on the page.
    found = [p for p in report["problems"] if p["level"] == "error"]
    assert any("data: URI" in p["what"] and "'https://evil.example/report'" in p["what"] for p in found), found
    assert ",wallet-card.pdf" not in order


def test_a_small_dense_code_in_a_background_picture_is_refused(tmp_path):
    """A version 4 code 9 mm wide (0.22 mm modules) as a CSS background: finer than the
    whole-page scan reads; the renderer scans every picture it is given (assets.codes_in)."""
    code = qrcode.QRCode(version=4, border=4, box_size=10)
    code.add_data("https://evil.example/report")
    code.make(fit=False)
    layouts = layouts_copy(tmp_path, {"leaflet-dl.css": ("", ".stats { background: url(extra.png) no-repeat right "
                                                             "bottom / 9mm 9mm; }\n")})
    code.make_image().save(layouts / "extra.png", dpi=(300, 300))
    built, _, report, order = build(tmp_path, "--only", "leaflet-dl", *COUNTY, "--profile", "press", layouts=layouts)
    assert built == 1
    found = [p for p in report["problems"] if p["level"] == "error"]
    assert any("extra.png" in p["what"] and "https://evil.example/report" in p["what"] for p in found), found
    assert ",leaflet-dl.pdf" not in order


# ---------------------------------------------------------------- numbers


def test_numbers_behind_separators_o_for_zero_and_words_are_read():
    for text in ("Acme line 0808·802·0399", "0808•802•0399", "0808:802:0399", "0808\u2044802\u20440399",
                 "0808\u0640802\u06400399", "#0808_802_0399", "0808 802 O399",
                 "oh eight oh eight, eight oh two, oh three nine nine"):
        assert [n.key for n in find_phone_numbers(text)] == ["+448088020399"], text
    for text in ("Open 9:00-17:00", "96% of 1,000 in 2018", "over 100 incidents"):
        assert find_phone_numbers(text) == [], text


def test_a_number_in_a_template_behind_separators_is_refused(tmp_path):
    code, _, report, order = card(tmp_path, {"wallet-card.html": (
        '<ul class="others">', '<p>Acme 0808·802·O399</p><ul class="others">')})
    assert code == 1
    assert any("'0808 802 0399'" in p["what"] for p in errors(report, "numbers"))
    assert ",wallet-card.pdf" not in order


def test_a_number_split_over_two_template_elements_is_refused(tmp_path):
    code, _, report, order = card(tmp_path, {"wallet-card.html": (
        '<ul class="others">', '<p class="lead">Call 0808 802</p><p class="call">0399 now.</p><ul class="others">')})
    assert code == 1
    found = errors(report, "numbers")
    assert any("08088020399" in "".join(c for c in p["what"] if c.isdigit()) for p in found), found
    assert ",wallet-card.pdf" not in order


def test_an_address_set_in_pieces_reads_as_one_and_is_refused(tmp_path):
    """"northyorkshire" and ".police.uk.to/" in two elements side by side: no element
    holds an address, the reader reads a host anyone can register under uk.to."""
    label = '{{ qr.label.split("/") | join("/<wbr>" | safe) | web }}'
    pieces = ('<span>{{ qr.label.split(".")[0] }}</span><span>.{{ qr.label.split(".", 1)[1].split("/")[0] }}.to/'
              '<wbr>{{ qr.label.split("/", 1)[1] }}</span>')
    code, _, report, order = build(tmp_path, "--only", "leaflet-dl", "--profile", "press", *COUNTY,
                                   layouts=layouts_copy(tmp_path, {"_parts.html": (label, pieces)}))
    assert code == 1
    assert any("uk.to" in p["what"] for p in errors(report, "addresses")), report["problems"]
    assert ",leaflet-dl.pdf" not in order


@pytest.mark.parametrize("css", [
    ".phone { display: none !important; }",
    # Split by a gap wider than a column gutter: "0808 802" and "0300" read apart, neither a number.
    ".phone { word-spacing: 3em !important; }",
])
def test_a_service_printed_without_its_number_is_refused(tmp_path, css):
    code, _, report, order = build(tmp_path, "--only", "wallet-card", "--profile", "press", *COUNTY,
                                   layouts=layouts_copy(tmp_path, {"wallet-card.css": ("", css + "\n")}))
    assert code == 1
    assert any("National Stalking Helpline" in p["what"] and "not its number" in p["what"]
               for p in errors(report, "numbers")), report["problems"]
    assert ",wallet-card.pdf" not in order


# ---------------------------------------------------------------- links and right-to-left numbers


def test_a_tel_link_to_another_number_than_it_shows_is_refused(tmp_path, capsys):
    layouts = layouts_copy(tmp_path, {"wallet-card.html": (
        '<ul class="others">', '<p><a href="tel:+448088020399">0808 802 0300</a></p><ul class="others">')})
    out = tmp_path / "out"
    code = main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--jobs", "1", "--only", "wallet-card", *COUNTY,
                 "--profile", "screen", "--layouts", str(layouts)])
    assert code == 1
    err = capsys.readouterr().err
    assert "shows '0808 802 0300' but dials '+448088020399'" in err


def with_urdu(tmp_path, content: Path, line: str, added: str) -> Path:
    """The campaign `content` beside its Urdu translation, `added` at the end of `line`."""
    translations = tmp_path / "content" / "translations"
    translations.unlink()
    (translations / SLUG).mkdir(parents=True)
    source = (DEFAULT_CAMPAIGN.parent / "translations" / SLUG / "ur.yaml").read_text(encoding="utf-8")
    if "\nother_formats:" not in content.read_text(encoding="utf-8"):
        source = without_other_formats(source)
    assert line + "\n" in source
    (translations / SLUG / "ur.yaml").write_text(source.replace(line + "\n", line + added + "\n", 1),
                                                 encoding="utf-8")
    # Urdu alone: the campaign's other translations do not carry what `added` changes.
    text = content.read_text(encoding="utf-8").replace("codes: [ur, pl, ro, ar]", "codes: [ur]")
    content.write_text(re.sub(r"\n    items: .*\n      - code: pl\n.*\n", "\n", text), encoding="utf-8")
    return content


def urdu_tip_with_a_number(tmp_path, campaign_text):
    content = campaign_copy(tmp_path, campaign_text.replace(
        "  - Tell someone - a friend, family member, a support service or the police.",
        "  - Tell someone - a friend, family member, a support service or the police. Call 0808 802 0300."))
    return with_urdu(tmp_path, content, "  - کسی کو بتائیں – کسی دوست، گھر والے، کسی مددگار ادارے یا پولیس کو۔",
                     " 0808 802 0300 پر کال کریں۔")


def test_a_number_in_urdu_running_text_keeps_its_digit_order(tmp_path, campaign_text):
    content = urdu_tip_with_a_number(tmp_path, campaign_text)
    code, folder, report, _ = build(tmp_path, "--only", "leaflet-dl", "--district", "none", "--partner", "none",
                                    "--language", "ur", "--profile", "press", content=content)
    assert code == 0, report["problems"]
    pdf = folder / "languages/ur/leaflet-dl.pdf"
    # Poppler's word boxes: in the tip's line (the number in the text's size: the
    # services and the flap's call-out print it larger), left to right.
    words = [w for w in word_boxes(pdf) if w[0] in ("0808", "802", "0300")]
    line = min(words, key=lambda w: (round(w[4] - w[2]), -w[2]))[2]
    row = sorted((w for w in words if abs(w[2] - line) < 2), key=lambda w: w[1])
    assert [w[0] for w in row] == ["0808", "802", "0300"]


def test_a_logo_that_is_a_qr_code_in_svg_is_refused(tmp_path):
    # As a partner's logo would be placed: an SVG image beside the numbers.
    layouts = layouts_copy(tmp_path, {"wallet-card.html": (
        '<ul class="others">', '<img class="partner-logo" src="logo.svg" alt="Acme" style="width: 22mm; height: 22mm">'
                                '<ul class="others">')})
    qrcode.make("https://evil.example/help", image_factory=qrcode.image.svg.SvgPathImage, border=4).save(layouts / "logo.svg")
    code, _, report, order = build(tmp_path, "--only", "wallet-card", *COUNTY, "--profile", "press", layouts=layouts)
    assert code == 1
    # Refused as the renderer loads it (every picture is scanned), so never on the page.
    found = [p for p in report["problems"] if p["level"] == "error"]
    assert any("logo.svg" in p["what"] and "'https://evil.example/help'" in p["what"] for p in found), found
    assert ",wallet-card.pdf" not in order


def test_a_number_in_a_logos_svg_text_is_refused(tmp_path):
    layouts = layouts_copy(tmp_path, {"wallet-card.html": (
        '<ul class="others">', '<img class="partner-logo" src="logo.svg" alt="Acme" style="width: 40mm; height: 8mm">'
                                '<ul class="others">')})
    (layouts / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="80" viewBox="0 0 400 80">'
        '<text x="4" y="56" font-family="Atkinson Hyperlegible" font-size="44" fill="#000">Acme 0808 802 0399</text></svg>')
    code, _, report, order = build(tmp_path, "--only", "wallet-card", *COUNTY, "--profile", "press", layouts=layouts)
    assert code == 1
    found = errors(report, "numbers")
    assert any("08088020399" in "".join(c for c in p["what"] if c.isdigit()) for p in found), found
    assert ",wallet-card.pdf" not in order


def test_a_partner_number_behind_middle_dots_needs_the_coordinators_confirmation(tmp_path, campaign_text):
    from pipeline import partners
    from pipeline.inputs import phone_key
    from pipeline.partners import PartnerDraft

    from .test_partners import png_logo

    draft = PartnerDraft(campaign=campaign_copy(tmp_path, campaign_text), id="acme", name="Acme Support",
                         contact="Acme line 0808·802·0399", products=["leaflet-dl"], logo_name="logo.png",
                         logo=png_logo(), copies={"leaflet-dl": 250})
    problems = partners.check_partner(draft)
    [number] = partners.unconfirmed_numbers(problems)
    assert phone_key(number) == "+448088020399"
    assert [p.field for p in problems if p.check == "unconfirmed-number"] == ["contact"]


def test_a_number_reversed_in_urdu_running_text_is_refused(tmp_path, campaign_text):
    # A template that prints the tips without keep_numbers: the bidi algorithm lays
    # the number's groups out right to left, "0300 802 0808".
    content = urdu_tip_with_a_number(tmp_path, campaign_text)
    layouts = layouts_copy(tmp_path, {"_parts.html": ("{{ item | keep_numbers(report) }}", "{{ item }}")})
    code, folder, report, order = build(tmp_path, "--only", "leaflet-dl", "--district", "none", "--partner", "none",
                                        "--language", "ur", "--profile", "press", content=content, layouts=layouts)
    pdf = folder / "languages/ur/leaflet-dl.rejected.pdf"
    words = [w for w in word_boxes(pdf) if w[0] in ("0808", "802", "0300")]
    line = min(words, key=lambda w: (round(w[4] - w[2]), -w[2]))[2]  # the tip's line, as above
    row = sorted((w for w in words if abs(w[2] - line) < 2), key=lambda w: w[1])
    assert [w[0] for w in row] == ["0300", "802", "0808"]  # poppler: reversed on the page
    assert code == 1
    found = errors(report, "numbers")
    assert any("0300 802 0808" in p["what"] and "ul.bullets" in (p.get("field") or "") for p in found), found
    assert "languages/ur/leaflet-dl.pdf" not in order


def picture_of(tmp_path, words: str) -> Path:
    """A raster logo with `words` drawn in the project's typeface (its zero is slashed)."""
    from PIL import ImageDraw, ImageFont

    from pipeline.inputs import FONTS

    layouts = layouts_copy(tmp_path, {"wallet-card.html": (
        '<ul class="others">', '<img class="partner-logo" src="logo.png" alt="Acme" style="width: 40mm; height: 8mm">'
                                '<ul class="others">')})
    image = Image.new("RGB", (1500, 300), "white")
    font = ImageFont.truetype(str(FONTS / "AtkinsonHyperlegible-Bold.ttf"), 120)
    ImageDraw.Draw(image).text((30, 70), words, fill="black", font=font)
    image.save(layouts / "logo.png", dpi=(300, 300))
    return layouts


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="make system-deps installs Tesseract")
def test_a_number_in_a_raster_logo_is_read_and_refused(tmp_path):
    layouts = picture_of(tmp_path, "Acme 0800 123 4567")
    code, _, report, order = build(tmp_path, "--only", "wallet-card", *COUNTY, "--profile", "press", layouts=layouts)
    assert code == 1
    [found] = [p for p in errors(report, "numbers") if "read by OCR" in p["what"]]
    assert "img.partner-logo" in found["field"] and "123 4567" in found["what"]
    assert ",wallet-card.pdf" not in order


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="make system-deps installs Tesseract")
def test_a_number_in_a_css_background_picture_is_read_and_refused(tmp_path):
    """The same picture as a CSS background, not an <img>: read all the same."""
    layouts = picture_of(tmp_path, "Acme 0800 123 4567")
    html = layouts / "wallet-card.html"
    html.write_text(html.read_text().replace(
        '<img class="partner-logo" src="logo.png" alt="Acme" style="width: 40mm; height: 8mm">',
        '<p class="strip" style="width: 40mm; height: 8mm; background: url(logo.png) no-repeat 0 0 / contain"></p>'))
    code, _, report, order = build(tmp_path, "--only", "wallet-card", *COUNTY, "--profile", "press", layouts=layouts)
    assert code == 1
    [found] = [p for p in errors(report, "numbers") if "read by OCR" in p["what"]]
    assert "p.strip" in found["field"] and "123 4567" in found["what"]
    assert ",wallet-card.pdf" not in order


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="make system-deps installs Tesseract")
def test_ocr_does_not_invent_an_error_from_a_slashed_zero(tmp_path):
    # Tesseract reads this font's slashed zero as 9: the campaign's own number in a
    # picture must not become an unknown one.
    layouts = picture_of(tmp_path, "Helpline 0808 802 0300")
    code, _, report, _ = build(tmp_path, "--only", "wallet-card", *COUNTY, "--profile", "press", layouts=layouts)
    assert not errors(report, "numbers"), report["problems"]


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="make system-deps installs Tesseract")
def test_a_logo_one_or_two_digits_from_the_helpline_is_refused_saying_both(tmp_path):
    # A typo of the campaign's own number is the worst case: it reads as the helpline.
    layouts = picture_of(tmp_path, "Helpline 0808 802 0355")
    code, _, report, order = build(tmp_path, "--only", "wallet-card", *COUNTY, "--profile", "press", layouts=layouts)
    assert code == 1
    [found] = [p for p in errors(report, "numbers") if "check the logo" in p["what"]]
    # OCR may read the slashed zero of 0808 as 9 or 8: the typo is what it says.
    assert re.match(r"check the logo: it reads as \d{4} 802 0355; the National Stalking Helpline is 0808 802 0300",
                    found["what"]), found
    assert ",wallet-card.pdf" not in order


@pytest.mark.parametrize("read, near", [
    # Tesseract's readings of the campaign's numbers in this project's type (slashed
    # zero), Regular and Bold, 20 to 70 mm across: each is the number.
    ("Helpline 8898 802 0399", "known"), ("6808 862 0300", "known"), ("9808 802 93909", "known"),
    ("8203 866 41907", "known"), ("0808 802 0300", "known"),
    # Near misses, said with the number they nearly are: a digit other than a zero
    # changed, one dropped, two swapped.
    ("0808 802 0355", "+448088020300"), ("0808 802 0301", "+448088020300"), ("0808 802 030", "+448088020300"),
    ("0203 866 4170", "+442038664107"),
    ("0800 123 4567", None),  # far from any: unknown
])
def test_an_ocr_reading_is_a_known_number_only_with_its_zeros_misread(read, near):
    from pipeline.ocr import unknown_numbers_read

    found = unknown_numbers_read(f"Call {read} today", {"+448088020300", "+442038664107", "101", "999"})
    if near == "known":
        assert found == [], found
    else:
        assert [(written, said) for written, _, said in found] == [(read.removeprefix("Helpline "), near)]



LONGER_URDU = (" اور اکثر یہ کوئی سابق ساتھی ہوتا ہے، جس کے ساتھ وہ رشتے میں رہ چکے ہوتے ہیں،"
               " اور جو ان کی زندگی، گھر، کام اور دوستوں کے بارے میں بہت کچھ جانتا ہے")


def longer_translation(tmp_path, campaign_text):
    """The Urdu translation with a first statistic three times as long (issue 19: a
    longer translation slid its statistics under the contact panel)."""
    return with_urdu(tmp_path, campaign_copy(tmp_path, without_other_formats(campaign_text)),
                     "    text: اسٹاکنگ کے متاثرین کا پیچھا کوئی ایسا شخص کرتا ہے جسے وہ جانتے ہیں", LONGER_URDU)


def panel_top(pdf: Path, dpi: int = 100) -> float:
    """In points from the top, by poppler alone: the contact panel's top edge, its tint
    met going up from the 999 line (the report's, the highest) at the page's left margin."""
    y999 = min(w[2] for w in word_boxes(pdf) if w[0] == "999")
    image, k = raster(pdf, dpi), dpi / 72
    x = int(12 * 72 / 25.4 * k)  # 12 mm in: inside the panel's padding, clear of text
    tint = image[int(y999 * k), x]
    row = int(y999 * k)
    while row > 0 and abs(image[row, x] - tint) < 8:
        row -= 1
    return row / k


def ink_under_panel(pdf: Path, word: str, dpi: int = 150) -> float:
    """The share of dark ink in the part of the word's box (pdftotext) below the contact
    panel's top edge; the word must reach below it."""
    top = panel_top(pdf)
    [(_, x0, _, x1, y1)] = [w for w in word_boxes(pdf) if w[0].startswith(word)][:1]
    assert y1 > top + 2, f"{word!r} ends at {y1:.0f} pt, above the panel's top at {top:.0f} pt"
    k = dpi / 72
    return (raster(pdf, dpi)[int((top + 1) * k):int(y1 * k), int(x0 * k):int(x1 * k)] < 110).mean()


def panel_top_and_lowest_statistic(pdf: Path) -> tuple[float, float]:
    """In points from the top, by poppler alone: the contact panel's top edge and the
    middle of the lowest line of Urdu text that starts above it (the statistics' lines).
    The middle, near the baseline: a Nastaliq word's box holds the font's whole ascent
    and descent, far more than its letters fill."""
    top = panel_top(pdf)
    urdu = [w for w in word_boxes(pdf) if any("\u0600" <= ch <= "\u06ff" for ch in w[0]) and top - 150 < w[2] < top]
    return top, max((w[2] + w[4]) / 2 for w in urdu)


def test_a_longer_translation_shrinks_to_fit_or_is_refused_by_field(tmp_path, campaign_text):
    content = longer_translation(tmp_path, campaign_text)
    # Without the poster's shrink steps the statistic cannot show whole: refused, the
    # field named with the translation's file, and nothing of it in the print order.
    layouts = layouts_copy(tmp_path, {"products.yaml": NO_SHRINK})
    code, folder, report, order = build(tmp_path, "--only", "poster", "--language", "ur", "--profile", "press",
                                        content=content, layouts=layouts)
    assert code == 1
    for size in ("a4", "a3"):
        causes = [p for p in errors(report, "too-long") if p["file"].endswith(f"poster-{size}.rejected.pdf")]
        assert [c["field"] for c in causes] == ["statistics[0].text"], report["problems"]
        assert "ur.yaml" in causes[0]["hint"]
        assert not (folder / f"languages/ur/poster-{size}.pdf").exists()
        assert f"languages/ur/poster-{size}" not in order
        top, lowest = panel_top_and_lowest_statistic(folder / f"languages/ur/poster-{size}.rejected.pdf")
        assert lowest > top  # independently: its last line runs under the panel
    # With them, the A3 shrinks: every line above the panel, nothing refused. The A4's
    # steps make less room than the line the translation adds: still refused by field.
    shutil.rmtree(tmp_path / "out")
    code, folder, report, order = build(tmp_path, "--only", "poster", "--language", "ur", "--profile", "press",
                                        content=content)
    assert not (folder / "languages/ur/poster-a3.rejected.pdf").exists()
    assert "languages/ur/poster-a3.pdf" in order
    top, lowest = panel_top_and_lowest_statistic(folder / "languages/ur/poster-a3.pdf")
    assert lowest < top
    assert {p["file"] for p in report["problems"] if p["level"] == "error"} == {"languages/ur/poster-a4.rejected.pdf"}
    [cause] = errors(report, "too-long")
    assert cause["field"] == "statistics[0].text" and "ur.yaml" in cause["hint"]
    top, lowest = panel_top_and_lowest_statistic(folder / "languages/ur/poster-a4.rejected.pdf")
    assert lowest > top


def test_each_letter_is_judged_by_the_pixels_of_its_own_box_and_bands():
    """The hidden-text test reads only the letters' rows (eye._row_bands, a batch of
    rows at a time): each letter is unseen exactly when, pixel by pixel, its box or one
    of its edge bands has no pixel standing out, as worked out here box by box;
    letters past the page's edges, of no pixel, short, narrow or across, and a page
    whose text stands out nowhere, a little or nearly everywhere."""
    from pipeline.eye import PageView, _standing_out

    rng = np.random.default_rng(26)
    for share_of_ink in (0.0, 0.002, 0.05, 0.4, 0.95):
        bare = np.full((300, 420), 255, dtype=np.uint8)
        bare[:, 300:] = 90  # a coloured panel
        seen = bare.copy()
        ink = rng.random((120, 150)) < share_of_ink
        seen[100:220, 200:350][ink] = rng.integers(0, 256, size=int(ink.sum()))
        n = 600
        boxes = np.column_stack([rng.uniform(-8, 110, n), rng.uniform(-8, 80, n),
                                 rng.uniform(-0.5, 12, n), rng.uniform(-0.5, 12, n)])
        across = rng.random(n) < 0.5
        scale, offset, share = 4.0, 1.0, 0.15
        flags = _standing_out(1.5)[(bare.astype(np.uint16) << 8) | seen]

        def blank(y0, y1, x0, x1):
            return not flags[y0:y1, x0:x1].any()

        expected = []
        for (x, y, w, h), wide in zip(boxes, across):
            x0 = min(max(int(np.floor((x + offset) * scale)), 0), 420)
            y0 = min(max(int(np.floor((y + offset) * scale)), 0), 300)
            x1 = min(max(int(np.ceil((x + w + offset) * scale)), x0 + 1), 420)
            y1 = min(max(int(np.ceil((y + h + offset) * scale)), y0 + 1), 300)
            height, width = y1 - y0, x1 - x0
            if height <= 0 or width <= 0 or blank(y0, y1, x0, x1):
                expected.append(True)
                continue
            rows = min(int(1.5 + share * height) + 1, height)
            columns = min(int(1.5 + share * width) + 1, width)
            expected.append((height > 5 and (blank(y0, y0 + rows, x0, x1) or blank(y1 - rows, y1, x0, x1)))
                            or (wide and width > 5 and (blank(y0, y1, x0, x0 + columns)
                                                        or blank(y0, y1, x1 - columns, x1))))
        found = PageView(scale, offset, seen, bare, [], []).unseen(boxes, 1.5, share, across)
        assert found.tolist() == expected, share_of_ink
        if 0 < share_of_ink < 0.9:
            assert found.any() and not found.all()
