"""The campaign schema and loading it from YAML, with line numbers for every error.

Content is validated completely before anything is rendered: every problem in a
file is collected and reported at once, each naming file, line and field path.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .problems import ContentError, Problem

# ---------------------------------------------------------------- field types

# Short codes a UK caller may dial; everything else is a full 11-digit number.
SHORT_CODES = {"999", "112", "101", "111", "55", "18000", "18001 101"}


def _uk_phone(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if value.strip() in SHORT_CODES:
        return value.strip()
    if not re.fullmatch(r"0\d{10}", digits):
        raise ValueError(
            f"{value!r} is not a valid UK phone number (want 0 and 10 more digits, "
            f"e.g. '0808 802 0300', or a short code such as 101 or 999)"
        )
    return value.strip()


def _text(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("is empty")
    return value


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", value, re.I):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(f"{value!r} is not an https:// address")
    return value


# Words that must never appear in a printed QR link: the link shows up in the
# browser history of a phone an abuser may read.
REVEALING_WORDS = ("stalk", "victim", "harass", "abuse", "domestic", "crime", "police")


def _neutral(value: str) -> str:
    if value != value.lower() or not re.fullmatch(r"[a-z0-9_-]+", value):
        raise ValueError(f"{value!r} must be lower case letters, digits, '-' or '_'")
    for word in REVEALING_WORDS:
        if word in value:
            raise ValueError(
                f"{value!r} contains {word!r}; tracking codes must be neutral because "
                "a victim's browser history may be read by the person stalking them"
            )
    return value


RTL_LANGUAGES = {"ar", "ur", "fa", "he", "ps", "ku"}

Text = Annotated[str, AfterValidator(_text)]
Phone = Annotated[str, AfterValidator(_uk_phone)]
Email = Annotated[str, AfterValidator(_email)]
HttpsUrl = Annotated[str, AfterValidator(_https_url)]
Neutral = Annotated[str, AfterValidator(_neutral)]


class Strict(BaseModel):
    # Unknown keys are errors: a typo must not silently drop a line from a poster.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# ---------------------------------------------------------------- the schema


class Strapline(Strict):
    lead: Text
    call: Text


class Definition(Strict):
    text: Text
    note: Text | None = None


class Source(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$")]
    mark: Annotated[str, Field(pattern=r"^\*+$")]
    name: Text


class Statistic(Strict):
    figure: Text
    text: Text
    source: str


class LocalFigure(Strict):
    figure: Text
    text: Text


class LocalFigures(Strict):
    heading: Text  # "In North Yorkshire"
    period: Text  # "In the year ending December 2018:"
    items: Annotated[list[LocalFigure], Field(min_length=1)]


class Perpetrator(Strict):
    who: Text
    detail: Text


class Myth(Strict):
    myth: Text
    fact: Text


class TextRelay(Strict):
    number: Phone
    text: Text  # what the number reaches, e.g. "for 999"


class Report(Strict):
    non_emergency: Phone
    emergency: Phone
    silent_solution: Text
    text_relay: list[TextRelay] = []


class Service(Strict):
    name: Text
    phone: Phone | None = None
    email: Email | None = None
    web: Text | None = None
    note: Text | None = None


class Social(Strict):
    hashtag: Annotated[str, Field(pattern=r"^#\w+$")]
    handle: Annotated[str, Field(pattern=r"^@\w+$")]


class Utm(Strict):
    source: Neutral
    medium: Neutral = "print"
    campaign: Neutral


def on_allow_list(url: str, domains: list[str]) -> bool:
    host = urlsplit(url).hostname or ""
    return any(host == d or host.endswith("." + d) for d in domains)


class QR(Strict):
    # Field order matters: allowed_domains is validated before url checks against it.
    allowed_domains: Annotated[list[str], Field(min_length=1)]
    url: HttpsUrl
    label: Text
    utm: Utm | None = None

    @field_validator("url")
    @classmethod
    def _url_on_allow_list(cls, url: str, info: ValidationInfo) -> str:
        domains = info.data.get("allowed_domains", [])
        if not on_allow_list(url, domains):
            raise ValueError(
                f"{urlsplit(url).hostname!r} is not on allowed_domains {domains}; "
                "only the force's own domains may be encoded in a QR code"
            )
        if urlsplit(url).query:
            raise ValueError("must be the bare page; tracking parameters go under qr.utm")
        return url


class Labels(Strict):
    """Every word the layouts print that is not a fact: headings and captions.

    Kept in content so that a translation translates them too."""

    report_it: Text
    report_and_support: Text
    emergency: Text
    non_emergency: Text
    text_relay: Text
    get_support: Text
    also: Text
    details_at: Text
    scan_or_visit: Text
    what_is: Text
    signs: Text
    tips: Text
    who: Text
    myths: Text
    myth: Text
    fact: Text
    according_to: Text
    in_partnership_with: Text
    useful_numbers: Text  # the outside of the discreet wallet card: says nothing of stalking
    local: Text  # district posters; {district} is replaced by the district's name

    @field_validator("local")
    @classmethod
    def _has_district(cls, value: str) -> str:
        if "{district}" not in value:
            raise ValueError("must contain {district}, replaced by each district's name")
        return value


Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


class District(Strict):
    name: Text
    # Copies to print, per product, where it differs from the axis default.
    copies: dict[str, Annotated[int, Field(ge=0)]] = {}


class Partner(Strict):
    id: Annotated[Slug, AfterValidator(_neutral)]  # in file names and the QR's utm_content
    name: Text
    logo: str  # a file in assets/ (SVG preferred; raster at 300 ppi)
    contact: Text
    products: Annotated[list[str], Field(min_length=1)]
    copies: dict[str, Annotated[int, Field(ge=0)]] = {}


class DistrictAxis(Strict):
    products: Annotated[list[str], Field(min_length=1)]
    copies: dict[str, Annotated[int, Field(ge=0)]] = {}
    items: list[District]


class PartnerAxis(Strict):
    copies: dict[str, Annotated[int, Field(ge=0)]] = {}
    items: list[Partner]


class LanguageAxis(Strict):
    # Languages other than the campaign's own: content/translations/<campaign>/<code>.yaml
    codes: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]]
    products: Annotated[list[str], Field(min_length=1)]


class Variants(Strict):
    districts: DistrictAxis | None = None
    partners: PartnerAxis | None = None
    languages: LanguageAxis | None = None


class Translation(Strict):
    status: Literal["draft", "approved"]
    note: Text | None = None


class Campaign(Strict):
    name: Text
    force: Text
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]
    launch: dt.date
    ends: dt.date
    strapline: Strapline
    intro: Text
    definition: Definition
    sources: list[Source]
    statistics: Annotated[list[Statistic], Field(min_length=1)]
    local_figures: LocalFigures
    signs: list[Text]
    perpetrators: list[Perpetrator]
    myths: list[Myth]
    tips: list[Text]
    report: Report
    support: Annotated[list[Service], Field(min_length=1)]
    more_support: list[Text] = []
    social: Social
    qr: QR
    labels: Labels
    variants: Variants = Variants()
    translation: Translation | None = None  # only in translation files

    @property
    def direction(self) -> str:
        return "rtl" if self.language.split("-")[0] in RTL_LANGUAGES else "ltr"

    @field_validator("statistics")
    @classmethod
    def _sources_exist(cls, stats: list[Statistic], info: ValidationInfo) -> list[Statistic]:
        ids = [s.id for s in info.data.get("sources", [])]
        for stat in stats:
            if stat.source not in ids:
                raise ValueError(f"source {stat.source!r} is not one of the sources {ids}; "
                                 "add it under 'sources:' or fix the id")
        return stats

    @model_validator(mode="after")
    def _dates_in_order(self) -> "Campaign":
        if self.ends < self.launch:
            raise ValueError(f"ends ({self.ends}) is before launch ({self.launch})")
        return self

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)


# ---------------------------------------------------------------- loading


class _Lines:
    """Maps a field path such as ('support', 2, 'phone') to its line in the file."""

    def __init__(self) -> None:
        self.lines: dict[tuple, int] = {}

    def line(self, loc: tuple) -> int | None:
        while loc not in self.lines and loc:
            loc = loc[:-1]
        return self.lines.get(loc)


_SCALARS = yaml.SafeLoader("")


def _to_python(node: yaml.Node, path: tuple, lines: _Lines, problems: list, file: str) -> Any:
    lines.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in out:
                problems.append(Problem(
                    "error", file, f"duplicate key {key!r}", "remove one of them; YAML keeps only the last",
                    line=key_node.start_mark.line + 1, field=_dotted(path + (key,)),
                ))
            out[key] = _to_python(value_node, path + (key,), lines, problems, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(n, path + (i,), lines, problems, file) for i, n in enumerate(node.value)]
    # Scalars: let the safe constructor decide the type (dates, numbers, strings).
    return _SCALARS.construct_object(node, deep=True)


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _hint(err: dict, model_fields: list[str]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(err["loc"][-1]), model_fields, n=1)
        return f"did you mean {close[0]!r}?" if close else "remove it, or check the spelling"
    if kind == "missing":
        return f"add '{err['loc'][-1]}:' here"
    if kind.startswith("string") or kind == "date_from_datetime_parsing":
        return "quote the value if YAML read it as something else"
    if kind.startswith("date"):
        return "write dates as YYYY-MM-DD"
    return ""


def _fields_at(model: Any, loc: tuple) -> list[str]:
    """Names of the fields a mapping at `loc` may have, for 'did you mean' hints."""
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
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
            return []
    return list(model.model_fields)


M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path) -> tuple[dict, _Lines]:
    """A YAML mapping and the line of every field in it; ContentError on bad YAML."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError([Problem("error", file, f"cannot read the file: {exc}",
                                    "check the path and that it is UTF-8 text")]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError([Problem(
            "error", file, f"not valid YAML: {getattr(exc, 'problem', exc)}",
            "check indentation and quoting near this line",
            line=mark.line + 1 if mark else None)]) from None
    if not isinstance(root, yaml.MappingNode):
        raise ContentError([Problem("error", file, "the file must be a mapping of fields",
                                    "write 'key: value' lines", line=1)])
    problems: list[Problem] = []
    lines = _Lines()
    data = _to_python(root, (), lines, problems, file)
    if problems:
        raise ContentError(problems)
    return data, lines


