"""What a partner and a coordinator do in a browser (Playwright driving Debian's
chromium, locators and `expect` only: the CSP refuses string evaluation), for the
request as the unit of work: two approved requests of one organisation keep their
own downloads; the queue down at approval; the date after "Save draft"; a one-time
password-reset link. axe-core on the new pages."""
from __future__ import annotations

import datetime
import hashlib
import re
import shutil
from pathlib import Path

import pytest

from web.portal.models import PrintRequest

from .conftest import PASSWORD
from .test_browser import browser  # noqa: F401  (the module's Chromium, shared)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (make chromium installs it)", allow_module_level=True)

pytestmark = [pytest.mark.django_db(transaction=True)]
BUILD_TIMEOUT = 120_000  # ms: a wait for an event, never an assertion on speed


@pytest.fixture
def tab(browser, live_server):
    contexts = []

    def open_tab(email: str | None = None, password: str = PASSWORD):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True,
                                      locale="en-GB", base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        if email:
            page.goto("/accounts/login/")
            page.get_by_label("Email address").fill(email)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(re.compile(r"/(queue|requests)/$"))
        return page

    yield open_tab
    for context in contexts:
        context.close()


def axe(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("networkidle")
    results = Axe().run(page, options={"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}})
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on {page.url}: " + "; ".join(f"{v['id']}: {v['help']}" for v in bad)


@pytest.fixture
def world(org_factory, user_factory, with_logo, offer):
    org = with_logo(org_factory("Harbour Aid"))
    partner = user_factory("hana@harbour.example", org)
    user_factory("cora@police.example", coordinator=True)

    def request(copies: int, contact: str, status=PrintRequest.Status.SUBMITTED):
        return PrintRequest.objects.create(
            organisation=org, created_by=partner, campaign=offer.slug, products=["leaflet-dl"],
            copies={"leaflet-dl": copies}, printed_name="Harbour Aid", contact=contact, phone="",
            logo_file=org.logo_file, delivery_address="1 Quay, Whitby", needed_by=datetime.date(2027, 1, 15),
            status=status)

    return {"org": org, "partner": partner, "request": request}


def approve(page, req) -> None:
    from playwright.sync_api import expect

    page.goto(f"/requests/{req.pk}/")
    page.get_by_label(re.compile("^Approve")).check()
    page.get_by_role("button", name="Send decision").click()
    expect(page.get_by_text("For your website and email")).to_be_visible(timeout=BUILD_TIMEOUT)


def download_screen_pdf(page, req, tmp_path) -> bytes:
    page.goto(f"/requests/{req.pk}/")
    link = page.locator("a[download]", has_text="-screen.pdf")
    with page.expect_download() as info:
        link.click()
    target = tmp_path / f"request-{req.pk}-{info.value.suggested_filename}"
    info.value.save_as(target)
    return target.read_bytes()


def test_two_requests_of_one_organisation_keep_their_own_downloads(world, tab, tmp_path):
    """As in the issue: the newer request approved first, then the older one."""
    older, newer = world["request"](100, "Harbour Aid, Scarborough office"), world["request"](25, "Harbour Aid, Whitby")
    coordinator, partner = tab("cora@police.example"), tab("hana@harbour.example")
    approve(coordinator, newer)
    newer_pdf = download_screen_pdf(partner, newer, tmp_path)
    approve(coordinator, older)
    older_pdf = download_screen_pdf(partner, older, tmp_path)
    assert hashlib.sha256(newer_pdf).hexdigest() != hashlib.sha256(older_pdf).hexdigest()
    assert download_screen_pdf(partner, newer, tmp_path) == newer_pdf  # the first approval's file, unchanged
    for req, copies in ((newer, "25"), (older, "100")):
        partner.goto(f"/requests/{req.pk}/")
        row = partner.locator("table tr", has_text=".pdf").filter(has_not_text="screen")
        assert row.locator("td").last.inner_text().strip() == copies


def test_queue_down_at_approval_says_so_and_approving_again_works(world, tab, settings, monkeypatch):
    from huey.utils import load_class
    from playwright.sync_api import expect

    from web.portal import tasks
    from web.settings.base import cache_settings, huey_settings

    from .test_requests import _closed_port

    req = world["request"](25, "Harbour Aid, Whitby")
    url = f"redis://127.0.0.1:{_closed_port()}/0"  # the production configuration, nobody listening
    config = huey_settings(url)
    monkeypatch.setattr(tasks.build_request, "huey",
                        load_class(config["huey_class"])(config["name"], url=config["url"], immediate=False))
    settings.CACHES = cache_settings(url)

    page = tab("cora@police.example")
    page.goto(f"/requests/{req.pk}/")
    page.get_by_label(re.compile("^Approve")).check()
    page.get_by_role("button", name="Send decision").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The build queue cannot be reached")
    expect(summary).to_contain_text("still waiting for review")
    expect(page.locator(".app-status")).to_contain_text("Waiting for review")
    axe(page)

    monkeypatch.undo()  # the queue is back: the same decision again
    approve(page, req)
    req.refresh_from_db()
    assert req.status == PrintRequest.Status.BUILT, req.build_error


def test_needed_by_date_survives_save_draft(world, tab):
    from playwright.sync_api import expect

    req = world["request"](25, "Harbour Aid, Whitby", status=PrintRequest.Status.DRAFT)
    page = tab("hana@harbour.example")
    page.goto(f"/requests/{req.pk}/edit/")
    needed = (datetime.date.today() + datetime.timedelta(days=45)).isoformat()
    page.get_by_label("Needed by").fill(needed)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_label("Needed by")).to_have_value(needed)
    # a redisplay with an error keeps it too
    page.get_by_label("Delivery address").fill("")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Delivery address")
    expect(page.get_by_label("Needed by")).to_have_value(needed)


def test_password_reset_link_works_once(world, tab, settings, live_server):
    from playwright.sync_api import expect

    settings.PORTAL_BASE_URL = live_server.url  # the address the portal is served on

    coordinator = tab("cora@police.example")
    coordinator.goto("/organisations/")
    coordinator.get_by_role("button", name="Send a password-reset link to hana@harbour.example").click()
    link = coordinator.locator("#reset-link").get_attribute("href")
    axe(coordinator)

    visitor = tab()
    visitor.goto(link)
    expect(visitor.get_by_role("heading", name="Choose a new password")).to_be_visible()
    axe(visitor)
    visitor.get_by_label("Choose a new password").fill("a new passphrase for hana")
    visitor.get_by_label("Type the new password again").fill("a new passphrase for hana")
    visitor.get_by_role("button", name="Set the new password").click()
    visitor.wait_for_url(re.compile(r"/requests/$"))
    visitor.goto(link)
    expect(visitor.get_by_role("heading", name="This link does not work")).to_be_visible()
    tab("hana@harbour.example", password="a new passphrase for hana")  # signs in with the new one
