"""Roles, not just numbers (issue 19): each reporting line is its own number, brand
files come only from the project, the printed address carries no port or user name,
and a partner's numbers count as confirmed only with the portal's seal."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline import confirm
from pipeline import content as content_module
from pipeline.content import load_campaign, partners_folder
from pipeline.problems import ContentError

from .conftest import DEFAULT_CAMPAIGN, ROOT, campaign_copy, unsourced, write_campaign

LOCAL_NUMBER = "01904 555 017"


def problems_of(path: Path) -> list:
    with pytest.raises(ContentError) as caught:
        load_campaign(path)
    for p in caught.value.problems:
        assert p.what and p.hint, p
    return caught.value.problems


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


# ---------------------------------------------------------------- reporting lines


def test_swapped_emergency_and_non_emergency_numbers_are_refused_at_their_lines(tmp_path, campaign_text):
    text = campaign_text.replace('non_emergency: "101"\n  emergency: "999"', 'non_emergency: "999"\n  emergency: "101"')
    problems = problems_of(write_campaign(tmp_path, text))
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {"report.non_emergency", "report.emergency"}
    assert by_field["report.non_emergency"].line == line_of(text, 'non_emergency: "999"')
    assert by_field["report.emergency"].line == line_of(text, '  emergency: "101"')
    assert "not the emergency number" in by_field["report.emergency"].what
    # 112 is an emergency number too.
    load_campaign(write_campaign(tmp_path, campaign_text.replace('  emergency: "999"', '  emergency: "112"')))


@pytest.mark.parametrize("old, new, says", [
    ('number: "18000"', 'number: "0808 802 0300"', "not a Relay UK number"),
    ('text: for 999', 'text: for 101', "reaches 999"),
    ('text: for 101', 'text: for 999', "reaches 101"),
])
def test_text_relay_numbers_are_relay_uks_and_reach_what_their_text_says(tmp_path, campaign_text, old, new, says):
    text = campaign_text.replace(old, new, 1)
    [problem] = problems_of(write_campaign(tmp_path, text))
    assert problem.field.startswith("report.text_relay[") and says in problem.what


@pytest.mark.parametrize("old, new, field, says", [
    # The labels printed beside 999 and 101, swapped: "To report it 999 / In an emergency 101".
    ("  emergency: In an emergency\n  non_emergency: To report it",
     "  emergency: To report it\n  non_emergency: In an emergency", "labels.non_emergency", "emergency"),
    ("  emergency: In an emergency\n", "  emergency: If it is not an emergency\n", "labels.emergency", "not an emergency"),
    # A sentence about danger that gives 101, or about a non-emergency that gives 999.
    ("If you are in danger now, call 999.", "If you are in danger now, call 101.", "tips[3]", "101"),
    ('local: "In {district}? Call 101 to report it."', 'local: "In {district}? Not an emergency? Call 999."',
     "labels.local", "999"),
    # Silent Solution works only through 999: "call 101 and press 55" reaches nobody.
    ("call 999 and press 55", "call 101 and press 55", "report.silent_solution", "101"),
    # Both numbers right, in the wrong order: the caller dials 55.
    ("call 999 and press 55", "call 55 and press 999", "report.silent_solution", "call 999 first"),
    # A helpline does not send the police.
    ("If you are in danger now, call 999.", "If you are in danger now, call the helpline on 0808 802 0300.", "tips[3]",
     "0808 802 0300 for an emergency"),
    # Both numbers the campaign's own, the name and the number of two services.
    ("contact: National Stalking Helpline 0808 802 0300", "contact: National Stalking Helpline 0808 2000 247",
     "variants.partners.items[0].contact", "Women's Aid's number"),
])
def test_a_number_in_the_wrong_role_in_text_is_refused_at_its_line(tmp_path, campaign_text, old, new, field, says):
    assert old in campaign_text
    text = campaign_text.replace(old, new, 1)
    problems = problems_of(write_campaign(tmp_path, text))
    assert [p.field for p in problems] == [field], problems
    assert says in problems[0].what and problems[0].line == line_of(text, new.strip().split("\n")[-1].strip()[:20])


def test_a_partners_contact_line_gives_no_number_in_the_wrong_role(tmp_path, campaign_text):
    old = "        contact: National Stalking Helpline 0808 802 0300\n"
    assert old in campaign_text
    text = campaign_text.replace(old, "        contact: In an emergency call 101\n")
    [problem] = problems_of(write_campaign(tmp_path, text))
    assert problem.field == "variants.partners.items[0].contact" and "gives 101 for an emergency" in problem.what


@pytest.mark.parametrize("tip", ["If you are in danger now, call 999. If it is not an emergency, call 101.",
                                 "In an emergency call 999, for non-emergencies call 101.",
                                 "Call 101, or 999 in an emergency.",
                                 "Not an emergency? Call 101. In danger? Call 999."])
def test_numbers_in_their_roles_in_text_are_fine(tmp_path, campaign_text, tip):
    text = campaign_text.replace("If you are in danger now, call 999.", tip)
    load_campaign(write_campaign(tmp_path, text))


@pytest.mark.parametrize("tip", ["In an emergency call 101, for non-emergencies call 999.",
                                 "Call 999, or 101 in an emergency."])
def test_numbers_swapped_in_one_sentence_are_refused(tmp_path, campaign_text, tip):
    text = campaign_text.replace("If you are in danger now, call 999.", tip)
    problems = problems_of(write_campaign(tmp_path, text))
    assert problems and all(p.field == "tips[3]" for p in problems), problems


# ---------------------------------------------------------------- brand files and the printed address


EVIL_BRAND = (ROOT / "content" / "brands" / "north-yorkshire-police.yaml").read_text().replace(
    "web_hosts: [www.northyorkshire.police.uk]", "web_hosts: [www.northyorkshire.police.uk, evil.example]")


def test_a_brand_file_beside_the_campaign_does_not_stand_in_for_the_projects(tmp_path, campaign_text):
    (tmp_path / "brands").mkdir()
    beside = tmp_path / "brands" / "north-yorkshire-police.yaml"
    beside.write_text(EVIL_BRAND)
    text = campaign_text.replace("allowed_hosts: [www.northyorkshire.police.uk]",
                                 "allowed_hosts: [www.northyorkshire.police.uk, evil.example]")
    problems = problems_of(write_campaign(tmp_path, text))
    assert any(p.file == str(beside) and "content/brands/ only" in p.what for p in problems)


def test_a_brand_without_web_hosts_is_an_error(tmp_path, campaign_text, monkeypatch):
    monkeypatch.setattr(content_module.brand, "PROJECT_BRANDS", tmp_path / "brands")
    (tmp_path / "brands").mkdir()
    brand = tmp_path / "brands" / "north-yorkshire-police.yaml"
    text = EVIL_BRAND.replace("web_hosts: [www.northyorkshire.police.uk, evil.example]\n", "")
    brand.write_text(text)
    [problem] = problems_of(write_campaign(tmp_path, campaign_text))
    assert (problem.file, problem.field) == (str(brand), "web_hosts") and "missing 'web_hosts'" in problem.what


@pytest.mark.parametrize("old, new, field, says", [
    ("web_hosts: [www.northyorkshire.police.uk, evil.example]", "web_hosts: www.northyorkshire.police.uk",
     "web_hosts", "a list"),
    ("colours:\n", "colours: navy\nold_colours:\n", "colours", "a mapping"),
    ("  primary: ", "  primary: navy\n  old_primary: ", "colours.primary", "a mapping"),
])
def test_a_brand_value_of_the_wrong_kind_says_what_to_write(tmp_path, campaign_text, monkeypatch, old, new, field,
                                                            says):
    # A new force's first brand file: the message says what the field needs, in
    # the editor's words, with a hint (not "valid dictionary or instance of Colour").
    monkeypatch.setattr(content_module.brand, "PROJECT_BRANDS", tmp_path / "brands")
    (tmp_path / "brands").mkdir()
    brand = tmp_path / "brands" / "north-yorkshire-police.yaml"
    assert old in EVIL_BRAND
    brand.write_text(EVIL_BRAND.replace(old, new, 1))
    problems = [p for p in problems_of(write_campaign(tmp_path, campaign_text)) if p.field == field]
    assert problems, field
    for problem in problems:
        assert says in problem.what and problem.hint, problem
        assert "Input should" not in problem.what and "instance of" not in problem.what, problem


def test_a_campaign_value_of_the_wrong_kind_says_what_to_write(tmp_path, campaign_text):
    text = campaign_text.replace("launch: 2019-01-21", "launch: soon").replace("\nproducts: [", "\nproducts: x\nold: [", 1)
    problems = {p.field: p for p in problems_of(write_campaign(tmp_path, text))}
    assert problems["launch"].what == "needs a date, not the text 'soon'" and "YYYY-MM-DD" in problems["launch"].hint
    assert problems["products"].what == "needs a list, not the text 'x'" and "[first, second]" in problems["products"].hint


def test_an_allowed_host_written_as_an_address_is_one_error_not_three(tmp_path, campaign_text):
    # One cause, one error: the url and discreet_url are not also "not on qr.allowed_hosts []".
    text = campaign_text.replace("allowed_hosts: [www.northyorkshire.police.uk]",
                                 "allowed_hosts: [https://www.northyorkshire.police.uk]")
    assert text != campaign_text
    [problem] = problems_of(write_campaign(tmp_path, text))
    assert problem.field == "qr.allowed_hosts[0]" and "no https://" in problem.hint, problem


@pytest.mark.parametrize("label", ["northyorkshire.police.uk:8443/stalking", "northyorkshire.police.uk:443/stalking",
                                   "www.northyorkshire.police.uk:8443/stalking"])
def test_a_port_in_the_printed_label_is_refused(tmp_path, campaign_text, label):
    text = campaign_text.replace("label: northyorkshire.police.uk/stalking", f"label: {label}")
    assert text != campaign_text
    [problem] = problems_of(write_campaign(tmp_path, text))
    assert problem.field == "qr" or problem.field.startswith("qr.label"), problem


# ---------------------------------------------------------------- confirmed numbers


def _partner_file(campaign: Path, ident: str = "york-support", **extra) -> Path:
    entry = {"id": ident, "name": "York Support", "logo": "partners/paladin.stand-in.svg",
             "contact": f"Call us on {LOCAL_NUMBER}", "products": ["leaflet-dl"], **extra}
    folder = partners_folder(campaign)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ident}.yaml"
    path.write_text(yaml.safe_dump(entry, sort_keys=False))
    return path


def test_confirmed_numbers_written_by_hand_are_not_trusted(tmp_path, campaign_text):
    campaign = campaign_copy(tmp_path, campaign_text)
    path = _partner_file(campaign, confirmed_numbers=[LOCAL_NUMBER])
    problems = problems_of(campaign)
    seal_problem = next(p for p in problems if p.field == "confirmed_numbers")
    assert seal_problem.file == str(path) and "not written by the partner portal" in seal_problem.what
    assert seal_problem.line == line_of(path.read_text(), "confirmed_numbers")
    # ... and the number itself is still unconfirmed.
    assert any(p.check == "unconfirmed-number" and p.value == LOCAL_NUMBER for p in problems)


LOGO = "partners/paladin.stand-in.svg"
# name, contact line, phone and logo as _partner_file writes them
PRINTED = ("York Support", f"Call us on {LOCAL_NUMBER}", "",
           confirm.logo_id(LOGO, (ROOT / "assets" / LOGO).read_bytes()))


def test_a_confirmation_sealed_by_the_portal_is_trusted_and_only_for_its_partner(tmp_path, campaign_text):
    campaign = campaign_copy(tmp_path, campaign_text)
    seal = confirm.seal(campaign.stem, "york-support", [LOCAL_NUMBER], PRINTED)
    _partner_file(campaign, confirmed_numbers=[LOCAL_NUMBER], confirmation=seal)
    load_campaign(campaign)
    # The same seal copied to another partner, or another number, is refused.
    (partners_folder(campaign) / "york-support.yaml").unlink()
    _partner_file(campaign, "leeds-support", confirmed_numbers=[LOCAL_NUMBER], confirmation=seal)
    assert any(p.field == "confirmed_numbers" for p in problems_of(campaign))
    (partners_folder(campaign) / "leeds-support.yaml").unlink()
    _partner_file(campaign, contact="Call us on 01904 555 018", confirmed_numbers=["01904 555 018"],
                  confirmation=seal)
    assert any(p.field == "confirmed_numbers" for p in problems_of(campaign))


@pytest.mark.parametrize("edit", [{"name": "National Helpline"}, {"contact": f"Helpline: {LOCAL_NUMBER}"},
                                  {"phone": "01904 555 018"}])
def test_a_sealed_partner_file_edited_by_hand_is_no_longer_trusted(tmp_path, campaign_text, edit):
    # The seal is the coordinator's approval of this partner's numbers as printed
    # with its name and contact line: a confirmed number under another name, or a
    # second confirmed number moved into the phone, is not what was approved.
    campaign = campaign_copy(tmp_path, campaign_text)
    numbers = [LOCAL_NUMBER, "01904 555 018"]
    seal = confirm.seal(campaign.stem, "york-support", numbers, PRINTED)
    _partner_file(campaign, confirmed_numbers=numbers, confirmation=seal)
    load_campaign(campaign)  # as the portal wrote it
    path = _partner_file(campaign, confirmed_numbers=numbers, confirmation=seal, **edit)
    problems = problems_of(campaign)
    problem = next(p for p in problems if p.field == "confirmed_numbers")
    assert problem.file == str(path) and "changed since the portal wrote" in problem.what, problem
    # Spaces and how the phone is grouped are not a change.
    _partner_file(campaign, confirmed_numbers=numbers, confirmation=seal, name="York  Support ")
    load_campaign(campaign)


def test_a_sealed_partner_files_logo_swapped_by_hand_is_no_longer_trusted(tmp_path, campaign_text, monkeypatch):
    from pipeline import assets

    monkeypatch.setattr(assets, "ASSETS", tmp_path / "assets")
    logo = tmp_path / "assets" / "partners" / "york-support.svg"
    logo.parent.mkdir(parents=True)
    logo.write_bytes((ROOT / "assets" / LOGO).read_bytes())
    campaign = campaign_copy(tmp_path, campaign_text)
    printed = (*PRINTED[:3], confirm.logo_id("partners/york-support.svg", logo.read_bytes()))
    seal = confirm.seal(campaign.stem, "york-support", [LOCAL_NUMBER], printed)
    path = _partner_file(campaign, logo="partners/york-support.svg", confirmed_numbers=[LOCAL_NUMBER],
                         confirmation=seal)
    content_module.load_campaign(campaign)  # as the portal wrote it
    logo.write_bytes(logo.read_bytes().replace(b"</svg>", b"<rect width='1' height='1'/></svg>"))
    problem = next(p for p in problems_of(campaign) if p.field == "confirmed_numbers")
    assert problem.file == str(path) and "logo" in problem.what


def test_a_campaign_files_partner_cannot_confirm_its_own_number(tmp_path, campaign_text):
    item = "      - id: paladin\n"
    text = campaign_text.replace(item, item + f"        confirmed_numbers: ['{LOCAL_NUMBER}']\n"
                                              f"        phone: {LOCAL_NUMBER}\n")
    fields = {p.field for p in problems_of(write_campaign(tmp_path, text))}
    assert fields == {"variants.partners.items[1].confirmed_numbers", "variants.partners.items[1].phone"}


@pytest.mark.parametrize("phone", ["999", "101", "55"])
def test_a_partners_phone_that_is_a_short_code_says_so(tmp_path, campaign_text, phone):
    # Printed after the partner's contact line, "999" or "55" would read as the
    # partner's own line (it said the contact line "ends in digits", which it did not).
    item = "      - id: paladin\n"
    text = campaign_text.replace(item, item + f"        phone: '{phone}'\n")
    [problem] = problems_of(write_campaign(tmp_path, text))
    assert problem.field == "variants.partners.items[1].phone" and "short code" in problem.what, problem
    assert problem.line == line_of(text, f"phone: '{phone}'")


def test_a_partners_phone_does_not_read_as_one_number_with_its_contact_line(tmp_path, campaign_text):
    old = "        contact: National Stalking Helpline 0808 802 0300\n"
    text = campaign_text.replace(old, "        contact: National Stalking Helpline 0808 802\n        phone: '0300 123 2040'\n")
    text = text.replace("support:\n", "support:\n  - name: Action Fraud\n    phone: 0300 123 2040\n", 1)
    [problem] = problems_of(write_campaign(tmp_path, unsourced(text)))  # Action Fraud: not in the release
    assert problem.field == "variants.partners.items[0].contact" and "read as one number" in problem.what
    # A contact line that ends in a word is fine.
    load_campaign(write_campaign(tmp_path, unsourced(text).replace("Helpline 0808 802\n", "Helpline 0808 802 0300, or\n")))


# ---------------------------------------------------------------- discreet everywhere


@pytest.mark.parametrize("name", ["Stálking Helpline", "Sta1king Helpline", "STA1KING", "\u0405t\u0430lking help",
                                  "H4r4ssment line", "Vict!m care"])
def test_discreet_words_are_matched_as_a_reader_reads_them(tmp_path, campaign_text, name):
    text = campaign_text.replace("discreet_name: Helpline", f"discreet_name: {name}")
    problems = problems_of(write_campaign(tmp_path, text))
    assert any(p.field == "support[0].discreet_name" and "revealing_words" in p.what for p in problems), problems


@pytest.mark.parametrize("name", ["\u00a7talking Helpline", "\u00a9rime line", "\u0192ixation help", "V\u00a1ctim care",
                                  "Ob\u00a7e\u00a7\u00a7ion line", "Abu\u00a7e line", "Sta-lking Helpline",
                                  "St.alking line", "S t a l k i n g"])
def test_discreet_words_in_signs_or_split_by_marks_are_matched_too(tmp_path, campaign_text, name):
    # Signs the fonts draw that read as letters (§ s, © c, ƒ f, ¡ i), and a word a
    # reader reads through a hyphen, a dot or letter spacing.
    text = campaign_text.replace("discreet_name: Helpline", f"discreet_name: {name}")
    problems = problems_of(write_campaign(tmp_path, text))
    assert any(p.field == "support[0].discreet_name" and "revealing_words" in p.what for p in problems), problems


@pytest.mark.parametrize("name", ["No matter how small", "Speak to someone", "North Yorkshire Police line",
                                  "#NoMatterHowSmall"])
def test_a_discreet_name_that_names_the_campaign_fails_check_as_build_would(tmp_path, campaign_text, name):
    # The campaign's name, strapline, hashtag and force are refused on a discreet
    # product by the build's preflight: check says so first, at the line.
    text = campaign_text.replace("discreet_name: Helpline", f"discreet_name: '{name}'")
    [problem] = problems_of(write_campaign(tmp_path, text))
    assert problem.field == "support[0].discreet_name" and problem.line == line_of(text, f"discreet_name: '{name}'")
    assert "discreet" in problem.what, problem


def test_a_partners_discreet_contact_that_names_the_force_fails_check(tmp_path, campaign_text):
    item = "      - id: paladin\n"
    assert item in campaign_text
    text = campaign_text.replace(item, item + "        discreet_contact: North Yorkshire Police partner line\n")
    [problem] = problems_of(write_campaign(tmp_path, text))
    assert problem.field == "variants.partners.items[1].discreet_contact", problem
    assert problem.line == line_of(text, "discreet_contact:")


@pytest.mark.parametrize("label", ["Stalking help numbers", "No matter how small"])
def test_the_discreet_cards_title_that_reveals_fails_check_as_build_would(tmp_path, campaign_text, label):
    # labels.useful_numbers is the outside and the PDF title of the discreet card.
    text = campaign_text.replace("useful_numbers: Useful numbers", f"useful_numbers: {label}")
    assert text != campaign_text
    [problem] = problems_of(write_campaign(tmp_path, text))
    assert problem.field == "labels.useful_numbers" and problem.line == line_of(text, "useful_numbers:"), problem


def test_ordinary_words_beside_each_other_are_not_read_as_one():
    campaign = load_campaign(DEFAULT_CAMPAIGN).campaign
    assert campaign.reveals("Let's talk: a bus or a cab. Use it.") == []


# اسٹاک as written, and with the Arabic kaf (U+0643) that reads the same in Urdu.
@pytest.mark.parametrize("word", ["\u0627\u0633\u0679\u0627\u06a9", "\u0627\u0633\u0679\u0627\u0643"])
def test_a_translated_discreet_name_that_reveals_fails_check_as_build_would(tmp_path, campaign_text, capsys, word):
    from pipeline.cli import main

    campaign = campaign_copy(tmp_path, campaign_text)
    (campaign.parent / "translations").unlink()
    folder = campaign.parent / "translations" / campaign.stem
    folder.mkdir(parents=True)
    source = (DEFAULT_CAMPAIGN.parent / "translations" / campaign.stem / "ur.yaml").read_text(encoding="utf-8")
    old = "  - discreet_name: \u06c1\u06cc\u0644\u067e \u0644\u0627\u0626\u0646"
    assert old in source
    text = source.replace(old, f"  - discreet_name: {word} \u06c1\u06cc\u0644\u067e", 1)
    (folder / "ur.yaml").write_text(text, encoding="utf-8")
    assert main(["check", str(campaign)]) == 1
    err = capsys.readouterr().err
    assert "ur.yaml" in err and "support[0].discreet_name" in err and "revealing_words" in err, err


@pytest.mark.parametrize("path", ["%73talking", "%53TALKING", "h%61rassment", "%2573talking", "st%C3%A1lking"])
def test_a_discreet_url_that_reveals_once_decoded_is_refused(tmp_path, campaign_text, path):
    # The phone's history, the address bar and the force's server read %73 as 's'.
    text = campaign_text.replace("discreet_url: https://www.northyorkshire.police.uk/\n",
                                 f"discreet_url: https://www.northyorkshire.police.uk/{path}\n")
    [problem] = problems_of(write_campaign(tmp_path, text))
    assert problem.field == "qr.discreet_url" and "revealing_words" in problem.what


def test_the_discreet_code_opens_a_neutral_page(tmp_path, campaign_text):
    from pipeline.cli import main

    # Without qr.discreet_url the code would open .../stalking: refused.
    without = write_campaign(tmp_path, campaign_text.replace(
        "  discreet_url: https://www.northyorkshire.police.uk/\n", ""), "without.yaml")
    assert main(["check", str(without)]) == 1
    # A discreet_url that reveals is refused at its line.
    text = campaign_text.replace("discreet_url: https://www.northyorkshire.police.uk/\n",
                                 "discreet_url: https://www.northyorkshire.police.uk/st4lking-help\n")
    [problem] = problems_of(write_campaign(tmp_path, text))
    assert problem.field == "qr.discreet_url" and problem.line == line_of(text, "discreet_url:")
    # One off the allow-list too.
    text = campaign_text.replace("discreet_url: https://www.northyorkshire.police.uk/\n",
                                 "discreet_url: https://evil.example/help\n")
    [problem] = problems_of(write_campaign(tmp_path, text))
    assert problem.field == "qr.discreet_url" and "allowed_hosts" in problem.what


def test_every_discreet_file_its_code_and_metadata_reveal_nothing(tmp_path):
    """Press and screen, English and Urdu, and the imposed sheets: the code decoded
    from a raster (zxing-cpp) and the document's metadata (pikepdf) are neutral."""
    import io

    import pikepdf
    import pypdfium2 as pdfium
    import zxingcpp

    from pipeline.cli import main
    from pipeline.content import load_campaigns

    out = tmp_path / "out"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--only", "wallet-card-discreet",
                 "--district", "none", "--partner", "none", "--jobs", "1"]) == 0
    folder = out / "no-matter-how-small"
    files = sorted(folder.rglob("wallet-card-discreet*.pdf"))
    languages = 1 + len(load_campaigns([DEFAULT_CAMPAIGN])[0].campaign.variants.languages.codes)
    assert len(files) == 3 * languages, files  # each language: press, screen, imposed press sheet
    campaigns = load_campaigns([DEFAULT_CAMPAIGN])
    words = set(campaigns[0].campaign.revealing_words) | {"stalking", "no matter how small", "north yorkshire police"}
    for path in files:
        with pikepdf.open(path) as doc:
            shown = [str(doc.docinfo.get(k, "")) for k in ("/Title", "/Subject", "/Keywords", "/Author")]
            with doc.open_metadata() as xmp:
                shown += [str(xmp.get(k, "")) for k in ("dc:title", "dc:description", "dc:subject", "pdf:Keywords")]
        language = path.parts[path.parts.index("languages") + 1] if "languages" in path.parts else None
        source = {c.language: c for c in campaigns}[language].campaign
        assert shown[0].startswith(source.labels.useful_numbers), (path, shown)
        document = pdfium.PdfDocument(str(path))
        codes = []
        for page in document:
            image = page.render(scale=300 / 72).to_pil()
            codes += [r.text for r in zxingcpp.read_barcodes(image)]
        document.close()
        assert codes and all(code.startswith("https://www.northyorkshire.police.uk/?c=wd") for code in codes), \
            (path, codes)
        for text in shown + codes:
            for word in words:
                assert word not in text.casefold(), (path, word, text)


