"""What a worker's speed and memory rely on (issue 26), pinned without timings: the
reader's eye's shared rasters give the same answers, the caches that skip repeated
work return what the work returns and stay bounded, and a job leaves no PDFium
document open behind it."""
from __future__ import annotations

import gc
import io
import platform
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from pipeline import eye, inputs, layouts, ocr
from pipeline.build import make
from pipeline.content import load_campaigns
from pipeline.paths import LAYOUTS
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles

from .conftest import DEFAULT_CAMPAIGN


def test_the_hidden_text_ink_is_exactly_the_pixels_that_stand_out():
    # Worked out here pixel by pixel from the WCAG contrast ratio of the grey levels:
    # a box of one pixel is seen exactly where that pixel stands out.
    rng = np.random.default_rng(26)
    bare = rng.integers(0, 256, (37, 53), dtype=np.uint8)
    seen = np.where(rng.random((37, 53)) < 0.4, rng.integers(0, 256, (37, 53)), bare).astype(np.uint8)
    linear = lambda g: ((g / 255) / 12.92 if g / 255 <= 0.04045 else ((g / 255 + 0.055) / 1.055) ** 2.4)  # noqa: E731
    ys, xs = np.mgrid[0:37, 0:53]
    pixels = np.column_stack([xs.ravel(), ys.ravel(), np.ones(37 * 53), np.ones(37 * 53)]).astype(float)
    for contrast in (1.5, 3.0, 4.5):
        view = eye.PageView(1.0, 0.0, seen, bare, [], [])
        ink = np.array([[max(linear(s), linear(b)) + 0.05 >= contrast * (min(linear(s), linear(b)) + 0.05)
                         for s, b in zip(row_s, row_b)] for row_s, row_b in zip(seen.tolist(), bare.tolist())])
        unseen = view.unseen(pixels, contrast, 0.15, np.ones(37 * 53, dtype=bool))
        assert (~unseen.reshape(37, 53) == ink).all(), contrast


@pytest.mark.parametrize("find, cached, line, read, expected", [
    (inputs.find_phone_numbers, inputs._phone_numbers, "Call 0808 802 0300 or Freephone 0808 2000 247 any time",
     lambda found: found.key, ["+448088020300", "+448082000247"]),
    (inputs.find_web_addresses, inputs._web_addresses, "Visit northyorkshire.police.uk/stalking or www.evil.Com/x",
     lambda found: found.host, ["northyorkshire.police.uk", "evil.com"]),
], ids=["phone numbers", "web addresses"])
def test_a_lines_numbers_and_addresses_are_read_once_and_the_cache_stays_bounded(find, cached, line, read, expected):
    first = find(line)
    hits = cached.cache_info().hits
    first.clear()  # a caller's list is its own: the cached reading is unchanged
    again = find(line)
    assert cached.cache_info().hits == hits + 1
    assert [read(f) for f in again] == expected
    for n in range(2 * cached.cache_info().maxsize):  # a district's own lines, new every time
        find(f"Bench District {n:04d}: 0808 802 0300 northyorkshire.police.uk")
    info = cached.cache_info()
    assert info.currsize <= info.maxsize


def test_a_written_numbers_key_is_parsed_once_and_the_cache_stays_bounded():
    written = "0808 802 0300"
    first = inputs.phone_key(written)
    hits = inputs.phone_key.cache_info().hits
    assert inputs.phone_key("0808 802 0300") == first == "+448088020300"
    assert inputs.phone_key.cache_info().hits == hits + 1
    assert inputs.phone_key("0808 802 O3OO") == inputs.phone_key.__wrapped__("0808 802 O3OO")  # not a number: digits
    for n in range(2 * inputs.phone_key.cache_info().maxsize):
        inputs.phone_key(f"0808 {n:03d} 0300")
    info = inputs.phone_key.cache_info()
    assert info.currsize <= info.maxsize


