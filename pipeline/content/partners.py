"""Partners from outside the campaign file (the portal's files in content/partners/<campaign>/
and its form): their numbers confirmed by a coordinator, their text under the campaign's rules."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..confirm import logo_id, sealed
from ..inputs import SHORT_CODES, find_phone_numbers, find_web_addresses, phone_key, plain
from ..problems import ContentError, Problem
from .errors import validate
from .model import Campaign, Partner
from .reporting import _compact
from .rules import (_bad_characters, _imitates, _not_neutral, _numbers_of_services, _partner_places, _roles_in_text,
                    _stray_addresses, _stray_numbers, known_hosts, known_numbers)
from .yamlfile import dotted_path, _Lines, read_yaml


UNCONFIRMED = "unconfirmed-number"  # Problem.check of a number a coordinator must confirm


def check_partner(data: Any, campaign: Campaign, file: str, lines: _Lines | None = None,
                  slug: str | None = None) -> tuple[Partner | None, list[Problem]]:
    """A partner's entry that comes from outside the campaign file: the rules of the
    campaign's own text, and every phone number in it either the campaign's own or
    confirmed by a coordinator (`confirmed_numbers`).

    From the portal's form (`slug` None) the confirmations are the portal's own
    records; from a file in content/partners/<slug>/ they count only with the
    portal's seal (`confirm.sealed`)."""
    lines = lines or _Lines()
    if not isinstance(data, dict):
        return None, [Problem("error", file, "a partner must be a mapping of fields", "write 'key: value' lines", line=1)]
    problems = _bad_characters(data, file, lines, campaign.direction == "rtl")
    try:
        partner = validate(data, Partner, file, lines)
    except ContentError as exc:
        return None, problems + exc.problems
    confirmed = partner.confirmed_numbers
    if slug is not None and confirmed and not sealed(slug, partner.id, confirmed, _printed(partner),
                                                     partner.confirmation):
        problems.append(Problem(
            "error", file, "confirmed_numbers were not written by the partner portal (the seal "
                           f"{'is missing' if not partner.confirmation else 'does not match'}), or the numbers, "
                           "name, contact line, phone or logo were changed since the portal wrote the file: a "
                           "confirmation written or edited by hand is not trusted",
            "a coordinator confirms a partner's numbers in the portal, at approval; remove confirmed_numbers "
            "here, or build where the portal's key is (SECURITY.md, 'confirmed numbers')",
            line=lines.line(("confirmed_numbers",)), field="confirmed_numbers"))
        confirmed = []
    known = known_numbers(campaign) | {phone_key(n) for n in confirmed}
    confirm = "a coordinator must check every digit and confirm it before this goes to print"
    problems += _stray_numbers(known, data, file, lines, confirm, UNCONFIRMED)
    if partner.phone and phone_key(partner.phone) not in known:
        problems.append(Problem("error", file, f"the phone number {partner.phone!r} is not one of the support numbers "
                                               "or short codes", confirm, line=lines.line(("phone",)), field="phone",
                                check=UNCONFIRMED, value=partner.phone))
    problems += _not_neutral(campaign, _partner_places(partner, ()), file, lines)
    problems += _phone_apart(partner, (), file, lines) + _roles_in_text(campaign, data, file, lines, labels=False)
    problems += _numbers_of_services(campaign, data, file, lines)
    problems += partner_addresses(campaign, partner, data, (), file, lines)
    axis = campaign.variants.partners
    offer = axis.offer if axis else []
    for i, product in enumerate(partner.products):
        if product not in offer:
            problems.append(Problem("error", file, f"the campaign does not offer {product!r} to partners",
                                    f"choose from: {', '.join(offer) or 'nothing (variants.partners.offer is empty)'}",
                                    line=lines.line(("products", i)), field=f"products[{i}]"))
    return partner, problems


PARTNER_ADDRESSES = ("a partner's lines may print only the campaign's sites (qr.allowed_hosts, a support "
                     "service's 'web:') and the partner's own site, declared as web: (the portal's 'Web site'), "
                     "e.g. www.example-aid.org.uk; check every letter against the partner's real address")


def own_site(partner: Partner, campaign: Campaign) -> tuple[str | None, str | None]:
    """The host of the partner's declared site (`web:`), or None and what is wrong with
    it: one plain address (letters a-z, no international name), not one that imitates
    the force's or a service's site (a partner's site may not pass for the force's)."""
    if not partner.web:
        return None, None
    found = find_web_addresses(partner.web)
    if len(found) != 1 or found[0].written != partner.web:
        return None, (f"web: {partner.web!r} is not one web address", "write the partner's site alone, e.g. "
                      "www.example-aid.org.uk")
    host = found[0].host
    if not host.isascii() or "xn--" in host:
        return None, (f"web: {host!r} is an international (IDN/punycode) name, which can look like another site",
                      "give the site's plain a-z name")
    known = known_hosts(campaign)
    why = [] if host in known else _imitates(host, known)
    if why:
        return None, (f"web: {host!r} is not the force's site but {why[0]}",
                      "give the partner's own site; the force's site is printed by the layout")
    return host, None


def partner_addresses(campaign: Campaign, partner: Partner, data: dict, path: tuple, file: str,
                      lines: _Lines) -> list[Problem]:
    """Every web address in a partner's entry (`data`, at `path` in its file) leads to
    one of the campaign's sites or to the partner's own declared site (`own_site`)."""
    host, wrong = own_site(partner, campaign)
    problems = []
    if wrong:
        problems.append(Problem("error", file, wrong[0], wrong[1], line=lines.line(path + ("web",)),
                                field=dotted_path(path + ("web",))))
    known = known_hosts(campaign) | ({host} if host else set())
    return problems + _stray_addresses(known, data, file, lines, PARTNER_ADDRESSES, skip=(path + ("web",),),
                                       prefix=path)


