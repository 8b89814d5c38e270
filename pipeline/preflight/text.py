"""Checks of the text as laid out and as read: pages, lost and hidden text, the safe area
and folds, type size, lines that touch.
"""
from __future__ import annotations

import unicodedata
from html.parser import HTMLParser

import numpy as np

from ..problems import Problem
from ..stages import Placed
from .colour import contrast
from .subject import PICTURE, PT_PER_MM, Subject, _content, _inside, _label, _overlap

FOLD_CLEARANCE_MM = 5  # print-standards: nothing within 5 mm of a fold


def check_pages(s: Subject) -> list[Problem]:
    spec, got = s.job.spec, s.rendered.pages
    if spec.pages_fit(got):
        return []
    if spec.max_pages:
        want = spec.max_pages if got > spec.max_pages else spec.pages
        return [s.problem("error", f"has {got} pages; a {s.job.product} has {spec.pages} to {spec.max_pages}",
                          "the content is too long for the product: shorten it, or raise max_pages in products.yaml",
                          page=min(got, want) + 1 if got > want else got, check="pages")]
    want = spec.pages
    return [s.problem("error", f"has {got} pages; a {s.job.product} has {want}",
                      "text spilled onto an extra page or a page is missing: shorten the text or fix the layout",
                      page=min(got, want) + 1 if got > want else got, check="pages")]


