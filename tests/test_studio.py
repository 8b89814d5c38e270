"""The designer studio, end to end: `campaign-print studio` on a copy of the layouts,
driven by a real browser (Playwright, Debian's chromium) and over plain HTTP.

STUDIO_SCREENSHOTS=1 also writes docs/screenshots/studio-*.png for the README."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import DEFAULT_CAMPAIGN, ROOT, wait_until
from .test_preflight import layouts_copy

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "docs" / "screenshots"
CLI = Path(sys.executable).parent / "campaign-print"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def studio(layouts: Path, content: Path = DEFAULT_CAMPAIGN):
    """A studio process on a free port; yields its base URL; stops it after."""
    port = free_port()
    process = subprocess.Popen([str(CLI), "studio", str(content), "--layouts", str(layouts), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/state/poster-a3.json", timeout=60).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the studio did not start:\n{process.stdout.read()}")
                time.sleep(0.2)
        yield base
        assert process.poll() is None, "the studio died"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def append(path: Path, css: str) -> None:
    path.write_text(path.read_text() + f"\n{css}\n")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def test_fixed_urls_events_and_a_server_that_survives_mistakes(tmp_path):
    layouts = layouts_copy(tmp_path, {})
    with studio(layouts) as base:
        png = get(base + "/proof/poster-a3/1.png")
        assert png.startswith(b"\x89PNG")
        state = json.loads(get(base + "/state/poster-a3.json"))
        assert state["guides"]["trim"] == [3.0, 3.0, 297.0, 420.0] and state["guides"]["qr"]
        leaflet = json.loads(get(base + "/state/leaflet-dl.json"))
        assert leaflet["guides"]["folds"] == [[100.0, 200.0], [103.0, 203.0]]
        for missing in ("/proof/poster-a3/2.png", "/proof/nothing/1.png", "/state/nothing.json"):
            with pytest.raises(urllib.error.HTTPError) as caught:
                get(base + missing)
            assert caught.value.code == 404

        # One event per re-render, naming the output; only what the save affects.
        events = urllib.request.urlopen(base + "/events?show=poster-a3&show=leaflet-a5", timeout=30)
        assert events.readline().startswith(b"retry:")
        leaflet_version = json.loads(get(base + "/state/leaflet-a5.json"))["version"]
        append(layouts / "poster-a3.css", "html { font-size: 14pt; }")
        named = read_event(events, lambda e: "poster-a3" in e["outputs"])
        assert named["outputs"] == ["poster-a3"] and named["states"]["poster-a3"]["version"] == 2
        assert get(base + "/proof/poster-a3/1.png") != png
        assert json.loads(get(base + "/state/leaflet-a5.json"))["version"] == leaflet_version

        # A broken products.yaml: shown, nothing dies, fixed by the next save.
        original = (layouts / "products.yaml").read_text()
        (layouts / "products.yaml").write_text(original.replace("pages: 1", "pages: one", 1))
        broken = read_event(events, lambda e: e["states"].get("poster-a3", {}).get("error"))
        assert "products.yaml" in broken["states"]["poster-a3"]["error"][0]["text"]
        (layouts / "products.yaml").write_text(original)
        wait_until(lambda: json.loads(get(base + "/state/poster-a3.json"))["error"] == [],
                   "the studio to clear the products.yaml error after the fix")
        events.close()


def read_event(stream, wanted) -> dict:
    """The data of the next `render` event on a Server-Sent Events stream that is `wanted`.
    Gives up after 20 keep-alive comments (one each 15 s of silence): never a silent hang."""
    event, silences = None, 0
    for raw in stream:
        line = raw.decode().rstrip("\n")
        if line.startswith(":"):
            silences += 1
            if silences >= 20:
                break
        elif line == "event: render":
            event = "render"
        elif line.startswith("data: ") and event:
            data = json.loads(line[6:])
            if wanted(data):
                return data
    raise AssertionError("no awaited render event on the studio's event stream (it ended, or stayed silent)")


# ---------------------------------------------------------------- in a browser

@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make chromium installs it)")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as env:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop here
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            yield b
            b.close()


def no_serious_violations(page, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, f"{name}: " + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in serious)


def screenshot(page, name: str) -> None:
    if not os.environ.get("STUDIO_SCREENSHOTS"):
        return
    from PIL import Image

    SHOTS.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    image.quantize(96).save(SHOTS / f"studio-{name}.png", optimize=True)


def version(page, key: str) -> int:
    return int(page.get_attribute(f'figure.sheet[data-key="{key}"]', "data-version") or 0)


def wait_version(page, key: str, above: int, timeout_s: float = 30) -> int:
    """Until the sheet shows a render newer than `above` (versions only grow). A locator,
    not wait_for_function: the studio's CSP (script-src 'self') refuses evaluated strings."""
    sheet = page.locator(f'figure.sheet[data-key="{key}"]').first  # page 1 of the output
    expect(sheet).to_have_attribute("data-version", re.compile(rf"^(?!{above}$)[0-9]+$"), timeout=timeout_s * 1000)
    return version(page, key)


