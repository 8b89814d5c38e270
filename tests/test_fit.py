"""Layouts that fit the content: no large empty block on a page (preflight `empty`),
no headline ending on a single word, for the default campaign and the examples."""
from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from pipeline.cli import main
from pipeline.content import load_campaigns
from pipeline.fit import balance, fitted
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles
from pipeline.preflight import Subject, check_empty, check_lost_text, emptiest_page, empty_blocks, largest_empty_block
from pipeline.render import Placed

from .conftest import DEFAULT_CAMPAIGN, ROOT
from .test_preflight import errors, layouts_copy, run_preflight

EXAMPLES = ROOT / "content" / "examples"


def county_wide(campaign: Path, product: str, layouts=None):
    """The campaign's county-wide screen jobs of one product, rendered as a build
    renders them (copyfitted): (job, html, rendered)."""
    jobs = plan(load_campaigns([campaign]), load_layouts(*([layouts] if layouts else [])),
                select_profiles(load_profiles(), "screen"))
    for job in jobs:
        if job.product == product and not (job.district or job.partner or job.source.language):
            yield job, *fitted(job)


def fill_step(html: str) -> int:
    body = re.search(r'<body class="([^"]*)"', html).group(1).split()
    return max([int(name[4:]) for name in body if name.startswith("fit-")], default=0)


def empty_pages(campaign, product, pages):
    return [p.what for job, html, rendered in county_wide(campaign, product)
            for p in check_empty(Subject(job, html, rendered)) if p.page in pages]


def test_largest_empty_block_finds_the_hole():
    text = lambda x, y, w, h: Placed(1, "text", (x, y, w, h), "p")  # noqa: E731
    area = (0, 0, 100, 100)
    assert largest_empty_block([text(0, 0, 100, 100)], area)[2:] == (0, 0)
    x, y, w, h = largest_empty_block([text(0, 0, 100, 20), text(0, 70, 100, 30)], area)
    assert w == pytest.approx(100, abs=2) and h == pytest.approx(50, abs=2) and y == pytest.approx(20, abs=2)
    # Text pushed off the page, left or right of the area, takes none of it.
    off = [text(-300, 0, 100, 100), text(250, 0, 100, 100), text(0, 0, 100, 20)]
    assert largest_empty_block(off, area)[2:] == pytest.approx((100, 80), abs=2)


def test_an_emptied_stat_poster_is_reported_with_its_block(tmp_path):
    """A short figure set small again leaves the hole under it."""
    layouts = layouts_copy(tmp_path, {"stat-poster.css": (".short .big-figure { font-size: 19rem; }",
                                                          ".short .big-figure { font-size: 5rem; }")})
    code, report = run_preflight(tmp_path, "--only", "stat-poster", "--profile", "screen", layouts=layouts)
    assert code == 0  # a warning: the poster still prints
    empty = [p for p in report["problems"] if p["check"] == "empty"]
    assert {p["file"] for p in empty} == {f"stat-poster-{size}-{figure}-screen.pdf"
                                          for size in ("a4", "a3") for figure in ("96", "55", "94")}
    for p in empty:
        assert p["level"] == "warning" and p["page"] == 1 and "a stat-poster allows 18%" in p["what"]
        x, y, w, h = p["box_mm"]
        assert w > 100 and h > 30
    assert not errors(report, "empty")


def test_default_campaign_fills_its_pages():
    """Key-statistic posters, the A5 (back) and the DL (inside) of the default campaign."""
    assert empty_pages(DEFAULT_CAMPAIGN, "stat-poster", {1}) == []
    assert empty_pages(DEFAULT_CAMPAIGN, "leaflet-a5", {1, 2}) == []
    assert empty_pages(DEFAULT_CAMPAIGN, "leaflet-dl", {1, 2}) == []


@pytest.mark.parametrize("campaign, product, page", [("phone-scams.yaml", "leaflet-a5", 2),
                                                     ("domestic-abuse-disclosure.yaml", "leaflet-dl", 2),
                                                     ("minimal.yaml", "poster", 1),
                                                     ("domestic-abuse-disclosure.yaml", "poster", 1)])
def test_example_campaigns_fill_their_pages(campaign, product, page):
    """Short content climbs the fill steps until the page is full."""
    assert empty_pages(EXAMPLES / campaign, product, {page}) == []


def test_short_content_is_set_larger_and_full_content_as_designed():
    (job, html, rendered), = county_wide(EXAMPLES / "phone-scams.yaml", "leaflet-a5")
    step = fill_step(html)
    assert step >= 1
    tips = [p.font_size_pt for p in rendered.layout if p.page == 2 and "ul.bullets > li" in p.element]
    assert tips and min(tips) > 13  # the design's 13 pt, set larger
    assert emptiest_page(job, rendered) <= job.spec.max_empty_share
    assert not [p for p in check_lost_text(Subject(job, html, rendered)) if p.level == "error"]
    for product in ("leaflet-a5", "leaflet-dl"):
        (_, html, _), = county_wide(DEFAULT_CAMPAIGN, product)
        assert fill_step(html) == 0, f"the default campaign's {product} is full as designed"


def test_a_step_the_content_does_not_fit_is_not_taken(tmp_path):
    """A fill step that pushes text into the foot or off the page is refused: the
    content keeps the last step that fitted (here: the design itself)."""
    layouts = layouts_copy(tmp_path, {"leaflet-a5.css": (".fit-1 .back .columns { font-size: 14pt; }",
                                                         ".fit-1 .back .columns { font-size: 40pt; }")})
    (job, html, rendered), = county_wide(EXAMPLES / "phone-scams.yaml", "leaflet-a5", layouts)
    assert fill_step(html) == 0
    assert not [p for p in check_lost_text(Subject(job, html, rendered)) if p.level == "error"]


