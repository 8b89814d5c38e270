"""Nothing outside the project or --out is read, written or deleted: links and hard
links planted in the output folder or a layouts copy are refused, not followed;
stand-ins stay stand-ins through a link; templates see plain data; CSV cells never
run as formulas; images print as proofed; every operating-system error a user can
cause is one message. Each change outside is checked by hashing a decoy folder."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy
import pypdfium2 as pdfium
import pytest
from PIL import Image

from pipeline.assets import ASSETS, check_image, is_stand_in, normalise_image, read_project_file, RefusedFile
from pipeline.build import spreadsheet_safe
from pipeline.cli import main
from pipeline.content import load_campaigns
from pipeline.layouts import context, render_html
from pipeline.paths import LAYOUTS
from pipeline.plan import NEIGHBOURS, load_layouts, load_profiles, plan, select_profiles
from pipeline.problems import ContentError, RenderError
from pipeline.render import render_pdf

from .conftest import DEFAULT_CAMPAIGN, ROOT, campaign_copy

SLUG = "no-matter-how-small"
WALLET = ["--only", "wallet-card", "--district", "none", "--partner", "none", "--language", "none",
          "--profile", "press", "--jobs", "1"]


def tree_hash(folder: Path) -> str:
    """Names, link targets and bytes of everything under `folder`, links not followed."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_symlink():
            digest.update(os.readlink(path).encode())
        elif path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@pytest.fixture
def decoy(tmp_path) -> Path:
    """A folder outside --out holding what an attacker wants changed."""
    folder = tmp_path / "decoy"
    (folder / "keep").mkdir(parents=True)
    (folder / "secret.txt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (folder / "keep" / "photo.jpg").write_bytes(b"\xff\xd8\xff" + b"x" * 1000)
    return folder


@pytest.fixture
def layouts(tmp_path) -> Path:
    """A designer's copy of layouts/ (cp -r), the project's folders linked beside it."""
    folder = tmp_path / "layouts"
    shutil.copytree(LAYOUTS, folder)
    for name, target in NEIGHBOURS.items():
        (tmp_path / name).symlink_to(target)
    return folder


def poster_job(folder: Path, profile: str = "press"):
    return plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(folder), select_profiles(load_profiles(), profile),
                only=["poster"], districts=["none"], partners=["none"], languages=["none"])[0]


# --- planted links in the output folder ---

def test_a_symlink_planted_at_the_lock_is_refused_and_its_target_kept(tmp_path, decoy, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".lock").symlink_to(decoy / "secret.txt")
    before = tree_hash(decoy)
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), *WALLET]) == 1
    err = capsys.readouterr().err
    assert f"{out / '.lock'}: is a symbolic link to {decoy / 'secret.txt'}" in err
    assert "rm -r" in err and "Traceback" not in err
    assert tree_hash(decoy) == before and (decoy / "secret.txt").stat().st_size > 0
    assert not (out / SLUG).exists()


def test_a_hard_link_planted_at_the_lock_is_refused(tmp_path, decoy, capsys):
    out = tmp_path / "out"
    out.mkdir()
    os.link(decoy / "secret.txt", out / ".lock")
    before = tree_hash(decoy)
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), *WALLET]) == 1
    assert "is not a plain file of its own (a hard link" in capsys.readouterr().err
    assert tree_hash(decoy) == before


@pytest.mark.parametrize("planted", [f".generations/{SLUG}", ".generations", SLUG])
def test_a_symlink_planted_in_the_generations_is_refused_and_nothing_outside_changes(
        tmp_path, decoy, capsys, planted):
    out = tmp_path / "out"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), *WALLET]) == 0
    if planted == SLUG:
        (out / SLUG).unlink()
    else:
        shutil.rmtree(out / planted)
    (out / planted).symlink_to(decoy / "keep" if planted == SLUG else decoy)
    before = tree_hash(decoy)
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), *WALLET, "--force"]) == 1
    err = capsys.readouterr().err
    assert f"{out / planted}: is a" in err and "link to" in err and "Traceback" not in err
    assert tree_hash(decoy) == before
    assert not list(decoy.rglob("*.pdf"))


