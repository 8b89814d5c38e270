"""Layout problems in the editor's words: one error per content cause.

A field too long for a product shows on the page as many symptoms: a second page,
lines over other lines, text in the safe margin or on the QR code's quiet zone.
Each is true, and none says what to change. When a rendering has such symptoms, the
job is rendered again in memory with each of its longest fields cut short (at most
three fields, a binary search on the words of each: about 1 + log2(words) renders);
the field whose cut alone clears them is the cause. One error then names it, the
product, and how much of it fits; the symptoms it explains are left out. When no
single field explains them (a stylesheet's mistake, two fields too long together),
the symptoms stay as they are.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from .plan.layoutset import folder_digest
from .problems import Problem

SYMPTOMS = {"pages", "lost-text", "hidden-text"}  # content that does not fit: what starts the search
# Checks whose problems may follow from it: left out when the cut clears them too.
FOLLOW = SYMPTOMS | {"safe-area", "folds", "empty", "touching-lines", "bleed"}
QUIET_ZONE = "covers the QR code's quiet zone"
CANDIDATES = 3
CAUSE = "too-long"  # Problem.check of the one error that replaces the symptoms


def explain(job, problems: list[Problem], rendered=None) -> list[Problem]:
    """`problems` (of the job's rendering `rendered`) with the symptoms of one
    too-long field replaced by one error."""
    if not any(p.level == "error" and p.check in SYMPTOMS for p in problems):
        return problems
    try:
        found = _cause(job, rendered)
    except Exception:  # an explanation must never lose the problems it explains
        return problems
    if found is None:
        return problems
    path, fit_chars, total_chars, left = found
    explained = [p for p in problems if _follows(p, job.spec.max_pages or job.spec.pages) and (p.check, p.page, p.field) not in left]
    if not any(p.check in SYMPTOMS for p in explained):
        return problems  # the cut does not clear what started the search
    if not explained:
        return problems
    dotted = _dotted(path)
    where = job.product_size
    line = job.source.lines.line(path) if job.source.lines else None
    source = f"{job.source.path}:{line}" if line else str(job.source.path)
    cause = Problem(
        "error", job.output,
        f"{dotted} is about {total_chars - fit_chars} characters too long for the {where} "
        f"({fit_chars} of its {total_chars} fit); it pushes other text out of place "
        f"({len(explained)} problem{'s' if len(explained) != 1 else ''} on the page follow from it)",
        f"shorten {dotted} ({source}) by about {total_chars - fit_chars} characters, or leave the {job.product} "
        "out of this campaign's products", field=dotted, check=CAUSE, value=source)
    return [cause] + [p for p in problems if p not in explained]


def _follows(p: Problem, pages: int) -> bool:
    """A symptom of content that does not fit: on a page spilled over, anything."""
    return (p.check in FOLLOW or (p.check == "qr" and QUIET_ZONE in p.what)
            or (p.page is not None and p.page > pages))


def _cause(job, rendered=None) -> tuple[tuple, int, int, frozenset] | None:
    from .fit import fitted

    if rendered is None:
        _, rendered = fitted(job)
    campaign = job.source.campaign
    inputs = _inputs(job)
    for path, text in _candidates(campaign, rendered.layout):
        # Press and screen copies, and the variants of a product (their own line
        # aside), are laid out alike: one search serves them all.
        key = (inputs, job.source.slug, job.source.language, job.product, job.size, job.statistic, path, text)
        found = _search(job, path, text, key)
        if found is not None:
            return (path, *found)
    return None


def _candidates(campaign, layout) -> list[tuple[tuple, str]]:
    """The job's text fields that are printed, most lines first."""
    from .content import PLACEHOLDERS, every_string

    lines = [" ".join(p.text.split()) for p in layout if p.kind == "text"]
    lines = [line for line in lines if len(line) >= 4]
    scored = []
    for path, text in every_string(campaign.model_dump(mode="json", exclude={"variants", "qr", "translation"})):
        if path[-1] in PLACEHOLDERS or len(text.split()) < 2:
            continue  # labels with a placeholder cannot be cut; one word cannot be shorter
        flat = " ".join(text.split())
        count = sum(1 for line in lines if line in flat)
        if count:
            scored.append((count, len(flat), path, flat))
    scored.sort(key=lambda s: (-s[0], -s[1]))
    return [(path, text) for _, _, path, text in scored[:CANDIDATES]]


def _inputs(job) -> bytes:
    """What a search's answer depends on besides the field it cuts: the layouts as they
    are now (the folder, each file's name and bytes), the rest of the campaign (its
    variants aside) and the brand. Another folder, a file a designer saved since, or
    another campaign of the same name is another search: a test's or the studio's
    edited copy is never given another's answer (tests/test_causes.py). The bytes,
    not mtime and size (folder_digest); once per job with symptoms (a search is
    several renders)."""
    digest = hashlib.sha256(folder_digest(job.layouts.folder))
    digest.update(job.source.campaign.model_dump_json(exclude={"variants"}).encode() + b"\0")
    digest.update(job.source.brand.model_dump_json().encode())
    return digest.digest()


_searched: dict[tuple, Any] = {}


def _search(job, path: tuple, text: str, key: tuple) -> tuple[int, int, frozenset] | None:
    """(characters that fit, characters in all, the symptoms left at that length), or
    None if cutting this field alone does not clear the symptoms."""
    if key in _searched:
        return _searched[key]
    words = text.split()
    cut = lambda k: " ".join(words[:k])  # noqa: E731
    left_at_one = _left(job, path, cut(1))
    result = None
    if left_at_one is not None and not any(check in SYMPTOMS for check, _, _ in left_at_one):
        low, high, left = 1, len(words), left_at_one
        while high - low > 1:
            middle = (low + high) // 2
            found = _left(job, path, cut(middle))
            if found is not None and not any(check in SYMPTOMS for check, _, _ in found):
                low, left = middle, found
            else:
                high = middle
        result = (len(cut(low)), len(text), left)
    _searched[key] = result
    return result


def _left(job, path: tuple, text: str) -> frozenset | None:
    """The layout problems of the job with the field at `path` set to `text`, as
    (check, page, element); None if it cannot be rendered."""
    from .content import Campaign
    from .fit import fitted
    from .preflight import CHECKS, Subject
    from .problems import PipelineError

    data = job.source.campaign.model_dump(mode="python")
    holder = data
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = text
    try:
        campaign = Campaign.model_validate(data)
        trial = replace(job, source=replace(job.source, campaign=campaign))
        html, rendered = fitted(trial)
    except (PipelineError, ValueError):
        return None
    subject = Subject(trial, html, rendered)
    wanted = {"check_pages", "check_lost_text", "check_visible", "check_safe_area", "check_empty",
              "check_touching_lines", "check_bleed"}
    found = []
    try:
        for check in CHECKS:
            if check.__name__ in wanted:
                found += check(subject)
    finally:
        if "pdf" in subject.__dict__:
            subject.pdf.close()
    left = {(p.check, p.page, p.field) for p in found if p.level == "error" or p.check == "empty"}
    # The code's quiet zone (the rest of the QR check decodes a raster: not needed here).
    from .preflight.subject import _content, _overlap

    items = _content(subject)
    for code in (i for i in items if i.kind == "qr"):
        left |= {("qr", o.page, o.element) for o in items
                 if o is not code and o.page == code.page and _overlap(code.rect, o.rect)}
    return frozenset(left)


def _dotted(path: tuple) -> str:
    from .content import dotted_path as dotted

    return dotted(path)
