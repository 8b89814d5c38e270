"""Trust boundary for layouts and assets: the sandboxed template environment, the
template loader and URL fetcher (regular files inside the project only, bounded),
the logo checks (PNG, JPEG, SVG), and press PDFs that embed exactly the CMYK image."""
from __future__ import annotations

import io
import os
import shutil
import signal
import struct
import subprocess
import uuid
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
import qrcode
import zxingcpp
from PIL import Image, ImageDraw
from weasyprint.urls import URLFetchingError

from pipeline.assets import (ASSETS, check_asset, check_image, check_logo, check_svg, is_stand_in, read_project_file,
                             RefusedFile)
from pipeline.cli import main
from pipeline.content import load_campaigns
from pipeline.layouts import render_html
from pipeline.paths import LAYOUTS
from pipeline.plan import NEIGHBOURS, load_layouts, load_profiles, plan, select_profiles
from pipeline.problems import RenderError
from pipeline.render import ProjectFetcher, render_pdf, render_pdf_of

from .conftest import DEFAULT_CAMPAIGN, campaign_copy
from .isolation import project_copy, use_project_copy

ORANGE = (230, 120, 0)  # no other orange in the layouts: where it shows, the logo is


@contextmanager
def deadline(seconds: int):
    """Fail instead of hanging (a FIFO opened for reading waits for a writer)."""
    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def layouts(tmp_path) -> Path:
    """A copy of layouts/ with links to the project's fonts/, colour/ and assets/ beside
    it, as a designer makes one (README, "For designers")."""
    folder = tmp_path / "layouts"
    shutil.copytree(LAYOUTS, folder)
    for name, target in NEIGHBOURS.items():
        (tmp_path / name).symlink_to(target)
    return folder


def poster_job(folder: Path):
    jobs = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(folder), select_profiles(load_profiles(), "press"),
                only=["poster"], districts=["none"], partners=["none"], languages=["none"])
    return jobs[0]


def render_template(folder: Path, text: str) -> RenderError:
    """Make poster.html `text`, render it; return the RenderError it must raise."""
    (folder / "poster.html").write_text(text)
    with deadline(10), pytest.raises(RenderError) as caught:
        render_html(poster_job(folder))
    return caught.value


