"""The campaign schema: the default campaign is valid and true to its source;
bad content gives every error at once with file, line, field and a hint."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline import content as content_module
from pipeline.content import load_campaign
from pipeline.problems import ContentError

from .conftest import DEFAULT_CAMPAIGN, ROOT, write_campaign

PRESS_RELEASE = ROOT / "content" / "sources" / "press-release-2019-01-21.md"


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def errors_of(path: Path) -> list:
    with pytest.raises(ContentError) as caught:
        load_campaign(path)
    return caught.value.problems


def test_default_campaign_is_valid():
    c = load_campaign(DEFAULT_CAMPAIGN).campaign
    assert c.strapline.lead == "No matter how small\nit may seem."  # the editor's lines, kept
    assert c.strapline.call == "Speak to someone."
    assert c.qr.url == "https://www.northyorkshire.police.uk/stalking"


def test_every_helpline_number_is_in_the_press_release():
    release = digits(PRESS_RELEASE.read_text(encoding="utf-8"))
    c = load_campaign(DEFAULT_CAMPAIGN).campaign
    numbers = [s.phone for s in c.support if s.phone]
    assert len(numbers) == 4
    for number in numbers + [c.report.non_emergency, c.report.emergency]:
        assert digits(number) in release, number


def test_every_statistic_and_its_source_is_in_the_press_release():
    release = PRESS_RELEASE.read_text(encoding="utf-8")
    bullets = [l.strip() for l in release.splitlines() if l.startswith("•")]
    c = load_campaign(DEFAULT_CAMPAIGN).campaign
    for stat in c.statistics:
        [bullet] = [b for b in bullets if stat.figure.lower() in b.lower()]
        # The release marks Suzy Lamplugh Trust figures * and Paladin figures **.
        mark = c.source(stat.source).mark
        assert bullet.endswith(mark) and not bullet.endswith("*" + mark), (stat, bullet)
        [footnote] = [l for l in release.splitlines()
                      if l.startswith(mark + "According to") and not l.startswith(mark + "*")]
        assert c.source(stat.source).name in footnote
    for item in c.local_figures.items:
        assert f" {digits(item.figure)} " in f" {release.replace(',', '')} "


def test_wrong_phone_number_names_file_line_and_field(tmp_path, campaign_text):
    bad = campaign_text.replace("phone: 0808 802 0300", "phone: 0808 802 030")
    path = write_campaign(tmp_path, bad)
    [problem] = errors_of(path)
    line = next(i for i, l in enumerate(bad.splitlines(), 1) if "phone: 0808 802 030" in l)
    assert problem.line == line
    assert problem.field == "support[0].phone"
    assert "'0808 802 030' is not a valid UK phone number" in problem.what
    assert str(problem).startswith(f"{path}:{line} support[0].phone:")


def test_all_errors_are_collected_with_hints(tmp_path, campaign_text):
    bad = (campaign_text
           .replace("  call: Speak to someone.", "  cal: Speak to someone.")
           .replace("launch: 2019-01-21", "launch: 21/01/2019")
           .replace("    email: info@paladinservice.co.uk", "    email: not-an-email")
           .replace("  url: https://www.northyorkshire.police.uk/stalking", "  url: https://evil.example.com/stalking"))
    problems = errors_of(write_campaign(tmp_path, bad))
    by_field = {p.field: p for p in problems}
    assert set(by_field) >= {"strapline.cal", "launch", "support[1].email", "qr.url"}
    assert "strapline.call" not in by_field  # the misspelt key is said once, with its did-you-mean
    assert by_field["strapline.cal"].hint == "did you mean 'call'?"
    assert "unknown key 'cal'" in by_field["strapline.cal"].what
    assert "not on qr.allowed_hosts" in by_field["qr.url"].what
    assert all(p.line for p in problems)


def test_tracking_codes_must_be_neutral(tmp_path, campaign_text):
    bad = campaign_text.replace("campaign: nmhs19", "campaign: stalking-2019")
    [problem] = errors_of(write_campaign(tmp_path, bad))
    assert problem.field == "qr.utm.campaign"
    assert "neutral" in problem.what


def test_unknown_statistic_source_is_an_error(tmp_path, campaign_text):
    bad = campaign_text.replace("source: paladin", "source: paladn")
    [problem] = errors_of(write_campaign(tmp_path, bad))
    assert problem.field == "statistics"
    assert "'paladn' is not one of the sources" in problem.what


def test_duplicate_keys_are_errors(tmp_path, campaign_text):
    bad = campaign_text.replace("language: en-GB\n", "language: en-GB\nlanguage: ur\n")
    [problem] = errors_of(write_campaign(tmp_path, bad))
    assert problem.what == "duplicate key 'language'"
    assert problem.line == bad.splitlines().index("language: ur") + 1


def test_yaml_syntax_error_gives_line(tmp_path, campaign_text):
    bad = campaign_text.replace("  lead: |-\n    No matter how small\n    it may seem.", "  lead: [unclosed")
    [problem] = errors_of(write_campaign(tmp_path, bad))
    assert "not valid YAML" in problem.what
    line = bad.splitlines().index("  lead: [unclosed") + 1
    assert problem.line is not None and line <= problem.line <= line + 3


def test_a_misspelt_key_is_one_error_not_also_the_key_missing(tmp_path, campaign_text):
    bad = campaign_text.replace("\nstrapline:\n", "\nstraplin:\n", 1)
    assert bad != campaign_text
    [problem] = errors_of(write_campaign(tmp_path, bad))
    assert problem.field == "straplin" and problem.hint == "did you mean 'strapline'?", problem
    assert problem.line == bad.splitlines().index("straplin:") + 1


@pytest.mark.parametrize("line, says", [
    ("\tlead: No matter how small it may seem.", "a tab"),
    ("  lead: Worried: it may seem small.", "': '"),
])
def test_the_two_commonest_yaml_mistakes_say_what_to_do(tmp_path, campaign_text, line, says):
    # A tab for indenting, and a colon and space inside a value: a new editor's first two.
    bad = campaign_text.replace("  lead: |-\n    No matter how small\n    it may seem.", line)
    [problem] = errors_of(write_campaign(tmp_path, bad))
    assert problem.line == bad.splitlines().index(line) + 1, problem
    assert says in problem.what + problem.hint, problem


BRAND = (ROOT / "content" / "brands" / "north-yorkshire-police.yaml").read_text()


@pytest.fixture
def brands(tmp_path, monkeypatch) -> Path:
    """A brands folder of the test's own standing in for the project's content/brands/."""
    folder = tmp_path / "project-brands"
    folder.mkdir()
    monkeypatch.setattr(content_module.brand, "PROJECT_BRANDS", folder)
    return folder


def brand_problems(brands, tmp_path, campaign_text, old: str, new: str) -> tuple[Path, str, list]:
    """Problems of the default campaign with its brand file edited."""
    assert old in BRAND
    brand = brands / "north-yorkshire-police.yaml"
    text = BRAND.replace(old, new)
    brand.write_text(text)
    return brand, text, errors_of(write_campaign(tmp_path, campaign_text))


def test_a_brand_colour_says_cmyk_is_four_percentages_and_rgb_is_hash_rrggbb(brands, tmp_path, campaign_text):
    brand, text, problems = brand_problems(brands, tmp_path, campaign_text, 'cmyk: [100, 75, 0, 60], rgb: "#0b2a4a"',
                                           'cmyk: [0, 90, 80], rgb: "9e1b22"')
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "9e1b22" in l)
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {"colours.primary.cmyk", "colours.primary.rgb"}
    cmyk, rgb = by_field["colours.primary.cmyk"], by_field["colours.primary.rgb"]
    assert (cmyk.file, cmyk.line, rgb.file, rgb.line) == (str(brand), line, str(brand), line)
    assert cmyk.what == "[0, 90, 80] has 3 numbers, not 4: a CMYK colour is 4 numbers, C, M, Y and K, 0-100 each"
    assert cmyk.hint == "write 4 numbers, C, M, Y and K, 0-100 each, e.g. [0, 90, 80, 0]"
    assert rgb.what == "'9e1b22' needs '#' in front: write \"#rrggbb\""
    assert rgb.hint == 'write it as "#9e1b22" (in quotes: YAML reads # as the start of a comment)'


@pytest.mark.parametrize("new, what, hint", [
    ('cmyk: [0, 15, 100, 0, 5], rgb: "#ffd200"', "[0, 15, 100, 0, 5] has 5 numbers, not 4: a CMYK colour is 4 "
     "numbers, C, M, Y and K, 0-100 each", "e.g. [0, 90, 80, 0]"),
    ('cmyk: [0, 15, 100, 120], rgb: "#ffd200"', "[0, 15, 100, 120]: 120 is not a percentage from 0 to 100: "
     "a CMYK colour is 4 numbers, C, M, Y and K, 0-100 each",
     "e.g. [0, 90, 80, 0]"),
    ('cmyk: [0, 15, 100, 0], rgb: "#ffd2"', "'#ffd2' is not in the expected form",
     'write "#rrggbb" in quotes (six hex digits after \'#\'), e.g. "#9e1b22"'),
])
def test_other_wrong_brand_colours_say_what_a_colour_is(brands, tmp_path, campaign_text, new, what, hint):
    _, _, [problem] = brand_problems(brands, tmp_path, campaign_text, 'cmyk: [0, 15, 100, 0],  rgb: "#ffd200"', new)
    assert (problem.what, problem.line) == (what, 9) and problem.field.startswith("colours.accent.")
    assert hint in problem.hint


def test_an_unquoted_brand_rgb_says_yaml_read_a_comment(brands, tmp_path, campaign_text):
    _, text, [problem] = brand_problems(brands, tmp_path, campaign_text, '  tint:    {cmyk: [8, 3, 0, 2],     rgb: "#e8eef4"}',
                                        "  tint:\n    cmyk: [8, 3, 0, 2]\n    rgb: #e8eef4")
    assert problem.field == "colours.tint.rgb" and problem.line == text.splitlines().index("    rgb: #e8eef4") + 1
    assert problem.what == "is empty: unquoted, YAML reads '#' as the start of a comment"
    assert problem.hint == 'write "#rrggbb" in quotes, e.g. "#9e1b22"'


def test_every_pattern_in_the_schemas_is_said_in_words():
    """A value not in the expected form gets a hint in words, never 'a plain name' by default."""
    import pydantic

    from pipeline import plan
    from pipeline.content import FORMS, Brand, Campaign, Partner

    def patterns(schema) -> set:
        if isinstance(schema, dict):
            return {schema["pattern"]} if "pattern" in schema else set().union(*map(patterns, schema.values()))
        return set().union(*map(patterns, schema)) if isinstance(schema, list) else set()

    models = [Campaign, Brand, Partner] + [m for m in vars(plan).values() if isinstance(m, type)
                                           and issubclass(m, pydantic.BaseModel) and m.__module__ == plan.__name__]
    found = set().union(*(patterns(m.model_json_schema()) for m in models))
    assert found and found <= set(FORMS), found - set(FORMS)


def test_list_and_length_bounds_say_what_to_write(tmp_path, campaign_text):
    bad = campaign_text.replace("revealing_words: [stalk,", "revealing_words: [ab, stalk,")
    bad = bad.replace("allowed_hosts: [www.northyorkshire.police.uk]", "allowed_hosts: []")
    assert bad.count("[ab, stalk,") == 1 and "allowed_hosts: []" in bad
    by_field = {p.field: p for p in errors_of(write_campaign(tmp_path, bad))}
    assert by_field["revealing_words[0]"].hint == "write at least 3 characters"
    assert by_field["qr.allowed_hosts"].what == "has 0 items; it needs at least 1"
    assert by_field["qr.allowed_hosts"].hint == "list at least 1"



@pytest.mark.parametrize("label, text, placeholder", [
    ("local", "In your district? Call 101.", "{district}"),
    ("logo_alt", "Our logo", "{force}"),
    ("link_call", "Call us", "{number}"),
    ("qr_alt", "A QR code", "{address}"),
])
def test_a_label_without_its_placeholder_says_which_one_at_its_line(tmp_path, label, text, placeholder):
    minimal = (ROOT / "content" / "examples" / "minimal.yaml").read_text()
    path = write_campaign(tmp_path, minimal + f"labels:\n  {label}: {text}\n")
    with pytest.raises(ContentError) as caught:
        load_campaign(path)
    [problem] = caught.value.problems
    assert problem.field == f"labels.{label}" and f"must contain {placeholder}" in problem.what
    assert problem.hint.startswith(f"write {placeholder} where ") and problem.line == len(minimal.splitlines()) + 2
