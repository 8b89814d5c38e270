"""The county's languages (issue 25): each translation's own page, Polish, Romanian and
Arabic screen copies that read back with four extractors (pdfminer.six, pypdf,
poppler's pdftotext, PDFium), Arabic right to left in Naskh, bilingual products, and
each language in the print order with its copies. Read from the PDFs by tools that
are not the renderer."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTTextContainer

from pipeline.cli import main
from pipeline.content import load_campaigns
from pipeline.layouts import render_html
from pipeline.plan import load_layouts, load_profiles, plan
from pipeline.problems import ContentError, PipelineError
from pipeline.render import render_pdf

from .conftest import DEFAULT_CAMPAIGN, with_sources
from .pdf_tools import decode_qr, fonts
from .test_screen_press import _campaigns, _norm, printed_strings, read_back

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "content" / "translations" / "no-matter-how-small"
BILINGUAL = ROOT / "content" / "examples" / "phone-scams-bilingual.yaml"
POLISH_PAGE = "https://www.northyorkshire.police.uk/stalking/pl"  # an example address, for the test only
pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (make system-deps)")


def _with_polish_page(tmp_path: Path, url: str = POLISH_PAGE, label: str = "northyorkshire.police.uk/stalking/pl"):
    """The default campaign in Polish and Romanian, the Polish translation with a page of its own."""
    content = tmp_path / "content"
    folder = content / "translations" / "no-matter-how-small"
    folder.mkdir(parents=True)
    with_sources(content)
    campaign = content / DEFAULT_CAMPAIGN.name
    campaign.write_text(DEFAULT_CAMPAIGN.read_text(encoding="utf-8").replace("codes: [ur, pl, ro, ar]",
                                                                            "codes: [pl, ro]"), encoding="utf-8")
    shutil.copy(TRANSLATIONS / "ro.yaml", folder / "ro.yaml")
    polish = (TRANSLATIONS / "pl.yaml").read_text(encoding="utf-8")
    (folder / "pl.yaml").write_text(polish + f"\nqr:\n  url: {url}\n  label: {label}\n", encoding="utf-8")
    return campaign


def _render(jobs, **where):
    job = next(j for j in jobs if all(getattr(j, k) == v for k, v in where.items()))
    return render_pdf(job, render_html(job)).pdf


def test_a_translation_opens_its_own_page_and_prints_its_address(tmp_path):
    campaigns = load_campaigns([_with_polish_page(tmp_path)])
    jobs = plan(campaigns, load_layouts(), [load_profiles()["press"]], only=["wallet-card"],
                districts=["none"], partners=["none"])
    for language, page in (("pl", POLISH_PAGE), ("ro", "https://www.northyorkshire.police.uk/stalking")):
        pdf = tmp_path / f"card-{language}.pdf"
        pdf.write_bytes(_render(jobs, product="wallet-card", language=language))
        codes = [code for page_codes in decode_qr(pdf, dpi=300) for code in page_codes]
        assert codes == [f"{page}?c=wc-{language}"], codes  # Romanian has none of its own: the campaign's
        printed = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout \
            if shutil.which("pdftotext") else ""
        if printed:  # the card may break the address after a slash
            assert page.removeprefix("https://www.") in "".join(printed.split())


def test_a_translations_page_off_the_allow_list_is_refused_at_its_line(tmp_path):
    campaign = _with_polish_page(tmp_path, "https://www.northyorkshire-police.example/pl", "northyorkshire-police.example/pl")
    with pytest.raises(ContentError) as caught:
        load_campaigns([campaign])
    problem = next(p for p in caught.value.problems if p.field == "qr.url")
    assert problem.file.endswith("pl.yaml") and problem.line is not None
    assert "not on qr.allowed_hosts" in problem.what


@lru_cache(maxsize=None)
def _read_back(language: str) -> tuple[int, dict[str, list]]:
    """Every screen PDF of one translation, as four extractors read it: how many of the
    translation's strings they print, and per extractor what it misreads."""
    campaigns, layouts, profiles = _campaigns()
    jobs = plan(campaigns, layouts, [profiles["screen"]], districts=["none"], partners=["none"],
                languages=[language])
    source = TRANSLATIONS / f"{language}.yaml"
    printed, missing = set(), {}
    for job in jobs:
        html = render_html(job)
        wanted = printed_strings(source, html)
        printed |= set(wanted)
        pdf = render_pdf(job, html).pdf
        texts = read_back(pdf)
        document = pdfium.PdfDocument(pdf)
        texts["pdfium"] = _norm(" ".join(page.get_textpage().get_text_range() for page in document))
        for tool, text in texts.items():
            missing.setdefault(tool, []).extend((s, job.name) for s in wanted if s not in text)
    return len(printed), missing


