"""District variants laid out from their product's kept cascade (render/cascade.py) come
out as WeasyPrint's whole render makes them: same bytes, same problems, their own texts
and links; a change the cascade cannot place exactly is rendered whole."""
from __future__ import annotations

import io
import logging

import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from weasyprint import CSS
from weasyprint.text.fonts import FontConfiguration

from pipeline.build import make
from pipeline.layouts import render_html
from pipeline.content import load_campaigns
from pipeline.paths import LAYOUTS
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles
from pipeline.render import ProjectFetcher, cascade, render_pdf_of

from .conftest import campaign_copy

pytestmark = pytest.mark.skipif(not cascade.SUPPORTED, reason="the kept cascade is for WeasyPrint 70")


@pytest.fixture(autouse=True)
def no_kept_shapes():
    cascade._shapes.clear()
    yield
    cascade._shapes.clear()


@pytest.mark.parametrize("profile", ["press", "screen"])
def test_district_variants_from_a_kept_cascade_are_what_a_whole_render_makes(profile, tmp_path, campaign_text,
                                                                              monkeypatch):
    # Each district its own line (a text that differs), and its own QR code and link targets.
    for name in ("Craven", "Hambleton", "Harrogate"):
        campaign_text = campaign_text.replace(f"- name: {name}\n", f"- name: {name}\n        line: Officers in {name} "
                                              "are here to listen.\n", 1)
    jobs = [j for j in plan(load_campaigns([campaign_copy(tmp_path, campaign_text)]), load_layouts(),
                            select_profiles(load_profiles(), profile), partners=["none"], languages=["none"],
                            districts=["craven", "hambleton", "harrogate"])
            if (j.product, j.size) in {("poster", "A3"), ("leaflet-a5", "A5")}]
    assert len({j.district.name for j in jobs}) == 3

    def made(job):
        m = make(job)
        return m.pdf, [(p.level, p.file, p.message) for p in m.problems]

    kept = [made(job) for job in jobs]
    assert any(shape.reused for shape in cascade._shapes.values()), "no variant was laid out from a kept cascade"
    monkeypatch.setattr(cascade, "SUPPORTED", False)
    whole = [made(job) for job in jobs]
    assert kept == whole
    # Each district's HTML as designed (no copyfitting) after the first of its product
    # comes from the kept cascade.
    monkeypatch.setattr(cascade, "SUPPORTED", True)
    cascade._shapes.clear()
    for job in jobs:
        render_pdf_of(job, render_html(job))
    assert sorted(shape.reused for shape in cascade._shapes.values()) == [2, 2]
    for job, (pdf, _) in zip(jobs, kept):
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert f"Officers in {job.district.name} are here to listen." in " ".join(text.split())


