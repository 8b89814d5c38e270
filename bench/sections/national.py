"""Section 9, national: every force's campaign with its districts, one build.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import common
from common import BATCH_PRODUCTS, DATA, SETTINGS, row
from procs import cli_build


def national_content(where: Path, forces: int, districts: int) -> Path:
    """One campaign file per synthetic force, each with its own synthetic districts."""
    import yaml

    data = yaml.safe_load(common.CAMPAIGN.read_text(encoding="utf-8"))
    folder = where / "content"
    folder.mkdir(parents=True)
    shutil.copytree(common.CAMPAIGN.parent / "sources", folder / "sources")  # the facts are checked against them
    for force in range(1, forces + 1):
        data["variants"] = {"districts": {
            "products": BATCH_PRODUCTS,
            "copies": {"poster": 20, "leaflet-a5": 500},
            "items": [{"name": f"Force {force:02d} District {n:02d}"} for n in range(1, districts + 1)],
        }}
        (folder / f"force-{force:02d}.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                                                        encoding="utf-8")
    return folder


def section_national(work: Path):
    """Every force's campaign at once (synthetic forces x districts), --jobs 2."""
    s, out = "9 national", {}
    forces, districts = SETTINGS["national"]
    content = national_content(work / "national", forces, districts)
    full = cli_build(content, work / "national" / "out", common.LAYOUTS, SETTINGS["rss_interval_s"])
    documents = full["built"] + full["unchanged"] + full["failed"]
    memory = full["memory"]
    out.update(forces=forces, districts=districts, documents=documents, build=full)
    DATA["sections"]["national"] = out
    row(s, f"{forces} forces x {districts} districts: documents", documents, "",
        f"built {full['built']}, failed {full['failed']}, preflight errors {full['errors']}")
    row(s, "wall time (CLI --jobs 2)", full["wall_s"], "s")
    row(s, "documents per second", documents / full["wall_s"], "docs/s")
    peaks = list(memory["peak_rss_per_worker_mib"].values())
    if peaks:
        row(s, "peak RSS per worker (VmHWM), max", max(peaks), "MiB", f"{len(peaks)} workers over the run; "
            f"CLI parent {memory['cli_parent_peak_mib']:.0f} MiB")
    if memory.get("slope_mib_per_s") is not None:
        per_doc = memory["slope_mib_per_s"] * 1024 / (documents / full["wall_s"] / 2)
        out["worker_growth_kib_per_document"] = per_doc
        # A sawtooth (fresh workers every 100 jobs each, products largest first), warm-up
        # dominated in a quick run: the target is judged in one worker (3 batch).
        row(s, "worker RSS growth per document, CLI run", per_doc, "KiB",
            "linear fit of the live workers' mean RSS after the first 10 %; target: see 3 batch, one worker")
