"""Where in a designer's own file a mistake is, so a message can say file:line.

- CSS brackets left open: a missing `}` or a `var(--accent;` without its `)` makes
  the rest of the stylesheet part of one rule or value, which WeasyPrint drops without
  a word (the page then comes out unstyled, with a page of preflight errors).
- WeasyPrint's messages about a stylesheet say "at 30:3" but not which file: those
  said while a sheet is parsed are that sheet's (the caller knows it); those said
  while laying out (a var() with no value) name a property found on that line of
  one of the product's sheets; a parser that fails has the line in its traceback.
- A file WeasyPrint could not load is named by URL; the template or stylesheet line
  that asks for it is found by its name.
- A Jinja block left open is reported where the parser gave up (often the
  `{% endblock %}` after it); the line that opened it is found in the source.

No WeasyPrint or Jinja imports: plain text in, Problems out.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .problems import Problem

CLOSERS = {"{": "}", "(": ")", "[": "]"}
AT_LINE = re.compile(r" at (\d+):(\d+)")


def unclosed_bracket(css: str, file: str) -> Problem | None:
    """The innermost bracket still open at the end of a stylesheet, as CSS reads it:
    comments and strings skipped, a closer counted only when it closes the innermost
    open bracket (inside `var(` a `}` is part of the value)."""
    stack: list[tuple[str, int]] = []
    line, i, n = 1, 0, len(css)
    while i < n:
        c = css[i]
        if c == "\n":
            line += 1
        elif c == "\\":
            i += 1  # an escaped character is never a bracket
        elif c == "/" and css.startswith("*", i + 1):
            end = css.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += css.count("\n", i, end)
            i = end
            continue
        elif c in "\"'":
            i += 1
            while i < n and css[i] not in (c, "\n"):  # a string ends at its quote or the line's end
                i += 2 if css[i] == "\\" else 1
            if i < n and css[i] == "\n":
                continue
        elif c in CLOSERS:
            stack.append((c, line))
        elif stack and c == CLOSERS[stack[-1][0]]:
            stack.pop()
        i += 1
    if not stack:
        return None
    opened, at = stack[-1]
    rule = "rule" if opened == "{" else "value"
    return Problem("error", file, f"`{opened}` is never closed with `{CLOSERS[opened]}`: every rule after it "
                   f"is read as part of this {rule}, and dropped", f"add the missing `{CLOSERS[opened]}`",
                   line=at, check="css-syntax")


def css_message(message: str, file: str, level: str = "warning") -> Problem:
    """A WeasyPrint message said while parsing the stylesheet `file`, at its line."""
    at = AT_LINE.search(message)
    return Problem(level, file, f"WeasyPrint: {message}",
                   "fix or remove the declaration: WeasyPrint ignores it, so the page is drawn without it"
                   if at else "fix or replace the file it names", line=int(at.group(1)) if at else None,
                   check="weasyprint")


def failing_line(exc: BaseException) -> int | None:
    """The stylesheet line WeasyPrint's parser was at when it failed (it raises on
    some values, e.g. `calc(1px + )`): the declaration or rule in its traceback."""
    line, tb = None, exc.__traceback__
    while tb is not None:
        for name in ("declaration", "rule"):
            line = getattr(tb.tb_frame.f_locals.get(name), "source_line", line)
        tb = tb.tb_next
    return line


def stylesheet_line(folder: Path, sheets: list[str], message: str) -> tuple[str, int] | None:
    """(layouts/<sheet>, line) of a message WeasyPrint says while laying out ("Ignored
    `color: ` at 198:21, no value.": a var() with no value), which names a line and
    column but not the sheet: the first of `sheets` whose line has the property or
    function named."""
    at = AT_LINE.search(message)
    named = re.search(r"`\s*([\w-]+)|: ([\w-]+)\(", message)
    if not at or not named:
        return None
    line, word = int(at.group(1)), named.group(1) or named.group(2)
    for sheet in sheets:
        try:
            lines = (folder / sheet).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        if line <= len(lines) and word in lines[line - 1]:
            return f"layouts/{sheet}", line
    return None


def referenced_at(folder: Path, url: str, first: str) -> tuple[str, int] | None:
    """(layouts/<file>, line) of the first template or stylesheet in `folder` that names
    the file at `url`, looking in `first` (the product's template) before the others."""
    name = Path(unquote(urlsplit(url).path)).name
    if not name:
        return None
    files = sorted(folder.glob("*.html")) + sorted(folder.glob("*.css"))
    files.sort(key=lambda path: path.name != first)
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, text in enumerate(lines, 1):
            if name in text:
                return f"layouts/{path.name}", number
    return None


BLOCK_TAG = re.compile(r"{%-?\s*(\w+)")
ENDLESS_SET = re.compile(r"{%-?\s*set\s[^%]*=")  # `{% set x = 1 %}` has no end tag


def opened_at(source: str, block: str, before: int) -> int | None:
    """The line of the `{% block %}` tag (if, for, block, ...) still open before line
    `before` of a Jinja template: the innermost one of that name."""
    stack: list[tuple[str, int]] = []
    for number, text in enumerate(source.splitlines()[:before - 1], 1):
        for tag in BLOCK_TAG.finditer(text):
            name = tag.group(1)
            if name.startswith("end"):
                for k in range(len(stack) - 1, -1, -1):
                    if stack[k][0] == name[3:]:
                        del stack[k:]
                        break
            elif name in ("if", "for", "block", "macro", "call", "filter", "with", "raw", "autoescape", "trans") \
                    or (name == "set" and not ENDLESS_SET.match(text, tag.start())):
                stack.append((name, number))
    for name, number in reversed(stack):
        if name == block:
            return number
    return None
