"""Proofs off the request path: a partner's proof is made by the proof workers
(`manage.py run_proofs`, started by `make serve`), never inside a page request.

    ask(request_id, printed, product, width, slot)  a Ticket: the proof's JSON at once
                            when an identical proof is in the cache, else its key
    wait(key, seconds)      the proof's JSON once made (the web thread sleeps between
                            looks; it renders nothing)

The newest keystroke wins: a live proof is the latest of its slot (one request's
product); a queued job whose slot has a newer one is dropped before it renders.
Identical proofs (same request, text, logo, product and width) come from the
`proofs` cache, bounded (settings.PROOF_CACHE_ENTRIES, or PROOF_SECONDS each on Redis).
With the queue or that cache down, the proof is made in the request, as a last resort.
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import json
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from huey.utils import load_class

from pipeline.build.worker import give_back_memory

from . import printing

log = logging.getLogger(__name__)
PENDING_SECONDS = 120  # a job not done by then is taken as lost (its worker died)
LOOK_EVERY = 0.05  # seconds between a waiting thread's looks at the cache (at "still pending?": 10 times less)


def _huey():
    config = dict(settings.PROOF_QUEUE)
    return load_class(config.pop("huey_class"))(**config)


huey = _huey()


def cache():
    return caches["proofs"]


@dataclass(frozen=True)
class Ticket:
    key: str
    body: str | None = None  # the proof's JSON, when it is ready


# Widths in pixels a proof's pages are drawn at: the one at or above the width the
# page shows them at (CSS pixels times the screen's pixel ratio), so few sizes are cached.
WIDTHS = (400, 600, 800, 1200)


def width_for(asked) -> int:
    """The proof width for what the browser says it shows (800 when it does not say)."""
    try:
        shown = int(asked)
    except (TypeError, ValueError):
        return 800
    return next((w for w in WIDTHS if w >= shown), WIDTHS[-1])


def proof_key(request_id: int, printed: printing.Printed, product: str, width: int) -> str:
    digest = hashlib.sha256(repr((printed, product, width)).encode()).hexdigest()[:40]
    return f"{request_id}-{product}-{digest}"


def ask(request_id: int, printed: printing.Printed, product: str, width: int, slot: str | None = None) -> Ticket:
    """The proof, or its key while a proof worker makes it. `slot` (live proofs):
    this proof becomes the slot's latest and older queued ones are dropped."""
    key = proof_key(request_id, printed, product, width)
    store = cache()
    try:
        body = store.get("proof:" + key)
        if body is not None:
            return Ticket(key, body)
        if slot:
            store.set("latest:" + slot, key, PENDING_SECONDS)
        if not store.add("pending:" + key, 1, PENDING_SECONDS):
            return Ticket(key)  # already queued or being made
    except Exception as exc:  # the cache is down: no way to hand the proof over
        log.warning("proof cache unreachable, proof made in the request: %s", exc)
        return Ticket(key, render(printed, product, width))
    try:
        make(key, printed, product, width, slot)
    except Exception as exc:  # the queue is down
        log.warning("proof queue unreachable, proof made in the request: %s", exc)
        store.delete("pending:" + key)
        return Ticket(key, render(printed, product, width))
    return Ticket(key, store.get("proof:" + key))  # made at once in immediate mode (tests)


def result(key: str) -> str | None:
    return cache().get("proof:" + key)


def pending(key: str) -> bool:
    """Queued or being made (False: made, dropped or lost: ask again)."""
    return cache().get("pending:" + key) is not None


def wait(key: str, seconds: float) -> str | None:
    """The proof's JSON as soon as it is made, or None after `seconds` or when
    nothing is making it (dropped for a newer one, or lost)."""
    end = time.monotonic() + seconds
    for look in itertools.count():
        body = result(key)
        if body is not None:
            return body
        if time.monotonic() >= end or (look % 10 == 0 and not pending(key)):
            return result(key)
        time.sleep(LOOK_EVERY)


def render(printed: printing.Printed, product: str, width: int) -> str:
    pages, problems = printing.proof(printed, product, width)
    return json.dumps({
        "product": product, "name": printing.product_name(product),
        "pages": ["data:image/png;base64," + base64.b64encode(p).decode() for p in pages],
        "problems": problems,
    })


@huey.task(context=False)
def make(key: str, printed: printing.Printed, product: str, width: int, slot: str | None) -> str:
    """In a proof worker: make the proof unless a newer one of its slot came first."""
    store = cache()
    try:
        if slot and store.get("latest:" + slot) not in (None, key):
            return "dropped"
        if store.get("proof:" + key) is None:
            store.set("proof:" + key, render(printed, product, width), settings.PROOF_SECONDS)
        return "made"
    finally:
        store.delete("pending:" + key)
        give_back_memory()  # a proof's rasters freed: the worker's RSS follows what it holds