def _render(html: str, sheet: CSS, fonts: FontConfiguration):
    folder = str(LAYOUTS) + "/"
    document = cascade.render(html, folder, ProjectFetcher(LAYOUTS), [sheet], fonts, {}, None)
    pdf = document.write_pdf()
    texts = [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        links = [str(annot.A.URI) for page in opened.pages for annot in page.get("/Annots", [])
                 if "/A" in annot and "/URI" in annot.A]
    return texts, links


def _page(line: str, href: str, extra: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>'
            f'<h1>Same headline</h1><p class="line">{line}</p>{extra}'
            f'<p><a href="{href}">the page</a></p></body></html>')


def test_a_variants_text_and_link_target_replace_the_kept_ones():
    sheet, fonts = CSS(string="@page { size: A6 } .line { color: red }"), FontConfiguration()
    assert _render(_page("In Craven? Call 101.", "https://example.org/a?c=1"), sheet, fonts) == (
        ["Same headline In Craven? Call 101. the page"], ["https://example.org/a?c=1"])
    texts, links = _render(_page("In Richmondshire &amp; Ryedale? Call 101.", "https://example.org/a?c=2&amp;x=1"),
                           sheet, fonts)
    assert [shape.reused for shape in cascade._shapes.values()] == [1]
    assert texts == ["Same headline In Richmondshire & Ryedale? Call 101. the page"]
    assert links == ["https://example.org/a?c=2&x=1"]


@pytest.mark.parametrize("first, second", [
    # the old text stands twice: which node is which cannot be told
    (_page("Twice", "https://example.org/", "<p>Twice</p>"), _page("Once", "https://example.org/", "<p>Twice</p>")),
    # an empty paragraph (CSS's :empty) is another shape
    (_page("", "https://example.org/"), _page("Now said", "https://example.org/")),
    (_page("Was said", "https://example.org/"), _page("", "https://example.org/")),
    # a changed class is another shape
    (_page("A", "https://example.org/"), _page("A", "https://example.org/").replace('class="line"', 'class="big"')),
])
def test_a_change_the_kept_cascade_cannot_place_exactly_is_rendered_whole(first, second):
    sheet, fonts = CSS(string="@page { size: A6 } p:empty { display: none } .big { font-size: 30pt }"), FontConfiguration()
    _render(first, sheet, fonts)
    got = _render(second, sheet, fonts)
    assert all(shape.reused == 0 for shape in cascade._shapes.values())
    cascade._shapes.clear()
    assert got == _render(second, sheet, fonts)


def test_what_weasyprint_said_while_cascading_is_said_for_each_variant(caplog):
    sheet, fonts = CSS(string="@page { size: A6 }"), FontConfiguration()
    extra = '<p style="colr: red">styled</p>'
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        _render(_page("First", "https://example.org/", extra), sheet, fonts)
        first = [r.getMessage() for r in caplog.records if "colr" in r.getMessage()]
        caplog.clear()
        _render(_page("Second", "https://example.org/", extra), sheet, fonts)
        second = [r.getMessage() for r in caplog.records if "colr" in r.getMessage()]
    assert [shape.reused for shape in cascade._shapes.values()] == [1]
    assert first and second == first


def test_kept_shapes_are_bounded():
    sheet, fonts = CSS(string="@page { size: A6 }"), FontConfiguration()
    for n in range(cascade.SHAPES_KEPT + 3):
        _render(_page("Line", "https://example.org/", "<p></p>" * n), sheet, fonts)
    assert len(cascade._shapes) == cascade.SHAPES_KEPT


_WORDS = ["In", "Craven", "call", "101", "&amp;", "&lt;b&gt;", "  ", "\n", "Ryedale?", "0808 802 0300", "é", "ـعـ", "Same"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.lists(st.sampled_from(_WORDS), max_size=5), st.lists(st.sampled_from(_WORDS), max_size=5),
                          st.sampled_from(["a", "b", "a?c=1", "a?c=2&amp;d=3"])), min_size=2, max_size=4))
def test_any_sequence_of_variants_comes_out_as_whole_renders(variants):
    """Whatever texts and link targets variants of one shape have (entities, blanks, a text
    standing twice, another script), each is what WeasyPrint's whole render makes of it."""
    sheet, fonts = CSS(string="@page { size: A7 } p:empty { color: red } .line { text-align: center }"), FontConfiguration()
    cascade._shapes.clear()
    pages = [f'<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><h1>Same</h1>'
             f'<p class="line">{" ".join(line)}</p><p>{" ".join(other)}</p>'
             f'<p><a href="https://example.org/{href}">the page</a></p></body></html>'
             for line, other, href in variants]
    def pdf(page):
        return cascade.render(page, str(LAYOUTS) + "/", ProjectFetcher(LAYOUTS), [sheet], fonts, {}, None).write_pdf()

    kept = [pdf(page) for page in pages]
    whole = []
    for page in pages:
        cascade._shapes.clear()
        whole.append(pdf(page))
    assert kept == whole


def _doc(body: str) -> str:
    return f'<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>{body}</body></html>'


_BLOCK = '<div style="position: absolute; left: -20mm; top: -5mm; width: 300mm; height: 30mm; background: red"></div>'


