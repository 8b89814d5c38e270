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
    assert len(opened) >= 3 and all(opened), opened
