"""Settings shared by every way of running the portal. Everything that differs
between machines comes from the environment, with safe local defaults:

    DATABASE_URL    default sqlite:///var/portal.sqlite3 (WAL mode); postgres://... for PostgreSQL
    REDIS_URL       when set, the build queue lives in Redis (workers on several machines);
                    otherwise in var/huey.sqlite3
    PORTAL_VAR      runtime state (database, queue, uploads, outbox); default var/
    PORTAL_OUTPUT   where builds write PDFs; default output/ (the CLI's folder)
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from pipeline.limits import LOGO_BYTES
from pipeline.paths import CONTENT, FONTS, OUTPUT, ROOT

WEB = ROOT / "web"
VAR = Path(os.environ.get("PORTAL_VAR", ROOT / "var")).resolve()
OUTPUT_DIR = Path(os.environ.get("PORTAL_OUTPUT", OUTPUT)).resolve()
CONTENT_DIR = CONTENT
UPLOADS_DIR = VAR / "uploads"  # never under a static folder: served by a permission-checked view

DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")  # local.py / test.py fill it in

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "huey.contrib.djhuey",
    "web.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "web.portal.middleware.PermissionsPolicyMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "web.urls"
WSGI_APPLICATION = "web.wsgi.application"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]


def database(url: str | None = None) -> dict:
    config = dj_database_url.parse(url or os.environ.get("DATABASE_URL") or f"sqlite:///{VAR / 'portal.sqlite3'}",
                                   conn_max_age=60, conn_health_checks=True)
    if config["ENGINE"].endswith("sqlite3"):
        config["CONN_MAX_AGE"] = 0
        # WAL: readers never wait for the writer (the queue worker writes progress while
        # pages are read); IMMEDIATE: a writing transaction takes the lock at its start
        # instead of failing half-way with "database is locked"; and waits for it up to
        # 20 s (web threads sign in and save sessions at once on a busy machine).
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
            "transaction_mode": "IMMEDIATE",
        }
    return config


DATABASES = {"default": database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"

# Argon2id at OWASP's parameters (web/portal/hashers.py); older hashes (Django's
# default Argon2, PBKDF2) still sign in and are rehashed with it at the next sign-in.
PASSWORD_HASHERS = [
    "web.portal.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login throttling
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: 5 failed sign-ins for one account from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0")) or None

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = True  # the page's scripts read the token from the form, never the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4): no inline scripts or styles anywhere. Proof
# pages arrive as data: PNGs from the proof endpoint.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": [NONE],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
    "base-uri": [NONE],
}}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR / "static"
STATICFILES_DIRS = [
    WEB / "build" / "static",  # portal.css, compiled from web/portal/static_src by `make web-assets`
    ("govuk", WEB / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
    ("fonts", FONTS),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False

# Uploads: a logo at most the pipeline's LOGO_BYTES (pipeline/limits.py, 2 MB); a
# request body without a file at most 1 MB.
FILE_UPLOAD_MAX_MEMORY_SIZE = LOGO_BYTES + 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
FILE_UPLOAD_TEMP_DIR = None

# No mail server: invitations go to files in var/outbox/ (and are shown to the coordinator).
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR / "outbox"
DEFAULT_FROM_EMAIL = os.environ.get("PORTAL_FROM_EMAIL", "portal@localhost")


def base_url(environ=os.environ) -> str:
    """The portal's address in invitation, reset and first-run links: PORTAL_BASE_URL
    when set (behind a proxy: https://print.example.org), else the address the portal
    is bound to (PORTAL_BIND, which web/serve.py binds gunicorn to)."""
    if environ.get("PORTAL_BASE_URL"):
        return environ["PORTAL_BASE_URL"].rstrip("/")
    host, _, port = environ.get("PORTAL_BIND", "127.0.0.1:8000").rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):  # every interface: this machine's name reaches one
        import socket

        host = socket.getfqdn()
    return f"http://{host}:{port}"


PORTAL_BASE_URL = base_url()
INVITATION_DAYS = 7
RESET_DAYS = 2

REDIS_URL = os.environ.get("REDIS_URL", "")


# A Redis that does not answer must fail a request in seconds, not hang it: the page
# then says which part is down (approval, /healthz) or works without it (proofs).
REDIS_TIMEOUTS = {"socket_connect_timeout": 2}


def huey_settings(redis_url: str = "", immediate: bool = False) -> dict:
    common = {"name": "portal", "immediate": immediate, "results": True,
              "consumer": {"workers": 1, "worker_type": "thread", "check_worker_health": True}}
    if redis_url:
        # huey takes a URL or connection parameters, not both: the timeout goes in the URL
        separator = "&" if "?" in redis_url else "?"
        timeouts = "&".join(f"{k}={v}" for k, v in REDIS_TIMEOUTS.items() if k not in redis_url)
        return {**common, "huey_class": "huey.RedisHuey",
                "url": redis_url + (separator + timeouts if timeouts else "")}
    return {**common, "huey_class": "huey.SqliteHuey", "filename": str(VAR / "huey.sqlite3")}


HUEY = huey_settings(REDIS_URL)


def proof_queue_settings(redis_url: str = "", immediate: bool = False) -> dict:
    """The proofs' own queue (web/portal/proofs.py), apart from the builds': a proof is
    wanted in a second, a build may take minutes. Its workers: `manage.py run_proofs`."""
    common = {"name": "portal-proofs", "immediate": immediate, "results": False}
    if redis_url:
        return {**common, "huey_class": "huey.RedisHuey", "url": huey_settings(redis_url)["url"]}
    return {**common, "huey_class": "huey.SqliteHuey", "filename": str(VAR / "proofs.sqlite3")}


PROOF_QUEUE = proof_queue_settings(REDIS_URL)
PROOF_WORKERS = int(os.environ.get("PROOF_WORKERS", "0")) or os.cpu_count() or 1
PROOF_SECONDS = 600  # a proof stays in the cache this long
PROOF_CACHE_ENTRIES = 500  # at most this many proofs in the file cache (about 100 kB each)
PROOF_WAIT = 3  # seconds a browser's request for a proof's result waits (holding a web thread), then asks again
PROOF_NICE = int(os.environ.get("PROOF_NICE", "10"))  # proof workers yield the cores to the web workers


def cache_settings(redis_url: str = "") -> dict:
    """`proofs`: proofs made (keyed by what is printed), handed from the proof workers
    to the web workers, shared by every machine when Redis is there. A partner who
    types, deletes and retypes, or a coordinator opening a request the partner just
    proofed, gets it at once. With it down, a proof is made in the request (proofs.py)."""
    if redis_url:
        redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url,
                 "OPTIONS": {**REDIS_TIMEOUTS, "socket_timeout": 2}}
        # proofs: PROOF_SECONDS each (give the Redis a maxmemory and allkeys-lru to bound it in bytes)
        return {"default": {**redis, "KEY_PREFIX": "portal"}, "proofs": {**redis, "KEY_PREFIX": "portal-proofs"}}
    files = "django.core.cache.backends.filebased.FileBasedCache"
    return {"default": {"BACKEND": files, "LOCATION": str(VAR / "cache"), "OPTIONS": {"MAX_ENTRIES": 2000}},
            "proofs": {"BACKEND": "web.portal.cache.ProofFileCache", "LOCATION": str(VAR / "proof-cache"),
                       "OPTIONS": {"MAX_ENTRIES": PROOF_CACHE_ENTRIES}}}


CACHES = cache_settings(REDIS_URL)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"web.portal": {"level": "INFO"},
                # run_huey adds its own handler: without this every line shows twice
                "huey": {"handlers": [], "level": "INFO", "propagate": False}},
}