def _misread(missing: dict, tool: str) -> set[str]:
    return {s for s, _ in missing[tool]}


@pytest.mark.parametrize("language", ["pl", "ro"])
def test_polish_and_romanian_screen_copies_read_back_verbatim_with_four_extractors(language):
    printed, missing = _read_back(language)
    assert printed >= 55
    assert set(missing) >= {"pdfminer", "pypdf", "pdfium"}
    for tool, misread in missing.items():
        assert not misread, f"{tool} misreads {len(_misread(missing, tool))}/{printed}: {sorted(misread)[:5]}"


def test_arabic_screen_copies_read_back_with_four_extractors():
    """pdfminer.six, pypdf and PDFium read every string: PDFium reads characters laid
    for it alone, in the order its own bidi pass turns back into the source's (a Latin
    run inside Arabic, an address, a key statistic beside its text: textlayer/pdfium.py).
    poppler too: each page carries a direction mark (poppler takes a page with more Latin
    letters than Arabic ones as left to right, and read "تحدث إلى شخص ما." with the full
    stop first), and a right-to-left mark stands before a separator after a Latin run or
    a number (poppler takes '.', ':' for parts of numbers: ". Suzy Lamplugh Trust",
    ": 2018"). Six strings were misread before (textlayer/finish.py, draw.py)."""
    printed, missing = _read_back("ar")
    assert printed >= 55
    assert not missing["pdfminer"] and not missing["pypdf"], (missing["pdfminer"], missing["pypdf"])
    assert not missing["pdfium"], sorted(missing["pdfium"])
    if "poppler" in missing:
        assert not missing["poppler"], sorted(missing["poppler"])


def test_urdu_reaches_pdfium():
    """The glyphs seen are outlines and PDFium reads characters laid for it alone
    (textlayer/): every string but one (before, 44 of 198; then all but one on the A5
    and the card). The one: large print's "اسکین کریں یا دیکھیں", which PDFium puts on
    one line with the address of the paragraph before, drawn by WeasyPrint (not by the
    text layer) and so read left to right."""
    printed, missing = _read_back("ur")
    assert printed >= 55
    assert len(_misread(missing, "pdfium")) <= 1, sorted(missing["pdfium"])
    assert not missing["pdfminer"] and not missing["pypdf"] and not missing.get("poppler")


def test_arabic_is_right_to_left_in_naskh(tmp_path):
    campaigns, layouts, profiles = _campaigns()
    jobs = plan(campaigns, layouts, [profiles["screen"]], only=["poster"], districts=["none"], partners=["none"],
                languages=["ar"])
    job = next(j for j in jobs if j.size == "A4")
    html = render_html(job)
    assert '<html lang="ar" dir="rtl">' in html
    path = tmp_path / "ar.pdf"
    path.write_bytes(render_pdf(job, html).pdf)
    names = [name.replace("-", "") for name, embedded in fonts(path) if embedded]
    assert any("NotoNaskhArabic" in name for name in names), names
    assert not any("Nastaliq" in name for name in names), names
    # The headline reads right to left: its first letter stands right of its last.
    headline = "مهما بدت الأمور صغيرة."
    for page in extract_pages(str(path)):
        for box in page:
            if isinstance(box, LTTextContainer) and headline in _norm(box.get_text()):
                chars = [c for line in box for c in line if isinstance(c, LTChar) and c.get_text().strip()]
                first, last = chars[0], chars[-1]
                assert first.get_text() == "م" and first.x0 > last.x0 + 50
                return
    pytest.fail("no text box holds the Arabic headline")


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bilingual")
    assert main(["build", str(BILINGUAL), "--out", str(out), "--jobs", "1"]) == 0
    folder = out / BILINGUAL.stem
    return folder, json.loads((folder / "manifest.json").read_text())


