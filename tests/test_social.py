"""Social images (issue 24): a square post, a story and a link preview from the default
campaign, county-wide and in Urdu, read back with tools other than the pipeline's:
Pillow and the PNG's own chunks for pixels and colour space, zxing-cpp and zbar for
codes, Tesseract for the printed address; their screen preflight fails a story whose
headline sits under the platform's top bar."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import zlib

import pytest
import qrcode
import zxingcpp
from PIL import Image, ImageOps
from pyzbar import pyzbar

from pipeline.cli import main
from pipeline.content import load_campaigns

from .conftest import DEFAULT_CAMPAIGN
from .test_preflight import layouts_copy, run_preflight

SIZES = {"square": (1080, 1080), "story": (1080, 1920), "link-preview": (1200, 628)}
# County-wide and each language the campaign has (social images are made for both).
FOLDERS = ("", *(f"languages/{c.language}/" for c in load_campaigns([DEFAULT_CAMPAIGN]) if c.language))
LINK = "northyorkshire.police.uk/stalking"  # the campaign's qr.label
HELPLINE = "0808 802 0300"


@pytest.fixture(scope="module")
def social(tmp_path_factory):
    out = tmp_path_factory.mktemp("social")
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--only", "social"]) == 0
    folder = out / "no-matter-how-small"
    return folder, json.loads((folder / "manifest.json").read_text())


def png_chunks(data: bytes) -> dict[bytes, bytes]:
    """The PNG's chunks by type, read from the bytes (the signature, then length, type, data, CRC)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        assert zlib.crc32(kind + body) == int.from_bytes(data[at + 8 + length:at + 12 + length], "big")
        chunks.setdefault(kind, body)
        at += 12 + length
    return chunks


def images(folder):
    for variant in FOLDERS:
        for size, pixels in SIZES.items():
            yield folder / f"{variant}social-{size}", pixels


def test_each_image_is_a_png_and_a_jpeg_of_its_exact_pixels_in_srgb(social):
    folder, _ = social
    for stem, pixels in images(folder):
        data = stem.with_suffix(".png").read_bytes()
        chunks = png_chunks(data)
        width, height = int.from_bytes(chunks[b"IHDR"][:4], "big"), int.from_bytes(chunks[b"IHDR"][4:8], "big")
        assert (width, height) == pixels, stem
        assert chunks[b"sRGB"] == b"\x00" and b"iCCP" not in chunks  # sRGB, perceptual
        with Image.open(stem.with_suffix(".jpg")) as jpeg:
            assert jpeg.format == "JPEG" and jpeg.mode == "RGB" and jpeg.size == pixels
            icc = jpeg.info["icc_profile"]
        assert icc[36:40] == b"acsp" and icc[16:20] == b"RGB " and b"sRGB" in icc


def test_no_image_carries_a_code_and_the_decoders_would_see_one(social):
    folder, _ = social
    for stem, _ in images(folder):
        for suffix in (".png", ".jpg"):
            with Image.open(stem.with_suffix(suffix)) as image:
                image = image.convert("RGB")
            assert zxingcpp.read_barcodes(image) == [], stem.with_suffix(suffix)
            assert pyzbar.decode(image.convert("L")) == [], stem.with_suffix(suffix)
    # The same scan finds a code pasted onto one: the decoders are not blind here.
    with Image.open(folder / "social-square.png") as image:
        marked = image.convert("RGB")
    marked.paste(qrcode.make("https://www.northyorkshire.police.uk/stalking", box_size=8).convert("RGB"), (40, 40))
    assert [c.text for c in zxingcpp.read_barcodes(marked)] == ["https://www.northyorkshire.police.uk/stalking"]
    assert [r.data.decode() for r in pyzbar.decode(marked.convert("L"))] == [
        "https://www.northyorkshire.police.uk/stalking"]


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="make system-deps installs Tesseract")
def test_each_image_prints_the_campaigns_link_as_text(social):
    folder, _ = social
    for stem, _ in images(folder):
        with Image.open(stem.with_suffix(".png")) as image:
            dark_on_light = ImageOps.invert(image.convert("L"))  # as Tesseract reads best
        buffer = io.BytesIO()
        dark_on_light.save(buffer, "PNG")
        read = subprocess.run(["tesseract", "stdin", "stdout", "-l", "eng", "--psm", "3"], input=buffer.getvalue(),
                              capture_output=True, check=True).stdout.decode()
        assert LINK in read.replace(" ", ""), (stem, read)


def test_alt_text_beside_each_image_says_what_it_says_with_every_number(social):
    folder, _ = social
    for stem, _ in images(folder):
        alt = stem.with_suffix(".alt.txt").read_text(encoding="utf-8")
        assert alt.endswith("\n") and "\n" not in alt[:-1]
        assert "North Yorkshire Police" in alt and HELPLINE in alt and LINK in alt
        if stem.name == "social-story":  # the story shows the first statistic
            assert "96% " in alt and "Suzy Lamplugh Trust" in alt
        else:
            assert "%" not in alt
    county = (folder / "social-square.alt.txt").read_text()
    assert county.startswith("North Yorkshire Police. No matter how small it may seem. Speak to someone. ")
    assert re.findall(r"\d[\d ]*\d|\d", county) == [HELPLINE]