# ---------------------------------------------------------------- check = build


def test_check_fails_where_build_would_a_partner_and_a_district_both_named_selby(tmp_path, campaign_text, capsys):
    from pipeline.cli import main

    text = campaign_text.replace("      - id: paladin\n", "      - id: selby\n")
    path = campaign_copy(tmp_path, text)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:{line_of(text, '- id: selby')} variants.partners.items[1].id: district 'Selby' and partner " \
           "'selby'" in err
    assert err.count("same QR tracking code") == 1  # one error for the one cause
    assert main(["list", str(path)]) == 1  # and the build's planning says the same


# ---------------------------------------------------------------- brand and translation files


def test_a_brand_colour_under_an_unknown_role_fails_at_its_line(tmp_path, campaign_text, monkeypatch):
    """`navy:` from an older format would be ignored and the campaign print grey."""
    monkeypatch.setattr(content_module.brand, "PROJECT_BRANDS", tmp_path / "brands")
    (tmp_path / "brands").mkdir()
    brand = tmp_path / "brands" / "north-yorkshire-police.yaml"
    text = EVIL_BRAND.replace("  primary: {", "  navy: {").replace("  accent:  {", "  acent:  {")
    brand.write_text(text)
    problems = problems_of(write_campaign(tmp_path, campaign_text))
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {"colours.navy", "colours.acent"}
    assert by_field["colours.navy"].file == str(brand) and by_field["colours.navy"].line == line_of(text, "navy:")
    assert "unknown colour role 'navy'" in by_field["colours.navy"].what
    assert by_field["colours.acent"].hint.startswith("did you mean 'accent'?")
    # The older format's colours at the top level: unknown keys at their lines too.
    text = EVIL_BRAND.replace("handle:", 'navy: {cmyk: [100, 75, 0, 60], rgb: "#0b2a4a"}\ncolors: {}\nhandle:')
    brand.write_text(text)
    by_field = {p.field: p for p in problems_of(write_campaign(tmp_path, campaign_text))}
    assert set(by_field) == {"navy", "colors"}
    assert by_field["navy"].line == line_of(text, "navy:") and "unknown key 'navy'" in by_field["navy"].what
    assert by_field["colors"].hint == "did you mean 'colours'?"