def png_bytes(colour=ORANGE, size=(720, 180), fmt="PNG") -> bytes:
    image = Image.new("RGB", size, (255, 255, 255))
    ImageDraw.Draw(image).rectangle((0, 0, size[0] - 1, size[1] - 1), fill=colour)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def bomb_png(width=20000, height=20000) -> bytes:
    """A few hundred bytes on disk claiming 400 million pixels."""
    def chunk(kind, data):
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))
    header = struct.pack("!IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1) * 4)) + chunk(b"IEND", b""))


# --- Layouts: the template loader ---

def test_template_symlinked_to_etc_passwd_is_refused(layouts):
    (layouts / "poster.html").unlink()
    (layouts / "poster.html").symlink_to("/etc/passwd")
    with pytest.raises(RenderError) as caught:
        render_html(poster_job(layouts))
    problem = caught.value.problems[0]
    assert problem.file == "layouts/poster.html" and "outside" in problem.what
    assert "root:" not in str(caught.value)


def test_template_including_a_fifo_fails_at_once(layouts):
    os.mkfifo(layouts / "pipe.html")
    error = render_template(layouts, '{% include "pipe.html" %}')
    assert error.problems[0].file == "layouts/pipe.html"
    assert "not a regular file" in error.problems[0].what
    assert "included from layouts/poster.html:1" in error.problems[0].what


def test_template_including_dev_zero_or_a_folder_is_refused(layouts):
    (layouts / "zero.html").symlink_to("/dev/zero")
    (layouts / "folder.html").mkdir()
    error = render_template(layouts, '{% include "zero.html" %}')
    assert "outside" in error.problems[0].what and error.problems[0].file == "layouts/zero.html"
    error = render_template(layouts, '{% include "folder.html" %}')
    assert "not a regular file" in error.problems[0].what


def test_template_over_the_size_bound_is_refused(layouts):
    (layouts / "huge.html").write_text("x" * (1024 * 1024 + 1))
    error = render_template(layouts, '{% include "huge.html" %}')
    assert "over the limit" in error.problems[0].what


# --- Layouts: the sandbox ---

@pytest.mark.parametrize("expression", [
    "c.__class__.__mro__[1].__subclasses__()",
    "cycler.__init__.__globals__.os.popen('touch {marker}').read()",
    "lipsum.__globals__['os'].system('touch {marker}')",
    "job.layouts.folder.joinpath('{marker}').write_text('x')",  # public methods of a Path: not callable
    "job.source.path.exists()",
    "job.layouts.folder.joinpath('{marker}').touch()",
    "c.model_copy()",
    "self._TemplateReference__context",
    "[].__class__.__base__.__subclasses__()",
    "range.__call__(10**9)|list|length",
])
def test_sandbox_escapes_fail_with_a_render_error(layouts, tmp_path, expression):
    marker = tmp_path / "ran"
    error = render_template(layouts, "<p>\n{{ " + expression.format(marker=marker) + " }}</p>")
    assert not marker.exists()
    problem = error.problems[0]
    assert problem.file == "layouts/poster.html" and problem.line == 2, problem
    assert problem.hint


def test_template_exceptions_name_the_template_and_line(layouts):
    error = render_template(layouts, "<p>\n\n{{ 1 // 0 }}</p>")
    assert error.problems[0].line == 3 and "ZeroDivisionError" in error.problems[0].what
    error = render_template(layouts, '{% set x = [] %}{{ x.append(1) }}')  # immutable sandbox
    assert "not allowed" in error.problems[0].what


def test_sandboxed_templates_still_render_the_products(layouts):
    (layouts / "poster.html").write_text('{{ c.launch.isoformat() }} {{ options.get("x", "-") }} '
                                         '{{ "a b".split()|join(",") }} {{ "0800 555 0101"|keep_numbers }} '
                                         '{{ c.source(c.statistics[0].source).name }} {{ "<b>" }}')
    html = render_html(poster_job(layouts))
    assert '<bdi class="nowrap" dir="ltr">0800 555 0101</bdi>' in html and "&lt;b&gt;" in html and "a,b" in html


def test_refused_template_is_a_clean_error_from_the_command_line(layouts, tmp_path, capsys):
    (layouts / "poster.html").unlink()
    (layouts / "poster.html").symlink_to("/etc/passwd")
    code = main(["build", str(DEFAULT_CAMPAIGN), "--out", str(tmp_path / "out"), "--layouts", str(layouts),
                 "--only", "poster", "--district", "none", "--partner", "none", "--language", "none",
                 "--profile", "press", "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "layouts/poster.html" in err and "Traceback" not in err and "root:" not in err


# --- The URL fetcher ---

def test_fetcher_serves_only_regular_files_inside_the_folders(layouts):
    fetcher = ProjectFetcher(layouts)
    os.mkfifo(layouts / "pipe.css")
    (layouts / "zero.png").symlink_to("/dev/zero")
    (layouts / "passwd.css").symlink_to("/etc/passwd")
    with deadline(10):
        for name in ("pipe.css", "zero.png", "passwd.css", "nothing.css"):
            with pytest.raises(URLFetchingError, match="refused"):
                fetcher.fetch((layouts / name).as_uri())
    response = fetcher.fetch((layouts / "base.css").as_uri())
    assert response.path is None and b"@font-face" in response.read()


def test_a_layouts_copy_without_the_project_folders_beside_it_is_one_error_up_front(tmp_path, capsys):
    """`--layouts /tmp/design/my-layouts` with no fonts/, colour/, assets/ beside it:
    one error naming the folder and what to link, before any job (not one per job)."""
    copy = tmp_path / "design" / "my-layouts"
    shutil.copytree(LAYOUTS, copy)
    for command in ("build", "preflight", "check"):
        argv = [command, str(DEFAULT_CAMPAIGN), "--layouts", str(copy)]
        argv += ["--out", str(tmp_path / "out"), "--only", "poster"] if command != "check" else []
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.count("error:") == 1, err
        assert (f"error: {copy}: this layouts folder needs the project's fonts/, colour/ and assets/ beside it, "
                f"in {copy.parent}/") in err
        assert "fonts/, colour/ and assets/ are missing there" in err
        assert f'hint: link the project\'s folders beside the copy (README, "For designers"): ln -sfn ' in err
        assert f"{copy.parent / 'colour'}" in err and "rendering" not in err
    assert not (tmp_path / "out").exists()
    # A copy of a folder instead of a link is not served either: said up front too.
    shutil.copytree(NEIGHBOURS["colour"], tmp_path / "design" / "colour")
    (tmp_path / "design" / "fonts").symlink_to(NEIGHBOURS["fonts"])
    (tmp_path / "design" / "assets").symlink_to(NEIGHBOURS["assets"])
    assert main(["check", str(DEFAULT_CAMPAIGN), "--layouts", str(copy)]) == 1
    assert "and colour/ is not the project's" in capsys.readouterr().err
    (tmp_path / "design" / "colour").rename(tmp_path / "design" / "colour-copy")
    (tmp_path / "design" / "colour").symlink_to(NEIGHBOURS["colour"])
    assert load_layouts(copy).folder == copy.resolve()


def test_a_layouts_copy_losing_its_neighbours_after_loading_says_what_to_link(layouts):
    job = poster_job(layouts)
    (layouts.parent / "colour").unlink()
    with pytest.raises(RenderError) as caught:
        render_pdf_of(job, render_html(job))
    [problem] = caught.value.problems
    assert "refused" in problem.what and "FOGRA39L.icc" in problem.what
    assert f"the layouts folder {layouts} needs the project's fonts/, colour/ and assets/ beside it" in problem.what
    assert problem.hint.startswith("link the project's folders beside the copy") and "check the template" not in problem.hint


def test_fetcher_refuses_bad_images(layouts):
    fetcher = ProjectFetcher(layouts)
    (layouts / "jpeg.png").write_bytes(png_bytes(fmt="JPEG"))
    (layouts / "script.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>')
    for name in ("jpeg.png", "script.svg"):
        with pytest.raises(URLFetchingError):
            fetcher.fetch((layouts / name).as_uri())


def test_read_project_file_bounds_the_size(tmp_path):
    (tmp_path / "big").write_bytes(b"x" * 101)
    with pytest.raises(RefusedFile, match="over the limit"):
        read_project_file(tmp_path / "big", [tmp_path], limit=100)
    assert read_project_file(tmp_path / "big", [tmp_path], limit=101) == b"x" * 101


def test_an_image_that_does_not_load_is_an_error():
    """WeasyPrint logs a missing image and goes on: the PDF would lack the logo."""
    job = poster_job(LAYOUTS)
    html = render_html(job).replace("</body>", '<img src="missing-logo.png" alt=""></body>')
    rendered = render_pdf(job, html)
    errors = [p for p in rendered.warnings if p.level == "error"]
    assert errors and "missing-logo.png" in errors[0].what


# --- Asset checks ---

def test_check_image_accepts_png_and_jpeg():
    assert check_image(png_bytes(), "logo.png") == []
    assert check_image(png_bytes(fmt="JPEG"), "logo.jpg") == []


@pytest.mark.parametrize("name, data, expected", [
    ("logo.png", png_bytes()[:-200], "truncated"),
    ("logo.png", png_bytes(fmt="JPEG"), "is a JPEG"),
    ("logo.jpg", png_bytes(), "is a PNG"),
    ("logo.png", b"<!DOCTYPE html><html><body>hi</body></html>", "HTML"),
    ("logo.png", bomb_png(), "decompression bomb"),
    ("logo.png", bomb_png(8000, 6000), "over the limit"),
    ("logo.gif", png_bytes(fmt="GIF"), "not a PNG, JPEG or SVG"),
])
def test_check_image_refuses(name, data, expected):
    problems = check_image(data, name)
    assert problems and expected in problems[0].what, problems
    assert problems[0].level == "error" and problems[0].file == name and problems[0].hint


SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'


@pytest.mark.parametrize("svg, expected", [
    ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
     '<!ENTITY c "&b;&b;&b;&b;&b;&b;">]>' + SVG.format("<text>&c;</text>"), "DTD"),
    ('<!DOCTYPE svg SYSTEM "http://example.com/x.dtd">' + SVG.format(""), "DTD"),
    (SVG.format('<image href="file:///etc/passwd"/>'), "file:///etc/passwd"),
    (SVG.format('<image xlink:href="https://example.com/logo.png"/>'), "outside the SVG"),
    (SVG.format("<script>alert(1)</script>"), "<script>"),
    (SVG.format('<rect width="1" height="1" onload="alert(1)"/>'), "event handler"),
    (SVG.format("<foreignObject><div xmlns='http://www.w3.org/1999/xhtml'/></foreignObject>"), "foreignObject"),
    (SVG.format('<rect style="fill: url(\'http://example.com/p.svg#g\')"/>'), "outside the SVG"),
    (SVG.format("<style>@import url(https://example.com/x.css);</style>"), "@import"),
    (SVG.format('<image href="data:text/html;base64,PGgxPg=="/>'), "outside the SVG"),
    # CSS escapes read as the letters they stand for (u\72l( is url(, @\69mport is @import).
    (SVG.format('<rect style="fill: u\\72l(file:///etc/passwd)"/>'), "file:///etc/passwd"),
    (SVG.format("<style>rect { fill: \\75 rl(https://example.com/p.svg#g) }</style>"), "outside the SVG"),
    (SVG.format("<style>@\\69mport 'https://example.com/x.css';</style>"), "@import"),
    ("<!DOCTYPE html><html><body>logo</body></html>", "not an SVG"),
    ("<html><body>logo</body></html>", "not an SVG"),
    (SVG.format('<rect width="1" height="1"/>' * 60000), "limit"),
])
def test_check_svg_refuses(svg, expected):
    problems = check_svg(svg.encode(), "partners/x.svg")
    assert any(expected in p.what for p in problems), problems
    assert all(p.level == "error" and p.file == "partners/x.svg" and p.hint for p in problems)


def test_check_svg_accepts_drawing_gradients_and_embedded_png():
    import base64
    embedded = base64.b64encode(png_bytes(size=(10, 10))).decode()
    svg = SVG.format('<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>'
                     '<rect fill="url(#g)" width="10" height="10"/><use xlink:href="#g"/>'
                     f'<image href="data:image/png;base64,{embedded}" width="10" height="10"/>')
    assert check_svg(svg.encode(), "x.svg") == []
    for logo in (ASSETS / "partners").glob("*.svg"):
        assert check_logo(logo) == [], logo


EVIL = "https://evil.example/help"


def qr_logo_svg(url: str = EVIL, version: int = 4) -> bytes:
    """A partner's logo as an attacker drew one: 240 x 60, a QR code of `version` (and its
    quiet zone) filling the left 60 x 60, beside two bars. Printed 9 mm tall, as on a DL
    leaflet, a version 4 code's modules are 0.22 mm."""
    code = qrcode.QRCode(version=version, border=4)
    code.add_data(url)
    code.make(fit=False)
    matrix = code.get_matrix()
    step = 60 / len(matrix)
    squares = "".join(f'<rect x="{x * step:.3f}" y="{y * step:.3f}" width="{step * 1.01:.3f}" '
                      f'height="{step * 1.01:.3f}"/>'
                      for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark)
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 60" width="240" height="60">'
            f'<rect width="60" height="60" fill="#fff"/><g fill="#000">{squares}</g>'
            '<rect x="72" y="14" width="160" height="10" fill="#6b2c91"/></svg>').encode()


def qr_logo_png() -> bytes:
    """The same logo as a PNG at 300 ppi of its 9 mm height: 106 pixels, 2.6 a module."""
    code = qrcode.QRCode(version=4, border=4)
    code.add_data(EVIL)
    image = Image.new("RGB", (424, 106), "white")
    image.paste(code.make_image().convert("RGB").resize((106, 106), Image.Resampling.NEAREST), (0, 0))
    ImageDraw.Draw(image).rectangle((127, 25, 409, 42), fill=(107, 44, 145))
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(300, 300))
    return out.getvalue()


def barcode_logo_png() -> bytes:
    barcode = zxingcpp.write_barcode_to_image(zxingcpp.create_barcode("0123456789", zxingcpp.BarcodeFormat.Code128))
    image = Image.new("L", (600, 150), 255)
    image.paste(Image.fromarray(np.asarray(barcode)).resize((300, 100)), (0, 25))
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(300, 300))
    return out.getvalue()


