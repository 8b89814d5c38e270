"""Check of translations: a draft translation is flagged before it goes to print."""
from __future__ import annotations

from ..problems import Problem
from .subject import Subject


def check_translation(s: Subject) -> list[Problem]:
    """A translation nobody qualified has approved must not go to print unnoticed."""
    if not s.job.source.draft:
        return []
    note = s.job.source.campaign.translation.note or ""
    return [s.problem("warning", f"the {s.job.language!r} translation is a draft, not approved for print. {note}".strip(),
                      "have a qualified translator check it, then set translation.status: approved",
                      check="translation")]
