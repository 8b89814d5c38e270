"""`make serve`: the production server on 127.0.0.1 over plain HTTP (no TLS here, so
no secure-only cookies). The secret key is made once and kept in var/secret_key."""
import os
import secrets

from .base import *  # noqa: F401,F403
from .base import VAR

if not SECRET_KEY:  # noqa: F405
    VAR.mkdir(parents=True, exist_ok=True)
    _key_file = VAR / "secret_key"
    if not _key_file.exists():
        fd = os.open(_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    SECRET_KEY = _key_file.read_text().strip()