@pytest.mark.parametrize("name, data, read", [
    ("partners/x.svg", qr_logo_svg(), f"a QR code that leads to '{EVIL}'"),
    ("partners/x.svg", qr_logo_svg(EVIL + "/" + "x" * 60, version=7), f"a QR code that leads to '{EVIL}/xxx"),
    ("partners/x.png", qr_logo_png(), f"a QR code that leads to '{EVIL}'"),
    ("partners/x.png", barcode_logo_png(), "a Code 128 barcode that reads '0123456789'"),
])
def test_a_logo_carrying_a_small_code_is_refused_when_it_comes_in(name, data, read):
    # The page scan rasters at 3 pixels a module of the product's own code: a 9 mm
    # code of 0.22 mm modules in a logo is under a pixel a module there.
    [problem] = check_asset(data, name)
    assert problem.level == "error" and problem.check == "codes" and read in problem.what, problem
    assert problem.hint.startswith("a logo may not carry a QR code or barcode: the leaflet's only code is the "
                                   "campaign's")
    # The portal's upload, through the same check.
    from pipeline.partners import check_logo_upload
    [uploaded] = check_logo_upload(name, data)
    assert read in uploaded.what and uploaded.field == "logo"


def test_the_renderer_scans_every_picture_but_the_campaigns_own_code(layouts):
    """A designer's picture in layouts/ (an <img> or a CSS background) came in by no
    other door: the fetcher scans it. The campaign's own code reaches it as an empty
    placeholder (qrdraw.py draws it), not scanned."""
    from pipeline.qr import qr_data_uri

    (layouts / "extra.svg").write_bytes(qr_logo_svg())
    with pytest.raises(URLFetchingError, match="a logo may not carry a QR code"):
        ProjectFetcher(layouts).fetch((layouts / "extra.svg").as_uri())
    placeholder = qr_data_uri("https://www.northyorkshire.police.uk/stalking", "#000000")
    assert ProjectFetcher(layouts).fetch(placeholder).read().startswith(b"<svg")


