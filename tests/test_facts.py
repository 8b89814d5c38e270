"""The campaign's facts against its source documents (pipeline/content/facts.py): a
number typed wrong consistently in every place of the campaign file is still wrong,
and only the press release it was copied from can say so."""
from __future__ import annotations

import pytest

from pipeline.cli import main
from pipeline.content import load_campaign
from pipeline.content.facts import numbers_in
from pipeline.problems import ContentError

from .conftest import campaign_copy

RELEASE = "sources/press-release-2019-01-21.md"


def problems_of(path) -> list:
    with pytest.raises(ContentError) as caught:
        load_campaign(path)
    return caught.value.problems


def test_the_campaign_names_its_press_release_and_agrees_with_it(campaign_text, tmp_path):
    loaded = load_campaign(campaign_copy(tmp_path, campaign_text))
    assert loaded.campaign.source_documents == [RELEASE]


def test_a_helpline_number_wrong_in_every_place_is_refused(campaign_text, tmp_path, capsys):
    """One digit off everywhere the campaign prints the National Stalking Helpline
    (its service, the Easy Read sentence, a partner's contact line): consistent, so
    no other check sees it. The message gives the source's number and line."""
    assert campaign_text.count("0808 802 0300") >= 3
    path = campaign_copy(tmp_path, campaign_text.replace("0808 802 0300", "0808 802 0301"))
    found = [p for p in problems_of(path) if p.check == "source"]
    assert [p.field for p in found] == ["support[0].phone"]
    assert "0808 802 0300" in found[0].what and f"{RELEASE}:98" in found[0].what
    assert found[0].line == campaign_text.splitlines().index("    phone: 0808 802 0300") + 1
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), str(path)]) == 1
    assert not out.exists() or not any(out.rglob("*.pdf"))  # nothing printed
    assert "support[0].phone" in capsys.readouterr().err


def test_two_services_numbers_swapped_are_refused(campaign_text, tmp_path):
    """Both numbers are in the source, each on the other service's line."""
    text = (campaign_text.replace("0808 2000 247", "SWAP").replace("0808 8010 327", "0808 2000 247")
            .replace("SWAP", "0808 8010 327"))
    found = [p for p in problems_of(campaign_copy(tmp_path, text)) if p.check == "source"]
    assert sorted(p.field for p in found) == ["support[2].phone", "support[3].phone"]
    assert all("does not name that service" in p.what for p in found)


@pytest.mark.parametrize("old, new, field", [
    ("figure: 96%", "figure: 69%", "statistics[0].figure"),
    ('figure: "1,347"', 'figure: "1,374"', "local_figures.items[1].figure"),
    ("stalked over 100 times", "stalked over 10 times", "easy_read.sections[1].sentences[4].text"),
    ("#NoMatterHowSmall", "#NoMatterHowSmal", "social.hashtag"),
    ("call: Speak to someone.", "call: Speak to anyone.", "strapline.call"),
    ("info@paladinservice.co.uk", "info@paladinservices.co.uk", "support[1].email"),
    ("name: Suzy Lamplugh Trust", "name: Suzy Lamplough Trust", "sources[0].name"),
])
def test_a_fact_not_in_the_source_is_refused(campaign_text, tmp_path, old, new, field):
    assert old in campaign_text
    found = [p for p in problems_of(campaign_copy(tmp_path, campaign_text.replace(old, new, 1)))
             if p.check == "source"]
    assert [p.field for p in found] == [field] and found[0].line and found[0].hint


@pytest.mark.parametrize("documents, why", [
    ("[sources/press-release-2019-01-22.md]", "not found"),
    ("[../sources/press-release-2019-01-21.md]", "in the campaign's folder"),
    ("[sources/press-release.pdf]", "must be a .md or .txt"),
])
def test_a_source_document_that_cannot_be_read_is_named(campaign_text, tmp_path, documents, why):
    text = campaign_text.replace(f"source_documents: [{RELEASE}]", f"source_documents: {documents}")
    found = problems_of(campaign_copy(tmp_path, text))
    assert [p.field for p in found] == ["source_documents[0]"] and why in found[0].what


def test_a_campaign_without_source_documents_is_not_checked(campaign_text, tmp_path):
    text = campaign_text.replace(f"source_documents: [{RELEASE}]\n", "").replace("0808 802 0300", "0808 802 0301")
    assert load_campaign(campaign_copy(tmp_path, text)).campaign.support[0].phone == "0808 802 0301"


def test_figures_as_a_reader_reads_them():
    assert numbers_in("1,347 crimes, 96 per cent and 55% in 2018.") == {"1347", "96%", "55%", "2018"}