def test_a_pictures_ocr_is_read_once_per_language_and_the_readings_stay_bounded(tmp_path, monkeypatch):
    image = Image.new("L", (600, 200), 255)
    draw = ImageDraw.Draw(image)
    for n in range(12):
        draw.text((10 + 45 * n, 20 + 12 * n), str(n), fill=0)
    pdf = io.BytesIO()
    image.save(pdf, "PDF", resolution=72)
    runs = []

    class Engine:  # Tesseract, counting its readings
        def __init__(self, languages):
            self.languages = languages

        def SetImage(self, image):
            runs.append(self.languages)

        def SetSourceResolution(self, dpi):
            assert dpi == 300

        def Recognize(self, timeout):
            return True

        def GetUTF8Text(self):
            return f"0808 802 0300 ({len(runs)})"

        def Clear(self):
            pass

    monkeypatch.setattr(ocr, "installed", lambda: True)
    monkeypatch.setattr(ocr, "_engine", lambda languages, psm: Engine(languages))
    monkeypatch.setattr(ocr, "_read", {})
    monkeypatch.setattr(ocr, "OCR_KEPT", 3)
    document = pdfium.PdfDocument(pdf.getvalue())
    try:
        page = document[0]
        box = (0, 0, 60, 20)  # mm from the page's corner (no bleed)
        assert ocr.ocr(page, box, 0, "en") == ocr.ocr(page, box, 0, "en-GB") == "0808 802 0300 (1)"
        assert ocr.ocr(page, box, 0, "ur") == "0808 802 0300 (2)"  # another language reads again
        assert runs == ["eng", "urd+eng"]
        for x in range(6):  # other pictures: the oldest readings go
            ocr.ocr(page, (10 * x, 5, 40, 15), 0, "en")
        assert len(ocr._read) == 3 and len(runs) == 8
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


def test_copyfitting_and_preflight_decide_a_renderings_hidden_text_once(monkeypatch):
    # fit.py asks whether any letter is hidden, preflight asks again of the same
    # rendering: the letters' pixels are read once, the answer is the same, and a
    # caller's list is its own.
    from pipeline.fit import fitted
    from pipeline.preflight import Subject, check_visible

    jobs = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(LAYOUTS),
                select_profiles(load_profiles(), "press"), only=["poster"], districts=["none"],
                partners=["none"], languages=["none"])
    job = next(j for j in jobs if j.size == "A3")
    html, rendered = fitted(job)
    looked = []
    unseen = eye.PageView.unseen
    monkeypatch.setattr(eye.PageView, "unseen", lambda self, *a: looked.append(self) or unseen(self, *a))
    rendered.derived.clear()
    first = check_visible(Subject(job, html, rendered))
    first.append("a caller's own")
    again = check_visible(Subject(job, html, rendered))
    assert len(looked) == rendered.pages and "a caller's own" not in again
    rendered.derived.clear()
    assert check_visible(Subject(job, html, rendered)) == again and len(looked) == 2 * rendered.pages


def test_a_thumbnail_is_the_bleed_checks_raster_trimmed_pixel_for_pixel():
    # The report's PNGs are written by preflight/thumbnails.png (rows unfiltered, fast
    # deflate): any PNG reader shows exactly the raster the bleed check looked at.
    from pipeline.fit import fitted
    from pipeline.plan import media_bleed_mm
    from pipeline.preflight import Subject
    from pipeline.preflight.subject import THUMBNAIL_DPI
    from pipeline.preflight.thumbnails import png, thumbnails

    rng = np.random.default_rng(26)
    noise = rng.integers(0, 256, (7, 5, 3), dtype=np.uint8)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png(noise)))), noise)

    jobs = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(LAYOUTS),
                select_profiles(load_profiles(), "press"), only=["leaflet-a5"], districts=["none"],
                partners=["none"], languages=["none"])
    job = jobs[0]
    html, rendered = fitted(job)
    subject = Subject(job, html, rendered)
    try:
        pngs = thumbnails(subject)
        assert len(pngs) == rendered.pages == 2
        k, media = THUMBNAIL_DPI / 25.4, media_bleed_mm(job)
        width, height = job.trim_mm
        for index, data in enumerate(pngs):
            shown = Image.open(io.BytesIO(data))
            assert shown.format == "PNG" and shown.mode == "RGB"
            raster = subject.raster(index)
            assert np.array_equal(raster, np.asarray(subject.page(index).render(scale=THUMBNAIL_DPI / 72).to_pil()))
            trimmed = raster[round(media * k):round((media + height) * k), round(media * k):round((media + width) * k)]
            assert np.array_equal(np.asarray(shown), trimmed)
    finally:
        subject.pdf.close()


