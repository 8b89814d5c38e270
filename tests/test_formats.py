"""Other formats on request (issue 25): large print and Easy Read, made from the same
content in the same build, read back from the PDFs with PDFium (text, sizes, positions)
and zxing-cpp (codes); the content is read with PyYAML, not the pipeline."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import yaml
import zxingcpp

from pipeline.cli import main

from . import pdf_tools
from .conftest import DEFAULT_CAMPAIGN, ROOT, campaign_copy, with_sources
from .test_design import chars, printed

MM_PER_PT = 25.4 / 72


@pytest.fixture(scope="module")
def formats_build(tmp_path_factory) -> Path:
    """Large print and Easy Read, county-wide and in every language, press and screen."""
    out = tmp_path_factory.mktemp("formats")
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--only", "large-print", "--only", "easy-read",
                 "--jobs", "1"]) == 0
    return out / "no-matter-how-small"


@pytest.fixture(scope="module")
def content() -> dict:
    return yaml.safe_load(DEFAULT_CAMPAIGN.read_text(encoding="utf-8"))


def squeezed(text: str) -> str:
    """Text without whitespace: lines break anywhere, at hyphens too."""
    return "".join(text.split())


def large_print_strings(c: dict) -> list[str]:
    """Every string of the content that the large print must carry."""
    labels = c["labels"]
    strings = [*c["strapline"]["lead"].split("\n"), c["strapline"]["call"], c["intro"],
               c["definition"]["text"], c["definition"]["note"], c["qr"]["label"], c["social"]["hashtag"],
               *(labels[k] for k in ("what_is", "signs", "who", "myths", "tips", "report_it", "get_support",
                                    "emergency", "non_emergency", "text_relay")),
               *(f"{s['mark']}{labels['according_to']} {s['name']}" for s in c["sources"]),
               *(v for s in c["statistics"] for v in (s["figure"], s["text"])),
               c["local_figures"]["heading"], c["local_figures"]["period"],
               *(v for f in c["local_figures"]["items"] for v in (f["figure"], f["text"])),
               *c["signs"], *c["tips"], *c["more_support"],
               *(v for p in c["perpetrators"] for v in (p["who"], p["detail"])),
               *(v for m in c["myths"] for v in (m["myth"], m["fact"])),
               c["report"]["emergency"], c["report"]["non_emergency"], c["report"]["silent_solution"],
               *(v for r in c["report"]["text_relay"] for v in (r["number"], r["text"])),
               *(s[k] for s in c["support"] for k in ("name", "phone", "email", "note") if k in s)]
    return [" ".join(s.split()) for s in strings]


def test_large_print_sets_every_line_at_16_pt_or_more_and_headings_larger(formats_build):
    for name in ("large-print.pdf", "large-print-screen.pdf", "languages/ur/large-print.pdf"):
        pages = [printed(page) for page in chars(formats_build / name)]
        sizes = [c["size"] for page in pages for c in page]
        assert sizes and min(sizes) >= 16, (name, sorted(set(sizes)))
    pages = [printed(page) for page in chars(formats_build / "large-print.pdf")]
    text = "".join(c["text"] for c in pages[0])
    headline = pages[0][text.index("Nomatter")]["size"]
    body = pages[0][text.index("Stalkingoften")]["size"]
    assert body == 16 and headline >= 1.5 * body


def test_large_print_runs_on_over_pages_and_loses_nothing(formats_build, content):
    pages = pdf_tools.page_boxes_mm(formats_build / "large-print.pdf")
    assert 1 < len(pages) <= 8
    assert all(abs(p["TrimBox"][0] - 210) < 0.1 and abs(p["TrimBox"][1] - 297) < 0.1 for p in pages)
    printed_text = squeezed(pdf_tools.text(formats_build / "large-print.pdf"))
    missing = [s for s in large_print_strings(content) if squeezed(s) not in printed_text]
    assert not missing


def test_large_print_numbers_are_the_contents(formats_build, content):
    """Every number printed is one of the content's, and each of the content's is printed."""
    def numbers(text: str) -> set[str]:
        return set(re.findall(r"\d+(?:,\d{3})*", text))
    want = numbers(" ".join(large_print_strings(content)))
    for name in ("large-print.pdf", "large-print-screen.pdf"):
        # Each page's own number ("Page 2 of 5") is not a fact of the content.
        text = re.sub(r"Page \d+ of \d+", "", pdf_tools.text(formats_build / name))
        assert numbers(text) == want, name


@pytest.mark.parametrize("where", ["", "languages/pl/", "languages/ro/", "languages/ar/", "languages/ur/"])
def test_large_print_numbers_each_page_of_all_at_16_pt_in_the_safe_area(formats_build, where):
    """"Page 2 of 5" (in the language's words: labels.page_of) at the foot of every page,
    16 pt or more, in the bottom margin and inside the press profile's safe area (screen
    copies: no bleed; their text layer reads right to left back too)."""
    safe = yaml.safe_load((ROOT / "profiles" / "press.yaml").read_text())["safe_mm"]
    if where:
        own = yaml.safe_load((DEFAULT_CAMPAIGN.parent / "translations" / DEFAULT_CAMPAIGN.stem /
                              f"{where.split('/')[1]}.yaml").read_text(encoding="utf-8"))
        label = own["labels"]["page_of"]
    else:
        label = "Page {page} of {pages}"
    pages = chars(formats_build / where / "large-print-screen.pdf")
    boxes = pdf_tools.page_boxes_mm(formats_build / where / "large-print-screen.pdf")
    # As printed: sizes and places from the press PDF (a right-to-left screen copy's text
    # layer is drawn apart from what is seen: docs/textlayer.md); its page's origin is
    # the trim's corner (the MediaBox starts at minus the bleed).
    press = chars(formats_build / where / "large-print.pdf")
    assert len(pages) > 1 and len(press) == len(pages)
    for number, (page, box, printed_page) in enumerate(zip(pages, boxes, press), 1):
        width, _ = box["TrimBox"]
        marks = "\u200e\u200f\u2066\u2067\u2068\u2069"  # bidi marks
        foot = [c for c in printed(page) if c["y"] * MM_PER_PT < 22 and c["text"] not in marks]
        words = label.replace("{pages}", str(len(pages))).replace("{page}", str(number))
        assert sorted(c["text"] for c in foot) == sorted(squeezed(words)), (where, number, foot)
        foot = [c for c in printed(printed_page) if c["y"] * MM_PER_PT < 22 and c["text"] not in marks]
        assert foot and all(c["size"] >= 16 for c in foot), (where, number)
        # Its descenders (0.3 em under the baseline) clear the press profile's safe margin;
        # placed by its digits (the brand's typeface in every language: their origins are
        # where they print; a Naskh mark's need not be).
        digits = [c for c in foot if c["text"].isdigit()]
        assert digits and all(c["y"] * MM_PER_PT - 0.3 * c["size"] * MM_PER_PT >= safe for c in digits)
        assert all(safe <= c["x"] * MM_PER_PT <= width - safe for c in digits), (where, number)
        if not where or where in ("languages/pl/", "languages/ro/"):  # left to right: it reads in order
            assert "".join(c["text"] for c in sorted(foot, key=lambda c: c["x"])) == squeezed(words)


def test_large_print_carries_a_large_code_and_its_address_printed_large(formats_build, content):
    manifest = json.loads((formats_build / "manifest.json").read_text())
    entry, = [e for e in manifest["outputs"] if e["path"] == "large-print.pdf"]
    doc = pdfium.PdfDocument(str(formats_build / "large-print.pdf"))
    try:
        dpi = 150
        codes = [(page_number, code) for page_number, page in enumerate(doc)
                 for code in zxingcpp.read_barcodes(page.render(scale=dpi / 72).to_pil(),
                                                    formats=zxingcpp.BarcodeFormat.QRCode)]
    finally:
        doc.close()
    (page_number, code), = codes
    assert code.text == entry["qr_url"]
    width_mm = (code.position.top_right.x - code.position.top_left.x) / dpi * 25.4
    assert width_mm >= 25  # the A4 poster's smallest code (products.yaml min_qr_mm), quiet zone aside
    page = printed(chars(formats_build / "large-print.pdf")[page_number])
    text = "".join(c["text"] for c in page)
    address = page[text.rindex(content["qr"]["label"])]  # the last: beside the code
    assert address["size"] >= 18


def sentence_boxes(page: pdfium.PdfPage, sentences: list[str]) -> dict[str, tuple[float, float, float, float]]:
    """Each of `sentences` found on the page: the box (pt) of its characters."""
    textpage = page.get_textpage()
    count = textpage.count_chars()
    letters = [(i, textpage.get_text_range(i, 1)) for i in range(count)]
    # Letters and digits only: a line may break after the hyphen of "ex-partner" (PDFium
    # reads that hyphen as a mark of its own), and right to left a sentence's full
    # stop stands at its other end.
    letters = [(i, ch) for i, ch in letters if ch.isalnum()]
    joined = "".join(ch for _, ch in letters)
    found = {}
    for sentence in sentences:
        wanted = "".join(ch for ch in sentence if ch.isalnum())
        at = joined.find(wanted)
        if at < 0:
            continue
        boxes = [textpage.get_charbox(letters[j][0]) for j in range(at, at + len(wanted))]
        found[sentence] = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                           max(b[2] for b in boxes), max(b[3] for b in boxes))
    return found


def pictures_beside(path: Path, sentences: list[str], side: str = "left") -> set[str]:
    """The sentences found with one picture beside them on `side`, overlapping them
    vertically; fails on a sentence with none, or more than one."""
    doc = pdfium.PdfDocument(str(path))
    placed = set()
    try:
        assert 1 <= len(doc) <= 8
        for page in doc:
            # The pictures are drawn as form objects (the SVGs); the code is one too, beside its address.
            pictures = [o.get_bounds() for o in page.get_objects(max_depth=1) if o.type == pdfium.raw.FPDF_PAGEOBJ_FORM]
            for sentence, (left, bottom, right, top) in sentence_boxes(page, sentences).items():
                beside = [p for p in pictures if p[1] < top and p[3] > bottom
                          and (p[2] < left if side == "left" else p[0] > right)]
                assert len(beside) == 1, sentence
                (x0, y0, x1, y1), = beside
                assert max(x1 - x0, y1 - y0) * MM_PER_PT >= 15, sentence  # a picture, not a mark
                gap = left - x1 if side == "left" else x0 - right
                assert gap < 25 / MM_PER_PT, sentence  # beside it, not across the page
                placed.add(sentence)
    finally:
        doc.close()
    return placed


def easy_read_sentences(content: dict) -> list[str]:
    return [s["text"] for section in content["easy_read"]["sections"] for s in section["sentences"]]


def test_easy_read_puts_each_sentence_beside_its_picture(formats_build, content):
    sentences = easy_read_sentences(content)
    for name in ("easy-read.pdf", "easy-read-screen.pdf"):
        assert pictures_beside(formats_build / name, sentences) == set(sentences)


def test_easy_read_right_to_left_has_its_pictures_on_the_right(tmp_path, content):
    """A translation with its easy_read: gets its own Easy Read, mirrored: the picture
    where reading starts. (Its sentences stand in English here: the test is of the
    layout, not a translation.)"""
    folder = tmp_path / "content"
    translations = folder / "translations" / "no-matter-how-small"
    translations.mkdir(parents=True)
    with_sources(folder)
    (folder / DEFAULT_CAMPAIGN.name).write_text(DEFAULT_CAMPAIGN.read_text(encoding="utf-8"), encoding="utf-8")
    for translation in (DEFAULT_CAMPAIGN.parent / "translations" / "no-matter-how-small").glob("*.yaml"):
        (translations / translation.name).write_bytes(translation.read_bytes())
    urdu = (translations / "ur.yaml").read_text(encoding="utf-8")
    easy_read = {"title": content["easy_read"]["title"],
                 "sections": [{"heading": s["heading"], "sentences": [{"text": t["text"]} for t in s["sentences"]]}
                              for s in content["easy_read"]["sections"]]}
    (translations / "ur.yaml").write_text(urdu + "\n" + yaml.safe_dump({"easy_read": easy_read}, sort_keys=False),
                                          encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(folder / DEFAULT_CAMPAIGN.name), "--out", str(out), "--only", "easy-read",
                 "--language", "ur", "--profile", "press", "--jobs", "1"]) == 0
    # English set right to left: a figure that opens a sentence ("96% of ...") moves to
    # its other end, so only the sentences that open with a word are looked for.
    sentences = [s for s in easy_read_sentences(content) if s[0].isalpha()]
    path = out / "no-matter-how-small" / "languages" / "ur" / "easy-read.pdf"
    assert pictures_beside(path, sentences, side="right") == set(sentences)


def test_easy_read_text_is_14_pt_or_more_and_the_code_opens_the_page(formats_build):
    for name in ("easy-read.pdf", "easy-read-screen.pdf"):
        sizes = [c["size"] for page in chars(formats_build / name) for c in printed(page)]
        assert sizes and min(sizes) >= 14, (name, sorted(set(sizes)))
    manifest = json.loads((formats_build / "manifest.json").read_text())
    entry, = [e for e in manifest["outputs"] if e["path"] == "easy-read.pdf"]
    assert [code for page in pdf_tools.decode_qr(formats_build / "easy-read.pdf") for code in page] == [entry["qr_url"]]


def test_both_formats_are_in_the_print_order_with_their_copies_and_paper(formats_build, content):
    report = json.loads((formats_build / "preflight.json").read_text())
    assert report["errors"] == 0, report["problems"]
    # The Easy Read text is a draft until people with learning disabilities check it.
    assert any(p["check"] == "easy-read" and p["level"] == "warning" for p in report["problems"])
    with open(formats_build / "print-order.csv", newline="") as f:
        rows = {(r["language"], r["product"]): r for r in csv.DictReader(f)}
    # Large print in every language; Easy Read in English only: no translation has an
    # easy_read: section yet.
    languages = content["variants"]["languages"]["codes"]
    assert set(rows) == {("en-GB", "large-print"), ("en-GB", "easy-read"), *((code, "large-print") for code in languages)}
    # A stock for requests: products.yaml's copies, county-wide and per language.
    assert {k: rows[k]["copies"] for k in rows} == {k: "50" if k[0] == "en-GB" else "10" for k in rows}
    assert all("matt" in row["print_note"] and "on request" in row["print_note"] for row in rows.values())
    assert rows["en-GB", "large-print"]["path"] == "large-print.pdf"
    assert all(rows[code, "large-print"]["path"] == f"languages/{code}/large-print.pdf" for code in languages)


def easy_read_problem(tmp_path, capsys, campaign_text: str, old: str, new: str) -> tuple[str, int]:
    """Check the default campaign with one Easy Read line changed: the error, and the line."""
    assert old in campaign_text
    path = campaign_copy(tmp_path, campaign_text.replace(old, new, 1))
    line = campaign_text[:campaign_text.index(old)].count("\n") + 1
    assert main(["check", str(path)]) == 1
    return capsys.readouterr().err, line


def test_a_too_long_easy_read_sentence_is_refused_at_its_line(tmp_path, capsys, campaign_text):
    long = "Stalking is when someone you know or do not know watches you or follows you again and again."
    err, line = easy_read_problem(tmp_path, capsys, campaign_text,
                                  "Stalking is when someone watches you or follows you again and again.", long)
    assert f"no-matter-how-small.yaml:{line} easy_read.sections[0].sentences[0].text: has 18 words" in err
    assert "split it into two sentences" in err and "Traceback" not in err


@pytest.mark.parametrize("old, new, said", [
    ("Then press 55 when you are asked.", "Then press 55 when you are asked, or call 101.", "has 2 numbers (55, 101)"),
    ("Stalking is a crime.", "Stalking is a crime. Tell us.", "is more than one sentence"),
    ("{picture: gift,", "{picture: present,", "there is no picture 'present' (assets/easy-read/present.svg)"),
    ("{picture: gift,", "{picture: ../../secret,", "is not in the expected form"),
])
def test_easy_read_rules_are_said_at_their_line(tmp_path, capsys, campaign_text, old, new, said):
    err, line = easy_read_problem(tmp_path, capsys, campaign_text, old, new)
    assert f"no-matter-how-small.yaml:{line} easy_read.sections[" in err and said in err


def test_a_campaign_listing_easy_read_without_its_text_is_refused(tmp_path, capsys, campaign_text):
    start = campaign_text.index("\neasy_read:") + 1
    text = campaign_text[:start] + campaign_text[campaign_text.index("\nreport:", start) + 1:]
    path = campaign_copy(tmp_path, text)
    assert main(["list", str(path), "--only", "easy-read"]) == 1
    err = capsys.readouterr().err
    line = text[:text.index("products: [")].count("\n") + 1
    index = yaml.safe_load(text)["products"].index("easy-read")
    assert f"no-matter-how-small.yaml:{line} products[{index}]: easy-read is made from the campaign's easy_read" in err


def test_a_changed_picture_rebuilds_the_easy_read(tmp_path, monkeypatch):
    """The template names its pictures by name only: each picture file is in the Easy
    Read's input hash, so a redrawn picture rebuilds it (and a cluster worker with
    another copy refuses the job)."""
    import shutil

    from pipeline import build
    from pipeline.content import easyread
    from pipeline.content import load_campaigns
    from pipeline.plan import load_layouts, load_profiles, plan, select_profiles

    pictures = tmp_path / "easy-read"
    shutil.copytree(easyread.PICTURES, pictures)
    monkeypatch.setattr(easyread, "PICTURES", pictures)
    job, = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(), select_profiles(load_profiles(), "press"),
                only=["easy-read"], languages=["none"])
    before = build.input_hash(job)
    (pictures / "telephone.svg").write_text((pictures / "telephone.svg").read_text() + "<!-- redrawn -->")
    build.forget_file_hashes()
    assert build.input_hash(job) != before


def test_a_document_over_its_max_pages_is_refused(tmp_path):
    """The large print runs on over pages, up to products.yaml's max_pages: past it, one
    error on the first page too many, and the PDF is not printed."""
    from .test_preflight import layouts_copy, run_preflight

    layouts = layouts_copy(tmp_path, {"products.yaml": ("  code: lp\n  pages: 1\n  max_pages: 8",
                                                        "  code: lp\n  pages: 1\n  max_pages: 2")})
    code, report = run_preflight(tmp_path, "--only", "large-print", "--profile", "press", layouts=layouts)
    assert code == 1
    pages, = [p for p in report["problems"] if p["check"] == "pages"]
    assert pages["level"] == "error" and pages["page"] == 3
    assert re.search(r"has \d+ pages; a large-print has 1 to 2", pages["what"])


@pytest.mark.parametrize("example", ["phone-scams", "domestic-abuse-disclosure", "minimal"])
def test_large_print_is_made_from_any_campaigns_content(tmp_path, example):
    """Another force's campaign (a logo lockup, other sections) in large print: clean, and
    every page at 16 pt or more."""
    source = DEFAULT_CAMPAIGN.parent / "examples" / f"{example}.yaml"
    text = source.read_text(encoding="utf-8")
    assert "\nproducts: [" in text
    path = tmp_path / source.name
    path.write_text(text.replace("\nproducts: [", "\nproducts: [large-print, ", 1), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(path), "--out", str(out), "--only", "large-print", "--profile", "press"]) == 0
    report = json.loads((out / example / "preflight.json").read_text())
    assert report["errors"] == 0, report["problems"]
    sizes = [c["size"] for page in chars(out / example / "large-print.pdf") for c in printed(page)]
    assert min(sizes) >= 16