class _Text(HTMLParser):
    """The words of the HTML body that a reader should see (not head, not alt text)."""

    def __init__(self):
        super().__init__()
        self.words: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("head", "style", "script", "title"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("head", "style", "script", "title"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.words += data.split()


def check_lost_text(s: Subject) -> list[Problem]:
    """Every word of the content is on a page, inside the trim and not clipped or covered."""
    problems = []
    parser = _Text()
    parser.feed(s.html)
    placed_text = [p for p in s.rendered.layout if p.kind == "text"]
    # Lines may break inside a word (at a hyphen or a slash), so compare the words
    # of the HTML, in order, with the laid-out text run together without spaces.
    laid_out = "".join("".join(p.text.split()) for p in placed_text)
    missing, position = [], 0
    for word in parser.words:
        found = laid_out.find(word, position)
        if found < 0:
            missing.append(word)
        else:
            position = found + len(word)
    if missing:
        sample = " ".join(missing[:12]) + (" ..." if len(missing) > 12 else "")
        problems.append(s.problem("error", f"{len(missing)} word(s) of the content are not on any page: {sample}",
                                  "text was pushed out of its box or off the page: shorten it or give it room",
                                  check="lost-text"))
    width, height = s.job.trim_mm
    for item in _content(s):
        if item.kind != "text":
            continue
        if not _inside(item.rect, (0, 0, width, height)):
            problems.append(s.problem("error", f"text {_label(item)} runs off the page",
                                      "shorten the text or give the box room", item, check="lost-text"))
        elif item.clip is not None and not _inside(item.rect, item.clip):
            problems.append(s.problem("error", f"text {_label(item)} is cut off by its box (overflow hidden)",
                                      "shorten the text or make the box larger", item, check="lost-text"))
    # Text that overflowed its box lands on top of other text.
    by_page: dict[int, list[Placed]] = {}
    for item in placed_text:
        by_page.setdefault(item.page, []).append(item)
    for items in by_page.values():
        collide = _colliding(items)
        for i in np.flatnonzero(collide.any(axis=1)):
            a, b = items[i], items[int(np.argmax(collide[i]))]  # the first later line it collides with
            problems.append(s.problem(
                "error", f"text {_label(a)} overlaps {_label(b)} ({b.element})",
                "one of them overflows its box: shorten the text or give it room", a, check="lost-text"))
    return problems


def _colliding(items: list[Placed]) -> np.ndarray:
    """[i, j]: line j, after line i and of another element, is printed over it. Line
    boxes of tight leading overlap a little by design; text that overflowed its box
    overlaps by much more: over 1 mm across and 0.4 of the lower line's height. Every
    pair of a page's lines at once."""
    x, y, w, h = np.array([item.rect for item in items], dtype=float).reshape(-1, 4).T
    across = np.minimum.outer(x + w, x + w) - np.maximum.outer(x, x)
    down = np.minimum.outer(y + h, y + h) - np.maximum.outer(y, y)
    elements = {}
    element = np.array([elements.setdefault(item.element, len(elements)) for item in items])
    return (np.triu(np.ones((len(items), len(items)), dtype=bool), 1) & (element[:, None] != element[None, :])
            & (across > 1) & (down > 0.4 * np.minimum.outer(h, h)))


VISIBLE_CONTRAST = 1.5  # a letter fainter than this against what is behind it is not read
HIDDEN_SHARE = 0.15  # a letter with more than this of its height or width unseen is not read whole


def _hidden_why(s: Subject, item: Placed, glyph) -> str:
    """Why a reader does not see this letter of `item`."""
    width, height = s.job.trim_mm
    if not _inside(glyph, (0, 0, width, height)):
        return "lie past the trim"
    if item.clip is not None and not _inside(glyph, item.clip):
        return "are cut off by their box (overflow: hidden)"
    if contrast(item.colour, item.background) < VISIBLE_CONTRAST:
        return "are the colour of their ground"
    for other in s.rendered.layout:
        if other.kind in ("image", "qr") and other.page == item.page and _overlap(glyph, other.rect, 0):
            return f"are under the {'QR code' if other.kind == 'qr' else 'image'} ({other.element})"
    return "are covered by something painted over them (a panel, box or image) or lost against their ground"


def _right_to_left(text: str) -> bool:
    # No ASCII character is right to left (most lines: no character looked up).
    return not text.isascii() and any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def check_visible(s: Subject) -> list[Problem]:
    """The reader's eye: every letter the layout placed shows on the printed page.
    Decided from the page's rasters (pipeline/eye.py: as printed, and with no text
    drawn), so a panel, an image or a box painted over text, text clipped, past the
    trim or the colour of its ground is found however the layout put it there.
    One problem per element (the field), naming the lines that do not show.
    Decided once per rendering: copyfitting asks first (fit.py), preflight again."""
    key = ("hidden-text", s.file)
    if key not in s.rendered.derived:
        s.rendered.derived[key] = _hidden_text(s)
    return list(s.rendered.derived[key])


def _hidden_text(s: Subject) -> list[Problem]:
    width, height = s.job.trim_mm
    hidden: dict[tuple[int, str], list[tuple[Placed, int, int, str]]] = {}
    for page, view in enumerate(s.views, 1):
        items = [item for item in s.rendered.layout if item.kind == "text" and item.page == page]
        glyphs, looked_at, across, owner = [], [], [], []
        for index, item in enumerate(items):
            rtl = _right_to_left(item.text)
            em = item.font_size_pt / PT_PER_MM
            for glyph in item.ink or (item.rect,):
                glyphs.append(glyph)
                # WeasyPrint draws a right-to-left line's glyphs up to a few mm off where
                # Pango shaped them (digits, Nastaliq's dots): such a letter is looked
                # for within half an em either side, and only its height is measured.
                looked_at.append((glyph[0] - em / 2, glyph[1], glyph[2] + em, glyph[3]) if rtl else glyph)
                across.append(not rtl)
                owner.append(index)
        if not glyphs:
            continue
        boxes = np.array(glyphs, dtype=float)
        unseen = view.unseen(np.array(looked_at, dtype=float), VISIBLE_CONTRAST, HIDDEN_SHARE, np.array(across))
        unseen |= ((boxes[:, 0] < -0.2) | (boxes[:, 1] < -0.2) | (boxes[:, 0] + boxes[:, 2] > width + 0.2)
                   | (boxes[:, 1] + boxes[:, 3] > height + 0.2))
        if not unseen.any():
            continue
        counts = np.bincount(owner, minlength=len(items))
        missing = np.bincount(owner, weights=unseen, minlength=len(items))
        for index in np.flatnonzero(missing):
            item = items[index]
            first = next(g for g, o, u in zip(glyphs, owner, unseen) if o == index and u)
            hidden.setdefault((page, item.element), []).append(
                (item, int(missing[index]), int(counts[index]), _hidden_why(s, item, first)))
    problems = []
    for (page, element), lines in hidden.items():
        text = " ".join(" ".join(item.text.split()) for item, *_ in lines)
        label = repr(text if len(text) <= 60 else text[:59] + "…")
        missing, total = sum(n for _, n, _, _ in lines), sum(m for _, _, m, _ in lines)
        x0 = min(item.rect[0] for item, *_ in lines)
        y0 = min(item.rect[1] for item, *_ in lines)
        x1 = max(item.rect[0] + item.rect[2] for item, *_ in lines)
        y1 = max(item.rect[1] + item.rect[3] for item, *_ in lines)
        problems.append(Problem(
            "error", s.file, f"text {label} does not show on the page: {missing} of its {total} letters "
                             f"{lines[0][3]}",
            "a reader cannot see it: shorten the text or give it room so nothing covers it (a longer line "
            "lifts the panel below over the text above), keep it inside its box and the trim, in a colour "
            "that stands out from its ground", page=page, box_mm=(x0, y0, x1 - x0, y1 - y0),
            check="hidden-text", field=element))
    return problems


def check_safe_area(s: Subject) -> list[Problem]:
    """Text, logos and the QR code keep the safe margin from the trim and clear of folds."""
    problems = []
    safe = s.job.safe_mm
    width, height = s.job.trim_mm
    area = (safe, safe, width - 2 * safe, height - 2 * safe)
    folds = s.job.folds_mm  # in the job's reading direction
    for item in _content(s):
        if item.kind == "image" and PICTURE in item.element:
            continue  # a photograph or illustration may run into the bleed and over a fold
        if not _inside(item.rect, area):
            problems.append(s.problem("error", f"{_label(item)} is within {safe:g} mm of the trim",
                                      "move it inward: cutting wanders by about 1 mm", item, check="safe-area"))
        page_folds = folds[item.page - 1] if item.page - 1 < len(folds) else []
        x0, x1 = item.rect[0], item.rect[0] + item.rect[2]
        for fold in page_folds:
            if x0 - FOLD_CLEARANCE_MM < fold < x1 + FOLD_CLEARANCE_MM:
                what = "crosses" if x0 < fold < x1 else f"is within {FOLD_CLEARANCE_MM} mm of"
                problems.append(s.problem("error", f"{_label(item)} {what} the fold at {fold:g} mm",
                                          f"keep {FOLD_CLEARANCE_MM} mm clear of each fold: widen the panel padding",
                                          item, check="folds"))
    return problems


def check_type_size(s: Subject) -> list[Problem]:
    minimum = s.job.spec.sizes[s.job.size].min_type_pt
    small = [p for p in _content(s) if p.kind == "text" and p.font_size_pt < minimum - 0.05]
    return [s.problem("error", f"text {_label(p)} is {p.font_size_pt:.1f} pt; "
                               f"{s.job.name} needs at least {minimum:g} pt",
                      "make it larger in the stylesheet (RNIB clear print)", p, check="type-size")
            for p in small]


def touching_lines(items: list[Placed]) -> list[tuple[Placed, Placed, float]]:
    """Lines of text whose ink reaches into the ink of a line below: for each element
    (its like siblings too: the items of a list), (upper, lower, overlap in mm).
    Only glyphs over one another count, so a tall letter over a word space below
    touches nothing; the ink is each glyph's box as shaped and placed, so Nastaliq's
    ascenders and descenders (up to 1.8 and 1.4 em from the baseline, well outside
    the line box) are counted as they are printed."""
    groups: dict[tuple[int, str], list[Placed]] = {}
    for item in items:
        if item.kind == "text" and item.ink:
            groups.setdefault((item.page, item.element), []).append(item)
    found = []
    for group in groups.values():
        group.sort(key=lambda item: item.rect[1])
        for i, upper in enumerate(group):
            bottom = max(g[1] + g[3] for g in upper.ink)
            for lower in group[i + 1:]:
                if lower.rect[1] < upper.rect[1] + 0.5 * min(upper.rect[3], lower.rect[3]):
                    continue  # another run of the same line
                if min(g[1] for g in lower.ink) >= bottom:
                    continue
                depth = max(((a[1] + a[3]) - b[1] for a in upper.ink for b in lower.ink
                             if min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]) > 0.05), default=0)
                if depth > 0:
                    found.append((upper, lower, depth))
    return found


def check_touching_lines(s: Subject) -> list[Problem]:
    """No line of text prints into the next: one problem per element, its worst pair."""
    worst: dict[tuple[int, str], tuple[Placed, Placed, float]] = {}
    for upper, lower, depth in touching_lines(s.rendered.layout):
        key = (upper.page, upper.element)
        if key not in worst or depth > worst[key][2]:
            worst[key] = (upper, lower, depth)
    problems = []
    for upper, lower, depth in worst.values():
        x0, y0 = min(upper.rect[0], lower.rect[0]), upper.rect[1]
        x1 = max(upper.rect[0] + upper.rect[2], lower.rect[0] + lower.rect[2])
        box = (x0, y0, x1 - x0, lower.rect[1] + lower.rect[3] - y0)
        problems.append(Problem(
            "error", s.file, f"lines of text touch: {_label(upper)} reaches {depth:.1f} mm into the "
                             f"line below it, {_label(lower)}",
            "give the text a larger line-height (Nastaliq needs about 2 x its font size: "
            "layouts/base.css, html[dir=\"rtl\"]) or more room between its items",
            page=upper.page, box_mm=box, check="touching-lines", field=upper.element))
    return problems