def test_a_campaigns_revealing_words_are_read_once_for_its_codes():
    from pipeline.content import fields

    jobs = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(LAYOUTS),
                select_profiles(load_profiles(), "press"), only=["poster"], partners=["none"], languages=["none"])
    job = next(j for j in jobs if j.variant and len(j.variant) > 7)  # a long name: checked against the words
    campaign = job.source.campaign
    assert campaign.revealing_words
    url = job.qr_url
    before = fields.word_reading.cache_info()
    assert replace(job).qr_url == url  # a fresh Job (its own code is kept) works the code out again
    after = fields.word_reading.cache_info()
    assert after.misses == before.misses and after.hits > before.hits
    assert campaign.reveals("a " + campaign.revealing_words[0].upper() + " b") == [campaign.revealing_words[0]]


def test_the_bleed_check_reads_each_edge_of_the_raster_as_point_by_point():
    # check_bleed reads its 39 points an edge as arrays: colour stopping short of the
    # bleed is found at the first point of an edge; colour run on into the bleed, a
    # faint tint and the trim a picture crosses (a pixel of slack) are not.
    from pipeline.plan import media_bleed_mm
    from pipeline.preflight import Subject, check_bleed
    from pipeline.preflight.subject import THUMBNAIL_DPI
    from pipeline.stages import Placed, Rendered

    jobs = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(LAYOUTS),
                select_profiles(load_profiles(), "press"), only=["poster"], districts=["none"],
                partners=["none"], languages=["none"])
    job = next(j for j in jobs if j.size == "A3")
    width, height = job.trim_mm
    bleed, media, k = job.profile.spec.bleed_mm, media_bleed_mm(job), THUMBNAIL_DPI / 25.4
    page = np.full((int((height + 2 * media) * k) + 1, int((width + 2 * media) * k) + 1, 3), 255, dtype=np.uint8)

    def fill(x0, y0, x1, y1, colour):  # mm from the trim
        page[int((y0 + media) * k):int((y1 + media) * k), int((x0 + media) * k):int((x1 + media) * k)] = colour

    fill(0, 0, width, height, (200, 30, 30))  # a red ground over the trim, not into the bleed...
    fill(-bleed, 0.5 * height, 0, height + bleed, (200, 30, 30))  # ...but at the lower left
    fill(0, height, 0.5 * width, height + bleed, (200, 30, 30))  # and along the bottom's left half,
    fill(0.5 * width, height - 5, width, height, (250, 250, 245))  # right of which a faint tint: no problem
    picture = Placed(1, "image", (width - 20, 0, 20, height), "figure.picture > img")  # over the right trim
    subject = Subject(job, "", Rendered(pdf=b"", pages=1, warnings=[], layout=[picture]))  # only its views are read
    # The page the check looks at: the colour raster of the reader's view (eye.page_views).
    grey = np.zeros(page.shape[:2], dtype=np.uint8)
    subject.rendered.derived[("views",)] = [eye.PageView(k, media, grey, grey, [], [], colour=page)]
    found = [(p.what, p.page, tuple(round(v, 3) for v in p.box_mm), p.check) for p in check_bleed(subject)]
    first_top = (round(width / 40, 3), 0, 5, 5)
    first_left = (0, round(height / 40, 3), 5, 5)
    assert found == [("colour at the top trim stops short of the bleed", 1, first_top, "bleed"),
                     ("colour at the left trim stops short of the bleed", 1, first_left, "bleed")]


