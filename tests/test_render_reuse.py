"""Work a document no longer does twice (issue 26) gives what doing it again gave.

- the reader's eye looks up the letters' rows some thousands of pixels at a time
  (eye._row_bands): the same bands show ink as when every row is looked up at once;
- a line's glyph ink is read while WeasyPrint draws it (layoutmap.reading_ink): the
  same layout map as shaping every line again after drawing, Urdu's Nastaliq and a
  screen copy's text layer included;
- the QR code is placed in numpy at qrcode's data modules (qr._placement) and its mask
  chosen by qr.penalty: the same modules as qrcode's own eight placements and penalties;
- the profile's sheet is parsed once per worker (render.pdf._profile_sheet): the
  same PDF bytes, each document its own colour profile table, parsed again when a
  file it loads changes;
- a PDF with an identifier is written with each object serialised once
  (render.finish._write_once): the bytes pydyf writes serialising them twice;
- a stream's bytes seen before are deflated once a worker (render.finish._deflate_streams):
  the bytes pydyf deflating every stream of every document writes.
"""
from __future__ import annotations

import importlib
import os
import random
import shutil

import numpy as np
import pydyf
import pytest
import qrcode
from qrcode import util as qr_util
from qrcode.constants import ERROR_CORRECT_M

from pipeline import eye, qr
from pipeline.content import load_campaigns
from pipeline.layouts import render_html
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles
from pipeline.render import pdf as render_pdf_module

from .conftest import DEFAULT_CAMPAIGN

finish_module = importlib.import_module("pipeline.render.finish")  # the package's `finish` is its function


def _jobs(profile):
    return plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(), select_profiles(load_profiles(), profile),
                partners=["none"], districts=["none"])


@pytest.mark.parametrize("contrast", [1.0, 1.5, 3.0, 4.5])
def test_the_eye_finds_the_same_bands_a_batch_of_rows_at_a_time(contrast, monkeypatch):
    rng = np.random.default_rng(7)
    bare = rng.integers(0, 256, (300, 200), dtype=np.uint8)
    seen = bare.copy()
    changed = rng.random(bare.shape) < 0.2
    seen[changed] = rng.integers(0, 256, int(changed.sum()), dtype=np.uint8)
    flags = eye._standing_out(contrast)
    whole_page = flags[(bare.astype(np.uint16) << 8) | seen]
    assert whole_page.any()
    # Rows of boxes: runs of 1 to 40 pixels anywhere on the page, bands of 1 to the run.
    length = rng.integers(1, 41, 3000)
    first_pixel = rng.integers(0, 300, 3000) * 200 + rng.integers(0, 200 - length + 1)
    columns = np.minimum(rng.integers(1, 12, 3000), length)
    expected = [(whole_page.ravel()[f:f + c].any(), whole_page.ravel()[f + c:f + n - c].any(),
                 whole_page.ravel()[f + n - c:f + n].any()) for f, n, c in zip(first_pixel, length, columns)]
    # Rasters as PDFium hands them over: a view with padded rows
    padded_bare = np.zeros((300, 208), dtype=np.uint8)
    padded_seen = np.zeros((300, 208), dtype=np.uint8)
    padded_bare[:, :200], padded_seen[:, :200] = bare, seen
    for at_once in (1 << 15, 1000, 7, 1):
        monkeypatch.setattr(eye, "ROWS_AT_ONCE", at_once)
        left, middle, right = eye._row_bands(padded_bare[:, :200].reshape(-1), padded_seen[:, :200].reshape(-1),
                                             flags, first_pixel, length, columns)
        overlap = 2 * columns >= length  # the middle is not read: the bands cover the run
        assert left.tolist() == [e[0] for e in expected], at_once
        assert right.tolist() == [e[2] for e in expected], at_once
        assert (middle | overlap).tolist() == [e[1] or o for e, o in zip(expected, overlap)], at_once


