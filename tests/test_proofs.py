"""Visual review: the approved set of proofs (proofs/) against the current layouts.

A page that drifts from its approved proof fails here, naming the page and where on
it; the changed pixels are written beside the test's temporary files to look at.
If the change is intended: `campaign-print proof --approve`, and commit proofs/."""
from __future__ import annotations

from pathlib import Path

from PIL import Image

from pipeline import proof
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

    layouts = layouts_copy(tmp_path, {"poster.css": (".strapline .call {", ".strapline .call { margin-left: 6mm;")})
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
