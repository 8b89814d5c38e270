"""The change review: the approved set of proofs (proofs/) against the current renders.

A page that drifts from its approved proof fails here, naming the output, the page
and what changed (page boxes, words, words moved or scaled, pixels); the changes
are written beside the test's temporary files to look at. If the change is
intended: `campaign-print proof --approve`, and commit proofs/."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from PIL import Image

from pipeline import approved
from pipeline.cli import main
from pipeline.content import load_campaigns
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles

from .conftest import DEFAULT_CAMPAIGN, campaign_copy, with_sources
from .test_preflight import layouts_copy

CAMPAIGN = DEFAULT_CAMPAIGN.stem


def approved_jobs(content: Path = DEFAULT_CAMPAIGN, layouts: Path | None = None, outputs: set[str] | None = None):
    """The approved set's jobs (only the outputs named, e.g. {"poster-a3"}, when given)."""
    jobs = plan(load_campaigns([content]), load_layouts(*([layouts] if layouts else [])),
                select_profiles(load_profiles(), None))
    return [job for job in approved.approved_set(jobs)
            if outputs is None or job.output.removesuffix(".pdf") in outputs]


def current(outputs: set[str] | None = None, **where) -> list[approved.Record]:
    return approved.records(approved_jobs(outputs=outputs, **where))


def test_pages_match_their_approved_proofs(tmp_path):
    differences = approved.review(current(), whole=approved_jobs())
    drifted = [d for d in differences if d.drifted]
    for d in drifted:
        if d.highlight is not None:
            d.highlight.save(tmp_path / f"{d.name.replace('/', '_')}-{d.page}.png")
    assert not drifted, ("pages drifted from their approved proofs (proofs/):\n  "
                         + "\n  ".join(map(str, drifted))
                         + f"\nwhat changed (magenta) in {tmp_path}; if intended, run "
                           "`campaign-print proof --approve` and commit proofs/")


def test_approved_set_covers_every_product_size_language_a_partner_and_a_district():
    names = {approved.record_name(job).removeprefix(f"{CAMPAIGN}/") for job in approved_jobs()}
    for product in ("poster-a4", "poster-a3", "poster-a2", "leaflet-a5", "leaflet-dl", "wallet-card",
                    "wallet-card-discreet", "stat-poster-a4-96", "stat-poster-a3-55"):
        assert product in names and f"languages/ur/{product}" in names
    assert {"districts/craven/poster-a3", "districts/craven/leaflet-a5"} <= names
    assert not any(name.startswith("districts/") and "craven" not in name for name in names)  # one district
    assert {"partners/slt/leaflet-dl", "partners/slt/wallet-card", "partners/paladin/leaflet-a5"} <= names
    assert {"social-square", "social-story", "languages/ur/social-link-preview"} <= names  # in their own profile
    assert not any(name.endswith("-screen") for name in names)  # press: what the printer gets


def test_a_product_made_in_large_format_only_is_approved_there(tmp_path, campaign_text):
    """A 6-sheet is made in large format only (products.yaml): approved in that profile."""
    content = campaign_copy(tmp_path, re.sub(r"(?m)^products: \[(.*)\]$", r"products: [\1, six-sheet]", campaign_text,
                                             count=1))
    six = [job for job in approved_jobs(content=content) if job.product == "six-sheet"]
    assert [(approved.record_name(job), job.profile.name) for job in six] == [
        (f"{CAMPAIGN}/six-sheet-large-format", "large-format")]
    assert approved.approved_dpi(six[0]) == 18  # 40 pt type at 10 px to the em


