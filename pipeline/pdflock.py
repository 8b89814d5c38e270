"""PDFium (pypdfium2) is not thread-safe: two threads of one process opening or
rendering documents at once can crash the process. The studio and a threaded web
server (the portal's live proofs under `runserver` or in the tests) render in
threads, so every use of PDFium in the pipeline holds this one lock.

WeasyPrint's text layout (Pango, GLib, fontconfig) holds this lock too: it may run
in threads at once, but a fork copies the locks another thread holds inside GLib or
Pango, and the child then waits on them for ever (a browser test hung so: a build
approved in one request's thread forked while a proof was laid out in another's).

A build forks its workers; a fork waits until no thread is inside PDFium or Pango
(so the child never inherits either mid-render) and the child starts with the lock
free. One lock for both, so no two threads can take them in opposite orders."""
from __future__ import annotations

import os
import threading


class _PdfiumLock:
    def __init__(self):
        self._lock = threading.RLock()  # re-entrant: preflight holds it while the reader's eye renders

    def __enter__(self):
        self._lock.acquire()
        return self

    def __exit__(self, *exc):
        self._lock.release()

    def _is_owned(self) -> bool:
        return self._lock._is_owned()

    def _after_fork_in_child(self) -> None:
        self._lock = threading.RLock()  # the threads that held it are not in the child


PDFIUM = _PdfiumLock()
os.register_at_fork(before=PDFIUM.__enter__, after_in_parent=lambda: PDFIUM.__exit__(),
                    after_in_child=PDFIUM._after_fork_in_child)
