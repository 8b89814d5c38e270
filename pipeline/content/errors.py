"""Validation against the schema, every pydantic error turned into a Problem in the editor's
words: line, field, what is wrong and how to fix it."""
from __future__ import annotations

import difflib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..problems import ContentError, Problem
from .brand import FONT_FILE, RGB_PATTERN
from .fields import HOST_PATTERN, IMAGE_FILE, Wrong
from .yamlfile import MAX_PROBLEMS, dotted_path, _Lines


# A value of the wrong kind, in the editor's words (pydantic says "Input should be a
# valid dictionary or instance of Colour"): what the field needs, and how to write it.
_MAPPING = ("a mapping of fields", "write 'name: value' lines under it, indented by two spaces more")
KINDS = {
    "list_type": ("a list", "write it as [first, second], or one '- item' a line under it"),
    "dict_type": _MAPPING, "model_type": _MAPPING, "model_attributes_type": _MAPPING,
    "string_type": ("text", "quote the value if YAML read it as something else"),
    "int_type": ("a whole number", "write digits only, e.g. 12"),
    "int_parsing": ("a whole number", "write digits only, e.g. 12"),
    "int_from_float": ("a whole number", "write digits only, e.g. 12"),
    "float_type": ("a number", "write digits, e.g. 2.5"), "float_parsing": ("a number", "write digits, e.g. 2.5"),
    "bool_type": ("true or false", "write true or false"), "bool_parsing": ("true or false", "write true or false"),
    **dict.fromkeys(["date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"],
                    ("a date", "write dates as YYYY-MM-DD, e.g. 2019-01-21")),
}