def test_the_qr_mask_and_modules_are_qrcodes_own():
    rng = np.random.default_rng(3)
    for size in (21, 33, 45, 57):
        for _ in range(40):
            modules = rng.random((size, size)) < rng.random()
            assert qr.penalty(modules) == qr_util.lost_point(modules.tolist())
    chooser = random.Random(5)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-._~/?=&%"
    masks = set()
    for _ in range(120):  # versions 1 to 10, several of each, all eight masks chosen
        url = "https://www." + "".join(chooser.choice(alphabet) for _ in range(chooser.randint(1, 250)))
        reference = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=qr.QUIET_ZONE, box_size=1)
        reference.add_data(url)
        reference.make(fit=True)
        made = qr._made(url)
        assert (made.version, made.matrix.tolist()) == (reference.version, reference.get_matrix()), url
        masks.add(made.mask)
    assert masks == set(range(8))


def _layout_maps(job, html=None):
    """The layout map as rendered (ink read while drawing) and shaped again after."""
    found = {}
    original = render_pdf_module.layout_map

    def both(document, inks=None):
        found["drawn"], found["again"], found["lines"] = original(document, inks), original(document), len(inks)
        return found["drawn"]

    render_pdf_module.layout_map = both
    try:
        render_pdf_module.render_pdf(job, html or render_html(job))
    finally:
        render_pdf_module.layout_map = original
    return found


@pytest.mark.parametrize("profile,language,product", [("press", None, "poster"), ("screen", "ur", "leaflet-a5"),
                                                       ("press", "ar", "leaflet-dl")])
def test_the_ink_read_while_drawing_is_the_ink_shaped_again(profile, language, product):
    job = next(j for j in _jobs(profile) if j.language == language and j.product == product)
    found = _layout_maps(job)
    assert found["lines"] > 20  # read while drawing, not shaped again
    texts = [p for p in found["drawn"] if p.kind == "text"]
    assert texts and all(p.ink for p in texts)
    assert found["drawn"] == found["again"]


def test_the_ink_of_lines_with_paragraph_separators_is_the_ink_shaped_again():
    # WeasyPrint draws a line in single-paragraph mode (where Pango would show a
    # separator as a glyph); the ink is read in that mode only for a text without one.
    job = next(j for j in _jobs("press") if j.product == "poster" and j.size == "A4" and j.language is None)
    lines = ["First line", "second\u2029line", "Third\rline", "fourth\r\nline", "last"]
    html = ("<!DOCTYPE html><html lang='en-GB'><body>"
            "<p style='white-space: pre-wrap; font-size: 20pt'>" + "\n".join(lines) + "</p>"
            "<p style='white-space: pre; font-size: 12pt'>a\u2029b\nc</p>"
            "<p style='font-size: 12pt'>No separator here</p></body></html>")
    found = _layout_maps(job, html)
    texts = [p for p in found["drawn"] if p.kind == "text"]
    assert len(texts) >= 8 and all(p.ink for p in texts) and found["lines"] >= 8
    assert [p.text for p in texts][:4] == ["First line", "second", "line", "Third"]
    assert found["drawn"] == found["again"]


def test_the_profile_sheet_is_parsed_once_and_again_when_a_file_it_loads_changes(monkeypatch):
    job = next(j for j in _jobs("press") if j.product == "poster" and j.size == "A4" and j.language is None)
    html = render_html(job)
    parsed = []
    original_css, original_stamp = render_pdf_module.CSS, render_pdf_module.stamp

    def counting_css(*args, **kwargs):
        if "@page" in kwargs.get("string", ""):
            parsed.append(kwargs["string"])
        return original_css(*args, **kwargs)

    monkeypatch.setattr(render_pdf_module, "CSS", counting_css)
    monkeypatch.setattr(render_pdf_module, "_profile_sheets", {})
    first = render_pdf_module.render_pdf(job, html)
    second = render_pdf_module.render_pdf(job, html)
    assert len(parsed) == 1 and second.pdf == first.pdf and not first.warnings
    [(_, profiles, _, _)] = render_pdf_module._profile_sheets.values()
    assert list(profiles) == ["device-cmyk"]  # WeasyPrint's writing added no 'srgb' to the kept table
    stamps = [original_stamp(render_pdf_module.Path(job.layouts.folder / name))
              for name in render_pdf_module.PROFILE_FILE.findall(parsed[0])]
    assert len(stamps) == 3 and all(stamps)  # the two fonts and the ICC profile, as they are on disk
    # The ICC profile saved again (a later modification time): read again
    monkeypatch.setattr(render_pdf_module, "stamp", lambda path: (
        (*original_stamp(path)[:1], 0, 0) if path.suffix == ".icc" else original_stamp(path)))
    third = render_pdf_module.render_pdf(job, html)
    assert len(parsed) == 2 and third.pdf == first.pdf


