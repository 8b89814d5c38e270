"""Press-ready output: PDF/X with a CMYK output intent, bleed, crop marks; and the
accessible screen copy. All inspected with pikepdf/PDFium, not with the renderer."""
from __future__ import annotations

import pikepdf
import pytest

from pipeline.cli import main
from pipeline.paths import COLOUR
from pipeline.plan import load_profiles

from . import pdf_tools
from .conftest import DEFAULT_CAMPAIGN, write_campaign

MM = 72 / 25.4


def outputs(built, profile):
    folder, manifest = built
    return [(folder / e["path"], e) for e in manifest["outputs"]
            if e["profile"] == profile and "imposed_from" not in e]


def test_press_pdfs_are_pdfx4_with_a_cmyk_output_intent(built):
    for path, entry in outputs(built, "press"):
        assert entry["pdf_variant"] == "pdf/x-4"
        with pikepdf.open(path) as pdf:
            assert pdf.pdf_version == "1.6"
            info = pdf.docinfo
            assert str(info["/GTS_PDFXVersion"]) == "PDF/X-4"
            assert str(info["/Trapped"]) == "/False"
            assert "No matter how small" in str(info["/Title"])
            [intent] = pdf.Root.OutputIntents
            assert intent.S == "/GTS_PDFX"
            assert str(intent.OutputConditionIdentifier) == "FOGRA39"
            profile = intent.DestOutputProfile
            assert int(profile.N) == 4
            icc = profile.read_bytes()
            assert icc[12:20] == b"prtrCMYK"  # an output profile for CMYK
            assert b"GTS_PDFXVersion" in pdf.Root.Metadata.read_bytes()


def test_press_pdfs_use_cmyk_only(built):
    for path, _ in outputs(built, "press"):
        used = pdf_tools.colour_operators(path)
        assert not used["operators"] & pdf_tools.RGB_OPERATORS, (path.name, used)
        assert used["spaces"] == {"/DeviceCMYK"}, (path.name, used)
        assert used["image_spaces"] <= {"/DeviceCMYK"}, (path.name, used)


def test_text_and_qr_are_100_percent_black(built):
    """Every dark colour set in a press PDF is pure K, never rich black or RGB."""
    for path, _ in outputs(built, "press"):
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                for operands, op in pikepdf.parse_content_stream(page):
                    if str(op) in ("scn", "sc", "k", "K") and len(operands) == 4:
                        c, m, y, k = (float(v) for v in operands)
                        if k == 1:
                            assert (c, m, y) == (0, 0, 0), path.name


def test_screen_pdfs_are_rgb_and_without_bleed(built):
    for path, entry in outputs(built, "screen"):
        assert path.name.endswith("-screen.pdf")
        used = pdf_tools.colour_operators(path)
        assert "scn" not in used["operators"] and "/DeviceCMYK" not in used["spaces"]
        with pikepdf.open(path) as pdf:
            assert "/OutputIntents" not in pdf.Root
        assert entry["boxes_mm"]["media"] == entry["trim_mm"]


def test_screen_pdfs_are_tagged_for_screen_readers(built):
    for path, entry in outputs(built, "screen"):
        assert entry["pdf_variant"] == "pdf/ua-1"
        with pikepdf.open(path) as pdf:
            root = pdf.Root
            assert root.MarkInfo.Marked is True
            assert str(root.Lang) == "en-GB"
            assert root.ViewerPreferences.DisplayDocTitle is True
            assert "No matter how small" in str(pdf.docinfo["/Title"])
        elements = pdf_tools.struct_elements(path)
        types = [e["type"] for e in elements]
        assert "/H1" in types and "/H2" in types, path.name
        figures = [e for e in elements if e["type"] == "/Figure"]
        assert figures and all(e["alt"] for e in figures), path.name
        assert any("northyorkshire.police.uk/stalking" in e["alt"] for e in figures)
        # Real text, not outlines.
        assert "Speak to someone." in " ".join(pdf_tools.text(path).split())


