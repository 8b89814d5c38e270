"""Proofs off the request path (web/portal/proofs.py): a page answers while the proof
worker is busy, the newest keystroke wins (older queued jobs are dropped, never
rendered), identical proofs come from a bounded cache, the pages are drawn at the
width the browser shows them, and the proof is there without JavaScript too."""
from __future__ import annotations

import base64
import datetime
import io
import threading

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from pipeline import partners as pipeline_partners
from web.portal import proofs
from web.portal.models import PrintRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def proof_queue():
    """The proof queue as in production: jobs wait for a worker (run here by hand)."""
    huey = proofs.huey
    huey.immediate = False  # a MemoryHuey: a fresh, empty in-memory queue
    proofs.cache().clear()  # request numbers start again in each test: so do proofs' keys
    yield huey
    huey.flush()
    huey.immediate = True


def work(huey) -> list[str]:
    """A proof worker's turn: every queued job, oldest first."""
    done = []
    while (task := huey.dequeue()) is not None:
        done.append(huey.execute(task))
    return done


@pytest.fixture
def renders(seam):
    """The drafts the pipeline was asked to proof (the real pipeline still proofs them)."""
    seen, real = [], pipeline_partners.proof

    def proof(draft, product, **kwargs):
        seen.append(draft)
        return real(draft, product, **kwargs)

    seam.setattr(pipeline_partners, "proof", proof)
    return seen


@pytest.fixture
def draft(org_factory, user_factory, with_logo, offer):
    org = with_logo(org_factory("Harbour Aid"))
    partner = user_factory("hana@harbour.example", org)
    req = PrintRequest.objects.create(
        organisation=org, created_by=partner, campaign=offer.slug, products=["leaflet-dl"],
        copies={"leaflet-dl": 25}, printed_name="Harbour Aid", contact="Harbour Aid, Whitby office", phone="",
        logo_file=org.logo_file, delivery_address="1 Quay, Whitby", needed_by=datetime.date(2027, 1, 15))
    client = Client()
    client.force_login(partner)
    return req, client


def typed(contact: str, width: int = 400) -> dict:
    return {"printed_name": "Harbour Aid", "contact": contact, "phone": "", "width": str(width)}


def pages_of(body: dict) -> list[Image.Image]:
    return [Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) for src in body["pages"]]


def test_pages_answer_while_the_proof_worker_is_busy(draft, proof_queue, seam, settings):
    req, client = draft
    url = reverse("proof", args=[req.pk, "leaflet-dl"])
    started, release = threading.Event(), threading.Event()
    real = pipeline_partners.proof

    def stuck(*args, **kwargs):  # the worker is busy with a proof that does not end yet
        started.set()
        assert release.wait(120)
        return real(*args, **kwargs)

    seam.setattr(pipeline_partners, "proof", stuck)
    queued = client.post(url, typed("Harbour Aid, Whitby"))
    assert queued.status_code == 202 and queued.json()["state"] == "queued"
    worker = threading.Thread(target=work, args=(proof_queue,))
    worker.start()
    try:
        assert started.wait(60)
        # the request page, the request list and a new proof answer while it renders
        assert client.get(reverse("request-edit", args=[req.pk])).status_code == 200
        assert client.get(reverse("requests")).status_code == 200
        assert client.post(url, typed("Harbour Aid, Scarborough")).status_code == 202
        settings.PROOF_WAIT = 0
        assert client.get(queued.json()["result"]).status_code == 202  # still being made: ask again
    finally:
        release.set()
        worker.join(120)
    settings.PROOF_WAIT = 5
    # the first, already being made when the second came, is finished; the worker took the second next
    assert client.get(queued.json()["result"]).status_code == 200
    newest = client.post(url, typed("Harbour Aid, Scarborough"))
    assert newest.status_code == 200, "the newest proof is in the cache"
    pages = pages_of(newest.json())
    assert len(pages) == 2 and all(p.width == 400 for p in pages)


def test_the_newest_keystroke_wins_and_stale_jobs_are_dropped(draft, proof_queue, renders):
    req, client = draft
    url = reverse("proof", args=[req.pk, "leaflet-dl"])
    tickets = [client.post(url, typed(contact)).json()["result"]
               for contact in ("Harbour Aid, W", "Harbour Aid, Wh", "Harbour Aid, Whitby")]
    assert proof_queue.pending_count() == 3
    assert work(proof_queue) == ["dropped", "dropped", "made"]
    assert [d.contact for d in renders] == ["Harbour Aid, Whitby"], "only the newest was rendered"
    assert [client.get(t).status_code for t in tickets] == [410, 410, 200]
    body = client.get(tickets[-1]).json()
    assert len(pages_of(body)) == 2 and body["name"].startswith("DL leaflet")  # as products.yaml names it