def test_manifest_and_print_order_list_the_images_to_publish_not_to_print(social):
    folder, manifest = social
    entries = {e["path"]: e for e in manifest["outputs"]}
    for stem, pixels in images(folder):
        stem = str(stem.relative_to(folder))
        png, jpeg, alt = entries[f"{stem}.png"], entries[f"{stem}.jpg"], entries[f"{stem}.alt.txt"]
        assert png["preflight"] == {"errors": 0, "warnings": png["preflight"]["warnings"]}
        assert (png["media_type"], jpeg["media_type"], alt["media_type"]) == ("image/png", "image/jpeg", "text/plain")
        assert png["pixels"] == jpeg["pixels"] == list(pixels)
        assert {png["output"], png["deliver"], jpeg["deliver"]} == {"social", "publish"}
        assert png["copies"] is None and jpeg["made_from"] == alt["made_from"] == f"{stem}.png"
        assert png["qr_url"].endswith(".social") and png["tracking"]["utm_medium"] == "social"
    assert not [p for p in entries if p.endswith(".pdf")]
    with open(folder / "print-order.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["path"] for r in rows) == sorted(
        str(stem.relative_to(folder)) + ext for stem, _ in images(folder) for ext in (".png", ".jpg"))
    assert {(r["deliver"], r["copies"], r["product"]) for r in rows} == {("publish", "", "social")}


def test_social_images_are_made_for_the_county_and_languages_in_the_social_profile_only(capsys):
    def listed(*args):
        assert main(["list", str(DEFAULT_CAMPAIGN), "--only", "social", *args]) == 0
        return sorted(line.split("/", 1)[1] for line in capsys.readouterr().out.split())
    made = sorted(f"{v}social-{s}{ext}" for v in FOLDERS for s in SIZES for ext in (".png", ".jpg", ".alt.txt"))
    assert listed() == made == listed("--profile", "social")
    assert listed("--profile", "press") == listed("--profile", "screen") == listed("--district", "york") == []
    # A social profile named alone makes no posters as images.
    assert main(["list", str(DEFAULT_CAMPAIGN), "--profile", "social"]) == 0
    assert all("/social-" in line for line in capsys.readouterr().out.split())


def test_a_story_with_its_headline_under_the_top_bar_fails_its_preflight(tmp_path):
    layouts = layouts_copy(tmp_path, {"social-story.css": (".sheet { padding: 300px 80px 0; }",
                                                           ".sheet { padding: 120px 80px 0; }")})
    code, report = run_preflight(tmp_path, "--only", "social", layouts=layouts)
    assert code == 1
    errors = [p for p in report["problems"] if p["level"] == "error"]
    assert errors and {p["file"] for p in errors} == {"social-story.png"}
    zone = [p["what"] for p in errors if p["check"] == "clear-zone"]
    assert any(w.startswith("'No matter how small it may seem.' is in the top 250 px of social-story,") for w in zone)
    assert any(w.startswith("'North Yorkshire Police' is in the top 250 px of social-story,") for w in zone)


def test_a_code_a_wrong_number_small_text_or_poor_contrast_on_an_image_fails_its_preflight(tmp_path):
    layouts = layouts_copy(tmp_path, {
        # a code, and a helpline number typed into the template with a digit wrong
        "social.html": ('<p class="link" dir="ltr">{{ c.qr.label }}</p>',
                        '<p class="link" dir="ltr">{{ c.qr.label }} 0808 802 0399</p>{{ p.qr_block(c, qr) }}'),
        "social-square.css": (".service .name, .link { font-size: 28px; }",
                               ".service .name, .link { font-size: 20px; } .qr { width: 200px; height: 200px; }"),
        # dark blue on navy, and the code hidden: only the contrast fails here
        "social-link-preview.css": (".service .name, .link { font-size: 28px; }",
                                    ".service .name, .link { font-size: 28px; } .link { color: #1f4060; } "
                                    ".qr-block { display: none; }")})
    code, report = run_preflight(tmp_path, "--only", "social", layouts=layouts)
    assert code == 1
    checks = {(p["file"], p["check"]) for p in report["problems"] if p["level"] == "error"}
    assert ("social-square.png", "no-code") in checks and ("social-story.png", "no-code") in checks
    assert ("social-square.png", "legible") in checks
    assert ("social-link-preview.png", "screen-contrast") in checks
    assert ("social-link-preview.png", "no-code") not in checks
    assert {("social-square.png", "numbers"), ("social-story.png", "numbers")} <= checks  # read from the image too
