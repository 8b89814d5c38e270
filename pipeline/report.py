"""The preflight report: a terminal summary, preflight.json and preflight.html
(with the page thumbnails in preflight/ beside it).

preflight.json (stable schema, keys only ever added):
  {"campaign": slug, "errors": n, "warnings": n,
   "outputs": [{"path", "product", "size", "profile", "errors", "warnings"}],
   "problems": [{"level", "file", "page", "box_mm": [x, y, w, h], "field",
                 "check", "what", "hint"}],
   "causes": [{"level", "check", "field", "what", "hint", "files": [path, ...]}]}
  `causes` groups the problems by cause: the same note on many files once, and a
  field too long for several products (check "too-long", causes.py) as one.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

from .causes import CAUSE
from .problems import Problem


@dataclass
class Cause:
    """Problems with one cause: the same words on several files (a draft translation's
    note on each of its 32 files), or one field too long for several products."""

    level: str
    what: str
    hint: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return list(dict.fromkeys(p.file for p in self.problems))

    def to_dict(self) -> dict:
        first = self.problems[0]
        return {k: v for k, v in {"level": self.level, "check": first.check, "field": first.field,
                                  "what": self.what, "hint": self.hint, "files": self.files}.items() if v is not None}


def causes(problems: list[Problem]) -> list[Cause]:
    """The problems grouped by cause, errors first, in the order found."""
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        key = (p.level, p.check, p.field, p.value) if p.check == CAUSE else (p.level, p.check, p.what, p.hint)
        groups.setdefault(key, []).append(p)
    out = []
    for (level, *_), members in groups.items():
        first = members[0]
        if first.check == CAUSE:
            # "<field> is about N characters too long for the <product> (...)": one line for every product.
            most: dict[str, int] = {}
            for p in members:  # press and screen copies of a product: the larger figure
                most[_product(p)] = max(most.get(_product(p), 0), _excess(p))
            excess: dict[int, list[str]] = {}
            for product, n in most.items():
                excess.setdefault(n, []).append(product)
            by = "; ".join(f"{_and(products)} by about {n} characters" for n, products in excess.items())
            what = f"{first.field} is too long for {by}"
            hint = (f"shorten {first.field} ({first.value}) by about {max(map(_excess, members))} characters "
                    "to fit them all")
        else:
            what, hint = first.what, first.hint
        out.append(Cause(level, what, hint, members))
    return sorted(out, key=lambda c: c.level != "error")


def _excess(p: Problem) -> int:
    return int(p.what.split(" is about ", 1)[1].split(" ", 1)[0])


def _product(p: Problem) -> str:
    return p.what.split(" too long for the ", 1)[1].split(" (", 1)[0]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _files(files: list[str], shown: int = 3) -> str:
    more = len(files) - shown
    return ", ".join(files[:shown]) + (f" and {more} more" if more > 0 else "")


def summary_lines(problems: list[Problem], outputs: int) -> list[str]:
    """The terminal's summary: counts, each cause once (with the files it holds for),
    and a summary by cause at the end."""
    errors = [p for p in problems if p.level == "error"]
    warnings = [p for p in problems if p.level == "warning"]
    lines = [f"preflight: {outputs} output(s), {len(errors)} error(s), {len(warnings)} warning(s)"]
    found = causes(problems)
    for cause in found:
        if len(cause.problems) == 1 and cause.problems[0].check != CAUSE:
            lines.append(f"{cause.level}: {cause.problems[0]}")
            continue
        places = list(dict.fromkeys(p.where() for p in cause.problems))
        files = cause.files
        where = (places[0] if len(places) == 1 else files[0] if len(files) == 1
                 else f"{len(files)} files ({_files(files)})")
        lines.append(f"{cause.level}: {where}: {cause.what}" + (f"\n    hint: {cause.hint}" if cause.hint else ""))
    if len(found) > 1:
        lines.append(f"by cause: {len(found)} cause(s) of {len(errors) + len(warnings)} problem(s)")
        for cause in found:
            title = cause.what if len(cause.what) <= 90 else cause.what[:89] + "…"
            count = len(cause.files)
            lines.append(f"  {cause.level}: {title} [{count} file{'s' if count != 1 else ''}]")
    return lines


def thumbnail_name(output: str, page: int) -> str:
    """Where the report's thumbnail of a page of `output` is, beside the report."""
    return f"preflight/{output.removesuffix('.pdf').removesuffix('.png').replace('/', '_')}-p{page}.png"


