"""Any campaign, any force: a small required core, optional sections that leave no
trace when absent, brands from content, errors that say what to add and where, and
the default campaign printing every word it printed before."""
from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from pipeline.cli import main
from pipeline.content import Brand, load_campaign, load_campaigns
from pipeline.problems import ContentError
from pipeline.schema import TRANSLATION, field_reference, schema_text

from .conftest import ROOT, write_campaign

EXAMPLES = ROOT / "content" / "examples"
GOLDEN = Path(__file__).parent / "golden" / "default-campaign-text.json"
MINIMAL = (EXAMPLES / "minimal.yaml").read_text()


def pdf_text(path: Path) -> list[str]:
    document = pdfium.PdfDocument(str(path))
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()


def words(text: str) -> Counter:
    """The words printed, however lines broke (an address may break after '/'; pdfium
    reads a hyphen that ends a line as U+FFFE)."""
    return Counter(re.sub(r"/\s+", "/", text.replace("\ufffe", "-")).split())


def test_the_default_campaign_prints_every_word_it_printed_before(built):
    folder, _ = built
    golden = json.loads(GOLDEN.read_text())
    for name, pages in golden.items():
        now = pdf_text(folder / name)
        assert len(now) == len(pages), name
        for number, (before, after) in enumerate(zip(pages, now), 1):
            assert words(after) == words(before), f"{name} page {number}: {words(before) - words(after)} missing, " \
                                                  f"{words(after) - words(before)} new"


def test_the_minimal_campaign_builds_with_no_errors_and_no_empty_headings(tmp_path):
    assert len(MINIMAL.strip().splitlines()) <= 17  # the README shows it whole
    out = tmp_path / "out"
    assert main(["build", str(EXAMPLES / "minimal.yaml"), "--out", str(out), "--jobs", "2"]) == 0
    report = json.loads((out / "minimal" / "preflight.json").read_text())
    assert report["errors"] == 0 and report["warnings"] == 0, report["problems"]
    for pdf in (out / "minimal").glob("*.pdf"):
        text = " ".join(pdf_text(pdf))
        assert "Worried about someone? Talk to us." in text and "101" in text
        # Headings of sections this campaign does not have are not printed.
        for heading in ("What you can do", "Text relay", "According to", "Report it.", "In an emergency", "#"):
            assert heading not in text, (pdf.name, heading)


@pytest.mark.parametrize("example", ["phone-scams", "domestic-abuse-disclosure"])
def test_example_campaigns_build_with_no_preflight_errors(tmp_path, example):
    out = tmp_path / "out"
    assert main(["build", str(EXAMPLES / f"{example}.yaml"), "--out", str(out), "--jobs", "2",
                 "--profile", "press"]) == 0
    report = json.loads((out / example / "preflight.json").read_text())
    assert report["errors"] == 0, report["problems"]
    products = {e["product"] for e in json.loads((out / example / "manifest.json").read_text())["outputs"]}
    asked = set(load_campaign(EXAMPLES / f"{example}.yaml").campaign.products)
    assert {p for p in products if not p.startswith("imposed-")} == asked


def test_a_force_is_a_brand_file_colours_logo_and_handle(tmp_path):
    out = tmp_path / "out"
    assert main(["build", str(EXAMPLES / "phone-scams.yaml"), "--out", str(out), "--only", "poster",
                 "--profile", "screen", "--jobs", "1"]) == 0
    pdf = out / "phone-scams" / "poster-a4-screen.pdf"
    text = " ".join(pdf_text(pdf))
    assert "Riverside Constabulary" in text and "@RiversidePolice" in text
    assert "North Yorkshire" not in text and "NYorks" not in text
    page = pdfium.PdfDocument(str(pdf))[0]
    top = page.render(scale=0.5).to_pil().convert("RGB").crop((0, 0, 290, 120))
    band = Counter(top.get_flattened_data()).most_common(1)[0][0]
    assert max(abs(a - b) for a, b in zip(band, (0x06, 0x3B, 0x37))) < 8, band  # the brand's primary colour
    assert page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_PATH])  # the logo is drawn (vector)


def test_missing_fields_are_reported_where_they_belong_saying_what_they_print(tmp_path):
    text = MINIMAL.replace("  label: northyorkshire.police.uk\n", "").replace(
        "strapline:\n  lead: Worried about someone?\n  call: Talk to us.\n", "")
    path = write_campaign(tmp_path, text)
    with pytest.raises(ContentError) as caught:
        load_campaign(path)
    by_field = {p.field: p for p in caught.value.problems}
    lines = text.splitlines()
    assert by_field["strapline"].line == len(lines)  # top level: the end of the file
    assert "printed largest on every product" in by_field["strapline"].what
    assert by_field["strapline"].hint == "add 'strapline:' (at the top level, no indent)"
    assert by_field["qr.label"].line == lines.index("qr:") + 1  # in its section
    assert "printed beside the code" in by_field["qr.label"].what
    assert by_field["qr.label"].hint == "add 'label:' under 'qr'"
    for problem in caught.value.problems:
        assert "pattern" not in problem.what and "^" not in problem.hint  # no regex wording


