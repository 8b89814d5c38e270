"""Urdu typography (issue 14): Nastaliq lines that do not touch, the DL folded right to
left, English runs isolated in right-to-left text, an Urdu A5 that fits. Every Urdu
product builds with no preflight error."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.content import load_campaigns
from pipeline.plan import Job, load_layouts, load_profiles
from pipeline.preflight import touching_lines
from pipeline.render import Placed

from .conftest import DEFAULT_CAMPAIGN
from .test_preflight import layouts_copy

URDU = ["--language", "ur", "--district", "none", "--partner", "none"]


def preflight_urdu(tmp_path: Path, *args, layouts: Path | None = None) -> tuple[int, dict]:
    out = tmp_path / "out"
    argv = ["preflight", str(DEFAULT_CAMPAIGN), "--out", str(out), *URDU, *args]
    if layouts:
        argv += ["--layouts", str(layouts)]
    code = main(argv)
    return code, json.loads((out / "no-matter-how-small" / "preflight.json").read_text())


def errors(report: dict, check: str | None = None) -> list[dict]:
    return [p for p in report["problems"] if p["level"] == "error" and (check is None or p.get("check") == check)]


def jobs(language: str | None, product: str) -> list[Job]:
    base = load_campaigns([DEFAULT_CAMPAIGN])
    sources = [s for s in base if s.language == language]
    layouts, press = load_layouts(), load_profiles()["press"]
    return [Job(source=sources[0], layouts=layouts, product=product, size=size, profile=press)
            for size in layouts.products[product].sizes]


# ---------------------------------------------------------------- touching lines

def line(y: float, glyphs: list[tuple[float, float, float]], element="p", size=12.0) -> Placed:
    """A line of text at y (its line box 5 mm tall) with glyph ink (x, top, bottom)."""
    return Placed(1, "text", (10, y, 80, 5), element, text="x", font_size_pt=size,
                  ink=tuple((x, top, 2, bottom - top) for x, top, bottom in glyphs))


def test_ink_that_reaches_into_the_line_below_touches_only_over_other_ink():
    upper = line(10, [(20, 9, 17.5), (40, 10, 14)])  # a descender at x 20-22 down to 17.5
    under_it = line(15, [(21, 17, 20)])  # an ascender under it from 17: 0.5 mm in
    beside_it = line(15, [(30, 14, 20)])  # tall, but under nothing of the line above
    assert [(a, b, round(d, 2)) for a, b, d in touching_lines([upper, under_it])] == [(upper, under_it, 0.5)]
    assert touching_lines([upper, beside_it]) == []
    # Runs of one line do not touch each other; other elements are other checks' matter.
    assert touching_lines([upper, line(10, [(20, 9, 17.5)])]) == []
    assert touching_lines([upper, line(15, [(21, 17, 20)], element="h2")]) == []


def test_over_tight_nastaliq_line_height_is_an_error(tmp_path):
    code, report = preflight_urdu(tmp_path / "real", "--only", "leaflet-dl", "--profile", "press")
    assert errors(report, "touching-lines") == [], report["problems"]
    layouts = layouts_copy(tmp_path, {"base.css": ('html[dir="rtl"] { line-height: 1.8; }',
                                                   'html[dir="rtl"] { line-height: 1.3; }')})
    code, report = preflight_urdu(tmp_path / "tight", "--only", "leaflet-dl", "--profile", "press", layouts=layouts)
    assert code == 1
    touching = errors(report, "touching-lines")
    assert touching, report["problems"]
    assert all(p["file"].startswith("languages/ur/leaflet-dl") and p["page"] in (1, 2) for p in touching)
    assert any("div.flow" in p["field"] for p in touching)
    assert all("line-height" in p["hint"] for p in touching)


# ---------------------------------------------------------------- English runs

def test_english_names_in_urdu_text_are_isolated_left_to_right():
    from pipeline.layouts import render_html

    urdu = render_html(jobs("ur", "leaflet-dl")[0])
    for name in ("National Stalking Helpline", "Supporting Victims North Yorkshire",
                 "Protection Against Stalking", "Suzy Lamplugh Trust"):
        assert f'<bdi dir="ltr">{name}</bdi>' in urdu, name
    # Right to left, the other organisations are listed one a line: no Urdu comma or full
    # stop between two English names for bidi to move (',Yorkshire').
    for name in ("Supporting Victims North Yorkshire", "Protection Against Stalking"):
        assert f'<li><bdi dir="ltr">{name}</bdi></li>' in urdu, name
    english = render_html(jobs(None, "leaflet-dl")[0])
    assert "<bdi" not in english  # English output unchanged


# ---------------------------------------------------------------- the DL, right to left

def test_urdu_dl_folds_the_other_way():
    from pipeline.proof import guides
    from pipeline.fit import fitted as render

    english, urdu = jobs(None, "leaflet-dl")[0], jobs("ur", "leaflet-dl")[0]
    assert english.folds_mm == [[97, 197], [100, 200]]  # outside: flap | back | cover
    assert urdu.folds_mm == [[100, 200], [97, 197]]  # outside: cover | back | flap
    media = guides(urdu).trim[0]
    assert guides(urdu).folds == [[media + 100, media + 200], [media + 97, media + 197]]
    _, rendered = render(urdu)
    first = {}
    for item in rendered.layout:
        if item.kind == "text" and item.page == 1:
            panel = item.element.split(" > ")[0]
            first.setdefault(panel, item.rect)
    # The cover panel on the left of the outside, the flap on the right, the back between.
    cover, back, flap = (first[f"div.panel.{name}"] for name in ("front.cover", "back", "flap"))
    assert cover[0] + cover[2] < 100 - 5 and 100 + 5 < back[0] < 200 - 5 and flap[0] > 200 + 5


# ---------------------------------------------------------------- the A5, right to left

def test_urdu_a5_fits_with_its_sources_beside_the_figures():
    """The Urdu A5 is made (it was left out: it did not fit) and fits: two pages, no
    text over text, nothing in the margin or touching, at 12 pt or more."""
    from pipeline.fit import fitted
    from pipeline.preflight import preflight

    c = load_campaigns([DEFAULT_CAMPAIGN])[0].campaign
    assert "leaflet-a5" in c.variants.languages.products
    job = jobs("ur", "leaflet-a5")[0]
    html, rendered = fitted(job)
    problems, _ = preflight(job, html, rendered)
    assert [p.what for p in problems if p.level == "error"] == []
    assert rendered.pages == 2
    text = [i for i in rendered.layout if i.kind == "text"]
    assert min(i.font_size_pt for i in text) >= 12
    # The statistics' sources sit on the front with the figures that carry their marks;
    # the other names are one a line on the back, not a wrapped run of English.
    assert {i.page for i in text if "p.sources" in i.element} == {1}
    names = [i.text.strip() for i in text if "more-support.listed" in i.element and "bdi" in i.element]
    assert "Network for Surviving Stalking" in names and "Protection Against Stalking" in names
    # The code is 22 mm and stays at least 20 mm with modules of 0.5 mm (preflight's qr check).
    code = next(i for i in rendered.layout if i.kind == "qr")
    assert abs(code.rect[2] - 22) < 0.1


def test_every_urdu_product_passes_preflight(tmp_path):
    code, report = preflight_urdu(tmp_path, "--profile", "press", "--jobs", "2")
    assert errors(report) == [], [(p["file"], p["what"]) for p in errors(report)]
    assert code == 0
