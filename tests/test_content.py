"""The campaign schema: the default campaign is valid and true to its source;
bad content gives every error at once with file, line, field and a hint."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

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
    assert c.strapline.lead == "No matter how small it may seem."
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
    line = next(i for i, l in enumerate(bad.splitlines(), 1) if "0808 802 030" in l)
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
    assert set(by_field) >= {"strapline.call", "strapline.cal", "launch", "support[1].email", "qr.url"}
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
    bad = campaign_text.replace("  lead: No matter how small it may seem.", "  lead: [unclosed")
    [problem] = errors_of(write_campaign(tmp_path, bad))
    assert "not valid YAML" in problem.what
    line = bad.splitlines().index("  lead: [unclosed") + 1
    assert problem.line is not None and line <= problem.line <= line + 3
