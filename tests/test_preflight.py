"""Preflight: the default campaign is clean; each check catches a real, deliberate
mistake in a copy of the layouts or the content, naming the file, page and place."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import qrcode
import qrcode.image.svg
from PIL import Image

from pipeline.cli import main
from pipeline.paths import COLOUR, LAYOUTS
from pipeline.preflight import contrast

from .conftest import DEFAULT_CAMPAIGN, ROOT, campaign_copy, unsourced


def layouts_copy(tmp_path: Path, edits: dict[str, tuple[str, str]]) -> Path:
    """A copy of layouts/ (beside links to the real fonts and colour) with edits applied."""
    project = tmp_path / "project"
    shutil.copytree(LAYOUTS, project / "layouts")
    (project / "fonts").symlink_to(ROOT / "fonts")
    (project / "colour").symlink_to(COLOUR)
    (project / "assets").symlink_to(ROOT / "assets")
    for name, (old, new) in edits.items():
        path = project / "layouts" / name
        text = path.read_text()
        assert old in text, f"fixture edit does not apply to {name}: {old!r}"
        path.write_text(text.replace(old, new, 1))
    return project / "layouts"


def run_preflight(tmp_path, *args, content=DEFAULT_CAMPAIGN, layouts=None) -> tuple[int, dict]:
    out = tmp_path / "out"
    argv = ["preflight", str(content), "--out", str(out), "--district", "none", "--partner", "none",
            "--language", "none", *args]
    if layouts:
        argv += ["--layouts", str(layouts)]
    code = main(argv)
    report = json.loads((out / Path(content).stem / "preflight.json").read_text())
    return code, report


def errors(report, check):
    return [p for p in report["problems"] if p["level"] == "error" and p.get("check") == check]


def test_default_campaign_passes_preflight_with_no_errors(built):
    folder, manifest = built
    report = json.loads((folder / "preflight.json").read_text())
    pdfs = [e for e in manifest["outputs"] if "imposed_from" not in e]
    assert report["errors"] == 0, report["problems"]
    assert report["warnings"] == 0, report["problems"]
    assert len(report["outputs"]) == len(pdfs)
    assert all(e["preflight"] == {"errors": 0, "warnings": 0} for e in pdfs)
    page = (folder / "preflight.html").read_text()
    assert page.count('<section class="output">') == len(pdfs)
    thumbnails = re.findall(r'<img src="(preflight/[^"]+\.png)"', page)
    assert len(thumbnails) == sum(e["pages"] for e in pdfs)
    assert all((folder / t).is_file() for t in thumbnails)


def test_too_long_headline_is_lost_text(tmp_path, campaign_text):
    content = campaign_copy(tmp_path, unsourced(campaign_text).replace(
        "  lead: |-\n    No matter how small\n    it may seem.",
        "  lead: " + "No matter how small it may seem, whatever anyone else says about it. " * 4))
    code, report = run_preflight(tmp_path, "--only", "poster", "--profile", "press", content=content)
    assert code == 1
    # One error per poster in the editor's words (causes.py), in place of the lost text it causes.
    causes = errors(report, "too-long")
    assert {p["file"] for p in causes} == {"poster-a4.pdf", "poster-a3.pdf", "poster-a2.pdf"}
    assert all(p["field"] == "strapline.lead" and "characters too long for the poster" in p["what"] for p in causes)
    assert not errors(report, "lost-text")


def test_qr_code_shrunk_below_20_mm(tmp_path):
    layouts = layouts_copy(tmp_path, {"leaflet.css": (".qr { width: 28mm; height: 28mm;",
                                                      ".qr { width: 15mm; height: 15mm;")})
    code, report = run_preflight(tmp_path, "--only", "leaflet-a5", "--profile", "press", layouts=layouts)
    assert code == 1
    [problem] = [p for p in errors(report, "qr") if "mm; a leaflet-a5 needs" in p["what"]]
    assert "QR code is 15.0 mm" in problem["what"]
    assert problem["page"] == 1 and problem["box_mm"][2] == pytest.approx(15, abs=0.1)


def test_qr_code_to_another_domain(tmp_path):
    layouts = layouts_copy(tmp_path, {"_parts.html": ('<img class="qr" src="{{ qr.src }}"',
                                                      '<img class="qr" src="sticker.svg"')})
    qrcode.make("https://evil.example.com/report", image_factory=qrcode.image.svg.SvgPathImage,
                border=4).save(layouts / "sticker.svg")
    code, report = run_preflight(tmp_path, "--only", "leaflet-dl", "--profile", "press", layouts=layouts)
    assert code == 1
    # The renderer scans every picture it is given: the sticker is refused as it loads.
    whats = [p["what"] for p in report["problems"] if p["level"] == "error"]
    assert any("sticker.svg" in w and "leads to 'https://evil.example.com/report'" in w for w in whats), whats


def test_qr_code_that_does_not_scan(tmp_path):
    """A code no decoder reads (here a smudged square where the code should be): the
    whole-page scan reads nothing there, the 300 dpi raster of its area neither."""
    layouts = layouts_copy(tmp_path, {"_parts.html": ('<img class="qr" src="{{ qr.src }}"',
                                                      '<img class="qr" src="smudge.svg"')})
    (layouts / "smudge.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 33 33">'
                                        '<rect x="4" y="4" width="25" height="25" fill="#000"/>'
                                        '<rect x="10" y="10" width="8" height="5" fill="#fff"/></svg>')
    code, report = run_preflight(tmp_path, "--only", "leaflet-dl", "--profile", "press", layouts=layouts)
    assert code == 1
    assert any("QR code does not scan from a 300 dpi raster" in p["what"] for p in errors(report, "qr"))


def test_light_grey_text_fails_contrast(tmp_path):
    layouts = layouts_copy(tmp_path, {"poster.css": (".stat .text { font-size: var(--s2);",
                                                     ".stat .text { color: #c8c8c8; font-size: var(--s2);")})
    code, report = run_preflight(tmp_path, "--only", "poster", "--profile", "screen", layouts=layouts)
    assert code == 1
    low = errors(report, "contrast")
    assert low and all("needs 4.5:1" in p["what"] or "needs 3:1" in p["what"] for p in low)
    assert any("of victims of stalking" in p["what"] for p in low)
    assert all("> p.text" in p["field"] for p in low)


def test_logo_at_72_ppi(tmp_path):
    layouts = layouts_copy(tmp_path, {"leaflet-a5.html": ('<div class="body">',
                                                          '<div class="body"><img class="logo" src="logo.png" '
                                                          'alt="Partner logo" style="width: 40mm">')})
    Image.new("RGB", (113, 50), (20, 60, 120)).save(layouts / "logo.png")  # 113 px over 40 mm = 72 ppi
    code, report = run_preflight(tmp_path, "--only", "leaflet-a5", "--profile", "press", layouts=layouts)
    assert code == 1
    [problem] = errors(report, "images")
    assert "image is 72 ppi" in problem["what"] and "wants 300 ppi" in problem["what"]
    # Converted to CMYK on the way into a press PDF, so no RGB warning.
    assert not [p for p in report["problems"] if "RGB image" in p["what"]]


def test_text_over_a_fold(tmp_path):
    layouts = layouts_copy(tmp_path, {"leaflet-dl.css": ("columns: 3; column-gap: 16mm;",
                                                         "columns: 3; column-gap: 4mm;")})
    code, report = run_preflight(tmp_path, "--only", "leaflet-dl", "--profile", "press", layouts=layouts)
    assert code == 1
    folds = errors(report, "folds")
    assert folds and all(p["page"] == 2 for p in folds)
    assert any("the fold at 100 mm" in p["what"] for p in folds)
    assert all("div.flow" in p["field"] for p in folds)


def test_text_too_close_to_the_trim_and_too_small(tmp_path):
    layouts = layouts_copy(tmp_path, {"leaflet-a5.css": ("bottom: 0; padding: 0 10mm 10mm; }",
                                                         "bottom: 0; padding: 0 2mm 2mm; font-size: 9pt; }")})
    code, report = run_preflight(tmp_path, "--only", "leaflet-a5", "--profile", "press", layouts=layouts)
    assert code == 1
    assert errors(report, "safe-area")
    small = errors(report, "type-size")
    assert small and all("needs at least 12 pt" in p["what"] for p in small)


def test_background_short_of_the_bleed(tmp_path):
    layouts = layouts_copy(tmp_path, {"leaflet-a5.css": ("  margin: calc(-1 * var(--bleed)) calc(-1 * var(--bleed)) 0;\n", "")})
    code, report = run_preflight(tmp_path, "--only", "leaflet-a5", "--profile", "press", layouts=layouts)
    assert code == 1
    edges = {p["what"] for p in errors(report, "bleed")}
    assert edges == {"colour at the top trim stops short of the bleed",
                     "colour at the left trim stops short of the bleed",
                     "colour at the right trim stops short of the bleed"}


def test_weasyprint_warnings_are_reported_and_strict_fails_on_them(tmp_path):
    layouts = layouts_copy(tmp_path, {"leaflet.css": ("html { font-size: 12pt;", "html { font-size: 12pt; colour: red;")})
    code, report = run_preflight(tmp_path, "--only", "leaflet-a5", "--profile", "screen", layouts=layouts)
    assert code == 0
    [warning] = [p for p in report["problems"] if p["check"] == "weasyprint"]
    assert warning["level"] == "warning" and "colour" in warning["what"]
    # Said while the stylesheet was parsed: at its file and line, not the template's.
    line = next(n for n, text in enumerate((layouts / "leaflet.css").read_text().splitlines(), 1) if "colour:" in text)
    assert (warning["file"], warning["line"]) == ("layouts/leaflet.css", line)
    strict_code = main(["preflight", str(DEFAULT_CAMPAIGN), "--out", str(tmp_path / "strict"),
                        "--only", "leaflet-a5", "--profile", "screen", "--layouts", str(layouts), "--strict",
                        "--district", "none", "--partner", "none"])
    assert strict_code == 1


def test_contrast_ratio_matches_wcag_examples():
    assert contrast((0, 0, 0), (1, 1, 1)) == pytest.approx(21)
    assert contrast((1, 1, 1), (1, 1, 1)) == pytest.approx(1)
    grey = 0x76 / 255  # #767676 is the classic 4.5:1 grey on white
    assert contrast((grey,) * 3, (1, 1, 1)) == pytest.approx(4.54, abs=0.02)


def _small_text_problems(report):
    return [p for p in report["problems"] if p.get("check") == "small-text-inks"]


def test_small_text_in_several_inks_is_reported_with_its_place(tmp_path):
    """The wallet card with small type in the force's navy (C100 M75 K60): the other
    services' numbers at 10 pt, the wordmark reversed white out of navy at 9 pt. Both are
    registration risks on press (profiles/press.yaml: small_text), named with file,
    page, place, element, size, colour and a fix; the screen copy is not checked."""
    layouts = layouts_copy(tmp_path, {
        "wallet-card.css": (".others .phone { font-weight: 700; font-size: 10pt; }",
                            ".others .phone { font-weight: 700; font-size: 10pt; color: var(--primary); }"),
    })
    card = layouts.parent / "layouts" / "wallet-card.css"
    card.write_text(card.read_text().replace(".outside .wordmark { font-weight: 700; font-size: 10pt;",
                                             ".outside .wordmark { font-weight: 700; font-size: 9pt;"))
    code, report = run_preflight(tmp_path, "--only", "wallet-card", "--profile", "press", layouts=layouts)
    assert code == 1
    problems = {p["field"].split(" > ")[-1]: p for p in _small_text_problems(report)}
    assert set(problems) == {"span.phone.nowrap", "p.wordmark"}, problems
    phone, wordmark = problems["span.phone.nowrap"], problems["p.wordmark"]
    assert phone["file"] == "wallet-card.pdf" and phone["page"] == 2 and phone["level"] == "error"
    x, y, w, h = phone["box_mm"]
    assert 20 < x < 80 and 30 < y < 52 and 0 < h < 6  # a number after its service's name
    assert "is 10.0 pt in 3 process inks (C, M, K: var(--primary), CMYK 100/75/0/60)" in phone["what"]
    assert "profiles/press.yaml: small_text" in phone["what"]
    assert "100 % K" in phone["hint"] and "at least 12 pt" in phone["hint"]
    assert wordmark["page"] == 1
    assert "9.0 pt bold, reversed out of a ground in 3 process inks" in wordmark["what"]
    assert "bold and at least 10 pt" in wordmark["hint"]
    # Screen copies have no plates: no such problem there.
    code, report = run_preflight(tmp_path / "screen", "--only", "wallet-card", "--profile", "screen",
                                 layouts=layouts)
    assert not _small_text_problems(report)


def test_small_text_rule_is_the_profiles_data(tmp_path):
    """The rule comes from the profile: its size, how many inks, the exception for bold
    reversed type; a profile without it checks nothing, and a screen profile may not
    have one."""
    from types import SimpleNamespace

    from pipeline.content import Colour, load_model
    from pipeline.plan import Profile, SmallText
    from pipeline.preflight import Subject, check_small_text_inks
    from pipeline.problems import ContentError
    from pipeline.render import Placed, Rendered

    navy, yellow, k = (1, 0.75, 0, 0.6), (0, 0.15, 1, 0), (0, 0, 0, 1)
    layout = [
        Placed(1, "text", (5, 5, 30, 4), "p.navy", text="navy", font_size_pt=11, colour_cmyk=navy),
        Placed(1, "text", (5, 10, 30, 4), "p.yellow", text="yellow", font_size_pt=11, colour_cmyk=yellow),
        Placed(1, "text", (5, 15, 30, 4), "p.black", text="black", font_size_pt=8, colour_cmyk=k),
        Placed(1, "text", (5, 20, 30, 4), "p.big", text="big", font_size_pt=12, colour_cmyk=navy),
        Placed(1, "text", (5, 25, 30, 4), "p.white", text="white", font_size_pt=10, bold=True,
               colour=(1, 1, 1), colour_cmyk=(0, 0, 0, 0), background_cmyk=navy),
        Placed(1, "text", (5, 30, 30, 4), "p.white-on-k", text="on k", font_size_pt=7,
               colour=(1, 1, 1), colour_cmyk=(0, 0, 0, 0), background_cmyk=(0, 0, 0, 0.85)),
    ]

    def found(rule, output="print"):
        job = SimpleNamespace(output="card.pdf", colours={"primary": Colour(cmyk=(100, 75, 0, 60), rgb="#0b2a4a")},
                              profile=SimpleNamespace(name="press", spec=SimpleNamespace(small_text=rule, output=output)))
        subject = Subject(job, "", Rendered(pdf=b"", pages=1, warnings=[], layout=layout))
        return sorted(p.field for p in check_small_text_inks(subject))

    assert found(SmallText(below_pt=12, max_inks=1, reversed_bold_min_pt=10)) == ["p.navy", "p.yellow"]
    assert found(SmallText(below_pt=12, max_inks=1)) == ["p.navy", "p.white", "p.yellow"]
    assert found(SmallText(below_pt=12, max_inks=2)) == ["p.navy", "p.white"]  # white: on 3 inks
    assert found(SmallText(below_pt=12.5, max_inks=1, reversed_bold_min_pt=10)) == ["p.big", "p.navy", "p.yellow"]
    assert found(SmallText(below_pt=10, max_inks=1)) == []
    assert found(None) == []

    screen = tmp_path / "screen-with-rule.yaml"
    screen.write_text("description: x\noutput: screen\npdf_variant: pdf/ua-1\nsmall_text: {below_pt: 12}\n")
    with pytest.raises(ContentError) as caught:
        load_model(screen, Profile)
    assert "small_text is a press rule" in str(caught.value)


def test_default_campaign_has_no_small_text_in_several_inks(tmp_path):
    """Every product, variant and language of the default campaign, on press."""
    out = tmp_path / "out"
    main(["preflight", str(DEFAULT_CAMPAIGN), "--out", str(out), "--profile", "press"])
    report = json.loads((out / "no-matter-how-small" / "preflight.json").read_text())
    assert any(o["product"] == "wallet-card" for o in report["outputs"])
    assert any(o["path"].startswith("languages/") for o in report["outputs"])
    assert _small_text_problems(report) == []