def test_the_colour_roles_are_the_layouts():
    roles = yaml.safe_load((ROOT / "layouts" / "colours.yaml").read_text())
    assert set(content_module.COLOUR_ROLES) == set(roles)


def test_a_misspelt_key_in_a_translation_is_one_error_with_a_did_you_mean(tmp_path, campaign_text):
    campaign = campaign_copy(tmp_path, campaign_text)
    (tmp_path / "content" / "translations").unlink()
    folder = tmp_path / "content" / "translations" / campaign.stem
    folder.mkdir(parents=True)
    for other in (ROOT / "content" / "translations" / campaign.stem).glob("*.yaml"):
        (folder / other.name).write_text(other.read_text())  # the others as they are
    urdu = (ROOT / "content" / "translations" / campaign.stem / "ur.yaml").read_text()
    text = urdu.replace("strapline:\n  lead:", "strapline:\n  leed:", 1)
    assert text != urdu
    (folder / "ur.yaml").write_text(text)
    with pytest.raises(ContentError) as caught:
        content_module.load_campaigns([campaign])
    [problem] = caught.value.problems
    assert problem.field == "strapline.leed" and problem.line == line_of(text, "  leed:")
    assert problem.hint == "did you mean 'strapline.lead'?"


def test_the_schemas_cover_brand_and_translation_files():
    import json

    import jsonschema

    def errors(schema: str, data) -> list[str]:
        validator = jsonschema.Draft202012Validator(json.loads((ROOT / "docs" / schema).read_text()))
        return [e.message for e in validator.iter_errors(data)]

    urdu = yaml.safe_load((ROOT / "content" / "translations" / DEFAULT_CAMPAIGN.stem / "ur.yaml").read_text())
    assert errors("translation.schema.json", urdu) == []
    urdu["strapline"]["leed"] = urdu["strapline"].pop("lead")
    # A translation may name its own page (qr.url, checked against the campaign's allow-list
    # when it loads), never the allow-list itself.
    urdu["qr"] = {"url": "https://www.northyorkshire.police.uk/ur", "allowed_hosts": ["evil.example"]}
    found = errors("translation.schema.json", urdu)
    assert any("'leed' was unexpected" in m for m in found)
    assert any("'allowed_hosts' was unexpected" in m for m in found), found
    brand = yaml.safe_load((ROOT / "content" / "brands" / "north-yorkshire-police.yaml").read_text())
    assert errors("brand.schema.json", brand) == []
    brand["colours"]["navy"] = brand["colours"].pop("primary")
    del brand["web_hosts"]
    found = errors("brand.schema.json", brand)
    assert any("'navy' is not one of" in m for m in found) and any("'web_hosts' is a required" in m for m in found)


