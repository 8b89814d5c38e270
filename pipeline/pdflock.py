"""PDFium (pypdfium2) is not thread-safe: two threads of one process opening or
rendering documents at once can crash the process. The studio and a threaded web
server (the portal's live proofs under `runserver` or in the tests) render in
threads, so every use of PDFium in the pipeline holds this one lock."""
from __future__ import annotations

import threading

PDFIUM = threading.RLock()  # re-entrant: preflight holds it while the reader's eye renders
