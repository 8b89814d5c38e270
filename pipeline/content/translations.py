"""A campaign's translations: every translatable string replaced from its file, nothing
missing and every figure's digits kept."""
from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path
from typing import Any

from .. import confirm
from ..problems import ContentError, Problem
from .errors import validate
from .fields import RTL_LANGUAGES
from .model import Campaign, LoadedCampaign
from .rules import (_bad_characters, _discreet_words, _labels_in_language, _revealing, _stray_addresses, _stray_numbers,
                    emergency_in_translation, known_hosts, known_numbers)
from .yamlfile import dotted_path, every_string, read_yaml


# A thousands separator is not part of a number: 1,347 (English), 1.347 (Romanian) and
# 1347 (Polish, where a comma marks decimals) are one number. Only before exactly three
# digits, so "1.5" and a phone number's groups ("0808 802 0300") stay as they are.
THOUSANDS = re.compile(r"(?<=[0-9])[,.\u00a0\u2009\u202f](?=[0-9]{3}(?![0-9]))")


def digit_groups(text: str) -> list[str]:
    return re.findall(r"[0-9]+", unicodedata.normalize("NFKC", THOUSANDS.sub("", text)))


# Never translated: numbers, addresses, codes. A translation may not set them, except
# the page its code opens (qr.url) and the address printed for it (qr.label): the
# force's page in that language, checked against the campaign's qr.allowed_hosts.
FIXED = re.compile(r"^qr\.(?!url$|label$)|"
                   r"^(social|variants|language|launch|ends|translation|revealing_words|brand|products|orders|bilingual|"
                   r"source_documents|emergency_words)(\.|\[|$)|"
                   r"^sources\[\d+\]\.(id|mark)$|^statistics\[\d+\]\.source$|"
                   r"^report\.(non_emergency|emergency)$|^report\.text_relay\[\d+\]\.number$|"
                   r"^support\[\d+\]\.(phone|email|web)$|"
                   r"^easy_read\.(status|note)$|^easy_read\.sections\[\d+\]\.sentences\[\d+\]\.picture$|"
                   r"^(show\.[^.]+\.)?image\.(file|focal_point)$|^show\.[^.]+\.(support|signs)$")
# Proper names: kept in English unless the translation gives them.
OPTIONAL = re.compile(r"^(name|force)$|^sources\[\d+\]\.name$|^support\[\d+\]\.(name|discreet_name)$|"
                      r"^more_support\[\d+\]$|^(show\.[^.]+\.)?image\.(alt|credit)$|^qr(\.(url|label))?$")


UNSEALED = ("It says approved, but no coordinator's seal on this machine holds for it: approved by hand, changed "
            "since its approval (it, or the English it translates), or approved where another key is "
            "(campaign-print approve-translation).")


def sealed_strings(base: LoadedCampaign, data: dict) -> dict[str, list]:
    """What an approval seals (confirm.translation_seal), by dotted key: each string of
    the translation file (its `translation:` block aside) with the English it translates,
    each translatable English string the file leaves in English, and each support
    service's number, so a translation approved against one English text is a draft
    again when that English, or the service a translated note stands under, changes."""
    english = dict(every_string(base.campaign.model_dump(mode="json", exclude={"translation"})))
    given = {path_: text for path_, text in every_string(data) if path_[0] != "translation"}
    kept = {path_ for path_ in english if not FIXED.search(dotted_path(path_)) or
            (path_[0] == "support" and path_[-1] == "phone")}
    return {dotted_path(path_): [given.get(path_), english.get(path_)] for path_ in sorted(kept | set(given), key=str)}


def translation_path(source: Path, language: str) -> Path:
    return source.parent / "translations" / source.stem / f"{language}.yaml"


