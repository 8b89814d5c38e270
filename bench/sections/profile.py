"""Section 6, profile: one A3 poster under cProfile, self time grouped by stage.
"""
from __future__ import annotations

import cProfile
import os
import pstats

import common
from common import DATA, ROOT, row


# Stage of a function by its file (first match wins); pipeline/render/ by function name.
STAGES = [
    ("content: YAML + validation (once per build)", ("pipeline/content/", "pipeline/plan/", "pipeline/problems.py",
                                    "/yaml/", "/_yaml", "/pydantic/", "/pydantic_core/")),
    ("QR: qrcode", ("pipeline/qr.py", "/qrcode/")),
    ("template: Jinja2", ("pipeline/layouts.py", "/jinja2/", "/markupsafe/", "layouts/")),
    ("preflight: raster + decode + checks", ("pipeline/preflight/", "/pypdfium2/", "/zxingcpp", "/PIL/",
                                             "/pikepdf/")),
    ("our CMYK conversion", ("pipeline/colour.py",)),
    ("WeasyPrint: HTML/CSS parse + cascade", ("weasyprint/css/", "weasyprint/html.py", "weasyprint/urls.py",
                                              "weasyprint/__init__.py", "/tinyhtml5/", "/tinycss2/",
                                              "/cssselect2/", "/webencodings/")),
    ("WeasyPrint: fonts (@font-face, fontconfig)", ("weasyprint/text/fonts.py",)),
    ("WeasyPrint: layout + text shaping", ("weasyprint/layout/", "weasyprint/text/",
                                           "weasyprint/formatting_structure/", "/pyphen/")),
    ("WeasyPrint: draw", ("weasyprint/draw/", "weasyprint/stacking.py", "weasyprint/svg/",
                          "weasyprint/images.py", "weasyprint/matrix.py")),
    ("PDF write: weasyprint/pdf + pydyf + zlib + fontTools", ("weasyprint/pdf/", "/pydyf/", "/fontTools/")),
    ("WeasyPrint: other", ("weasyprint/",)),
]
RENDER_STAGES = {"finish": "our finisher", "_stable_document_id": "our finisher", "_crop_marks": "our finisher",
                 "layout_map": "our layout map", "walk": "our layout map", "rect": "our layout map",
                 "_srgb": "our layout map", "_describe": "our layout map", "_intersect": "our layout map"}


def stage_of(key) -> str | None:
    """None for built-ins (their time goes to their callers' stages)."""
    file, _, function = key
    file = file.replace(os.sep, "/")
    if file == "~" or file.startswith("<"):
        return None
    if "pipeline/render/" in file:
        return RENDER_STAGES.get(function, "our render glue + fetcher")
    for stage, patterns in STAGES:
        if any(p in file for p in patterns):
            return stage
    return "other"


def grouped_by_stage(stats: pstats.Stats) -> dict[str, float]:
    """Self time summed by stage; a built-in's time is split over its callers."""
    table = stats.stats  # key -> (cc, nc, tottime, cumtime, callers)
    totals: dict[str, float] = {}

    def add(key, seconds, depth=0):
        stage = stage_of(key)
        if stage is None and depth < 5:
            callers = table.get(key, (0, 0, 0, 0, {}))[4]
            edge_total = sum(edge[2] for edge in callers.values())
            for caller, edge in callers.items():
                add(caller, seconds * (edge[2] / edge_total if edge_total else 1 / len(callers)), depth + 1)
            if callers:
                return
        stage = stage or "other"
        totals[stage] = totals.get(stage, 0) + seconds

    for key, (_, _, tottime, _, _) in table.items():
        if tottime:
            add(key, tottime)
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def short(key) -> str:
    file, line, function = key
    if file == "~":
        return function
    for marker in ("site-packages/", str(common.PROJECT) + "/", str(ROOT) + "/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{file}:{line}({function})"


def section_profile():
    from pipeline.content import load_campaigns
    from pipeline.layouts import render_html
    from pipeline.plan import load_layouts, load_profiles, plan, select_profiles
    from pipeline.preflight import preflight
    from pipeline.render import render_pdf

    def one_poster():
        jobs = plan(load_campaigns([common.CAMPAIGN]), load_layouts(), select_profiles(load_profiles(), "press"),
                    only=["poster"], districts=["none"], partners=["none"], languages=["none"])
        job = next(j for j in jobs if j.size == "A3")
        html = render_html(job)
        preflight(job, html, render_pdf(job, html))

    one_poster()  # warm-up: imports and first-use caches, as in a worker after its first job
    profiler = cProfile.Profile()
    profiler.enable()
    one_poster()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(v[2] for v in stats.stats.values())
    top = sorted(((k, v) for k, v in stats.stats.items() if not k[0].endswith("bench/run.py")),
                 key=lambda kv: -kv[1][3])[:15]
    stages = grouped_by_stage(stats)
    DATA["sections"]["profile"] = {
        "total_s": total,
        "top15_cumulative": [{"function": short(k), "calls": v[1], "self_s": v[2], "cumulative_s": v[3]}
                             for k, v in top],
        "stages_s": stages,
        "stages_pct": {k: v / total * 100 for k, v in stages.items()},
    }
    s = "6 profile"
    row(s, "one A3 poster under cProfile (load → preflight)", total, "s", "profiler overhead included")
    for stage, seconds in stages.items():
        row(s, f"  {stage}", seconds, "s", f"{seconds / total * 100:.1f} %")
