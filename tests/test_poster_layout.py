"""The poster's code and its label (layouts/poster.css): side by side, their feet level,
the label the room the code leaves, left to right and right to left, at every size;
and laid out without measuring the label's words first (an auto table did, for every
poster: the README's "Performance")."""
from __future__ import annotations

import pytest
from weasyprint.layout import table as weasyprint_table

from pipeline.content import load_campaigns
from pipeline.layouts import render_html
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles
from pipeline.render import cascade
from pipeline.render import pdf as render_pdf_module

from .conftest import DEFAULT_CAMPAIGN


def _poster(language: str, size: str):
    jobs = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(), select_profiles(load_profiles(), "press"),
                only=["poster"], partners=["none"], districts=["none"], languages=[language])
    return next(j for j in jobs if j.size == size)


def _boxes(page_box, classes):
    found, todo = {}, [page_box]
    while todo:
        box = todo.pop()
        element = getattr(box, "element", None)
        if element is not None and element.get("class") in classes and type(box).__name__ != "LineBox":
            found.setdefault(element.get("class"), box)
        todo.extend(getattr(box, "children", []))
    return found


@pytest.mark.parametrize("language, size", [("none", "A3"), ("none", "A4"), ("ur", "A3"), ("ar", "A2")])
def test_the_code_and_its_label_stand_side_by_side_feet_level_unmeasured(language, size, monkeypatch):
    documents, measured = [], []
    render = cascade.render
    monkeypatch.setattr(render_pdf_module.cascade, "render", lambda *a, **k: documents.append(render(*a, **k)) or documents[-1])
    preferred = weasyprint_table.table_and_columns_preferred_widths
    monkeypatch.setattr(weasyprint_table, "table_and_columns_preferred_widths",
                        lambda context, box, *a, **k: measured.append(box.element.get("class")) or preferred(context, box, *a, **k))
    job = _poster(language, size)
    render_pdf_module.render_pdf_of(job, render_html(job))

    found = _boxes(documents[-1].pages[0]._page_box, {"qr-block", "qr", "qr-label"})
    block, code, label = found["qr-block"], found["qr"], found["qr-label"]
    assert abs((label.border_box_y() + label.border_height()) - (code.border_box_y() + code.border_height())) < 0.01
    assert abs(block.border_box_y() + block.border_height() - (code.border_box_y() + code.border_height())) < 0.01
    assert abs(code.border_width() + label.border_width() - block.width) < 0.01  # one line: the label the rest
    if language in ("ur", "ar"):  # right to left: the code on the right
        assert abs(code.border_box_x() + code.border_width() - (block.content_box_x() + block.width)) < 0.01
        assert abs(label.border_box_x() - block.content_box_x()) < 0.01
    else:
        assert abs(code.border_box_x() - block.content_box_x()) < 0.01
        assert abs(label.border_box_x() - (code.border_box_x() + code.border_width())) < 0.01
    assert "qr-block" not in measured, measured
