"""Partners from outside the campaign file (the portal's way into the pipeline):
checked by the content rules, proofed in memory, written as files the CLI reads and
builds byte for byte as the portal did."""
from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

from pipeline import panels, partners
from pipeline.cli import main
from pipeline.partners import PartnerDraft
from pipeline.problems import ContentError

from .conftest import campaign_copy
from .isolation import project_copy, use_project_copy

ORANGE = (230, 120, 20)
LOCAL_NUMBER = "01904 555 017"  # not one of the campaign's numbers: must be confirmed


def png_logo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (900, 300), ORANGE).save(buffer, "PNG", dpi=(300, 300))
    return buffer.getvalue()


@pytest.fixture
def draft(tmp_path, campaign_text, monkeypatch):
    """A request from a new partner against a copy of the campaign; its logo (and the
    proofs') go into this test's copy of assets/, never the repository's."""
    use_project_copy(project_copy(tmp_path), monkeypatch)
    path = campaign_copy(tmp_path, campaign_text)
    ident = f"test-{uuid.uuid4().hex[:8]}"
    return PartnerDraft(campaign=path, id=ident, name="York Support Services",
                        contact=f"Call us on {LOCAL_NUMBER}", products=["leaflet-dl"],
                        logo_name="logo.png", logo=png_logo(), copies={"leaflet-dl": 250})


def test_a_number_that_is_not_the_campaigns_must_be_confirmed(draft):
    problems = partners.check_partner(draft)
    assert partners.unconfirmed_numbers(problems) == [LOCAL_NUMBER]
    [problem] = [p for p in problems if p.level == "error"]
    assert problem.field == "contact" and problem.check == "unconfirmed-number"
    draft.confirmed_numbers = [LOCAL_NUMBER]
    assert partners.check_partner(draft) == []


@pytest.mark.parametrize("change, field, words", [
    ({"contact": "Call 0808 802 0300 \u202e"}, "contact", "U+202E"),
    ({"name": "York\u200bSupport"}, "name", "U+200B"),
    ({"products": ["poster"]}, "products[0]", "does not offer 'poster'"),
    ({"id": "slt"}, "id", "taken by another partner"),
    ({"logo_name": "logo.gif"}, "logo", "SVG, PNG or JPEG"),
    ({"logo": b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "logo_name": "l.svg"},
     "logo", "script"),
    ({"logo": png_logo()[:200]}, "logo", ""),
    # Both numbers the campaign's own: the helpline's name with Women's Aid's number.
    ({"contact": "National Stalking Helpline 0808 2000 247"}, "contact", "Women's Aid's number"),
])
def test_hostile_or_careless_requests_are_refused_naming_the_field(draft, change, field, words):
    for key, value in change.items():
        setattr(draft, key, value)
    errors = [p for p in partners.check_partner(draft) if p.level == "error" and p.field == field]
    assert errors and words in " ".join(p.what for p in errors), errors


def test_proof_shows_every_page_with_the_logo(draft):
    proof = partners.proof(draft, "leaflet-dl")
    assert len(proof.pages) == 2
    # The only errors are the number waiting for a coordinator's confirmation.
    assert {p.check for p in proof.problems if p.level == "error"} == {"unconfirmed-number"}
    outside = Image.open(io.BytesIO(proof.pages[0])).convert("RGB")
    orange = sum(1 for pixel in outside.get_flattened_data() if sum(abs(a - b) for a, b in zip(pixel, ORANGE)) < 40)
    assert orange > 500, "the partner's logo is not on the proof"
    text = " ".join(pdfium.PdfDocument(proof.pdf)[0].get_textpage().get_text_range().split())
    assert LOCAL_NUMBER in text and "York Support Services" in text


def test_proof_renders_only_the_partners_side_and_looks_as_the_whole(draft, monkeypatch):
    """Issue 26: the DL's outside (logo, lines, QR code) is rendered for each proof; its
    inside, the same for every partner, comes from a cache; the pages look exactly as
    when the whole leaflet is rendered, at the width asked for."""
    draft.contact = "Open Monday to Friday"
    part = partners.proof(draft, "leaflet-dl", width=600)
    assert len(pdfium.PdfDocument(part.pdf)) == 1, "only the partner's side is rendered"
    # of that side, only the back panel (lines, logo, code): not the flap or the cover
    rendered = _text(part.pdf)
    assert "York Support Services" in rendered and "Report it" not in rendered
    _same_as_the_whole(draft, part, monkeypatch)


