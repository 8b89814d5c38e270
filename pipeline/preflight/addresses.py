"""Printed web addresses: every address a reader reads on the page (a social image's
link text, a line typed into a template, an image's credit) leads to one of the
campaign's sites, as its QR code does (codes.py)."""
from __future__ import annotations

from ..content import known_hosts
from ..inputs import find_web_addresses
from ..problems import Problem
from .subject import Subject, element_lines


def check_addresses(s: Subject) -> list[Problem]:
    """Every web address printed is the force's (qr.allowed_hosts) or a support
    service's own, or, on a partner's products, one its approved lines give."""
    known = known_hosts(s.job.source.campaign)
    if s.job.partner:
        known |= {a.host for text in s.job.partner.model_dump(mode="json").values() if isinstance(text, str)
                  for a in find_web_addresses(text)}
    # The lines of one element, in order: an address breaks after '/' or '.', so a
    # line ending in one runs on into the next without a space.
    elements = element_lines(s.rendered.layout)
    problems, reported = [], set()
    for items in elements:
        text = ""
        for item in items:
            text += item.text if text.rstrip().endswith(("/", ".", "-")) else " " + item.text
        for found in find_web_addresses(text):
            if found.host not in known and (items[0].page, found.host) not in reported:
                reported.add((items[0].page, found.host))
                problems.append(s.problem(
                    "error", f"prints the web address {found.written!r}, which is not one of the campaign's "
                             f"({', '.join(sorted(known))})",
                    "addresses come from the campaign file only (qr.label, a service's 'web:'): fix the template "
                    "or content", items[0], check="addresses"))
    return problems
