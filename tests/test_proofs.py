"""Visual review: the approved set of proofs (proofs/) against the current layouts.

A page that drifts from its approved proof fails here, naming the page and where on
it; the changed pixels are written beside the test's temporary files to look at.
If the change is intended: `campaign-print proof --approve`, and commit proofs/."""
from __future__ import annotations

from pathlib import Path

from PIL import Image

from pipeline import proof
from pipeline.cli import main
from pipeline.content import load_campaigns
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles

from .conftest import DEFAULT_CAMPAIGN


def current_proofs(layouts=None) -> list[proof.Proof]:
    jobs = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(*([layouts] if layouts else [])),
                select_profiles(load_profiles(), proof.APPROVED_PROFILE))
    return [proof.render(job, proof.APPROVED_DPI, check=False) for job in proof.approved_set(jobs)]


def test_pages_match_their_approved_proofs(tmp_path):
    differences = proof.review(current_proofs())
    drifted = [d for d in differences if d.drifted]
    for d in drifted:
        if d.highlight is not None:
            d.highlight.save(tmp_path / f"{d.name.replace('/', '_')}-{d.page}.png")
    assert not drifted, ("pages drifted from their approved proofs (proofs/):\n  "
                         + "\n  ".join(map(str, drifted))
                         + f"\nchanged pixels (magenta) in {tmp_path}; if intended, run "
                           "`campaign-print proof --approve` and commit proofs/")


def test_approved_set_is_small():
    files = list(proof.APPROVED.glob("**/*.png"))
    assert files and sum(f.stat().st_size for f in files) < 2 * 1024 * 1024


def test_a_moved_headline_is_caught_and_placed(tmp_path):
    """A 6 mm shift of the poster's strapline: named, with where it happened."""
    from tests.test_preflight import layouts_copy

    layouts = layouts_copy(tmp_path, {"poster.css": (".strapline .call {", ".strapline .call { position: relative; left: 6mm;")})
    [poster] = [p for p in current_proofs(layouts) if p.job.product == "poster"]
    [d] = [d for d in proof.review([poster]) if d.name.endswith("/poster-a4")]
    assert d.drifted and d.name == "no-matter-how-small/poster-a4"
    x, y, w, h = d.box_mm
    assert 0 < x < 210 and 0 < y < 297 and w > 6
    assert "poster-a4 page 1:" in str(d) and "mm from the trim's top-left" in str(d)


def test_compare_ignores_identical_and_sizes_changes():
    a = Image.new("RGB", (40, 50), "white")
    assert proof.compare("x", 1, a, a.copy()).changed == 0
    assert proof.compare("x", 1, a, Image.new("RGB", (41, 50), "white")).changed == 1


def test_proof_command_writes_pages_with_guides_and_a_contact_sheet(tmp_path):
    out = tmp_path / "proofs"
    assert main(["proof", str(DEFAULT_CAMPAIGN), "--only", "leaflet-dl", "--district", "none", "--partner", "none",
                 "--language", "none", "--guides", "--dpi", "30", "--out", str(out)]) == 0
    page = Image.open(out / "no-matter-how-small" / "leaflet-dl" / "1.png").convert("RGB")
    assert abs(page.width - 303 / 25.4 * 30) <= 1 and abs(page.height - 216 / 25.4 * 30) <= 1  # trim + 3 mm bleed
    fold_x = round(100 / 25.4 * 30)  # the first fold, 97 mm from the trim, drawn in blue
    assert any(page.getpixel((fold_x, y)) == proof.GUIDE_COLOURS["folds"] for y in range(20, 200))
    assert (out / "contact-sheet.png").is_file() and (out / "contact-sheet.pdf").read_bytes().startswith(b"%PDF")


def test_approve_writes_the_approved_set_and_review_then_finds_no_change(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(proof, "APPROVED", tmp_path / "approved")
    assert main(["proof", str(DEFAULT_CAMPAIGN), "--approve"]) == 0
    assert "approved 18 page(s) of 8 output(s)" in capsys.readouterr().out
    assert sorted(p.parent.name for p in (tmp_path / "approved").glob("*/*/1.png")) == [
        "easy-read", "large-print", "leaflet-a5", "leaflet-dl", "poster-a4", "stat-poster-a4-96", "wallet-card",
        "wallet-card-discreet"]
    assert proof.review(current_proofs()) == []


def test_approve_with_a_selection_replaces_only_the_proofs_it_renders(tmp_path, monkeypatch, capsys):
    """`proof --approve --only poster` (or naming one campaign) rewrites the poster's
    approved pages and leaves every other approved proof as it was."""
    import shutil

    approved = tmp_path / "approved"
    shutil.copytree(proof.APPROVED, approved)
    other = approved / "another-campaign" / "poster-a4" / "1.png"  # a campaign not named
    other.parent.mkdir(parents=True)
    other.write_bytes((approved / DEFAULT_CAMPAIGN.stem / "poster-a4" / "1.png").read_bytes())
    poster = approved / DEFAULT_CAMPAIGN.stem / "poster-a4"
    blank = Image.new("RGB", Image.open(poster / "1.png").size, "white")
    blank.save(poster / "1.png")  # not the current render
    blank.save(poster / "2.png")  # a page the poster no longer has
    before = {p: p.read_bytes() for p in approved.rglob("*.png") if p.parent != poster}
    monkeypatch.setattr(proof, "APPROVED", approved)
    assert main(["proof", str(DEFAULT_CAMPAIGN), "--approve", "--only", "poster"]) == 0
    out = capsys.readouterr().out
    assert "approved 1 page(s) of 1 output(s)" in out
    assert "poster-a4 page 2: approved, but the page is no longer made" in out
    assert not any(other in out for other in ("leaflet", "wallet-card", "stat-poster", "another-campaign"))
    assert {p: p.read_bytes() for p in approved.rglob("*.png") if p.parent != poster} == before
    assert sorted(p.name for p in poster.iterdir()) == ["1.png"]
    [current] = [p for p in current_proofs() if p.job.product == "poster"]
    assert proof.compare("poster", 1, Image.open(poster / "1.png"), current.pages[0]).changed == 0
