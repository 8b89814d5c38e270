"""The proofs' file cache (settings `proofs` without Redis): Django's file cache with
its values stored, not compressed. A proof is PNG pages in base64, which zlib's
default level shrinks by a quarter for 10 ms of the proof worker's CPU a proof (a
tenth of making a DL proof), and every web thread handing it over inflates it again."""
from __future__ import annotations

import pickle
import zlib

from django.core.cache.backends.filebased import FileBasedCache


class ProofFileCache(FileBasedCache):
    def _write_content(self, file, timeout, value):
        # As Django's, at level 0: still a zlib stream, so its reads are unchanged.
        file.write(pickle.dumps(self.get_backend_timeout(timeout), self.pickle_protocol))
        file.write(zlib.compress(pickle.dumps(value, self.pickle_protocol), 0))
