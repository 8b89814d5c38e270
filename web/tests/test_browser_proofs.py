"""The live proof in a browser (Playwright driving Debian's chromium), made as in
production by a proof worker (a huey consumer here, in a thread) off the request
path: the partner types, the page asks and waits, the newest text wins; without
JavaScript the request page links to a proof page that says when to look again.
axe-core on the request page and the proof page."""
from __future__ import annotations

import base64
import io
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from PIL import Image

from pipeline import partners as pipeline_partners
from web.portal import proofs

from .conftest import PASSWORD
from .test_browser import browser, has_logo, save_screenshot  # noqa: F401  (the module's Chromium, shared)
from .test_browser_requests import axe, tab, world  # noqa: F401

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (make chromium installs it)", allow_module_level=True)

pytestmark = [pytest.mark.django_db(transaction=True)]
WAIT = 120_000  # ms: a wait for an event, never an assertion on speed


@pytest.fixture
def proof_worker(seam):
    """A proof worker on the proof queue, as `run_proofs` runs them; records what it renders."""
    rendered, real = [], pipeline_partners.proof

    def proof(draft, product, **kwargs):
        made = real(draft, product, **kwargs)
        rendered.append(draft.contact)  # once made
        return made

    seam.setattr(pipeline_partners, "proof", proof)
    huey = proofs.huey
    huey.immediate = False
    proofs.cache().clear()
    consumer = huey.create_consumer(workers=1, worker_type="thread", periodic=False, initial_delay=0.05,
                                    backoff=1.1, max_delay=0.1, check_worker_health=False)
    consumer._set_signal_handlers = lambda: None  # the test process keeps its own
    consumer.start()
    yield rendered
    consumer.stop(graceful=True)
    huey.flush()
    huey.immediate = True


def shown_pages(page, product="leaflet-dl") -> list[Image.Image]:
    from playwright.sync_api import expect

    section = page.locator(f'section[data-proof="{product}"]')
    expect(section).to_have_attribute("data-proof-state", "ready", timeout=WAIT)
    sources = [img.get_attribute("src") for img in section.locator("img").all()]
    return [Image.open(io.BytesIO(base64.b64decode(s.split(",", 1)[1]))).convert("RGB") for s in sources]


def test_live_proof_from_the_proof_worker_the_newest_text_wins(tab, world, proof_worker):
    from playwright.sync_api import expect

    req = world["request"](25, "Harbour Aid, Whitby", status="draft")
    page = tab("hana@harbour.example")
    page.goto(f"/requests/{req.pk}/edit/")
    first = shown_pages(page)
    assert len(first) == 2 and has_logo(first[0])
    # drawn at the width the page shows them (device pixels), not at a fixed resolution
    shown = page.locator('section[data-proof="leaflet-dl"] img').first.bounding_box()["width"]
    assert first[0].width >= shown and first[0].width in proofs.WIDTHS
    contact = page.get_by_label("Contact line")
    newest = "Harbour Aid, open weekdays"
    for words in ("Harbour Aid, Scarborough", "Harbour Aid, Scarborough and Whitby", newest):
        contact.fill(words)  # each change asks for a proof (350 ms after the last); the newest wins
    for _ in range(1200):  # until the proof worker has made the newest (a wait, not a measure of speed)
        if proof_worker and proof_worker[-1] == newest:
            break
        page.wait_for_timeout(100)
    assert proof_worker[-1] == newest, proof_worker
    # each text made at most once, the first and the newest among them
    assert len(set(proof_worker)) == len(proof_worker) and proof_worker[0] == "Harbour Aid, Whitby"
    section = page.locator('section[data-proof="leaflet-dl"]')
    expect(section).to_have_attribute("data-proof-state", "ready", timeout=WAIT)  # the newest, shown
    assert len(shown_pages(page)) == 2
    axe(page)


def test_the_proof_without_javascript(browser, live_server, world, proof_worker):  # noqa: F811
    from playwright.sync_api import expect

    req = world["request"](25, "Harbour Aid, Whitby", status="draft")
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url, locale="en-GB")
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Email address").fill("hana@harbour.example")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/requests/{req.pk}/edit/")
        page.get_by_role("link", name=re.compile("Proof of the DL leaflet")).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Proof: DL leaflet")
        for _ in range(60):  # the proof worker makes it meanwhile; the page never waits for it
            if page.get_by_role("button", name="Look again").count() == 0:
                break
            page.get_by_role("button", name="Look again").click()
            page.wait_for_timeout(500)
        images = page.locator("img.app-proof__page")
        expect(images).to_have_count(2)
        src = images.first.get_attribute("src")
        assert has_logo(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB"))
        proof_url = page.url
    finally:
        context.close()
    with_js = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        page = with_js.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Email address").fill("hana@harbour.example")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/requests/$"))
        page.goto(proof_url)
        axe(page)
        if os.environ.get("PORTAL_SCREENSHOTS"):
            save_screenshot(page, "09-proof-without-javascript")
    finally:
        with_js.close()
