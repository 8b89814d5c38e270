"""Partners from outside the campaign file: what the partner portal asks of the pipeline.

A partner agency's request (name, contact line, phone, logo, products) is checked by
the same rules as campaign content (`content.check_partner`, `assets.check_asset`),
proofed in memory, and once a coordinator approves it written as two files the CLI
reads like any other content:

    content/partners/<campaign>/<id>.yaml     the partner's entry (as under variants.partners.items)
    assets/partners/<id>.svg|png|jpg          its logo

so `campaign-print build` makes the partner's PDFs, byte for byte, without the portal.
"""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

import yaml

from . import limits, panels, sheets
from .assets import ASSETS, check_asset
from .confirm import logo_id, seal
from .content import UNCONFIRMED, Campaign, LoadedCampaign, Partner, check_partner as check_partner_entry
from .content import load_campaign, load_campaigns, partners_folder
from .inputs import check_phone
from .plan.layoutset import folder_digest
from .paths import PROOF_LOGOS  # logos of proofs not yet approved (git-ignored)
from .problems import ContentError, PipelineError, Problem

LOGO_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg")
PROOF_LOGO_DAYS = 2


@dataclass
class PartnerDraft:
    """A partner as the portal's form has it: text as typed, the logo as uploaded."""

    campaign: Path  # the campaign file, e.g. content/no-matter-how-small.yaml
    id: str  # plain and short: names the partner's folder and tracking code
    name: str
    contact: str
    products: list[str]
    logo_name: str  # the uploaded file's name (its suffix says the format)
    logo: bytes
    phone: str = ""
    copies: dict[str, int] = field(default_factory=dict)
    confirmed_numbers: list[str] = field(default_factory=list)  # confirmed by a coordinator
    web: str = ""  # the partner's own site: the one address besides the campaign's its lines may print

    @property
    def logo_suffix(self) -> str:
        suffix = Path(self.logo_name).suffix.lower()
        return ".jpg" if suffix == ".jpeg" else suffix

    def entry(self, logo: str, confirmed: list[str] | None = None) -> dict:
        """The partner's entry as in the campaign YAML."""
        entry = {"id": self.id, "name": self.name, "logo": logo, "contact": self.contact,
                 "products": list(self.products)}
        if self.phone.strip():
            entry["phone"] = self.phone.strip()
        if self.web.strip():
            entry["web"] = self.web.strip()
        if self.copies:
            entry["copies"] = dict(self.copies)
        numbers = self.confirmed_numbers if confirmed is None else confirmed
        if numbers:
            entry["confirmed_numbers"] = list(numbers)
        return entry

    def sealed_entry(self, logo: str) -> dict:
        """The entry as the portal writes it to a file: confirmed numbers sealed
        (confirm.py), so a build trusts them and no one else's."""
        entry = self.entry(logo)
        if self.confirmed_numbers:
            entry["confirmation"] = seal(Path(self.campaign).stem, self.id, list(self.confirmed_numbers),
                                         (self.name, self.contact, self.phone, logo_id(logo, self.logo), self.web.strip()))
        return entry


@dataclass(frozen=True)
class CampaignOffer:
    path: Path
    slug: str
    name: str
    products: list[str]  # what the campaign offers partners


@dataclass
class Proof:
    pages: list[bytes]  # PNG per page
    problems: list[Problem]
    pdf: bytes = b""  # the sides rendered for it (the partner's; every side when all change)


# ---------------------------------------------------------------- campaigns


def _stamp(path: Path) -> tuple:
    """Changes when the campaign file or its partner files change."""
    folder = partners_folder(path)
    files = [path, *sorted(folder.glob("*.yaml"))] if folder.is_dir() else [path]
    return tuple((str(f), f.stat().st_mtime_ns) for f in files)


@lru_cache(maxsize=16)
def _loaded(path: Path, stamp: tuple) -> LoadedCampaign:
    return load_campaign(path)


def loaded_campaign(path: Path) -> LoadedCampaign:
    """The campaign, loaded once per change of its files (proofs are made many times)."""
    path = Path(path)
    return _loaded(path, _stamp(path))


def campaigns_for_partners(content_dir: Path = Path("content")) -> list[CampaignOffer]:
    """The campaigns in `content_dir` that offer products to partners."""
    offers = []
    for path in sorted(Path(content_dir).glob("*.yaml")):
        try:
            c = loaded_campaign(path).campaign
        except ContentError:
            continue  # a broken campaign is the coordinator's to fix (campaign-print check)
        axis = c.variants.partners
        if axis and axis.offer:
            offers.append(CampaignOffer(path, path.stem, c.name, list(axis.offer)))
    return offers


# ---------------------------------------------------------------- checking