def last_lines(rendered, classes=("strapline", "h2")):
    """The last line of each headline on each page: (element, words)."""
    lines: dict[tuple[int, str], list[Placed]] = {}
    for item in rendered.layout:
        if item.kind == "text" and any(c in item.element for c in classes):
            lines.setdefault((item.page, item.element), []).append(item)
    for (_, element), items in lines.items():
        rows: dict[float, list[str]] = {}
        for item in items:
            rows.setdefault(round(item.rect[1], 1), []).append(item.text)
        if len(rows) > 1:
            yield element, " ".join(rows[max(rows)]).split()


@pytest.mark.parametrize("campaign, products", [
    (DEFAULT_CAMPAIGN, ["poster", "stat-poster", "leaflet-a5", "leaflet-dl", "wallet-card"]),
    (EXAMPLES / "phone-scams.yaml", ["poster", "leaflet-a5"]),
    (EXAMPLES / "domestic-abuse-disclosure.yaml", ["poster", "leaflet-dl"]),
    (EXAMPLES / "minimal.yaml", ["poster"]),
])
def test_no_headline_ends_on_a_single_word(campaign, products):
    widows = [(job.output, element, words) for product in products
              for job, _, rendered in county_wide(campaign, product)
              for element, words in last_lines(rendered) if len(words) == 1]
    assert not widows


def test_a_headline_left_with_a_lone_word_is_balanced(tmp_path):
    """Greedy breaking set the disclosure cover as 'Worried about / your / partner's
    past?' (at 27 pt: the design's 26 pt fits 'Worried about your' on a line);
    balanced, no line after the first is a single word, in as many lines."""
    assert balance(["Worried about", "your", "partner's\xa0past?"], [63, 19, 68]) == (
        "Worried", "about your", "partner's past?")
    assert balance(["You have the right", "to\xa0ask."], [83, 30]) is None  # no lone word: as it is
    layouts = layouts_copy(tmp_path, {"leaflet-dl.css": (".cover .strapline { font-size: 26pt; }",
                                                         ".cover .strapline { font-size: 27pt; }")})
    (job, html, rendered), = county_wide(EXAMPLES / "domestic-abuse-disclosure.yaml", "leaflet-dl", layouts)
    lead = [p for p in rendered.layout if p.page == 1 and p.element.endswith("span.lead")]
    assert [" ".join(p.text.split()) for p in lead] == ["Worried", "about your", "partner's past?"]
    assert "Worried<br>about your<br>partner" in html


@pytest.mark.parametrize("example", ["minimal", "domestic-abuse-disclosure"])
def test_posters_without_statistics_leave_no_white_field(tmp_path, example):
    """Without statistics the band takes their room: no run of blank paper across the page."""
    out = tmp_path / "out"
    assert main(["build", str(EXAMPLES / f"{example}.yaml"), "--out", str(out),
                 "--only", "poster", "--profile", "screen", "--jobs", "2"]) == 0
    for pdf in sorted((out / example).glob("poster-*-screen.pdf")):
        page = pdfium.PdfDocument(str(pdf))[0].render(scale=20 / 72).to_pil().convert("L")
        white_rows = longest = 0
        for y in range(page.height):
            row = page.crop((0, y, page.width, y + 1))
            white_rows = white_rows + 1 if row.getextrema()[0] > 245 else 0
            longest = max(longest, white_rows)
        assert longest < 0.06 * page.height, f"{pdf.name}: {longest / page.height:.0%} of the height is blank paper"


SHORT_A5 = """\
name: Lock it or lose it
brand: north-yorkshire-police
products: [leaflet-a5]
strapline:
  lead: Thieves try the door first.
  call: Lock it every time.
intro: >-
  Most burglaries in rural areas happen through an unlocked door or window.
  A few simple habits keep your home and sheds safe.
tips:
  - Lock doors and windows, even when you are at home.
  - Mark tools and bikes with your postcode.
  - Ask a neighbour to watch your home when you are away.
report:
  non_emergency: "101"
  emergency: "999"
support:
  - name: Non-emergency line
    phone: "101"
  - name: Crimestoppers
    phone: 0800 555 111
    note: Tell them what you know, anonymously.
qr:
  url: https://www.northyorkshire.police.uk/
  label: northyorkshire.police.uk
  allowed_hosts: [www.northyorkshire.police.uk]
"""


def test_a_short_campaigns_a5_front_is_not_left_empty(tmp_path):
    """No statistics, definition or signs: the tips take the front (its body was half
    empty) and grow with the fill steps, and are not printed again on the back."""
    campaign = tmp_path / "short.yaml"
    campaign.write_text(SHORT_A5)
    (job, html, rendered), = county_wide(campaign, "leaflet-a5")
    (front, _), back = empty_blocks(job, rendered)
    assert front <= job.spec.max_empty_share
    assert not [p for p in check_lost_text(Subject(job, html, rendered)) if p.level == "error"]
    text = {page: " ".join(" ".join(p.text for p in rendered.layout if p.page == page and p.kind == "text").split())
            for page in (1, 2)}
    for tip in ("Mark tools and bikes with your postcode.", "Lock doors and windows, even when you are at home."):
        assert html.count(tip) == 1 and tip in text[1] and tip not in text[2]
    assert "Tell them what you know, anonymously." in text[2]  # the back has room for the services' notes
