"""PDFium is not thread-safe: every document the pipeline opens with it is opened
under the one lock (pipeline/pdflock.py), so the studio's and a threaded server's
renders cannot crash each other."""
from __future__ import annotations

import pypdfium2

from pipeline.cli import main
from pipeline.pdflock import PDFIUM

from .conftest import DEFAULT_CAMPAIGN


def test_every_pdfium_document_is_opened_under_the_lock(tmp_path, monkeypatch):
    opened = []
    real = pypdfium2.PdfDocument

    def guarded(*args, **kwargs):
        opened.append(PDFIUM._is_owned())
        return real(*args, **kwargs)

    monkeypatch.setattr(pypdfium2, "PdfDocument", guarded)
    # A build in this process (--jobs 1): copyfitting's page views, preflight, thumbnails.
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(tmp_path / "out"), "--jobs", "1",
                 "--only", "wallet-card", "--district", "none", "--partner", "none", "--language", "none",
                 "--profile", "press"]) == 0
    # Proof rasters, as the studio and the portal make them.
    assert main(["proof", str(DEFAULT_CAMPAIGN), "--out", str(tmp_path / "proofs"), "--only", "wallet-card",
                 "--district", "none", "--partner", "none", "--language", "none"]) == 0
    # The change review's reading of each page (approved.py), here with --jobs 1.
    opened_before = len(opened)
    assert main(["proof", str(DEFAULT_CAMPAIGN), "--review", "--jobs", "1", "--only", "wallet-card",
                 "--district", "none", "--partner", "none", "--language", "none"]) in (0, 1)
    assert len(opened) > opened_before
    assert len(opened) >= 3 and all(opened), opened


def test_a_fork_waits_for_pdfium_and_the_child_starts_with_the_lock_free():
    import os
    import threading

    inside, release = threading.Event(), threading.Event()

    def render_in_a_thread():
        with PDFIUM:
            inside.set()
            release.wait(30)

    thread = threading.Thread(target=render_in_a_thread)
    thread.start()
    inside.wait(30)
    forked = []

    def fork():
        pid = os.fork()
        if pid == 0:  # the child: the lock must be free here
            os._exit(7 if PDFIUM._lock.acquire(timeout=10) else 3)
        forked.append(pid)

    forker = threading.Thread(target=fork)
    forker.start()
    forker.join(0.5)
    waited = forker.is_alive() and not forked  # the fork waits while another thread renders
    release.set()
    forker.join(30)
    thread.join(30)
    _, status = os.waitpid(forked[0], 0)
    assert waited and os.waitstatus_to_exitcode(status) == 7
