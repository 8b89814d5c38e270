"""causes.py's memo: a search for a field too long is done once per product, size,
field and text, and given again only to a job laid out from the same layouts, campaign
and brand. Each test makes two builds in one process, in the order that once broke:
three reader's-eye tests of the wallet card lost their `hidden-text` error when a test
whose card had a field too long ran before them in the same worker."""
from __future__ import annotations

import json
import os
from pathlib import Path

from pipeline.cli import main

from .conftest import DEFAULT_CAMPAIGN, campaign_copy, unsourced
from .test_preflight import layouts_copy

# Two lines added above the card's other services push its last lines off the card:
# cutting report.silent_solution makes room (causes.py names it, about 10 characters).
PUSHED = ('<ul class="others">', '<p class="lead">Call 0808 802</p><p class="call">0399 now.</p><ul class="others">')
# The other services' numbers white on white: no cut of a field shows them.
WHITE = ".others .phone { color: #fff !important; }"
PAD = "/*" + " " * (len(WHITE) - 4) + "*/"  # as long as WHITE: an edit that keeps the file's size


def card(folder: Path, layouts: Path, content: Path = DEFAULT_CAMPAIGN) -> list[dict]:
    """The press wallet card built with `layouts` into its own folder; its errors."""
    out = folder / "out"
    main(["build", str(content), "--out", str(out), "--jobs", "1", "--only", "wallet-card", "--district", "none",
          "--partner", "none", "--language", "none", "--profile", "press", "--layouts", str(layouts)])
    report = json.loads((out / "no-matter-how-small" / "preflight.json").read_text())
    return [p for p in report["problems"] if p["level"] == "error"]


def too_long(problems) -> list[str]:
    return [p["field"] for p in problems if p.get("check") == "too-long"]


def white_numbers_refused(problems) -> bool:
    return any(p.get("check") == "hidden-text" and p["field"].endswith("span.phone.nowrap")
               and "the colour of their ground" in p["what"] for p in problems)


def test_a_cause_found_with_one_layouts_copy_is_not_given_to_another(tmp_path):
    pushed = layouts_copy(tmp_path / "pushed", {"wallet-card.html": PUSHED})
    assert too_long(card(tmp_path / "pushed", pushed)) == ["report.silent_solution"]
    white = layouts_copy(tmp_path / "white", {"wallet-card.css": (".title {", WHITE + "\n.title {")})
    problems = card(tmp_path / "white", white)
    assert white_numbers_refused(problems), problems
    assert not too_long(problems)


def test_a_layouts_folder_edited_since_is_searched_again(tmp_path):
    """Edited in place, the same size, its mtime as before (a save within the file
    system's timestamp step, 1-2 s on some; a copy that keeps times, cp -p): the memo
    goes by the files' bytes, so the white numbers are refused, not explained away by
    the first search's answer."""
    layouts = layouts_copy(tmp_path, {"wallet-card.html": PUSHED, "wallet-card.css": (".title {", PAD + "\n.title {")})
    assert too_long(card(tmp_path / "first", layouts)) == ["report.silent_solution"]
    css = layouts / "wallet-card.css"
    before = css.stat()
    css.write_text(css.read_text().replace(PAD, WHITE, 1))
    os.utime(css, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert css.stat().st_size == before.st_size and css.stat().st_mtime_ns == before.st_mtime_ns
    problems = card(tmp_path / "second", layouts)
    assert white_numbers_refused(problems), problems
    assert "report.silent_solution" not in too_long(problems)


def test_a_search_for_another_campaign_of_the_same_name_is_not_reused(tmp_path, campaign_text):
    """The same layouts and the same text of report.silent_solution, but a campaign
    whose headline is also too long: cutting report.silent_solution alone does not
    make room there. The default campaign, built next, still gets its own answer."""
    layouts = layouts_copy(tmp_path, {"wallet-card.html": PUSHED})
    longer = campaign_copy(tmp_path, unsourced(campaign_text).replace(
        "  lead: |-\n    No matter how small\n    it may seem.",
        "  lead: " + "No matter how small it may seem, whatever anyone else says about it. " * 3))
    assert "report.silent_solution" not in too_long(card(tmp_path / "longer", layouts, longer))
    assert too_long(card(tmp_path / "default", layouts)) == ["report.silent_solution"]


def test_a_partner_proofs_cache_sees_a_same_size_edit_with_the_mtime_kept(tmp_path):
    """The portal's proof caches (pipeline/partners.py) are keyed by the layouts' bytes
    as the causes memo is: a designer's same-size save within the timestamp step, or a
    copy keeping mtimes, is another proof, never the old one."""
    from pipeline import partners

    folder = tmp_path / "layouts"
    folder.mkdir()
    css = folder / "leaflet-dl.css"
    css.write_text(".panel { color: red; }")
    stat = css.stat()
    before = partners._layouts_stamp(folder)
    css.write_text(".panel { color: tan; }")
    os.utime(css, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert css.stat().st_size == stat.st_size and css.stat().st_mtime_ns == stat.st_mtime_ns
    assert partners._layouts_stamp(folder) != before
    assert partners._layouts_stamp(folder) == partners._layouts_stamp(folder)
