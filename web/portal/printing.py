"""The one module of the portal that touches the pipeline.

Everything print goes through here: which campaigns offer which products to
partners, the trust checks of a partner's text and logo, in-memory proofs, and
writing + building an approved partner. The rest of the portal sees plain Python
values (dicts of problems, PNG bytes), never the pipeline's types. Its one door into
the pipeline is `pipeline.partners`, called by attribute (the tests wrap that module's
functions, a real seam).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from django.conf import settings

from pipeline import partners

log = logging.getLogger(__name__)

LOGO_TYPES = {"svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg"}


@dataclass(frozen=True)
class Offer:
    slug: str
    name: str
    path: Path
    products: tuple[str, ...]


@dataclass(frozen=True)
class Printed:
    """What goes on a partner's products: the request's snapshot or the form being typed."""

    campaign: str
    partner_id: str
    name: str
    contact: str
    phone: str
    products: tuple[str, ...]
    copies: dict
    logo_file: str  # generated name in var/uploads/ ("" for none)
    confirmed_numbers: tuple[str, ...] = ()
    web: str = ""  # the partner's own site


def offers() -> list[Offer]:
    return [Offer(o.slug, o.name, Path(o.path), tuple(o.products))
            for o in partners.campaigns_for_partners(settings.CONTENT_DIR)]


def offer(slug: str) -> Offer | None:
    return next((o for o in offers() if o.slug == slug), None)


@lru_cache(maxsize=1)
def _product_names() -> dict[str, str]:
    from pipeline.plan import load_layouts

    return {key: spec.name for key, spec in load_layouts().products.items() if spec.name}


def product_name(product: str) -> str:
    """A product as people call it (layouts/products.yaml `name`), not its id."""
    return _product_names().get(product) or product.replace("-", " ").capitalize()


def logo_path(logo_file: str) -> Path | None:
    if not logo_file:
        return None
    path = (settings.UPLOADS_DIR / logo_file).resolve()
    return path if path.parent == settings.UPLOADS_DIR.resolve() and path.is_file() else None


def _draft(p: Printed):
    campaign = offer(p.campaign)
    if campaign is None:
        raise LookupError(f"no campaign {p.campaign!r} offers products to partners")
    path = logo_path(p.logo_file)
    logo = path.read_bytes() if path else b""
    ext = path.suffix.lstrip(".") if path else "svg"
    return partners.PartnerDraft(
        campaign=campaign.path, id=p.partner_id, name=p.name, contact=p.contact, phone=p.phone,
        products=list(p.products), copies={k: int(v) for k, v in p.copies.items()},
        logo_name=f"{p.partner_id}.{ext}", logo=logo, confirmed_numbers=list(p.confirmed_numbers), web=p.web)


def problem_dict(problem) -> dict:
    """A pipeline Problem in plain words for a page or JSON. An unconfirmed phone
    number carries the number as written."""
    return {
        "level": problem.level,
        "what": problem.what,
        "hint": problem.hint,
        "field": problem.field,
        "check": problem.check,
        "number": problem.value if problem.check == "unconfirmed-number" else None,
        "page": problem.page,
    }


def partner_id_for(campaign: str, preferred: str, fallback: str) -> str:
    """`preferred` (r12-york-womens-aid), unless its QR tracking name clashes with
    another variant's in the campaign: then `fallback` (r12), short enough to be used
    as it is, so unique like the request number."""
    found = offer(campaign)
    if found and partners.tracking_clash(found.path, preferred):
        return fallback
    return preferred


def check(p: Printed) -> list[dict]:
    """Every trust rule on the text, the logo and the phone numbers."""
    return [problem_dict(x) for x in partners.check_partner(_draft(p))]


def unconfirmed_numbers(problems: list[dict]) -> list[str]:
    return list(dict.fromkeys(x["number"] for x in problems
                              if x["check"] == "unconfirmed-number" and x["number"]))


def proof(p: Printed, product: str, width: int | None = None) -> tuple[list[bytes], list[dict]]:
    """PNG pages of one product, `width` pixels wide, in memory, and the problems found on them."""
    result = partners.proof(_draft(p), product, width=width)
    return list(result.pages), [problem_dict(x) for x in result.problems]


def text_problems(text: str) -> list[str]:
    """The pipeline's text rule for any text typed into the portal (names, notes,
    addresses, comments): no direction controls, no invisible characters. A reversed
    number in a note misleads the coordinator as it would a reader of the leaflet.
    Browsers send a text area's line breaks as CR LF: those are line breaks."""
    from pipeline.inputs import check_text

    return check_text(text.replace("\r\n", "\n"), printed=False)


