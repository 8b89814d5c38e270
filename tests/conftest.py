"""Shared fixtures: one real build of the default campaign per test session.

Inspection uses tools independent of the pipeline: pikepdf (qpdf) for PDF
structure, PDFium for text and rasters, zxing-cpp for decoding QR codes.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CAMPAIGN = ROOT / "content" / "no-matter-how-small.yaml"


# The county-wide posters and leaflets, press and screen, without the variants
# (tests/test_variants.py builds those it needs).
CORE = ["--only", "poster", "--only", "leaflet-a5", "--only", "leaflet-dl",
        "--district", "none", "--partner", "none", "--language", "none"]


@pytest.fixture(scope="session", autouse=True)
def confirmation_key(tmp_path_factory):
    """The portal's key for sealing confirmed numbers (pipeline/confirm.py), in the
    test session's own folder, never the project's var/."""
    os.environ["CAMPAIGN_PRINT_CONFIRM_KEY"] = str(tmp_path_factory.mktemp("var") / "confirm.key")


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> tuple[Path, dict]:
    """Build the core products of the default campaign; return (campaign dir, manifest)."""
    out = tmp_path_factory.mktemp("output")
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--jobs", "1", *CORE]) == 0
    folder = out / "no-matter-how-small"
    return folder, json.loads((folder / "manifest.json").read_text())


def write_campaign(tmp_path: Path, text: str, name: str = "campaign.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def campaign_copy(tmp_path: Path, text: str) -> Path:
    """The default campaign, edited, beside its real translations."""
    folder = tmp_path / "content"
    folder.mkdir(exist_ok=True)
    if not (folder / "translations").exists():
        (folder / "translations").symlink_to(DEFAULT_CAMPAIGN.parent / "translations")
    return write_campaign(folder, text, DEFAULT_CAMPAIGN.name)


@pytest.fixture
def campaign_text() -> str:
    return DEFAULT_CAMPAIGN.read_text(encoding="utf-8")
