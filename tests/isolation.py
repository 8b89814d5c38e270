"""A test that writes partner logos (or any file the pipeline reads from assets/) works
in a copy of the project's assets/ and layouts/ in its own temporary folder, never in
the repository's, which other tests read at the same time (pytest -n 2)."""
from __future__ import annotations

import shutil
from pathlib import Path

from pipeline import assets, partners, paths, plan, render
from pipeline.build import cache
from pipeline.plan import layoutset, names


def project_copy(folder: Path) -> Path:
    """folder/project: copies of assets/ (without the portal's proof logos) and layouts/,
    links to the project's fonts/ and colour/, as a layouts copy needs beside it."""
    project = folder / "project"
    shutil.copytree(paths.ASSETS, project / "assets", ignore=shutil.ignore_patterns("proofs"))
    shutil.copytree(paths.LAYOUTS, project / "layouts")
    (project / "fonts").symlink_to(paths.FONTS)
    (project / "colour").symlink_to(paths.COLOUR)
    return project


def use_project_copy(project: Path, monkeypatch) -> Path:
    """Point the pipeline at the copy's assets/ and layouts/ for one test; returns its assets/."""
    copy = project / "assets"
    for module in (assets, names, cache, partners):
        monkeypatch.setattr(module, "ASSETS", copy)
    monkeypatch.setattr(partners, "PROOF_LOGOS", copy / "partners" / "proofs")
    monkeypatch.setattr(render.fetcher, "PROJECT_ROOTS", (paths.FONTS, paths.COLOUR, copy))
    monkeypatch.setitem(plan.NEIGHBOURS, "assets", copy)
    for module in (paths, layoutset):  # the CLI's default and load_layouts'
        monkeypatch.setattr(module, "LAYOUTS", project / "layouts")
    return copy