def check_logo(data: bytes, name: str) -> list[dict]:
    """The pipeline's asset rules for an uploaded logo (PNG, JPEG, SVG)."""
    from pipeline.assets import check_asset

    return [problem_dict(x) for x in check_asset(data, name)]


def write_and_build(p: Printed, on_progress: Callable[[int, int], None]) -> tuple[list[dict], list[dict]]:
    """Write the partner's files (YAML under content/, logo under assets/) and build
    its press and screen PDFs. Returns (outputs, problems): each output a dict with
    at least `path` (relative to the campaign's output folder) and `profile`."""
    draft = _draft(p)
    written = partners.write_partner(draft)
    log.info("wrote %s", ", ".join(str(w) for w in written))
    result = partners.build_partner(draft.campaign, p.partner_id, out_dir=settings.OUTPUT_DIR, on_progress=on_progress)
    outputs = []
    manifest = _manifest_entries(p.campaign)
    paths = []
    for o in result.outputs:  # pipeline.build.Output
        paths.append(o.path)
        if o.imposed:
            paths.append(o.imposed["path"])
    for rel in paths:
        entry = manifest.get(rel, {})
        outputs.append({
            "path": rel,
            "product": entry.get("product", ""),
            "profile": entry.get("profile") or ("screen" if rel.endswith("-screen.pdf") else "press"),
            "copies": entry.get("copies"),
            "pages": entry.get("pages"),
            "qr_url": entry.get("qr_url"),
            "rejected": bool(entry.get("rejected")) or rel.endswith(".rejected.pdf"),
        })
    return outputs, [problem_dict(x) for x in result.problems]


def _manifest_entries(campaign: str) -> dict[str, dict]:
    import json

    manifest = settings.OUTPUT_DIR / campaign / "manifest.json"
    try:
        return {e["path"]: e for e in json.loads(manifest.read_text())["outputs"]}
    except (OSError, ValueError, KeyError):
        return {}


def output_file(campaign: str, relative: str) -> Path | None:
    """A built file of a campaign, only if it is inside the campaign's output folder."""
    folder = (settings.OUTPUT_DIR / campaign).resolve()
    path = (folder / relative).resolve()
    return path if path.is_relative_to(folder) and path.is_file() else None


def warm_up(widths: tuple[int, ...]) -> None:
    """Load the pipeline, the campaigns and the renderer, and make a proof of each
    product at each width (the sides no partner changes are kept from it), so that
    the first partner's proof is as fast as the next (a cold worker takes ~2 s more).
    Called by `run_proofs` before it forks its workers: they share it."""
    import io

    from PIL import Image

    try:
        first = offers()[0]
        buf = io.BytesIO()
        Image.new("RGB", (600, 300), (11, 42, 74)).save(buf, "PNG", dpi=(300, 300))
        draft = partners.PartnerDraft(campaign=first.path, id="warm-up", name="Warm up", contact="Warm up",
                                      phone="", products=list(first.products), copies={},
                                      logo_name="warm-up.png", logo=buf.getvalue())
        for product in first.products:
            for width in widths:
                partners.proof(draft, product, width=width)
    except Exception:  # never stop the server for this
        log.warning("proof warm-up failed", exc_info=True)
