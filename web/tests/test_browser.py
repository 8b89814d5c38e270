"""Both flows end to end in a real browser (Playwright driving Debian's chromium):
first coordinator → invitation → partner sets a password → logo → live proof →
submit → coordinator approves with the phone confirmation → build → partner
downloads the screen PDF, whose QR decodes to the campaign's URL and whose raster
shows the logo. axe-core runs on every page on the way.

PORTAL_SCREENSHOTS=1 also writes docs/screenshots/*.png for the README."""
from __future__ import annotations

import base64
import io
import os
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pipeline.paths import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "docs" / "screenshots"
LOGO_RGB = (200, 30, 120)  # conftest.png_logo's colour

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (make chromium installs it)", allow_module_level=True)

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop here
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            yield b
            b.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


class Pages:
    """A signed-in person's browser tab; checks every page it lands on with axe-core."""

    def __init__(self, browser, base: str, who: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True,
                                           locale="en-GB")
        self.page = self.context.new_page()
        self.base, self.who = base, who
        self.console_errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def go(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def check(self, shot: str | None = None):
        from axe_playwright_python.sync_playwright import Axe

        page = self.page
        page.wait_for_load_state("networkidle")
        results = Axe().run(page, options={"resultTypes": ["violations"],
                                           "runOnly": {"type": "tag", "values": [
                                               "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                               "best-practice"]}})
        bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, f"axe on {page.url}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in bad)
        assert not [e for e in self.console_errors if "Content Security Policy" in e], self.console_errors
        if shot and os.environ.get("PORTAL_SCREENSHOTS"):
            save_screenshot(page, shot)


def save_screenshot(page, name: str) -> None:
    from PIL import Image

    SHOTS.mkdir(parents=True, exist_ok=True)
    focused = page.locator(":focus")
    if focused.count():
        focused.first.blur()
    page.mouse.wheel(0, -100_000)  # back to the top
    png = page.screenshot(full_page=True)
    img = Image.open(io.BytesIO(png)).convert("RGB")
    img = img.crop((0, 0, img.width, min(img.height, 1600)))
    img.thumbnail((960, 1200))
    img.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(SHOTS / f"{name}.png", optimize=True)


def proof_images(page, product: str) -> list:
    from PIL import Image

    # Locators and expect only: the portal's CSP (script-src 'self') refuses a string
    # evaluated as JavaScript, which is what page.wait_for_function("...") polls with.
    section = page.locator(f'section[data-proof="{product}"]')
    expect(section).to_have_attribute("data-proof-state", "ready", timeout=30_000)
    images = section.locator("img")
    expect(images.first).to_be_visible()
    sources = [img.get_attribute("src") for img in images.all()]
    return [Image.open(io.BytesIO(base64.b64decode(s.split(",", 1)[1]))).convert("RGB") for s in sources]


def has_logo(image, tolerance: int = 40, at_least: int = 50) -> bool:
    pixels = image.get_flattened_data() if hasattr(image, "get_flattened_data") else image.getdata()
    return sum(1 for p in pixels if all(abs(a - b) <= tolerance for a, b in zip(p, LOGO_RGB))) >= at_least


def test_invite_proof_submit_approve_build_download(browser, live_server, tmp_path, settings, mailoutbox):
    from django.core.management import call_command

    from web.portal.models import AuditEvent, PrintRequest

    from .conftest import png_logo

    settings.PORTAL_BASE_URL = live_server.url
    base = live_server.url
    out = io.StringIO()
    call_command("portal_firstrun", stdout=out)
    first_link = re.search(r"(http\S+/invitation/\S+/)", out.getvalue()).group(1)

    # -- the first coordinator, from the link `make serve` prints
    coord = Pages(browser, base, "coordinator")
    page = coord.page
    page.goto(first_link)
    coord.check("01-create-account")
    page.get_by_label("Your first name").fill("Casey")
    page.get_by_label("Your last name").fill("Coordinator")
    page.get_by_label("Choose a password").fill("a long coordinator passphrase")
    page.get_by_label("Type the password again").fill("a long coordinator passphrase")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/queue/$"))
    coord.check("02-queue-empty")

    # -- invites a partner
    coord.go("/organisations/")
    page.get_by_label("Name of a new organisation", exact=True).fill("York Women's Aid")
    page.get_by_label("Short name of a new organisation").fill(f"ywa-{os.getpid()}")
    page.get_by_label("Email address of the person to invite").fill("pat@ywa.example")
    page.get_by_role("button", name="Make invitation").click()
    link = page.locator("#invitation-link").get_attribute("href")
    assert "/invitation/" in link
    coord.check("03-invite")
    # the tests swap the file outbox (var/outbox/) for memory
    assert [m.to for m in mailoutbox] == [["pat@ywa.example"]] and link in mailoutbox[0].body

    # -- the partner sets a password
    partner = Pages(browser, base, "partner")
    pp = partner.page
    pp.goto(link)
    assert "York Women's Aid" in pp.content()
    pp.get_by_label("Your first name").fill("Pat")
    pp.get_by_label("Your last name").fill("Partner")
    pp.get_by_label("Choose a password").fill("pat's own long passphrase")
    pp.get_by_label("Type the password again").fill("pat's own long passphrase")
    pp.get_by_role("button", name="Create account").click()
    pp.wait_for_url(re.compile(r"/requests/$"))
    partner.check("04-requests-empty")

    # -- uploads a logo
    partner.go("/organisation/")
    pp.get_by_label("Contact line").fill("York Women's Aid, Monday to Friday 9am to 5pm")
    logo_file = tmp_path / "our-logo.png"
    logo_file.write_bytes(png_logo())
    pp.get_by_label("Logo", exact=True).set_input_files(str(logo_file))
    pp.get_by_role("button", name="Save").click()
    expect(pp.locator("#logo-preview")).to_have_js_property("naturalWidth", 600, timeout=30_000)  # loaded
    partner.check("05-organisation")

    # -- a request, with the live proof
    partner.go("/requests/new/")
    partner.check("06-choose-campaign")
    pp.get_by_role("button", name="Continue").click()
    pp.wait_for_url(re.compile(r"/requests/\d+/edit/$"))
    pp.get_by_role("checkbox", name=re.compile("^DL leaflet")).check()
    pages = proof_images(pp, "leaflet-dl")
    assert len(pages) == 2 and any(has_logo(p) for p in pages), "the proof does not show the logo"
    number = "01904 555 123"
    pp.get_by_label("Contact line").fill(f"York Women's Aid, call {number}")
    pp.locator('section[data-proof="leaflet-dl"] .app-problem', has_text=number).wait_for(timeout=30_000)
    pp.get_by_label("Copies of the DL leaflet").fill("500")
    pp.get_by_label("Delivery address").fill("York Women's Aid\n1 Example Street\nYork YO1 1AA")
    pp.get_by_label("Needed by").fill((date.today() + timedelta(days=30)).isoformat())
    proof_images(pp, "leaflet-dl")
    partner.check("07-request-live-proof")
    pp.get_by_role("button", name="Send for approval").click()
    pp.wait_for_url(re.compile(r"/requests/\d+/$"))
    assert "Waiting for review" in pp.content()
    request_url = pp.url
    partner.check()

    # -- the coordinator reviews: the number must be confirmed
    coord.go("/queue/")
    page.get_by_role("link", name=re.compile(r"Request \d+")).first.click()
    proof_images(page, "leaflet-dl")
    assert number in page.content()
    coord.check("08-review")
    page.get_by_label(re.compile("Approve")).check()
    page.get_by_role("button", name="Send decision").click()
    assert "Confirm each phone number" in page.content()
    page.get_by_label(re.compile(re.escape(number) + " is right")).check()
    page.get_by_label(re.compile("Approve")).check()
    page.get_by_role("button", name="Send decision").click()
    page.wait_for_url(re.compile(r"/requests/\d+/$"))
    page.get_by_text("For your website and email").wait_for(timeout=120_000)
    req = PrintRequest.objects.get()
    assert req.status == PrintRequest.Status.BUILT, req.build_error
    assert req.confirmed_numbers == [number]
    coord.check("09-approved")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["approved", "built"], actions

    # -- the partner downloads the screen PDF
    pp.goto(request_url)
    partner.check("10-files")
    link = pp.locator("a[download]", has_text="leaflet-dl-screen.pdf")
    with pp.expect_download() as info:
        link.click()
    pdf = tmp_path / "download.pdf"
    info.value.save_as(pdf)
    check_screen_pdf(pdf)

    # -- and the audit log
    coord.go("/audit/")
    coord.check("11-audit")

    # -- signing in (and a wrong password), for someone signed out
    visitor = Pages(browser, base, "visitor")
    vp = visitor.go("/accounts/login/")
    visitor.check("00-sign-in")
    vp.get_by_label("Email address").fill("pat@ywa.example")
    vp.get_by_label("Password").fill("not the password")
    vp.get_by_role("button", name="Sign in").click()
    vp.get_by_text("There is a problem").wait_for()
    visitor.check()
    vp.get_by_label("Password").fill("pat's own long passphrase")
    vp.get_by_role("button", name="Sign in").click()
    vp.wait_for_url(re.compile(r"/requests/$"))
    visitor.go("/no-such-page/")
    visitor.check()
    for tab in (coord, partner, visitor):
        tab.context.close()


def check_screen_pdf(path: Path) -> None:
    import pypdfium2 as pdfium
    import zxingcpp

    document = pdfium.PdfDocument(str(path))
    found_logo, decoded = False, []
    for page in document:
        image = page.render(scale=200 / 72).to_pil().convert("RGB")
        found_logo = found_logo or has_logo(image)
        decoded += [r.text for r in zxingcpp.read_barcodes(image)]
    document.close()
    campaign_url = "https://www.northyorkshire.police.uk/stalking"
    assert decoded and all(t.startswith(campaign_url) for t in decoded), decoded
    assert found_logo, "the screen PDF's raster does not show the logo"
