"""What a worker's speed and memory rely on (issue 26), pinned without timings: the
reader's eye's shared rasters give the same answers, the caches that skip repeated
work return what the work returns and stay bounded, and a job leaves no PDFium
document open behind it."""
from __future__ import annotations

import gc
import io
import platform
import subprocess
from types import SimpleNamespace

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from pipeline import eye, inputs, layouts
from pipeline.build import make
from pipeline.content import load_campaigns
from pipeline.paths import LAYOUTS
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles

from .conftest import DEFAULT_CAMPAIGN


def test_the_hidden_text_table_counts_exactly_the_pixels_that_stand_out():
    # Worked out here pixel by pixel from the WCAG contrast ratio of the grey levels.
    rng = np.random.default_rng(26)
    bare = rng.integers(0, 256, (37, 53), dtype=np.uint8)
    seen = np.where(rng.random((37, 53)) < 0.4, rng.integers(0, 256, (37, 53)), bare).astype(np.uint8)
    linear = lambda g: ((g / 255) / 12.92 if g / 255 <= 0.04045 else ((g / 255 + 0.055) / 1.055) ** 2.4)  # noqa: E731
    for contrast in (1.5, 3.0, 4.5):
        view = eye.PageView(1.0, 0.0, seen, bare, [], [])
        view.unseen(np.zeros((1, 4)), contrast, 0.3, np.array([True]))
        ink = np.array([[max(linear(s), linear(b)) + 0.05 >= contrast * (min(linear(s), linear(b)) + 0.05)
                         for s, b in zip(row_s, row_b)] for row_s, row_b in zip(seen.tolist(), bare.tolist())])
        table, (top, left) = view.tables[contrast]  # over the rectangle holding the ink
        rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        assert (top, left) == (rows[0], columns[0])
        ink = ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
        assert table.shape == (ink.shape[0] + 1, ink.shape[1] + 1) and not table[0].any() and not table[:, 0].any()
        assert (table[1:, 1:] == ink.cumsum(axis=0).cumsum(axis=1)).all(), contrast


def test_a_lines_phone_numbers_are_read_once_and_the_cache_stays_bounded():
    line = "Call 0808 802 0300 or Freephone 0808 2000 247 any time"
    first = inputs.find_phone_numbers(line)
    hits = inputs._phone_numbers.cache_info().hits
    first.clear()  # a caller's list is its own: the cached reading is unchanged
    again = inputs.find_phone_numbers(line)
    assert inputs._phone_numbers.cache_info().hits == hits + 1
    assert [f.key for f in again] == ["+448088020300", "+448082000247"]
    for n in range(3 * inputs._phone_numbers.cache_info().maxsize):  # a district's own lines, new every time
        inputs.find_phone_numbers(f"Bench District {n:03d}: 0808 802 0300")
    info = inputs._phone_numbers.cache_info()
    assert info.currsize <= info.maxsize


def test_a_pictures_ocr_is_read_once_per_language_and_the_readings_stay_bounded(tmp_path, monkeypatch):
    image = Image.new("L", (600, 200), 255)
    draw = ImageDraw.Draw(image)
    for n in range(12):
        draw.text((10 + 45 * n, 20 + 12 * n), str(n), fill=0)
    pdf = io.BytesIO()
    image.save(pdf, "PDF", resolution=72)
    runs = []

    def tesseract(argv, input, **kwargs):
        runs.append(argv[argv.index("-l") + 1])
        return subprocess.CompletedProcess(argv, 0, stdout=f"0808 802 0300 ({len(runs)})".encode(), stderr=b"")

    monkeypatch.setattr(eye.shutil, "which", lambda name: "tesseract")
    monkeypatch.setattr(eye.subprocess, "run", tesseract)
    monkeypatch.setattr(eye, "_read", {})
    monkeypatch.setattr(eye, "OCR_KEPT", 3)
    document = pdfium.PdfDocument(pdf.getvalue())
    try:
        page = document[0]
        box = (0, 0, 60, 20)  # mm from the page's corner (no bleed)
        assert eye.ocr(page, box, 0, "en") == eye.ocr(page, box, 0, "en-GB") == "0808 802 0300 (1)"
        assert eye.ocr(page, box, 0, "ur") == "0808 802 0300 (2)"  # another language reads again
        assert runs == ["eng", "urd+eng"]
        for x in range(6):  # other pictures: the oldest readings go
            eye.ocr(page, (10 * x, 5, 40, 15), 0, "en")
        assert len(eye._read) == 3 and len(runs) == 8
        page.close()
    finally:
        document.close()


