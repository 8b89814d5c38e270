"""Before any job is planned: names that go into file names and tracking codes are plain
and unique, partner logos are usable, and orders and products name what exists."""
from __future__ import annotations

import re
from pathlib import Path

from ..content import LoadedCampaign, dotted_path
from ..identity import check_images
from ..paths import ASSETS
from ..problems import PipelineError, Problem
from .job import slug
from .specs import WEB_PAGE, LayoutSet


MAX_SLUG = 40  # characters of a name used in a file name or a tracking code
PLAIN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def check_names(campaigns: list[LoadedCampaign], layouts: LayoutSet, only: list[str] | None = None) -> None:
    """Products named on the command line or in a campaign's variants must exist, and
    every name that becomes a folder, a file name or a tracking code is plain, short
    and unique: two districts sharing a folder would print each other's line."""
    problems = []
    unknown = sorted(set(only or []) - set(layouts.products) - {WEB_PAGE})
    if unknown:
        problems.append(Problem("error", "--only", f"unknown product(s): {', '.join(unknown)}",
                                f"choose from: {', '.join([*layouts.products, WEB_PAGE])}"))
    folders: dict[str, Path] = {}
    for source in campaigns:
        if source.language is not None:
            continue  # a translation shares its campaign's names
        file = str(source.path)
        if not PLAIN.fullmatch(source.slug) or len(source.slug) > 60:
            problems.append(Problem("error", file, f"the file name {source.path.name!r} cannot name an output folder",
                                    f"rename it with lower-case letters, digits and hyphens, e.g. "
                                    f"{slug(source.slug)[:60] or 'my-campaign'}.yaml"))
        elif source.slug in folders:
            problems.append(Problem("error", file, f"{folders[source.slug]} and this file both write to the folder "
                                                   f"{source.slug}/", "rename one of them"))
        folders.setdefault(source.slug, source.path)
        axes = source.campaign.variants
        problems += _unique_names(source, ("variants", "districts", "items"), "name",
                                  [d.name for d in (axes.districts.items if axes.districts else [])])
        problems += _unique_names(source, ("variants", "partners", "items"), "id",
                                  [p.id for p in (axes.partners.items if axes.partners else [])])
        if any(spec.each == "statistic" for spec in layouts.products.values()):
            problems += _unique_names(source, ("statistics",), "figure", [s.figure for s in source.campaign.statistics])
        problems += _products_fit(source, layouts)
        # (where in the file, as a path to the entry, the product's name)
        named = [(("products",), source.campaign.products)]
        named += [(("variants", "districts", "products"), axes.districts.products if axes.districts else [])]
        named += [(("variants", "partners", "offer"), axes.partners.offer if axes.partners else [])]
        named += [(("variants", "languages", "products"), axes.languages.products if axes.languages else [])]
        for i, partner in enumerate(axes.partners.items if axes.partners else []):
            named += [(("variants", "partners", "items", i, "products"), partner.products)]
            from ..assets import check_logo  # here: assets.py is imported by the renderer too
            for logo in check_logo(ASSETS / partner.logo, svg_codes=False):
                problems.append(Problem("error", str(source.path), f"logo {logo.file}: {logo.what}",
                                        f"{logo.hint} (SVG, or PNG/JPEG at 300 ppi)",
                                        field=f"variants.partners.items[{i}].logo"))
        problems += _orders_fit(source, layouts)
        problems += check_images(source)
        for path, products in named:
            for j, product in enumerate(products):
                if product not in layouts.products:
                    problems.append(Problem("error", str(source.path), f"unknown product {product!r}",
                                            f"choose from: {', '.join(layouts.products)}",
                                            line=line_of(source, path + (j,)), field=dotted_path(path + (j,))))
    if problems:
        raise PipelineError(problems)


def _orders_fit(source: LoadedCampaign, layouts: LayoutSet) -> list[Problem]:
    """Each order names a product, its sizes and the campaign's districts."""
    problems, axes = [], source.campaign.variants
    districts = {slug(d.name) for d in (axes.districts.items if axes.districts else [])}
    for i, order in enumerate(source.campaign.orders):
        def problem(path: tuple, what: str, hint: str) -> Problem:
            return Problem("error", str(source.path), what, hint, line=line_of(source, ("orders", i) + path),
                           field=dotted_path(("orders", i) + path))

        spec = layouts.products.get(order.product)
        if spec is None:
            problems.append(problem(("product",), f"unknown product {order.product!r}",
                                    f"choose from: {', '.join(layouts.products)}"))
            continue
        for j, size in enumerate(order.sizes):
            if size not in spec.sizes:
                problems.append(problem(("sizes", j), f"{order.product} has no size {size!r}",
                                        f"choose from: {', '.join(spec.sizes)} (its sizes in products.yaml)"))
        for j, name in enumerate(order.districts):
            if slug(name) not in districts:
                problems.append(problem(("districts", j), f"unknown district {name!r}",
                                        "name one of variants.districts.items, or add it there"))
    return problems


