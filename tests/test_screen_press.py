"""Screen and press copies as an independent review reads them (issue 14).

Text is read back with extractors that are not ours and not the renderer:
pdfminer.six, pypdf and poppler's pdftotext; structure with pikepdf."""
from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pikepdf
import pytest
import yaml
from pdfminer.high_level import extract_pages, extract_text
from pdfminer.layout import LTTextBox
from pypdf import PdfReader

from pipeline.content import load_campaigns
from pipeline.layouts import render_html
from pipeline.paths import CONTENT, ROOT
from pipeline.plan import load_layouts, load_profiles, plan
from pipeline.render import render_pdf

CAMPAIGN = CONTENT / "no-matter-how-small.yaml"
URDU = CONTENT / "translations" / "no-matter-how-small" / "ur.yaml"
BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u200e\u200f\u2066-\u2069\xad]")
pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (make system-deps)")


@lru_cache(maxsize=None)
def _campaigns():
    return load_campaigns([CAMPAIGN]), load_layouts(), load_profiles()


@lru_cache(maxsize=None)
def rendered(product: str, language: str | None, profile: str = "screen") -> tuple[bytes, str]:
    campaigns, layouts, profiles = _campaigns()
    jobs = plan(campaigns, layouts, [profiles[profile]], only=[product], districts=["none"], partners=["none"],
                languages=[language or "none"])
    job = next(j for j in jobs if j.statistic in (None, 0))
    page = render_html(job)
    return render_pdf(job, page).pdf, page


def _norm(text: str) -> str:
    return " ".join(BIDI_CONTROLS.sub("", text).split())


def read_back(pdf: bytes) -> dict[str, str]:
    """The text each independent extractor reads, whitespace folded."""
    out = {"pdfminer": _norm(extract_text(io.BytesIO(pdf))),
           "pypdf": _norm(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))}
    if shutil.which("pdftotext"):
        out["poppler"] = _norm(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                                              check=True).stdout.decode())
    return out


def _strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ("language", "translation", "revealing_words"):
                yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield _norm(node)


def printed_strings(source: Path, page: str) -> list[str]:
    """The strings of a content file that the document's HTML prints."""
    body = _norm(html.unescape(re.sub(r"<[^>]+>", " ", page.split("<body", 1)[1].split(">", 1)[1])))
    return sorted({s for s in _strings(yaml.safe_load(source.read_text(encoding="utf-8"))) if s and s in body})


def test_urdu_screen_text_reads_back_as_the_translation_in_logical_order():
    pdf, page = rendered("poster", "ur")
    wanted = printed_strings(URDU, page)
    assert len(wanted) >= 12
    for tool, text in read_back(pdf).items():  # the display-size headline too, not spaced out
        missing = [s for s in wanted if s not in text]
        assert not missing, f"{tool} does not read {missing}"


@lru_cache(maxsize=None)
def urdu_read_back() -> tuple[int, dict[str, list[tuple[str, str]]]]:
    """Every Urdu screen PDF of the default campaign read by each extractor: how many
    translation strings they print, and per extractor (string, document) it misreads."""
    campaigns, layouts, profiles = _campaigns()
    jobs = plan(campaigns, layouts, [profiles["screen"]], districts=["none"], partners=["none"], languages=["ur"])
    printed, missing = set(), {"pdfminer": [], "pypdf": [], "poppler": []}
    for job in jobs:
        page = render_html(job)
        name = f"{job.product}-{job.size}" + (f"-{job.statistic}" if job.statistic is not None else "")
        wanted = printed_strings(URDU, page)
        printed |= set(wanted)
        for tool, text in read_back(render_pdf(job, page).pdf).items():
            missing[tool] += [(s, name) for s in wanted if s not in text]
    return len(printed), missing


def test_every_urdu_screen_pdf_reads_back_as_the_translation():
    """Every string of the translation that a document prints, verbatim, with each of
    pdfminer.six, pypdf and poppler at their default settings: the DL's narrow panels
    (lines that mix boxes: a linked 999, a myth's bold tag), combining marks (the zer
    of شریکِ and زیرِ, the tanwin of تقریباً) and the posters' display headlines
    included (docs/textlayer.md says what each extractor needs)."""
    printed, missing = urdu_read_back()
    assert printed >= 60
    for tool, misread in missing.items():
        assert not misread, f"{tool} misreads {len({s for s, _ in misread})}/{printed}: {sorted(misread)}"


