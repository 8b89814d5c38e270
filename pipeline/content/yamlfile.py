"""Plain YAML only: a campaign, translation, partner or brand file read into Python data with
the line of every field, refused from the parser's events before anything is built if it is
not plain content (aliases, tags, huge or deep files)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..problems import ContentError, Problem


class _Lines:
    """Maps a field path such as ('support', 2, 'phone') to its line in the file."""

    def __init__(self) -> None:
        self.lines: dict[tuple, int] = {}
        self.end: int | None = None  # the file's last line: where a missing top-level field goes

    def line(self, loc: tuple) -> int | None:
        while loc not in self.lines and loc:
            loc = loc[:-1]
        return self.lines.get(loc)


MAX_BYTES = 1_000_000  # a campaign is about 10 KB; anything near this is not one
MAX_DEPTH = 32  # the schema nests 5 deep
MAX_VALUES = 20_000  # keys, values and lists: a campaign has about 600
MAX_TEXT = 40_000  # characters of text in all: a campaign has about 8,000
MAX_PROBLEMS = 50  # more than this and the rest are the same mistake again
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: fast on big files
_RESOLVER = yaml.resolver.Resolver()


def _plain_yaml(text: str, file: str) -> list[Problem]:
    """Refuse, from the parser's event stream and before anything is built, what
    plain content never needs: tags, anchors and aliases (a 1 KB file of nested
    aliases grows to gigabytes), keys that are not plain names, deep nesting."""
    problems: list[Problem] = []
    open_: list[list] = []  # per open mapping/sequence: [is_mapping, items so far]
    values = 0

    def problem(event, what, hint):
        problems.append(Problem("error", file, what, hint, line=event.start_mark.line + 1))

    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent):
            problem(event, f"alias '*{event.anchor}': aliases are not allowed in content files",
                    "write the value out in full where it is used")
            break  # stop before anything is repeated
        if isinstance(event, yaml.CollectionEndEvent):
            open_.pop()
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        values += 1
        if values > MAX_VALUES:
            problem(event, f"more than {MAX_VALUES:,} values", "a campaign has a few hundred: check it is the right file")
            break
        if event.anchor is not None:
            problem(event, f"anchor '&{event.anchor}': anchors are not allowed in content files",
                    "remove '&" + event.anchor + "' and write each value out in full")
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            problem(event, f"tag {tag!r}: YAML tags are not allowed in content files",
                    "remove the tag; quote the value if it is text")
        elif tag == "!":
            problem(event, "tag '!': YAML tags are not allowed in content files", "remove the '!'")
        is_key = bool(open_) and open_[-1][0] and open_[-1][1] % 2 == 0
        if open_:
            open_[-1][1] += 1
        if isinstance(event, yaml.CollectionStartEvent):
            if is_key:
                problem(event, "a key is a list or mapping", "keys are plain names: write 'name: value'")
            if len(open_) >= MAX_DEPTH:
                problem(event, f"nested more than {MAX_DEPTH} levels deep",
                        "campaign files nest a few levels; check the brackets and indentation")
                break
            open_.append([isinstance(event, yaml.MappingStartEvent), 0])
        elif is_key and _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit) != "tag:yaml.org,2002:str":
            problem(event, f"key {event.value!r} is read as a number, date, true/false or null, not a name",
                    "keys are field names; check the spelling, or quote it")
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


def _to_python(node: yaml.Node, path: tuple, lines: _Lines, problems: list, file: str,
               scalars: yaml.constructor.SafeConstructor) -> Any:
    lines.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in out:
                problems.append(Problem(
                    "error", file, f"duplicate key {key!r}", "remove one of them; YAML keeps only the last",
                    line=key_node.start_mark.line + 1, field=dotted_path(path + (key,)),
                ))
            out[key] = _to_python(value_node, path + (key,), lines, problems, file, scalars)
            lines.lines[path + (key,)] = key_node.start_mark.line + 1  # a section is where its key is
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(n, path + (i,), lines, problems, file, scalars) for i, n in enumerate(node.value)]
    # Scalars: let the safe constructor decide the type (dates, numbers, strings).
    try:
        return scalars.construct_object(node)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        problems.append(Problem("error", file, f"{node.value!r} is not a valid {node.tag.rsplit(':', 1)[-1]} ({exc})",
                                "write dates as YYYY-MM-DD; quote the value if it is text",
                                line=node.start_mark.line + 1, field=dotted_path(path) or None))
        return None


def dotted_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out

def every_string(data: Any, path: tuple = ()):
    """Every string in nested data, with its field path."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from every_string(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from every_string(value, path + (index,))
    elif isinstance(data, str):
        yield path, data

def read_yaml(path: Path) -> tuple[dict, _Lines]:
    """A YAML mapping and the line of every field in it; ContentError on bad YAML.

    Only plain YAML: checked on the parser's events before anything is built, so a
    hostile file is refused before it can take time or memory."""
    file = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError([Problem("error", file, f"cannot read the file: {exc}",
                                    "check the path and that it is UTF-8 text")]) from None
    if len(raw) > MAX_BYTES:
        raise ContentError([Problem("error", file, f"the file is over {MAX_BYTES // 1_000_000} MB",
                                    "a campaign file is a few KB: check it is the right file")])
    try:
        problems = _plain_yaml(text, file)
        root = None if problems else yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what, hint = f"not valid YAML: {getattr(exc, 'problem', None) or exc}", "check indentation and quoting near this line"
        at = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        if "\t" in at[:mark.column + 1 if mark else 0]:
            what, hint = "not valid YAML: a tab", "indent with spaces only (YAML does not allow tabs for indenting)"
        elif "mapping values are not allowed" in what:
            what = "not valid YAML: ': ' inside a value, which YAML reads as a key and its value"
            hint = "put the value in quotes, e.g. lead: \"Worried: call us\""
        raise ContentError([Problem("error", file, what, hint, line=mark.line + 1 if mark else None)]) from None
    if problems:
        raise ContentError(problems)
    if not isinstance(root, yaml.MappingNode):
        raise ContentError([Problem("error", file, "the file must be a mapping of fields",
                                    "write 'key: value' lines", line=1)])
    lines = _Lines()
    lines.end = root.end_mark.line + (1 if root.end_mark.column else 0)
    data = _to_python(root, (), lines, problems, file, yaml.constructor.SafeConstructor())
    if problems:
        raise ContentError(problems[:MAX_PROBLEMS])
    # Bounded so that checking every character and phone number stays quick.
    if sum(len(text) for _, text in every_string(data)) > MAX_TEXT:
        raise ContentError([Problem("error", file, f"the file has over {MAX_TEXT:,} characters of text",
                                    "a campaign has a few thousand: check it is the right file")])
    return data, lines
