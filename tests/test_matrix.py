"""The product matrix (issue 24): where a product is made, from layouts/products.yaml
(profiles, made_for, copies, safe_mm per product or size) and the campaign's orders."""
from __future__ import annotations

import csv

import pikepdf
import pytest

from pipeline.cli import main
from pipeline.content import load_campaigns
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles

from .conftest import DEFAULT_CAMPAIGN, campaign_copy
from .test_preflight import layouts_copy

A1_ORDER = "orders:\n  - {product: poster, sizes: [A1], districts: [York, Harrogate], copies: 10}\n\nvariants:\n"
MM = 72 / 25.4


def ordering(tmp_path, text: str, order: str = A1_ORDER, six_sheet: bool = False):
    """The default campaign with an order (and the 6-sheet in its products)."""
    assert "\nvariants:\n" in text
    text = text.replace("\nvariants:\n", "\n" + order, 1)
    if six_sheet:
        assert "products: [poster, " in text
        text = text.replace("products: [poster, ", "products: [poster, six-sheet, ", 1)
    return campaign_copy(tmp_path, text)


def jobs_of(campaign, profiles=None, layouts=None, **filters):
    selection = select_profiles(load_profiles(), profiles)
    return plan(load_campaigns([campaign]), load_layouts(*([layouts] if layouts else [])), selection, **filters)


def test_default_campaign_makes_no_a1_and_no_6_sheet():
    jobs = jobs_of(DEFAULT_CAMPAIGN)
    assert not [j.output for j in jobs if j.size == "A1" or j.product == "six-sheet"]
    assert {j.profile.name for j in jobs if j.product != "social"} == {"press", "screen"}
    assert {j.profile.name for j in jobs if j.product == "social"} == {"social"}  # images: their own profile
    # Posters: A4, A3 and A2, county-wide, in each district and in each language, as before.
    assert {(j.folder, j.size) for j in jobs if j.product == "poster"} == {
        (folder, size) for folder in ["", *(f"languages/{code}/" for code in ("ur", "pl", "ro", "ar"))]
        + [f"districts/{d}/" for d in (
            "craven", "hambleton", "harrogate", "richmondshire", "ryedale", "scarborough", "selby", "york")]
        for size in ("A4", "A3", "A2")}


def test_an_a1_ordered_for_two_districts_is_made_there_only(tmp_path, campaign_text):
    jobs = jobs_of(ordering(tmp_path, campaign_text))
    a1 = sorted(j.output for j in jobs if j.size == "A1")
    assert a1 == ["districts/harrogate/poster-a1-screen.pdf", "districts/harrogate/poster-a1.pdf",
                  "districts/york/poster-a1-screen.pdf", "districts/york/poster-a1.pdf"]
    # The districts' other posters keep their copies from the campaign.
    assert {(j.district.name, j.size): j.copies for j in jobs if j.district and j.product == "poster"
            and j.profile.name == "press" and j.district.name in ("York", "Selby")} == {
        ("York", "A4"): 40, ("York", "A3"): 40, ("York", "A2"): 40, ("York", "A1"): 10,
        ("Selby", "A4"): 20, ("Selby", "A3"): 20, ("Selby", "A2"): 20}
    assert len(jobs) == len(jobs_of(DEFAULT_CAMPAIGN)) + 4


