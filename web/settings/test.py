"""The test suite: a throw-away var/ and output/, the build task run at once."""
import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import database, huey_settings

_tmp = Path(tempfile.mkdtemp(prefix="portal-test-"))
VAR = _tmp / "var"
UPLOADS_DIR = VAR / "uploads"
OUTPUT_DIR = _tmp / "output"
EMAIL_FILE_PATH = VAR / "outbox"
STATIC_ROOT = VAR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
SECRET_KEY = "test-only-" + "x" * 50
# The seal of confirmed numbers (pipeline/confirm.py): its key in the throw-away var/.
os.environ["CAMPAIGN_PRINT_CONFIRM_KEY"] = str(VAR / "confirm.key")
DATABASES = {"default": database(os.environ.get("DATABASE_URL") or "sqlite://:memory:")}
HUEY = huey_settings(immediate=True)
# Proofs made at once, inside the request (a test makes it wait for a worker: test_proofs.py)
PROOF_QUEUE = {"huey_class": "huey.MemoryHuey", "name": "portal-proofs", "results": False, "immediate": True}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
AXES_FAILURE_LIMIT = 5
# Django empties the SQLite test database with DELETE between live-server tests; the
# triggers are tested on their own (test_audit.py) and on PostgreSQL.
AUDIT_DB_TRIGGERS = False
PASSWORD_HASHERS = ["web.tests.hashers.FastArgon2PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
          "proofs": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "proofs",
                     "OPTIONS": {"MAX_ENTRIES": PROOF_CACHE_ENTRIES}}}  # noqa: F405