PROOF = ["proof", str(DEFAULT_CAMPAIGN), "--only", "wallet-card", "--district", "none", "--partner", "none",
         "--language", "none", "--profile", "screen", "--dpi", "20"]


@pytest.mark.parametrize("planted", [SLUG, f"{SLUG}/wallet-card-screen", f"{SLUG}/wallet-card-screen/1.png",
                                     "contact-sheet.png"])
def test_proof_follows_no_link_planted_in_its_out_folder(tmp_path, decoy, capsys, planted):
    out = tmp_path / "proofs"
    (out / planted).parent.mkdir(parents=True, exist_ok=True)
    (out / planted).symlink_to(decoy / "secret.txt" if planted.endswith(".png") else decoy)
    before = tree_hash(decoy)
    code = main([*PROOF, "--out", str(out)])
    err = capsys.readouterr().err
    assert tree_hash(decoy) == before and "Traceback" not in err
    if planted.endswith(".png"):  # a file's name: the link is replaced by the file, never written through
        assert code == 0 and not (out / planted).is_symlink() and (out / planted).read_bytes().startswith(b"\x89PNG")
    else:
        assert code == 1 and f"{out / planted}: is a symbolic link to {decoy}" in err


def test_schema_writes_through_no_link_planted_in_its_out_folder(tmp_path, decoy):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "fields.md").symlink_to(decoy / "secret.txt")
    before = tree_hash(decoy)
    assert main(["schema", "--out", str(out)]) == 0
    assert tree_hash(decoy) == before
    assert not (out / "fields.md").is_symlink() and "| field |" in (out / "fields.md").read_text().lower()


# --- the one reader of project files ---

def test_a_hard_link_to_a_file_outside_in_a_layouts_copy_is_refused(layouts, decoy):
    os.link(decoy / "secret.txt", layouts / "secret.html")
    (layouts / "poster.html").write_text('{% include "secret.html" %}')
    with pytest.raises(RenderError) as caught:
        render_html(poster_job(layouts))
    problem = caught.value.problems[0]
    assert problem.file == "layouts/secret.html" and "2 hard links" in problem.what
    assert "root:x" not in str(caught.value)
    with pytest.raises(RefusedFile):
        read_project_file(layouts / "secret.html", [layouts])
    # A designer's copy of the same file (cp) is read.
    shutil.copyfile(decoy / "secret.txt", layouts / "copy.html")
    assert read_project_file(layouts / "copy.html", [layouts]).startswith(b"root:x")


def test_products_yaml_hard_linked_or_naming_dev_zero_is_refused_before_reading(layouts, decoy):
    text = (layouts / "products.yaml").read_text()
    (layouts / "products.yaml").write_text(text.replace("poster.css, poster-a3.css]", "poster.css, /dev/zero]", 1))
    assert "/dev/zero" in (layouts / "products.yaml").read_text()
    with pytest.raises(ContentError) as caught:
        load_layouts(layouts)
    problem = caught.value.problems[0]
    assert problem.field == "poster.sizes.A3.stylesheets[2]" and "'/dev/zero' is not a file name inside" in problem.what
    (layouts / "products.yaml").unlink()
    os.link(decoy / "secret.txt", layouts / "products.yaml")
    with pytest.raises(ContentError) as caught:
        load_layouts(layouts)
    assert "hard links" in caught.value.problems[0].what


@pytest.mark.parametrize("given", ["layuots", "layouts/products.yaml", "missing/layouts"])
def test_a_layouts_folder_that_is_not_one_is_one_message(tmp_path, capsys, given):
    (tmp_path / "layouts").mkdir()
    (tmp_path / "layouts" / "products.yaml").write_text("{}\n")
    assert main(["check", str(DEFAULT_CAMPAIGN), "--layouts", str(tmp_path / given)]) == 1
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "Errno" not in err, err
    assert f"{tmp_path / given}: not a layouts folder" in err and "products.yaml" in err, err