# ---------------------------------------------------------------- a complete cache key

MINIMAL = ROOT / "content" / "examples" / "minimal.yaml"


def _png(size: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (size, size), (255, 255, 255)).save(out, "PNG")
    return out.getvalue()


def _build_posters(tmp_path, layouts: Path, capsys) -> str:
    from pipeline.cli import main

    capsys.readouterr()
    main(["build", str(MINIMAL), "--out", str(tmp_path / "out"), "--profile", "press", "--only", "poster",
          "--jobs", "1", "--layouts", str(layouts)])
    return capsys.readouterr().out


def test_changing_an_image_a_stylesheet_loads_rebuilds_its_jobs(tmp_path, capsys):
    from .test_preflight import layouts_copy

    layouts = layouts_copy(tmp_path, {"poster-a4.css": (".qr {", 'html { background: url("paper.png") no-repeat; '
                                                                 "background-size: 1mm 1mm }\n.qr {")})
    (layouts / "paper.png").write_bytes(_png(1))
    assert "built 3 PDF(s), 0 unchanged" in _build_posters(tmp_path, layouts, capsys)
    assert "built 0 PDF(s), 3 unchanged" in _build_posters(tmp_path, layouts, capsys)
    (layouts / "paper.png").write_bytes(_png(2))  # the A4 poster's stylesheet loads it
    assert "built 1 PDF(s), 2 unchanged" in _build_posters(tmp_path, layouts, capsys)