def test_every_logo_and_image_in_assets_has_no_code():
    found = [p for p in ASSETS.rglob("*") if p.suffix.lower() in (".svg", ".png", ".jpg", ".jpeg")]
    assert len(found) >= 4, found
    for logo in found:
        assert check_logo(logo) == [], logo


def test_stand_in_logos_are_marked_by_name():
    assert is_stand_in("partners/paladin.stand-in.svg") and is_stand_in(Path("x/Logo.Stand-In.png"))
    assert not is_stand_in("partners/paladin.svg") and not is_stand_in("stand-in.svg")
    assert {p.name for p in (ASSETS / "partners").iterdir() if p.suffix == ".svg"} == {
        "paladin.stand-in.svg", "suzy-lamplugh-trust.stand-in.svg"}


# --- Logos end to end: plan refuses bad ones; press PDFs embed exactly the CMYK image ---

@pytest.fixture
def assets_copy(tmp_path, monkeypatch) -> Path:
    """This test's own copy of assets/ (and layouts/ beside it), which the pipeline reads
    instead of the repository's: other tests read assets/partners/ meanwhile."""
    return use_project_copy(project_copy(tmp_path), monkeypatch)


@pytest.fixture
def logo_file(assets_copy):
    """A partner logo written into the copy's assets/partners/ (the layouts load it from there)."""
    def write(suffix: str, data: bytes) -> str:
        path = assets_copy / "partners" / f"test-{uuid.uuid4().hex[:8]}{suffix}"
        path.write_bytes(data)
        return f"partners/{path.name}"
    return write


