"""Trust boundary, content side: what comes in (campaign YAML, translations, partner
contact lines) is refused with file, line, field and a hint when it could put a wrong
address, a wrong number or a revealing word on paper, or take the build down."""
from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pikepdf
import pypdfium2 as pdfium
import pytest

from pipeline import content as content_module
from pipeline.cli import main
from pipeline.content import load_campaign, load_campaigns, on_allow_list
from pipeline.inputs import check_text, check_url, find_phone_numbers
from pipeline.preflight import Subject, check_discreet, check_numbers
from pipeline.problems import ContentError
from pipeline.render import Placed

from .conftest import DEFAULT_CAMPAIGN, campaign_copy, write_campaign

HOSTS = ["www.northyorkshire.police.uk"]
URL = "https://www.northyorkshire.police.uk/stalking"
PARTNER_LINE = "contact: National Stalking Helpline 0808 802 0300"
URDU = DEFAULT_CAMPAIGN.parent / "translations" / DEFAULT_CAMPAIGN.stem / "ur.yaml"


def problems_of(path: Path) -> list:
    with pytest.raises(ContentError) as caught:
        load_campaign(path)
    return caught.value.problems


def refused(tmp_path, text: str) -> list:
    """Problems of a campaign file; each must say where, what and how to fix it."""
    path = write_campaign(tmp_path, text)
    problems = problems_of(path)
    for p in problems:
        assert p.file == str(path) and p.what and p.hint, p
    return problems


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


# ---------------------------------------------------------------- URLs


@pytest.mark.parametrize("url, says", [
    ("https://www.northyorkshire.police.uk@evil.example/", "user name"),
    ("https://evil.example\\@www.northyorkshire.police.uk/", "backslash"),
    ("https://3627734734/", "IP address"),
    ("https://216.58.214.206/", "IP address"),
    ("https://[::1]/", "IP address"),
    ("https://www.northyorkshire.pоlice.uk/stalking", "IDN"),  # Cyrillic о
    ("https://www.xn--northyorkshire-pol-ice.uk/", "IDN"),
    ("https://www.northyorkshire.police.uk/stalking#x", "fragment"),
    ("https://www.northyorkshire.police.uk:8443/stalking", "port"),
    ("https://www.northyorkshire.police.uk:443/stalking", "port"),
    ("https://www.northyorkshire.police.uk/stalking?utm_source=x", "qr.utm"),
    ("http://www.northyorkshire.police.uk/stalking", "https://"),
    ("https://evil.northyorkshire.police.uk/stalking", "not on qr.allowed_hosts"),
    ("https://northyorkshire.police.uk/stalking", "not on qr.allowed_hosts"),
    ("https://www.northyorkshire.police.uk./stalking", "not on qr.allowed_hosts"),
    ("https://www.northyorkshire.police.uk/stal king", "space"),
    ("https://www.northyorkshire.police.uk/\tstalking", "space"),
    ("https://WWW.northyorkshire.police.uk/stalking", "as browsers read it"),
    # Another address inside the path: the force's site, if it redirects, sends the reader on.
    ("https://www.northyorkshire.police.uk//evil.example/stalking", "another address inside its path"),
    ("https://www.northyorkshire.police.uk/redirect/https:/evil.example", "another address inside its path"),
    ("https://www.northyorkshire.police.uk/go/%2F%2Fevil.example", "another address inside its path"),
])
def test_qr_url_tricks_are_refused(tmp_path, campaign_text, url, says):
    assert any(says in w for w in check_url(url, HOSTS)), check_url(url, HOSTS)
    bad = campaign_text.replace(f"  url: {URL}", f"  url: {url!r}".replace("'", '"').replace("\\", "\\\\"))
    problems = refused(tmp_path, bad)
    assert {p.field for p in problems} == {"qr.url"}, problems
    assert problems[0].line == line_of(bad, "  url: ")


def test_the_real_url_passes():
    assert check_url(URL, HOSTS) == []


