"""The preflight report: a terminal summary, preflight.json and preflight.html
(with the page thumbnails in preflight/ beside it).

preflight.json (stable schema, keys only ever added):
  {"campaign": slug, "errors": n, "warnings": n,
   "outputs": [{"path", "product", "size", "profile", "errors", "warnings"}],
   "problems": [{"level", "file", "page", "box_mm": [x, y, w, h], "field",
                 "check", "what", "hint"}]}
"""
from __future__ import annotations

import html
import json
from pathlib import Path

from .problems import Problem


def summary_lines(problems: list[Problem], outputs: int) -> list[str]:
    errors = [p for p in problems if p.level == "error"]
    warnings = [p for p in problems if p.level == "warning"]
    lines = [f"preflight: {outputs} output(s), {len(errors)} error(s), {len(warnings)} warning(s)"]
    for p in errors + warnings:
        lines.append(f"{p.level}: {p}")
    return lines


def thumbnail_name(output: str, page: int) -> str:
    """Where the report's thumbnail of a page of `output` is, beside the report."""
    return f"preflight/{output.removesuffix('.pdf').replace('/', '_')}-p{page}.png"


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
    for entry in entries:
        mine = [p for p in problems if p.file == entry["path"]]
        width, height = entry["trim_mm"]
        parts.append(f'<section class="output"><h2>{html.escape(entry["path"])}</h2>'
                     f'<p>{html.escape(entry["profile"])} profile, {html.escape(entry["pdf_variant"].upper())}, '
                     f'{entry["bleed_mm"]:g} mm bleed; {width:g} × {height:g} mm, '
                     f'{entry["pages"]} page(s).</p><div class="pages">')
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
    entries = [e for e in entries if "imposed_from" not in e]
    write(folder / "preflight.json", preflight_json(slug, entries, problems))
    write(folder / "preflight.html", preflight_html(slug, entries, problems))
