"""Section 1, one document: plain WeasyPrint against the pipeline (with and without
preflight) on an A3 poster, and the pipeline's parts alone.
"""
from __future__ import annotations

import uuid

import common
from common import DATA, SETTINGS, a3_poster, row, spread_text, summarise, timed, with_qr_svg


def raw_weasyprint(job, html: str) -> bytes:
    """What a user would write by hand: same HTML (the QR code as an SVG), same page
    CSS, no finisher, no layout map, no preflight, WeasyPrint's default URL fetcher."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from pipeline.profilecss import profile_css

    html = with_qr_svg(job, html)
    base_url = str(job.layouts.folder) + "/"
    font_config, color_profiles = FontConfiguration(), {}
    page_css = CSS(string=profile_css(job), base_url=base_url, font_config=font_config,
                   color_profiles=color_profiles)
    return HTML(string=html, base_url=base_url).write_pdf(
        stylesheets=[page_css], font_config=font_config, color_profiles=color_profiles,
        pdf_variant=job.profile.spec.pdf_variant)


def raster_difference(pdf_a: bytes, pdf_b: bytes, dpi: int = 20) -> dict:
    """Do two PDFs look the same? Pages, media size, mean pixel difference at low dpi."""
    import pypdfium2 as pdfium
    from PIL import ImageChops, ImageStat

    a, b = pdfium.PdfDocument(pdf_a), pdfium.PdfDocument(pdf_b)
    result = {"pages": [len(a), len(b)], "size_pt": [a[0].get_size(), b[0].get_size()]}
    if len(a) == len(b):
        diffs = []
        for pa, pb in zip(a, b):
            ia = pa.render(scale=dpi / 72).to_pil().convert("RGB")
            ib = pb.render(scale=dpi / 72).to_pil().convert("RGB").resize(ia.size)
            diffs.append(sum(ImageStat.Stat(ImageChops.difference(ia, ib)).mean) / 3 / 255 * 100)
        result["mean_pixel_diff_pct"] = max(diffs)
    return result


def section_document():
    from pipeline.content import load_campaigns
    from pipeline.layouts import render_html
    from pipeline.preflight import preflight
    from pipeline.profilecss import colour_value
    from pipeline.qr import qr_svg, qr_url
    from pipeline.render import render_pdf

    s, out = "1 document", {}
    job = a3_poster()
    html = render_html(job)

    def pipeline_only():
        render_pdf(job, render_html(job))

    def pipeline_preflight():
        h = render_html(job)
        preflight(job, h, render_pdf(job, h))

    variants = {"a": lambda: raw_weasyprint(job, html), "b": pipeline_only, "c": pipeline_preflight}
    for fn in variants.values():  # warm-up
        fn()
    times = {k: [] for k in variants}
    for round_ in range(SETTINGS["doc_repeats"]):  # interleaved, order rotated each round
        shift = round_ % len(variants)
        names = list(variants)[shift:] + list(variants)[:shift]
        for name in names:
            times[name].append(timed(variants[name]))
    stats = {k: summarise(v) for k, v in times.items()}
    out["raw_weasyprint"], out["pipeline"], out["pipeline_preflight"] = stats["a"], stats["b"], stats["c"]
    ratio_b = stats["b"]["median"] / stats["a"]["median"]
    ratio_c = stats["c"]["median"] / stats["a"]["median"]
    out["ratio_b_a"], out["ratio_c_a"] = ratio_b, ratio_c

    rendered = render_pdf(job, html)
    out["equivalence"] = raster_difference(raw_weasyprint(job, html), rendered.pdf)
    out["pdf_bytes"] = {"raw": len(raw_weasyprint(job, html)), "pipeline": len(rendered.pdf)}

    # The parts on their own.
    n = SETTINGS["component_repeats"]
    load_campaigns([common.CAMPAIGN])
    out["content_loading"] = summarise([timed(lambda: load_campaigns([common.CAMPAIGN])) for _ in range(n)])
    out["templating"] = summarise([timed(lambda: render_html(job)) for _ in range(n)])
    fill = colour_value(job.layouts.colours["ink"], job.profile.spec.output)
    qr = job.source.campaign.qr
    fresh = [qr_url(qr, f"bench-{uuid.uuid4().hex[:8]}") for _ in range(SETTINGS["qr_repeats"])]
    out["qr"] = summarise([timed(lambda u=u: qr_svg(u, fill)) for u in fresh])
    def fresh_preflight():
        rendered.derived.clear()  # the page rasters are kept per rendering: make them again
        preflight(job, html, rendered)

    def readers_eye():
        from pipeline.preflight import Subject, check_codes, check_page_numbers, check_visible
        rendered.derived.clear()
        subject = Subject(job, html, rendered)
        for check in (check_visible, check_codes, check_page_numbers):
            check(subject)

    fresh_preflight()
    out["preflight"] = summarise([timed(fresh_preflight) for _ in range(n)])
    out["readers_eye"] = summarise([timed(readers_eye) for _ in range(n)])
    DATA["sections"]["document"] = out

    row(s, "(a) raw WeasyPrint, final HTML", stats["a"]["median"], "s", spread_text(stats["a"]))
    row(s, "(b) render_html + render_pdf", stats["b"]["median"], "s", spread_text(stats["b"]))
    row(s, "(c) (b) + preflight", stats["c"]["median"], "s", spread_text(stats["c"]))
    row(s, "b/a", ratio_b, "x", target=("<=", 1.1))
    row(s, "c/a", ratio_c, "x", target=("<=", 1.5))
    for key, label in (("content_loading", "content loading (load_campaigns)"),
                       ("templating", "templating (render_html, QR cached)"),
                       ("qr", "QR generation (qr_svg, fresh URL)"), ("preflight", "preflight alone"),
                       ("readers_eye", "of which the reader's eye (page rasters, hidden-text, codes, page numbers)")):
        row(s, label, out[key]["median"], "s", spread_text(out[key]))
    diff = out["equivalence"].get("mean_pixel_diff_pct")
    row(s, "raw vs pipeline PDF: raster difference", diff, "%",
        f"pages {out['equivalence']['pages']}, bytes {out['pdf_bytes']['raw']}/{out['pdf_bytes']['pipeline']}")
