"""Coordinators' confirmations, sealed: partners' phone numbers (only the portal's
count) and approved translations (`campaign-print approve-translation`).

A number that is not one of the campaign's prints on a partner's products only once
a coordinator has confirmed it digit by digit in the partner portal, which records
who and when. The portal then writes the partner's file with `confirmed_numbers` and
a `confirmation` seal: HMAC-SHA256, keyed with a secret that stays on the portal's
machine (`var/confirm.key`, never in the repository), over the campaign, the
partner's id, the name, contact line, phone and logo (its bytes' hash) printed with
the numbers, and each confirmed number. A build recomputes the seal; numbers written
into a partner file by hand, a seal copied from another partner or campaign, or a
sealed file whose name, contact line, phone or logo was changed since, are not trusted.

A translation says `status: approved` only with the seal `approve-translation` writes
beside it (`translation_seal`): over the campaign, the language and every string of
the file, so a word changed after approval, or "approved" typed by hand, is a draft again.

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


def _held(campaign: str, partner: str, numbers: list[str], printed: tuple[str, ...]) -> list:
    # E.164, sorted: the seal holds however the coordinator wrote the number; the
    # name, contact line, phone and logo printed with them (spaces collapsed, the
    # phone in E.164, the logo by logo_id), and the partner's own site when it has one
    # (a seal made before partners declared a site still holds for one without).
    name, contact, phone, logo, *site = (" ".join(text.split()) for text in printed)
    held = [campaign, partner, name, contact, phone_key(phone) if phone else "", logo,
            sorted({phone_key(n) for n in numbers})]
    return held + [site[0]] if site and site[0] else held


def _sign(held: list) -> str:
    """The key's seal over `held` (as JSON), making the key if there is none."""
    return hmac.new(_key(create=True), json.dumps(held).encode(), hashlib.sha256).hexdigest()


def _signed(held: list, given: str | None) -> bool:
    key = _key(create=False)
    if not key or not given:
        return False
    return hmac.compare_digest(hmac.new(key, json.dumps(held).encode(), hashlib.sha256).hexdigest(), given)


def seal(campaign: str, partner: str, numbers: list[str], printed: tuple[str, ...]) -> str:
    """The seal the portal writes beside confirmed numbers (makes the key if none):
    these numbers, for this partner of this campaign, printed with this name,
    contact line, phone and logo (`printed`)."""
    return _sign(_held(campaign, partner, numbers, printed))


def sealed(campaign: str, partner: str, numbers: list[str], printed: tuple[str, ...],
           given: str | None) -> bool:
    """Whether `given` is the portal's seal of these numbers for this partner, as printed."""
    return _signed(_held(campaign, partner, numbers, printed), given)


def _translation_held(campaign: str, language: str, strings: dict[str, str], approved_by: str) -> list:
    return ["translation", campaign, language, approved_by, sorted(strings.items())]


def translation_seal(campaign: str, language: str, strings: dict[str, str], approved_by: str) -> str:
    """The seal of an approved translation: every string of its file (by dotted key),
    for this language of this campaign, approved by `approved_by`."""
    return _sign(_translation_held(campaign, language, strings, approved_by))


def translation_sealed(campaign: str, language: str, strings: dict[str, str], approved_by: str,
                       given: str | None) -> bool:
    return _signed(_translation_held(campaign, language, strings, approved_by), given)
