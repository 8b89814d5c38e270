"""Approving a translation: a coordinator's act, after a qualified translator checked it.

`campaign-print approve-translation FILE --by NAME` writes the file's `translation:`
block again as `status: approved` with who, when and a seal over every string
(confirm.translation_seal), so a build knows the approval from a word typed by hand
(content.translations.load_translation makes an unsealed "approved" a draft)."""
from __future__ import annotations

from pathlib import Path

import yaml

from . import confirm
from .build.store import write_atomically  # the build's: never a half-written file
from .content import load_campaigns
from .content.translations import sealed_strings
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
    loaded = load_campaigns([source])
    if not any(c.language == language or (c.companion is not None and c.companion.language == language)
               for c in loaded):
        raise ContentError([Problem("error", file, f"{language!r} is not one of {source.name}'s languages",
                                    "add it to variants.languages.codes (or bilingual) first")])
    if not approved_by.strip():
        raise ContentError([Problem("error", file, "--by is empty", "give the qualified translator's name")])
    base = next(c for c in loaded if c.campaign.translation is None)
    data, _ = read_yaml(path)
    strings = sealed_strings(base, data)
    # The draft's note ("a qualified translator must check it") goes: who checked it replaces it.
    block = {"status": "approved", "approved_by": approved_by.strip(), "approved_on": today,
             "seal": confirm.translation_seal(slug, language, strings, approved_by.strip())}
    text = _with_block(path.read_text(encoding="utf-8"), block)
    after = yaml.safe_load(text)
    if after.get("translation") != block or {k: v for k, v in after.items() if k != "translation"} != \
            {k: v for k, v in data.items() if k != "translation"}:
        raise ContentError([Problem("error", file, "its translation: block could not be rewritten safely",
                                    "write it as a block of its own at the top level ('translation:' then "
                                    "indented 'status: draft'), then approve it again")])
    write_atomically(path, text.encode("utf-8"))
    return len(strings)


def _with_block(text: str, block: dict) -> str:
    """`text` with its top-level `translation:` entry (key to the end of its last value,
    as YAML reads it: comments after it stay) replaced by `block`, or `block` first."""
    written = yaml.safe_dump({"translation": block}, allow_unicode=True, sort_keys=False, width=1000)
    lines = text.splitlines(keepends=True)
    root = yaml.compose(text)
    entry = next(((key, value) for key, value in root.value if key.value == "translation"), None)
    if entry is None:
        return written + text
    key, node = entry
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        node = node.value[-1][1] if isinstance(node, yaml.MappingNode) else node.value[-1]
    end = node.end_mark.line + (1 if node.end_mark.column else 0)
    return "".join(lines[:key.start_mark.line]) + written + "".join(lines[end:])