@pytest.mark.parametrize("url", [
    "https://www.northyorkshire.police.uk@evil.example/stalking?utm_source=nyp",
    "https://evil.example\\@www.northyorkshire.police.uk/",
    "https://evil.www.northyorkshire.police.uk/",
    "https://www.northyorkshire.police.uk:8443/",
    "http://www.northyorkshire.police.uk/",
])
def test_preflight_allow_list_parses_as_browsers_do(url):
    assert not on_allow_list(url, HOSTS)
    assert on_allow_list(URL + "?c=pa3-york", HOSTS)


def test_allowed_domains_is_renamed_with_a_helpful_error(tmp_path, campaign_text):
    bad = campaign_text.replace("allowed_hosts: [www.northyorkshire.police.uk]",
                                "allowed_domains: [northyorkshire.police.uk]")
    problems = refused(tmp_path, bad)
    renamed = next(p for p in problems if p.field == "qr.allowed_domains")
    assert "allowed_hosts" in renamed.hint and renamed.line == line_of(bad, "allowed_domains")


@pytest.mark.parametrize("label", ["evil.example/stalking", "northyorkshire.police.uk/other",
                                   "northyorkshire.police.uk", "www.evil.example/stalking"])
def test_printed_label_must_name_the_same_host_and_path(tmp_path, campaign_text, label):
    bad = campaign_text.replace("label: northyorkshire.police.uk/stalking", f"label: {label}")
    [problem] = refused(tmp_path, bad)
    assert problem.field == "qr" and "does not name the page" in problem.what


@pytest.mark.parametrize("label", ["www.northyorkshire.police.uk/stalking", "northyorkshire.police.uk/stalking/"])
def test_label_may_drop_www_and_trailing_slash(tmp_path, campaign_text, label):
    load_campaign(write_campaign(tmp_path, campaign_text.replace(
        "label: northyorkshire.police.uk/stalking", f"label: {label}")))


# ---------------------------------------------------------------- phone numbers and characters


@pytest.mark.parametrize("written", [
    "0808-802-0301", "(0808) 802 0301", "+44 808 802 0301", "+44 (0)808 802 0301", "0808.802.0301",
    "08088020301", "０８０８ ８０２ ０３０１", "0808\u200b802 0301",
])
def test_wrong_number_written_any_way_in_a_partner_line(tmp_path, campaign_text, written):
    bad = campaign_text.replace(PARTNER_LINE, f'contact: "National Stalking Helpline {written}"')
    problems = refused(tmp_path, bad)
    numbers = [p for p in problems if "not one of the support numbers" in p.what]
    assert numbers and numbers[0].field == "variants.partners.items[0].contact"
    assert numbers[0].line == line_of(bad, "contact: \"National Stalking Helpline")


@pytest.mark.parametrize("written", ["0808-802-0300", "+44 (0)808 802 0300", "(0808) 802 0300"])
def test_right_number_written_another_way_is_accepted(tmp_path, campaign_text, written):
    load_campaign(write_campaign(tmp_path, campaign_text.replace(
        PARTNER_LINE, f"contact: National Stalking Helpline {written}")))


def test_wrong_number_in_any_text_field(tmp_path, campaign_text):
    bad = campaign_text.replace("  - Unwanted gifts or letters", "  - Unwanted gifts or letters. Call 0800 123 4567")
    [problem] = refused(tmp_path, bad)
    assert problem.field == "signs[3]" and "0800 123 4567" in problem.what


def test_right_to_left_override_reversing_a_number_is_refused(tmp_path, campaign_text):
    bad = campaign_text.replace(PARTNER_LINE, 'contact: "National Stalking Helpline \\u202e0030 208 8080"')
    problems = refused(tmp_path, bad)
    assert any("U+202E" in p.what and p.field == "variants.partners.items[0].contact" for p in problems)


