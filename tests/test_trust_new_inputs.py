"""Trust boundary, this session's new inputs (an attacker's pass): image slots, their
alt text and credit, the counts of services and signs per product, district lines and
the brand's lockup. Each mistake or trick is refused where it is written (file, line,
field, how to fix it), never with a traceback."""
from __future__ import annotations

import io

import pytest
import qrcode
from PIL import Image

from pipeline.assets import check_image
from pipeline.cli import main
from pipeline.content import Brand, load_campaign, load_model
from pipeline.inputs import find_web_addresses
from pipeline.problems import ContentError

from .conftest import write_campaign
from .test_identity import SMALL_CAMPAIGN
from .test_preflight import layouts_copy, run_preflight

IMAGE = "image:\n  file: images/phone-scams-call.png\n  alt: A phone ringing\n"
DISTRICT = ("products: [poster]\nvariants:\n  districts:\n    products: [poster]\n    items:\n"
            "      - name: York\n        line: {line}\n")


def refused(tmp_path, text: str, field: str) -> list:
    """The problems of a campaign file at `field`, each with its line and a hint."""
    path = write_campaign(tmp_path, text)
    with pytest.raises(ContentError) as caught:
        load_campaign(path)
    found = [p for p in caught.value.problems if p.field == field]
    assert found, caught.value.problems
    assert all(p.file == str(path) and p.line and p.hint for p in found), found
    return found


# ---------------------------------------------------------------- web addresses in text


@pytest.mark.parametrize("text, field", [
    (SMALL_CAMPAIGN + IMAGE + "  credit: Photo evil-police.co.uk/help\n", "image.credit"),
    (SMALL_CAMPAIGN + IMAGE.replace("A phone ringing", "Help at https://www.evil.example.com/help"), "image.alt"),
    (SMALL_CAMPAIGN + IMAGE.replace("A phone ringing", "Help at WWW.Evil-Police.uk"), "image.alt"),
    (SMALL_CAMPAIGN.replace("products: [poster]\n", DISTRICT.format(line="More at northyorkshire-police.org/york")),
     "variants.districts.items[0].line"),
    # Look-alike: a full-width dot reads as a dot.
    (SMALL_CAMPAIGN.replace("products: [poster]\n", DISTRICT.format(line="See northyorkshire.police\uff0euk.help.com")),
     "variants.districts.items[0].line"),
])
def test_a_web_address_that_is_not_the_campaigns_is_refused_in_any_text(tmp_path, text, field):
    found = refused(tmp_path, text, field)
    assert any("is not one of the campaign's web addresses" in p.what and "qr.allowed_hosts" in p.hint
               for p in found), found


def test_the_campaigns_own_web_addresses_pass_in_text(tmp_path):
    text = SMALL_CAMPAIGN.replace("    phone: 0203 866 4107\n",
                                  "    phone: 0203 866 4107\n    web: www.paladinservice.co.uk\n")
    text += IMAGE + "  credit: Photo northyorkshire.police.uk/photos, also at paladinservice.co.uk.\n"
    text = text.replace("products: [poster]\n", DISTRICT.format(
        line="Details at https://www.northyorkshire.police.uk/york or info@example.org"))
    load_campaign(write_campaign(tmp_path, text))


def test_web_addresses_are_found_as_a_reader_reads_them():
    assert [a.host for a in find_web_addresses("Visit WWW.Example.co.uk/help. Or https://a.b.org")] == \
        ["example.co.uk", "a.b.org"]
    # Not an address: a file name, an e-mail's domain, decimals, e.g., a sentence's end.
    assert find_web_addresses("images/call.png, help@example.org, 2.5 m, e.g. this. Next") == []


# ---------------------------------------------------------------- counts, focal point, lockup


@pytest.mark.parametrize("old, new, field", [
    ("signs: 3}", "signs: true}", "show.poster.signs"),
    ("signs: 3}", "signs: '3'}", "show.poster.signs"),
    ("signs: 3}", "signs: 3.0}", "show.poster.signs"),
    ("support: 2", "support: yes", "show.poster.support"),
    ("signs: 3}", "signs: 3}\n" + IMAGE + "  focal_point: [true, 50]", "image.focal_point[0]"),
    ("signs: 3}", "signs: 3}\n" + IMAGE + "  focal_point: ['50', 30]", "image.focal_point[0]"),
])
def test_counts_and_the_focal_point_are_numbers_not_words_or_yes(tmp_path, old, new, field):
    found = refused(tmp_path, SMALL_CAMPAIGN.replace(old, new), field)
    assert any("number" in f"{p.what} {p.hint}" for p in found), found


@pytest.mark.parametrize("old, new, field, says", [
    ("support: 2", "support: 4", "show", "show.poster.support: 4, but the campaign lists 3 support services"),
    ("signs: 3}", "signs: 5}", "show", "show.poster.signs: 5, but the campaign lists 4 signs"),
])
def test_a_count_beyond_what_the_campaign_lists_is_refused(tmp_path, old, new, field, says):
    found = refused(tmp_path, SMALL_CAMPAIGN.replace(old, new), field)
    assert any(says in p.what for p in found), found