def partner_hosts(partner: Partner, campaign: Campaign) -> set[str]:
    """The sites a partner's products may print besides the campaign's: its own, if
    it passes `own_site`."""
    host = own_site(partner, campaign)[0]
    return {host} if host else set()


def _printed(partner: Partner) -> tuple[str, str, str, str, str]:
    """What the portal's seal holds besides the numbers: name, contact line, phone, logo
    and the partner's own site."""
    from .. import assets  # here: it imports the image libraries

    try:  # the one reader: no FIFO, link or hard link to a file outside
        data = assets.read_project_file(assets.ASSETS / partner.logo, [assets.ASSETS])
    except (assets.RefusedFile, OSError):
        data = None
    return partner.name, partner.contact, partner.phone or "", logo_id(partner.logo, data), partner.web or ""


def _phone_apart(partner: Partner, path: tuple, file: str, lines: _Lines) -> list[Problem]:
    """The partner's phone is printed straight after its contact line: digits at the
    end of the line would read as one number with it ("... 0808 802" + "0300")."""
    if not partner.phone:
        return []
    if _compact(partner.phone) in {_compact(code) for code in SHORT_CODES}:
        return [Problem("error", file, f"the phone {partner.phone!r} is a short code: printed after the contact "
                                       "line it reads as the partner's own line",
                        "give the partner's own number; the reporting lines (999, 101, 55) are printed by the "
                        "layout", line=lines.line(path + ("phone",)), field=dotted_path(path + ("phone",)))]
    contact = plain(partner.contact).rstrip()
    joined = [f.key for f in find_phone_numbers(f"{contact} {partner.phone}")]
    apart = [f.key for f in find_phone_numbers(contact)] + [phone_key(partner.phone)]
    if not contact[-1:].isdigit() and joined == apart:
        return []
    return [Problem("error", file, f"the contact line ends in digits ({contact.split()[-1]!r}): printed straight "
                                   f"before the phone number {partner.phone!r}, the two read as one number",
                    "end the contact line with a word (e.g. 'Call us on'), or leave the number out of it and "
                    "give it only as phone", line=lines.line(path + ("contact",)), field=dotted_path(path + ("contact",)))]


def _campaign_partners(campaign: Campaign, data: dict, file: str, lines: _Lines) -> list[Problem]:
    """Partners written into the campaign file: their phone is one of the campaign's
    numbers (only the portal confirms others), and nothing is confirmed by hand."""
    problems = []
    axis = campaign.variants.partners
    known = known_numbers(campaign)
    entries = data["variants"]["partners"]["items"] if axis and axis.items else []
    for i, partner in enumerate(axis.items if axis else []):
        path = ("variants", "partners", "items", i)
        for name in ("confirmed_numbers", "confirmation"):
            if getattr(partner, name):
                problems.append(Problem(
                    "error", file, f"{name} belongs only in the partner files the portal writes: a "
                                   "confirmation written by hand is not trusted",
                    "remove it; a partner with a number that is not the campaign's asks for its products "
                    "in the partner portal, where a coordinator confirms the number",
                    line=lines.line(path + (name,)), field=dotted_path(path + (name,))))
        if partner.phone and phone_key(partner.phone) not in known:
            problems.append(Problem(
                "error", file, f"the phone number {partner.phone!r} is not one of the support numbers or short codes",
                "give a number the campaign lists under 'support:', or have the partner ask in the portal, "
                "where a coordinator confirms it", line=lines.line(path + ("phone",)), field=dotted_path(path + ("phone",))))
        problems += _phone_apart(partner, path, file, lines)
        problems += partner_addresses(campaign, partner, entries[i], path, file, lines)
    return problems


def partners_folder(campaign_file: Path) -> Path:
    """Where the partners a coordinator approved in the portal are kept, one file each."""
    return campaign_file.parent / "partners" / campaign_file.stem


def _partner_files(path: Path, campaign: Campaign) -> tuple[Campaign, list[Problem]]:
    """The campaign with the partners of content/partners/<campaign>/ added."""
    files = sorted(partners_folder(path).glob("*.yaml"))
    if not files:
        return campaign, []
    axis = campaign.variants.partners
    partners, problems = list(axis.items if axis else []), []
    for file in files:
        try:
            data, lines = read_yaml(file)
        except ContentError as exc:
            problems += exc.problems
            continue
        partner, found = check_partner(data, campaign, str(file), lines, slug=path.stem)
        problems += found
        if partner is None:
            continue
        if partner.id != file.stem:
            problems.append(Problem("error", str(file), f"the file of partner {partner.id!r} must be named {partner.id}.yaml",
                                    "rename the file or fix the id", line=lines.line(("id",)), field="id"))
        elif any(p.id == partner.id for p in partners):
            problems.append(Problem("error", str(file), f"partner {partner.id!r} is also in {path.name}",
                                    "keep one of them", line=lines.line(("id",)), field="id"))
        else:
            partners.append(partner)
    if axis is None:
        problems.append(Problem("error", str(path), "there are partner files but the campaign has no variants.partners",
                                "add variants.partners with the products it offers (offer: [...])", field="variants"))
        return campaign, problems
    variants = campaign.variants.model_copy(update={"partners": axis.model_copy(update={"items": partners})})
    return campaign.model_copy(update={"variants": variants}), problems