def test_a_stylesheet_missing_from_the_layouts_is_named_not_a_write_error(layouts, tmp_path, capsys):
    (layouts / "poster-a3.css").unlink()
    code = main(["build", str(DEFAULT_CAMPAIGN), "--layouts", str(layouts), "--out", str(tmp_path / "out"),
                 "--only", "poster", *WALLET[2:]])
    err = capsys.readouterr().err
    assert code == 1 and "the stylesheet 'poster-a3.css' is missing" in err and "poster.sizes.A3.stylesheets[2]" in err
    assert "cannot write" not in err and "Traceback" not in err


def test_a_stand_in_reached_through_a_link_is_still_a_stand_in(tmp_path):
    (tmp_path / "slt.stand-in.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "slt-final.svg").symlink_to("slt.stand-in.svg")
    (tmp_path / "real.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert is_stand_in(tmp_path / "slt-final.svg")
    assert not is_stand_in(tmp_path / "real.svg")


def test_a_partner_whose_logo_links_to_a_stand_in_is_a_proof_only(tmp_path, campaign_text, monkeypatch):
    from pipeline import assets
    from pipeline.plan import names as plan_names
    from pipeline.build import Output, printable

    folder = tmp_path / "assets"
    (folder / "partners").mkdir(parents=True)
    for logo in (ASSETS / "partners").glob("*.stand-in.svg"):
        shutil.copyfile(logo, folder / "partners" / logo.name)
    (folder / "partners" / "slt-final.svg").symlink_to("suzy-lamplugh-trust.stand-in.svg")
    for module in (assets, plan_names):
        monkeypatch.setattr(module, "ASSETS", folder)
    text = campaign_text.replace("logo: partners/suzy-lamplugh-trust.stand-in.svg", "logo: partners/slt-final.svg")
    jobs = plan(load_campaigns([campaign_copy(tmp_path, text)]), load_layouts(LAYOUTS),
                select_profiles(load_profiles(), "press"), only=["leaflet-dl"], partners=["slt"])
    assert jobs and all(job.stand_in for job in jobs)
    entry = Output(jobs[0], "0" * 64, 2, [], "0" * 64).manifest_entries()[0]
    assert entry["stand_in"] and not printable(entry)


# --- templates see plain data ---

@pytest.mark.parametrize("expression", [
    "c.json()", "c.dict()", "c.copy(update={'name': 'x'})",
    "brand.dict()", "c.qr.copy()", "c.statistics[0].json()", "job.layouts.folder", "job.source.path",
])
def test_templates_cannot_call_model_methods_or_reach_paths(layouts, expression):
    (layouts / "poster.html").write_text("{{ " + expression + " }}")
    with pytest.raises(RenderError) as caught:
        render_html(poster_job(layouts))
    assert caught.value.problems[0].file == "layouts/poster.html"


def test_a_helper_given_an_unknown_id_says_which_ids_there_are(layouts):
    (layouts / "poster.html").write_text("<p>\n{{ c.source('press-releas') }}</p>")
    with pytest.raises(RenderError) as caught:
        render_html(poster_job(layouts))
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("layouts/poster.html", 2), problem
    assert "no source with the id 'press-releas'" in problem.what and "StopIteration" not in problem.what, problem


def test_the_template_context_is_plain_data(layouts):
    import datetime
    from types import SimpleNamespace

    from markupsafe import Markup

    def walk(value, where):
        if isinstance(value, SimpleNamespace):
            value = vars(value)
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")
        else:
            assert value is None or callable(value) and value.__module__ == "pipeline.layouts" or isinstance(
                value, (str, int, float, bool, datetime.date, Markup)), f"{where}: {type(value)}"

    walk(context(poster_job(layouts)), "context")


# --- spreadsheet-safe CSV ---

def test_a_district_named_as_a_formula_is_text_in_the_csv_files(tmp_path, campaign_text):
    # No web address in it: a district naming another site is refused at load
    # (test_trust_new_inputs); this one must reach the CSV files.
    formula = '=HYPERLINK("#x","York")'
    text = campaign_text.replace("      - name: Craven", f"      - name: '{formula}'")
    assert formula in text
    out = tmp_path / "out"
    assert main(["build", str(campaign_copy(tmp_path, text)), "--out", str(out), "--only", "poster",
                 "--district", "hyperlink-x-york", "--profile", "press", "--jobs", "1"]) == 0
    for name in ("print-order.csv", "manifest.csv"):
        rows = list(csv.DictReader(io.StringIO((out / SLUG / name).read_text())))
        assert rows and all(row["district"] == "'" + formula for row in rows), name
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row.values())


def test_spreadsheet_safe_cells():
    # Spaces before the sign too: some spreadsheets drop them and run the rest.
    for cell in ("=1+1", "+44", "-2", "@SUM(A1)", "\tx", "\rx", " =1+1", "\u00a0=HYPERLINK(\"x\")", "\n@x"):
        assert spreadsheet_safe(cell) == "'" + cell
    assert spreadsheet_safe("York") == "York" and spreadsheet_safe(20) == 20 and spreadsheet_safe(None) is None


# --- images normalised on the way in ---

def grey16_png(value: int = 0x8080, size=(200, 200)) -> bytes:
    image = Image.fromarray(numpy.full(size[::-1], value, dtype=numpy.uint16))
    assert image.mode == "I;16"
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("source", ["file", "data: URI"])
@pytest.mark.parametrize("profile", ["press", "screen"])
def test_a_16_bit_greyscale_png_prints_as_its_grey(layouts, profile, source):
    (layouts / "grey16.png").write_bytes(grey16_png())
    src = "grey16.png" if source == "file" else "data:image/png;base64," + base64.b64encode(grey16_png()).decode()
    html = (f'<html><body style="margin:0"><img src="{src}" '
            'style="position:absolute; left:20mm; top:20mm; width:60mm; height:60mm"></body></html>')
    pdf = render_pdf(poster_job(layouts, profile), html).pdf
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=1).to_pil().convert("RGB")
    # The middle of the image: 50 mm right of and below the trim's top-left corner.
    left, _, _, top = page.get_cropbox()
    trim_left, _, _, trim_top = page.get_trimbox()
    centre = (int(trim_left - left + 50 * 72 / 25.4), int(top - trim_top + 50 * 72 / 25.4))
    r, g, b = image.getpixel(centre)
    assert 90 < r < 170 and abs(r - g) < 20 and abs(g - b) < 20, (r, g, b)