def test_pdfminer_sees_only_the_characters_read():
    """pdfminer groups a page's characters into lines; the glyphs (codes that read as
    nothing) are drawn in form XObjects, so no line of the Urdu DL is made of them."""
    pdf, _ = rendered("leaflet-dl", "ur")
    empty = [line for page in extract_pages(io.BytesIO(pdf)) for box in page if isinstance(box, LTTextBox)
             for line in box if not line.get_text().strip()]
    assert not empty, f"{len(empty)} lines of glyphs that read as nothing"


def test_urdu_wallet_card_reads_back_with_every_extractor():
    pdf, _ = rendered("wallet-card", "ur")
    c = yaml.safe_load(URDU.read_text(encoding="utf-8"))
    for tool, text in read_back(pdf).items():
        for s in (c["strapline"]["lead"], c["strapline"]["call"], c["labels"]["scan_or_visit"],
                  c["labels"]["emergency"], "National Stalking Helpline", "0808 802 0300"):
            assert _norm(s) in text, (tool, s)


EXAMPLES = ROOT / "content" / "examples"
ENGLISH_VARIANTS = (None, "craven", "paladin")  # county-wide, one district, one partner


@lru_cache(maxsize=None)
def _english_jobs() -> dict:
    """Every English screen PDF the read-back test reads: the default campaign's
    county-wide set, one district's and one partner's products, and the examples'
    (document id -> (content file, job))."""
    layouts, profiles = load_layouts(), load_profiles()
    out = {}
    for source in [CAMPAIGN, *sorted(EXAMPLES.glob("*.yaml"))]:
        for job in plan(load_campaigns([source]), layouts, [profiles["screen"]], languages=["none"]):
            if job.variant in ENGLISH_VARIANTS:
                out[f"{source.stem}/{job.name}"] = (source, job)
    return out


@lru_cache(maxsize=None)
def english_read_back(document: str) -> tuple[list[str], dict[str, str]]:
    """One document rendered once: the content's strings it prints, and what each
    extractor reads."""
    source, job = _english_jobs()[document]
    page = render_html(job)
    return printed_strings(source, page), read_back(render_pdf(job, page).pdf)


# poppler's default reading order once broke two layouts, now fixed there: the posters'
# helpline note was read into the QR label beside it (no gutter between the cells:
# poster.css, stat-poster.css); on the DL each service's name (12 pt) and number (15 pt)
# were blocks of their own (poppler keeps lines apart whose sizes differ by more than
# 5 %), read across the panels as a table (the name is now 14.5 pt: leaflet-dl.css).


def test_english_read_back_covers_every_product():
    documents = _english_jobs()
    products = {job.product for _, job in documents.values()}
    assert {"poster", "stat-poster", "leaflet-a5", "leaflet-dl", "wallet-card", "wallet-card-discreet"} <= products
    assert {job.variant for _, job in documents.values()} == set(ENGLISH_VARIANTS)
    assert {source.stem for source, _ in documents.values()} >= {"minimal", "phone-scams", "domestic-abuse-disclosure"}


@pytest.mark.parametrize("document", sorted(_english_jobs()))
def test_english_screen_text_reads_back_as_the_content(document):
    """Every content string a document prints, verbatim, with each of pdfminer.six,
    pypdf and poppler at their default settings (where poppler is installed)."""
    wanted, texts = english_read_back(document)
    assert len(wanted) >= 5
    for tool in ("pdfminer", "pypdf"):
        missing = [s for s in wanted if s not in texts[tool]]
        assert not missing, f"{tool} does not read {missing}"
    if "poppler" in texts:
        missing = {s for s in wanted if s not in texts["poppler"]}
        assert not missing, f"poppler does not read {sorted(missing)}"


def _structure(pdf: bytes):
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/StructElem":
                yield obj


