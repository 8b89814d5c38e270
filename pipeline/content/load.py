"""Loading campaigns and brands: each file read, validated and checked, every problem of
every file collected and reported at once."""
from __future__ import annotations

import difflib
import re
from dataclasses import replace
from pathlib import Path

from ..paths import FONTS
from ..problems import ContentError, Problem
from .brand import COLOUR_ROLES, Brand, brand_path
from .errors import M, validate
from .facts import check_facts
from .fields import RTL_LANGUAGES
from .model import Campaign, LoadedCampaign
from .partners import _campaign_partners, _partner_files
from .rules import (_bad_characters, _discreet_words, _district_lines, _hosts_of_the_force, _numbers_of_services,
                    _other_formats, _revealing, _roles_in_text, _stray_addresses, _stray_numbers, known_hosts,
                    known_numbers)
from .translations import load_translation
from .yamlfile import read_yaml


def load_model(path: Path, model: type[M]) -> M:
    """Load a YAML file into `model`; raise ContentError listing every problem."""
    data, lines = read_yaml(path)
    return validate(data, model, str(path), lines)


def load_campaign(path: Path) -> LoadedCampaign:
    data, lines = read_yaml(path)
    file = str(path)
    rtl = str(data.get("language", "")).split("-")[0] in RTL_LANGUAGES
    problems = _bad_characters(data, file, lines, rtl)
    try:
        campaign = validate(data, Campaign, file, lines)
    except ContentError as exc:
        raise ContentError(problems + exc.problems) from None
    problems += _stray_numbers(known_numbers(campaign), data, file, lines) + _revealing(campaign, file, lines)
    problems += _stray_addresses(known_hosts(campaign), data, file, lines)
    problems += _district_lines(campaign, known_numbers(campaign), file, lines) + _other_formats(campaign, file, lines)
    problems += _roles_in_text(campaign, data, file, lines) + _campaign_partners(campaign, data, file, lines)
    problems += _numbers_of_services(campaign, data, file, lines)
    faulty = {p.field for p in problems}
    problems += [p for p in check_facts(campaign, path, lines) if p.field not in faulty]
    if campaign.translation is not None:
        problems.append(Problem("error", str(path), "'translation:' belongs in translation files only",
                                "remove it", line=lines.line(("translation",)), field="translation"))
    campaign, found = _partner_files(path, campaign)
    problems += found
    try:
        brand = load_brand(path, campaign.brand)
    except ContentError as exc:
        brand = None
        problems += [replace(p, line=p.line or lines.line(("brand",))) if p.file == str(path) else p
                     for p in exc.problems]
    if brand is not None:
        problems += _hosts_of_the_force(campaign, brand, path, lines) + _discreet_words(campaign, brand, file, lines)
    if problems:
        raise ContentError(problems)
    return LoadedCampaign(slug=path.stem, path=path, campaign=campaign, brand=brand, lines=lines)


def load_brand(campaign_file: Path, brand: str) -> Brand:
    path = brand_path(brand)
    beside = campaign_file.parent / "brands" / f"{brand}.yaml"
    # A copy of the content folder carries the same files: only a different one would shadow.
    if beside.is_file() and beside.resolve() != path.resolve() and (
            not path.is_file() or beside.read_bytes() != path.read_bytes()):
        raise ContentError([Problem("error", str(beside), f"brand files are read from {path.parent.parent.name}/"
                                                          f"{path.parent.name}/ only: this one, beside the "
                                                          "campaign, differs from the project's and is not used",
                                    f"move it to content/brands/{brand}.yaml (where it is reviewed with the "
                                    "project) or delete it", field="brand")])
    if not path.is_file():
        raise ContentError([Problem("error", str(campaign_file), f"no brand file {brand!r}",
                                    f"create content/brands/{brand}.yaml (copy another force's) or fix 'brand:'",
                                    field="brand")])
    data, lines = read_yaml(path)
    problems = _bad_characters(data, str(path), lines, rtl=False)
    colours = data.get("colours")
    for role in colours if isinstance(colours, dict) else {}:
        if role not in COLOUR_ROLES:
            close = difflib.get_close_matches(str(role), COLOUR_ROLES, n=1)
            problems.append(Problem("error", str(path), f"unknown colour role {str(role)[:40]!r}: the layouts would "
                                                        "not use it, and print the neutral default instead",
                                    (f"did you mean {close[0]!r}? " if close else "") +
                                    f"colours are given by role: {', '.join(COLOUR_ROLES)}",
                                    line=lines.line(("colours", role)), field=f"colours.{role}"))
    try:
        loaded = validate(data, Brand, str(path), lines)
    except ContentError as exc:
        raise ContentError(problems + exc.problems) from None
    if loaded.font:
        for face in ("regular", "bold"):
            name = getattr(loaded.font, face)
            if "/" in name or not (FONTS / name).is_file():
                problems.append(Problem("error", str(path), f"font file fonts/{name} not found",
                                        "put the font (with its licence) in fonts/ and name the file only",
                                        line=lines.line(("font", face)), field=f"font.{face}"))
    if problems:
        raise ContentError(problems)
    return loaded


def _other_language(base: LoadedCampaign) -> str:
    """The translation a bilingual campaign prints beside its own language."""
    c = base.campaign
    others = [code for code in c.bilingual.languages if code != c.language]
    if len(others) != 1 or not re.fullmatch(r"[a-z]{2,3}", others[0]):
        raise ContentError([Problem(
            "error", str(base.path), f"bilingual.languages {c.bilingual.languages} must be the campaign's own "
                                     f"language ({c.language}) and one translation's code (e.g. cy)",
            f"write e.g. [cy, {c.language}]: the first is read first",
            line=base.lines.line(("bilingual", "languages")) if base.lines else None, field="bilingual.languages")])
    return others[0]


def load_campaigns(paths: list[Path]) -> list[LoadedCampaign]:
    """Every campaign and each of its translations; all problems of all files at once."""
    loaded, problems = [], []
    for path in paths:
        try:
            base = load_campaign(path)
        except ContentError as exc:
            problems += exc.problems
            continue
        if base.campaign.bilingual is not None:
            try:
                base = replace(base, companion=load_translation(base, _other_language(base)))
            except ContentError as exc:
                problems += exc.problems
        loaded.append(base)
        languages = base.campaign.variants.languages
        for language in languages.codes if languages else []:
            try:
                loaded.append(load_translation(base, language))
            except ContentError as exc:
                problems += exc.problems
    if problems:
        raise ContentError(problems)
    return loaded
