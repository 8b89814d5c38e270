"""Trust boundary, the attacker's pass's leftovers: printed web addresses in any case
and any script (a public suffix, not only www. or https://), partners' files checked
for addresses at load as campaign files are, and the web page's image read whole (the
posters print only its crop). Each refusal names file, line and field, no traceback."""
from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline import partners
from pipeline.cli import main
from pipeline.inputs import find_web_addresses
from pipeline.paths import FONTS

from .conftest import write_campaign
from .test_identity import SMALL_CAMPAIGN
from .test_partners import draft  # noqa: F401 (a fixture)
from .test_trust_new_inputs import IMAGE, refused

FORCE = "northyorkshire.police.uk"


# ---------------------------------------------------------------- the address finder


@pytest.mark.parametrize("text, host", [
    ("Visit evil.Com today", "evil.com"),
    ("See Evil.CO.UK/path.", "evil.co.uk"),
    ("Help at eViL.oRg", "evil.org"),
    ("Go to help.Zip", "help.zip"),
    ("n\u043erthyorkshire.police.uk/help", "n\u043erthyorkshire.police.uk"),  # Cyrillic o
    ("xn--nrthyorkshire-ijb.police.uk", "xn--nrthyorkshire-ijb.police.uk"),  # punycode
    ("\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", "\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444"),
    ("northyorkshire\u3002police\u3002uk\u3002evil\u3002com", f"{FORCE}.evil.com"),  # ideographic dots
    ("northyorkshire-police.uk", "northyorkshire-police.uk"),
    ("Visit northyorkshire.police.uk.evil.com now", f"{FORCE}.evil.com"),
    (f"https://{FORCE}@evil.com/stalking", "evil.com"),  # a browser opens the host after '@'
])
def test_every_address_a_reader_would_type_is_found_in_any_case_and_script(text, host):
    assert [a.host for a in find_web_addresses(text)] == [host]


@pytest.mark.parametrize("text", [
    "images/call.png, help@example.org, 2.5 m, e.g. this. Next", "U.K. i.e. 9 a.m. St.Helens", "v1.2.3",
    "Fulford Road. Open 9am"])
def test_what_is_not_an_address_is_not_found(text):
    assert find_web_addresses(text) == []


@pytest.mark.parametrize("credit, says", [
    ("Photo evil.Com", "'evil.Com' is not one of the campaign's web addresses"),
    ("Photo Evil.CO.UK/path", "'Evil.CO.UK/path' is not one of"),
    ("Photo n\u043erthyorkshire.police.uk", "'\u043e' (U+043E CYRILLIC SMALL LETTER O)"),
    ("Photo xn--nrthyorkshire-ijb.police.uk", "written as 'xn--nrthyorkshire-ijb.police.uk'"),
    ("Photo northyorkshire-police.uk", f"it looks like {FORCE} but is another site"),
    ("Photo northyorkshire.police.uk.evil.com", f"it begins with {FORCE} but is a page of evil.com"),
])
def test_a_campaign_printing_a_look_alike_or_mixed_case_address_is_refused_saying_what_it_imitates(
        tmp_path, credit, says):
    found = refused(tmp_path, SMALL_CAMPAIGN + IMAGE + f"  credit: {credit}\n", "image.credit")
    assert any(says in p.what for p in found), found


def test_the_campaigns_own_site_in_capitals_passes(tmp_path, capsys):
    path = write_campaign(tmp_path, SMALL_CAMPAIGN + IMAGE + "  credit: Photo NorthYorkshire.Police.UK\n")
    assert main(["check", str(path)]) == 0, capsys.readouterr().err


# ---------------------------------------------------------------- partners' files and requests


def partner_file(draft, text: str):  # noqa: F811
    folder = draft.campaign.parent / "partners" / draft.campaign.stem
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "york.yaml"
    path.write_text("id: york\nname: York Aid\nlogo: partners/paladin.stand-in.svg\n" + text +
                    "products: [leaflet-dl]\n")
    return path