def test_a_subjects_lines_are_merged_once_and_each_check_gets_its_own_list(monkeypatch):
    from pipeline.preflight import Subject
    from pipeline.preflight import subject as subject_module
    from pipeline.stages import Placed, Rendered

    layout = [Placed(1, "text", (10, 10, 50, 5), "p.a", "first line", 12),
              Placed(1, "text", (10, 16, 40, 5), "p.a", "second line", 12),
              Placed(1, "qr", (100, 10, 30, 30), "img.qr")]
    merges = []
    merged = subject_module._merged
    monkeypatch.setattr(subject_module, "_merged", lambda items: merges.append(1) or merged(items))
    subject = Subject(SimpleNamespace(output="poster.pdf"), "", Rendered(pdf=b"", pages=1, warnings=[], layout=layout))
    first = subject_module._content(subject)
    assert [(p.kind, p.text, p.rect) for p in first] == [("text", "first line second line", (10, 10, 50, 11)),
                                                          ("qr", "", (100, 10, 30, 30))]
    assert first[1] is layout[2]  # the code itself: check_qr tells it from the rest by identity
    first.clear()
    assert len(subject_module._content(subject)) == 2 and merges == [1]


def _reference_reading_lines(chars):
    """eye.reading_lines and next_line as first written (before issue 26's passes):
    rows by each letter's middle, runs split at a gutter, lines rejoined pair by pair."""
    def line(run):
        text = run[0].text
        for previous, char in zip(run, run[1:]):
            gap = char.box[0] - (previous.box[0] + previous.box[2])
            text += (" " if gap > 0.3 * max(previous.box[3], char.box[3]) else "") + char.text
        x0, y0 = min(c.box[0] for c in run), min(c.box[1] for c in run)
        x1, y1 = max(c.box[0] + c.box[2] for c in run), max(c.box[1] + c.box[3] for c in run)
        return eye.Line(text, (x0, y0, x1 - x0, y1 - y0), run)

    rows = []
    for char in sorted(chars, key=lambda c: c.box[1] + c.box[3] / 2):
        middle = char.box[1] + char.box[3] / 2
        if rows and abs((rows[-1][0].box[1] + rows[-1][0].box[3] / 2) - middle) < 0.35 * min(rows[-1][0].box[3],
                                                                                               char.box[3]):
            rows[-1].append(char)
        else:
            rows.append([char])
    lines = []
    for row in rows:
        row.sort(key=lambda c: c.box[0])
        run = []
        for char in row:
            if run and char.box[0] - (run[-1].box[0] + run[-1].box[2]) > 1.5 * max(run[-1].box[3], char.box[3]):
                lines.append(line(run))
                run = []
            run.append(char)
        lines.append(line(run))
    joined = []
    for one in sorted(lines, key=lambda l: l.box[0]):
        middle, height = one.box[1] + one.box[3] / 2, one.box[3]
        for index, before in enumerate(joined):
            if (abs(before.box[1] + before.box[3] / 2 - middle) < 0.35 * min(before.box[3], height)
                    and one.box[0] - (before.box[0] + before.box[2]) <= 0.3 * max(before.box[3], height)):
                joined[index] = line(sorted(before.chars + one.chars, key=lambda c: c.box[0]))
                break
        else:
            joined.append(one)

    def next_line(one):
        x0, x1 = one.box[0], one.box[0] + one.box[2]
        bottom, height = one.box[1] + one.box[3], one.box[3]
        below = [other for other in joined if other is not one and other.box[1] >= bottom - 0.3 * height
                 and other.box[1] - bottom < 2 * height
                 and min(x1, other.box[0] + other.box[2]) - max(x0, other.box[0]) > 0]
        return min(below, key=lambda other: other.box[1], default=None)

    return joined, [next_line(one) for one in joined]


