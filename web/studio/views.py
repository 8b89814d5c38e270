"""The studio's pages: thin views over the engine (pipeline/studio.py), which does the work."""
from __future__ import annotations

import json
import math
import queue

from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from pipeline import approved, proof
from pipeline import studio as engine

KEEP_ALIVE_S = 15
# The close look's zooms, times the printed size: 300/96 puts one pixel of a 300 dpi
# print on one screen pixel. Densities: image pixels per CSS pixel (HiDPI screens).
ZOOMS = {"1": "Printed size", "2": "200 %", "3.125": "Print resolution (300 dpi, 1:1)", "4": "400 %"}
DENSITIES = ("1", "2")


def product_name(job) -> str:
    """A product as people call it: its `name` in layouts/products.yaml."""
    return job.spec.name or job.product.replace("-", " ").capitalize()


def _area(job) -> float:
    width, height = job.trim_mm
    return width * height


def _variant(job) -> tuple[str, str]:
    """(value for the chooser, label) of a job's variant."""
    if job.district:
        return f"district:{job.variant}", f"District: {job.district.name}"
    if job.partner:
        return f"partner:{job.variant}", f"Partner: {job.partner.name}"
    if job.language:
        return f"language:{job.variant}", f"Language: {job.language}"
    return "", "County-wide"


def index(request):
    studio = engine.get()
    variant = request.GET.get("variant", "")
    profile = request.GET.get("profile", proof.APPROVED_PROFILE)
    variants = dict(_variant(job) for job in studio.jobs.values())
    if variant not in variants:
        variant = ""
    if profile not in studio.profiles:
        profile = proof.APPROVED_PROFILE
    # Products largest first (posters, leaflets, cards), as a designer's pasteboard.
    largest: dict[str, tuple[float, str]] = {}
    for job in studio.jobs.values():
        largest[job.product] = max(largest.get(job.product, (0.0, "")), (_area(job), product_name(job)))
    names = {p: name for p, (_, name) in sorted(largest.items(), key=lambda item: -item[1][0])}
    product = request.GET.get("product", "")
    products: dict[str, list] = {}
    for key, job in studio.jobs.items():
        if job.profile.name != profile or _variant(job)[0] != variant or product not in ("", job.product):
            continue
        guides = proof.guides(job)
        products.setdefault(job.product, []).append({
            "key": key, "job": job, "trim": "×".join(f"{v:g}" for v in job.trim_mm),
            # A document that runs on (large print) shows the pages it rendered to.
            "media": guides.media_mm, "pages": range(1, max(studio.state(key)["pages"], job.spec.pages) + 1),
        })
    groups = [{"product": p, "title": names[p], "outputs": products[p]} for p in names if p in products]
    shown = [o["key"] for g in groups for o in g["outputs"]]
    return render(request, "studio/index.html", {
        "groups": groups, "shown": shown, "variants": variants, "variant": variant,
        "products": names, "product": product,
        "profiles": {name: p.spec.description for name, p in studio.profiles.items()}, "profile": profile,
        "campaigns": sorted({j.source.campaign.name for j in studio.jobs.values()}),
        "states": {key: studio.state(key) for key in shown},
        "setup_error": [engine.problem_dict(p) for p in studio.setup_error],
    })


def proof_image(request, key: str, page: int):
    png = engine.get().proof_png(key, page)
    if png is None:
        raise Http404("no such output or page")
    return HttpResponse(png, content_type="image/png", headers={"Cache-Control": "no-store"})


def state(request, key: str):
    studio = engine.get()
    if studio.current(key) is None:
        raise Http404("no such output")
    return JsonResponse(studio.state(key))


def pdf(request, key: str):
    data = engine.get().pdf(key)
    if data is None:
        raise Http404("no such output, or not rendered yet")
    name = key.replace("/", "-") + ".pdf"
    return HttpResponse(data, content_type="application/pdf",
                        headers={"Cache-Control": "no-store", "Content-Disposition": f'inline; filename="{name}"'})