def validate(data: dict, model: type[M], file: str, lines: _Lines) -> M:
    """Validate `data` against `model`; every error with its line, field and a hint."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = f"unknown key {loc[-1]!r}"
            problems.append(Problem("error", file, msg, _hint(err, _fields_at(model, loc)),
                                    line=lines.line(loc), field=_dotted(loc) or None))
        raise ContentError(problems) from None


def load_model(path: Path, model: type[M]) -> M:
    """Load a YAML file into `model`; raise ContentError listing every problem."""
    data, lines = read_yaml(path)
    return validate(data, model, str(path), lines)


# ---------------------------------------------------------------- numbers in text

PHONE_IN_TEXT = re.compile(r"(?<!\d)(?<!\d )0\d{2,4}(?: ?\d){6,8}(?!\d)")


def _strings(data: Any, path: tuple = ()):
    """Every string in nested data, with its field path."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, path + (index,))
    elif isinstance(data, str):
        yield path, data


def _stray_numbers(campaign: Campaign, data: dict, file: str, lines: _Lines) -> list[Problem]:
    """A phone number written into running text must be one of the campaign's own
    numbers: a typo in a partner's contact line would otherwise go to print."""
    known = {re.sub(r"\D", "", s.phone) for s in campaign.support if s.phone}
    problems = []
    for path, text in _strings(data):
        if path and path[-1] == "phone":
            continue
        for number in PHONE_IN_TEXT.findall(text):
            if re.sub(r"\D", "", number) not in known:
                problems.append(Problem(
                    "error", file, f"the number {number!r} is not one of the support numbers",
                    "check every digit against the source; add the service under 'support:' if it is new",
                    line=lines.line(path), field=_dotted(path)))
    return problems