def test_approved_set_is_small_and_readable():
    """Grey 4-bit pages at the resolution where the smallest type is 10 px to the em,
    and the words of each page: under 1 MiB a language (five languages: 3.2 MiB)."""
    files = list(approved.APPROVED.glob("**/*.png")) + list(approved.APPROVED.glob("**/*.txt"))
    languages = {f.parts[f.parts.index("languages") + 1] for f in files if "languages" in f.parts}
    assert files and sum(f.stat().st_size for f in files) < (1 + len(languages)) * 1024 * 1024
    card = Image.open(approved.APPROVED / CAMPAIGN / "wallet-card" / "2.png")
    assert card.mode == "P" and abs(card.width - 91 / 25.4 * 80) <= 1  # 9 pt type: 80 dpi; 85 mm + 2 × 3 mm bleed
    words = (approved.APPROVED / CAMPAIGN / "wallet-card" / "2.txt").read_text(encoding="utf-8")
    assert "0808" in words.split() and "Paladin" in words.split()


def test_a_ten_percent_smaller_a3_poster_is_a_change(tmp_path):
    """The issue's case: the whole A3 poster 10 % smaller (poster-a3.css: root type
    and code), once "No page differs"."""
    layouts = _shrunk_a3(tmp_path)
    [d] = approved.review(current({"poster-a3"}, layouts=layouts))
    assert d.drifted and d.name == f"{CAMPAIGN}/poster-a3" and d.page == 1
    said = str(d)
    assert said.startswith(f"{CAMPAIGN}/poster-a3 page 1: ") and "scaled: " in said
    assert "words at 90% of their approved size" in said, said


def _shrunk_a3(tmp_path: Path) -> Path:
    layouts = layouts_copy(tmp_path, {"poster-a3.css": ("html { font-size: 15.5pt; }", "html { font-size: 13.95pt; }")})
    css = layouts / "poster-a3.css"
    css.write_text(css.read_text().replace("--qr: 40mm;", "--qr: 36mm;"))
    return layouts


def test_a_one_letter_typo_is_a_change_named_by_its_words(tmp_path, campaign_text):
    content = campaign_copy(tmp_path, campaign_text.replace("starts in small ways", "starts in smal ways", 1))
    differences = approved.review(current({"poster-a4", "leaflet-dl"}, content=content))
    poster = next(d for d in differences if d.name == f"{CAMPAIGN}/poster-a4")
    assert poster.drifted and poster.page == 1
    assert "words: 'smal' for 'small' between 'in' and 'ways'" in str(poster), str(poster)
    assert str(poster).startswith(f"{CAMPAIGN}/poster-a4 page 1: ")


def test_a_typo_in_the_urdu_translation_is_named_as_written(tmp_path):
    """Right to left, the words are compared as set, in reading order (the press PDF's
    text layer maps each Nastaliq glyph to one letter for all its uses)."""
    content = tmp_path / "content"
    content.mkdir()
    with_sources(content)
    shutil.copy(DEFAULT_CAMPAIGN, content)
    shutil.copytree(DEFAULT_CAMPAIGN.parent / "translations", content / "translations")
    urdu = content / "translations" / CAMPAIGN / "ur.yaml"
    text = urdu.read_text(encoding="utf-8")
    assert "اسٹاکنگ اکثر" in text
    urdu.write_text(text.replace("اسٹاکنگ اکثر", "اسٹاکنگ اثکر", 1), encoding="utf-8")  # two letters swapped
    [d] = approved.review(current({"languages/ur/poster-a4"}, content=content / DEFAULT_CAMPAIGN.name))
    assert d.drifted and d.name == f"{CAMPAIGN}/languages/ur/poster-a4" and d.page == 1
    assert "words: 'اثکر' for 'اکثر' between 'اسٹاکنگ' and 'چھوٹی'" in str(d), str(d)


def test_a_moved_strapline_is_caught_and_placed(tmp_path):
    """A 6 mm shift of the poster's strapline: named, with how far and where."""
    layouts = layouts_copy(tmp_path, {"poster.css": (".strapline .call {",
                                                     ".strapline .call { position: relative; left: 6mm;")})
    [d] = [d for d in approved.review(current({"poster-a4"}, layouts=layouts)) if d.name.endswith("/poster-a4")]
    assert d.drifted and d.name == f"{CAMPAIGN}/poster-a4"
    assert "moved: " in str(d) and "by up to 6.0 mm" in str(d) and "6.0 mm right" in str(d), str(d)
    x, y, w, h = d.box_mm
    assert 0 < x < 210 and 0 < y < 297 and w > 6
    assert "poster-a4 page 1:" in str(d) and "mm from the trim's top-left" in str(d)


