"""Running jobs: HTML -> PDF -> atomic write, then the campaign's manifest.

A job that fails does not stop the others; its earlier PDF stays as it was.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .layouts import media_bleed_mm, render_html
from .plan import Job
from .problems import PipelineError, Problem
from .render import render_error, render_pdf, write_atomically


@dataclass
class Output:
    job: Job
    sha256: str
    pages: int

    def manifest_entry(self) -> dict:
        job = self.job
        width, height = job.trim_mm
        bleed, media = job.profile.spec.bleed_mm, media_bleed_mm(job)
        return {
            "path": job.output,
            "product": job.product,
            "size": job.size,
            "variant": job.variant,
            "profile": job.profile.name,
            "output": job.profile.spec.output,
            "pdf_variant": job.profile.spec.pdf_variant,
            "pages": self.pages,
            "trim_mm": [width, height],
            "bleed_mm": bleed,
            "boxes_mm": {
                "trim": [width, height],
                "bleed": [width + 2 * bleed, height + 2 * bleed],
                "media": [width + 2 * media, height + 2 * media],
            },
            "sha256": self.sha256,
            "qr_url": job.qr_url,
        }


@dataclass
class BuildResult:
    outputs: list[Output] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


def build_job(job: Job, out_dir: Path) -> tuple[Output, list[Problem]]:
    """Render one job and write its PDF. Raises PipelineError on failure."""
    html = render_html(job)
    try:
        rendered = render_pdf(job, html)
    except Exception as exc:  # WeasyPrint raises many types; the user needs one message
        raise render_error(job, exc) from exc
    problems = list(rendered.warnings)
    if rendered.pages != job.spec.pages:
        problems.append(Problem(
            "error", job.output, f"has {rendered.pages} pages, the product has {job.spec.pages}",
            "text overflows or a page break is missing: shorten the text or fix the layout",
            check="pages"))
    target = out_dir / job.source.slug / job.output
    write_atomically(target, rendered.pdf)
    return Output(job, hashlib.sha256(rendered.pdf).hexdigest(), rendered.pages), problems


def build(jobs: list[Job], out_dir: Path) -> BuildResult:
    result = BuildResult()
    for job in jobs:
        try:
            output, problems = build_job(job, out_dir)
        except PipelineError as exc:
            result.problems += exc.problems
            continue
        result.outputs.append(output)
        result.problems += problems
    write_manifests(result.outputs, out_dir)
    return result


def write_manifests(outputs: list[Output], out_dir: Path) -> None:
    """One manifest.json per campaign folder, listing the PDFs of this build."""
    by_campaign: dict[str, list[Output]] = {}
    for output in outputs:
        by_campaign.setdefault(output.job.source.slug, []).append(output)
    for slug, items in by_campaign.items():
        manifest = {
            "campaign": slug,
            "name": items[0].job.source.campaign.name,
            "pipeline_version": __version__,
            "outputs": [o.manifest_entry() for o in items],
        }
        data = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        write_atomically(out_dir / slug / "manifest.json", data.encode())