# ---------------------------------------------------------------- campaigns and translations

# Never translated: numbers, addresses, codes. A translation may not set them.
FIXED = re.compile(r"^(qr|social|variants|language|launch|ends|translation)(\.|\[|$)|"
                   r"^sources\[\d+\]\.(id|mark)$|^statistics\[\d+\]\.source$|"
                   r"^report\.(non_emergency|emergency)$|^report\.text_relay\[\d+\]\.number$|"
                   r"^support\[\d+\]\.(phone|email|web)$")
# Proper names: kept in English unless the translation gives them.
OPTIONAL = re.compile(r"^(name|force)$|^sources\[\d+\]\.name$|^support\[\d+\]\.name$|^more_support\[\d+\]$")


@dataclass(frozen=True)
class LoadedCampaign:
    """A validated campaign (or one translation of it) and where it came from."""

    slug: str  # the campaign file's stem: names the output folder
    path: Path
    campaign: Campaign
    language: str | None = None  # None: the campaign's own language

    @property
    def draft(self) -> bool:
        return self.campaign.translation is not None and self.campaign.translation.status == "draft"


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
    problems: list[Problem] = []
    given = dict(_strings(data))
    merged = _deep_copy(english)
    for path_, text in _strings(english):
        dotted = _dotted(path_)
        if FIXED.search(dotted):
            continue
        if path_ not in given:
            if not OPTIONAL.search(dotted):
                problems.append(Problem("error", file, f"missing translation for {dotted}",
                                        f"add it; the English is: {text!r}", line=lines.line(path_[:-1]), field=dotted))
            continue
        translated = given[path_]
        if re.findall(r"\d+", translated) != re.findall(r"\d+", text):
            problems.append(Problem("error", file, f"the digits of {dotted} differ from the original "
                                                   f"({' '.join(re.findall(r'[0-9]+', text)) or 'none'})",
                                    "numbers and figures must be copied exactly, in Western digits",
                                    line=lines.line(path_), field=dotted))
        _set(merged, path_, translated)
    english_paths = {p for p, _ in _strings(english)}
    for path_, _ in given.items():
        dotted = _dotted(path_)
        if path_[:1] in (("language",), ("translation",)):
            continue
        if FIXED.search(dotted):
            problems.append(Problem("error", file, f"{dotted} cannot be translated",
                                    "numbers, addresses and codes come from the campaign file; remove it here",
                                    line=lines.line(path_), field=dotted))
        elif path_ not in english_paths:
            problems.append(Problem("error", file, f"{dotted} is not in the campaign",
                                    "check the key and the list positions against the campaign file",
                                    line=lines.line(path_), field=dotted))
    unknown_top = set(data) - set(english) - {"language", "translation"}
    for key in sorted(unknown_top):
        problems.append(Problem("error", file, f"unknown key {key!r}", "remove it", line=lines.line((key,)), field=key))
    if data.get("language", "").split("-")[0] != language:
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
    return LoadedCampaign(slug=base.slug, path=path, campaign=campaign, language=language)


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


def load_campaign(path: Path) -> LoadedCampaign:
    data, lines = read_yaml(path)
    campaign = validate(data, Campaign, str(path), lines)
    problems = _stray_numbers(campaign, data, str(path), lines)
    if campaign.translation is not None:
        problems.append(Problem("error", str(path), "'translation:' belongs in translation files only",
                                "remove it", line=lines.line(("translation",)), field="translation"))
    if problems:
        raise ContentError(problems)
    return LoadedCampaign(slug=path.stem, path=path, campaign=campaign)


def load_campaigns(paths: list[Path]) -> list[LoadedCampaign]:
    """Every campaign and each of its translations; all problems of all files at once."""
    loaded, problems = [], []
    for path in paths:
        try:
            base = load_campaign(path)
        except ContentError as exc:
            problems += exc.problems
            continue
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