def test_the_template_data_of_a_campaign_is_made_once_and_stays_bounded(monkeypatch):
    jobs = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(LAYOUTS),
                select_profiles(load_profiles(), "press"), only=["poster"], partners=["none"], languages=["none"])
    first = jobs[0]
    other = next(j for j in jobs if j.district != first.district)
    monkeypatch.setattr(layouts, "_models", {})
    one, two = layouts.context(first), layouts.context(other)
    assert one["c"] is two["c"] and one["brand"] is two["brand"]
    assert one["languages"][0] is one["c"] and two["languages"][0] is two["c"]  # not made again per job
    assert one["variant"]["district"] != two["variant"]["district"] and one["qr"] != two["qr"]
    assert one["c"].name == first.source.campaign.name
    for model in [jobs[0].source.campaign.model_copy() for _ in range(layouts.MODELS_KEPT + 3)]:
        assert isinstance(layouts._model_data(model), SimpleNamespace)
    assert len(layouts._models) == layouts.MODELS_KEPT


def test_a_job_leaves_no_pdfium_document_open():
    jobs = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(LAYOUTS),
                select_profiles(load_profiles(), "press"), only=["poster", "leaflet-a5"], districts=["none"],
                partners=["none"], languages=["none"])

    def open_documents():  # what other tests of the session hold is theirs
        gc.collect()
        return {id(o) for o in gc.get_objects() if isinstance(o, (pdfium.PdfDocument, pdfium.PdfPage))
                and o.raw is not None}

    before = open_documents()
    for job in [next(j for j in jobs if j.product == "poster"), next(j for j in jobs if j.product == "leaflet-a5")]:
        made = make(job)
        assert made.pages and made.thumbnails
    assert open_documents() <= before


def test_overprinting_a_stream_keeps_no_pdf_behind():
    # Each stream is parsed in a scratch PDF closed after it: one kept per worker grew
    # by every content stream it parsed (20-30 KiB a document).
    import pikepdf

    from pipeline import overprint

    def scratch_pdfs():
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, pikepdf.Pdf))

    before = scratch_pdfs()
    for n in range(5):
        data, count = overprint.overprint_stream(b"0 0 0 1 k %d 0 10 10 re f BT /F1 9 Tf (x) Tj ET" % n)
        assert count == 2 and b"/OPf1s0 gs" in data
    assert scratch_pdfs() <= before
    assert not any(isinstance(value, pikepdf.Pdf) for value in vars(overprint).values())


def test_a_job_gives_its_freed_memory_back_once_its_documents_are_gone(monkeypatch):
    # glibc keeps a freed page raster's heap (15-20 MiB) until malloc_trim: RSS stepped
    # with the product a worker made last. The trim comes after the job's rendering is
    # let go, and after a job that failed too.
    import weakref

    from pipeline import fit
    from pipeline.build import worker
    from pipeline.problems import PipelineError

    job = next(j for j in plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(LAYOUTS),
                               select_profiles(load_profiles(), "press"), only=["poster"], districts=["none"],
                               partners=["none"], languages=["none"]))
    renderings, trims = [], []
    real = fit.fitted

    def fitted(job):
        html, rendered = real(job)
        renderings.append(weakref.ref(rendered))
        return html, rendered

    monkeypatch.setattr(fit, "fitted", fitted)
    monkeypatch.setattr(worker, "MALLOC_TRIM", lambda pad: trims.append([r() is None for r in renderings]))
    made = make(job)
    assert made.pages and trims == [[True]]

    def broken(job):
        raise PipelineError([])

    monkeypatch.setattr(fit, "fitted", broken)
    with pytest.raises(PipelineError):
        make(job)
    assert len(trims) == 2


def test_memory_is_given_back_with_glibcs_malloc_trim_where_the_c_library_is_glibc():
    from pipeline.build import worker

    if platform.libc_ver()[0] != "glibc":  # musl, macOS: nothing to call, nothing done
        assert worker.MALLOC_TRIM is None or callable(worker.MALLOC_TRIM)
    else:
        assert worker.MALLOC_TRIM is not None and worker.MALLOC_TRIM(0) in (0, 1)
    worker.give_back_memory()
