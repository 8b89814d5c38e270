"""Fonts decide what a reader sees (pipeline/preflight/fonts.py, render/fetcher.py): a
copy of a shipped font with two digits swapped prints another helpline number over a
text layer that reads the right one. Only fonts/ is served, and each digit a PDF shows
must be drawn as its shipped font draws it."""
from __future__ import annotations

import io
import json
import shutil

import pytest
from fontTools.ttLib import TTFont

from pipeline.cli import main
from pipeline.paths import FONTS, LAYOUTS
from pipeline.plan import NEIGHBOURS
from pipeline.preflight.fonts import _verdict, shipped

from .conftest import DEFAULT_CAMPAIGN

REGULAR = FONTS / "AtkinsonHyperlegible-Regular.ttf"
NAMES = "zero one two three four five six seven eight nine".split()


def to_unicode(pairs: dict[int, str]) -> bytes:
    """A ToUnicode CMap as WeasyPrint writes one: glyph id -> text."""
    lines = "".join(f"<{cid:04x}> <{ord(text):04x}>\n" for cid, text in pairs.items())
    return f"begincmap\n{len(pairs)} beginbfchar\n{lines}endbfchar\nendcmap\n".encode()


def font_bytes(font: TTFont) -> bytes:
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def digit_ids(font: TTFont) -> dict[int, str]:
    order, cmap = font.getGlyphOrder(), font.getBestCmap()
    return {order.index(cmap[ord(d)]): d for d in "0123456789"}


def test_the_shipped_font_and_its_tabular_figures_pass():
    font = TTFont(REGULAR)
    order = font.getGlyphOrder()
    tabular = {order.index(f"{name}.tf"): str(digit) for digit, name in enumerate(NAMES) if f"{name}.tf" in order}
    assert len(tabular) == 10, "Atkinson Hyperlegible has tabular figures (font-variant-numeric: tabular-nums)"
    assert _verdict(REGULAR.read_bytes(), to_unicode({**digit_ids(font), **tabular})) is None


def test_a_copy_with_two_digits_swapped_is_refused():
    """The cmap intact, the outlines of 3 and 5 swapped: the text says 0300, the page 0500."""
    font = TTFont(REGULAR)
    glyf = font["glyf"]
    glyf["three"], glyf["five"] = glyf["five"], glyf["three"]
    wrong = _verdict(font_bytes(font), to_unicode(digit_ids(font)))
    assert wrong and "digit 3" in wrong[0] and "fonts/" in wrong[1]


def test_verdicts_are_kept_per_digit_and_a_wrong_digit_is_still_found(monkeypatch):
    """A batch's variants draw other few digits of one font (a district's number): a
    digit judged once is not judged again, and a copy that draws one digit wrong is
    refused though the font's name and its other digits were judged right before."""
    from pipeline.preflight import fonts

    monkeypatch.setattr(fonts, "_JUDGED", {})
    judged = []
    judgements = fonts._judgements
    monkeypatch.setattr(fonts, "_judgements", lambda *args: judged.append(1) or judgements(*args))
    program, ids = REGULAR.read_bytes(), digit_ids(TTFont(REGULAR))
    by_digit = {d: cid for cid, d in ids.items()}
    some = lambda digits: to_unicode({by_digit[d]: d for d in digits})  # noqa: E731
    assert _verdict(program, some("0123")) is None
    assert _verdict(program, some("4567")) is None
    assert _verdict(program, some("0257")) is None  # each digit judged before
    assert len(judged) == 2
    font = TTFont(REGULAR)
    font["glyf"]["three"], font["glyf"]["five"] = font["glyf"]["five"], font["glyf"]["three"]
    wrong = _verdict(font_bytes(font), some("0125"))
    assert wrong and "digit 5" in wrong[0]


def test_a_font_not_in_fonts_is_refused():
    font = TTFont(REGULAR)
    for record in font["name"].names:
        if record.nameID == 6:
            record.string = "SomeoneElses-Regular"
    wrong = _verdict(font_bytes(font), to_unicode(digit_ids(font)))
    assert wrong and "is not one of the project's fonts" in wrong[0]
    assert "AtkinsonHyperlegible-Regular" in shipped()


def test_a_layouts_font_is_not_used(tmp_path):
    """A designer's @font-face from layouts/ (a modified copy of the brand font) is
    refused by the renderer; the fallback it gets is no project font: the PDF is rejected."""
    folder = tmp_path / "layouts"
    shutil.copytree(LAYOUTS, folder)
    for name, target in NEIGHBOURS.items():
        (tmp_path / name).symlink_to(target)
    font = TTFont(REGULAR)
    font["glyf"]["three"], font["glyf"]["five"] = font["glyf"]["five"], font["glyf"]["three"]
    (folder / "Helpline.ttf").write_bytes(font_bytes(font))
    with (folder / "base.css").open("a") as css:
        css.write('\n@font-face { font-family: "Helpline"; src: url("Helpline.ttf"); }\n'
                  '.phone { font-family: "Helpline" !important; }\n')
    out = tmp_path / "out"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--layouts", str(folder), "--only", "wallet-card",
                 "--profile", "press", "--district", "none", "--partner", "none", "--language", "none",
                 "--jobs", "1"]) == 1
    report = json.loads((out / "no-matter-how-small" / "preflight.json").read_text())
    assert any(p["check"] == "fonts" and p["level"] == "error" for p in report["problems"]), report["problems"]
    assert not (out / "no-matter-how-small" / "wallet-card.pdf").exists()


@pytest.mark.parametrize("uri", ["data:font/ttf;base64,AAEAAA==", "data:application/octet-stream;base64,AAEAAA=="])
def test_a_font_in_a_data_uri_is_refused(uri):
    from weasyprint.urls import URLFetchingError

    from pipeline.render import ProjectFetcher

    with pytest.raises(URLFetchingError, match="only images and CSS"):
        ProjectFetcher(LAYOUTS).fetch(uri)
