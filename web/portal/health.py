"""`GET /healthz`: the state of the database, the queues and the proofs' cache, for a
load balancer or a person (HTTP 503 when the database or the build queue is down)."""
from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import proofs
from .tasks import build_request


@require_GET
@never_cache
def healthz(request):
    state = {"database": {"ok": False, "vendor": connection.vendor}, "queue": {"ok": False},
             "cache": {"ok": False}}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        state["database"]["ok"] = True
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode")
                state["database"]["journal_mode"] = cursor.fetchone()[0]
    except Exception as exc:
        state["database"]["error"] = _why(exc)
    try:
        huey = build_request.huey
        state["queue"].update(storage=type(huey.storage).__name__, pending=huey.pending_count(),
                              immediate=huey.immediate)
        state["queue"]["ok"] = True
    except Exception as exc:
        state["queue"]["error"] = _why(exc)
    try:  # the proof workers' queue: its backlog (down, proofs are made in the request)
        state["queue"]["proofs_pending"] = proofs.huey.pending_count()
    except Exception as exc:
        state["queue"]["proofs_error"] = _why(exc)
    try:  # proofs work without it (slower): reported, but not a reason for 503
        store = proofs.cache()
        state["cache"]["backend"] = type(store).__name__
        store.set("healthz", "ok", 10)
        state["cache"]["ok"] = store.get("healthz") == "ok"
    except Exception as exc:
        state["cache"]["error"] = _why(exc)
    state["ok"] = state["database"]["ok"] and state["queue"]["ok"]
    state["down"] = [part for part in ("database", "queue", "cache") if not state[part]["ok"]]
    return JsonResponse(state, status=200 if state["ok"] else 503)


def _why(exc: Exception) -> str:
    """The kind of failure only: /healthz answers anyone, so no host names or addresses."""
    return type(exc).__name__
