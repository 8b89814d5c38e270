"""Other formats on request, said on the products (issue 25): the campaign's
`other_formats` line (large print, Easy Read, other languages, and how to ask) printed
on the leaflets and posters in every language, read back from the PDFs (PDFium), and
refused where it would offer nothing or say no way to ask. The content is read with
PyYAML, not the pipeline."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipeline.cli import main
from pipeline.content import load_campaigns
from pipeline.layouts import render_html
from pipeline.plan import load_layouts, load_profiles, plan
from pipeline.render import render_pdf

from . import pdf_tools
from .conftest import DEFAULT_CAMPAIGN, ROOT, campaign_copy, write_campaign

TRANSLATIONS = DEFAULT_CAMPAIGN.parent / "translations" / DEFAULT_CAMPAIGN.stem
EXAMPLES = ROOT / "content" / "examples"
PRODUCTS = ["leaflet-a5", "leaflet-dl", "poster"]


def squeezed(text: str) -> str:
    return "".join(text.replace("\ufffe", "-").split())


def expected(language: str) -> tuple[str, str]:
    """The line's two parts as the content gives them, {address} as printed (the page's label)."""
    campaign = yaml.safe_load(DEFAULT_CAMPAIGN.read_text(encoding="utf-8"))
    own = campaign if language == "en-GB" else \
        yaml.safe_load((TRANSLATIONS / f"{language}.yaml").read_text(encoding="utf-8"))
    label = (own.get("qr") or campaign["qr"])["label"]
    formats = own["other_formats"]
    return formats["text"], formats["contact"].replace("{address}", label)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """The A5, the DL and the A4 poster, county-wide in English and in each language (screen copies: their text layer reads right to left back too)."""
    out = tmp_path_factory.mktemp("other-formats")
    jobs = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(), [load_profiles()["screen"]], only=PRODUCTS,
                districts=["none"], partners=["none"])
    files = {}
    for job in jobs:
        if job.product == "poster" and job.size != "A4":
            continue
        path = out / f"{job.product}-{job.language or 'en-GB'}.pdf"
        path.write_bytes(render_pdf(job, render_html(job)).pdf)
        files[job.product, job.language or "en-GB"] = path
    return files


@pytest.mark.parametrize("language", ["en-GB", "pl", "ro", "ar"])
@pytest.mark.parametrize("product", PRODUCTS)
def test_every_leaflet_and_poster_says_other_formats_and_how_to_ask(rendered, product, language):
    text, contact = expected(language)
    printed = squeezed(pdf_tools.text(rendered[product, language]))
    assert squeezed(text) in printed, (product, language, printed)
    if language == "ar":  # right to left: the address is an isolated left-to-right run
        words = contact.split()
        assert all(squeezed(w).strip(".") in printed for w in words), (product, language, printed)
    else:
        assert squeezed(contact) in printed, (product, language, printed)


@pytest.mark.parametrize("product", PRODUCTS)
def test_the_urdu_products_say_it_too(rendered, product):
    """Nastaliq's text layer reads back letter by letter: the number and the address,
    which the line carries once more than the rest of the page."""
    text, contact = expected("ur")
    printed = squeezed(pdf_tools.text(rendered[product, "ur"]))
    english = squeezed(pdf_tools.text(rendered[product, "en-GB"]))
    label = yaml.safe_load(DEFAULT_CAMPAIGN.read_text(encoding="utf-8"))["qr"]["label"]
    assert "101" in contact and label in contact
    assert printed.count(label) >= 1 and printed.count("101") >= english.count("101") - 1


def test_a_campaign_without_the_line_prints_none(tmp_path):
    """phone-scams.yaml has no other_formats: its A5 and posters say nothing of them."""
    jobs = plan(load_campaigns([EXAMPLES / "phone-scams.yaml"]), load_layouts(), [load_profiles()["press"]],
                only=["leaflet-a5", "poster"])
    for job in jobs:
        path = tmp_path / f"{job.output.replace('/', '-')}.pdf"
        path.write_bytes(render_pdf(job, render_html(job)).pdf)
        assert "large print" not in pdf_tools.text(path).lower(), job.output


def check(tmp_path: Path, capsys, path: Path) -> str:
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_a_line_offering_formats_the_campaign_does_not_make_is_refused_at_its_line(tmp_path, capsys):
    text = (EXAMPLES / "minimal.yaml").read_text(encoding="utf-8") + (
        "other_formats:\n  text: Also in large print.\n  contact: Call 101.\n")
    path = write_campaign(tmp_path, text)
    err = check(tmp_path, capsys, path)
    line = text.splitlines().index("other_formats:") + 1
    assert f"campaign.yaml:{line} other_formats: other_formats offers other formats and languages, but the " \
           "campaign makes none" in err


@pytest.mark.parametrize("contact, said", [
    ("Ask at the front desk.", "other_formats.contact: does not say how to ask"),
    ("Call 0800 123 4567.", "0800 123 4567"),  # not one of the campaign's numbers
    ("Visit evil-police.co.uk/formats.", "evil-police.co.uk"),  # not one of its sites
])
def test_a_line_that_says_no_way_to_ask_or_another_number_is_refused(tmp_path, capsys, campaign_text,
                                                                      contact, said):
    old = "contact: To ask for a copy, call 101 or visit {address}."
    assert old in campaign_text
    path = campaign_copy(tmp_path, campaign_text.replace(old, f"contact: {contact}"))
    line = campaign_text[:campaign_text.index(old)].count("\n") + 1
    err = check(tmp_path, capsys, path)
    assert f"no-matter-how-small.yaml:{line} " in err and said in err, err


def test_a_translation_without_the_line_is_refused(tmp_path, capsys, campaign_text):
    content = tmp_path / "content"
    folder = content / "translations" / DEFAULT_CAMPAIGN.stem
    folder.mkdir(parents=True)
    for code in ("ur", "pl", "ro", "ar"):
        shutil.copy(TRANSLATIONS / f"{code}.yaml", folder)
    polish = (folder / "pl.yaml").read_text(encoding="utf-8")
    start = polish.index("\nother_formats:")
    end = polish.index("\n", polish.index("  contact:", start))
    (folder / "pl.yaml").write_text(polish[:start] + polish[end:], encoding="utf-8")
    campaign = write_campaign(content, campaign_text, DEFAULT_CAMPAIGN.name)
    err = check(tmp_path, capsys, campaign)
    assert "pl.yaml" in err and "missing translation for other_formats.text" in err