def test_a_partner_panel_that_reaches_into_another_is_proofed_whole(draft, monkeypatch):
    """A contact line too long for the back panel: its proof is not drawn by panels
    (what the partner's panel hides or pushes past the fold is only seen on the whole
    side): the whole outside is rendered, as a proof by sides renders it."""
    draft.contact = "Open Monday to Friday, evenings and weekends by appointment; " * 12
    part = partners.proof(draft, "leaflet-dl", width=600)
    assert "Report it" in _text(part.pdf), "the whole side is rendered"
    assert any(p.level == "error" and p.check in ("hidden-text", "lost-text", "folds") for p in part.problems)
    monkeypatch.setattr(panels, "proof", lambda *args: None)
    sides = partners.proof(draft, "leaflet-dl", width=600)
    assert part.pages == sides.pages and part.pdf == sides.pdf
    assert [(p.check, p.page) for p in part.problems] == [(p.check, p.page) for p in sides.problems]


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in pdfium.PdfDocument(pdf))


def _same_as_the_whole(draft, part, monkeypatch):
    monkeypatch.setattr(partners, "_partner_sides", lambda job, width: None)
    whole = partners.proof(draft, "leaflet-dl", width=600)
    assert len(pdfium.PdfDocument(whole.pdf)) == 2 and len(part.pages) == 2
    for mine, theirs in zip(part.pages, whole.pages):
        a, b = (Image.open(io.BytesIO(png)).convert("RGB") for png in (mine, theirs))
        assert a.width == 600 and a.size == b.size
        assert ImageChops.difference(a, b).getbbox() is None, "the proof differs from the whole leaflet"
    assert [(p.check, p.page) for p in part.problems] == [(p.check, p.page) for p in whole.problems]


def test_approved_partner_becomes_files_the_cli_builds_byte_for_byte(draft, tmp_path, capsys):
    with pytest.raises(ContentError):  # the number is not confirmed yet
        partners.write_partner(draft)
    draft.confirmed_numbers = [LOCAL_NUMBER]
    entry, logo = partners.write_partner(draft)
    assert entry == draft.campaign.parent / "partners" / draft.campaign.stem / f"{draft.id}.yaml"
    assert logo.read_bytes() == draft.logo
    portal = partners.build_partner(draft.campaign, draft.id, tmp_path / "portal")
    assert not portal.errors
    assert main(["build", str(draft.campaign), "--partner", draft.id, "--out", str(tmp_path / "cli")]) == 0

    def partner_files(out):
        manifest = json.loads((out / draft.campaign.stem / "manifest.json").read_text())
        return {e["path"]: e["sha256"] for e in manifest["outputs"] if e["partner"] == draft.id}

    built = partner_files(tmp_path / "portal")
    assert built == partner_files(tmp_path / "cli")
    assert {f"partners/{draft.id}/leaflet-dl.pdf", f"partners/{draft.id}/leaflet-dl-screen.pdf"} <= set(built)
    with open(tmp_path / "portal" / draft.campaign.stem / "print-order.csv") as f:
        assert any(line.startswith(f",{draft.id},") and ",250," in line for line in f)


def test_a_partner_file_with_a_wrong_number_is_an_error_naming_its_line(draft, capsys):
    folder = draft.campaign.parent / "partners" / draft.campaign.stem
    folder.mkdir(parents=True)
    (folder / "york.yaml").write_text("id: york\nname: York\nlogo: partners/paladin.stand-in.svg\n"
                                      "contact: Call 0808 802 0301\nproducts: [leaflet-dl]\n")
    assert main(["check", str(draft.campaign)]) == 1
    err = capsys.readouterr().err
    assert f"{folder / 'york.yaml'}:4 contact: the phone number '0808 802 0301'" in err


def test_the_portal_seals_confirmed_numbers_and_a_number_added_by_hand_is_refused(draft, capsys):
    """write_partner (the portal's approval) seals the coordinator's confirmations;
    the CLI trusts them; the same file with one more number typed in is refused."""
    draft.confirmed_numbers = [LOCAL_NUMBER]
    entry, _ = partners.write_partner(draft)
    written = entry.read_text()
    assert "confirmation: " in written
    assert main(["check", str(draft.campaign)]) == 0
    other = "01904 555 018"
    entry.write_text(written.replace(f"Call us on {LOCAL_NUMBER}", f"Call us on {LOCAL_NUMBER} or {other}")
                     .replace(f"- {LOCAL_NUMBER}", f"- {LOCAL_NUMBER}\n- {other}"))
    capsys.readouterr()
    assert main(["check", str(draft.campaign)]) == 1
    err = capsys.readouterr().err
    assert "confirmed_numbers were not written by the partner portal (the seal does not match)" in err
