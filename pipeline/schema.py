"""The content format, for editors: a JSON Schema (autocompletion and inline errors in
an editor) and a field reference in Markdown, both made from the campaign model
itself, so neither can drift from what the pipeline accepts.

    campaign-print schema    # writes docs/campaign.schema.json, brand.schema.json, translation.schema.json, fields.md
"""
from __future__ import annotations

import json
from typing import Any

from .content import FIXED, OPTIONAL, Brand, Campaign

SCHEMA_ID = "https://campaign-print.invalid/campaign.schema.json"


TRANSLATION = "translation"  # schema_text(TRANSLATION): a translation file's schema


def json_schema(model: Any = Campaign) -> dict:
    if model == TRANSLATION:
        return translation_schema()
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID if model is Campaign else SCHEMA_ID.replace("campaign.", "brand.")
    return schema


def translation_schema() -> dict:
    """A translation file (content/translations/<campaign>/<code>.yaml): the campaign's
    keys less those never translated (numbers, addresses, codes: content.FIXED), proper
    names optional (content.OPTIONAL), plus `language` and `translation`."""
    schema = json_schema(Campaign)
    schema["$id"] = SCHEMA_ID.replace("campaign.", "translation.")
    schema["title"] = "Translation"
    schema["description"] = ("A translation of a campaign: content/translations/<campaign>/<code>.yaml, with the "
                             "campaign's keys; numbers, addresses and codes come from the campaign file.")

    def prune(node: dict, prefix: str) -> None:
        node = _resolve(schema, node)
        if node.get("type") == "array" or "items" in node:
            prune(node.get("items", {}), prefix + "[0]")
        for option in node.get("anyOf", []):
            prune(option, prefix)
        props = node.get("properties")
        if props is None:
            return
        for name in list(props):
            dotted = f"{prefix}.{name}" if prefix else name
            if name == "translation" and not prefix:
                continue  # the translation's own status and note
            if FIXED.search(dotted):
                del props[name]
            else:
                prune(props[name], dotted)
        required = [r for r in node.get("required", []) if r in props
                    and not OPTIONAL.search(f"{prefix}.{r}" if prefix else r)]
        if required:
            node["required"] = required
        else:
            node.pop("required", None)

    prune(schema, "")
    schema["properties"]["language"] = {"type": "string", "pattern": r"^[a-z]{2,3}(-[A-Z]{2})?$",
                                        "description": "The translation's language: the file's name, e.g. ur"}
    schema["properties"]["translation"] = {"$ref": "#/$defs/Translation"}
    schema["required"] = ["language", "translation", *schema.get("required", [])]
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
    lines += ["## Translation file (`content/translations/<campaign>/<code>.yaml`)", "",
              "The campaign's keys, each string translated; numbers, phone numbers, addresses and codes are not "
              "translated and may not be given (`social`, `variants`, `bilingual`, `report.emergency`, "
              "`support[].phone`, `qr.allowed_hosts`, ...). Proper names (`name`, `support[].name`, sources' names) "
              "are optional: left out, they stay in English. So are `qr.url` and `qr.label`: the force's page in "
              "that language and its printed address, which the code opens and the products print, on the "
              "campaign's `qr.allowed_hosts` (checked as the campaign's are); left out, the campaign's page. "
              "Two keys of its own, both **required**: `language` (the code, as in the file's name) and "
              "`translation` (`status: draft`, an optional `note`; `approved` with its seal only from `campaign-print approve-translation`). A key the campaign does not "
              "have is an error with a did-you-mean. Schema: `docs/translation.schema.json`.", ""]
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
