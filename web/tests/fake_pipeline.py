"""A stand-in for pipeline.partners, with the same contract, for the portal's tests
while (or where) the real module is not there. It draws proofs and PDFs with Pillow:
the partner's logo, name and contact line, and a QR code of the campaign's URL, so the
browser tests can check what the real pipeline promises (the QR decodes, the logo shows).
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
import qrcode
import yaml
from PIL import Image, ImageDraw

from pipeline.assets import check_asset

PAGES = {"leaflet-dl": 2, "leaflet-a5": 2, "wallet-card": 2}
SIZE_PX = {"leaflet-dl": (594, 420), "leaflet-a5": (296, 420), "wallet-card": (340, 220)}
written: dict[str, "PartnerDraft"] = {}
WRITE_ROOT: Path | None = None  # where write_partner writes (a temporary folder in the tests)


@dataclass
class PartnerDraft:
    campaign: Path
    id: str
    name: str
    contact: str
    phone: str
    products: list[str]
    copies: dict[str, int]
    logo_name: str
    logo: bytes
    confirmed_numbers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    level: str
    what: str
    hint: str = ""
    field: str | None = None
    check: str | None = None
    number: str | None = None
    file: str = ""


@dataclass
class CampaignOffer:
    path: Path
    slug: str
    name: str
    products: list[str]
    url: str


@dataclass
class Proof:
    pages: list[bytes]
    problems: list[Problem]


@dataclass
class BuildResult:
    problems: list[Problem]
    outputs: list[str]


def _campaign(path: Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def campaigns_for_partners(content_dir=Path("content")) -> list[CampaignOffer]:
    offers = []
    for path in sorted(Path(content_dir).glob("*.yaml")):
        data = _campaign(path)
        partners = (data.get("variants") or {}).get("partners")
        if partners:
            offers.append(CampaignOffer(path, path.stem, data["name"], sorted(partners.get("copies", {})),
                                        data["qr"]["url"]))
    return offers


def _known(path: Path) -> set[str]:
    data = _campaign(path)
    numbers = {s["phone"] for s in data.get("support", []) if s.get("phone")}
    return {_e164(n) for n in numbers} | {"101", "999"}


def _e164(text: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(text, "GB"), phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return text


def check_partner(draft: PartnerDraft) -> list[Problem]:
    problems = [Problem("error", p.what, p.hint, field="logo") for p in check_asset(draft.logo, draft.logo_name)
                if p.level == "error"] if draft.logo else []
    known = _known(draft.campaign)
    confirmed = {_e164(n) for n in draft.confirmed_numbers}
    for name, text in (("contact", draft.contact), ("phone", draft.phone)):
        for match in phonenumbers.PhoneNumberMatcher(text, "GB"):
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in known and e164 not in confirmed:
                problems.append(Problem("error", f"the phone number {match.raw_string} is not one of the "
                                        "campaign's support numbers", "a coordinator must confirm it",
                                        field=name, check="unconfirmed-number", number=match.raw_string))
    if len(draft.contact) > 80:
        problems.append(Problem("error", "the contact line does not fit on the leaflet",
                                "shorten it to 80 characters", field="contact", check="lost-text"))
    return problems


def _page(draft: PartnerDraft, product: str, page: int, url: str | None, scale: int = 1) -> Image.Image:
    w, h = SIZE_PX.get(product, (420, 594))
    img = Image.new("RGB", (w * scale, h * scale), "white")
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, w * scale, 40 * scale], fill="#0b2a4a")
    d.text((10 * scale, 60 * scale), f"{draft.name} page {page}", fill="black")
    d.text((10 * scale, 80 * scale), draft.contact, fill="black")
    if draft.logo and not draft.logo_name.endswith(".svg"):
        logo = Image.open(io.BytesIO(draft.logo)).convert("RGB")
        logo.thumbnail((120 * scale, 80 * scale))
        img.paste(logo, (10 * scale, h * scale - logo.height - 10 * scale))
    if url:
        code = qrcode.make(url, box_size=4 * scale, border=4).get_image().convert("RGB")
        img.paste(code, (w * scale - code.width - 10 * scale, h * scale - code.height - 10 * scale))
    return img


def proof(draft: PartnerDraft, product: str) -> Proof:
    pages = []
    for n in range(1, PAGES.get(product, 1) + 1):
        buf = io.BytesIO()
        _page(draft, product, n, None).save(buf, "PNG")
        pages.append(buf.getvalue())
    return Proof(pages, [p for p in check_partner(draft)])


def write_partner(draft: PartnerDraft) -> list[Path]:
    written[draft.id] = draft
    root = WRITE_ROOT or Path("/nonexistent")
    folder = root / "content" / "partners" / Path(draft.campaign).stem
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{draft.id}.yaml").write_text(yaml.safe_dump({"id": draft.id, "name": draft.name}))
    logo = root / "assets" / "partners" / f"{draft.id}.{draft.logo_name.rsplit('.', 1)[-1]}"
    logo.parent.mkdir(parents=True, exist_ok=True)
    logo.write_bytes(draft.logo)
    return [folder / f"{draft.id}.yaml", logo]


def build_partner(campaign: Path, id: str, out_dir=Path("output"), on_progress=None) -> BuildResult:
    draft = written[id]
    offer = next(o for o in campaigns_for_partners(Path(campaign).parent) if o.path == Path(campaign))
    folder = Path(out_dir) / offer.slug
    outputs, entries = [], []
    total = 2 * len(draft.products)
    for i, product in enumerate(draft.products):
        for profile, suffix in (("press", ""), ("screen", "-screen")):
            rel = f"partners/{id}/{product}{suffix}.pdf"
            url = f"{offer.url}?c={product[:2]}-{id[:7]}{'.pdf' if profile == 'screen' else ''}"
            pages = [_page(draft, product, n, url, scale=3) for n in range(1, PAGES.get(product, 1) + 1)]
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            pages[0].save(target, "PDF", save_all=True, append_images=pages[1:], resolution=150)
            outputs.append(rel)
            entries.append({"path": rel, "product": product, "profile": profile, "partner": id,
                            "copies": draft.copies.get(product), "pages": len(pages), "qr_url": url})
            if on_progress:
                on_progress(len(outputs), total)
    (folder / "manifest.json").write_text(json.dumps({"campaign": offer.slug, "outputs": entries}))
    return BuildResult([], outputs)