def preflight_json(slug: str, entries: list[dict], problems: list[Problem]) -> bytes:
    def counts(path, level):
        return sum(1 for p in problems if p.file == path and p.level == level)

    data = {
        "campaign": slug,
        "errors": sum(1 for p in problems if p.level == "error"),
        "warnings": sum(1 for p in problems if p.level == "warning"),
        "outputs": [{"path": e["path"], "product": e["product"], "size": e["size"],
                     "profile": e["profile"], "errors": counts(e["path"], "error"),
                     "warnings": counts(e["path"], "warning")} for e in entries],
        "problems": [p.to_dict() for p in problems],
        "causes": [c.to_dict() for c in causes(problems)],
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def preflight_html(slug: str, entries: list[dict], problems: list[Problem]) -> bytes:
    """One self-contained page: every output's pages as thumbnails, problems marked where they are."""
    errors = sum(1 for p in problems if p.level == "error")
    warnings = sum(1 for p in problems if p.level == "warning")
    parts = [f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Preflight: {html.escape(slug)}</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 2em; color: #111; }}
h1 {{ margin: 0 0 .3em; }} .ok {{ color: #05632b; }} .bad {{ color: #a00; }}
.output {{ border-top: 1px solid #ccc; padding: 1em 0; }}
.pages {{ display: flex; gap: 1em; flex-wrap: wrap; align-items: flex-start; }}
.page {{ position: relative; box-shadow: 0 0 0 1px #bbb; }}
.page img {{ display: block; }}
.mark {{ position: absolute; border: 2px solid #d00; background: rgba(255,0,0,.12); min-width: 8px; min-height: 8px; }}
.mark.warning {{ border-color: #e80; background: rgba(255,160,0,.15); }}
.mark span {{ position: absolute; top: -10px; left: -10px; background: #d00; color: #fff; font: bold 11px/18px sans-serif;
  width: 18px; text-align: center; border-radius: 9px; }}
.mark.warning span {{ background: #e80; }}
ol li.error::marker {{ color: #d00; }} ol li {{ margin: .3em 0; }} .hint {{ color: #555; }}
</style></head><body>
<h1>Preflight: {html.escape(slug)}</h1>
<p class="{'bad' if errors else 'ok'}">{len(entries)} output(s): {errors} error(s), {warnings} warning(s).
{'Fix the errors before anything goes to the printer.' if errors else 'Nothing stops this going to the printer.'}</p>
"""]
    found = causes(problems)
    if found:
        parts.append("<h2>By cause</h2><ol>")
        for cause in found:
            files = cause.files
            parts.append(f'<li class="{cause.level}"><strong>{cause.level}</strong> ({len(files)} file'
                         f'{"s" if len(files) != 1 else ""}): {html.escape(cause.what)}'
                         f'<br><span class="hint">{html.escape(cause.hint)}</span></li>')
        parts.append("</ol>")
    for entry in entries:
        mine = [p for p in problems if p.file == entry["path"]]
        width, height = entry["trim_mm"]
        parts.append(f'<section class="output"><h2>{html.escape(entry["path"])}</h2>'
                     + (f'<p>{html.escape(entry["profile"])} profile, {" × ".join(map(str, entry["pixels"]))} px.</p>'
                        if entry.get("pixels") else
                        f'<p>{html.escape(entry["profile"])} profile, {html.escape(entry["pdf_variant"].upper())}, '
                        f'{entry["bleed_mm"]:g} mm bleed; {width:g} × {height:g} mm, {entry["pages"]} page(s).</p>')
                     + '<div class="pages">')
        for number in range(1, entry["pages"] + 1):
            src = thumbnail_name(entry["path"], number)
            parts.append(f'<div class="page"><img src="{html.escape(src)}" alt="page {number}" style="width:{width * 1.2:.0f}px">')
            for index, p in enumerate(mine, 1):
                if p.page == number and p.box_mm:
                    x, y, w, h = p.box_mm
                    parts.append(f'<div class="mark {p.level}" title="{html.escape(p.what)}" style="left:{x / width * 100:.2f}%;'
                                 f'top:{y / height * 100:.2f}%;width:{w / width * 100:.2f}%;height:{h / height * 100:.2f}%">'
                                 f'<span>{index}</span></div>')
            parts.append("</div>")
        parts.append("</div>")
        if mine:
            parts.append("<ol>")
            for p in mine:
                where = f"page {p.page}" if p.page else "document"
                if p.box_mm:
                    where += f", {p.box_mm[0]:.0f} mm from the left, {p.box_mm[1]:.0f} mm from the top"
                parts.append(f'<li class="{p.level}"><strong>{p.level}</strong> ({html.escape(where)}'
                             f'{", " + html.escape(p.field) if p.field else ""}): {html.escape(p.what)}'
                             f'<br><span class="hint">{html.escape(p.hint)}</span></li>')
            parts.append("</ol>")
        else:
            parts.append('<p class="ok">No problems.</p>')
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "".join(parts).encode()


def write_reports(folder: Path, slug: str, entries: list[dict], problems: list[Problem], write) -> None:
    """The report of every rendered PDF listed in `entries` (manifest entries)."""
    # Rendered outputs only: PDFs and social images, not sheets, pages or files made beside them
    entries = [e for e in entries if "imposed_from" not in e and "made_from" not in e and e.get("output") != "web"]
    write(folder / "preflight.json", preflight_json(slug, entries, problems))
    write(folder / "preflight.html", preflight_html(slug, entries, problems))