def test_identical_proofs_come_from_the_cache(draft, proof_queue, renders):
    req, client = draft
    url = reverse("proof", args=[req.pk, "leaflet-dl"])
    first = client.post(url, typed("Harbour Aid, Whitby"))
    again = client.post(url, typed("Harbour Aid, Whitby"))  # asked twice before a worker is free: one job
    assert first.status_code == again.status_code == 202 and proof_queue.pending_count() == 1
    work(proof_queue)
    cached = client.post(url, typed("Harbour Aid, Whitby"))
    assert cached.status_code == 200 and len(renders) == 1
    assert client.get(first.json()["result"]).content == cached.content


def test_the_proof_cache_is_bounded(draft, proof_queue, seam, settings):
    req, client = draft
    settings.CACHES = {**settings.CACHES, "proofs": {**settings.CACHES["proofs"], "LOCATION": "bounded",
                                                     "OPTIONS": {"MAX_ENTRIES": 4}}}
    one_page = pipeline_partners.Proof([b"\x89PNG"], [])
    seam.setattr(pipeline_partners, "proof", lambda *a, **k: one_page)  # bounds, not pictures
    url = reverse("proof", args=[req.pk, "leaflet-dl"])
    sizes = []
    for n in range(12):
        assert client.post(url, typed(f"Harbour Aid, line {n}")).status_code == 202
        work(proof_queue)
        sizes.append(len(proofs.cache()._cache))
    assert max(sizes) <= 4, sizes


def test_the_proof_is_drawn_at_the_width_shown(draft, proof_queue):
    req, client = draft
    url = reverse("proof", args=[req.pk, "leaflet-dl"])
    for shown, drawn in ((390, 400), (1100, 1200)):
        ticket = client.post(url, typed("Harbour Aid, Whitby", width=shown)).json()["result"]
        work(proof_queue)
        assert {p.width for p in pages_of(client.get(ticket).json())} == {drawn}


def test_the_proof_without_javascript(draft, proof_queue):
    req, client = draft
    edit = client.get(reverse("request-edit", args=[req.pk])).content.decode()
    page_url = reverse("proof-page", args=[req.pk, "leaflet-dl"])
    assert f'href="{page_url}"' in edit, "the request page links to the proof of the saved draft"
    waiting = client.get(page_url).content.decode()
    assert "The proof is being made" in waiting and f'href="{page_url}"' in waiting  # "Look again"
    work(proof_queue)
    shown = client.get(page_url).content.decode()
    sources = [s.split('"', 1)[0] for s in shown.split('src="data:image/png;base64,')[1:]]
    assert len(sources) == 2
    assert all(Image.open(io.BytesIO(base64.b64decode(s))).width == 800 for s in sources)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_proofs_through_the_production_queue_and_cache(kind, draft, tmp_path, monkeypatch, settings):
    """As `make serve` runs it: the SQLite queue and the file cache, or Redis for both
    (skipped with the reason when no Redis answers)."""
    import secrets

    from huey import SqliteHuey
    from huey.utils import load_class

    from web.settings.base import cache_settings, proof_queue_settings

    from .test_server import REDIS_URL

    if kind == "sqlite":
        huey = SqliteHuey("portal-proofs-test", filename=str(tmp_path / "proofs.sqlite3"), results=False)
        caches = cache_settings()
        caches["proofs"]["LOCATION"] = str(tmp_path / "proof-cache")
    else:
        import redis

        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        except redis.RedisError as exc:
            pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}): the Redis proof queue is not tested here")
        config = {**proof_queue_settings(REDIS_URL), "name": f"portal-proofs-test-{secrets.token_hex(4)}"}
        huey = load_class(config.pop("huey_class"))(**config)
        caches = cache_settings(REDIS_URL)
        caches["proofs"]["KEY_PREFIX"] = f"portal-proofs-test-{secrets.token_hex(4)}"
    settings.CACHES = {**settings.CACHES, "proofs": caches["proofs"]}
    monkeypatch.setattr(proofs, "make", huey.task(context=False, name=proofs.make.name)(proofs.make.func))
    req, client = draft
    try:
        ticket = client.post(reverse("proof", args=[req.pk, "leaflet-dl"]), typed("Harbour Aid, Whitby"))
        assert ticket.status_code == 202 and huey.pending_count() == 1
        assert huey.execute(huey.dequeue()) == "made"
        made = client.get(ticket.json()["result"])
        assert made.status_code == 200 and len(pages_of(made.json())) == 2
    finally:
        huey.flush()  # its own queue name; the proof's keys (own prefix) expire by themselves