def test_a_section_needs_its_heading_and_products_what_they_print(tmp_path, capsys):
    path = write_campaign(tmp_path, MINIMAL + "definition:\n  text: What it is.\n")
    with pytest.raises(ContentError) as caught:
        load_campaign(path)
    assert "labels.what_is is needed" in str(caught.value)
    path = write_campaign(tmp_path, MINIMAL.replace("products: [poster]", "products: [stat-poster, wallet-card-discreet]"))
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "stat-poster makes one poster per statistic, and the campaign has none" in err
    assert "wallet-card-discreet must not say what the campaign is about" in err and "revealing_words" in err


def test_no_word_of_the_first_campaign_or_force_is_in_the_code_or_layouts():
    """Layouts and the pipeline serve any campaign of any force (comments aside)."""
    found = subprocess.run(
        ["grep", "-rniE", "stalk|north ?yorkshire|nyorks|lamplugh|paladin|no matter how|nomatterhowsmall",
         "--include=*.py", "--include=*.html", "--include=*.css", "--include=*.yaml", "pipeline", "layouts"],
        cwd=ROOT, capture_output=True, text=True).stdout.splitlines()
    code = [line for line in found if not re.match(r"^[^:]+:\d+:\s*(#|/\*|\*|\{#)", line)]
    assert code == []


def test_schema_and_field_reference_are_made_from_the_model():
    assert (ROOT / "docs" / "campaign.schema.json").read_text() == schema_text(), "run: campaign-print schema"
    assert (ROOT / "docs" / "brand.schema.json").read_text() == schema_text(Brand), "run: campaign-print schema"
    assert (ROOT / "docs" / "translation.schema.json").read_text() == schema_text(TRANSLATION), \
        "run: campaign-print schema"
    assert (ROOT / "docs" / "fields.md").read_text() == field_reference(), "run: campaign-print schema"
    schema = json.loads(schema_text())
    assert set(schema["required"]) == {"name", "brand", "products", "strapline", "support", "qr"}


def test_the_editors_schema_accepts_every_campaign_and_flags_a_misspelt_key():
    """What an editor's YAML extension does with docs/campaign.schema.json (a plain
    JSON Schema validator; YAML dates arrive as text there)."""
    import datetime
    import jsonschema
    import yaml

    def as_editor_reads(path: Path):
        def plain(value):
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list):
                return [plain(v) for v in value]
            return value.isoformat() if isinstance(value, datetime.date) else value
        return plain(yaml.safe_load(path.read_text()))

    validator = jsonschema.Draft202012Validator(json.loads((ROOT / "docs" / "campaign.schema.json").read_text()))
    campaigns = [ROOT / "content" / "no-matter-how-small.yaml", *sorted(EXAMPLES.glob("*.yaml"))]
    for path in campaigns:
        assert not list(validator.iter_errors(as_editor_reads(path))), path
    typo = as_editor_reads(EXAMPLES / "minimal.yaml")
    typo["strapline"]["cal"] = typo["strapline"].pop("call")
    messages = [e.message for e in validator.iter_errors(typo)]
    assert any("'call' is a required property" in m for m in messages)
    assert any("'cal' was unexpected" in m for m in messages)


def test_a_qr_host_that_is_not_the_forces_is_refused_at_its_line(tmp_path):
    """A campaign's qr.allowed_hosts must be among its brand's web_hosts: a short link
    (or any other site) added to the campaign alone is refused, naming the line."""
    campaign = tmp_path / "talk-to-us.yaml"
    campaign.write_text(MINIMAL.replace("https://www.northyorkshire.police.uk/", "https://bit.ly/talk")
                        .replace("label: northyorkshire.police.uk", "label: bit.ly/talk")
                        .replace("allowed_hosts: [www.northyorkshire.police.uk]", "allowed_hosts: [bit.ly]"))
    with pytest.raises(ContentError) as caught:
        load_campaigns([campaign])
    [problem] = caught.value.problems
    assert problem.field == "qr.allowed_hosts[0]" and "'bit.ly' is not one of North Yorkshire Police's" in problem.what
    assert problem.line == MINIMAL.splitlines().index("  allowed_hosts: [www.northyorkshire.police.uk]") + 1
    assert "web_hosts" in problem.hint


def test_an_unknown_product_names_its_line_like_every_content_error(tmp_path, capsys):
    text = MINIMAL.replace("products: [poster]", "products: [poster, leaflet-a4]") + (
        "labels:\n  local: In {district}? Call 101.\n"
        "variants:\n  districts:\n    products:\n      - poster\n      - leaflet-a6\n    items: []\n")
    path = write_campaign(tmp_path, text)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    line = text.splitlines().index("products: [poster, leaflet-a4]") + 1
    assert f"error: {path}:{line} products[1]: unknown product 'leaflet-a4'\n    hint: choose from: poster," in err
    line = text.splitlines().index("      - leaflet-a6") + 1
    assert f"error: {path}:{line} variants.districts.products[1]: unknown product 'leaflet-a6'" in err