def test_changing_an_otf_font_or_the_renderers_version_rebuilds(tmp_path, capsys, monkeypatch):
    from pipeline import build

    from .test_preflight import layouts_copy

    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for font in (ROOT / "fonts").iterdir():
        (fonts / font.name).symlink_to(font)
    (fonts / "Display.otf").write_bytes(b"OTTO one")
    monkeypatch.setattr(build.cache, "FONTS", fonts)
    layouts = layouts_copy(tmp_path, {})
    assert "built 3 PDF(s)" in _build_posters(tmp_path, layouts, capsys)
    assert "built 0 PDF(s), 3 unchanged" in _build_posters(tmp_path, layouts, capsys)
    (fonts / "Display.otf").write_bytes(b"OTTO two")
    assert "built 3 PDF(s), 0 unchanged" in _build_posters(tmp_path, layouts, capsys)
    versions = {**build.renderer_versions(), "pango": "0.0.1"}
    monkeypatch.setattr(build.cache, "renderer_versions", lambda: versions)
    assert "built 3 PDF(s), 0 unchanged" in _build_posters(tmp_path, layouts, capsys)


# ---------------------------------------------------------------- SVG colours for press

GRADIENT_LOGO = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     viewBox="0 0 100 40" width="100" height="40">
  <style>.brand { fill: navy } .edge { stroke: rgb(200, 30, 40); stroke-width: 2 }</style>
  <defs>
    <linearGradient id="sky"><stop offset="0" stop-color="skyblue"/><stop offset="1" style="stop-color:#ff8800"/>
    </linearGradient>
    <circle id="dot" r="5" fill="hsl(120, 60%, 40%)"/>
  </defs>
  <rect width="100" height="40" fill="url(#sky) tomato"/>
  <rect class="brand edge" x="5" y="5" width="30" height="30"/>
  <use href="#dot" x="60" y="20"/>
  <use xlink:href="#dot" x="80" y="20" style="fill: purple"/>