def test_studio_in_a_browser(tmp_path, browser):
    layouts = layouts_copy(tmp_path, {})
    with studio(layouts) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/?product=poster")
        wait_version(page, "poster-a3", 0)
        page.wait_for_selector('figure.sheet[data-key="poster-a3"] .guide.qr', state="attached")
        no_serious_violations(page, "proofs")
        screenshot(page, "proofs")

        # Change a colour: the image changes by itself, without a reload.
        loads = []
        page.on("load", lambda _: loads.append(page.url))
        before = version(page, "poster-a3")
        img = 'figure.sheet[data-key="poster-a3"] img'
        old_src = page.get_attribute(img, "src")
        append(layouts / "poster.css", ".strapline .call { color: device-cmyk(0 0.9 0.8 0.2); }")
        wait_version(page, "poster-a3", before)
        assert page.get_attribute(img, "src") != old_src and loads == []
        good_src = page.get_attribute(img, "src")
        screenshot(page, "preflight")  # the new red fails contrast on navy: marked where it is
        # The status line says the update left preflight errors, not just "Updated".
        expect(page.locator("#status")).to_contain_text(re.compile(r"\d+ preflight error\(s\) in poster-a"),
                                                        timeout=30000)

        # Break the template: the error with file:line shows, the last good image stays.
        edit(layouts / "poster.html", "{% block", "{% blok")
        error = page.locator('figure.sheet[data-key="poster-a3"] .render-error')
        error.wait_for(state="visible", timeout=30000)
        assert "layouts/poster.html:" in error.inner_text()
        assert page.get_attribute(img, "src") == good_src
        assert "Not rendered" in page.locator("#status").inner_text()
        screenshot(page, "error")

        # Fix it: the error goes, a new image shows.
        fixed_from = version(page, "poster-a3")
        edit(layouts / "poster.html", "{% blok", "{% block")
        error.wait_for(state="hidden", timeout=30000)
        wait_version(page, "poster-a3", fixed_from)
        assert page.get_attribute(img, "src") != good_src

        # Guides toggle, each on its own.
        trim = page.locator('figure.sheet[data-key="poster-a3"] .guide.trim')
        assert trim.is_visible()
        page.get_by_label("Trim").uncheck()
        assert trim.is_hidden() and page.locator('figure.sheet[data-key="poster-a3"] .guide.safe').is_visible()
        page.get_by_label("Trim").check()
        assert trim.is_visible()
        page.get_by_label("Folds and panels").uncheck()  # kept for the next page
        page.goto(base + "/?product=leaflet-dl")
        assert page.locator(".guide.folds").first.is_hidden()
        page.get_by_label("Folds and panels").check()
        page.locator("text.guide.folds").first.wait_for()
        assert page.locator("text.guide.folds", has_text="panel 3").count() == 2

        # Another variant through the chooser: a district's posters, at their fixed URLs.
        page.select_option("select[name=variant]", "district:york")
        page.select_option("select[name=product]", "poster")
        page.get_by_role("button", name="Show").click()
        wait_version(page, "districts/york/poster-a3", 0)
        assert page.locator("figure.sheet").count() == 3  # A4, A3, A2 side by side

        # The changes view lists the approved pages the colour moved. It shows at once
        # (after studio.REVIEW_WAIT_S at most) what is compared so far, and its list
        # grows in place as the approved set's renders finish (about 40 s under a
        # test run's load).
        loads.clear()
        page.goto(base + "/changes")
        page.locator('#status[data-rendering="0"]').wait_for(timeout=180_000)
        assert loads.count(base + "/changes") == 1  # it grew in place: never reloaded
        listed = page.locator(".change h2").all_inner_texts()
        assert "no-matter-how-small/poster-a4, page 1" in listed
        assert not any("wallet-card" in name for name in listed)  # poster.css is not theirs
        assert "% of the pixels changed" in page.locator(".change").first.inner_text()
        no_serious_violations(page, "changes")
        screenshot(page, "changes")
        assert not errors, errors


