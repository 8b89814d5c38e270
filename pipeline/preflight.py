"""Preflight: check every rendered output as a printer's preflight and a proof-reader would.

Each check is a small function taking a Subject (the job, the rendered PDF and the
layout map) and returning Problems with the page and the place on it. Commercial
preflight only sees the PDF; here we also see the layout, so lost text, text over a
fold or too close to the trim are named with the element they belong to.
"""
from __future__ import annotations

import io
import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from functools import cached_property
from html.parser import HTMLParser

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import zxingcpp

from . import eye
from .content import discreet_phrases, folded, known_numbers, on_allow_list
from .inputs import find_phone_numbers, parse_url, phone_key
from .layouts import media_bleed_mm
from .plan import Job
from .problems import Problem
from .qr import modules_across, qr_version
from .render import Placed, Rendered

PT_PER_MM = 72 / 25.4
FOLD_CLEARANCE_MM = 5  # print-standards: nothing within 5 mm of a fold
QR_DECODE_DPI = 300  # print resolution; only the code's own area is rastered
THUMBNAIL_DPI = 30  # proofs in the report, and the bleed check
QR_LABEL_DISTANCE_MM = 40  # the printed address must be this close to the code


@dataclass
class Subject:
    job: Job
    html: str
    rendered: Rendered
    thumbnails: list[bytes] = field(default_factory=list)  # PNG per page, filled by bleed check

    @property
    def file(self) -> str:
        return self.job.output

    @cached_property
    def pdf(self) -> pdfium.PdfDocument:
        return pdfium.PdfDocument(self.rendered.pdf)

    @property
    def views(self) -> list[eye.PageView]:
        """Each page as a reader sees it (pipeline/eye.py), rastered once per rendering
        for the visibility, code and number checks (and copyfitting's shrink steps)."""
        key = ("views",)
        if key not in self.rendered.derived:
            self.rendered.derived[key] = eye.page_views(
                self.rendered.pdf, media_bleed_mm(self.job), self.job.min_qr_module_mm,
                self.job.spec.sizes[self.job.size].min_type_pt)
        return self.rendered.derived[key]

    def problem(self, level, what, hint, item: Placed | None = None, page=None, box=None, check=None):
        return Problem(level, self.file, what, hint, page=item.page if item else page,
                       box_mm=item.rect if item else box, check=check,
                       field=item.element if item else None)


# ---------------------------------------------------------------- geometry helpers

def _overlap(a, b, slack=0.3) -> bool:
    return (a[0] + slack < b[0] + b[2] and b[0] + slack < a[0] + a[2]
            and a[1] + slack < b[1] + b[3] and b[1] + slack < a[1] + a[3])


def _collide(a, b) -> bool:
    """Two lines of text printed over each other. Line boxes of tight leading overlap
    a little by design; text that overflowed its box overlaps by much more."""
    dx = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    dy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return dx > 1 and dy > 0.4 * min(a[3], b[3])


def _inside(inner, outer, tolerance=0.2) -> bool:
    return (inner[0] >= outer[0] - tolerance and inner[1] >= outer[1] - tolerance
            and inner[0] + inner[2] <= outer[0] + outer[2] + tolerance
            and inner[1] + inner[3] <= outer[1] + outer[3] + tolerance)


def _content(subject: Subject) -> list[Placed]:
    """Text, images and codes, with the lines of one element merged into one item, so
    a paragraph over a fold is one problem, not one per line."""
    merged: list[Placed] = []
    for item in subject.rendered.layout:
        last = merged[-1] if merged else None
        if (last and item.kind == "text" == last.kind and item.page == last.page
                and item.element == last.element and item.font_size_pt == last.font_size_pt
                and item.colour == last.colour and item.background == last.background):
            x0, y0 = min(last.rect[0], item.rect[0]), min(last.rect[1], item.rect[1])
            x1 = max(last.rect[0] + last.rect[2], item.rect[0] + item.rect[2])
            y1 = max(last.rect[1] + last.rect[3], item.rect[1] + item.rect[3])
            merged[-1] = replace(last, rect=(x0, y0, x1 - x0, y1 - y0), text=f"{last.text} {item.text}")
        else:
            merged.append(item)
    return merged