@pdftotext
def test_a_bilingual_example_prints_both_languages_on_every_product(bilingual):
    folder, manifest = bilingual
    pdfs = [e for e in manifest["outputs"] if e["path"].endswith(".pdf")]
    assert {e["product"] for e in pdfs} == {"poster-bilingual", "poster-two-sided"}
    welsh = ("Fydd eich banc byth yn gofyn i chi symud arian.", "Sganiwch neu ewch i")
    english = ("Your bank will never ask you to move money.", "Scan or visit")
    for entry in pdfs:
        # The reader's eye (hidden-text), lost text and the rest: every word of both shows.
        assert entry["preflight"]["errors"] == 0, entry["path"]
        assert entry["language"] == "cy+en-GB"
        pages = []
        for number in range(1, entry["pages"] + 1):
            out = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(folder / entry["path"]), "-"],
                                 capture_output=True, text=True, check=True).stdout
            pages.append(" ".join(out.split()))
        if entry["product"] == "poster-bilingual":  # side by side: both on the one sheet
            assert all(s in pages[0] for s in welsh + english), pages
        else:  # back to back: Welsh on the front, English on the back
            assert all(s in pages[0] for s in welsh) and not any(s in pages[0] for s in english[:1])
            assert all(s in pages[1] for s in english) and not any(s in pages[1] for s in welsh[:1])


def test_the_welsh_side_comes_first_on_the_left(bilingual):
    folder, manifest = bilingual
    entry = next(e for e in manifest["outputs"] if e["product"] == "poster-bilingual" and e["profile"] == "screen")
    page = pdfium.PdfDocument(str(folder / entry["path"]))[0]
    text = page.get_textpage()
    left = {}
    for word in ("Fydd", "Your"):
        box = text.search(word).get_next()
        left[word] = text.get_charbox(box[0])[0]
    assert left["Fydd"] < left["Your"] - 50


def test_a_bilingual_product_needs_the_campaigns_two_languages(tmp_path):
    text = BILINGUAL.read_text(encoding="utf-8")
    campaign = tmp_path / "examples" / BILINGUAL.name
    campaign.parent.mkdir()
    campaign.write_text(text.replace("bilingual:\n  languages: [cy, en-GB]\n  weight: equal\n", ""), encoding="utf-8")
    with pytest.raises(PipelineError) as caught:
        plan(load_campaigns([campaign]), load_layouts(), [load_profiles()["press"]])
    assert any("prints two languages" in p.what and p.line for p in caught.value.problems)


def test_each_language_is_in_the_print_order_with_its_copies(tmp_path):
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(tmp_path), "--jobs", "1", "--only", "wallet-card",
                 "--district", "none", "--partner", "none", "--language", "pl", "--language", "ar",
                 "--profile", "press"]) in (0, 1)
    folder = tmp_path / "no-matter-how-small"
    order = (folder / "print-order.csv").read_text().splitlines()
    assert ",,pl,wallet-card,card,600,languages/pl/wallet-card.pdf,print," in order, order  # its own copies
    assert ",,ar,wallet-card,card,300,languages/ar/wallet-card.pdf,print," in order, order  # every language's
    manifest = json.loads((folder / "manifest.json").read_text())
    by_language = {row["language"]: row for row in manifest["languages"]}
    assert by_language["pl"]["copies"] == 600 and by_language["ar"]["copies"] == 300


def _polish_only(tmp_path: Path) -> tuple[Path, Path, str]:
    """The default campaign in a content folder with Polish its only language: the
    folder, its translations' folder (empty) and the Polish translation's text."""
    content = tmp_path / "content"
    folder = content / "translations" / "no-matter-how-small"
    folder.mkdir(parents=True)
    with_sources(content)
    (content / DEFAULT_CAMPAIGN.name).write_text(
        DEFAULT_CAMPAIGN.read_text(encoding="utf-8").replace("codes: [ur, pl, ro, ar]", "codes: [pl]"), encoding="utf-8")
    return content, folder, (TRANSLATIONS / "pl.yaml").read_text(encoding="utf-8")


