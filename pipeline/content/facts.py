"""The campaign's facts against the documents they are copied from (`source_documents:`).

A number typed wrong in every place of a campaign file is consistent, and no other
check can see it: only the source can. When a campaign names its source documents
(text or Markdown files beside it, e.g. the force's press release), each of these
must be found in one of them, as a reader would read it:

- each support service's phone number, on a line that also names the service (a
  number given for another service is caught: two helplines' numbers swapped), and
  its email address;
- every number in the statistics, the local figures, the myths' facts and the Easy
  Read sentences, other than phone numbers and the UK short codes (101, 999, 55,
  18000: print-standards' contact conventions, fixed in inputs.SHORT_CODES): "96%"
  needs 96% (or 96 per cent), "1,347" needs 1347;
- the statistics' sources' names, the strapline and the hashtag.

A field with a problem of its own (a character no font draws, say) is not checked
again here: one error, at its cause.

Translations take their numbers from the campaign file (translations.FIXED): only the
campaign's own language is checked here.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..inputs import find_phone_numbers, phone_key, plain
from ..problems import Problem
from .model import Campaign
from .rules import QUOTES, SHORT_KEYS
from .yamlfile import _Lines, dotted_path

SOURCE_SUFFIXES = (".md", ".txt")
# A figure as a reader reads it: 1,347 is 1347; 96 per cent is 96%.
NUMBER = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)(\s?%|\s?per\s?cent\b)?", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
HASHTAG = re.compile(r"#\w+")


@dataclass(frozen=True)
class SourceLine:
    file: str  # as the campaign names it
    number: int  # 1-based
    text: str
    folded: str  # for finding names and sentences

    def __str__(self) -> str:
        return f"{self.file}:{self.number}"


def folded(text: str) -> str:
    """Text compared as read: case, curly quotes, dashes, markup and spacing set aside."""
    text = plain(text).translate(QUOTES).casefold()
    return " ".join(re.sub(r"[*_`|]+", " ", text).split())


def numbers_in(text: str) -> set[str]:
    """Every figure in `text`, written plainly: 1,347 -> 1347, 96 per cent -> 96%."""
    return {m.group(1).replace(",", "") + ("%" if m.group(2) else "") for m in NUMBER.finditer(plain(text))}


def _figures(text: str) -> set[str]:
    """The figures of a fact to find in the sources: its numbers less phone numbers
    and short codes ("press 55", "call 18000" are conventions, not facts)."""
    text = plain(text)
    for number in find_phone_numbers(text):
        text = text.replace(number.written, " ")
    return {n for n in numbers_in(text) if n.endswith("%") or phone_key(n) not in SHORT_KEYS}


def read_sources(campaign: Campaign, campaign_file: Path, lines: _Lines) -> tuple[list[SourceLine], list[Problem]]:
    """The lines of every source document; a problem for each that cannot be read."""
    found, problems = [], []
    for i, name in enumerate(campaign.source_documents):
        path = campaign_file.parent / name
        where = dict(line=lines.line(("source_documents", i)), field=f"source_documents[{i}]")
        if Path(name).is_absolute() or ".." in Path(name).parts or path.suffix.lower() not in SOURCE_SUFFIXES:
            problems.append(Problem("error", str(campaign_file), f"source document {name!r} must be a .md or .txt "
                                                                 "file in the campaign's folder or below it",
                                    "save the press release (or other source) as text beside the campaign, "
                                    "e.g. sources/press-release.md", **where))
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = "not found" if isinstance(exc, FileNotFoundError) else f"not readable as UTF-8 text ({exc})"
            problems.append(Problem("error", str(campaign_file), f"source document {name!r}: {why}",
                                    "give the path from the campaign file's folder, e.g. "
                                    "sources/press-release.md, and save it as UTF-8 text", **where))
            continue
        found += [SourceLine(name, n, line, folded(line)) for n, line in enumerate(text.splitlines(), 1)]
    return found, problems


def check_facts(campaign: Campaign, campaign_file: Path, lines: _Lines) -> list[Problem]:
    """Every fact listed above found in the campaign's source documents (none named: none checked)."""
    if not campaign.source_documents:
        return []
    sources, problems = read_sources(campaign, campaign_file, lines)
    if problems:
        return problems
    file = str(campaign_file)
    named = ", ".join(campaign.source_documents)
    fix = f"copy it digit by digit from the source ({named}); if the source is out of date, add the newer one " \
          "to source_documents:"

    def problem(path: tuple, what: str, hint: str = fix) -> Problem:
        return Problem("error", file, what, hint, line=lines.line(path), field=dotted_path(path), check="source")

    every_number = {n for s in sources for n in numbers_in(s.text)}
    emails = {e.casefold() for s in sources for e in EMAIL.findall(plain(s.text))}
    numbers_on = [(s, {p.key for p in find_phone_numbers(s.text)}) for s in sources]
    for i, service in enumerate(campaign.support):
        name = folded(service.name)
        if service.phone and phone_key(service.phone) not in SHORT_KEYS:
            key = phone_key(service.phone)
            with_number = [s for s, keys in numbers_on if key in keys]
            if not any(name in s.folded for s in with_number):
                problems.append(problem(("support", i, "phone"), *_number_problem(service, with_number, numbers_on,
                                                                                   name, fix)))
        if service.email and service.email.casefold() not in emails:
            problems.append(problem(("support", i, "email"),
                                    f"{service.email} ({service.name}) is not in the campaign's source documents",
                                    f"copy it letter by letter from the source ({named})"))
    facts = [(("statistics", i, part), getattr(s, part)) for i, s in enumerate(campaign.statistics)
             for part in ("figure", "text")]
    if campaign.local_figures:
        lf = campaign.local_figures
        facts += [(("local_figures", "period"), lf.period or "")]
        facts += [(("local_figures", "items", i, part), getattr(item, part)) for i, item in enumerate(lf.items)
                  for part in ("figure", "text")]
    facts += [(("myths", i, "fact"), m.fact) for i, m in enumerate(campaign.myths)]
    if campaign.easy_read:
        facts += [(("easy_read", "sections", i, "sentences", j, "text"), sentence.text)
                  for i, section in enumerate(campaign.easy_read.sections)
                  for j, sentence in enumerate(section.sentences)]
    for path, text in facts:
        for figure in sorted(_figures(text) - every_number):
            problems.append(problem(path, f"the figure {figure} ({text!r}) is not in the campaign's source documents"))
    for i, source in enumerate(campaign.sources):
        if not any(folded(source.name) in s.folded for s in sources):
            problems.append(problem(("sources", i, "name"), f"the source {source.name!r} is not named in the "
                                                             "campaign's source documents", "write the name as the "
                                                             f"source does ({named})"))
    whole = " ".join(s.folded for s in sources)
    for part in ("lead", "call"):
        said = getattr(campaign.strapline, part)
        if folded(said) not in whole:
            problems.append(problem(("strapline", part), f"the strapline's {part} {' '.join(said.split())!r} is not in "
                                                          "the campaign's source documents",
                                    f"write it word for word as the source does ({named})"))
    hashtag = campaign.social.hashtag
    if hashtag and hashtag.casefold() not in set(HASHTAG.findall(whole)):
        problems.append(problem(("social", "hashtag"), f"the hashtag {hashtag} is not in the campaign's source "
                                                        "documents", f"write it as the source does ({named})"))
    return problems


def _number_problem(service, with_number: list[SourceLine], numbers_on, name: str, fix: str) -> tuple[str, str]:
    """What is wrong with a service's number and what the source gives instead."""
    if with_number:
        line = with_number[0]
        return (f"{service.phone} is given for {service.name}, but the source gives it on a line that does not name "
                f"that service ({line}: {_excerpt(line.text)})",
                "check that the number is this service's; write the service's name as the source does")
    beside = [(s, keys) for s, keys in numbers_on if keys and name in s.folded]
    if beside:
        s = beside[0][0]
        written = ", ".join(p.written for p in find_phone_numbers(s.text))
        return (f"{service.phone} ({service.name}) is not in the campaign's source documents, which give {written} "
                f"beside its name ({s}: {_excerpt(s.text)})", fix)
    return f"{service.phone} ({service.name}) is not in the campaign's source documents", fix


def _excerpt(text: str, width: int = 90) -> str:
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    return text if len(text) <= width else text[:width - 1] + "…"