def build_partner(tmp_path, campaign_text, logo: str) -> tuple[int, Path]:
    text = campaign_text.replace("logo: partners/suzy-lamplugh-trust.stand-in.svg", f"logo: {logo}")
    assert logo in text
    out = tmp_path / "out"
    code = main(["build", str(campaign_copy(tmp_path, text)), "--out", str(out), "--partner", "slt",
                 "--only", "leaflet-dl", "--profile", "press", "--jobs", "1"])
    return code, out / "no-matter-how-small" / "partners" / "slt" / "leaflet-dl.pdf"


def orange_share(pdf_path: Path, box=None) -> float:
    """Share of the page's pixels (or the box's, in PDF points) that are the logo's orange."""
    page = pdfium.PdfDocument(pdf_path)[0]
    scale = 50 / 72
    image = page.render(scale=scale).to_pil().convert("RGB")
    if box:  # PDF points -> pixels from the top-left of the rendered (crop) box
        left, bottom, right, top = box
        x0, _, _, y1 = page.get_cropbox()
        image = image.crop((int((left - x0) * scale) + 1, int((y1 - top) * scale) + 1,
                            int((right - x0) * scale) - 1, int((y1 - bottom) * scale) - 1))
    pixels = list(image.get_flattened_data() if hasattr(image, "get_flattened_data") else image.getdata())
    orange = sum(1 for r, g, b in pixels if r > 180 and 70 < g < 170 and b < 90)
    return orange / max(1, len(pixels))