@pytest.mark.parametrize("css, first, second", [
    # a selector reading a link's target: the values are part of the shape
    ('a[href^="tel:"] { color: red; font-size: 30pt }', _doc('<p><a href="https://e.org/">Call</a></p>'),
     _doc('<p><a href="tel:101">Call</a></p>')),
    ('a:local-link { color: red }', _doc('<p><a href="https://e.org/">here</a></p>'), _doc('<p><a href="#top">here</a></p>')),
    # the box tree's build moves body's overflow to the page (and leaves the body's visible)
    ("@page { margin: 10mm } body { overflow: hidden }", _doc(f"<p>Craven</p>{_BLOCK}"), _doc(f"<p>Ryedale</p>{_BLOCK}")),
    # the parser drops the newline after <pre>: the first <pre>'s text is what the second one's was
    ("", _doc("<pre>\n\nT</pre><pre>\nT</pre>"), _doc("<pre>\n\nT</pre><pre>\nU</pre>")),
    ("", _doc("<pre>A</pre>"), _doc("<pre>\nB</pre>")),
    ("", _doc("<textarea>A</textarea>"), _doc("<textarea>\nB</textarea>")),
    # text the parser reads otherwise than html.unescape: a NUL (dropped), a control character's number
    ("", _doc("<p>A</p>"), _doc("<p>B\x00C</p>")),
    ("", _doc("<p>A</p>"), _doc("<p>B&#1;C</p>")),
    # in an attribute, a named reference followed by a letter or '=' is left as written
    ("", _doc('<p><a href="https://e.org/?c=1">x</a></p>'), _doc('<p><a href="https://e.org/?c=2&section=b">x</a></p>')),
    # text the parser moves out of a table (foster-parenting) beside a text it leaves
    ("", _doc("<table><tr><td>X</td></tr>X</table>"), _doc("<table><tr><td>Y</td></tr>X</table>")),
])
def test_a_second_variant_prints_what_a_whole_render_of_it_prints(css, first, second):
    sheet, fonts = CSS(string=f"@page {{ size: A6 }} {css}"), FontConfiguration()

    def pdf(page):
        return cascade.render(page, str(LAYOUTS) + "/", ProjectFetcher(LAYOUTS), [sheet], fonts, {}, None).write_pdf()

    pdf(first)
    kept = pdf(second)
    cascade._shapes.clear()
    assert kept == pdf(second)


def test_a_stylesheet_the_document_loads_is_read_again_for_each_document(tmp_path):
    """The studio renders the same HTML again after a designer saves a stylesheet the
    template links itself: the document's cascade is not kept."""
    (tmp_path / "extra.css").write_text("p { color: red }")
    page = _doc('<p>Same</p>').replace("</head>", '<link href="extra.css" rel="stylesheet"></head>')
    sheet, fonts = CSS(string="@page { size: A6 }"), FontConfiguration()

    def pdf():
        return cascade.render(page, f"{tmp_path}/", ProjectFetcher(tmp_path), [sheet], fonts, {}, None).write_pdf()

    red = pdf()
    (tmp_path / "extra.css").write_text("p { color: blue }")
    blue = pdf()
    assert blue != red
    cascade._shapes.clear()
    assert blue == pdf()


def test_link_targets_no_selector_reads_are_put_in_and_other_texts_stay_kept():
    sheet, fonts = CSS(string='@page { size: A6 } a[href] { color: red } p:empty { display: none }'), FontConfiguration()
    first = _doc('<p>Craven</p><pre>Line</pre><p><a href="https://e.org/?c=1">x</a></p>')
    pdf = [cascade.render(page, str(LAYOUTS) + "/", ProjectFetcher(LAYOUTS), [sheet], fonts, {}, None).write_pdf()
           for page in (first, first.replace("Craven", "Ryedale").replace("c=1", "c=2"))]
    assert [shape.reused for shape in cascade._shapes.values()] == [1]
    cascade._shapes.clear()
    assert pdf[1] == cascade.render(first.replace("Craven", "Ryedale").replace("c=1", "c=2"), str(LAYOUTS) + "/",
                                    ProjectFetcher(LAYOUTS), [sheet], fonts, {}, None).write_pdf()
