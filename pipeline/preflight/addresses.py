"""Printed web addresses: every address a reader reads on the page (a social image's
link text, a line typed into a template, an image's credit) leads to one of the
campaign's sites, as its QR code does (codes.py)."""
from __future__ import annotations

from ..content import known_hosts, not_ours, partner_hosts
from ..inputs import find_web_addresses
from ..problems import Problem
from .subject import Subject, element_lines


def check_addresses(s: Subject) -> list[Problem]:
    """Every web address printed is the force's (qr.allowed_hosts) or a support
    service's own, or, on a partner's products, the partner's own declared site (web:)."""
    campaign = s.job.source.campaign
    known = known_hosts(campaign) | (partner_hosts(s.job.partner, campaign) if s.job.partner else set())
    # The lines of one element, in order, read on as an address reads (_run_on).
    elements = element_lines(s.rendered.layout)
    problems, reported = [], set()
    for items in elements:
        text = ""
        for item in items:
            text = _run_on(text, item.text)
        for found in find_web_addresses(text):
            if found.host not in known and (items[0].page, found.host) not in reported:
                reported.add((items[0].page, found.host))
                problems.append(s.problem(
                    "error", f"prints {not_ours(found, known)}",
                    "addresses come from the campaign file only (qr.label, a service's 'web:'): fix the template "
                    "or content", items[0], check="addresses"))
    # As a reader reads the page: an address set in several elements ("northyorkshire"
    # and ".police.uk.to/stalking" side by side) is one address to the eye.
    for page in range(1, s.rendered.pages + 1):
        for line, after in s.reading(page):
            # Across lines of the page, after '.' only an address already begun runs on: a
            # sentence's end above an address ("Against Stalking." / "northyorkshire...")
            # reads as two lines, whatever gap the justification left.
            last = line.text.rsplit(" ", 1)[-1]
            begun = not last.endswith(".") or "." in last[:-1] or "/" in last
            for text in (line.text, _run_on(line.text, after.text) if after and begun else None):
                for found in find_web_addresses(text) if text else ():
                    if found.host not in known and (page, found.host) not in reported:
                        reported.add((page, found.host))
                        problems.append(Problem(
                            "error", s.file, f"a reader reads {text!r} on the page: {not_ours(found, known)}",
                            "addresses come from the campaign file only (qr.label, a service's 'web:'); an address "
                            "set in several pieces reads as one: fix the template or content", page=page,
                            box_mm=line.box, check="addresses"))
    return problems


def _run_on(text: str, more: str) -> str:
    """`more` after `text` as an address reads on: it breaks after '/' or '.', so a line
    ending in one runs on into the next without a space; after '.', only into a small
    letter or digit (a line ending a sentence runs into a capital: "Get support." /
    "Call 101" is no address "support.call")."""
    end, start = text.rstrip()[-1:], more.lstrip()[:1]
    run_on = end in ("/", "-") or (end == "." and (start.islower() or start.isdigit()))
    return text + more if run_on else f"{text} {more}" if text else more
