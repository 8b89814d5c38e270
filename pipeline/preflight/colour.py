"""Checks of colour and inks: contrast against the ground (WCAG), and small text in at most
the press profile's number of process inks.
"""
from __future__ import annotations

from ..problems import Problem
from .subject import Subject, _content, _label


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