@pytest.mark.parametrize("char", ["\u200b", "\u200d", "\u2066", "\u200f", "\u061c", "\ufeff", "\u00ad", "\x07", "\x85"])
def test_invisible_and_control_characters_are_refused(tmp_path, campaign_text, char):
    bad = campaign_text.replace("  call: Speak to someone.", f'  call: "Speak to\\u{ord(char):04x}someone."')
    [problem] = refused(tmp_path, bad)
    assert f"U+{ord(char):04X}" in problem.what and problem.field == "strapline.call"
    assert problem.line == line_of(bad, "  call: ")


def test_tofu_character_is_an_error_naming_it(tmp_path, campaign_text):
    bad = campaign_text.replace("  call: Speak to someone.", "  call: Speak to someone ☎.")
    [problem] = refused(tmp_path, bad)
    assert "U+260E" in problem.what and "cannot draw" in problem.what and problem.field == "strapline.call"


def test_zero_width_non_joiner_only_in_right_to_left_text():
    assert check_text("a\u200cb", rtl=False)
    assert check_text("کی\u200cبات", rtl=True) == []
    assert check_text("a\u202eb", rtl=True)  # bidi controls never


@pytest.mark.parametrize("phone", ["0808 802 030", "0808 FLOWERS", "+44 808 802 030", "0808 802 0300 ext 1",
                                   "０８０８ ８０２ ０３００"])
def test_phone_fields_are_valid_uk_numbers(tmp_path, campaign_text, phone):
    bad = campaign_text.replace("    phone: 0808 802 0300", f'    phone: "{phone}"')
    problems = refused(tmp_path, bad)
    assert any(p.field == "support[0].phone" and "not a valid UK phone number" in p.what for p in problems)


def test_phone_numbers_are_found_however_written():
    keys = {n.key for n in find_phone_numbers("Call (0808) 802 0300, +44 203 866 4107 or 18001 101 in 2018.")}
    assert keys == {"+448088020300", "+442038664107", "+4418001101"}


def test_translation_digits_compared_after_nfkc(tmp_path, campaign_text):
    source = campaign_copy(tmp_path, campaign_text)
    urdu_text = URDU.read_text(encoding="utf-8")
    for digits in ("９９９", "۹۹۹"):  # full-width; Extended Arabic-Indic
        folder = tmp_path / "content" / "translations"
        folder.unlink() if folder.is_symlink() else None
        (folder / source.stem).mkdir(parents=True, exist_ok=True)
        (folder / source.stem / "ur.yaml").write_text(
            urdu_text.replace("اگر آپ ابھی خطرے میں ہیں تو 999", f"اگر آپ ابھی خطرے میں ہیں تو {digits}"),
            encoding="utf-8")
        with pytest.raises(ContentError) as caught:
            load_campaigns([source])
        assert any(p.field == "tips[3]" and "digits" in p.what for p in caught.value.problems)


def test_urdu_translation_still_loads():
    loaded = load_campaigns([DEFAULT_CAMPAIGN])
    assert [x.language for x in loaded] == [None, "ur", "pl", "ro", "ar"]
    assert loaded[1].campaign.support[0].discreet_name


# ---------------------------------------------------------------- plain YAML only


@pytest.mark.parametrize("value, says", [
    ("!!binary MDgwOCA4MDIgMDMwMQ==", "tag"),
    ("!!str 0808 802 0301", "tag"),
    ("!!python/object/apply:os.system ['true']", "tag"),
    ("!custom 0808 802 0300", "tag"),
    ("! 0808 802 0300", "tag"),
    ("&number 0808 802 0300", "anchor"),
])
def test_yaml_tags_and_anchors_are_refused(tmp_path, campaign_text, value, says):
    bad = campaign_text.replace("    phone: 0808 802 0300", f"    phone: {value}")
    [problem] = refused(tmp_path, bad)
    assert says in problem.what and problem.line == line_of(bad, value)