def test_an_a1_ordered_for_two_districts_builds_those_pdfs_and_print_order_rows(tmp_path, campaign_text):
    out = tmp_path / "out"
    campaign = ordering(tmp_path, campaign_text)
    assert main(["build", str(campaign), "--out", str(out), "--only", "poster", "--profile", "press",
                 "--partner", "none", "--language", "none"]) == 0
    folder = out / "no-matter-how-small"
    a1 = sorted(str(p.relative_to(folder)) for p in folder.rglob("*-a1*.pdf"))
    assert a1 == ["districts/harrogate/poster-a1.pdf", "districts/york/poster-a1.pdf"]
    with open(folder / "print-order.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["size"] == "A1"]
    assert [(r["district"], r["product"], r["copies"], r["path"]) for r in rows] == [
        ("Harrogate", "poster", "10", "districts/harrogate/poster-a1.pdf"),
        ("York", "poster", "10", "districts/york/poster-a1.pdf")]
    for path in a1:
        with pikepdf.open(folder / path) as pdf:
            x0, y0, x1, y1 = (float(v) for v in pdf.pages[0].TrimBox)
        assert (round((x1 - x0) / MM), round((y1 - y0) / MM)) == (594, 841)


@pytest.mark.parametrize("selection, made", [
    (None, ["six-sheet-large-format.pdf"]),  # a plain build
    (["press"], []),
    (["screen"], []),
    (["press", "screen"], []),
    (["press-x1a-marks"], []),
    (["large-format"], ["six-sheet-large-format.pdf"]),
    (["press", "large-format", "screen"], ["six-sheet-large-format.pdf"]),
])
def test_a_6_sheet_is_made_in_large_format_only_whatever_the_selection(tmp_path, campaign_text, selection, made):
    jobs = jobs_of(ordering(tmp_path, campaign_text, order="\nvariants:\n", six_sheet=True), selection)
    assert [j.output for j in jobs if j.product == "six-sheet"] == made
    # Other products are made as the selection says, as before.
    posters = {j.profile.name for j in jobs if j.product == "poster"}
    assert posters == ({"press", "screen"} if selection is None else set(selection))


def test_visible_area_is_the_sizes_then_the_products_then_the_profiles(tmp_path, campaign_text):
    layouts = layouts_copy(tmp_path, {"products.yaml": ("min_qr_module_mm: 1.25, made_for: []}",
                                                        "min_qr_module_mm: 1.25, made_for: [], safe_mm: 12}")})
    campaign = ordering(tmp_path, campaign_text, six_sheet=True)
    safe = {(j.product, j.size, j.profile.name): j.safe_mm
            for j in jobs_of(campaign, ["press", "large-format"], layouts, districts=["none", "york"])}
    assert safe[("six-sheet", "6-sheet", "large-format")] == 30  # the product's
    assert safe[("poster", "A1", "press")] == 12  # the size's
    assert safe[("poster", "A3", "press")] == 5 and safe[("poster", "A3", "large-format")] == 10  # the profile's
    assert safe[("wallet-card", "card", "press")] == 3.5


def test_copies_per_axis_from_products_yaml_where_the_campaign_gives_none(tmp_path):
    layouts = layouts_copy(tmp_path, {"products.yaml": ("  code: p\n", "  code: p\n  copies: {county: 5, districts: 7}\n")})
    jobs = jobs_of(DEFAULT_CAMPAIGN, ["press"], layouts, partners=["none"], languages=["none"])
    copies = {(j.district.name if j.district else None, j.size): j.copies for j in jobs if j.product == "poster"}
    assert copies[(None, "A3")] == 5  # county-wide: the campaign gives none
    assert copies[("York", "A3")] == 40 and copies[("Selby", "A2")] == 20  # the campaign's win


@pytest.mark.parametrize("order, field, words", [
    ("{product: poster, sizes: [A1], districts: [York, Harogate]}", "orders[0].districts[1]", "unknown district 'Harogate'"),
    ("{product: poster, sizes: [A0]}", "orders[0].sizes[0]", "poster has no size 'A0'"),
    ("{product: postre, sizes: [A1]}", "orders[0].product", "unknown product 'postre'"),
])
def test_a_wrong_order_names_file_line_and_field(tmp_path, campaign_text, capsys, order, field, words):
    campaign = ordering(tmp_path, campaign_text, order=f"orders:\n  - {order}\n\nvariants:\n")
    line = campaign.read_text().splitlines().index(f"  - {order}") + 1
    assert main(["check", str(campaign)]) == 1
    err = capsys.readouterr().err
    assert f"{campaign}:{line} {field}: {words}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("old, new, field, words", [
    ("profiles: [large-format]", "profiles: [large-formt]", "six-sheet.profiles", "unknown profile 'large-formt'"),
    ("made_for: []}", "made_for: [district]}", "poster.sizes.A1.made_for[0]", "'districts'"),
])
def test_a_wrong_matrix_in_products_yaml_names_file_line_and_field(tmp_path, capsys, old, new, field, words):
    layouts = layouts_copy(tmp_path, {"products.yaml": (old, new)})
    line = (layouts / "products.yaml").read_text().splitlines().index(
        next(t for t in (layouts / "products.yaml").read_text().splitlines() if new in t)) + 1
    assert main(["check", str(DEFAULT_CAMPAIGN), "--layouts", str(layouts)]) == 1
    err = capsys.readouterr().err
    assert f"{layouts / 'products.yaml'}:{line} {field}: " in err and words in err
    assert "Traceback" not in err


def test_an_ordered_product_is_held_to_what_it_needs_from_the_content(tmp_path, capsys):
    """Ordering a discreet card is no way round its checks: the campaign must say
    which words would reveal its subject (as when `products:` lists it)."""
    from .conftest import ROOT

    campaign = tmp_path / "talk-to-us.yaml"
    campaign.write_text((ROOT / "content" / "examples" / "minimal.yaml").read_text()
                        + "orders:\n  - {product: wallet-card-discreet, sizes: [card]}\n")
    line = len(campaign.read_text().splitlines())
    assert main(["check", str(campaign)]) == 1
    err = capsys.readouterr().err
    assert f"{campaign}:{line} orders[0].product: wallet-card-discreet must not say what the campaign is about" in err