def check_partner(draft: PartnerDraft) -> list[Problem]:
    """Every problem of a request, as the CLI would find it: text, numbers, logo.

    A phone number that is not one of the campaign's comes back with
    `check == "unconfirmed-number"` and the number in `value`, until a coordinator
    confirms it (`draft.confirmed_numbers`)."""
    c = loaded_campaign(draft.campaign).campaign
    return _check(draft, c)[1]


def _check(draft: PartnerDraft, c: Campaign, confirmed: list[str] | None = None) -> tuple[Partner | None, list[Problem]]:
    problems = check_logo_upload(draft.logo_name, draft.logo)
    partner, found = check_partner_entry(draft.entry(f"partners/{draft.id}{draft.logo_suffix}", confirmed),
                                         c, "your request")
    problems += found
    existing = c.variants.partners.items if c.variants.partners else []
    if any(p.id == draft.id and not _approved_here(draft, p) for p in existing):
        problems.append(Problem("error", "your request", f"the id {draft.id!r} is taken by another partner",
                                "choose another short name", field="id"))
    return partner, problems


def _approved_here(draft: PartnerDraft, partner: Partner) -> bool:
    """The partner with this id was approved through the portal (a file of its own),
    so a new request from it replaces it."""
    return (partners_folder(Path(draft.campaign)) / f"{partner.id}.yaml").is_file()


def tracking_clash(campaign_file: Path, partner_id: str) -> str | None:
    """The other variant (partner, district, language) whose name in QR tracking codes
    (`?c=ld-<name>`: names over 7 characters shortened to 4 and a 3-character hash) is
    the same as `partner_id`'s, or None. A clash would make `campaign-print build`
    refuse the campaign, so the portal picks another id instead."""
    from .plan import slug
    from .qr import short_name

    c = loaded_campaign(campaign_file).campaign
    axes = c.variants

    def short(name: str) -> str:
        return short_name(slug(name), lambda code: bool(c.reveals(code)))

    others = [p.id for p in (axes.partners.items if axes.partners else []) if p.id != partner_id]
    others += [d.name for d in (axes.districts.items if axes.districts else [])]
    others += list(axes.languages.codes if axes.languages else [])
    mine = short(partner_id)
    return next((other for other in others if short(other) == mine), None)


def check_logo_upload(name: str, data: bytes) -> list[Problem]:
    """An uploaded logo: SVG, PNG or JPEG, within the size limit, passing the asset checks."""
    suffix = Path(name).suffix.lower()
    if suffix not in LOGO_SUFFIXES:
        return [Problem("error", name or "logo", "a logo must be an SVG, PNG or JPEG file",
                        "upload the logo as SVG (best) or as PNG/JPEG at 300 ppi", field="logo")]
    if len(data) > limits.LOGO_BYTES:
        return [Problem("error", name, f"the logo is {len(data) / 1048576:.1f} MB; at most "
                        f"{limits.LOGO_BYTES / 1048576:.0f} MB (LOGO_BYTES in {limits.WHERE})",
                        "upload a smaller file (an SVG is usually a few kB)", field="logo")]
    return [replace(p, field="logo") for p in check_asset(data, name)]


def unconfirmed_numbers(problems: list[Problem]) -> list[str]:
    """The phone numbers a coordinator still has to confirm, as written."""
    return list(dict.fromkeys(p.value for p in problems if p.check == UNCONFIRMED and p.value))


# ---------------------------------------------------------------- proofing


def proof(draft: PartnerDraft, product: str, width: int | None = None) -> Proof:
    """Every page of `product` with the partner's logo and lines, as PNG (screen
    profile) `width` pixels wide (PROOF_DPI when None), and every problem: the
    request's own and the preflight of the render. Only the sides a partner changes
    are rendered (_partner_sides). Nothing is written but the checked logo (under a
    name made from its bytes)."""
    from .plan import Job

    loaded = loaded_campaign(draft.campaign)
    c = loaded.campaign
    # Render with the unconfirmed numbers taken as confirmed: the coordinator sees
    # them in the problems; the proof shows the partner what they typed.
    problems = _check(draft, c)[1]
    dialable = [n for n in unconfirmed_numbers(problems) if not check_phone(n)]  # others stay errors
    partner, _ = _check(draft, c, confirmed=draft.confirmed_numbers + dialable)
    if partner is None or any(p.field == "logo" and p.level == "error" for p in problems):
        return Proof([], problems)
    layouts, screen = _layouts_and_screen()
    if product not in layouts.products:
        return Proof([], problems + [Problem("error", "your request", f"unknown product {product!r}", "")])
    partner = partner.model_copy(update={"logo": _proof_logo(draft)})
    size = next(iter(layouts.products[product].sizes))
    job = Job(source=loaded, layouts=layouts, product=product, size=size,
              profile=screen, partner=partner)
    try:
        made = _partner_sides(job, width) or _whole(job, width)
    except PipelineError as exc:
        return Proof([], problems + exc.problems)
    return replace(made, problems=problems + made.problems)