def test_the_profile_sheet_in_use_is_the_last_to_go(monkeypatch):
    """The kept sheets go least recently used first: a worker alternating posters and
    leaflets keeps both sheets (a sheet parsed again also starts render/cascade.py's
    kept cascades again, which key on it)."""
    jobs = _jobs("press")
    poster, leaflet, card = (next(j for j in jobs if (j.product, j.size) == kind and j.language is None)
                             for kind in (("poster", "A3"), ("leaflet-a5", "A5"), ("wallet-card", "card")))
    monkeypatch.setattr(render_pdf_module, "_profile_sheets", {})
    monkeypatch.setattr(render_pdf_module, "PROFILE_SHEETS_KEPT", 2)
    fonts = render_pdf_module._font_config(poster.layouts.folder)

    def sheet(job):
        base_url = str(job.layouts.folder) + "/"
        intent = job.profile.spec.output_intent
        fetcher = render_pdf_module.ProjectFetcher(job.layouts.folder,
                                                   render_pdf_module.COLOUR / intent.icc if intent else None)
        return render_pdf_module._profile_sheet(job, base_url, fetcher, fonts)[0]

    first = sheet(poster)
    sheet(leaflet)
    assert sheet(poster) is first  # used last: the leaflet's is now the older
    sheet(card)
    assert sheet(poster) is first


def test_a_pdf_with_an_identifier_is_written_serialising_each_object_once(monkeypatch):
    job = next(j for j in _jobs("press") if j.product == "poster" and j.size == "A3" and j.language is None)
    html = render_html(job)
    deflated = []
    serialise = finish_module._pydyf_data[pydyf.Stream]

    def counted(stream):
        if stream.compress:
            deflated.append(id(stream))
        return serialise(stream)

    monkeypatch.setitem(finish_module._pydyf_data, pydyf.Stream, counted)
    once = render_pdf_module.render_pdf(job, html).pdf
    assert b"/ID [" in once and deflated and len(deflated) == len(set(deflated))
    # pydyf's own writing: every stream it deflates (the object stream; the finisher
    # deflated the others) deflated again to hash the file for its /ID, all but the
    # cross-reference stream, written after the hash
    monkeypatch.setattr(pydyf.PDF, "write", finish_module._pydyf_write)
    deflated.clear()
    twice = render_pdf_module.render_pdf(job, html).pdf
    assert len(deflated) == 2 * len(set(deflated)) - 1 and twice == once


def test_streams_seen_before_are_deflated_once_a_worker_as_pydyf_deflates_them(monkeypatch):
    jobs = [j for j in plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(), select_profiles(load_profiles(), "press"),
                            only=["poster"], partners=["none"], languages=["none"]) if j.size == "A3" and j.district][:2]
    finish_module._deflated_kept.cache_clear()
    first = render_pdf_module.render_pdf(jobs[0], render_html(jobs[0])).pdf
    hits = finish_module._deflated_kept.cache_info().hits
    second = render_pdf_module.render_pdf(jobs[1], render_html(jobs[1])).pdf
    assert finish_module._deflated_kept.cache_info().hits - hits >= 4  # the font subsets and their ToUnicode maps
    monkeypatch.setattr(finish_module, "_deflate_streams", lambda pdf: None)  # pydyf deflates every stream
    assert [render_pdf_module.render_pdf(job, render_html(job)).pdf for job in jobs] == [first, second]
