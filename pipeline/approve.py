"""Approving a translation: a coordinator's act, after a qualified translator checked it.

`campaign-print approve-translation FILE --by NAME` writes the file's `translation:`
block again as `status: approved` with who, when and a seal over every string
(confirm.translation_seal), so a build knows the approval from a word typed by hand
(content.translations.load_translation makes an unsealed "approved" a draft)."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from . import confirm
from .build.store import write_atomically  # the build's: never a half-written file
from .content import load_campaigns
from .content.translations import translated_strings
from .content.yamlfile import read_yaml
from .problems import ContentError, Problem


def approve_translation(path: Path, approved_by: str, today: str) -> int:
    """Seal a translation file as approved by `approved_by` (a coordinator's act, after a
    qualified translator checked it): its `translation:` block is written again with
    the seal over every string (confirm.translation_seal). Only a translation that loads
    with its campaign, with no content error, is approved. The number of strings sealed."""
    language, slug = path.stem, path.parent.name
    source = path.parent.parent.parent / f"{slug}.yaml"
    file = str(path)
    if path.parent.parent.name != "translations" or not source.is_file():
        raise ContentError([Problem("error", file, "not a campaign's translation file",
                                    "give content/translations/<campaign>/<language>.yaml, beside content/<campaign>.yaml")])
    loaded = [c for c in load_campaigns([source]) if c.language == language or
              (c.companion is not None and c.companion.language == language)]
    if not loaded:
        raise ContentError([Problem("error", file, f"{language!r} is not one of {source.name}'s languages",
                                    "add it to variants.languages.codes (or bilingual) first")])
    if not approved_by.strip():
        raise ContentError([Problem("error", file, "--by is empty", "give the qualified translator's name")])
    data, _ = read_yaml(path)
    strings = translated_strings(data)
    # The draft's note ("a qualified translator must check it") goes: who checked it replaces it.
    block = {"status": "approved", "approved_by": approved_by.strip(), "approved_on": today,
             "seal": confirm.translation_seal(slug, language, strings, approved_by.strip())}
    written = yaml.safe_dump({"translation": block}, allow_unicode=True, sort_keys=False, width=1000)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"translation:", line)), None)
    if start is None:
        lines[:0] = [written]
    else:  # its block: the key's line and every indented, blank or comment line after it
        end = start + 1
        while end < len(lines) and (lines[end][:1] in (" ", "\t", "#") or not lines[end].strip()):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1  # the blank lines before the next key stay
        lines[start:end] = [written]
    write_atomically(path, "".join(lines).encode("utf-8"))
    return len(strings)
