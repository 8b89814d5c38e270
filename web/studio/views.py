"""The studio's pages: thin views over the engine (pipeline/studio.py), which does the work."""
from __future__ import annotations

import queue

from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render

from pipeline import approved, proof
from pipeline import studio as engine

KEEP_ALIVE_S = 15


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
            "media": guides.media_mm, "pages": range(1, job.spec.pages + 1),
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
