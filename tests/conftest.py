"""Shared fixtures: one real build of the default campaign per test session.

Inspection uses tools independent of the pipeline: pikepdf (qpdf) for PDF
structure, PDFium for text and rasters, zxing-cpp for decoding QR codes.
"""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Callable

import pytest

from pipeline.cli import main
from pipeline.paths import CONTENT, ROOT

DEFAULT_CAMPAIGN = CONTENT / "no-matter-how-small.yaml"


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


def with_sources(folder: Path) -> None:
    """The default campaign's source documents in `folder`, where a copy of it is written."""
    if not (folder / "sources").exists():
        (folder / "sources").symlink_to(DEFAULT_CAMPAIGN.parent / "sources")


def write_campaign(tmp_path: Path, text: str, name: str = "campaign.yaml") -> Path:
    """A campaign file; the default campaign's source documents beside it, as in content/."""
    path = tmp_path / name
    with_sources(tmp_path)
    path.write_text(text, encoding="utf-8")
    return path


def campaign_copy(tmp_path: Path, text: str) -> Path:
    """The default campaign, edited, beside its real translations and source documents."""
    folder = tmp_path / "content"
    folder.mkdir(exist_ok=True)
    if not (folder / "translations").exists():
        (folder / "translations").symlink_to(DEFAULT_CAMPAIGN.parent / "translations")
    return write_campaign(folder, text, DEFAULT_CAMPAIGN.name)


def unsourced(text: str) -> str:
    """A campaign without its source documents: for a test of another check whose edit
    (a new service, a longer headline) the press release does not say."""
    return re.sub(r"(?m)^source_documents: .*\n", "", text)


@pytest.fixture
def campaign_text() -> str:
    return DEFAULT_CAMPAIGN.read_text(encoding="utf-8")


def wait_until(done: Callable[[], bool], what: str, process=None, log: Path | None = None,
               give_up_s: float = 300) -> None:
    """Until done() is true. Fails, saying what was awaited, if `process` (a Popen) ends
    first (with its log) or after `give_up_s`: a guard against a hang, never a
    judgement on speed."""
    for _ in range(round(give_up_s / 0.05)):
        if done():
            return
        if process is not None and process.poll() is not None:
            said = log.read_text() if log and log.is_file() else ""
            raise AssertionError(f"the process ended (exit {process.returncode}) before {what}\n{said}")
        time.sleep(0.05)
    raise AssertionError(f"gave up after {give_up_s:.0f} s waiting for {what}")