def test_words_in_another_colour_are_a_change(tmp_path):
    """The studio test's edit: the strapline's call in a dark red, named by its words
    and colours (the grey pages alone would see only its lightness)."""
    layouts = layouts_copy(tmp_path, {"poster.css": (".strapline .call {",
                                                     ".strapline .call { color: device-cmyk(0 0.9 0.8 0.2);")})
    [d] = approved.review(current({"poster-a4"}, layouts=layouts))
    assert d.drifted and re.search(r"colour: \d+ of \d+ words \(e\.g\. '\w+' #ffffff to #[0-9a-f]{6}\)", str(d)), str(d)


def test_an_approved_proof_that_cannot_be_read_says_so(tmp_path):
    folder = tmp_path / "approved"
    shutil.copytree(approved.APPROVED / CAMPAIGN / "wallet-card", folder / CAMPAIGN / "wallet-card")
    (folder / CAMPAIGN / "wallet-card" / "2.txt").write_text("<<<<<<< HEAD\n")  # a merge gone wrong
    [d] = approved.review(current({"wallet-card"}), folder)
    assert d.drifted and str(d) == (f"{CAMPAIGN}/wallet-card page 2: its approved proof (2.png, 2.txt) cannot be "
                                    "read: made by an older version or edited by hand; approve it again")


def test_a_review_again_compares_only_what_changed_on_either_side(tmp_path, monkeypatch):
    """The studio's changes view reviews again as renders finish: a page whose render
    and approved files are the same as last time is not compared again; a new render,
    or an approved file written since, is."""
    folder = tmp_path / "approved"
    shutil.copytree(approved.APPROVED / CAMPAIGN / "wallet-card", folder / CAMPAIGN / "wallet-card")
    made = current({"wallet-card"})
    compares = []
    real = approved.compare
    monkeypatch.setattr(approved, "compare", lambda *a, **k: compares.append(a[:2]) or real(*a, **k))
    kept: dict = {}
    first = approved.review(made, folder, compared=kept)
    assert len(compares) == 2  # its two pages
    assert approved.review(made, folder, compared=kept) == first and len(compares) == 2
    approved.review(current({"wallet-card"}), folder, compared=kept)  # rendered again
    assert len(compares) == 4
    blank = Image.new("L", Image.open(folder / CAMPAIGN / "wallet-card" / "1.png").size, 255)
    blank.save(folder / CAMPAIGN / "wallet-card" / "1.png")  # approved again, by hand
    made = current({"wallet-card"})
    [before] = approved.review(made, folder, compared=kept)
    assert [d.serial for d in approved.review(made, folder, compared=kept)] == [before.serial]  # kept
    compares.clear()
    blank.save(folder / CAMPAIGN / "wallet-card" / "1.png")
    [d] = approved.review(made, folder, compared=kept)
    assert compares == [(f"{CAMPAIGN}/wallet-card", 1)] and d.page == 1 and d.drifted
    # The studio addresses a comparison's images by its serial: compared again, a new address.
    assert d.serial != before.serial


def test_compare_pixels_ignores_identical_and_flags_size_changes():
    a = Image.new("L", (40, 50), 255)
    assert approved.compare_pixels(a, a.copy()).getbbox() is None
    assert approved.compare_pixels(a, Image.new("L", (41, 50), 255)).histogram()[255] == 41 * 50