def content_copy(tmp_path: Path) -> Path:
    """A copy of content/ (brands, sources, translations beside the campaign)."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    return tmp_path / "content" / DEFAULT_CAMPAIGN.name


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_yaml_edit_renders_the_output_in_view_first_and_skips_what_does_not_print_it(tmp_path):
    """The DL alone prints the local figures: an edit of them re-renders the DL and
    nothing else; the output a browser has in view comes before the others."""
    layouts = layouts_copy(tmp_path, {})
    campaign = content_copy(tmp_path)
    with studio(layouts, campaign) as base:
        shown = ["poster-a4", "poster-a3", "leaflet-a5", "leaflet-dl", "wallet-card"]
        versions = {k: json.loads(get(f"{base}/state/{k}.json"))["version"] for k in shown}
        events = urllib.request.urlopen(base + "/events?" + "&".join(f"show={k}" for k in shown), timeout=30)
        assert events.readline().startswith(b"retry:")
        request = urllib.request.Request(base + "/look", data=json.dumps(["leaflet-a5"]).encode(), method="POST")
        assert urllib.request.urlopen(request, timeout=30).status == 204

        # The intro is in every product (printed, or in the PDF's description): the one in view first.
        edit(campaign, "it matters. Tell someone.", "it matters. Tell someone you trust.")
        first = read_event(events, lambda e: any(e["states"][k]["version"] > versions[k]
                                                 for k in e["outputs"] if k in versions))
        assert first["outputs"] == ["leaflet-a5"]
        for key in shown:
            wait_until(lambda: not json.loads(get(f"{base}/state/{key}.json"))["checking"], f"{key} checked")
        versions = {k: json.loads(get(f"{base}/state/{k}.json"))["version"] for k in shown}
        assert all(versions[k] >= 2 for k in shown), versions

        # The local figures: the DL's only. Its HTML changes; the others' does not.
        edit(campaign, "heading: In North Yorkshire", "heading: Across North Yorkshire")
        read_event(events, lambda e: e["states"].get("leaflet-dl", {}).get("version", 0) > versions["leaflet-dl"])
        now = {k: json.loads(get(f"{base}/state/{k}.json"))["version"] for k in shown}
        assert now["leaflet-dl"] == versions["leaflet-dl"] + 1
        assert {k: now[k] for k in shown if k != "leaflet-dl"} == {k: versions[k] for k in shown if k != "leaflet-dl"}
        events.close()


def test_css_and_template_mistakes_show_at_their_line_beside_the_last_good_image(tmp_path, browser):
    layouts = layouts_copy(tmp_path, {})
    with studio(layouts) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page.goto(base + "/?product=poster")
        wait_version(page, "poster-a3", 0)
        img = 'figure.sheet[data-key="poster-a3"] img'
        good_src = page.get_attribute(img, "src")
        error = page.locator('figure.sheet[data-key="poster-a3"] .render-error')
        problems = page.locator('figure.sheet[data-key="poster-a3"] ol.problems li')
        sheet, poster = layouts / "poster-a3.css", layouts / "poster.css"
        original_sheet, original_poster = sheet.read_text(), poster.read_text()

        def shows(text: str) -> None:
            expect(error).to_be_visible(timeout=30000)
            expect(error).to_contain_text(text, timeout=30000)
            assert page.get_attribute(img, "src") == good_src  # the last good image stays
            assert problems.count() == 0  # not a page of safe-area errors from an unstyled render
            expect(page.locator("#status")).to_contain_text("Not rendered")

        # A missing `}`: named at the line of the rule it leaves open.
        edit(sheet, "html { font-size: 15.5pt; }", "html { font-size: 15.5pt;")
        shows(f"layouts/poster-a3.css:{line_of(sheet, 'html { font-size')}: `{{` is never closed")
        # `var(--accent;`: at the line of the `(`, though it swallows every rule after it.
        sheet.write_text(original_sheet)
        edit(poster, "var(--accent);", "var(--accent;")
        shows(f"layouts/poster.css:{line_of(poster, 'var(--accent;')}: `(` is never closed")
        # An invalid value: WeasyPrint drops the declaration; said at the stylesheet's line.
        poster.write_text(original_poster + "\n.strapline { color: bluish; }\n")
        shows(f"layouts/poster.css:{line_of(poster, 'bluish')}: WeasyPrint: Ignored `color: bluish`")
        # An `{% if %}` left open: at the line that opens it, not at the `{% endblock %}`.
        poster.write_text(original_poster)
        template = layouts / "poster.html"
        edit(template, '{% if c.intro %}<p class="intro">{{ c.intro }}</p>{% endif %}',
             '{% if c.intro %}<p class="intro">{{ c.intro }}</p>')
        shows(f"layouts/poster.html:{line_of(template, '{% if c.intro %}')}: template syntax: `{{% if %}}` is never closed")
        screenshot(page, "css-error")  # the `{% if %}` left open, at its line

        # Fixed: the error goes and a new image shows, without a reload.
        fixed_from = version(page, "poster-a3")
        edit(template, '{{ c.intro }}</p>', '{{ c.intro }}</p>{% endif %}')
        expect(error).to_be_hidden(timeout=30000)
        wait_version(page, "poster-a3", fixed_from)
        expect(page.locator("#status")).not_to_contain_text("Not rendered")

        # A missing image: an error at the template line that asks for it.
        edit(template, '{% if c.intro %}', '<img src="../assets/no-such-photo.png" alt="">{% if c.intro %}')
        missing = page.locator('figure.sheet[data-key="poster-a3"] ol.problems li', has_text="no-such-photo.png")
        expect(missing).to_have_count(1, timeout=30000)
        state = json.loads(get(base + "/state/poster-a3.json"))
        [problem] = [p for p in state["problems"] if "no-such-photo.png" in p["what"]]
        assert problem["where"] == f"layouts/poster.html:{line_of(template, 'no-such-photo.png')}"


def test_a_yaml_mistake_undone_clears_by_itself(tmp_path, browser):
    layouts = layouts_copy(tmp_path, {})
    campaign = content_copy(tmp_path)
    with studio(layouts, campaign) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
        loads = []
        page.goto(base + "/?product=leaflet-dl")
        page.on("load", lambda _: loads.append(page.url))
        wait_version(page, "leaflet-dl", 0)
        img = 'figure.sheet[data-key="leaflet-dl"] img'
        shown_src = page.get_attribute(img, "src")
        error = page.locator('figure.sheet[data-key="leaflet-dl"] .render-error').first
        original = campaign.read_text()
        campaign.write_text(original.replace("launch: 2019-01-21", "launch: [2019-01-21", 1))
        expect(error).to_be_visible(timeout=30000)
        expect(error).to_contain_text(campaign.name)
        expect(page.locator("#status")).to_contain_text("Not rendered")

        campaign.write_text(original)  # the designer's undo: the inputs of the image on screen
        expect(error).to_be_hidden(timeout=30000)
        expect(page.locator("#status")).not_to_contain_text("Not rendered")
        assert page.get_attribute(img, "src") == shown_src and loads == []


def test_close_look_reads_a_9pt_line_and_links_the_pdf(tmp_path, browser):
    """The wallet card's 9 pt text is a blur in the proof; the close look at print
    resolution draws it from the PDF sharp enough for Tesseract to read."""
    if not shutil.which("tesseract"):
        pytest.skip("make system-deps installs Tesseract")
    from PIL import Image

    layouts = layouts_copy(tmp_path, {})
    with studio(layouts) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page.goto(base + "/?product=wallet-card")
        wait_version(page, "wallet-card", 0)
        sheet = page.locator('figure.sheet[data-key="wallet-card"][data-page="2"]')
        pdf = get(base + sheet.get_by_role("link", name=re.compile("^PDF")).get_attribute("href"))
        assert pdf.startswith(b"%PDF")
        for wrong in ("zoom=7&column=0&row=0", "zoom=1&column=x&row=0", "zoom=1&column=0&row=0&density=9"):
            with pytest.raises(urllib.error.HTTPError) as caught:
                get(f"{base}/tile/wallet-card/1.png?{wrong}")
            assert caught.value.code == 400
        with pytest.raises(urllib.error.HTTPError) as caught:
            get(f"{base}/tile/wallet-card/1.png?zoom=1&column=40&row=0")  # past the page's edge
        assert caught.value.code == 404
        sheet.get_by_role("link", name=re.compile("^Close look")).click()
        page.select_option("select[name=zoom]", "3.125")
        page.get_by_role("button", name="Show").click()
        tiles = page.locator("figure.zoom img.tile")
        for n in range(tiles.count()):
            tiles.nth(n).scroll_into_view_if_needed()
            # Chromium calls a lazy image it has not fetched yet `complete`: wait for pixels.
            page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                   arg=tiles.nth(n).element_handle())
        # Pixels per mm of the image drawn (not of the screen): 300 dpi is 11.8.
        natural = tiles.first.evaluate("img => img.naturalWidth")
        assert natural / (engine_tile_mm(3.125)) >= 11.8
        no_serious_violations(page, "close look")
        screenshot(page, "close-look")
        shot = page.locator("figure.zoom").screenshot()
        picture = tmp_path / "zoom.png"
        Image.open(io.BytesIO(shot)).convert("L").save(picture)
        read = subprocess.run(["tesseract", str(picture), "stdout"], capture_output=True, text=True, timeout=120).stdout
        assert "If you cannot speak on a mobile," in read, read


def engine_tile_mm(zoom: float) -> float:
    """The mm of page a close-look tile covers at `zoom` (pipeline/studio.py)."""
    from pipeline.studio import CSS_PX_PER_INCH, TILE_PX

    return TILE_PX / (zoom * CSS_PX_PER_INCH / 25.4)