@pytest.mark.parametrize("lines, where, says", [
    ("contact: Details at evil.Com/help\n", "4 contact", "'evil.Com/help' is not one of the campaign's"),
    ("contact: York Aid\nweb: www.york-aid.org.uk\ndiscreet_contact: See Evil.CO.UK\n", "6 discreet_contact",
     "'Evil.CO.UK' is not one of"),
    ("contact: See northyorkshire-police.uk\nweb: northyorkshire-police.uk\n", "5 web",
     f"web: 'northyorkshire-police.uk' is not the force's site but it looks like {FORCE}"),
    ("contact: York Aid\nweb: xn--yrk-aid-m2a.org.uk\n", "5 web", "international (IDN/punycode) name"),
])
def test_a_partner_file_printing_an_address_not_the_campaigns_nor_its_own_is_refused_at_load(
        draft, capsys, lines, where, says):  # noqa: F811
    path = partner_file(draft, lines)
    assert main(["check", str(draft.campaign)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:{where}: " in err and says in err and "Traceback" not in err, err


def test_a_partner_may_print_its_own_declared_site_and_the_campaigns(draft, capsys):  # noqa: F811
    partner_file(draft, "contact: York Aid, www.York-Aid.org.uk, or northyorkshire.police.uk\n"
                        "web: www.york-aid.org.uk\n")
    assert main(["check", str(draft.campaign)]) == 0, capsys.readouterr().err


def test_the_portal_refuses_a_requests_address_with_the_same_function(draft):  # noqa: F811
    draft.contact = "Call 0808 802 0300 or see evil.Com"
    errors = [p for p in partners.check_partner(draft) if p.level == "error"]
    assert [p.field for p in errors] == ["contact"] and "'evil.Com' is not one of" in errors[0].what, errors
    draft.contact, draft.web = "Call 0808 802 0300 or see york-aid.org.uk", "york-aid.org.uk"
    assert partners.check_partner(draft) == []


def test_a_sealed_partner_files_site_changed_by_hand_is_refused(draft, capsys):  # noqa: F811
    draft.confirmed_numbers, draft.web = ["01904 555 017"], "www.york-aid.org.uk"
    entry, _ = partners.write_partner(draft)
    assert main(["check", str(draft.campaign)]) == 0, capsys.readouterr().err
    entry.write_text(entry.read_text().replace("www.york-aid.org.uk", "www.york-aid.org"))
    assert main(["check", str(draft.campaign)]) == 1
    assert "the seal does not match" in capsys.readouterr().err


# ---------------------------------------------------------------- the web page's image, whole


def test_a_number_in_the_part_of_the_image_the_posters_crop_away_stops_the_web_page(tmp_path, monkeypatch, capsys):
    """The poster's band keeps the image's top (focal point 50, 0); the web page shows it
    whole, the number at its foot too: read there by OCR, the page is not made."""
    from pipeline import assets, identity

    folder = tmp_path / "assets"
    (folder / "images").mkdir(parents=True)
    monkeypatch.setattr(assets, "ASSETS", folder)
    monkeypatch.setattr(identity, "ASSETS", folder)
    font = ImageFont.truetype(str(FONTS / "AtkinsonHyperlegible-Regular.ttf"), 90)
    for name, number in (("foot.png", "Call 01632 456 789"), ("plain.png", "")):
        picture = Image.new("RGB", (1600, 1200), (40, 90, 160))
        ImageDraw.Draw(picture).rectangle((0, 1000, 1600, 1200), fill="white")
        ImageDraw.Draw(picture).text((80, 1040), number, font=font, fill="black")
        picture.save(folder / "images" / name, dpi=(300, 300))
    for name, made in (("foot.png", False), ("plain.png", True)):
        path = write_campaign(tmp_path, SMALL_CAMPAIGN + IMAGE.replace("phone-scams-call.png", name)
                              + "  focal_point: [50, 0]\n")
        out = tmp_path / f"out-{name}"
        code = main(["build", str(path), "--out", str(out), "--only", "web-page", "--jobs", "1"])
        err = capsys.readouterr().err
        assert (code == 0) == made and (out / "campaign" / "web" / "index.html").is_file() == made, err
        said = f"{path}:32 image.file: image assets/images/foot.png shows what reads as the phone number '"
        # (OCR reads this font's slashed zero as 9: "91632 456 789")
        assert (said in err and "1632 456 789'" in err) != made and "Traceback" not in err, err


def test_a_number_in_an_svg_images_text_stops_the_web_page_wherever_the_crop_falls(tmp_path, monkeypatch, capsys):
    from pipeline import assets, identity

    folder = tmp_path / "assets"
    (folder / "images").mkdir(parents=True)
    monkeypatch.setattr(assets, "ASSETS", folder)
    monkeypatch.setattr(identity, "ASSETS", folder)
    (folder / "images" / "foot.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="1200" viewBox="0 0 1600 1200">'
        '<rect width="1600" height="1200" fill="#28a"/><text x="80" y="1150" font-size="90">Call '
        '<tspan>01632 456 789</tspan></text></svg>')
    path = write_campaign(tmp_path, SMALL_CAMPAIGN + IMAGE.replace("phone-scams-call.png", "foot.svg")
                          + "  focal_point: [50, 0]\n")
    assert main(["build", str(path), "--out", str(tmp_path / "out"), "--only", "web-page", "--jobs", "1"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:32 image.file: image assets/images/foot.svg shows what reads as the phone number " \
           "'01632 456 789'" in err and "Traceback" not in err, err


def test_a_partner_in_the_campaign_file_prints_only_the_campaigns_sites_and_its_own(tmp_path, campaign_text, capsys):
    from .conftest import campaign_copy

    line = "        contact: National Stalking Helpline 0808 802 0300\n"
    path = campaign_copy(tmp_path, campaign_text.replace(line, line.replace("0300", "0300, SuzyLamplugh.Org")))
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    at = campaign_text[:campaign_text.index(line)].count("\n") + 1
    assert f"{path}:{at} variants.partners.items[0].contact: the web address 'SuzyLamplugh.Org'" in err, err
    path = campaign_copy(tmp_path, campaign_text.replace(line, line.replace("0300", "0300, SuzyLamplugh.Org")
                                                         + "        web: www.suzylamplugh.org\n"))
    assert main(["check", str(path)]) == 0, capsys.readouterr().err