def load_translation(base: LoadedCampaign, language: str) -> LoadedCampaign:
    """The campaign with every translatable string replaced from its translation file.

    A string the file leaves out is an error naming the key, never silent English;
    a translated string must carry exactly the digits of the original."""
    path = translation_path(base.path, language)
    file = str(path)
    if not path.is_file():
        raise ContentError([Problem("error", str(base.path), f"no translation file for language {language!r}",
                                    f"create {path} or remove {language!r} from variants.languages.codes",
                                    field="variants.languages.codes")])
    data, lines = read_yaml(path)
    english = base.campaign.model_dump(mode="json", exclude={"translation"})
    if "easy_read" not in data:  # translated whole or not at all: without it, no Easy Read in this language
        english.pop("easy_read", None)
    rtl = language in RTL_LANGUAGES
    problems = _bad_characters(data, file, lines, rtl) + _stray_numbers(known_numbers(base.campaign), data, file, lines)
    problems += _stray_addresses(known_hosts(base.campaign), data, file, lines, skip=(("qr", "label"),))
    given = dict(every_string(data))
    emergency_words = base.campaign.emergency_words.get(language, [])
    merged = _deep_copy(english)
    english_paths = {p for p, _ in every_string(english)}
    # A misspelt key ("leed:") is said once, as unknown with its did-you-mean, not
    # again as the key it should have been missing.
    misspelt = {path_[:-1] + (close[0],) for path_ in given if path_ not in english_paths
                and isinstance(path_[-1], str) and isinstance(_holder(english, path_), dict)
                for close in [difflib.get_close_matches(path_[-1], list(_holder(english, path_)), n=1)] if close}
    for path_, text in every_string(english):
        dotted = dotted_path(path_)
        if FIXED.search(dotted):
            continue
        if path_ not in given:
            if not OPTIONAL.search(dotted) and path_ not in misspelt:
                problems.append(Problem("error", file, f"missing translation for {dotted}",
                                        f"add it; the English is: {text!r}", line=lines.line(path_[:-1]), field=dotted))
            continue
        translated = given[path_]
        # Full-width or other scripts' digits read as the same number: compare after
        # NFKC, and print Western digits only.
        if digit_groups(translated) != digit_groups(text) or any(c.isdigit() and not c.isascii() for c in translated):
            problems.append(Problem("error", file, f"the digits of {dotted} differ from the original "
                                                   f"({' '.join(digit_groups(text)) or 'none'})",
                                    "numbers and figures must be copied exactly, in Western digits",
                                    line=lines.line(path_), field=dotted))
        wrong_role = emergency_in_translation(text, translated, emergency_words)
        if wrong_role:
            problems.append(Problem("error", file, f"{dotted}: {wrong_role}",
                                    "999 (or 112) is for an emergency, 101 for what is not one: translate the "
                                    "English sentence's meaning with its number", line=lines.line(path_), field=dotted))
        _set(merged, path_, translated)
    for path_, _ in given.items():
        dotted = dotted_path(path_)
        if path_[:1] in (("language",), ("translation",)):
            continue
        if FIXED.search(dotted):
            problems.append(Problem("error", file, f"{dotted} cannot be translated",
                                    "numbers, addresses and codes come from the campaign file; remove it here",
                                    line=lines.line(path_), field=dotted))
        elif path_ not in english_paths and path_[0] in english:  # an unknown top key is said once, below
            problems.append(Problem("error", file, f"{dotted} is not in the campaign",
                                    _close_key(english, path_) or
                                    "check the key and the list positions against the campaign file",
                                    line=lines.line(path_), field=dotted))
    unknown_top = set(data) - set(english) - {"language", "translation"}
    for key in sorted(unknown_top):
        problems.append(Problem("error", file, f"unknown key {key!r}",
                                _close_key(english, (key,)) or "remove it, or check the spelling",
                                line=lines.line((key,)), field=key))
    if str(data.get("language", "")).split("-")[0] != language:
        problems.append(Problem("error", file, f"language must be {language!r} (the file name)",
                                f"write 'language: {language}'", line=lines.line(("language",)), field="language"))
    if "translation" not in data:
        problems.append(Problem("error", file, "missing 'translation: {status: draft|approved}'",
                                "say whether a qualified translator has approved it", line=1, field="translation"))
    if problems:
        raise ContentError(problems)
    merged["language"] = data["language"]
    merged["translation"] = data["translation"]
    campaign = validate(merged, Campaign, file, lines)
    translation = campaign.translation
    if translation.status == "approved" and not confirm.translation_sealed(
            base.slug, language, sealed_strings(base, data), translation.approved_by or "", translation.seal):
        campaign = campaign.model_copy(update={"translation": translation.model_copy(
            update={"status": "draft", "note": UNSEALED})})
    # The translated words are checked as the campaign's are: a discreet name in the
    # translation that reveals fails here, as the build's preflight would refuse it.
    problems = _revealing(campaign, file, lines) + _discreet_words(campaign, base.brand, file, lines)
    problems += _labels_in_language(campaign, language, file, lines)
    if problems:
        raise ContentError(problems)
    return LoadedCampaign(slug=base.slug, path=path, campaign=campaign, brand=base.brand, language=language,
                          lines=lines)


def _holder(data: Any, path: tuple) -> Any:
    """The mapping or list that holds the value at `path`, or None."""
    for part in path[:-1]:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _close_key(english: dict, path: tuple) -> str:
    """'did you mean ...?' for a key the campaign does not have at `path`, or ''."""
    holder: Any = english
    for depth, part in enumerate(path[:-1]):
        try:
            holder = holder[part]
        except (KeyError, IndexError, TypeError):
            return _close_key(english, path[:depth + 1]) if depth else ""
    if not isinstance(holder, dict) or not isinstance(path[-1], str):
        return ""
    close = difflib.get_close_matches(path[-1], [k for k in holder if isinstance(k, str)], n=1)
    return f"did you mean {dotted_path(path[:-1] + (close[0],))!r}?" if close else ""


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data


def _set(data: Any, path: tuple, value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value

