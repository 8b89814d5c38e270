"""Balanced columns found once per content (render/columns.py, issue 26): the A5
leaflet of the next district is laid out at the height WeasyPrint's walk found for the
last, once (WeasyPrint's kept layout, no walk), and gives the bytes WeasyPrint's own
walk gives; other columns, or lines that are not as tall or as placed, are walked as
WeasyPrint walks them; the memo is bounded."""
from __future__ import annotations

import pytest
from weasyprint import HTML
from weasyprint.layout import block as wp_block
from weasyprint.text.fonts import FontConfiguration

from pipeline.content import load_campaigns
from pipeline.layouts import render_html
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles
from pipeline.render import columns, render_pdf_of

from .conftest import DEFAULT_CAMPAIGN, campaign_copy

LONGER_TIP = ("Keep messages, letters, voicemails, screenshots and gifts as evidence, "
              "with a note of when and how each arrived.")


def _leaflets(campaign, languages=("none",)) -> dict:
    jobs = plan(load_campaigns([campaign]), load_layouts(), select_profiles(load_profiles(), "press"),
                only=["leaflet-a5"], partners=["none"], languages=list(languages))
    return {job.district.name if job.district else job.language: job for job in jobs}


def _pdf(job) -> bytes:
    return render_pdf_of(job, render_html(job)).pdf


def _column_layouts(job, monkeypatch, own: bool) -> tuple[bytes, int]:
    """The job's PDF and how many times its columns were laid out; `own`: by
    WeasyPrint's walk alone."""
    laid_out = []
    block_box_layout = wp_block.block_box_layout

    def counted(context, box, *args, **kwargs):
        if getattr(box, "is_column", False):
            laid_out.append(box)
        return block_box_layout(context, box, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(wp_block, "block_box_layout", counted)
        if own:
            patch.setattr(wp_block, "columns_layout", columns.original_columns_layout)
        pdf = _pdf(job)
    return pdf, len(laid_out)


@pytest.fixture(autouse=True)
def empty_memo():
    columns.clear()
    yield
    columns.clear()


def test_weasyprint_70s_walk_is_hooked():
    assert columns.hooked_columns_layout is not None
    assert wp_block.columns_layout is columns.hooked_columns_layout


def test_another_weasyprint_keeps_its_own_walk(monkeypatch):
    monkeypatch.setattr(columns, "_SOURCE_SHA256", "0" * 64)
    assert columns._hooked() is None


def test_the_next_district_is_laid_out_once_at_the_height_found(monkeypatch):
    leaflets = _leaflets(DEFAULT_CAMPAIGN)
    _pdf(leaflets["Craven"])
    assert columns.stats == {"hits": 0, "misses": 1, "walks": 0}
    assert len(columns._memo) == 1

    remembered, laid_out = _column_layouts(leaflets["Hambleton"], monkeypatch, own=False)
    assert columns.stats == {"hits": 1, "misses": 1, "walks": 0}
    own, walked = _column_layouts(leaflets["Hambleton"], monkeypatch, own=True)
    assert remembered == own
    # the walk's layouts skipped (the first at full height, the steps up to the end): its
    # two columns laid out once, where WeasyPrint keeps them, not confirmed first elsewhere
    assert laid_out == 2 < walked


def test_lines_not_as_tall_walk_again_with_weasyprints_bytes(tmp_path, campaign_text):
    # A tip's words run to more lines: the same boxes and styles, not the same
    # layout at the remembered height.
    tip = "Keep messages, letters and gifts as evidence."
    assert tip in campaign_text
    longer = campaign_text.replace(tip, LONGER_TIP, 1)
    leaflets = {"Craven": _leaflets(DEFAULT_CAMPAIGN)["Craven"],
                LONGER_TIP: _leaflets(campaign_copy(tmp_path, longer))["Craven"]}
    _pdf(leaflets["Craven"])
    long = leaflets[LONGER_TIP]
    remembered = _pdf(long)
    assert columns.stats == {"hits": 1, "misses": 1, "walks": 1}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(wp_block, "columns_layout", columns.original_columns_layout)
        assert remembered == _pdf(long)
    # the walk's end is learnt: the same leaflet again is laid out once
    assert _pdf(long) == remembered
    assert columns.stats == {"hits": 2, "misses": 1, "walks": 1}


def test_other_columns_miss_and_the_memo_is_bounded(monkeypatch):
    craven = _leaflets(DEFAULT_CAMPAIGN)["Craven"]
    polish = _leaflets(DEFAULT_CAMPAIGN, languages=["pl"])["pl"]  # other words, other lines
    monkeypatch.setattr(columns, "MEMO_SIZE", 1)

    _pdf(craven)
    ours = _pdf(polish)
    assert columns.stats == {"hits": 0, "misses": 2, "walks": 0}
    assert len(columns._memo) == 1
    _pdf(craven)  # forgotten for the Polish columns: walked again
    assert columns.stats == {"hits": 0, "misses": 3, "walks": 0}
    assert len(columns._memo) == 1
    with monkeypatch.context() as patch:
        patch.setattr(wp_block, "columns_layout", columns.original_columns_layout)
        assert _pdf(polish) == ours


_CSS = ("@page { size: A5; margin: 10mm } .c { columns: 2; column-gap: 5mm; font-size: 11pt }"
        " li, h2 { break-inside: avoid } .abs { position: absolute; top: 0; right: 0 }"
        " .fl { float: right; width: 20mm } img { width: 20mm; height: 10mm; display: block }")
_INSIDE = {
    "text only": "",
    "a box out of the flow": "<p>text <span class=abs>abs</span> more</p>",
    "a float": "<p><span class=fl>float</span> text beside a float that goes on for a while to wrap round it</p>",
    "an image": "<img src='data:image/svg+xml,<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"10\"/>'>",
    "an inline block": "<p>a <span style='display: inline-block; width: 10mm; height: 8mm'>ib</span> b</p>",
    "a flex box": "<div style='display: flex'><span>one</span><span>two</span></div>",
    "a table sized by its words": "<table><tr><td>a</td><td>{name}</td></tr></table>",
}


@pytest.mark.parametrize("inside", sorted(_INSIDE))
def test_columns_of_any_content_give_weasyprints_bytes(inside):
    """Three variants, the last with a name long enough to run to more lines: each
    gives the bytes of WeasyPrint's own walk, remembered, confirmed or walked again."""
    fonts = FontConfiguration()  # one per worker in the pipeline: a memo's fingerprint names it
    items = "".join(f"<li>Item {i} for {{name}} with some words to wrap over the line</li>" for i in range(9))
    page = (f"<html><head><style>{_CSS}</style></head><body><h1>Title</h1><div class=c><h2>Tips</h2>"
            f"<ul>{items}</ul>{_INSIDE[inside]}<p>In {{name}}? Call 101 to report it. Some more words to"
            " make the paragraph a little longer.</p></div></body></html>")
    for name in ("Craven", "Selby", "Upper and Lower Wharfedale and Washburn"):
        html = page.replace("{name}", name)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(wp_block, "columns_layout", columns.original_columns_layout)
            own = HTML(string=html).write_pdf(font_config=fonts)
        assert HTML(string=html).write_pdf(font_config=fonts) == own, name
    if inside == "a float":
        assert columns.stats["hits"] == 0  # a float's width shapes the lines: never remembered
    elif inside == "a table sized by its words":
        assert columns.stats["hits"] == 2 and columns.stats["walks"] == 2
    else:
        assert columns.stats == {"hits": 2, "misses": 1, "walks": 1}  # Selby as Craven; the long name not