def check_press_pdf(pdf_path: Path, raster: bool) -> None:
    # qpdf decodes every stream: an original PNG under a JPEG filter fails here.
    done = subprocess.run(["qpdf", "--check", str(pdf_path)], capture_output=True, text=True)
    assert done.returncode == 0 and "No syntax or stream encoding errors" in done.stdout, done.stdout + done.stderr
    with pikepdf.open(pdf_path) as pdf:
        assert pdf.check_pdf_syntax() == []
        images = [image for page in pdf.pages for image in page.get_images().values()]
        if raster:
            assert images, "the logo is not in the PDF"
            for raw in images:
                colour_space = raw.get("/ColorSpace")
                assert colour_space == "/DeviceCMYK" or (
                    isinstance(colour_space, pikepdf.Array) and colour_space[1].get("/N") == 4)
                decoded = pikepdf.PdfImage(raw).as_pil_image()  # the stream decodes
                assert decoded.mode == "CMYK" and decoded.size == (720, 180)


def logo_box(pdf_path: Path):
    page = pdfium.PdfDocument(pdf_path)[0]
    boxes = [obj.get_bounds() for obj in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE])]
    assert len(boxes) == 1
    return boxes[0]


@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("JPEG", ".jpg")])
def test_raster_logo_gives_a_clean_press_pdf_showing_it(tmp_path, campaign_text, logo_file, fmt, suffix):
    code, pdf = build_partner(tmp_path, campaign_text, logo_file(suffix, png_bytes(fmt=fmt)))
    assert code == 0
    check_press_pdf(pdf, raster=True)
    assert orange_share(pdf, logo_box(pdf)) > 0.9  # the logo, where the layout put it


def test_svg_logo_gives_a_clean_press_pdf_showing_it(tmp_path, campaign_text, logo_file):
    svg = SVG.format('<rect width="240" height="60" fill="#e67800"/>').replace("<svg ", '<svg viewBox="0 0 240 60" ')
    code, pdf = build_partner(tmp_path, campaign_text, logo_file(".svg", svg.encode()))
    assert code == 0
    check_press_pdf(pdf, raster=False)
    assert orange_share(pdf) > 0.005


@pytest.mark.parametrize("suffix, data, expected", [
    (".png", png_bytes()[:-200], "truncated"),
    (".png", png_bytes(fmt="JPEG"), "is a JPEG"),
    (".png", bomb_png(), "decompression bomb"),
    (".svg", SVG.format('<image href="file:///etc/passwd"/>').encode(), "file:///etc/passwd"),
    (".svg", qr_logo_svg(), f"carries a QR code that leads to '{EVIL}'"),
])
def test_bad_logo_stops_the_build_naming_the_file(tmp_path, campaign_text, logo_file, capsys, suffix, data, expected):
    logo = logo_file(suffix, data)
    code, pdf = build_partner(tmp_path, campaign_text, logo)
    err = capsys.readouterr().err
    assert code == 1 and not pdf.exists()
    assert f"assets/{logo}" in err and expected in err and "hint:" in err and "Traceback" not in err


def test_logo_symlinked_outside_assets_or_a_fifo_is_refused(tmp_path, campaign_text, logo_file, assets_copy, capsys):
    logo = logo_file(".png", b"")
    (assets_copy / logo).unlink()
    os.mkfifo(assets_copy / logo)
    with deadline(20):
        code, _ = build_partner(tmp_path, campaign_text, logo)
    assert code == 1 and "not a regular file" in capsys.readouterr().err
    (assets_copy / logo).unlink()
    (assets_copy / logo).symlink_to("/etc/passwd")
    code, _ = build_partner(tmp_path, campaign_text, logo)
    assert code == 1 and "outside" in capsys.readouterr().err
