"""The sides of a printed product in its HTML: one `.sheet` per printed side, the
children of <body> (layouts/_page.html). A partner's proof renders only the sides
that carry what a partner changes (partners.proof); `only_sheets` says which, while
layouts.render_html runs."""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar

SHEET = re.compile(r'<div class="sheet[ "]')
_KEEP: ContextVar[frozenset[int] | None] = ContextVar("keep_sheets", default=None)


def split(html: str) -> tuple[str, list[str], str]:
    """(what comes before the first side, each side, </body> and after); no sides
    when the HTML does not follow the convention."""
    starts = [m.start() for m in SHEET.finditer(html)]
    end = html.rfind("</body>")
    if not starts or end < starts[-1]:
        return html, [], ""
    return html[:starts[0]], [html[a:b] for a, b in zip(starts, starts[1:] + [end])], html[end:]


@contextmanager
def only_sheets(keep: set[int]):
    """While inside, rendered HTML keeps only the sides numbered in `keep` (from 0)."""
    token = _KEEP.set(frozenset(keep))
    try:
        yield
    finally:
        _KEEP.reset(token)


def kept(html: str) -> str:
    keep = _KEEP.get()
    if keep is None:
        return html
    head, sides, tail = split(html)
    return head + "".join(side for i, side in enumerate(sides) if i in keep) + tail