def test_proof_command_writes_pages_with_guides_and_a_contact_sheet(tmp_path):
    from pipeline import proof

    out = tmp_path / "proofs"
    assert main(["proof", str(DEFAULT_CAMPAIGN), "--only", "leaflet-dl", "--district", "none", "--partner", "none",
                 "--language", "none", "--guides", "--dpi", "30", "--out", str(out)]) == 0
    page = Image.open(out / "no-matter-how-small" / "leaflet-dl" / "1.png").convert("RGB")
    assert abs(page.width - 303 / 25.4 * 30) <= 1 and abs(page.height - 216 / 25.4 * 30) <= 1  # trim + 3 mm bleed
    fold_x = round(100 / 25.4 * 30)  # the first fold, 97 mm from the trim, drawn in blue
    assert any(page.getpixel((fold_x, y)) == proof.GUIDE_COLOURS["folds"] for y in range(20, 200))
    assert (out / "contact-sheet.png").is_file() and (out / "contact-sheet.pdf").read_bytes().startswith(b"%PDF")


def test_approving_twice_gives_the_same_bytes_and_no_change(tmp_path, monkeypatch, capsys):
    """Same renders, same files: approving the whole set again changes no byte, and
    the review then finds nothing."""
    first = tmp_path / "first"
    monkeypatch.setattr(approved, "APPROVED", first)
    assert main(["proof", str(DEFAULT_CAMPAIGN), "--approve"]) == 0
    pages = len(list(first.glob("**/*.png")))
    assert f"approved {pages} page(s) of {len(approved_jobs())} output(s)" in capsys.readouterr().out
    kept = {p.relative_to(first): p.read_bytes() for p in first.rglob("*") if p.is_file()}
    assert len(kept) == 2 * pages  # an image and the words of each page
    shutil.copytree(first, tmp_path / "before")
    assert main(["proof", str(DEFAULT_CAMPAIGN), "--approve"]) == 0
    assert "(0 changed)" in capsys.readouterr().out
    assert {p.relative_to(first): p.read_bytes() for p in first.rglob("*") if p.is_file()} == kept
    assert main(["proof", str(DEFAULT_CAMPAIGN), "--review", "--only", "wallet-card"]) == 0
    assert "0 of" in capsys.readouterr().out


def test_review_command_names_what_changed_and_fails(tmp_path, monkeypatch, capsys):
    layouts = _shrunk_a3(tmp_path)
    assert main(["proof", str(DEFAULT_CAMPAIGN), "--review", "--only", "poster", "--district", "none",
                 "--partner", "none", "--language", "none", "--layouts", str(layouts)]) == 1
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if line.startswith(f"changed: {CAMPAIGN}/poster-a3 page 1: ")]
    assert "scaled: " in line and "at 90% of their approved size" in line, line
    assert "poster-a4 page" not in out and "poster-a2 page" not in out
    assert "campaign-print proof --approve" in out


def test_approve_with_a_selection_replaces_only_the_proofs_it_renders(tmp_path, monkeypatch, capsys):
    """`proof --approve --only poster` (or naming one campaign) rewrites the poster's
    approved pages and leaves every other approved proof as it was."""
    folder = tmp_path / "approved"
    shutil.copytree(approved.APPROVED, folder)
    other = folder / "another-campaign" / "poster-a4"  # a campaign not named
    shutil.copytree(folder / CAMPAIGN / "poster-a4", other)
    poster = folder / CAMPAIGN / "poster-a4"
    blank = Image.new("L", Image.open(poster / "1.png").size, 255)
    blank.save(poster / "1.png")  # not the current render
    blank.save(poster / "2.png")  # a page the poster no longer has
    (poster / "2.txt").write_text((poster / "1.txt").read_text())
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.parent != poster}
    monkeypatch.setattr(approved, "APPROVED", folder)
    assert main(["proof", str(DEFAULT_CAMPAIGN), "--approve", "--only", "poster", "--district", "none",
                 "--partner", "none", "--language", "none"]) == 0
    out = capsys.readouterr().out
    assert "approved 3 page(s) of 3 output(s)" in out  # A4, A3, A2
    assert "poster-a4 page 2: approved, but the page is no longer made" in out
    assert not any(other in out for other in ("leaflet", "wallet-card", "stat-poster", "another-campaign"))
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.parent != poster} == before
    assert sorted(p.name for p in poster.iterdir()) == ["1.png", "1.txt"]
    assert approved.review(current({"poster-a4"}), folder) == []