def _label(item: Placed) -> str:
    if item.kind != "text":
        return item.kind
    text = " ".join(item.text.split())
    return repr(text if len(text) <= 40 else text[:39] + "…")


# ---------------------------------------------------------------- checks

def check_pages(s: Subject) -> list[Problem]:
    want, got = s.job.spec.pages, s.rendered.pages
    if got == want:
        return []
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
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                if a.element != b.element and _collide(a.rect, b.rect):
                    problems.append(s.problem(
                        "error", f"text {_label(a)} overlaps {_label(b)} ({b.element})",
                        "one of them overflows its box: shorten the text or give it room", a, check="lost-text"))
                    break
    return problems


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
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def check_visible(s: Subject) -> list[Problem]:
    """The reader's eye: every letter the layout placed shows on the printed page.
    Decided from the page's rasters (pipeline/eye.py: as printed, and with no text
    drawn), so a panel, an image or a box painted over text, text clipped, past the
    trim or the colour of its ground is found however the layout put it there.
    One problem per element (the field), naming the lines that do not show."""
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


def _luminance(rgb) -> float:
    def channel(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def check_contrast(s: Subject) -> list[Problem]:
    problems = []
    for p in _content(s):
        if p.kind != "text":
            continue
        large = p.font_size_pt >= 18 or (p.bold and p.font_size_pt >= 14)
        need = 3.0 if large else 4.5
        ratio = contrast(p.colour, p.background)
        if ratio < need:
            problems.append(s.problem("error", f"text {_label(p)} has contrast {ratio:.1f}:1 "
                                               f"against its background; needs {need:g}:1",
                                      "use a darker text colour or a lighter background (WCAG)", p,
                                      check="contrast"))
    return problems


def process_inks(cmyk) -> str:
    """The process inks a CMYK colour (0..1) puts on the plates, e.g. 'CMK'; '' for paper."""
    return "".join(name for name, value in zip("CMYK", cmyk) if value > 0)


def _inks_of(cmyk, srgb) -> str:
    """A colour's inks on press; an RGB colour in a print file (none should reach one)
    is converted by the RIP into several inks, unless it is white."""
    if cmyk is not None:
        return process_inks(cmyk)
    return "" if tuple(srgb) == (1, 1, 1) else "CMYK"


def _colour_words(s: Subject, cmyk, inks: str) -> str:
    """'3 process inks (C, M, K: var(--primary), CMYK 100/75/0/60)'."""
    named = ""
    if cmyk is not None:
        roles = [name for name, colour in s.job.colours.items()
                 if all(abs(a - b / 100) < 1e-4 for a, b in zip(cmyk, colour.cmyk))]
        values = "/".join(f"{v * 100:g}" for v in cmyk)
        named = (f"var(--{roles[0]}), " if roles else "") + f"CMYK {values}"
    else:
        named = "an RGB colour the printer's RIP converts"
    count = f"{len(inks)} process ink{'s' if len(inks) != 1 else ''}"
    return f"{count} ({', '.join(inks)}: {named})"


def check_small_text_inks(s: Subject) -> list[Problem]:
    """Press profiles with a `small_text` rule: text under its size prints in at most
    `max_inks` process inks (100 % K or one ink); white text reversed out of a ground
    counts as the ground's inks (every plate of the ground is cut to the letters),
    unless it is bold and at least `reversed_bold_min_pt`."""
    rule = s.job.profile.spec.small_text
    if rule is None or s.job.profile.spec.output != "print":
        return []
    problems = []
    profile = f"profiles/{s.job.profile.name}.yaml"
    for p in _content(s):
        if p.kind != "text" or p.font_size_pt >= rule.below_pt - 0.05:
            continue
        inks = _inks_of(p.colour_cmyk, p.colour)
        if len(inks) > rule.max_inks:
            problems.append(s.problem(
                "error", f"text {_label(p)} is {p.font_size_pt:.1f} pt in {_colour_words(s, p.colour_cmyk, inks)}; "
                         f"under {rule.below_pt:g} pt text prints in at most {rule.max_inks} "
                         f"ink{'s' if rule.max_inks != 1 else ''} ({profile}: small_text)",
                f"make it 100 % K (var(--ink)) or one ink in the stylesheet, or set it at least {rule.below_pt:g} pt: "
                "it fringes in colour when the plates misregister", p, check="small-text-inks"))
            continue
        if inks:
            continue
        ground = _inks_of(p.background_cmyk, p.background)
        bold_enough = (rule.reversed_bold_min_pt is not None and p.bold
                       and p.font_size_pt >= rule.reversed_bold_min_pt - 0.05)
        if len(ground) > rule.max_inks and not bold_enough:
            exception = (f", or bold and at least {rule.reversed_bold_min_pt:g} pt"
                         if rule.reversed_bold_min_pt is not None else "")
            problems.append(s.problem(
                "error", f"text {_label(p)} is {p.font_size_pt:.1f} pt{' bold' if p.bold else ''}, reversed out of "
                         f"a ground in {_colour_words(s, p.background_cmyk, ground)}; under {rule.below_pt:g} pt "
                         f"reversed type needs a ground of at most {rule.max_inks} "
                         f"ink{'s' if rule.max_inks != 1 else ''}{exception} ({profile}: small_text)",
                f"set it at least {rule.below_pt:g} pt{exception}, or put it on a one-ink ground: every plate of "
                "the ground is cut to its letters, and paper shows in them when the plates misregister",
                p, check="small-text-inks"))
    return problems


def check_qr(s: Subject) -> list[Problem]:
    problems = []
    codes = [p for p in s.rendered.layout if p.kind == "qr"]
    if not codes:
        return [s.problem("error", "has no QR code", "every poster and leaflet carries the code to the force's page",
                          check="qr")]
    campaign = s.job.source.campaign
    for code in codes:
        size = min(code.rect[2], code.rect[3])
        if size < s.job.spec.min_qr_mm - 0.05:
            problems.append(s.problem("error", f"QR code is {size:.1f} mm; a {s.job.product} needs at least "
                                               f"{s.job.spec.min_qr_mm:g} mm", "make it larger in the stylesheet",
                                      code, check="qr"))
        width, height = s.job.trim_mm
        if not _inside(code.rect, (0, 0, width, height)):
            problems.append(s.problem("error", "QR code is not on the page", "fix the layout: the code was pushed off",
                                      code, check="qr"))
            continue
        decoded = _decode_region(s, code)
        if not decoded:
            problems.append(s.problem("error", "QR code does not scan from a 300 dpi raster of the page",
                                      "keep it dark on light, unobstructed, at full size", code, check="qr"))
        # Module size: the code's box (quiet zone included) over its modules across,
        # from the version of what it encodes (the pipeline's own payload if unread).
        payload = decoded[0] if decoded else s.job.qr_url
        modules, least = modules_across(payload), s.job.min_qr_module_mm
        if size / modules < least - 0.005:
            problems.append(s.problem(
                "error", f"QR code modules are {size / modules:.2f} mm (version {qr_version(payload)}, {modules} "
                         f"modules across with the quiet zone, in {size:.1f} mm); a {s.job.product} "
                         f"{s.job.size} needs at least {least:g} mm",
                f"make the code at least {modules * least:.1f} mm in the stylesheet, or its address shorter "
                f"({len(payload)} characters: the page, the product's code in products.yaml, the variant's name)",
                code, check="qr"))
        for url in decoded:
            if url != s.job.qr_url:
                problems.append(s.problem("error", f"QR code leads to {url!r}, not {s.job.qr_url!r}",
                                          "the code must be generated by the pipeline from qr.url", code, check="qr"))
            if not on_allow_list(url, campaign.qr.allowed_hosts):
                host = (parse_url(url) or {}).get("hostname", url)
                problems.append(s.problem("error", f"QR code leads to {host!r}, which is not on "
                                                   f"the allow-list {campaign.qr.allowed_hosts}",
                                          "only the force's own hosts may be encoded (quishing)", code, check="qr"))
        # The quiet zone is inside the code's box: nothing else may sit on it.
        for other in _content(s):
            if other is not code and other.page == code.page and _overlap(code.rect, other.rect):
                problems.append(s.problem("error", f"{_label(other)} covers the QR code's quiet zone",
                                          "keep 4 modules of blank space around the code", other, check="qr"))
        if _luminance(code.background) < 0.6:
            problems.append(s.problem("error", "QR code sits on a dark background",
                                      "dark modules on a light background only", code, check="qr"))
        nearby = "".join(p.text.replace(" ", "") for p in _content(s)
                         if p.kind == "text" and p.page == code.page and _distance(p.rect, code.rect) < QR_LABEL_DISTANCE_MM)
        # The address may break across lines (after its "/"), in either reading order.
        # Discreet products print the host only: the path says what the page is about.
        label = campaign.qr.host_label if s.job.spec.options.get("discreet") else campaign.qr.label
        if not all(part in nearby for part in label.replace(" ", "").split("/")):
            problems.append(s.problem("error", f"the address {label!r} is not printed beside the QR code",
                                      "print the destination as text next to the code", code, check="qr"))
    return problems


def check_codes(s: Subject) -> list[Problem]:
    """Every code on the page, found by a whole-page scan (pipeline/eye.py), opens the
    job's own address: a partner's logo that is a QR code, or a second code a template
    adds as an image, is found however it got there."""
    problems = []
    for page, view in enumerate(s.views, 1):
        own = [p.rect for p in s.rendered.layout if p.page == page and p.kind == "qr"]
        for code in view.codes:
            middle = (code.box[0] + code.box[2] / 2, code.box[1] + code.box[3] / 2, 0, 0)
            # Inside the layout's own code is the code itself (zxing-cpp may read a
            # fragment of its modules as a small code): check_qr decodes it.
            if code.text == s.job.qr_url or any(_inside(middle, rect) for rect in own):
                continue
            where = next((p.element for p in s.rendered.layout if p.page == page and p.kind in ("image", "qr")
                          and _overlap(p.rect, code.box, 0)), None)
            problems.append(Problem(
                "error", s.file, f"a code on the page leads to {code.text!r}, not to the campaign's "
                                 f"{s.job.qr_url!r}" + (f" (in {where})" if where else ""),
                "only the pipeline's own QR code may be printed: replace the logo or image that carries a code",
                page=page, box_mm=code.box, check="codes", field=where))
    return problems


def _distance(a, b) -> float:
    dx = max(b[0] - (a[0] + a[2]), a[0] - (b[0] + b[2]), 0)
    dy = max(b[1] - (a[1] + a[3]), a[1] - (b[1] + b[3]), 0)
    return (dx * dx + dy * dy) ** 0.5


def _decode_region(s: Subject, item: Placed) -> list[str]:
    """Raster only the code's area (plus a margin) at print resolution and decode it."""
    page = s.pdf[item.page - 1]
    margin = 2
    x, y, w, h = item.rect
    width_pt, height_pt = page.get_size()
    bleed_pt = media_bleed_mm(s.job) * PT_PER_MM
    # Crop offsets are measured from the page (MediaBox) edges, in points.
    left = (x - margin) * PT_PER_MM + bleed_pt
    top = (y - margin) * PT_PER_MM + bleed_pt
    right = width_pt - left - (w + 2 * margin) * PT_PER_MM
    bottom = height_pt - top - (h + 2 * margin) * PT_PER_MM
    crop = tuple(max(v, 0) for v in (left, bottom, right, top))
    image = page.render(scale=QR_DECODE_DPI / 72, crop=crop).to_pil()
    return [c.text for c in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def check_fonts(s: Subject) -> list[Problem]:
    problems = []
    with pikepdf.open(io.BytesIO(s.rendered.pdf)) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            for font in (page.obj.get("/Resources", {}).get("/Font", {}) or {}).values():
                descendants = font.get("/DescendantFonts")
                descriptor = (descendants[0] if descendants else font).get("/FontDescriptor", {})
                if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    problems.append(s.problem("error", f"font {font.get('/BaseFont')} is not embedded",
                                              "use a font from fonts/ through @font-face", page=number, check="fonts"))
    return problems


def check_images(s: Subject) -> list[Problem]:
    problems = []
    minimum = s.job.spec.min_image_ppi
    for item in s.rendered.layout:
        if item.kind != "image" or item.image_px is None:
            continue
        ppi = min(item.image_px[0] / (item.rect[2] / 25.4), item.image_px[1] / (item.rect[3] / 25.4))
        if ppi < minimum:
            level = "error" if ppi < minimum / 2 else "warning"
            problems.append(s.problem(level, f"image is {ppi:.0f} ppi at its printed size; "
                                             f"a {s.job.product} wants {minimum:g} ppi",
                                      "supply a larger image, or a vector (SVG) logo", item, check="images"))
        if s.job.profile.spec.output == "print" and item.image_mode not in ("CMYK", "L", "1"):
            problems.append(s.problem("warning", f"{item.image_mode} image in a print PDF",
                                      "supply it in CMYK or as SVG, or the printer's RIP converts it by chance",
                                      item, check="images"))
    return problems


def check_bleed(s: Subject) -> list[Problem]:
    """Colour that touches the trim carries on to the bleed edge (no white slivers).

    Also makes the page thumbnails for the report from the same raster."""
    problems = []
    bleed = s.job.profile.spec.bleed_mm
    media = media_bleed_mm(s.job)
    width, height = s.job.trim_mm
    scale = THUMBNAIL_DPI / 25.4  # pixels per mm
    for index in range(len(s.pdf)):
        image = s.pdf[index].render(scale=THUMBNAIL_DPI / 72).to_pil().convert("RGB")
        # Thumbnails show the trimmed page; the bleed strip is checked below.
        crop = [round(media * scale), round(media * scale),
                round((media + width) * scale), round((media + height) * scale)]
        buffer = io.BytesIO()
        # Fast deflate (level 1): the thumbnails are for the report, not for keeping;
        # the default level and optimize=True cost 5 and 40 ms a page.
        image.crop(crop).save(buffer, "PNG", compress_level=1)
        s.thumbnails.append(buffer.getvalue())
        if not bleed:
            continue

        def px(x, y):
            return image.getpixel((min(int((x + media) * scale), image.width - 1),
                                   min(int((y + media) * scale), image.height - 1)))

        inside, outside = 1.0, bleed - 0.8
        for edge, points in _edge_points(width, height, inside, outside):
            for (xi, yi), (xo, yo) in points:
                a, b = px(xi, yi), px(xo, yo)
                if a != (255, 255, 255) and sum(abs(i - j) for i, j in zip(a, b)) > 60:
                    problems.append(s.problem(
                        "error", f"colour at the {edge} trim stops short of the bleed",
                        "run the background on into the bleed with var(--bleed) (see layouts/base.css)",
                        page=index + 1, box=(max(min(xi, xo), 0), max(min(yi, yo), 0), 5, 5), check="bleed"))
                    break
    return problems


def _edge_points(width, height, inside, outside):
    steps = [i / 40 for i in range(1, 40)]
    yield "top", [((width * t, inside), (width * t, -outside)) for t in steps]
    yield "bottom", [((width * t, height - inside), (width * t, height + outside)) for t in steps]
    yield "left", [((inside, height * t), (-outside, height * t)) for t in steps]
    yield "right", [((width - inside, height * t), (width + outside, height * t)) for t in steps]


def check_translation(s: Subject) -> list[Problem]:
    """A translation nobody qualified has approved must not go to print unnoticed."""
    if not s.job.source.draft:
        return []
    note = s.job.source.campaign.translation.note or ""
    return [s.problem("warning", f"the {s.job.language!r} translation is a draft, not approved for print. {note}".strip(),
                      "have a qualified translator check it, then set translation.status: approved",
                      check="translation")]


def check_discreet(s: Subject) -> list[Problem]:
    """Nothing readable on either side of a discreet product says what it is about,
    nor its PDF's title, subject, keywords or author (a viewer shows them), nor the
    address its code opens (it stays in the phone's history): someone who finds it
    in a bag or a wallet may be the person its owner fears. Words are matched as a
    reader reads them: accents, digits for letters and look-alikes folded."""
    if not s.job.spec.options.get("discreet"):
        return []
    c = s.job.source.campaign
    phrases = discreet_phrases(c, s.job.source.brand.force)  # as `check` reads the discreet fields

    def revealed(text: str) -> list[str]:
        readings = folded(" ".join(text.split()))
        return c.reveals(text) + [p for p in phrases if any(p in reading for reading in readings)]

    problems = []
    for item in _content(s):
        if item.kind == "qr" and item.page == 1:
            problems.append(s.problem("error", "the outside of a discreet product carries the QR code",
                                      "put the code inside", item, check="discreet"))
        if item.kind != "text":
            continue
        found = revealed(item.text)
        if found:
            problems.append(s.problem("error", f"a discreet product says {_label(item)} ({found[0]!r} reveals "
                                               "what it is about)",
                                      "print neutral words only (support[].discreet_name, "
                                      "partner discreet_contact): someone may be searched or watched",
                                      item, check="discreet"))
    found = revealed(s.job.qr_url)
    if found:
        problems.append(s.problem("error", f"the QR code of a discreet product opens {s.job.qr_url} ({found[0]!r} "
                                           "reveals what it is about, in the phone's history)",
                                  "give the campaign a neutral qr.discreet_url that the force redirects",
                                  check="discreet"))
    for key, value in _metadata(s.rendered.pdf).items():
        found = revealed(value)
        if found:
            problems.append(s.problem("error", f"the PDF's {key} {value!r} reveals what a discreet product is "
                                               f"about ({found[0]!r}): a PDF viewer shows it",
                                      "a discreet product's title is labels.useful_numbers; set no other metadata "
                                      "in its template", check="discreet"))
    return problems


def _metadata(pdf: bytes) -> dict[str, str]:
    """The document information and XMP text a viewer shows (title, subject, ...)."""
    out = {}
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for key in ("/Title", "/Subject", "/Keywords", "/Author"):
            if key in doc.docinfo:
                out[key[1:].lower()] = str(doc.docinfo[key])
        if "/Metadata" in doc.Root:
            with doc.open_metadata() as xmp:
                for key in ("dc:title", "dc:description", "dc:subject", "pdf:Keywords", "dc:creator"):
                    value = xmp.get(key)
                    if value:
                        out[f"XMP {key}"] = " ".join(map(str, value)) if isinstance(value, (list, set)) else str(value)
    return out


def check_numbers(s: Subject) -> list[Problem]:
    """Every phone number printed is one of the campaign's own, however it is written:
    a number typed into a template or a stylesheet is caught here."""
    known = known_numbers(s.job.source.campaign)
    if s.job.partner:  # numbers a coordinator confirmed for this partner's own lines
        known |= {phone_key(n) for n in s.job.partner.confirmed_numbers}
    # The lines of one element, in order (a number may break across lines).
    elements: list[list[Placed]] = []
    for item in s.rendered.layout:
        if item.kind != "text":
            continue
        last = elements[-1][-1] if elements else None
        if last and (last.page, last.element) == (item.page, item.element):
            elements[-1].append(item)
        else:
            elements.append([item])
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


def _known_side_by_side(written: str, known: set[str]) -> bool:
    """'999 18000': known numbers printed one after the other (in right-to-left
    text, "18000 for 999" puts 999 left of 18000), each read whole; not one number."""
    groups = [g for g in "".join(c if c.isdigit() else " " for c in written).split()]
    return len(groups) > 1 and all(phone_key(g) in known for g in groups)


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
    # Right-to-left documents are read from the glyphs as Pango placed them (the
    # layout's ink boxes and their characters): their press text layer maps one
    # Nastaliq glyph to one letter for all its uses (textlayer.py), and their screen
    # copies draw what is read apart from what is seen.
    rtl = s.job.source.campaign.direction == "rtl"
    for page in range(1, s.rendered.pages + 1):
        if rtl:
            chars = [eye.Char(text, glyph) for item in s.rendered.layout if item.page == page and item.kind == "text"
                     for glyph, text in zip(item.ink, item.ink_text) if text.strip()]
        else:
            chars = s.views[page - 1].chars
        lines = eye.reading_lines(chars)
        for line in lines:
            after = eye.next_line(lines, line)
            for text in (line.text, f"{line.text} {after.text}" if after else None):
                for found in find_phone_numbers(text) if text else ():
                    if found.key in known or (page, found.key) in reported or _known_side_by_side(found.written, known):
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
    problems += _picture_numbers(s, known, reported)
    return problems


OCR_DIGITS = re.compile(r"\d[\d \t.\-]{7,}\d")  # a run of digits a phone number could be


def _picture_numbers(s: Subject, known: set[str], reported: set) -> list[Problem]:
    """Numbers in pictures (a raster logo, an SVG's outlined text), read by Tesseract.
    OCR corroborates, it does not invent: only pictures with no text of their own on
    the page are read (text is read from the text layer), and a reading within two
    digits of a known number, with 0 and 9 taken as one (Tesseract reads this font's
    slashed zero as 9, and may add or drop a digit), is that number."""
    problems = []
    national = ["0" + k[3:] if k.startswith("+44") else k.lstrip("+") for k in known]
    slashed = [eye.slashed_zero(n) for n in national if len(n) >= 9]
    for item in s.rendered.layout:
        if item.kind != "image":
            continue
        view = s.views[item.page - 1] if s.job.source.campaign.direction != "rtl" else None
        if view is not None and any(_inside((c.box[0] + c.box[2] / 2, c.box[1] + c.box[3] / 2, 0, 0), item.rect, 0)
                                    for c in view.chars):
            continue  # a picture with text of its own (an SVG's <text>): read from the page
        text = eye.ocr(s.pdf[item.page - 1], item.rect, media_bleed_mm(s.job), s.job.language or "en") or ""
        for match in OCR_DIGITS.finditer(text):
            digits = "".join(c for c in match.group(0) if c.isdigit())
            if len(digits) < 9 or any(_edits(eye.slashed_zero(digits), n) <= 2 for n in slashed):
                continue
            if (item.page, digits) in reported:
                continue
            reported.add((item.page, digits))
            problems.append(s.problem(
                "error", f"a picture ({item.element}) shows what reads as the phone number {match.group(0).strip()!r} "
                         "(read by OCR), which is not one of the campaign's numbers"
                         + ("" if s.job.partner is None else " or confirmed for the partner"),
                "a logo or image must not carry a number the campaign has not confirmed: ask for the logo "
                "without it, or confirm the number (check the reading by eye: OCR may misread a digit)",
                item, check="numbers"))
    return problems


def _edits(a: str, b: str) -> int:
    """Levenshtein distance: digits inserted, dropped or changed."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


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


def largest_empty_block(items: list[Placed], area: tuple[float, float, float, float]):
    """The largest rectangle of `area` (x, y, w, h in mm) that no text line, image or
    code touches, as (x, y, w, h). Exact: the block's edges lie on the area's edges or
    the items', so the search runs on the grid those edges make (a few dozen lines and
    columns), the histogram method, one grid row at a time, widths and heights in mm."""
    ax, ay, aw, ah = area
    boxes = []
    for item in items:
        x, y, w, h = item.rect
        x0, x1, y0, y1 = max(x, ax), min(x + w, ax + aw), max(y, ay), min(y + h, ay + ah)
        if x0 < x1 and y0 < y1:
            boxes.append((x0, x1, y0, y1))
    xs = sorted({ax, ax + aw, *(b[0] for b in boxes), *(b[1] for b in boxes)})
    ys = sorted({ay, ay + ah, *(b[2] for b in boxes), *(b[3] for b in boxes)})
    widths = [b - a for a, b in zip(xs, xs[1:])]
    columns, rows = len(widths), len(ys) - 1
    taken = [bytearray(columns) for _ in range(rows)]
    for x0, x1, y0, y1 in boxes:
        c0, c1, r0, r1 = bisect_left(xs, x0), bisect_left(xs, x1), bisect_left(ys, y0), bisect_left(ys, y1)
        for r in range(r0, r1):
            taken[r][c0:c1] = b"\x01" * (c1 - c0)
    best, block = 0.0, (ax, ay, 0.0, 0.0)
    heights = [0.0] * (columns + 1)  # a 0 at the end empties the stack
    lefts = [0.0] * (columns + 1)  # x of each column's left edge, relative to the area
    for c in range(1, columns + 1):
        lefts[c] = lefts[c - 1] + widths[c - 1]
    for r in range(rows):
        row_height, row = ys[r + 1] - ys[r], taken[r]
        for c in range(columns):
            heights[c] = 0.0 if row[c] else heights[c] + row_height
        stack: list[int] = []
        for c, height in enumerate(heights):
            while stack and heights[stack[-1]] >= height:
                top = stack.pop()
                left = stack[-1] + 1 if stack else 0
                size = heights[top] * (lefts[c] - lefts[left])
                if size > best:
                    best = size
                    block = (ax + lefts[left], ys[r + 1] - heights[top], lefts[c] - lefts[left], heights[top])
            stack.append(c)
    return block


def empty_blocks(job: Job, rendered: Rendered) -> list[tuple[float, tuple[float, float, float, float]]]:
    """Per page: the largest empty block inside the safe area, as (share of the page, block)."""
    width, height = job.trim_mm
    safe = job.safe_mm
    area = (safe, safe, width - 2 * safe, height - 2 * safe)
    key = ("empty_blocks", width, height, area)  # once per rendering: fit.py asks first
    if key in rendered.derived:
        return rendered.derived[key]
    blocks = []
    for page in range(1, rendered.pages + 1):
        block = largest_empty_block([p for p in rendered.layout if p.page == page], area)
        blocks.append((block[2] * block[3] / (width * height), block))
    rendered.derived[key] = blocks
    return blocks


def emptiest_page(job: Job, rendered: Rendered) -> float:
    """The largest share of any page left empty in one block (copyfitting's measure)."""
    return max((share for share, _ in empty_blocks(job, rendered)), default=0.0)


def check_empty(s: Subject) -> list[Problem]:
    """No page leaves a large block empty: the layout should give short content room
    (larger type, sections in columns, the product's fill steps) rather than a hole.
    Searched inside the safe area; a solid background with nothing on it counts as empty."""
    share = s.job.spec.max_empty_share
    if share is None:
        return []
    problems = []
    for page, (empty, block) in enumerate(empty_blocks(s.job, s.rendered), 1):
        if empty > share:
            problems.append(s.problem(
                "warning", f"page {page} leaves {empty:.0%} of the page empty in one block "
                           f"({block[2]:.0f} x {block[3]:.0f} mm); a {s.job.product} allows {share:.0%}",
                "let the content fill the page: larger type for short text, sections flowing into free "
                "columns (layouts/README.md, 'Layouts that fit')", page=page, box=block, check="empty"))
    return problems


CHECKS = (check_pages, check_lost_text, check_visible, check_safe_area, check_type_size, check_contrast,
          check_small_text_inks, check_qr, check_codes, check_fonts, check_images, check_bleed, check_translation, check_discreet, check_numbers,
          check_page_numbers,
          check_empty, check_touching_lines)


def preflight(job: Job, html: str, rendered: Rendered) -> tuple[list[Problem], list[bytes]]:
    """Run every check; return the problems (WeasyPrint's warnings included) and thumbnails."""
    subject = Subject(job, html, rendered)
    problems = list(rendered.warnings)
    try:
        for check in CHECKS:
            problems += check(subject)
    finally:
        if "pdf" in subject.__dict__:
            subject.pdf.close()
    return problems, subject.thumbnails


def strict(problems: list[Problem]) -> list[Problem]:
    """--strict: every warning counts as an error."""
    return [Problem(**{**p.__dict__, "level": "error"}) for p in problems]