def test_a_translated_figure_may_drop_the_thousands_separator_but_not_change(tmp_path):
    content, folder, polish = _polish_only(tmp_path)
    assert '"1347"' in polish  # 1,347 in English: a comma marks decimals in Polish
    (folder / "pl.yaml").write_text(polish.replace('"1347"', '"1348"'), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_campaigns([content / DEFAULT_CAMPAIGN.name])
    assert [p.field for p in caught.value.problems] == ["local_figures.items[1].figure"]


def test_a_translations_labels_beside_999_and_101_swapped_are_refused(tmp_path):
    """Polish, approved, its labels swapped: 101 would read 'In an emergency' to a reader
    of Polish alone. The campaign's emergency_words say which word means it."""
    content, folder, polish = _polish_only(tmp_path)
    emergency, report = "  emergency: W nagłej sytuacji\n", "  non_emergency: Aby to zgłosić\n"
    assert emergency + report in polish
    swapped = polish.replace(emergency + report, "  emergency: Aby to zgłosić\n  non_emergency: W nagłej sytuacji\n")
    (folder / "pl.yaml").write_text(swapped.replace("status: draft", "status: approved"), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_campaigns([content / DEFAULT_CAMPAIGN.name])
    assert sorted(p.field for p in caught.value.problems) == ["labels.emergency", "labels.non_emergency"]
    assert all(p.line and p.file.endswith("pl.yaml") for p in caught.value.problems)


def test_a_translated_sentence_that_sends_an_emergency_to_101_is_refused(tmp_path):
    """The same digits as the English, another meaning: 'In an emergency call 101' for
    'Call 101 to report it'. The translation is approved, so only this check stands
    between it and the press."""
    content, folder, polish = _polish_only(tmp_path)
    local = "Zadzwoń pod 101, aby to zgłosić."
    assert local in polish
    wrong = polish.replace(local, "W nagłej sytuacji dzwoń pod 101.").replace("status: draft", "status: approved")
    (folder / "pl.yaml").write_text(wrong, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_campaigns([content / DEFAULT_CAMPAIGN.name])
    [problem] = caught.value.problems
    assert problem.field == "labels.local" and "where the English does not" in problem.what, problem
    assert problem.file.endswith("pl.yaml") and problem.line


def test_a_translation_is_approved_by_a_coordinators_seal_not_by_a_word(tmp_path, monkeypatch, capsys):
    """'status: approved' typed by hand is still a draft (preflight warns); approve-
    translation seals every string with the key on the coordinator's machine; a word
    changed after that, or another machine's key, makes it a draft again."""
    content, folder, polish = _polish_only(tmp_path)
    translation = folder / "pl.yaml"
    translation.write_text(polish.replace("status: draft", "status: approved"), encoding="utf-8")

    def polish_source():
        return next(c for c in load_campaigns([content / DEFAULT_CAMPAIGN.name]) if c.language == "pl")

    assert polish_source().draft and "seal" in polish_source().campaign.translation.note
    assert main(["approve-translation", str(translation), "--by", "A. Kowalska, MCIL"]) == 0
    assert "sealed over its" in capsys.readouterr().out
    approved = polish_source()
    assert not approved.draft and approved.campaign.translation.approved_by == "A. Kowalska, MCIL"
    assert translation.read_text(encoding="utf-8").replace(approved.campaign.translation.seal, "") \
        .count("translation:") == 1  # its block replaced, not added
    sealed = translation.read_text(encoding="utf-8")
    translation.write_text(sealed.replace("Zgłoś to. Uzyskaj wsparcie.", "Zgłoś to."), encoding="utf-8")
    assert polish_source().draft  # a word changed since
    translation.write_text(sealed, encoding="utf-8")
    assert not polish_source().draft
    campaign = content / DEFAULT_CAMPAIGN.name
    english = campaign.read_text(encoding="utf-8")
    note = "calls are not shown on BT landline bills"
    assert note in english
    campaign.write_text(english.replace(note, "calls are shown on BT landline bills"), encoding="utf-8")
    assert polish_source().draft  # the English it translates changed since: the Polish says what it did
    campaign.write_text(english, encoding="utf-8")
    assert not polish_source().draft
    monkeypatch.setenv("CAMPAIGN_PRINT_CONFIRM_KEY", str(tmp_path / "another.key"))
    assert polish_source().draft  # sealed where another key is


def test_approving_rewrites_only_the_translation_block(tmp_path):
    """However the block is written (a quoted key, flow style), it is replaced where it
    stands; the comments and keys around it stay as they were."""
    content, folder, polish = _polish_only(tmp_path)
    block = re.search(r"translation:\n  status: draft\n  note: [^\n]*\n", polish).group(0)
    flow = polish.replace(block, '"translation": {status: draft}\n# kept\n', 1)
    (folder / "pl.yaml").write_text(flow, encoding="utf-8")
    assert main(["approve-translation", str(folder / "pl.yaml"), "--by", "A. Kowalska"]) == 0
    written = (folder / "pl.yaml").read_text(encoding="utf-8")
    head, _, tail = flow.partition('"translation": {status: draft}\n')
    assert written.startswith(head + "translation:\n  status: approved\n") and written.endswith(tail)


def test_a_translation_with_content_errors_is_not_approved(tmp_path, capsys):
    content, folder, polish = _polish_only(tmp_path)
    wrong = polish.replace("Zadzwoń pod 101, aby to zgłosić.", "W nagłej sytuacji dzwoń pod 101.")
    (folder / "pl.yaml").write_text(wrong, encoding="utf-8")
    assert main(["approve-translation", str(folder / "pl.yaml"), "--by", "A. Kowalska"]) == 1
    assert "labels.local" in capsys.readouterr().err
    assert (folder / "pl.yaml").read_text(encoding="utf-8") == wrong


WELSH_PAGE = "https://www.constabulary.example/cy/sgamiau"  # an example address, for the test only


@pdftotext
def test_a_bilingual_product_opens_and_prints_the_page_of_the_language_read_first(tmp_path):
    """Welsh first (bilingual.languages: [cy, en-GB]) with a Welsh page of its own: the
    code of every bilingual product opens it and the address printed is its own, on
    every side; read back from the PDFs (zxing-cpp on a raster, poppler's pdftotext)."""
    examples = tmp_path / "examples"
    folder = examples / "translations" / BILINGUAL.stem
    folder.mkdir(parents=True)
    shutil.copy(BILINGUAL, examples / BILINGUAL.name)
    welsh = (BILINGUAL.parent / "translations" / BILINGUAL.stem / "cy.yaml").read_text(encoding="utf-8")
    (folder / "cy.yaml").write_text(welsh + f"\nqr:\n  url: {WELSH_PAGE}\n  label: constabulary.example/cy/sgamiau\n",
                                    encoding="utf-8")
    jobs = plan(load_campaigns([examples / BILINGUAL.name]), load_layouts(), [load_profiles()["press"]])
    assert {j.product for j in jobs} == {"poster-bilingual", "poster-two-sided"}
    for job in jobs:
        pdf = tmp_path / f"{job.product}-{job.size}.pdf"
        pdf.write_bytes(render_pdf(job, render_html(job)).pdf)
        codes = decode_qr(pdf, dpi=300)
        assert all(page == [WELSH_PAGE] for page in codes), (job.output, codes)
        for number in range(1, len(codes) + 1):
            printed = "".join(subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
                                             capture_output=True, text=True, check=True).stdout.split())
            assert "constabulary.example/cy/sgamiau" in printed, (job.output, number, printed)
            assert "constabulary.example/scams" not in printed


def test_a_bilingual_products_first_page_off_the_allow_list_is_refused(tmp_path):
    examples = tmp_path / "examples"
    folder = examples / "translations" / BILINGUAL.stem
    folder.mkdir(parents=True)
    shutil.copy(BILINGUAL, examples / BILINGUAL.name)
    welsh = (BILINGUAL.parent / "translations" / BILINGUAL.stem / "cy.yaml").read_text(encoding="utf-8")
    (folder / "cy.yaml").write_text(welsh + "\nqr:\n  url: https://www.constabulary-cymru.example/sgamiau\n"
                                            "  label: constabulary-cymru.example/sgamiau\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_campaigns([examples / BILINGUAL.name])
    problem = next(p for p in caught.value.problems if p.field == "qr.url")
    assert problem.file.endswith("cy.yaml") and problem.line is not None
    assert "not on qr.allowed_hosts" in problem.what


@pytest.mark.parametrize("language, english, translated, refused", [
    ("pl", "To report it, call 101.", "Jesteś w niebezpieczeństwie. Zadzwoń pod 101.", True),  # danger, next sentence
    ("ro", "To report it, call 101.", "Dacă sunteți în pericol, sunați la 101.", True),
    ("ar", "To report it, call 101.", "في حالة طارئة اتصل 101", True),  # the singular of طوارئ
    ("ur", "To report it, call 101.", "هنگامی صورت میں 101", True),  # Arabic heh for Urdu's
    ("ar", "To report it, call 101.", "في حالات الطوـارئ اتصل 101", True),  # a tatweel inside
    ("pl", "To report it, call 101.", "W nagłej sytuacji: 18001 101", True),  # 101 by text relay
    ("pl", "If it is not an emergency, call 101.", "Jeśli to nie nagła sytuacja, dzwoń pod 101.", False),
    ("pl", "In an emergency call 999. To report it call 101.",
     "W nagłej sytuacji dzwoń pod 999. Aby to zgłosić, dzwoń pod 101.", False),
])
def test_the_emergency_word_goes_with_the_number_nearest_it(language, english, translated, refused):
    """The campaign's words for emergency and danger, however the script writes them,
    paired with the reporting number nearest each, as the English pairs its own."""
    from pipeline.content.rules import emergency_in_translation

    words = load_campaigns([DEFAULT_CAMPAIGN])[0].campaign.emergency_words[language]
    assert bool(emergency_in_translation(english, translated, words)) is refused
