"""The content format, for editors: a JSON Schema (autocompletion and inline errors in
an editor) and a field reference in Markdown, both made from the campaign model
itself, so neither can drift from what the pipeline accepts.

    campaign-print schema                      # writes docs/campaign.schema.json and docs/fields.md
"""
from __future__ import annotations

import json
from typing import Any

from .content import Brand, Campaign

SCHEMA_ID = "https://campaign-print.invalid/campaign.schema.json"


def json_schema(model: Any = Campaign) -> dict:
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID if model is Campaign else SCHEMA_ID.replace("campaign.", "brand.")
    return schema


def schema_text(model: Any = Campaign) -> str:
    return json.dumps(json_schema(model), indent=2, ensure_ascii=False) + "\n"


def field_reference() -> str:
    """Every field of a campaign and a brand file: type, required or default, what it
    prints where, limits, examples."""
    lines = ["# Content fields", "",
             "Made by `campaign-print schema` from the pipeline's own model; do not edit by hand.",
             "Required fields are marked **required**; every other field may be left out, and",
             "a section left out prints nothing (no heading without content).", ""]
    for title, model in (("Campaign file (`content/<campaign>.yaml`)", Campaign),
                         ("Brand file (`content/brands/<brand>.yaml`)", Brand)):
        schema = json_schema(model)
        lines += [f"## {title}", "", _clean(schema.get("description", "")), ""]
        lines += _table(schema, schema, "")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _table(schema: dict, node: dict, prefix: str, depth: int = 0) -> list[str]:
    rows = ["| field | type | | what it is, where it prints |", "|---|---|---|---|"] if depth == 0 else []
    required = set(node.get("required", []))
    nested = []
    for name, prop in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        target = _target(schema, prop)
        kind = _type(schema, prop)
        default = prop.get("default")
        need = ("**required**" if name in required else "" if default in (None, [], {}) else
                "default: see below" if isinstance(default, dict) else f"default `{json.dumps(default)}`")
        about = _clean(prop.get("description") or (target or {}).get("description", ""))
        limits = _limits(prop)
        example = prop.get("examples")
        text = about + (f" {limits}." if limits else "") + (f" Example: `{json.dumps(example[0], ensure_ascii=False)}`."
                                                           if example else "")
        rows.append(f"| `{path}` | {kind} | {need} | {text.strip()} |")
        if target and "properties" in target and depth < 3:
            is_list = any(option.get("type") == "array" for option in [prop, *prop.get("anyOf", [])])
            nested.append((path + ("[]." if is_list else "."), target))
    for path, target in nested:
        rows += _table(schema, target, path, depth + 1)
    return rows


def _resolve(schema: dict, node: dict) -> dict:
    ref = node.get("$ref")
    return schema["$defs"][ref.rsplit("/", 1)[-1]] if ref else node


def _target(schema: dict, prop: dict) -> dict | None:
    """The object a field holds (itself, its list's items, or the non-null choice)."""
    for option in [prop, *prop.get("anyOf", [])]:
        option = _resolve(schema, option)
        if option.get("type") == "array":
            option = _resolve(schema, option.get("items", {}))
        if "properties" in option:
            return option
    return None


def _type(schema: dict, prop: dict) -> str:
    options = [_resolve(schema, o) for o in prop.get("anyOf", [prop])]
    names = []
    for option in options:
        kind = option.get("type")
        if kind == "null":
            continue
        if kind == "array":
            item = _resolve(schema, option.get("items", {}))
            names.append("list of " + ("sections" if "properties" in item else
                                       {"string": "text"}.get(item.get("type"), "values")))
        elif option.get("format") == "date":
            names.append("date")
        elif "properties" in option:
            names.append("section")
        elif kind == "object":
            names.append("mapping")
        else:
            names.append({"string": "text", "integer": "number", "number": "number",
                          "boolean": "yes/no"}.get(kind, kind or "value"))
    return " or ".join(dict.fromkeys(names)) or "value"


def _limits(prop: dict) -> str:
    parts = []
    for option in [prop, *prop.get("anyOf", [])]:
        if "minItems" in option:
            parts.append(f"at least {option['minItems']}")
        if "maxLength" in option:
            parts.append(f"at most {option['maxLength']} characters")
    return "; ".join(parts)


def _clean(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
