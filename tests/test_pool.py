"""A build forks its workers; a fork while another thread lays out text (a proof in
a web request's thread, the studio) would copy the GLib/Pango locks that thread holds
and the worker would wait on them for ever (a browser test hung so). The renderer
holds the process's one renderer lock (pipeline/pdflock.py), which a fork waits for."""
from __future__ import annotations

import threading
from multiprocessing import get_context

from pipeline.build import build
from pipeline.content import load_campaigns
from pipeline.fit import fitted
from pipeline.paths import LAYOUTS
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles
from pipeline.render import pdf

from .conftest import DEFAULT_CAMPAIGN


def _jobs():
    return plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(LAYOUTS), select_profiles(load_profiles(), "press"),
                only=["wallet-card", "wallet-card-discreet"], districts=["none"], partners=["none"],
                languages=["none"])


def test_a_fork_waits_while_another_thread_lays_out_text(monkeypatch):
    inside, release = threading.Event(), threading.Event()

    def laying_out(job, html):
        inside.set()
        release.wait(60)
        return "rendered"

    monkeypatch.setattr(pdf, "_render_pdf", laying_out)
    renders = threading.Thread(target=lambda: pdf.render_pdf(None, ""))
    renders.start()
    assert inside.wait(60)
    worker = get_context("fork").Process(target=int)
    forks = threading.Thread(target=worker.start)
    forks.start()
    forks.join(0.5)
    try:
        assert forks.is_alive(), "a worker was forked while another thread was inside the renderer"
    finally:
        release.set()
        renders.join()
        forks.join(60)
        worker.join(60)
    assert worker.exitcode == 0


def test_a_build_asked_from_another_thread_while_text_is_laid_out_makes_the_same_files(tmp_path):
    jobs = _jobs()
    assert len(jobs) == 2
    stop = threading.Event()

    def lay_out_text():  # what a proof in another request's thread does meanwhile
        while not stop.is_set():
            fitted(jobs[0])

    busy = threading.Thread(target=lay_out_text, daemon=True)
    busy.start()
    answer = {}
    try:
        asks = threading.Thread(target=lambda: answer.update(
            built=build(jobs, tmp_path / "thread", workers=2, force=True)))
        asks.start()
        asks.join(600)
        assert not asks.is_alive(), "the build from another thread did not finish"
    finally:
        stop.set()
        busy.join()
    main = build(jobs, tmp_path / "main", workers=2, force=True)
    assert answer["built"].built == main.built == 2 and not answer["built"].errors and not main.errors
    thread, main = tmp_path / "thread" / "no-matter-how-small", tmp_path / "main" / "no-matter-how-small"
    made = sorted(p.name for p in thread.glob("*.pdf"))
    assert len(made) >= 2 and made == sorted(p.name for p in main.glob("*.pdf"))
    for name in made:
        assert (thread / name).read_bytes() == (main / name).read_bytes(), name


class Made:
    """A stand-in for a job's result (its PDF and thumbnails), which a weak reference can watch."""

    def __init__(self, size: int):
        self.pdf = b"x" * size


def _making(job, write_pdfs):
    return Made(1 << 20)


def test_the_build_lets_go_of_each_result_once_it_is_read(monkeypatch):
    """A pool's results are not held until the whole chunk is done: each job's PDF goes
    once the build has it (a 500-job chunk held about 100 MiB in the parent)."""
    import weakref

    from pipeline.build import batch

    monkeypatch.setattr(batch, "attempt", _making)
    seen, held = [], []
    for index, outcome in batch._pool([(i, None) for i in range(12)], 2, True):
        held.append(sum(ref() is not None for ref in seen))  # earlier results still in memory
        seen.append(weakref.ref(outcome))
        del outcome
    assert len(seen) == 12
    assert held == [0] * 12


def test_a_few_jobs_over_a_pool_do_not_start_fresh_workers_of_their_own(monkeypatch):
    from pipeline.build import batch

    chunks = []

    def pool(runs, workers, write_pdfs, last_try=False):
        chunks.append(len(runs))
        return []
        yield

    monkeypatch.setattr(batch, "_pool", pool)
    monkeypatch.setattr(batch, "WORKER_JOBS", 10)
    for jobs in (21, 29, 31, 60, 61):
        chunks.clear()
        list(batch._run([(i, _FakeJob()) for i in range(jobs)], [], True, 2, None))
        assert sum(chunks) == jobs and max(chunks) - min(chunks) <= 1, (jobs, chunks)
        assert len(chunks) == max(1, round(jobs / 20)), (jobs, chunks)


class _FakeJob:
    trim_mm = (100, 100)

    class spec:  # noqa: N801
        pages = 1


class _Planned:
    """A stand-in for a planned job that pickle cannot send (it holds a function)."""

    def __init__(self):
        self.made_with = lambda: None


def _making_id(job, write_pdfs):
    return id(job)


def test_workers_make_the_jobs_they_were_forked_with_not_copies(monkeypatch):
    """A job goes to its worker as its index: the worker makes the parent's own job object
    (forked with it), so the jobs of a campaign share its objects, and what the worker keeps
    by them (layouts._model_data), instead of each job arriving pickled as a copy of its own."""
    from pipeline.build import batch

    monkeypatch.setattr(batch, "attempt", _making_id)
    jobs = [_Planned() for _ in range(6)]
    made = dict(batch._pool(list(enumerate(jobs)), 2, True))
    assert made == {index: id(job) for index, job in enumerate(jobs)}
    assert not batch._forked  # let go of once the pool is done


def test_workers_forked_after_the_press_profile_was_opened_convert_colours_alike():
    """The output intent's ICC profile, opened in the build's process, is used by both
    workers forked from it at once (every transform writes the profile out): opened from
    its file, littleCMS read its tags through one shared file offset and failed
    ("Could not determine profile size") most of the time."""
    import os

    from PIL import Image, ImageCms

    from pipeline import colour
    from pipeline.paths import COLOUR

    icc = sorted(COLOUR.glob("*.icc"))[0]
    transform = colour._transform(icc, ImageCms.Intent.RELATIVE_COLORIMETRIC)
    pixel = Image.new("RGB", (1, 1), (200, 30, 120))
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:  # a worker: any failure is its exit status
            failed = 0
            for _ in range(500):
                try:
                    ImageCms.applyTransform(pixel, transform)
                except Exception:  # noqa: BLE001
                    failed += 1
            os._exit(min(failed, 1))
        children.append(pid)
    assert [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children] == [0, 0]