_LAYOUTS: dict[tuple[bytes, bytes], tuple] = {}


def _layouts_and_screen():
    """layouts/ and the screen profile, loaded once per change of their bytes: the
    same LayoutSet for every proof until then, which the proof caches below are keyed
    by (its identity stands for the bytes it was loaded from)."""
    from .paths import LAYOUTS, PROFILES
    from .plan import load_layouts, load_profiles

    key = (_layouts_stamp(LAYOUTS), folder_digest(PROFILES))
    if key not in _LAYOUTS:
        _LAYOUTS.clear()
        _LAYOUTS[key] = (load_layouts(), load_profiles()["screen"])
    return _LAYOUTS[key]


def _whole(job, width: int | None) -> Proof:
    """Every side rendered, checked and drawn."""
    from .fit import fitted
    from .preflight import preflight

    html, rendered = fitted(job)
    found, _ = preflight(job, html, rendered, thumbnails=False)
    return Proof(_pages(rendered.pdf, width), found, rendered.pdf)


def _partner_sides(job, width: int | None) -> Proof | None:
    """Only the sides that carry what a partner changes (its logo and lines, its QR
    code) rendered, checked and drawn, and of those, when their panels are placed on
    their own, only the panels that carry it (panels.py); the others, the same for
    every partner, from `_OTHER_SIDES`. Their fill and shrink steps are chosen on the
    partner's sides alone (the build chooses them on every side: the same for full
    content). None when every side changes or the layout does not keep one `.sheet`
    per page."""
    from .fit import fitted
    from .preflight import preflight

    stand_in = replace(job, partner=job.partner.model_copy(update={
        "id": "stand-in", "name": "Partner", "contact": "Contact line", "phone": None}))
    changed, count, changed_panels = _partners_sides(stand_in)
    if not changed or len(changed) == count:
        return None
    others = _other_sides(stand_in, width)
    if len(others[0]) != count:
        return None
    made = None
    if changed_panels:
        stand = panels.stand(_other_sides_key(stand_in, width), stand_in, changed, changed_panels, width)
        made = panels.proof(job, stand, changed) if stand else None
    if made is None:
        with sheets.only_sheets(changed):
            html, rendered = fitted(job)
        found, _ = preflight(job, html, rendered, thumbnails=False)
        drawn, pdf = _pages(rendered.pdf, width), rendered.pdf
    else:
        drawn, found, pdf = made
    if len(drawn) != len(changed):
        return None  # a side spilled onto another page: check and show the whole
    pages, at = list(others[0]), {}  # at: page in this render -> page in the product
    for n, (index, page) in enumerate(zip(sorted(changed), drawn)):
        pages[index], at[n + 1] = page, index + 1
    # Not here: the other sides (the page count, a code or text printed on them);
    # their problems are the stand-in's, those found on them.
    found = [replace(p, page=at.get(p.page, p.page)) for p in found
             if p.check != "pages" and (p.page is not None or p.check not in ("qr", "codes"))]
    return Proof(pages, found + [p for p in others[1] if p.page is not None and p.page - 1 not in changed], pdf)


LINK_TARGET = re.compile(r'\shref="[^"]*"')
_SIDES: dict[tuple, tuple[frozenset[int], int, dict[int, frozenset[int]]]] = {}


def _partners_sides(stand_in) -> tuple[frozenset[int], int, dict[int, frozenset[int]]]:
    """The sides (numbered from 0) whose HTML changes with the partner (its name,
    lines, logo, QR code), how many sides there are, and of the changed sides with
    panels those that change: from two made-up partners that differ in all of these,
    once per campaign file, layouts and product."""
    from .layouts import render_html

    key = (_stamp(Path(stand_in.source.path)), stand_in.layouts, stand_in.product, stand_in.size)
    if key not in _SIDES:
        other = replace(stand_in, partner=stand_in.partner.model_copy(update={  # HTML only: its logo is not read
            "id": "other-stand-in", "name": "Another partner", "contact": "Another line", "phone": "999",
            "logo": "partners/another-stand-in.svg"}))
        # Links are not drawn: a side whose only difference is a link's tracking code
        # (the partner's, `?c=`) looks the same for every partner.
        a, b = (sheets.split(LINK_TARGET.sub("", render_html(job)))[1] for job in (stand_in, other))
        changed = frozenset(i for i, (x, y) in enumerate(zip(a, b)) if x != y) if len(a) == len(b) else frozenset()
        _SIDES[key] = (changed, len(a), panels.changed_panels(a, b, changed))
        while len(_SIDES) > OTHER_SIDES_KEPT:
            del _SIDES[next(iter(_SIDES))]
    return _SIDES[key]


