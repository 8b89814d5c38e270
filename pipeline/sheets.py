"""The sides of a printed product in its HTML: one `.sheet` per printed side, the
children of <body> (layouts/_page.html), and a side's panels (`.panel`, its children,
placed by CSS: the DL's cover, flap and back). A partner's proof renders only the
sides, and of those only the panels, that carry what a partner changes
(partners.proof, panels.py); `only_sheets` says which, while layouts.render_html runs."""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar

SHEET = re.compile(r'<div class="sheet[ "]')
PANEL = re.compile(r'<div class="panel[ "]')
_KEEP: ContextVar[frozenset[int] | None] = ContextVar("keep_sheets", default=None)
_PANELS: ContextVar[dict[int, frozenset[int]]] = ContextVar("keep_panels", default={})


def split(html: str) -> tuple[str, list[str], str]:
    """(what comes before the first side, each side, </body> and after); no sides
    when the HTML does not follow the convention."""
    starts = [m.start() for m in SHEET.finditer(html)]
    end = html.rfind("</body>")
    if not starts or end < starts[-1]:
        return html, [], ""
    return html[:starts[0]], [html[a:b] for a, b in zip(starts, starts[1:] + [end])], html[end:]


def panels(side: str) -> tuple[str, list[str], str]:
    """(the side's opening tag, each panel, the side's closing tag and after); no panels
    when the side has fewer than two or does not follow the convention."""
    starts = [m.start() for m in PANEL.finditer(side)]
    end = side.rfind("</div>")  # the side's own: the last tag it closes
    if len(starts) < 2 or end < starts[-1]:
        return side, [], ""
    return side[:starts[0]], [side[a:b] for a, b in zip(starts, starts[1:] + [end])], side[end:]


def panel_name(panel: str) -> str:
    """A panel as the layout map names an element: `div.panel.back`."""
    found = re.match(r'<div class="([^"]+)"', panel)
    return "div." + ".".join(found.group(1).split()) if found else ""


@contextmanager
def only_sheets(keep: set[int], panels: dict[int, frozenset[int]] | None = None):
    """While inside, rendered HTML keeps only the sides numbered in `keep` (from 0), and
    of a side in `panels` only the panels numbered there (from 0)."""
    token, panels_token = _KEEP.set(frozenset(keep)), _PANELS.set(dict(panels or {}))
    try:
        yield
    finally:
        _KEEP.reset(token)
        _PANELS.reset(panels_token)


def kept(html: str) -> str:
    keep = _KEEP.get()
    if keep is None:
        return html
    head, sides, tail = split(html)
    chosen = _PANELS.get()
    return head + "".join(_kept_panels(side, chosen[i]) if i in chosen else side
                          for i, side in enumerate(sides) if i in keep) + tail


def _kept_panels(side: str, keep: frozenset[int]) -> str:
    head, found, tail = panels(side)
    return head + "".join(panel for i, panel in enumerate(found) if i in keep) + tail if found else side