@pytest.mark.parametrize("lockup, field", [
    ("{min_height_mm: true}", "lockup.min_height_mm"),
    ("{clear_space: '0.5'}", "lockup.clear_space"),
    ("{clear_space: -0.1}", "lockup.clear_space"),
    ("{clear_space: 1000}", "lockup.clear_space"),
    ("{min_height_mm: .inf}", "lockup.min_height_mm"),
    ("{min_height_mm: .nan}", "lockup.min_height_mm"),
    ("{position: bottom-left}", "lockup.position"),
])
def test_lockup_values_out_of_range_or_of_the_wrong_type_are_refused(tmp_path, lockup, field):
    path = write_campaign(tmp_path, f"force: Example Police\nweb_hosts: [www.example.police.uk]\nlockup: {lockup}\n",
                          "brand.yaml")
    with pytest.raises(ContentError) as caught:
        load_model(path, Brand)
    found = [p for p in caught.value.problems if p.field == field]
    assert found and all(p.line == 3 and p.hint for p in found), caught.value.problems


# ---------------------------------------------------------------- image files


@pytest.mark.parametrize("name", ["images/../images/phone-scams-call.png", "images/./phone-scams-call.png",
                                  "images/.hidden.png", "images//phone-scams-call.png"])
def test_an_image_path_with_dot_segments_is_refused_at_its_field(tmp_path, name):
    found = refused(tmp_path, SMALL_CAMPAIGN + IMAGE.replace("images/phone-scams-call.png", name), "image.file")
    assert all("images/hands-and-phone.jpg" in p.hint for p in found), found


def test_dot_segments_leading_outside_assets_are_refused_before_any_file_is_read(tmp_path, capsys):
    path = write_campaign(tmp_path, SMALL_CAMPAIGN + IMAGE.replace("images/phone-scams-call.png",
                                                                   "images/../../proofs/x.png"))
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:32 image.file:" in err and "Traceback" not in err, err


def test_an_animated_image_is_refused_only_its_first_frame_would_print():
    frames = [Image.new("RGB", (40, 40), colour) for colour in ("white", "black")]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:])
    problems = check_image(out.getvalue(), "images/call.png")
    assert problems and "2 frames" in problems[0].what and problems[0].hint, problems
    still = io.BytesIO()
    frames[0].save(still, "PNG")
    assert check_image(still.getvalue(), "images/call.png") == []


def test_an_image_that_carries_a_qr_code_is_refused_even_where_the_posters_crop_it(tmp_path, monkeypatch, capsys):
    # The code sits at the image's foot, which the posters' band crops away (preflight's
    # page scan would not see it) and the web page shows whole.
    from pipeline import assets, identity

    folder = tmp_path / "assets"
    (folder / "images").mkdir(parents=True)
    monkeypatch.setattr(assets, "ASSETS", folder)
    monkeypatch.setattr(identity, "ASSETS", folder)
    picture = Image.new("RGBA", (1200, 1600), (0, 0, 0, 0))
    code = qrcode.make("https://evil.example.com/help", box_size=6).convert("RGBA")
    picture.paste(code, (700, 1600 - code.size[1]))
    picture.save(folder / "images" / "call.png", dpi=(300, 300))
    Image.new("RGB", (1200, 1600), "white").save(folder / "images" / "plain.png", dpi=(300, 300))
    for name, refused_ in (("call.png", True), ("plain.png", False)):
        path = write_campaign(tmp_path, SMALL_CAMPAIGN + IMAGE.replace("phone-scams-call.png", name))
        assert main(["check", str(path)]) == int(refused_)
        err = capsys.readouterr().err
        assert (f"{path}:32 image.file: image assets/images/{name}: carries a QR code that leads to "
                "'https://evil.example.com/help'" in err) == refused_, err


# ---------------------------------------------------------------- printed addresses (preflight)


def test_a_social_images_link_text_pointing_elsewhere_fails_its_preflight(tmp_path):
    # A template editor's link text: the campaign's host as a sub-domain of another site.
    layouts = layouts_copy(tmp_path, {"social.html": (
        '<p class="link" dir="ltr">{{ c.qr.label }}</p>',
        '<p class="link" dir="ltr">northyorkshire.police.uk.help-now.org/stalking</p>')})
    code, report = run_preflight(tmp_path, "--only", "social", layouts=layouts)
    assert code == 1
    found = [p for p in report["problems"] if p["level"] == "error" and p.get("check") == "addresses"]
    assert {p["file"] for p in found} == {"social-square.png", "social-story.png", "social-link-preview.png"}, found
    assert all("'northyorkshire.police.uk.help-now.org/stalking'" in p["what"] and p["field"].endswith("p.link")
               for p in found), found


def test_the_campaigns_own_printed_addresses_pass_preflight(tmp_path):
    code, report = run_preflight(tmp_path, "--only", "social", "--only", "wallet-card")
    assert not [p for p in report["problems"] if p.get("check") == "addresses"], report["problems"]


def test_a_number_made_by_a_districts_name_beside_labels_local_is_refused_at_the_name(tmp_path):
    text = SMALL_CAMPAIGN.replace("labels:\n", "labels:\n  local: Call 01904 {district}\n").replace(
        "products: [poster]\n", DISTRICT.format(line="x").replace("        line: x\n", "").replace("York", "'618691'"))
    found = refused(tmp_path, text, "variants.districts.items[0].name")
    assert any("'Call 01904 618691' prints the phone number '01904 618691'" in p.what for p in found), found