def zoom(request, key: str, page: int):
    """A close look at one page: tiles of the PDF at the zoom chosen, each loaded
    when it scrolls into view."""
    studio = engine.get()
    job = studio.jobs.get(key)
    if job is None or not 1 <= page <= job.spec.pages:
        raise Http404("no such output or page")
    level = request.GET.get("zoom", "1")
    if level not in ZOOMS:
        level = "1"
    guides = proof.guides(job)
    width_mm, height_mm = guides.media_mm
    px_per_mm = float(level) * engine.CSS_PX_PER_INCH / 25.4
    side_mm = engine.TILE_PX / px_per_mm
    across, down = math.ceil(width_mm / side_mm - 1e-6), math.ceil(height_mm / side_mm - 1e-6)
    rows = [[{"column": c, "row": r, "width": round(min(side_mm, width_mm - c * side_mm) * px_per_mm),
              "height": round(min(side_mm, height_mm - r * side_mm) * px_per_mm)} for c in range(across)]
            for r in range(down)]
    return render(request, "studio/zoom.html", {
        "key": key, "page": page, "pages": range(1, job.spec.pages + 1), "title": product_name(job),
        "size": job.size, "zooms": ZOOMS, "zoom": level, "rows": rows, "px_per_mm": round(px_per_mm, 2),
        "state": studio.state(key), "shown": [key],
        "campaigns": sorted({j.source.campaign.name for j in studio.jobs.values()}),
    })


def tile(request, key: str, page: int):
    level, density = request.GET.get("zoom", ""), request.GET.get("density", "1")
    try:
        column, row = int(request.GET.get("column", "")), int(request.GET.get("row", ""))
    except ValueError:
        return HttpResponseBadRequest("column and row are whole numbers")
    if level not in ZOOMS or density not in DENSITIES or column < 0 or row < 0:
        return HttpResponseBadRequest(f"zoom is one of {', '.join(ZOOMS)}; density one of {', '.join(DENSITIES)}")
    png = engine.get().tile(key, page, float(level), float(density), column, row)
    if png is None:
        raise Http404("no such output, page or tile")
    return HttpResponse(png, content_type="image/png", headers={"Cache-Control": "no-store"})


@require_POST
def look(request):
    """The outputs in view in a browser window (a JSON list): re-rendered first."""
    try:
        keys = json.loads(request.body or b"[]")
    except ValueError:
        return HttpResponseBadRequest("a JSON list of outputs")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        return HttpResponseBadRequest("a JSON list of outputs")
    engine.get().look(keys[:100])
    return HttpResponse(status=204)


def events(request):
    """Server-Sent Events: `render` with the outputs re-rendered and their state."""
    studio = engine.get()
    listener = studio.events(request.GET.getlist("show"))

    def stream():
        try:
            yield "retry: 1000\n\n"
            while True:
                try:
                    data = listener.get(timeout=KEEP_ALIVE_S)
                except queue.Empty:
                    yield ": still here\n\n"
                    continue
                yield f"event: render\ndata: {data}\n\n"
        finally:
            studio.forget(listener)

    return StreamingHttpResponse(stream(), content_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def changes(request):
    studio = engine.get()
    differences, rendering = studio.review()
    studio.last_review = {f"{d.name}/{d.page}": d for d in differences}  # for change_image
    return render(request, "studio/changes.html", {
        "differences": differences, "rendering": rendering, "tolerance": approved.PAGE_TOLERANCE,
        "approved": studio.approved, "folder": approved.APPROVED.name,
        "campaigns": sorted({j.source.campaign.name for j in studio.jobs.values()}),
    })


def change_image(request, key: str, page: int):
    """The changed pixels highlighted; ?now: the page as it is now."""
    difference = engine.get().last_review.get(f"{key}/{page}")
    image = difference and (difference.current if "now" in request.GET else difference.highlight)
    if image is None:
        raise Http404("no such change: open /changes first")
    return HttpResponse(proof.png(image), content_type="image/png", headers={"Cache-Control": "no-store"})


def approved_image(request, key: str, page: int):
    folder = approved.APPROVED.resolve()
    path = (folder / key / f"{page}.png").resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise Http404("no approved proof")
    return HttpResponse(path.read_bytes(), content_type="image/png", headers={"Cache-Control": "no-store"})