def test_billion_laughs_is_refused_at_once(tmp_path):
    laughs = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))
    assert len(laughs) < 1024
    problems = refused(tmp_path, laughs)
    assert "anchor" in problems[0].what and problems[0].line == 1


def test_alias_is_refused(tmp_path, campaign_text):
    bad = campaign_text.replace("    phone: 0808 802 0300", "    phone: *other")
    assert any("alias" in p.what for p in refused(tmp_path, bad))


def test_over_one_megabyte_is_refused_before_parsing(tmp_path, campaign_text):
    path = tmp_path / "big.yaml"
    path.write_bytes(campaign_text.encode() + b"#" * 1_000_000)
    [problem] = problems_of(path)
    assert "over 1 MB" in problem.what


@pytest.mark.parametrize("text", [
    "a: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "a: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n",
    "a:\n" + "".join(" " * i + "- \n" for i in range(1, 1400)),
    "".join(f"k{i}: v\n" for i in range(100_000)),  # 1 MB of keys
    "name: " + "x" * 990_000 + "\n",  # 1 MB of text
])
def test_deep_or_huge_documents_are_refused_quickly(tmp_path, text):
    assert len(text.encode()) <= 1_000_000
    refused(tmp_path, text)


@pytest.mark.parametrize("key", ["? [a, b]\n: c", "? {a: b}\n: c", "1: a", "null: a", "~: a", "true: a",
                                 "2019-01-01: a", "1.5: a", "<<: {a: b}"])
def test_keys_must_be_plain_names(tmp_path, campaign_text, key):
    bad = campaign_text + key + "\n"
    problems = refused(tmp_path, bad)
    assert problems[0].line == len(campaign_text.splitlines()) + 1
    assert "key" in problems[0].what


@pytest.mark.parametrize("old, new", [
    ("launch: 2019-01-21", "launch: 2019-02-30"),
    ("launch: 2019-01-21", "launch: 99999999999999999999999999"),
    ("name: No matter how small", "name: .nan"),
    ("name: No matter how small", "name: 2019-01-01"),
    ("name: No matter how small", "name: 12345678901234567890"),
    ("name: No matter how small", 'name: "\\ud800"'),
    ("name: No matter how small", 'name: "\\0"'),
    ("name: No matter how small", "name: [a, b]"),
    ("name: No matter how small", "name:"),
])
def test_odd_values_are_content_errors(tmp_path, campaign_text, old, new):
    problems = refused(tmp_path, campaign_text.replace(old, new))
    assert all(p.line for p in problems)


# ---------------------------------------------------------------- revealing words and the discreet card


def test_revealing_words_come_from_the_campaign(tmp_path, campaign_text):
    assert not hasattr(content_module, "REVEALING_WORDS")
    c = load_campaign(DEFAULT_CAMPAIGN).campaign
    assert "stalk" in c.revealing_words
    # A word the campaign declares is refused in tracking codes and partner ids ...
    bad = (campaign_text.replace("campaign: nmhs19", "campaign: nmhs-harass")
           .replace("      - id: paladin", "      - id: victim-support"))
    fields = {p.field for p in refused(tmp_path, bad)}
    assert fields == {"qr.utm.campaign", "variants.partners.items[1].id"}
    # ... and one it does not declare is not.
    ok = campaign_text.replace("campaign: nmhs19", "campaign: harass19").replace(
        "revealing_words: [stalk, harass,", "revealing_words: [stalk,")
    load_campaign(write_campaign(tmp_path, ok))


def test_discreet_name_must_be_neutral(tmp_path, campaign_text):
    bad = campaign_text.replace("discreet_name: Helpline", "discreet_name: Stalking Helpline")
    [problem] = refused(tmp_path, bad)
    assert problem.field == "support[0].discreet_name" and "'stalk'" in problem.what


def _empty_pdf() -> bytes:
    out = io.BytesIO()
    pikepdf.new().save(out)
    return out.getvalue()