def _edge_samples(image, media, trim_pt, bleed_pt, dpi):
    """Pairs of (just inside the trim, out in the bleed) pixels along each edge."""
    scale = dpi / 72
    left, top = -media[0], media[3]  # trim origin in media coordinates
    w, h = trim_pt

    def px(x, y):  # PDF point (origin at trim bottom-left) -> image pixel
        return image.getpixel((int((x + left) * scale), int((top - y) * scale)))

    inside, outside = 1.0 * MM, bleed_pt - 0.8 * MM
    for i in range(1, 40):
        x, y = w * i / 40, h * i / 40
        yield "bottom", px(x, inside), px(x, -outside)
        yield "top", px(x, h - inside), px(x, h + outside)
        yield "left", px(inside, y), px(-outside, y)
        yield "right", px(w - inside, y), px(w + outside, y)


def test_colour_touching_the_trim_runs_into_the_bleed(built):
    dpi = 50
    for path, entry in outputs(built, "press"):
        trim_pt = [v * MM for v in entry["trim_mm"]]
        bleed_pt = entry["bleed_mm"] * MM
        coloured = 0
        for index in range(entry["pages"]):
            image, media = pdf_tools.render_media(path, index, dpi)
            for edge, inside, outside in _edge_samples(image, media, trim_pt, bleed_pt, dpi):
                if inside != (255, 255, 255):
                    coloured += 1
                    assert sum(abs(a - b) for a, b in zip(inside, outside)) < 30, \
                        f"{path.name} page {index + 1} {edge} edge: {inside} at the trim, {outside} in the bleed"
        assert coloured, f"{path.name}: no colour at the trim at all? (the check would see nothing)"


def test_crop_marks_sit_outside_the_bleed_in_black(tmp_path):
    out = tmp_path / "out"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--only", "poster",
                 "--profile", "press-x1a-marks", "--district", "none", "--language", "none"]) == 0
    path = out / "no-matter-how-small" / "poster-a4-press-x1a-marks.pdf"
    with pikepdf.open(path) as pdf:
        assert pdf.pdf_version == "1.4"
        # ISO 15930-4: the version key names the standard, the conformance key the level.
        assert str(pdf.docinfo["/GTS_PDFXVersion"]) == "PDF/X-1:2003"
        assert str(pdf.docinfo["/GTS_PDFXConformance"]) == "PDF/X-1a:2003"
        xmp = pdf.open_metadata()
        assert xmp["pdfx:GTS_PDFXVersion"] == "PDF/X-1:2003"
        assert xmp["pdfx:GTS_PDFXConformance"] == "PDF/X-1a:2003"
        assert "pdfxid:GTS_PDFXVersion" not in xmp
        page = pdf.pages[0]
        bleed = [float(v) for v in page.obj.BleedBox]
        media = [float(v) for v in page.obj.MediaBox]
        assert media[0] < bleed[0] and media[2] > bleed[2]
        marks = pikepdf.parse_content_stream(page.obj.Contents[-1])
        ops = [str(op) for _, op in marks]
        assert "K" in ops and not set(ops) & pdf_tools.RGB_OPERATORS
        for operands, op in marks:
            if str(op) == "K":
                assert [float(v) for v in operands] == [0, 0, 0, 1]
            if str(op) in ("m", "l"):
                x, y = (float(v) for v in operands)
                outside_x = x < bleed[0] or x > bleed[2]
                outside_y = y < bleed[1] or y > bleed[3]
                assert outside_x or outside_y, (x, y)
    [[code]] = pdf_tools.decode_qr(path)
    assert code.endswith("?c=pa4")


def test_every_profile_file_is_valid_and_names_an_existing_icc():
    profiles = load_profiles()
    assert {"press", "screen"} <= set(profiles)
    assert [p.name for p in profiles.values() if p.spec.default] == ["press", "screen"]
    for named in profiles.values():
        if named.spec.output == "print":
            assert (COLOUR / named.spec.output_intent.icc).is_file()


def test_unknown_profile_is_a_clear_error(capsys):
    assert main(["build", str(DEFAULT_CAMPAIGN), "--profile", "glossy"]) == 1
    err = capsys.readouterr().err
    assert "unknown profile 'glossy'" in err and "press" in err