_OTHER_SIDES: dict[tuple, tuple[list[bytes], list[Problem]]] = {}
OTHER_SIDES_KEPT = 16  # campaign x product x width: a few hundred kB each


def _other_sides(stand_in, width: int | None) -> tuple[list[bytes], list[Problem]]:
    """Every page of the product with a stand-in partner, drawn and checked once per
    campaign file, layouts and width (the newest OTHER_SIDES_KEPT kept): the sides
    kept from it show nothing of a partner, not even its logo (_partners_sides)."""
    from .fit import fitted
    from .preflight import preflight

    key = _other_sides_key(stand_in, width)
    if key not in _OTHER_SIDES:
        html, rendered = fitted(stand_in)
        found, _ = preflight(stand_in, html, rendered, thumbnails=False)
        _OTHER_SIDES[key] = (_pages(rendered.pdf, width), found)
        while len(_OTHER_SIDES) > OTHER_SIDES_KEPT:
            del _OTHER_SIDES[next(iter(_OTHER_SIDES))]
    return _OTHER_SIDES[key]


def _other_sides_key(stand_in, width: int | None) -> tuple:
    return (_stamp(Path(stand_in.source.path)), stand_in.layouts, stand_in.product, stand_in.size, width)


def _layouts_stamp(folder: Path) -> bytes:
    return folder_digest(folder)  # the bytes: a same-size save keeping the mtime is another proof


def _proof_logo(draft: PartnerDraft) -> str:
    """The checked logo under a name made from its bytes, relative to assets/."""
    PROOF_LOGOS.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(draft.logo).hexdigest()[:24] + draft.logo_suffix
    path = PROOF_LOGOS / name
    if not path.is_file():
        from .build import write_atomically

        write_atomically(path, draft.logo)
        cutoff = time.time() - PROOF_LOGO_DAYS * 86400
        for old in PROOF_LOGOS.iterdir():
            if old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
    return str(path.relative_to(ASSETS))


def _pages(pdf: bytes, width: int | None = None) -> list[bytes]:
    return [panels.png(pixels) for pixels in panels.rasters(pdf, width)]


# ---------------------------------------------------------------- approval


def write_partner(draft: PartnerDraft) -> list[Path]:
    """Write the approved partner as files the CLI reads; refuse if anything is wrong
    (every number confirmed, the logo checked). Returns the files written."""
    from .build import write_atomically

    c = loaded_campaign(draft.campaign).campaign
    errors = [p for p in _check(draft, c)[1] if p.level == "error"]
    if errors:
        raise ContentError(errors)
    logo = ASSETS / "partners" / f"{draft.id}{draft.logo_suffix}"
    entry = draft.sealed_entry(str(logo.relative_to(ASSETS)))
    target = partners_folder(Path(draft.campaign)) / f"{draft.id}.yaml"
    text = (f"# Partner {draft.name!r}: a request approved in the partner portal (one file per\n"
            f"# request; the portal rewrites it only to build this request again); its logo is\n"
            f"# assets/{entry['logo']}.\n")
    text += yaml.safe_dump(entry, sort_keys=False, allow_unicode=True, default_flow_style=False)
    before = {path: path.read_bytes() for path in (target, logo) if path.is_file()}
    write_atomically(logo, draft.logo)
    write_atomically(target, text.encode())
    try:
        loaded_campaign(draft.campaign)  # the CLI must read it as written
    except ContentError:
        for path in (target, logo):  # put back what was there
            if path in before:
                write_atomically(path, before[path])
            else:
                path.unlink(missing_ok=True)
        raise
    for other in LOGO_SUFFIXES:  # one logo per partner, whatever its format was before
        if other not in (draft.logo_suffix, ".jpeg"):
            logo.with_suffix(other).unlink(missing_ok=True)
    return [target, logo]


def build_partner(campaign_file: Path, partner_id: str, out_dir: Path = Path("output"),
                  on_progress: Callable[[int, int], None] | None = None):
    """Build the partner's press and screen PDFs, as `campaign-print build --partner ID`."""
    from .build import build
    from .plan import load_layouts, load_profiles, plan, select_profiles

    campaigns = load_campaigns([Path(campaign_file)])
    axes = [c.campaign.variants.partners for c in campaigns if c.campaign.variants.partners]
    known = any(p.id == partner_id for axis in axes for p in axis.items)
    jobs = plan(campaigns, load_layouts(), select_profiles(load_profiles(), None), partners=[partner_id]) \
        if known else []
    if not jobs:
        raise PipelineError([Problem("error", str(campaign_file), f"no partner {partner_id!r} to build",
                                     "approve the request first")])
    return build(jobs, Path(out_dir), wait=True, on_progress=on_progress)