def _subject(campaign, items, discreet=True, qr_url="https://www.northyorkshire.police.uk/help?c=wd"):
    source = SimpleNamespace(campaign=campaign, brand=load_campaign(DEFAULT_CAMPAIGN).brand)
    job = SimpleNamespace(output="wallet-card-discreet.pdf", source=source, partner=None, qr_url=qr_url,
                          spec=SimpleNamespace(options={"discreet": discreet}))
    return Subject(job, "", SimpleNamespace(layout=items, pdf=_empty_pdf()))


def _text(text, page=2, element="p"):
    return Placed(page=page, kind="text", rect=(5, 5, 40, 4), element=element, text=text)


def test_check_discreet_reads_both_sides():
    c = load_campaign(DEFAULT_CAMPAIGN).campaign
    clean = [_text("Useful numbers", 1), _text("Helpline"), _text("Scan or visit northyorkshire.police.uk")]
    assert check_discreet(_subject(c, clean)) == []
    for text in ("National Stalking Helpline", "northyorkshire.police.uk/stalking", "#NoMatterHowSmall",
                 "North Yorkshire Police", "Harassment advice"):
        for page in (1, 2):
            [problem] = check_discreet(_subject(c, clean + [_text(text, page)]))
            assert problem.page == page and problem.check == "discreet"


def test_check_numbers_catches_a_number_typed_into_a_template():
    c = load_campaign(DEFAULT_CAMPAIGN).campaign
    good = [_text("0808 802 0300", element="span.phone"), _text("Men's Advice Line", element="span.name"),
            _text("0808 8010 327", element="span.phone"), _text("999 In an emergency 101 18001 101")]
    assert check_numbers(_subject(c, good)) == []
    for typed in ("Call 0808 802 0301", "+44 (0)808 802 0301", "０８０８ ８０２ ０３０１"):
        [problem] = check_numbers(_subject(c, good + [_text(typed)]))
        assert problem.check == "numbers" and problem.level == "error"
    # A number broken over two lines of one element is read as one.
    [problem] = check_numbers(_subject(c, [_text("Call 0808 802"), _text("0301")]))


@pytest.mark.parametrize("language", ["none", "ur"])
def test_discreet_card_reveals_nothing_on_either_side(tmp_path, language):
    out = tmp_path / "out"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--only", "wallet-card-discreet",
                 "--district", "none", "--partner", "none", "--language", language, "--profile", "press"]) == 0
    folder = out / "no-matter-how-small" / ("languages/ur" if language == "ur" else "")
    doc = pdfium.PdfDocument(str(folder / "wallet-card-discreet.pdf"))
    pages = [page.get_textpage().get_text_range().casefold() for page in doc]
    doc.close()
    c = load_campaigns([DEFAULT_CAMPAIGN])[0 if language == "none" else 1].campaign
    for text in pages:
        for word in c.revealing_words + ["/stalking", "no matter how small", "north yorkshire police"]:
            assert word not in text, word
    assert "northyorkshire.police.uk" in pages[1] and "0808 802 0300" in pages[1]


def test_qr_tracking_codes_are_plain_codes_only():
    from pipeline.qr import qr_url
    qr = load_campaign(DEFAULT_CAMPAIGN).campaign.qr
    assert qr_url(qr, "pa3-york").endswith("?c=pa3-york")
    for content in ("poster a3", "victim's poster", "poster&utm_source=evil", "pa3-york#x", "PA3", "x" * 33):
        with pytest.raises(ValueError, match="not a plain code"):
            qr_url(qr, content)


def test_digits_in_a_logo_file_name_are_not_a_phone_number(tmp_path, campaign_text):
    partner = "        logo: partners/suzy-lamplugh-trust"
    assert partner in campaign_text
    text = campaign_text.replace(partner, partner + "-19841207")
    problems = []
    try:
        load_campaign(write_campaign(tmp_path, text))
    except ContentError as exc:
        problems = exc.problems
    assert not [p for p in problems if "phone number" in p.what]