def test_screen_profile_with_bleed_is_refused(tmp_path):
    from pipeline.content import load_model
    from pipeline.plan import Profile
    from pipeline.problems import ContentError

    path = write_campaign(tmp_path, "description: x\noutput: screen\npdf_variant: pdf/ua-1\nbleed_mm: 3\n",
                          "bad-screen.yaml")
    with pytest.raises(ContentError) as caught:
        load_model(path, Profile)
    assert "a screen or social profile has no bleed" in str(caught.value)


def _small_text_breaking_the_rule(pdf_path, rule) -> list[dict]:
    """Text shows under the profile's small_text size that print in more than one
    process ink, or white out of a ground of more, read from the content streams
    (tests/pdf_tools.text_fills), not from the layout preflight sees."""
    bad = []
    for show in pdf_tools.text_fills(pdf_path):
        if show["size_pt"] >= rule.below_pt - 0.05:
            continue
        inks, ground = pdf_tools.inks(show["fill"] or (1, 1, 1, 1)), pdf_tools.inks(show["ground"])
        bold_enough = (rule.reversed_bold_min_pt is not None and "Bold" in show["font"]
                       and show["size_pt"] >= rule.reversed_bold_min_pt - 0.05)
        if len(inks) > rule.max_inks or (not inks and len(ground) > rule.max_inks and not bold_enough):
            bad.append({**show, "inks": inks or f"white on {ground}"})
    return bad


@pytest.fixture(scope="module")
def press_build(tmp_path_factory):
    """Every product, variant and language of the default campaign, press profile."""
    out = tmp_path_factory.mktemp("press")
    main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--profile", "press"])
    return out / "no-matter-how-small"


def test_small_text_prints_in_one_ink_in_the_content_streams(press_build):
    """profiles/press.yaml small_text, checked on the PDFs themselves: every text
    operator under 12 pt (font size from Tf and the text matrix and CTM) fills in one
    process ink, and white text under it is on a one-ink ground or bold and at least
    10 pt. Imposed sheets too (their pages are form XObjects)."""
    rule = load_profiles()["press"].spec.small_text
    assert rule is not None and rule.below_pt == 12 and rule.max_inks == 1
    pdfs = sorted(p for p in press_build.rglob("*.pdf"))
    assert any(p.name == "wallet-card.pdf" for p in pdfs) and any("imposed" in p.name for p in pdfs)
    sizes = set()
    for path in pdfs:
        shows = pdf_tools.text_fills(path)
        sizes |= {round(s["size_pt"]) for s in shows}
        assert _small_text_breaking_the_rule(path, rule) == [], path.relative_to(press_build)
    assert min(sizes) < 12  # the cards' small type is there, and in one ink


def test_content_stream_reader_finds_small_text_in_several_inks(tmp_path):
    """The reader above is not blind: the card's other services' numbers in navy at
    10 pt and its wordmark reversed out of navy at 9 pt are found, with colour and place."""
    from .test_preflight import layouts_copy

    layouts = layouts_copy(tmp_path, {
        "wallet-card.css": (".others .phone { font-weight: 700; font-size: 10pt; }",
                            ".others .phone { font-weight: 700; font-size: 10pt; color: var(--primary); }"),
    })
    card = layouts / "wallet-card.css"
    card.write_text(card.read_text().replace(".outside .wordmark { font-weight: 700; font-size: 10pt;",
                                             ".outside .wordmark { font-weight: 700; font-size: 9pt;"))
    out = tmp_path / "out"
    main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--profile", "press", "--only", "wallet-card",
          "--district", "none", "--partner", "none", "--language", "none", "--layouts", str(layouts)])
    [path] = (out / "no-matter-how-small").glob("wallet-card*.pdf")  # rejected by preflight, kept to look at
    bad = _small_text_breaking_the_rule(path, load_profiles()["press"].spec.small_text)
    found = {(b["page"], b["size_pt"], b["inks"]) for b in bad}
    assert found == {(1, 9.0, "white on CMK"), (2, 10.0, "CMK")}, bad
    number, *_ = [b for b in bad if b["page"] == 2]
    assert number["fill"] == pytest.approx((1, 0.75, 0, 0.6))
    assert 20 < number["at_mm"][0] < 80 and 30 < number["at_mm"][1] < 52