def test_images_are_normalised_or_refused():
    palette = Image.new("P", (10, 10))
    out = io.BytesIO()
    palette.save(out, "PNG")
    data, kind = normalise_image(out.getvalue())
    assert kind == "image/png" and Image.open(io.BytesIO(data)).mode == "RGBA"
    turned = Image.new("RGB", (30, 10), (255, 0, 0))
    exif = turned.getexif()
    exif[0x0112] = 6  # rotate 90° when shown
    out = io.BytesIO()
    turned.save(out, "JPEG", exif=exif)
    data, kind = normalise_image(out.getvalue())
    assert Image.open(io.BytesIO(data)).size == (10, 30)
    plain = io.BytesIO()
    Image.new("RGB", (10, 10)).save(plain, "PNG")
    assert normalise_image(plain.getvalue()) == (plain.getvalue(), None)
    broken = io.BytesIO()
    Image.new("RGB", (10, 10)).save(broken, "PNG", icc_profile=b"not an ICC profile")
    problems = check_image(broken.getvalue(), "logo.png")
    assert problems and "ICC profile" in problems[0].what


# --- operating-system errors: one message, exit 1, earlier outputs intact ---

def test_out_naming_a_file_is_one_message(tmp_path, capsys):
    out = tmp_path / "out.pdf"
    out.write_bytes(b"%PDF-1.7 earlier")
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), *WALLET]) == 1
    err = capsys.readouterr().err
    assert f"{out}: cannot write the output: is a file, not a folder" in err and "--out" in err
    assert "Traceback" not in err and out.read_bytes() == b"%PDF-1.7 earlier"