</svg>"""


def test_svg_colours_convert_on_the_parsed_tree_keeping_references():
    from xml.etree import ElementTree

    from pipeline.colour import svg_to_cmyk
    from pipeline.paths import COLOUR

    out = svg_to_cmyk(GRADIENT_LOGO, COLOUR / "FOGRA39L.icc")
    root = ElementTree.fromstring(out)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert root.find(".//svg:rect", ns).get("fill") == "url(#sky)"
    uses = root.findall(".//svg:use", ns)
    assert uses[0].get("href") == "#dot" and uses[1].get("{http://www.w3.org/1999/xlink}href") == "#dot"
    assert "device-cmyk(" in uses[1].get("style")
    style = root.find("svg:style", ns).text
    assert ".brand" in style and "navy" not in style and "rgb(" not in style
    for colour in ("hsl(", "tomato", "purple", "navy"):
        assert colour not in out, colour
    # Gradient stops stay sRGB: WeasyPrint draws gradients from sRGB only, and the
    # press finisher converts the shading (the next test reads the PDF).
    assert [stop.get("stop-color") for stop in root.iter("{http://www.w3.org/2000/svg}stop")][0] == "skyblue"


def press_poster_with(tmp_path, img_src: str, files: dict[str, str] | None = None):
    """The press PDF of the minimal campaign's first poster with an <img> in its band
    (in a copy of the layouts, with `files` beside the templates): its path."""
    from pipeline.content import load_campaigns
    from pipeline.fit import fitted
    from pipeline.plan import load_layouts, load_profiles, plan, select_profiles

    from .test_preflight import layouts_copy

    layouts = layouts_copy(tmp_path, {"poster.html": ('<header class="band">',
                                                      f'<header class="band"><img src="{img_src}" alt="">')})
    for name, text in (files or {}).items():
        (layouts / name).write_text(text)
    [job] = plan(load_campaigns([MINIMAL]), load_layouts(layouts), select_profiles(load_profiles(), "press"),
                 only=["poster"])[:1]
    _, rendered = fitted(job)
    path = tmp_path / "poster.pdf"
    path.write_bytes(rendered.pdf)
    return path


def test_a_logo_with_gradients_use_and_classes_prints_without_rgb(tmp_path):
    """The press PDF of a poster carrying the logo has no RGB colour left (pikepdf)."""
    import pikepdf

    from . import pdf_tools

    path = press_poster_with(tmp_path, "logo-test.svg", {"logo-test.svg": GRADIENT_LOGO})
    used = pdf_tools.colour_operators(path)
    assert not used["operators"] & pdf_tools.RGB_OPERATORS, used
    assert used["spaces"] <= {"/DeviceCMYK", "/Pattern"}, used  # the gradient fills as a pattern
    with pikepdf.open(path) as pdf:
        shadings = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and "/ShadingType" in obj]
        assert shadings, "the gradient is drawn as a shading"
        assert {str(s.ColorSpace) for s in shadings} == {"/DeviceCMYK"}
        for shading in shadings:
            for function in shading.Function.get("/Functions", [shading.Function]):
                assert len(function.C0) == len(function.C1) == 4


def test_an_svg_written_into_a_template_as_a_data_uri_prints_without_rgb(tmp_path):
    """A template's <img src="data:image/svg+xml;base64,..."> is converted for the
    press as the same SVG in a file is: no RGB reaches the press PDF."""
    import base64

    from . import pdf_tools

    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20">'
           '<rect width="20" height="20" fill="#e4002b"/></svg>')
    path = press_poster_with(tmp_path, "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode())
    used = pdf_tools.colour_operators(path)
    assert not used["operators"] & pdf_tools.RGB_OPERATORS, used
    assert "/DeviceRGB" not in used["spaces"], used


# ---------------------------------------------------------------- errors in the editor's words

LONG_LEAD = ("No matter how small it may seem, and however long it has been going on, and whoever it is, and "
             "wherever you are, and whatever they have done or said to you or your family or friends.")


def test_a_too_long_field_is_one_error_naming_it_and_how_much_too_long(tmp_path, campaign_text, capsys):
    import json
    import re

    from pipeline.cli import main

    text = unsourced(campaign_text).replace("  lead: |-\n    No matter how small\n    it may seem.", f"  lead: {LONG_LEAD}")
    path = campaign_copy(tmp_path, text)
    args = ["--only", "leaflet-a5", "--profile", "press", "--district", "none", "--partner", "none",
            "--language", "none", "--jobs", "1"]
    assert main(["preflight", str(path), "--out", str(tmp_path / "out"), *args]) == 1
    err = capsys.readouterr().err
    assert "overlaps" not in err and "quiet zone" not in err, err  # the symptoms are not listed one by one
    report = json.loads((tmp_path / "out" / "no-matter-how-small" / "preflight.json").read_text())
    [cause] = [p for p in report["problems"] if p["level"] == "error"]
    assert cause["field"] == "strapline.lead" and cause["check"] == "too-long", cause
    assert f"{path}:{line_of(text, '  lead:')}" in cause["hint"]
    too_many = int(re.search(r"about (\d+) characters too long for the leaflet-a5", cause["what"]).group(1))
    assert 0 < too_many < len(LONG_LEAD)
    # Cut by that much (it ends at a word), the leaflet passes.
    path.write_text(text.replace(LONG_LEAD, LONG_LEAD[:len(LONG_LEAD) - too_many]))
    assert main(["preflight", str(path), "--out", str(tmp_path / "out2"), *args]) == 0
    capsys.readouterr()


def test_a_note_for_a_whole_language_is_said_once_with_a_summary_by_cause():
    from pipeline.problems import Problem
    from pipeline.report import causes, preflight_json, summary_lines

    draft = [Problem("warning", f"languages/ur/{name}.pdf", "the 'ur' translation is a draft", "have it checked",
                     check="translation") for name in ("poster-a4", "poster-a3", "leaflet-dl", "wallet-card")]
    other = Problem("error", "poster-a4.pdf", "has 2 pages; a poster has 1", "shorten the text", page=2, check="pages")
    lines = summary_lines(draft + [other], 5)
    assert sum("translation is a draft" in line for line in lines) == 2  # once, and once in the summary by cause
    assert any(line.startswith("warning: 4 files (languages/ur/poster-a4.pdf") for line in lines)
    assert lines[-3].startswith("by cause: 2 cause(s) of 5 problem(s)")
    assert lines[-2].startswith("  error: has 2 pages") and lines[-1].endswith("[4 files]")
    import json

    grouped = json.loads(preflight_json("c", [], draft + [other]))["causes"]
    assert [len(c["files"]) for c in grouped] == [1, 4]
    assert len(causes(draft)) == 1


def test_preflight_reads_a_discreet_files_metadata_and_the_address_its_code_opens():
    import io
    from types import SimpleNamespace

    import pikepdf

    from pipeline.preflight import Subject, check_discreet

    source = load_campaign(DEFAULT_CAMPAIGN)

    def problems(title: str, qr_url: str) -> list:
        pdf = pikepdf.new()
        pdf.add_blank_page()
        pdf.docinfo["/Title"] = title
        out = io.BytesIO()
        pdf.save(out)
        job = SimpleNamespace(output="wallet-card-discreet.pdf", source=source, partner=None, qr_url=qr_url,
                              spec=SimpleNamespace(options={"discreet": True}))
        return check_discreet(Subject(job, "", SimpleNamespace(layout=[], pdf=out.getvalue())))

    neutral = "https://www.northyorkshire.police.uk/help?c=wd"
    assert problems("Useful numbers", neutral) == []
    [problem] = problems("No matter how small: wallet card", neutral)
    assert "PDF's title" in problem.what and problem.check == "discreet"
    [problem] = problems("Useful numbers", "https://www.northyorkshire.police.uk/stalking?c=wd")
    assert "opens https://www.northyorkshire.police.uk/stalking?c=wd" in problem.what
