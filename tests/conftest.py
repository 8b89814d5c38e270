"""Shared fixtures: one real build of the default campaign per test session.

Inspection uses tools independent of the pipeline: pikepdf (qpdf) for PDF
structure, PDFium for text and rasters, zxing-cpp for decoding QR codes.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CAMPAIGN = ROOT / "content" / "no-matter-how-small.yaml"


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> tuple[Path, dict]:
    """Build every product of the default campaign; return (campaign dir, manifest)."""
    out = tmp_path_factory.mktemp("output")
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out)]) == 0
    folder = out / "no-matter-how-small"
    return folder, json.loads((folder / "manifest.json").read_text())


def write_campaign(tmp_path: Path, text: str, name: str = "campaign.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def campaign_text() -> str:
    return DEFAULT_CAMPAIGN.read_text(encoding="utf-8")
