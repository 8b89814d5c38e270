"""Checks of phone numbers: every number printed, read from the layout, from the page as a
reader reads it and from pictures (OCR), is one of the campaign's own.
"""
from __future__ import annotations

import re

from ..content import digit_groups, known_number_said, known_numbers
from ..inputs import SHORT_CODES, find_phone_numbers, phone_key
from ..ocr import ocr, unknown_numbers_read
from ..plan import media_bleed_mm
from ..problems import Problem
from .subject import Subject, _content, _inside, _overlap, element_lines


def check_numbers(s: Subject) -> list[Problem]:
    """Every phone number printed is one of the campaign's own, however it is written:
    a number typed into a template or a stylesheet is caught here."""
    known = known_numbers(s.job.source.campaign)
    if s.job.partner:  # numbers a coordinator confirmed for this partner's own lines
        known |= {phone_key(n) for n in s.job.partner.confirmed_numbers}
    # The lines of one element, in order (a number may break across lines).
    elements = element_lines(s.rendered.layout)
    problems, reported = [], set()
    for items in elements:
        for found in find_phone_numbers(" ".join(i.text for i in items)):
            if found.key not in known and (items[0].page, found.key) not in reported:
                reported.add((items[0].page, found.key))
                problems.append(s.problem("error", f"prints the phone number {found.written!r}, which is not one "
                                                   "of the campaign's numbers",
                                          "numbers come from the campaign file only: fix the template or content",
                                          items[0], check="numbers"))
    return problems


def known_side_by_side(written: str, known: set[str], figures: set[str] = frozenset()) -> bool:
    """'999 18000': known numbers printed one after the other (in right-to-left
    text, "18000 for 999" puts 999 left of 18000), each read whole; not one number.
    So are the campaign's own figures one above the other ('132' over '1347', a local
    figure written as Polish writes it)."""
    groups = [g for g in "".join(c if c.isdigit() else " " for c in written).split()]
    # A figure's thousands separator may read as a gap ('1 347': the comma sits low,
    # on a row of its own): its groups are the figure.
    read: list[str] = []
    for group in groups:
        if read and len(group) == 3 and read[-1] + group in figures and read[-1] not in figures:
            read[-1] += group
        else:
            read.append(group)
    return len(groups) > 1 and all(phone_key(g) in known or g in figures for g in read)


def _figures(campaign) -> set[str]:
    """The digits of the figures the campaign prints large (statistics, local figures),
    thousands separators read through: 1,347 and 1347 are one figure."""
    figures = [s.figure for s in campaign.statistics]
    figures += [f.figure for f in campaign.local_figures.items] if campaign.local_figures else []
    return {d for f in figures for d in digit_groups(f)}


def check_page_numbers(s: Subject) -> list[Problem]:
    """The page's numbers as a reader reads them: characters by where they are
    printed, left to right, from every source (a logo's SVG text too), and on into
    the next line of the same column (a number split over two elements)."""
    known = known_numbers(s.job.source.campaign)
    if s.job.partner:
        known |= {phone_key(n) for n in s.job.partner.confirmed_numbers}
    # What check_numbers reports from the layout's own text is said once, there.
    reported = {(p.page, found.key) for p in _content(s) if p.kind == "text" for found in find_phone_numbers(p.text)}
    problems = []
    figures = _figures(s.job.source.campaign)
    for page in range(1, s.rendered.pages + 1):
        read = set()
        for line, after in s.reading(page):
            for text in (line.text, f"{line.text} {after.text}" if after else None):
                for found in find_phone_numbers(text) if text else ():
                    read.add(found.key)
                    if (found.key in known or (page, found.key) in reported
                            or known_side_by_side(found.written, known, figures)):
                        continue
                    reported.add((page, found.key))
                    where = next((p.element for p in s.rendered.layout if p.page == page
                                  and _overlap(p.rect, line.box, 0)), None)
                    problems.append(Problem(
                        "error", s.file, f"a reader reads the phone number {found.written!r} on the page "
                                         f"(in {text!r}), which is not one of the campaign's numbers"
                                         + ("" if s.job.partner is None else " or confirmed for the partner"),
                        "numbers come from the campaign file only; a number split over two lines, in a logo, "
                        "or printed in another order (right-to-left text) reads as another number: "
                        "fix the content, template or logo", page=page, box_mm=line.box, check="numbers",
                        field=where))
        problems += _names_without_numbers(s, page, read)
    problems += _picture_numbers(s, known, reported)
    return problems


def _names_without_numbers(s: Subject, page: int, read: set[str]) -> list[Problem]:
    """A support service named on the page with no number read there: a layout that
    hides the number (display: none, covered, clipped away) leaves a name no one can call."""
    said = " ".join(" ".join(line.text for line, _ in s.reading(page)).split()).casefold()
    problems = []
    for service in s.job.source.campaign.support:
        if not service.phone or service.name.casefold() not in said:
            continue
        if service.phone.strip() in SHORT_CODES:  # 101: read as a word, not as a phone number
            shown = re.search(rf"(?<!\d){re.escape(service.phone.strip())}(?!\d)", said) is not None
        else:
            shown = phone_key(service.phone) in read
        if not shown:
            problems.append(Problem("error", s.file, f"a reader reads {service.name!r} on the page but not its "
                                                     f"number ({service.phone})",
                                    "a service is printed with its number: check the layout does not hide, cover "
                                    "or clip it", page=page, check="numbers"))
    return problems


def _picture_numbers(s: Subject, known: set[str], reported: set) -> list[Problem]:
    """Numbers in pictures (a raster logo, an SVG's outlined text, a CSS background), read by Tesseract.
    OCR corroborates, it does not invent: only pictures with no text of their own on
    the page are read (text is read from the text layer), and a reading that is a
    known number with its slashed zeros misread is that number (ocr.unknown_numbers_read).
    A reading within two digits of a known number is said as a near miss: a typo in a
    logo, or a digit OCR misread, for someone to check by eye."""
    problems = []
    campaign = s.job.source.campaign
    for item in s.rendered.layout:
        if item.kind not in ("image", "backdrop"):
            continue
        view = s.views[item.page - 1] if campaign.direction != "rtl" else None
        if view is not None and any(_inside((c.box[0] + c.box[2] / 2, c.box[1] + c.box[3] / 2, 0, 0), item.rect, 0)
                                    for c in view.chars):
            continue  # a picture with text of its own (an SVG's <text>): read from the page
        text = ocr(s.page(item.page - 1), item.rect, media_bleed_mm(s.job), s.job.language or "en") or ""
        for written, digits, near in unknown_numbers_read(text, known):
            if (item.page, digits) in reported:
                continue
            reported.add((item.page, digits))
            if near:  # a typo in the logo, or OCR misreading a digit: one for an eye to tell
                what = (f"check the logo: it reads as {written}; {known_number_said(campaign, near)} (a picture "
                        "read by OCR, one or two digits from it)")
                hint = "ask for the logo with the number right, or without it (OCR may misread a digit: check by eye)"
            else:
                what = (f"a picture ({item.element}) shows what reads as the phone number {written!r} (read by "
                        "OCR), which is not one of the campaign's numbers"
                        + ("" if s.job.partner is None else " or confirmed for the partner"))
                hint = ("a logo or image must not carry a number the campaign has not confirmed: ask for the logo "
                        "without it, or confirm the number (check the reading by eye: OCR may misread a digit)")
            problems.append(s.problem("error", what, hint, item, check="numbers"))
    return problems