def _kind_of(value: Any) -> str:
    """What YAML made of a value, as an editor would say it."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:60]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of fields"
    return f"a {type(value).__name__}"


def _hint(err: dict, model_fields: list[str]) -> str:
    kind = err["type"]
    if kind in KINDS:
        return KINDS[kind][1]
    error = err.get("ctx", {}).get("error")
    if isinstance(error, Wrong):
        return error.hint
    if kind == "string_pattern_mismatch":
        return f"write {FORMS.get(err['ctx']['pattern'], 'it in the form the field reference (docs/fields.md) shows')}"
    ctx = err.get("ctx", {})
    bounds = {"string_too_short": "write at least {min_length} characters",
              "string_too_long": "write at most {max_length} characters",
              "too_short": "list at least {min_length}", "too_long": "list at most {max_length}",
              "greater_than_equal": "write a number of {ge} or more", "greater_than": "write a number over {gt}",
              "less_than_equal": "write a number of {le} or less", "less_than": "write a number under {lt}",
              "literal_error": "write {expected}"}
    if kind in bounds:
        try:
            return bounds[kind].format(**ctx)
        except (KeyError, IndexError):
            pass
    if kind == "extra_forbidden" and err["loc"][-1] in RENAMED:
        return RENAMED[err["loc"][-1]]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(err["loc"][-1]), model_fields, n=1)
        return f"did you mean {close[0]!r}?" if close else "remove it, or check the spelling"
    if kind == "missing":
        where = dotted_path(tuple(err["loc"][:-1]))
        return f"add '{err['loc'][-1]}:'" + (f" under '{where}'" if where else " (at the top level, no indent)")
    if kind.startswith("string") or kind == "date_from_datetime_parsing":
        return "quote the value if YAML read it as something else"
    if kind.startswith("date"):
        return "write dates as YYYY-MM-DD"
    return ""


def _model_at(model: Any, loc: tuple) -> Any:
    """The model of the mapping that holds the field at `loc` (None if not a model)."""
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model else None
        if field is None:
            return None
        ann = field.annotation
        for candidate in (ann, *getattr(ann, "__args__", ())):
            candidate = getattr(candidate, "__origin__", candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
                break
            inner = getattr(candidate, "__args__", ())
            found = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
            if found:
                model = found[0]
                break
        else:
            return None
    return model


def _fields_at(model: Any, loc: tuple) -> list[str]:
    """Names of the fields a mapping at `loc` may have, for 'did you mean' hints."""
    holder = _model_at(model, loc)
    return list(holder.model_fields) if holder else []


def _description(model: Any, loc: tuple) -> str:
    """What the field at `loc` is and prints (its schema description), or ''."""
    holder = _model_at(model, loc)
    field = holder.model_fields.get(loc[-1]) if holder and loc and isinstance(loc[-1], str) else None
    if field is None:
        return ""
    if field.description:
        return field.description
    inner = [a for a in (field.annotation, *getattr(field.annotation, "__args__", ()))
             if isinstance(a, type) and issubclass(a, BaseModel)]
    return (inner[0].__doc__ or "").split("\n\n")[0].strip() if inner else ""


M = TypeVar("M", bound=BaseModel)

# What each pattern in the schema asks for, in words (regex wording never reaches users).
FORMS = {
    r"^[a-z0-9_-]+$": "lower case letters, digits, '-' or '_'",
    r"^\*+$": "one or more '*'",
    r"^#\w+$": "'#' and a word, e.g. #TalkToUs",
    r"^@\w+$": "'@' and a word, e.g. @ExamplePolice",
    r"^[a-z0-9]+(-[a-z0-9]+)*$": "lower case letters and digits, words joined by '-'",
    r"^[a-z]{2,3}$": "a language code such as ur",
    r"^[a-z]{2,3}(-[A-Z]{2})?$": "a language code such as en-GB or ur",
    r"^[A-Za-z0-9][A-Za-z0-9 ]{0,60}$": "a font family name: letters, digits and spaces",
    FONT_FILE: "a font file name in fonts/, e.g. AtkinsonHyperlegible-Regular.ttf",
    r"^[a-z][a-z0-9]{0,3}$": "a short code: a lower-case letter and up to 3 letters or digits, e.g. pa3",
    RGB_PATTERN: '"#rrggbb" in quotes (six hex digits after \'#\'), e.g. "#9e1b22"',
    HOST_PATTERN: "a full host name in lower case, e.g. www.example.police.uk (no https://, no path)",
    IMAGE_FILE: "an image file's path in assets/ (no '.' or '..' part), ending .png, .jpg or .svg, "
                "e.g. images/hands-and-phone.jpg",
}

# Keys renamed since earlier campaign files, and what to write now.
RENAMED = {
    "allowed_domains": "renamed 'allowed_hosts': list full host names exactly as in the url, "
                       "e.g. allowed_hosts: [www.example.police.uk]",
}


def validate(data: dict, model: type[M], file: str, lines: _Lines) -> M:
    """Validate `data` against `model`; every error with its line, field and a hint."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        errors = exc.errors()[:MAX_PROBLEMS]
        # A misspelt key ("straplin:") is one error, its did-you-mean, not also the key missing.
        misspelt = {tuple(err["loc"][:-1]) + (close[0],) for err in errors if err["type"] == "extra_forbidden"
                    for close in [difflib.get_close_matches(str(err["loc"][-1]),
                                                            _fields_at(model, tuple(err["loc"])), n=1)] if close}
        for err in errors:
            loc = tuple(err["loc"])
            if err["type"] == "missing" and loc in misspelt:
                continue
            msg = err["msg"].removeprefix("Value error, ")
            line = lines.line(loc)
            if err["type"] == "extra_forbidden":
                msg = f"unknown key {str(loc[-1])[:80]!r}"
            elif err["type"] == "string_pattern_mismatch":
                msg = f"{str(err['input'])[:80]!r} is not in the expected form"
            elif err["type"] in KINDS:
                msg = f"needs {KINDS[err['type']][0]}, not {_kind_of(err.get('input'))}"
            elif err["type"] in ("too_short", "too_long") and "actual_length" in err.get("ctx", {}):
                ctx = err["ctx"]
                need = (f"at least {ctx['min_length']}" if err["type"] == "too_short"
                        else f"at most {ctx['max_length']}")
                msg = f"has {ctx['actual_length']} item{'s' if ctx['actual_length'] != 1 else ''}; it needs {need}"
            elif err["type"] == "missing":
                # At the line of the section it belongs in, or the end of the file;
                # saying what the field prints, and where.
                msg = f"missing '{loc[-1]}'"
                about = _description(model, loc)
                msg += f": {about[0].lower()}{about[1:]}" if about else ""
                line = lines.line(loc[:-1]) if len(loc) > 1 else (lines.end or line)
            problems.append(Problem("error", file, msg, _hint(err, _fields_at(model, loc)),
                                    line=line, field=dotted_path(loc) or None))
        raise ContentError(problems) from None
