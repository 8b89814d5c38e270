"""End to end: build the default campaign and inspect the PDFs with independent tools."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from pipeline import render as render_module
from pipeline.cli import main
from pipeline.content import load_campaign
from pipeline.plan import load_layouts

from . import pdf_tools
from .conftest import CORE, DEFAULT_CAMPAIGN

EXPECTED = {  # product, size -> trim in mm, pages (from the print reference)
    ("poster", "A4"): ((210, 297), 1),
    ("poster", "A3"): ((297, 420), 1),
    ("poster", "A2"): ((420, 594), 1),
    ("leaflet-a5", "A5"): ((148, 210), 2),
    ("leaflet-dl", "DL"): ((297, 210), 2),
}


def entries(built):
    """The rendered PDFs (not the imposed sheets made from them)."""
    folder, manifest = built
    return [(folder / e["path"], e) for e in manifest["outputs"] if "imposed_from" not in e]


def test_manifest_lists_every_product_for_press_and_screen(built):
    folder, manifest = built
    assert manifest["campaign"] == "no-matter-how-small"
    for profile in ("press", "screen"):
        got = {(e["product"], e["size"]): (tuple(e["trim_mm"]), e["pages"])
               for _, e in entries(built) if e["profile"] == profile}
        assert got == EXPECTED, profile
    names = sorted(e["path"] for e in manifest["outputs"])
    assert "poster-a3.pdf" in names and "poster-a3-screen.pdf" in names
    for path, entry in entries(built):
        assert entry["variant"] is None
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert not Path(entry["path"]).is_absolute() and path.parent == folder


def test_page_boxes_match_trim_and_bleed(built):
    for path, entry in entries(built):
        boxes = pdf_tools.page_boxes_mm(path)
        assert len(boxes) == entry["pages"]
        width, height = entry["trim_mm"]
        bleed = 3 if entry["profile"] == "press" else 0
        assert entry["bleed_mm"] == bleed
        for page in boxes:
            assert page["TrimBox"] == pytest.approx((width, height), abs=0.05), path.name
            assert page["BleedBox"] == pytest.approx((width + 2 * bleed, height + 2 * bleed), abs=0.05)
            assert page["MediaBox"] == pytest.approx(tuple(entry["boxes_mm"]["media"]), abs=0.05)


def test_every_font_is_embedded(built):
    for path, _ in entries(built):
        fonts = pdf_tools.fonts(path)
        assert fonts, f"{path.name} has no fonts"
        assert all(embedded for _, embedded in fonts), (path.name, fonts)
        # The brand's typeface, and Plain Zero for the zeros of display figures (fonts/README.md).
        assert all("AtkinsonHyperlegible" in name.replace("-", "") or "PlainZero" in name.replace("-", "")
                   for name, _ in fonts), fonts


def test_key_facts_are_printed(built):
    c = load_campaign(DEFAULT_CAMPAIGN).campaign
    for path, entry in entries(built):
        text = " ".join(pdf_tools.text(path).split())
        assert " ".join(c.strapline.lead.split()) in text and c.strapline.call in text, path.name
        assert re.search(r"\b999\b", text) and re.search(r"\b101\b", text), path.name
        assert c.qr.label in text.replace("/ ", "/"), path.name
        assert c.support[0].phone in text, path.name  # National Stalking Helpline
        if entry["product"].startswith("leaflet"):
            for service in c.support:
                assert service.name in text and service.phone in text, (path.name, service.name)
            for relay in c.report.text_relay:
                assert relay.number in text, path.name


def test_qr_code_decodes_from_raster_to_manifest_url(built):
    for path, entry in entries(built):
        url = entry["qr_url"]
        assert url.startswith("https://www.northyorkshire.police.uk/stalking?")
        assert "stalk" not in url.split("?", 1)[1]
        medium = "pdf" if entry["profile"] == "screen" else "print"
        assert entry["tracking"]["utm_medium"] == medium
        assert url.endswith("?c=" + entry["tracking_code"])
        assert entry["tracking_code"].endswith(".pdf") == (medium == "pdf")
        decoded = [code for page in pdf_tools.decode_qr(path, dpi=150) for code in page]
        assert decoded == [url], path.name


def test_failed_build_leaves_earlier_pdf_untouched(built, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    args = ["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--only", "leaflet-dl", "--profile", "press",
            "--partner", "none", "--jobs", "1", "--force"]
    assert main(args) == 0
    pdf = out / "no-matter-how-small" / "leaflet-dl.pdf"
    before = pdf.read_bytes()

    def broken(job, html):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(render_module.pdf, "render_pdf", broken)
    assert main(args) == 1
    assert pdf.read_bytes() == before
    assert not list(pdf.parent.glob(".*.part"))
    assert "rendering leaflet-dl.pdf failed: disk on fire" in capsys.readouterr().err


def test_bad_content_exits_1_with_every_error_and_writes_nothing(tmp_path, campaign_text, capsys):
    bad = campaign_text.replace("phone: 0808 802 0300", "phone: 0808 802 030").replace(
        "  lead:", "  leed:")
    path = tmp_path / "broken.yaml"
    path.write_text(bad)
    assert main(["build", str(path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"{path}:" in err and "support[0].phone" in err and "strapline.leed" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_check_and_usage_exit_codes(capsys):
    assert main(["check", str(DEFAULT_CAMPAIGN)]) == 0
    with pytest.raises(SystemExit) as usage:
        main(["build", "--only"])
    assert usage.value.code == 2
    assert main(["build", str(DEFAULT_CAMPAIGN), "--only", "billboard"]) == 1
    assert "unknown product(s): billboard" in capsys.readouterr().err


def test_url_fetcher_refuses_files_outside_the_project(tmp_path):
    from weasyprint.urls import URLFetchingError

    from pipeline.paths import LAYOUTS
    from pipeline.render import ProjectFetcher

    fetcher = ProjectFetcher(LAYOUTS)
    with pytest.raises(URLFetchingError):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(URLFetchingError):
        fetcher.fetch("https://example.com/logo.png")
    response = fetcher.fetch((DEFAULT_CAMPAIGN.parent.parent / "layouts" / "base.css").as_uri())
    assert b"@font-face" in response.read()


def test_a_fetcher_kept_for_many_documents_sees_the_layouts_folder_as_it_is_now(tmp_path):
    """A worker keeps one fetcher per layouts folder (render/pdf.py): a link to the folder
    pointed elsewhere since serves the new folder's files, and no longer the old one's."""
    from weasyprint.urls import URLFetchingError

    from pipeline.render import ProjectFetcher

    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.css").write_text(f"/* {name} */\n")
    link = tmp_path / "layouts"
    link.symlink_to(tmp_path / "first")
    fetcher = ProjectFetcher(link)
    assert fetcher.fetch((link / "first.css").as_uri()).read() == b"/* first */\n"
    link.unlink()
    link.symlink_to(tmp_path / "second")
    assert fetcher.fetch((link / "second.css").as_uri()).read() == b"/* second */\n"
    with pytest.raises(URLFetchingError):
        fetcher.fetch((tmp_path / "first" / "first.css").as_uri())


def test_products_file_errors_name_the_line(tmp_path):
    from pipeline.problems import ContentError

    bad = tmp_path / "products.yaml"
    bad.write_text("poster:\n  template: poster.html\n  pages: one\n  sizes: {}\n")
    (tmp_path / "colours.yaml").write_text("ink: {cmyk: [0, 0, 0, 100], rgb: '#000000'}\n")
    with pytest.raises(ContentError) as caught:
        load_layouts(tmp_path)
    fields = {p.field: p.line for p in caught.value.problems}
    assert fields["poster.pages"] == 3
    assert "poster.sizes" in fields


def test_manifest_is_valid_json_with_stable_keys(built):
    _, manifest = built
    keys = {"path", "product", "size", "variant", "pages", "trim_mm", "sha256", "qr_url", "tracking_code", "tracking",
            "profile", "output", "pdf_variant", "bleed_mm", "boxes_mm", "district", "partner", "language",
            "copies", "input_hash", "preflight"}
    for _, entry in entries(built):
        assert keys <= set(entry)
    json.dumps(manifest)


def test_same_inputs_give_byte_identical_pdfs(built, tmp_path):
    folder, manifest = built
    out = tmp_path / "again"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), *CORE, "--jobs", "2"]) == 0
    again = json.loads((out / "no-matter-how-small" / "manifest.json").read_text())
    first = {e["path"]: e["sha256"] for e in manifest["outputs"]}
    for entry in again["outputs"]:
        assert entry["sha256"] == first[entry["path"]], entry["path"]


def test_outputs_are_readable_by_everyone_like_any_new_file(built, tmp_path):
    folder, _ = built
    plain = tmp_path / "plain"
    plain.write_bytes(b"x")  # what this machine's umask gives a new file
    for path in [*folder.glob("*.pdf"), folder / "manifest.json", folder / "preflight.html"]:
        assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777, path.name


def test_a_trial_with_another_layouts_folder_never_writes_into_output(tmp_path, monkeypatch, capsys):
    """A designer's `--layouts my-copy/` build goes to output/trials/my-copy/: the PDFs
    printers take from output/ stay as they were."""
    from .test_preflight import layouts_copy

    layouts = layouts_copy(tmp_path, {})
    monkeypatch.chdir(tmp_path)
    printed = tmp_path / "output" / DEFAULT_CAMPAIGN.stem / "poster-a4-screen.pdf"
    printed.parent.mkdir(parents=True)
    printed.write_bytes(b"%PDF- the approved poster")
    selection = ["--only", "poster", "--profile", "screen", "--district", "none", "--partner", "none",
                 "--language", "none", "--jobs", "1"]
    assert main(["build", str(DEFAULT_CAMPAIGN), "--layouts", str(layouts), *selection]) == 0
    assert "a trial, written to output/trials/layouts/" in capsys.readouterr().err
    trial = tmp_path / "output" / "trials" / "layouts" / DEFAULT_CAMPAIGN.stem
    assert {p.name for p in trial.glob("*.pdf")} == {f"poster-{s}-screen.pdf" for s in ("a4", "a3", "a2")}
    assert printed.read_bytes() == b"%PDF- the approved poster"
    assert not (printed.parent / "manifest.json").exists()
