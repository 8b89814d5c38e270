"""Behind a TLS-terminating reverse proxy (nginx, Caddy, ...). Needs from the environment:

    DJANGO_SECRET_KEY     at least 50 random characters
    ALLOWED_HOSTS         e.g. print.example.org
    CSRF_TRUSTED_ORIGINS  e.g. https://print.example.org
    PORTAL_BASE_URL       e.g. https://print.example.org (for invitation links)
    DATABASE_URL, REDIS_URL (see base.py)
"""
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("set DJANGO_SECRET_KEY to at least 50 random characters, e.g. "
                               "python -c 'import secrets; print(secrets.token_urlsafe(50))'")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
