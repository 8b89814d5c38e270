"""Section 4, incremental: rebuilds after no change and after one edit (needs batch).
"""
from __future__ import annotations

import uuid

from common import DATA, SETTINGS, row, spread_text, summarise
from procs import cli_build


def section_incremental(batch: dict | None):
    s, out = "4 incremental", {}
    if batch is None:
        raise RuntimeError("needs the batch section")
    full_s = batch["full"]["wall_s"]
    nochange = [cli_build(batch["content"], batch["out"], batch["layouts"])
                for _ in range(SETTINGS["nochange_repeats"])]
    wall = summarise([r["wall_s"] for r in nochange])
    out["no_change"] = {"runs": nochange, "wall": wall, "fraction_pct": wall["median"] / full_s * 100}
    rebuilt = max(r["built"] for r in nochange)

    css = batch["layouts"] / "poster-a4.css"
    css.write_text(css.read_text(encoding="utf-8") + f"\n/* bench {uuid.uuid4().hex} */\n", encoding="utf-8")
    changed = cli_build(batch["content"], batch["out"], batch["layouts"])
    affected = batch["uses_poster_a4"]  # the A4 poster of each district and the county-wide one
    out["one_file_changed"] = {**changed, "fraction_pct": changed["wall_s"] / full_s * 100,
                               "expected_rebuilt": affected,
                               "affected_share_pct": affected / batch["documents"] * 100}
    DATA["sections"]["incremental"] = out

    row(s, "no-change rebuild (CLI, incl. start-up)", wall["median"], "s",
        spread_text(wall) + f", rebuilt {rebuilt}")
    row(s, "no-change rebuild / full build", out["no_change"]["fraction_pct"], "%", target=("<=", 5))
    if rebuilt:
        row(s, "WARNING: no-change rebuild rebuilt PDFs", rebuilt, "",
            "inputs changed during the run (pipeline/ or layouts/ edited?)")
    row(s, "poster-a4.css changed: rebuild", changed["wall_s"], "s",
        f"rebuilt {changed['built']} (expected {affected}), kept {changed['unchanged']}")
    row(s, "poster-a4.css changed / full build", out["one_file_changed"]["fraction_pct"], "%",
        f"affected share {out['one_file_changed']['affected_share_pct']:.1f} %")