def line_of(source: LoadedCampaign, path: tuple) -> int | None:
    """The line of the entry at `path` in the campaign file, or of its list; None for
    an entry that is not in that file (a partner from content/partners/)."""
    lines = source.lines.lines if source.lines else {}
    return lines.get(path) or lines.get(path[:-1])


def _products_fit(source: LoadedCampaign, layouts: LayoutSet) -> list[Problem]:
    """A product the campaign asks for has what it needs from the content."""
    problems, c = [], source.campaign
    asked = [(("products", i), name) for i, name in enumerate(c.products)]
    asked += [(("orders", i, "product"), order.product) for i, order in enumerate(c.orders)]
    for path, name in asked:
        spec = layouts.products.get(name)
        line = source.lines.line(path) if source.lines else None
        if spec and spec.each == "statistic" and not c.statistics:
            problems.append(Problem("error", str(source.path), f"{name} makes one poster per statistic, and the "
                                    "campaign has none", "add statistics, or take it out of products",
                                    line=line, field=dotted_path(path)))
        if spec and spec.needs and getattr(c, spec.needs) is None:
            problems.append(Problem("error", str(source.path), f"{name} is made from the campaign's {spec.needs} "
                                    "section, and the campaign has none",
                                    f"write '{spec.needs}:' (docs/fields.md), or take {name} out of products",
                                    line=line, field=dotted_path(path)))
        if spec and spec.options.get("bilingual") and source.companion is None:
            problems.append(Problem("error", str(source.path), f"{name} prints two languages, and the campaign "
                                    "names none", "add bilingual: {languages: [cy, en-GB]} (the first is read first) "
                                    "and the translation, or take it out of products", line=line, field=dotted_path(path)))
        if spec and spec.options.get("discreet") and not c.revealing_words:
            problems.append(Problem("error", str(source.path), f"{name} must not say what the campaign is about, "
                                    "and the campaign does not say which words would",
                                    "list them under revealing_words (e.g. the subject's words)",
                                    line=line, field=dotted_path(path)))
        elif spec and spec.options.get("discreet") and c.reveals(c.qr.discreet_url or c.qr.url):
            # The code's address is in the phone's history once scanned.
            page = c.qr.discreet_url or c.qr.url
            problems.append(Problem("error", str(source.path), f"the code on {name} would open {page}, whose "
                                    f"address contains {c.reveals(page)[0]!r}, one of the revealing_words",
                                    "add qr.discreet_url: a neutral page or short link on the force's site that "
                                    "the force redirects to qr.url (e.g. https://<host>/help)",
                                    line=source.lines.line(("qr",)) if source.lines else None, field="qr.discreet_url"))
    return problems


def _unique_names(source: LoadedCampaign, items: tuple, key: str, names: list[str]) -> list[Problem]:
    """Each name's slug (its folder or file name part) is plain, short and its own."""
    problems, seen = [], {}
    dotted = ".".join(items)
    for i, name in enumerate(names):
        field, short = f"{dotted}[{i}].{key}", slug(name)
        line = source.lines.line(items + (i, key)) if source.lines else None

        def problem(what: str, hint: str) -> Problem:
            return Problem("error", str(source.path), what, hint, line=line, field=field)

        if not short:
            problems.append(problem(f"{name!r} has no letters or digits to name its files by",
                                    "use a name with letters or digits"))
        elif len(short) > MAX_SLUG:
            problems.append(problem(f"{name!r} is too long to name files by ({len(short)} characters; "
                                    f"at most {MAX_SLUG})", "shorten it"))
        elif short in seen:
            j = seen[short]
            problems.append(problem(f"{names[j]!r} ({dotted}[{j}]) and {name!r} would share the name {short!r}: "
                                    "one would print over the other's files",
                                    "make the names differ in their letters or digits"))
        seen.setdefault(short, i)
    return problems
