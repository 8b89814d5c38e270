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

        # The changes view lists the approved pages the colour moved.
        page.goto(base + "/changes")
        listed = page.locator(".change h2").all_inner_texts()
        assert "no-matter-how-small/poster-a4, page 1" in listed
        assert not any("wallet-card" in name for name in listed)  # poster.css is not theirs
        assert "% of the pixels changed" in page.locator(".change").first.inner_text()
        no_serious_violations(page, "changes")
        screenshot(page, "changes")
        assert not errors, errors