def test_the_lines_a_reader_reads_are_the_pair_by_pair_readings():
    # The reading order is made in fewer passes (eye.reading_lines, next_lines): the
    # same lines, text, boxes and next lines as reading every pair, on pages of random
    # letters (on a grid too, so middles, tops and edges tie) and on a rendered poster.
    rng = np.random.default_rng(26)
    pages = []
    for _ in range(1500):
        n, grid = int(rng.integers(0, 60)), rng.choice([0.0, 0.25, 0.5, 1.0])
        boxes = rng.uniform([0, 0, 0.2, 0.5], [100, 40, 6, 8], (n, 4))
        if grid:
            boxes = np.maximum(np.round(boxes / grid) * grid, grid)
        pages.append([eye.Char(str(rng.choice(list("0123456789 ab-"))), tuple(map(float, box))) for box in boxes])
    jobs = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(LAYOUTS), select_profiles(load_profiles(), "press"),
                only=["poster"], districts=["none"], partners=["none"], languages=["none"])
    made = make(next(j for j in jobs if j.size == "A3"), write_pdf=True)
    document = pdfium.PdfDocument(made.pdf)
    try:
        pages += [eye._chars(page, 3.0) for page in document]
    finally:
        document.close()
    assert len(pages[-1]) > 500

    def said(lines):
        return [(line.text, line.box, [(c.text, c.box) for c in line.chars]) for line in lines]

    for chars in pages:
        chars = [c for c in chars if c.text not in eye.MARKS]  # marks join lines after (the test below)
        lines = eye.reading_lines(chars)
        expected, after = _reference_reading_lines(chars)
        assert said(lines) == said(expected)
        assert [None if a is None else expected.index(a) for a in after] == \
               [None if a is None else lines.index(a) for a in eye.next_lines(lines)]


def test_small_marks_are_read_in_the_line_of_the_letters_beside_them():
    """A dot or comma is too short to share its line's middle: it is read in the line
    whose letters span it and stand beside it ("police.uk"), not as a line of its own."""
    def word(text, x, top=10.0):
        chars = []
        for letter in text:
            if letter == " ":  # PDFium's spaces are not read: a gap is
                x += 1.8
            elif letter in ".,":  # on the baseline, half a millimetre
                chars.append(eye.Char(letter, (x, top + 1.5, 0.5, 0.5)))
                x += 0.9
            else:
                chars.append(eye.Char(letter, (x, top, 1.5, 2.0)))
                x += 1.8
        return chars

    page = word("police.uk/help", 10) + word("1,347 crimes.", 10, top=20) + [eye.Char(".", (80, 50, 0.5, 0.5))]
    assert [line.text for line in eye.reading_lines(page)] == ["police.uk/help", "1,347 crimes.", "."]


def test_lines_printed_over_each_other_are_the_pairs_compared_one_by_one():
    # check_lost_text compares every pair of a page's lines at once (text._colliding):
    # the same first later line of another element, per line, as comparing each pair.
    from pipeline.preflight.text import _colliding

    def collide(a, b):
        dx = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
        dy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
        return dx > 1 and dy > 0.4 * min(a[3], b[3])

    rng = np.random.default_rng(26)
    for _ in range(400):
        n, grid = int(rng.integers(1, 40)), rng.choice([0.0, 0.5, 1.0])
        rects = rng.uniform([0, 0, 0, 0], [60, 60, 30, 8], (n, 4))
        if grid:
            rects = np.round(rects / grid) * grid
        items = [SimpleNamespace(rect=tuple(map(float, r)), element=str(rng.integers(0, 4))) for r in rects]
        expected = [next((j for j in range(i + 1, n) if items[i].element != items[j].element
                          and collide(items[i].rect, items[j].rect)), None) for i in range(n)]
        found = _colliding(items)
        assert [int(np.argmax(row)) if row.any() else None for row in found] == expected


def test_a_worker_collects_less_often():
    """make() raises the youngest generation's threshold once (worker.collect_less):
    at Python's 700 the collector ran four times a poster."""
    import gc

    from pipeline.build import worker

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, *before[1:])
        worker.collect_less()
        assert gc.get_threshold() == (worker.GEN0_THRESHOLD, *before[1:])
        gc.set_threshold(50_000, *before[1:])
        worker.collect_less()  # never lowers what a host process chose
        assert gc.get_threshold()[0] == 50_000
    finally:
        gc.set_threshold(*before)
