"""Coordinators' confirmations of partners' phone numbers: only the portal's count.

A number that is not one of the campaign's prints on a partner's products only once
a coordinator has confirmed it digit by digit in the partner portal, which records
who and when. The portal then writes the partner's file with `confirmed_numbers` and
a `confirmation` seal: HMAC-SHA256, keyed with a secret that stays on the portal's
machine (`var/confirm.key`, never in the repository), over the campaign, the
partner's id, the name, contact line, phone and logo (its bytes' hash) printed with
the numbers, and each confirmed number. A build recomputes the seal; numbers written
into a partner file by hand, a seal copied from another partner or campaign, or a
sealed file whose name, contact line, phone or logo was changed since, are not trusted.

The key file: `$CAMPAIGN_PRINT_CONFIRM_KEY` if set, else `confirm.key` in the portal's
runtime folder (`$PORTAL_VAR`, default `var/`). Builds of partner files must run
where that key is (the portal's machine, or one given a copy of it).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from .inputs import phone_key
from .paths import ROOT


def key_file() -> Path:
    given = os.environ.get("CAMPAIGN_PRINT_CONFIRM_KEY")
    if given:
        return Path(given)
    return Path(os.environ.get("PORTAL_VAR", ROOT / "var")) / "confirm.key"


def _key(create: bool) -> bytes | None:
    path = key_file()
    if not path.is_file():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: two approvals at once make one key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    key = path.read_text().strip()
    return key.encode() if key else None


def logo_id(logo: str, data: bytes | None) -> str:
    """A partner's logo as the seal holds it: its name in assets/ and its bytes' hash."""
    return f"{logo} {hashlib.sha256(data).hexdigest() if data is not None else 'missing'}"


def _message(campaign: str, partner: str, numbers: list[str], printed: tuple[str, ...]) -> bytes:
    # E.164, sorted: the seal holds however the coordinator wrote the number; the
    # name, contact line, phone and logo printed with them (spaces collapsed, the
    # phone in E.164, the logo by logo_id), and the partner's own site when it has one
    # (a seal made before partners declared a site still holds for one without).
    name, contact, phone, logo, *site = (" ".join(text.split()) for text in printed)
    held = [campaign, partner, name, contact, phone_key(phone) if phone else "", logo,
            sorted({phone_key(n) for n in numbers})]
    return json.dumps(held + [site[0]] if site and site[0] else held).encode()


def seal(campaign: str, partner: str, numbers: list[str], printed: tuple[str, ...]) -> str:
    """The seal the portal writes beside confirmed numbers (makes the key if none):
    these numbers, for this partner of this campaign, printed with this name,
    contact line, phone and logo (`printed`)."""
    key = _key(create=True)
    return hmac.new(key, _message(campaign, partner, numbers, printed), hashlib.sha256).hexdigest()


def sealed(campaign: str, partner: str, numbers: list[str], printed: tuple[str, ...],
           given: str | None) -> bool:
    """Whether `given` is the portal's seal of these numbers for this partner, as printed."""
    key = _key(create=False)
    if not key or not given:
        return False
    wanted = hmac.new(key, _message(campaign, partner, numbers, printed), hashlib.sha256).hexdigest()
    return hmac.compare_digest(wanted, given)