@pytest.mark.parametrize("command", [PROOF, ["schema"]])
def test_proof_or_schema_out_naming_a_file_is_the_same_one_message(tmp_path, capsys, command):
    out = tmp_path / "out.pdf"
    out.write_bytes(b"%PDF-1.7 earlier")
    assert main([*command, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{out}: cannot write the output: is a file, not a folder" in err and "give --out a folder" in err
    assert "Traceback" not in err and out.read_bytes() == b"%PDF-1.7 earlier"


def _build_command(out: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", "build", str(DEFAULT_CAMPAIGN), "--out", out, *WALLET, *extra]


def _can(command: list[str]) -> bool:
    return shutil.which(command[0]) is not None and subprocess.run(
        command, capture_output=True).returncode == 0


def test_a_build_as_an_unprivileged_user_into_another_users_folder_is_one_message(tmp_path):
    if os.geteuid() != 0 or not _can(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "true"]):
        pytest.skip("needs root and setpriv to run a build as nobody")
    out = tmp_path / "out"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), *WALLET]) == 0
    before = tree_hash(out)
    tmp_path.chmod(0o755)  # nobody starts in tmp_path (its cwd) and names out relative to it
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           *_build_command("out", "--force")], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1",
                               "HOME": str(tmp_path)})
    assert done.returncode == 1, done.stderr
    assert "cannot write the output: permission denied" in done.stderr and "out/.lock" in done.stderr
    assert "Traceback" not in done.stderr
    assert tree_hash(out) == before


def _in_mount_namespace(script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_read_only_out_is_one_message_and_the_earlier_outputs_stay(tmp_path):
    if not _can(["unshare", "--mount", "true"]):
        pytest.skip("needs unshare --mount (a private, read-only bind mount)")
    out = tmp_path / "out"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), *WALLET]) == 0
    before = tree_hash(out)
    build = " ".join(f"'{part}'" for part in _build_command(str(out), "--force"))
    # The read-only mount exists in this one process's namespace and goes with it.
    done = _in_mount_namespace(f"mount --bind '{out}' '{out}' && mount -o remount,bind,ro '{out}' && {build}",
                               tmp_path)
    assert done.returncode == 1, done.stderr
    assert "cannot write the output: the file system is read-only" in done.stderr and str(out) in done.stderr
    assert "Traceback" not in done.stderr
    assert tree_hash(out) == before


def test_a_full_disk_is_one_message_and_the_earlier_outputs_stay(tmp_path):
    if not _can(["unshare", "--mount", "true"]):
        pytest.skip("needs unshare --mount (a private, small tmpfs)")
    out = tmp_path / "out"
    out.mkdir()
    first = " ".join(f"'{part}'" for part in _build_command(str(out)))
    second = " ".join(f"'{part}'" for part in _build_command(str(out), "--force", "--only", "poster"))
    pdfs = lambda listing: {line for line in listing.splitlines() if line.endswith(".pdf")}  # noqa: E731
    listing = f"cd '{out}/{SLUG}/' && find . -type f | sort | xargs sha256sum"
    # A 1.5 MB disk: the wallet card fits, three posters more do not.
    done = _in_mount_namespace(
        f"mount -t tmpfs -o size=1500k tmpfs '{out}' && {first} >/dev/null 2>&1 && {listing} && echo ==== "
        f"&& {{ {second} >/dev/null; echo exit $?; }} && {listing}", tmp_path)
    before, _, after = done.stdout.partition("====\n")
    assert before and "wallet-card.pdf" in before, done.stderr
    # The wallet card could not be written again: the earlier one stays, listed.
    assert "exit 1" in after and pdfs(before) <= pdfs(after)
    assert f"wallet-card.pdf: cannot write {out}/.generations/{SLUG}/" in done.stderr
    assert "the disk is full" in done.stderr and "Traceback" not in done.stderr
