"""Checks of drafts: a draft translation, or draft Easy Read text, is flagged before it goes to print."""
from __future__ import annotations

from ..problems import Problem
from .subject import Subject


def check_translation(s: Subject) -> list[Problem]:
    """A translation nobody qualified has approved must not go to print unnoticed."""
    if not s.job.source.draft:
        return []
    note = s.job.source.campaign.translation.note or ""
    return [s.problem("warning", f"the {s.job.language!r} translation is a draft, not approved for print. {note}".strip(),
                      "have a qualified translator check it, then approve it: campaign-print approve-translation "
                      f"<its file> --by '<the translator>'",
                      check="translation")]


def check_easy_read(s: Subject) -> list[Problem]:
    """Easy Read text is checked by people with learning disabilities before it is
    printed (Easy Read guidance): a draft must not go to print unnoticed."""
    easy_read = s.job.source.campaign.easy_read
    if s.job.spec.needs != "easy_read" or easy_read is None or easy_read.status != "draft":
        return []
    return [s.problem("warning", f"the Easy Read text is a draft, not checked for print. {easy_read.note or ''}".strip(),
                      "have people with learning disabilities check it (an Easy Read review group), then set "
                      "easy_read.status: approved", check="easy-read")]
