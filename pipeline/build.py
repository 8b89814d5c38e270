"""Running jobs: HTML -> PDF -> preflight -> atomic write; then per campaign the
manifest and the preflight report.

A job that fails does not stop the others; its earlier PDF stays as it was.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from . import __version__
from .layouts import media_bleed_mm, render_html
from .plan import Job
from .preflight import preflight
from .problems import PipelineError, Problem
from .render import render_error, render_pdf, write_atomically
from .report import write_reports


@dataclass
class Output:
    job: Job
    sha256: str
    pages: int
    problems: list[Problem]
    thumbnails: list[bytes]

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
            "preflight": {"errors": sum(p.level == "error" for p in self.problems),
                          "warnings": sum(p.level == "warning" for p in self.problems)},
        }


@dataclass
class BuildResult:
    outputs: list[Output] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


def build_job(job: Job, out_dir: Path, write_pdf: bool = True) -> Output:
    """Render one job, preflight it and (unless only checking) write its PDF.

    Raises PipelineError when it cannot be rendered at all."""
    html = render_html(job)
    try:
        rendered = render_pdf(job, html)
    except Exception as exc:  # WeasyPrint raises many types; the user needs one message
        raise render_error(job, exc) from exc
    try:
        problems, thumbnails = preflight(job, html, rendered)
    except Exception as exc:  # a bug in a check must not lose the other outputs
        problems, thumbnails = [Problem("error", job.output, f"preflight could not finish: {exc!r}",
                                        "report this to the pipeline's maintainers", check="preflight")], []
    if write_pdf:
        write_atomically(out_dir / job.source.slug / job.output, rendered.pdf)
    return Output(job, hashlib.sha256(rendered.pdf).hexdigest(), rendered.pages, problems, thumbnails)


def build(jobs: list[Job], out_dir: Path, write_pdfs: bool = True) -> BuildResult:
    """Every job; then per campaign the manifest (when writing PDFs) and the reports."""
    result = BuildResult()
    for slug, group in groupby(jobs, key=lambda j: j.source.slug):
        outputs, problems = [], []
        for job in group:
            try:
                output = build_job(job, out_dir, write_pdfs)
            except PipelineError as exc:
                problems += exc.problems
                continue
            outputs.append(output)
            problems += output.problems
        folder = out_dir / slug
        if write_pdfs and outputs:
            write_manifest(folder, outputs)
        write_reports(folder, slug, outputs, problems, write_atomically)
        result.outputs += outputs
        result.problems += problems
    return result


def write_manifest(folder: Path, outputs: list[Output]) -> None:
    """manifest.json for one campaign folder, listing the PDFs of this build."""
    manifest = {
        "campaign": outputs[0].job.source.slug,
        "name": outputs[0].job.source.campaign.name,
        "pipeline_version": __version__,
        "outputs": [o.manifest_entry() for o in outputs],
    }
    data = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    write_atomically(folder / "manifest.json", data.encode())