def test_english_runs_in_urdu_documents_carry_their_language():
    pdf, _ = rendered("wallet-card", "ur")
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert str(doc.Root.Lang) == "ur"
        langs = [str(obj.Lang) for obj in doc.objects
                 if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/StructElem" and "/Lang" in obj]
        assert set(langs) == {"en-GB"}
    # The force's name and the helpline's are read with an English voice.
    text = read_back(pdf)["pdfminer"]
    assert "North Yorkshire Police" in text and "National Stalking Helpline" in text
    assert len(langs) >= 2  # the force's name, the helpline's name (and the address)


def test_urdu_lines_carry_their_text_as_actual_text_on_the_structure():
    pdf, _ = rendered("wallet-card", "ur")
    lead = _norm(yaml.safe_load(URDU.read_text(encoding="utf-8"))["strapline"]["lead"])
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        actual = [str(o.ActualText) for o in doc.objects
                  if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/StructElem" and "/ActualText" in o]
    assert actual and all(a.strip() for a in actual)
    assert any(_norm(a) in lead for a in actual), actual  # the layout keeps the last two words together


def test_urdu_alt_text_and_link_descriptions_are_in_urdu():
    pdf, _ = rendered("leaflet-dl", "ur")
    labels = yaml.safe_load(URDU.read_text(encoding="utf-8"))["labels"]
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        alts = [str(o.Alt) for o in _structure(pdf) if o.get("/S") == "/Figure" and "/Alt" in o]
        contents = [(str(a.A.URI), str(a.Contents)) for page in doc.pages for a in page.obj.get("/Annots", [])]
    qr = labels["qr_alt"].replace("{address}", "northyorkshire.police.uk/stalking")
    assert qr in alts and not [a for a in alts if "QR code" in a]
    assert contents and not [c for _, c in contents if re.match(r"(Call|E-mail|Web page|QR code)\b", c)]
    assert ("tel:999", labels["link_call"].replace("{number}", "999")) in contents
    assert ("mailto:info@paladinservice.co.uk",
            labels["link_email"].replace("{address}", "info@paladinservice.co.uk")) in contents
    assert any(uri.startswith("https://") and c == qr for uri, c in contents)


def test_figure_boxes_are_in_points_on_the_page():
    pdf, _ = rendered("wallet-card", None)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        figures = [o for o in doc.objects
                   if isinstance(o, pikepdf.Dictionary) and o.get("/S") == "/Figure" and "/A" in o]
        assert figures
        for figure in figures:
            x1, y1, x2, y2 = (float(v) for v in figure.A.BBox)
            _, _, width, height = (float(v) for v in figure.Pg.MediaBox)
            assert 0 <= x1 < x2 <= width + 0.01 and 0 <= y1 < y2 <= height + 0.01
            if "QR code" in str(figure.get("/Alt", "")):  # the card's code: 22 mm square
                assert abs((x2 - x1) - 22 * 72 / 25.4) < 0.5 and abs((y2 - y1) - (x2 - x1)) < 0.5


def test_press_masters_are_not_proofs():
    pdf, _ = rendered("wallet-card", None, "press")
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        xmp = doc.Root.Metadata.read_bytes()
    classes = re.findall(rb"<xmpMM:RenditionClass>([^<]*)<", xmp)
    assert classes in ([], [b"default"])


def test_the_logo_alt_text_comes_from_the_labels(tmp_path):
    """The force's logo is a Figure whose alt text is `labels.logo_alt` (translatable),
    with the force's name in it."""
    example = ROOT / "content" / "examples" / "phone-scams.yaml"

    def figure_alts(source: Path) -> list[str]:
        jobs = plan(load_campaigns([source]), load_layouts(), [load_profiles()["screen"]], only=["poster"])
        job = jobs[0]
        return [str(o.Alt) for o in _structure(render_pdf(job, render_html(job)).pdf)
                if o.get("/S") == "/Figure" and "/Alt" in o]

    assert "Riverside Constabulary logo" in figure_alts(example)
    relabelled = tmp_path / "phone-scams.yaml"
    relabelled.write_text(example.read_text().replace("labels:\n", "labels:\n  logo_alt: \"Logo: {force}\"\n", 1))
    alts = figure_alts(relabelled)
    assert "Logo: Riverside Constabulary" in alts and "Riverside Constabulary logo" not in alts
