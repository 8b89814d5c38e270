"""The campaign schema and loading it from YAML, with line numbers for every error.

Content is validated completely before anything is rendered: every problem in a
file is collected and reported at once, each naming file, line and field path.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import unquote

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

from .inputs import (SHORT_CODES, _written_port, check_phone, check_text, check_url, find_phone_numbers, parse_url,
                     phone_key, plain)
from .confirm import logo_id, sealed
from .easyread import PICTURE_NAME, picture_wrong, sentence_wrong
from .problems import ContentError, Problem

# ---------------------------------------------------------------- field types


class Wrong(ValueError):
    """What a validator found wrong, and how to fix it (the Problem's hint)."""

    def __init__(self, what: str, hint: str):
        super().__init__(what)
        self.hint = hint


def _uk_phone(value: str) -> str:
    wrong = check_phone(value)
    if wrong:
        raise Wrong(wrong[0], "copy the number digit by digit from the source")
    return value.strip()


def _text(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise Wrong("is empty", "write the text, or remove the key if it is optional")
    return value


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", value, re.I):
        raise Wrong(f"{value!r} is not an email address", "write it as name@example.org")
    return value


def _neutral(value: str) -> str:
    """Tracking codes and ids are plain identifiers; which words would reveal the
    subject is the campaign's `revealing_words` (checked on the whole campaign)."""
    if not re.fullmatch(r"[a-z0-9_-]+", value):
        raise Wrong(f"{value!r} is not a plain code", "use lower case letters, digits, '-' or '_' only")
    return value


RTL_LANGUAGES = {"ar", "ur", "fa", "he", "ps", "ku"}

def _headline(value: str) -> str:
    """Text whose line breaks are the editor's: each line's spaces tidied, the breaks kept."""
    return _text(value) and "\n".join(line for line in (" ".join(part.split()) for part in value.splitlines()) if line)


Text = Annotated[str, AfterValidator(_text)]
Headline = Annotated[str, AfterValidator(_headline)]
Phone = Annotated[str, AfterValidator(_uk_phone)]
Email = Annotated[str, AfterValidator(_email)]
Neutral = Annotated[str, AfterValidator(_neutral)]


# What a reader takes for a letter: digits and signs written for letters ("Sta1king",
# "h4r4ss"), and letters of other scripts that look like Latin ones (Cyrillic "а",
# Greek "ο"). Accents go by decomposition (NFKD), so "Stálking" reads "stalking".
LOOK_ALIKE = str.maketrans({
    "0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "|": "l",
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ƀ": "b",
    "а": "a", "в": "b", "е": "e", "ѕ": "s", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ԁ": "d", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ɡ": "g", "ɩ": "i", "ʟ": "l",
    # Signs the project's fonts draw that read as letters ("§ecret", "©ode", "ƒear").
    "§": "s", "©": "c", "¢": "c", "®": "r", "€": "e", "℮": "e", "ƒ": "f", "¡": "i", "μ": "u", "×": "x",
    "¥": "y", "ȷ": "j", "∂": "d", "ð": "d", "ŋ": "n", "π": "n",
    # Arabic letters that read as Urdu's own: kaf as keheh, yeh and alef maksura as Farsi yeh, heh as heh goal.
    "ك": "ک", "ي": "ی", "ى": "ی", "ه": "ہ",
})
# Marks a reader reads a word through ("se-cret", "se.cret"), and letter spacing ("s e c r e t").
INSIDE_WORD = re.compile(r"(?<=[^\W_])[-‐‑‒–—.·•∙*_'’]+(?=[^\W_])")
LETTER_SPACED = re.compile(r"(?<![^\W_])[^\W_](?: [^\W_])+(?![^\W_])")


def folded(text: str) -> tuple[str, ...]:
    """`text` as a reader reads it, for matching words: case, accents, look-alikes and
    digits for letters folded; as "1" and "!" read as "l" or as "i"; with the marks
    and spaces a reader reads through inside a word left out; and an address's
    %-escapes decoded (a browser's history shows %73ecret as "secret").
    The first reading is the plain one (for the words themselves)."""
    readings: list[str] = []
    for variant in dict.fromkeys([text, _decoded(text)]):
        variant = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", variant).casefold())
        variant = "".join(c for c in variant if not unicodedata.combining(c)).translate(LOOK_ALIKE)
        for reading in (variant.replace("1", "l").replace("!", "i"), variant.replace("1", "i").replace("!", "i")):
            joined = LETTER_SPACED.sub(lambda m: m.group().replace(" ", ""),
                                       INSIDE_WORD.sub("", " ".join(reading.split())))
            readings += [reading, joined]
    return tuple(dict.fromkeys(readings))


def _decoded(text: str) -> str:
    """An address's %-escapes decoded, as often as they are nested (%2573 is %73 is s)."""
    for _ in range(4):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


class Strict(BaseModel):
    # Unknown keys are errors: a typo must not silently drop a line from a poster.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# ---------------------------------------------------------------- the schema


def described(text: str, *examples) -> Any:
    """A field's description (the editor's tooltip, the field reference, the hint of a
    "missing" error) and examples, for the JSON Schema."""
    return Field(description=text, examples=list(examples) or None)


class Strapline(Strict):
    """The headline, in two parts: printed largest on every poster, leaflet cover and card."""

    lead: Annotated[Headline, described(
        "First part of the headline. Written on several lines (a YAML block, `|-`), it breaks there on every "
        "product that holds them, by sense ('Worried about' / 'your partner's past?'); on one line, the "
        "layouts break it",
        "Something feels wrong?")]
    call: Annotated[Headline, described("Second part, the call to act, set in the accent colour; "
                                        "lines as for lead", "Talk to us.")]


class Definition(Strict):
    text: Annotated[Text, described("What the subject is, in one or two sentences (A5 front, DL inside); "
                            "its heading is labels.what_is")]
    note: Text | None = None


class Source(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$"), described("A short id that statistics refer to", "slt")]
    mark: Annotated[str, Field(pattern=r"^\*+$"), described("The footnote mark after each of its figures", "*")]
    name: Annotated[Text, described("Who published it: printed in the footnote 'According to ...'")]


class Statistic(Strict):
    figure: Annotated[Text, described("The figure, printed large", "96%")]
    text: Annotated[Text, described("What the figure counts, printed under it",
                                    "of people who called the helpline were helped the same day")]
    source: Annotated[str | None, described("The id of its source under `sources`: printed as a footnote mark")] = None


class LocalFigure(Strict):
    figure: Annotated[Text, described("The figure", "132")]
    text: Annotated[Text, described("What it counts", "crimes recorded")]


class LocalFigures(Strict):
    heading: Annotated[Text, described("Heading, naming the area", "In Riverside")]
    period: Annotated[Text, described("The period the figures cover", "In the year ending December 2025:")]
    items: Annotated[list[LocalFigure], Field(min_length=1)]


class Perpetrator(Strict):
    who: Annotated[Text, described("Who (a term in bold)", "An ex-partner")]
    detail: Annotated[Text, described("One or two sentences about them")]


class Myth(Strict):
    myth: Annotated[Text, described("What people wrongly believe, after labels.myth")]
    fact: Annotated[Text, described("The fact, after labels.fact")]


# Each reporting line has one role: a valid number in the wrong place (999 printed
# as the non-emergency line) sends a caller to the wrong service, so the roles are
# checked, not only the numbers.
def _easy_read_sentence(value: str) -> str:
    wrong = sentence_wrong(value)
    if wrong:
        raise Wrong(*wrong)
    return value


def _easy_read_picture(value: str) -> str:
    wrong = picture_wrong(value)
    if wrong:
        raise Wrong(*wrong)
    return value


class EasyReadSentence(Strict):
    picture: Annotated[str, Field(pattern=PICTURE_NAME), AfterValidator(_easy_read_picture), described(
        "The picture printed on its left: a name in assets/easy-read/ (an OpenMoji SVG); the same picture for "
        "the same idea throughout", "telephone")]
    text: Annotated[Text, AfterValidator(_easy_read_sentence), described(
        "One short sentence, one idea: at most 15 words and one number, everyday words, numbers as digits",
        "Call 999 if you are in danger now.")]


class EasyReadSection(Strict):
    heading: Annotated[Text, described("The section's heading", "Get help")]
    sentences: Annotated[list[EasyReadSentence], Field(min_length=1)]


class EasyRead(Strict):
    """The Easy Read leaflet's own words: written for it, never derived from the rest."""

    status: Annotated[Literal["draft", "approved"], described(
        "'draft' until people with learning disabilities have checked it (Easy Read guidance; preflight warns "
        "on a draft), then 'approved'", "draft")]
    note: Annotated[Text | None, described("Who wrote it, who is to check it")] = None
    title: Annotated[Text, described("The leaflet's title, on its first page", "Scams: what to do")]
    sections: Annotated[list[EasyReadSection], Field(min_length=1)]


EMERGENCY = ("999", "112")
NON_EMERGENCY = ("101",)
RELAY_EMERGENCY = "18000"  # Relay UK's emergency number (for 999)
RELAY_PREFIX = "18001"  # Relay UK's prefix before any other number


def _compact(number: str) -> str:
    return "".join(c for c in number if c.isdigit())


def _role(allowed: tuple[str, ...], role: str, other: str) -> Any:
    def check(value: str) -> str:
        if _compact(value) not in allowed:
            swapped = " (that is the " + other + ")" if _compact(value) in EMERGENCY + NON_EMERGENCY else ""
            raise Wrong(f"{value!r} is not the {role} number{swapped}",
                        f"write {' or '.join(repr(a) for a in allowed)}: the {role} line is printed beside "
                        f"this number")
        return value
    return AfterValidator(check)


class TextRelay(Strict):
    number: Annotated[Phone, described("The Relay UK prefix and number: 18000 for 999, 18001 then the number "
                                       "for any other", "18000")]
    text: Annotated[Text, described("What the number reaches", "for 999")]

    @model_validator(mode="after")
    def _relay_number(self) -> "TextRelay":
        number = _compact(self.number)
        if number != RELAY_EMERGENCY and not (number.startswith(RELAY_PREFIX) and len(number) > len(RELAY_PREFIX)):
            raise Wrong(f"{self.number!r} is not a Relay UK number",
                        f"write {RELAY_EMERGENCY} (text relay for 999) or {RELAY_PREFIX} and the number, "
                        f"e.g. '{RELAY_PREFIX} 101'")
        # The text names what the number reaches: "for 999" with 18000, "for 101" with 18001 101.
        reaches = EMERGENCY[0] if number == RELAY_EMERGENCY else number[len(RELAY_PREFIX):]
        named = [d for d in re.findall(r"\d+", unicodedata.normalize("NFKC", self.text))]
        if named and reaches not in named:
            raise Wrong(f"{self.number!r} reaches {reaches}, but its text says {self.text!r}",
                        f"text relay for 999 is {RELAY_EMERGENCY}, for 101 it is {RELAY_PREFIX} 101: "
                        "check the number and its text go together")
        return self


SILENT_SOLUTION = "55"  # pressed after 999 when the caller cannot speak


def _numbers_named(text: str) -> set[str]:
    """The numbers a text names, as dialled ("18001 101" is one), in Western digits."""
    return {str(int(n.replace(" ", ""))) if n.replace(" ", "").isdigit() else n
            for n in re.findall(r"\d+(?: \d+)*", unicodedata.normalize("NFKC", text))}


class Report(Strict):
    """How to report to the police: printed on every poster, leaflet and card."""

    non_emergency: Annotated[Phone, _role(NON_EMERGENCY, "non-emergency", "emergency number"),
                             described("The non-emergency number: 101", "101")]
    emergency: Annotated[Phone, _role(EMERGENCY, "emergency", "non-emergency number"),
                         described("The emergency number: 999 (or 112)", "999")]
    silent_solution: Annotated[Text | None, described("How to call 999 without speaking (leaflets, A-series posters)")] = None
    text_relay: list[TextRelay] = []

    @field_validator("silent_solution")
    @classmethod
    def _through_999(cls, text: str | None) -> str | None:
        # The Silent Solution is 999's: "call 101 and press 55" reaches nobody.
        wrong = sorted(_numbers_named(text or "") - {*EMERGENCY, SILENT_SOLUTION})
        if wrong:
            raise Wrong(f"names {', '.join(wrong)}: the Silent Solution works only through 999 (then 55)",
                        "write e.g. 'If you cannot speak on a mobile, call 999 and press 55 when prompted.'")
        return text


class Service(Strict):
    name: Annotated[Text, described("The service's name, in bold above its number")]
    phone: Annotated[Phone | None, described("Its number: a UK number or short code, checked digit by digit",
                                             "0808 802 0300")] = None
    email: Email | None = None
    web: Annotated[Text | None, described("Its web address, printed as text (not a code)")] = None
    note: Annotated[Text | None, described("One line under it on posters and the leaflets (opening hours, cost)")] = None
    # Printed instead of `name` on discreet products, e.g. "Helpline": the card
    # must not say what the service is about if someone finds it.
    discreet_name: Annotated[Text | None, described("Printed instead of the name on discreet products",
                                                    "Helpline")] = None


class Social(Strict):
    """The campaign's hashtag and the force's handle, printed at the foot of posters and leaflets;
    each taken from the brand file where the campaign does not give it."""

    hashtag: Annotated[str | None, Field(pattern=r"^#\w+$"), described("The campaign's hashtag", "#TalkToUs")] = None
    handle: Annotated[str | None, Field(pattern=r"^@\w+$"), described("The force's social media handle", "@ExamplePolice")] = None


class Utm(Strict):
    source: Neutral
    medium: Neutral = "print"
    campaign: Neutral


def on_allow_list(url: str, hosts: list[str]) -> bool:
    """A phone opening `url` lands on one of `hosts`: parsed as browsers do, exact host."""
    parts = parse_url(url) if "\\" not in url and url.isprintable() and " " not in url else None
    return (parts is not None and parts["protocol"] == "https:" and not parts["username"]
            and not parts["password"] and not parts["port"] and parts["hostname"] in hosts)


HOST_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"
Host = Annotated[str, Field(pattern=HOST_PATTERN)]


class QR(Strict):
    # Field order matters: allowed_hosts is validated before url checks against it.
    allowed_hosts: Annotated[list[Host], Field(min_length=1), described(
        "Full host names the code may open, exactly as in the url", ["www.example.police.uk"])]
    url: Annotated[str, described("The page every code opens: https, a host on allowed_hosts, a path; no query",
                                  "https://www.example.police.uk/advice")]
    label: Annotated[Text, described("The address printed beside the code: the url's host (www. may go) and path",
                                     "example.police.uk/advice")]
    utm: Annotated[Utm | None, described("Neutral tracking: each code opens the url plus a short code, ?c=<product>"
                                         "<size>-<variant> (e.g. ?c=pa3-york); source, medium and campaign are "
                                         "what the codes stand for, in the manifest")] = None
    discreet_url: Annotated[str | None, described(
        "The page a discreet product's code opens, when the url's address says what the campaign is about: "
        "a neutral path or short link on the force's site that the force redirects to the url, on "
        "allowed_hosts, with none of the revealing_words. The discreet product prints its host only",
        "https://www.example.police.uk/help")] = None

    @field_validator("url", "discreet_url")
    @classmethod
    def _url_on_allow_list(cls, url: str | None, info: ValidationInfo) -> str | None:
        if url is None:
            return url
        hosts = info.data.get("allowed_hosts")
        if hosts is None:  # allowed_hosts is wrong itself, said at its line: check all but the host here
            hosts = [(parse_url(url) or {}).get("hostname") or ""]
        wrong = check_url(url, hosts)
        if wrong:
            raise Wrong(f"{url!r}: " + "; ".join(wrong),
                        "write the page's address as a browser shows it: https://<a host on qr.allowed_hosts>/<path>")
        return url

    @model_validator(mode="after")
    def _label_names_the_url(self) -> "QR":
        label = self.label if self.label.startswith("https://") else "https://" + self.label
        printed, encoded = parse_url(label), parse_url(self.url)
        if printed is None or encoded is None:
            if encoded is not None:
                raise Wrong(f"label {self.label!r} is not an address", "print the url's host and path")
            return self
        same_host = printed["hostname"] in (encoded["hostname"], encoded["hostname"].removeprefix("www."))
        same_path = printed["pathname"].rstrip("/") == encoded["pathname"].rstrip("/")
        # A port or user name in the label would send a reader who types it elsewhere.
        extra = printed["search"] or printed["hash"] or printed["username"] or printed["password"] \
            or printed["port"] or "@" in self.label or _written_port(label)
        if not (same_host and same_path) or extra:
            raise Wrong(f"label {self.label!r} does not name the page the code opens ({self.url})",
                        f"print {encoded['hostname'].removeprefix('www.') + encoded['pathname'].rstrip('/')!r}: "
                        "the url's host and path")
        return self

    @property
    def host_label(self) -> str:
        """The address printed on discreet products: the host of the page their code
        opens, without 'www.'."""
        host = (parse_url(self.discreet_url or self.url) or {}).get("hostname", "")
        return host.removeprefix("www.")


# Labels with a placeholder the pipeline fills in: which, and what it stands for.
PLACEHOLDERS = {"local": ("{district}", "each district's name"), "qr_alt": ("{address}", "the address"),
                "link_email": ("{address}", "the address"), "link_web": ("{address}", "the address"),
                "logo_alt": ("{force}", "the force's name"), "link_call": ("{number}", "the phone number")}


class Labels(Strict):
    """Every word the layouts print that is not a fact: headings and captions.

    Kept in content so that a translation translates them too. The general ones
    have English defaults; those that name the campaign's subject are needed only
    when the campaign has the section they head."""

    report_it: Text = "Report it"
    report_and_support: Text = "Report it. Get support."
    emergency: Text = "In an emergency"
    non_emergency: Text = "To report it"
    text_relay: Text = "Text relay"
    get_support: Text = "Get support"
    also: Text = "Also"
    details_at: Text = "Details at"
    scan_or_visit: Text = "Scan or visit"
    tips: Text = "What you can do"
    myth: Text = "Myth"
    fact: Text = "Fact"
    according_to: Text = "According to"
    in_partnership_with: Text = "In partnership with"
    useful_numbers: Annotated[Text, described("The outside and title of a discreet card: must say nothing of the subject")] = \
        "Useful numbers"
    what_is: Annotated[Text | None, described("Heading of `definition`", "What is coercive control?")] = None
    signs: Annotated[Text | None, described("Heading of `signs`", "Signs to look for")] = None
    who: Annotated[Text | None, described("Heading of `perpetrators`", "Who does it?")] = None
    myths: Annotated[Text | None, described("Heading of `myths`", "Myths and facts")] = None
    local: Annotated[Text | None, described("Each district's line on its posters and A5; {district} is replaced "
                                    "by the district's name", "In {district}? Call 101 to report it.")] = None
    # Never printed: what screen readers say for the QR code and the screen copies' links.
    qr_alt: Annotated[Text, described("The QR code's alternative text (screen copies); {address} is replaced by "
                                      "the printed web address")] = "QR code: opens the web page {address}"
    logo_alt: Annotated[Text, described("The force's logo's alternative text (screen copies); {force} is "
                                        "replaced by the force's name")] = "{force} logo"
    device_alt: Annotated[Text, described("The graphic device's alternative text (screen copies): the dots "
                                          "on the DL's cover, the card and long-figure posters")] = \
        "A pattern of dots, growing from small to large"
    link_call: Annotated[Text, described("A phone number's link in screen copies, as a screen reader says it; "
                                         "{number} is replaced by the number as printed")] = "Call {number}"
    link_email: Annotated[Text, described("An e-mail address's link in screen copies; {address} is replaced "
                                          "by the address")] = "E-mail {address}"
    link_web: Annotated[Text, described("The printed web address's link in screen copies; {address} is "
                                        "replaced by the address as printed")] = "Web page {address}"

    @field_validator(*PLACEHOLDERS)
    @classmethod
    def _has_placeholder(cls, value: str | None, info: ValidationInfo) -> str | None:
        placeholder, what = PLACEHOLDERS[info.field_name]
        if value is not None and placeholder not in value:
            raise Wrong(f"must contain {placeholder}", f"write {placeholder} where {what} goes")
        return value

Copies = Annotated[int, Field(ge=0, le=10_000_000)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


class District(Strict):
    name: Annotated[Text, described("The district's name: its line (labels.local), folder and tracking code",
                                    "Harrogate")]
    # Copies to print, per product, where it differs from the axis default.
    copies: dict[str, Copies] = {}


class Partner(Strict):
    id: Slug  # in file names and the QR's utm_content: no revealing word
    name: Text
    logo: str  # a file in assets/ (SVG preferred; raster at 300 ppi)
    contact: Text
    phone: Phone | None = None  # printed after the contact line
    # Printed instead of `contact` on discreet products; none printed if not given.
    discreet_contact: Text | None = None
    products: Annotated[list[str], Field(min_length=1)]
    copies: dict[str, Copies] = {}
    # Numbers in this partner's lines that are not the campaign's own, each checked
    # digit by digit and confirmed by a coordinator (the portal records who and when),
    # and the portal's seal over them (confirm.py): numbers added by hand are not trusted.
    confirmed_numbers: Annotated[list[Phone], described(
        "Written by the partner portal only: numbers a coordinator confirmed digit by digit")] = []
    confirmation: Annotated[str | None, described(
        "Written by the partner portal only: its seal over confirmed_numbers")] = None


class DistrictAxis(Strict):
    products: Annotated[list[str], Field(min_length=1)]
    copies: dict[str, Copies] = {}
    items: list[District]


class PartnerAxis(Strict):
    copies: dict[str, Copies] = {}
    # The products partners may ask for in the portal (content/partners/<campaign>/).
    offer: list[str] = []
    items: list[Partner] = []


class LanguageAxis(Strict):
    # Languages other than the campaign's own: content/translations/<campaign>/<code>.yaml
    codes: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]]
    products: Annotated[list[str], Field(min_length=1)]


class Order(Strict):
    """Sizes of a product made only where ordered: e.g. A1 posters for two districts."""

    product: Annotated[str, described("The product (a name in layouts/products.yaml)", "poster")]
    sizes: Annotated[list[str], Field(min_length=1),
                     described("Its sizes to make (names under its sizes: in products.yaml)", ["A1"])]
    districts: Annotated[list[Text], described(
        "The districts (names in variants.districts.items) that get it; none: the county-wide version",
        ["York", "Harrogate"])] = []
    copies: Annotated[Copies | None, described("Copies to print of each (print-order.csv)", 10)] = None


class Variants(Strict):
    districts: DistrictAxis | None = None
    partners: PartnerAxis | None = None
    languages: LanguageAxis | None = None


class Translation(Strict):
    status: Literal["draft", "approved"]
    note: Text | None = None


RevealingWord = Annotated[str, Field(min_length=3, max_length=40), AfterValidator(str.lower)]


Percent = Annotated[float, Field(ge=0, le=100)]
RGB_PATTERN = r"^#[0-9a-fA-F]{6}$"
CMYK_HINT = "write 4 numbers, C, M, Y and K, 0-100 each, e.g. [0, 90, 80, 0]"
RGB_HINT = 'write "#rrggbb" in quotes, e.g. "#9e1b22"'


class Colour(Strict):
    """A colour defined once: CMYK (percent) for print, an RGB twin for screen."""

    cmyk: tuple[Percent, Percent, Percent, Percent]
    rgb: Annotated[str, Field(pattern=RGB_PATTERN)]

    @field_validator("cmyk", mode="before")
    @classmethod
    def _four_percentages(cls, value: Any) -> Any:
        # Pydantic's words for a tuple ("missing '3'", "at most 4 items") make no sense
        # for a list of inks: say what a CMYK colour is.
        if isinstance(value, (list, tuple)) and len(value) == 4 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 100 for v in value):
            return value
        if not isinstance(value, (list, tuple)):
            what = f"{value!r} is not a list of 4 numbers"
        elif len(value) != 4:
            what = f"{list(value)} has {len(value)} number{'s' if len(value) != 1 else ''}, not 4"
        else:
            wrong = next(v for v in value if not (isinstance(v, (int, float)) and not isinstance(v, bool)
                                                  and 0 <= v <= 100))
            what = f"{list(value)}: {wrong!r} is not a percentage from 0 to 100"
        raise Wrong(f"{what}: a CMYK colour is 4 numbers, C, M, Y and K, 0-100 each", CMYK_HINT)

    @field_validator("rgb", mode="before")
    @classmethod
    def _hash_rrggbb(cls, value: Any) -> Any:
        if value is None:  # `rgb: #9e1b22` unquoted: YAML reads '#' as a comment
            raise Wrong("is empty: unquoted, YAML reads '#' as the start of a comment", RGB_HINT)
        if isinstance(value, str) and re.fullmatch(r"[0-9a-fA-F]{6}", value.strip()):
            raise Wrong(f"{value!r} needs '#' in front: write \"#rrggbb\"",
                        f'write it as "#{value.strip()}" (in quotes: YAML reads # as the start of a comment)')
        return value


# The colour roles the layouts use (layouts/colours.yaml): a brand colour under any
# other name would be ignored, and the campaign print in the neutral defaults.
COLOUR_ROLES = ("primary", "accent", "tint", "ink", "primary-small", "paper")

FONT_FILE = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(ttf|otf)$"


class BrandFont(Strict):
    family: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ]{0,60}$"),
                      described("The font's family name", "Atkinson Hyperlegible")]
    regular: Annotated[str, Field(pattern=FONT_FILE), described("Its regular face, a file in fonts/",
                                                                "AtkinsonHyperlegible-Regular.ttf")]
    bold: Annotated[str, Field(pattern=FONT_FILE), described("Its bold face, a file in fonts/",
                                                             "AtkinsonHyperlegible-Bold.ttf")]


class Brand(Strict):
    """A force's look, shared by its campaigns: content/brands/<brand>.yaml."""

    force: Annotated[Text, described("The force's name: the wordmark (when there is no logo) and the PDFs' author",
                                     "Example Constabulary")]
    colours: Annotated[dict[str, Colour], Field(json_schema_extra={"propertyNames": {"enum": list(COLOUR_ROLES)}}),
                       described(
        "Colours by role, used by the layouts as var(--primary), var(--accent), var(--tint); "
        "roles not given keep the neutral defaults of layouts/colours.yaml: " + ", ".join(COLOUR_ROLES))] = {}
    logo: Annotated[str | None, described("The force's logo, a file in assets/ (SVG), printed instead of "
                                          "the text wordmark")] = None
    font: Annotated[BrandFont | None, described("The typeface (OFL files in fonts/); default Atkinson Hyperlegible")] = None
    handle: Annotated[str | None, Field(pattern=r"^@\w+$"), described("Social media handle", "@ExamplePolice")] = None
    hashtag: Annotated[str | None, Field(pattern=r"^#\w+$"), described("A standing hashtag, if the force has one")] = None
    web_hosts: Annotated[list[Host], Field(min_length=1), described(
        "The force's own web hosts: a campaign's qr.allowed_hosts must be among them, so a QR code "
        "opens another site only if the brand file says the site is the force's",
        ["www.example.police.uk"])]


class Campaign(Strict):
    """A campaign: what is printed on every product it asks for.

    Only a few fields are needed (name, brand, headline, one way to get help, the QR
    destination, the products); every section it has is printed, and one it lacks
    leaves no trace (no heading without content)."""

    name: Annotated[Text, described("The campaign's name: the PDF title (not printed on discreet products)",
                            "Talk to us")]
    brand: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$"),
                     described("The force's brand file, content/brands/<brand>.yaml: force name, colours, logo, "
                       "fonts, handle", "north-yorkshire-police")]
    products: Annotated[list[str], Field(min_length=1),
                        described("The products this campaign makes (names in layouts/products.yaml)",
                          ["poster", "leaflet-a5"])]
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$"),
                        described("Language of the text", "en-GB")] = "en-GB"
    launch: Annotated[dt.date | None, described("Launch date (YYYY-MM-DD); dates the PDFs, so rebuilds are identical")] = None
    ends: Annotated[dt.date | None, described("End date (YYYY-MM-DD)")] = None
    strapline: Annotated[Strapline, described("The headline (lead and call): printed largest on every product")]
    intro: Annotated[Text | None, described("A short paragraph under the headline on posters and leaflet covers")] = None
    definition: Annotated[Definition | None, described("What the subject is: A5 front, DL inside (needs labels.what_is)")] = None
    sources: Annotated[list[Source], described("Where the statistics come from: each printed as a footnote with its mark")] = []
    statistics: Annotated[list[Statistic], described("Key figures: posters and the A5 show the first two, the DL cover "
                                             "the first, the DL inside the rest; stat-poster makes one poster each")] = []
    local_figures: Annotated[LocalFigures | None, described("Figures for the force's area (DL inside)")] = None
    signs: Annotated[list[Text], described("Signs to look for: a bulleted list on the leaflets (needs labels.signs)")] = []
    perpetrators: Annotated[list[Perpetrator], described("Who does it: DL inside (needs labels.who)")] = []
    myths: Annotated[list[Myth], described("Myths and the facts: DL inside (needs labels.myths)")] = []
    tips: Annotated[list[Text], described("What the reader can do: a bulleted list on the leaflets")] = []
    easy_read: Annotated[EasyRead | None, described(
        "The Easy Read leaflet's own sentences, each with its picture (products: easy-read). A translation "
        "translates it whole, or leaves it out and has no Easy Read")] = None
    report: Annotated[Report | None, described("How to report to the police (101, 999, silent solution, text relay)")] = None
    support: Annotated[list[Service], Field(min_length=1),
                       described("Where to get help: each service's name and number; posters and cards show the first, "
                         "leaflets all")]
    more_support: Annotated[list[Text], described("Other services, named in one line on the leaflets")] = []
    social: Annotated[Social, described("Hashtag and handle at the foot of posters and leaflets")] = Social()
    qr: Annotated[QR, described("The page every QR code opens, and its address printed beside the code")]
    # Words that say what the campaign is about, in every language it is printed in.
    # None may appear in QR tracking codes, partner ids or district names (a victim's
    # browser history may be read by the person they fear), nor anywhere on a
    # discreet product.
    revealing_words: Annotated[list[RevealingWord], described(
        "Words that reveal the subject: never in tracking codes, partner ids or on a discreet product "
        "(needed when the campaign makes a discreet product)", ["abuse", "domestic"])] = []
    labels: Annotated[Labels, described("Headings and captions; general ones default to English")] = Labels()
    variants: Annotated[Variants, described("Districts, partners and languages the products are also made for")] = Variants()
    orders: Annotated[list[Order], described(
        "Sizes made only where ordered (products.yaml: made_for: []), e.g. A1 posters for two districts",
        [{"product": "poster", "sizes": ["A1"], "districts": ["York", "Harrogate"], "copies": 10}])] = []
    translation: Translation | None = None  # only in translation files

    @property
    def direction(self) -> str:
        return "rtl" if self.language.split("-")[0] in RTL_LANGUAGES else "ltr"

    @field_validator("statistics")
    @classmethod
    def _sources_exist(cls, stats: list[Statistic], info: ValidationInfo) -> list[Statistic]:
        ids = [s.id for s in info.data.get("sources", [])]
        for stat in stats:
            if stat.source is not None and stat.source not in ids:
                raise Wrong(f"source {stat.source!r} is not one of the sources {ids}",
                            "add it under 'sources:' or fix the id")
        return stats

    @model_validator(mode="after")
    def _dates_in_order(self) -> "Campaign":
        if self.launch and self.ends and self.ends < self.launch:
            raise Wrong(f"ends ({self.ends}) is before launch ({self.launch})", "check both dates")
        return self

    @model_validator(mode="after")
    def _headings_for_sections(self) -> "Campaign":
        """A section that is printed needs its heading: say which label, and where it prints."""
        needed = [("definition", "what_is", bool(self.definition)), ("signs", "signs", bool(self.signs)),
                  ("perpetrators", "who", bool(self.perpetrators)), ("myths", "myths", bool(self.myths)),
                  ("variants.districts", "local", bool(self.variants.districts))]
        missing = [(section, label) for section, label, present in needed if present and not getattr(self.labels, label)]
        if missing:
            section, label = missing[0]
            raise Wrong(f"labels.{label} is needed: it is the heading (or line) printed with {section}",
                        f"add '{label}:' under 'labels:'" + (f" (and {', '.join('labels.' + m[1] for m in missing[1:])})"
                                                             if len(missing) > 1 else ""))
        return self

    def reveals(self, text: str) -> list[str]:
        """The revealing words found in `text` as a reader would read it: any case,
        accents, digits for letters, look-alike letters of other scripts."""
        readings = folded(text)
        return [w for w in self.revealing_words if any(folded(w)[0] in reading for reading in readings)]

    def source(self, source_id: str) -> Source:
        found = next((s for s in self.sources if s.id == source_id), None)
        if found is None:  # a template's c.source('...') with an id the campaign does not have
            ids = ", ".join(repr(s.id) for s in self.sources) or "none"
            raise ValueError(f"no source with the id {source_id!r} (the campaign's sources: {ids})")
        return found


# ---------------------------------------------------------------- loading


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
                    line=key_node.start_mark.line + 1, field=_dotted(path + (key,)),
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
                                line=node.start_mark.line + 1, field=_dotted(path) or None))
        return None


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


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
              "less_than_equal": "write a number of {le} or less", "less_than": "write a number under {lt}"}
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
        where = _dotted(tuple(err["loc"][:-1]))
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
}

# Keys renamed since earlier campaign files, and what to write now.
RENAMED = {
    "allowed_domains": "renamed 'allowed_hosts': list full host names exactly as in the url, "
                       "e.g. allowed_hosts: [www.example.police.uk]",
}


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
    if sum(len(text) for _, text in _strings(data)) > MAX_TEXT:
        raise ContentError([Problem("error", file, f"the file has over {MAX_TEXT:,} characters of text",
                                    "a campaign has a few thousand: check it is the right file")])
    return data, lines


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
                                    line=line, field=_dotted(loc) or None))
        raise ContentError(problems) from None


def load_model(path: Path, model: type[M]) -> M:
    """Load a YAML file into `model`; raise ContentError listing every problem."""
    data, lines = read_yaml(path)
    return validate(data, model, str(path), lines)


# ---------------------------------------------------------------- what the text says

# Used by the layouts to keep a number on one line; finding numbers to check them is
# inputs.find_phone_numbers (any way a reader would read one).
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?<!\d )0\d{2,4}(?: ?\d){6,8}(?!\d)")
# Fields that are phone numbers themselves (validated as such by the schema), and
# fields never printed as text (a logo's file name may hold any digits).
NOT_RUNNING_TEXT = {"phone", "number", "non_emergency", "emergency", "logo", "url", "allowed_hosts", "utm", "id",
                    "confirmation", "confirmed_numbers"}


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


def known_numbers(campaign: Campaign) -> set[str]:
    """The campaign's own phone numbers (E.164) and the UK short codes: the only
    numbers that may be printed."""
    numbers = [s.phone for s in campaign.support if s.phone] + list(SHORT_CODES)
    if campaign.report:
        numbers += [campaign.report.non_emergency, campaign.report.emergency]
        numbers += [r.number for r in campaign.report.text_relay]
    return {phone_key(n) for n in numbers}


def _stray_numbers(known: set[str], data: dict, file: str, lines: _Lines,
                   hint: str = "check every digit against the source; add the service under 'support:' if it is new",
                   check: str | None = None) -> list[Problem]:
    """A phone number written anywhere in the text must be one of the campaign's own
    numbers, however it is written: a typo in a partner's contact line would go to print."""
    problems = []
    for path, text in _strings(data):
        if NOT_RUNNING_TEXT.intersection(path):
            continue
        for found in find_phone_numbers(text):
            if found.key not in known:
                problems.append(Problem(
                    "error", file, f"the phone number {found.written!r} is not one of the support numbers or short codes",
                    hint, line=lines.line(path), field=_dotted(path), check=check, value=found.written))
    return problems


def _bad_characters(data: dict, file: str, lines: _Lines, rtl: bool) -> list[Problem]:
    """Characters that hide, reorder or cannot print, in every string of a file."""
    problems = []
    for path, text in _strings(data):
        for wrong in check_text(text, rtl=rtl):
            problems.append(Problem("error", file, wrong, "retype the text with ordinary characters",
                                    line=lines.line(path), field=_dotted(path)))
            if len(problems) >= MAX_PROBLEMS:
                return problems
    return problems


# Roles in English text: a sentence about danger gives 999, one about a non-emergency 101
# (a question leads into its answer: "Not an emergency? Call 101." is one sentence).
NOT_EMERGENCY = re.compile(r"\bnon[- ]?emergenc|\bnot (?:an? |in )?(?:emergency|danger|immediate)", re.I)
EMERGENCY_WORDS = re.compile(r"\bemergenc|\bdanger\b|\bimmediate (?:danger|risk)", re.I)


def _roles_in_text(campaign: Campaign, data: dict, file: str, lines: _Lines, labels: bool = True) -> list[Problem]:
    """English text that gives a reporting line in the other's role, and (the campaign
    file's) labels printed beside 999 and 101 swapped ("In an emergency" beside 101)."""
    if not campaign.language.startswith("en"):
        return []
    problems = []

    def wrong(path: tuple, what: str, hint: str) -> None:
        problems.append(Problem("error", file, what, hint, line=lines.line(path), field=_dotted(path)))

    labels = campaign.labels if labels else None
    if labels and EMERGENCY_WORDS.search(labels.non_emergency) and not NOT_EMERGENCY.search(labels.non_emergency):
        wrong(("labels", "non_emergency"), f"the label printed beside 101 says {labels.non_emergency!r}, an emergency",
              "101 is for what is not an emergency: e.g. 'To report it'; 'In an emergency' goes with 999")
    if labels and NOT_EMERGENCY.search(labels.emergency):
        wrong(("labels", "emergency"), f"the label printed beside 999 says {labels.emergency!r}, not an emergency",
              "999 is for emergencies: e.g. 'In an emergency'")
    for path, text in _strings(data):
        if NOT_RUNNING_TEXT.intersection(path):
            continue
        for sentence in re.split(r"(?<=[.!;])\s", unicodedata.normalize("NFKC", text)):
            for role, number in _cued_numbers(sentence):
                if (number in EMERGENCY) == (role == "an emergency"):
                    continue
                wrong(path, f"{sentence.strip()!r} gives {number} for {role}",
                      "999 (or 112) is for an emergency or danger now, 101 for what is not an emergency: "
                      "check the number and its sentence go together")
    return problems


def _cued_numbers(sentence: str) -> list[tuple[str, str]]:
    """Each mention of an emergency or a non-emergency in a sentence with the reporting
    number it goes with: the nearest (before or after, a comma between counting as
    further), as in "In an emergency call 999, for non-emergencies call 101"."""
    numbers = [m for m in re.finditer(r"\d+(?: \d+)*", sentence)
               if m.group().replace(" ", "") in (*EMERGENCY, *NON_EMERGENCY)]
    negated = [(m, "not an emergency") for m in NOT_EMERGENCY.finditer(sentence)]
    cues = negated + [(m, "an emergency") for m in EMERGENCY_WORDS.finditer(sentence)
                      if not any(n.start() <= m.start() < n.end() for n, _ in negated)]

    def apart(cue: re.Match, number: re.Match) -> int:
        start, end = sorted([cue.end(), number.start()] if cue.start() < number.start()
                            else [number.end(), cue.start()])
        return end - start + (10 if "," in sentence[start:end] else 0)

    return [(role, min(numbers, key=lambda n: apart(cue, n)).group().replace(" ", ""))
            for cue, role in cues if numbers]


def _revealing(campaign: Campaign, file: str, lines: _Lines) -> list[Problem]:
    """Tracking codes, partner ids, district names (in tracking codes too) and
    discreet labels say nothing of the subject."""
    places: list[tuple[tuple, str]] = [(("qr", "discreet_url"), campaign.qr.discreet_url or ""),
                                       (("labels", "useful_numbers"), campaign.labels.useful_numbers)]
    if campaign.qr.utm:
        places += [(("qr", "utm", k), v) for k, v in campaign.qr.utm.model_dump().items()]
    for i, service in enumerate(campaign.support):
        places.append((("support", i, "discreet_name"), service.discreet_name or ""))
    districts = campaign.variants.districts.items if campaign.variants.districts else []
    places += [(("variants", "districts", "items", i, "name"), d.name) for i, d in enumerate(districts)]
    partners = campaign.variants.partners.items if campaign.variants.partners else []
    for i, partner in enumerate(partners):
        places += _partner_places(partner, ("variants", "partners", "items", i))
    return _not_neutral(campaign, places, file, lines)


def _partner_places(partner: Partner, path: tuple) -> list[tuple[tuple, str]]:
    return [(path + ("id",), partner.id), (path + ("discreet_contact",), partner.discreet_contact or "")]


def _not_neutral(campaign: Campaign, places: list[tuple[tuple, str]], file: str, lines: _Lines) -> list[Problem]:
    problems = []
    for path, value in places:
        words = campaign.reveals(value)
        if words:
            problems.append(Problem(
                "error", file, f"{value!r} is not neutral: it contains {words[0]!r}, one of the campaign's revealing_words",
                "use a neutral word: a victim's browser history or wallet may be seen by the person "
                "they fear", line=lines.line(path), field=_dotted(path)))
    return problems


# ---------------------------------------------------------------- partners from outside the campaign file

UNCONFIRMED = "unconfirmed-number"  # Problem.check of a number a coordinator must confirm


def check_partner(data: Any, campaign: Campaign, file: str, lines: _Lines | None = None,
                  slug: str | None = None) -> tuple[Partner | None, list[Problem]]:
    """A partner's entry that comes from outside the campaign file: the rules of the
    campaign's own text, and every phone number in it either the campaign's own or
    confirmed by a coordinator (`confirmed_numbers`).

    From the portal's form (`slug` None) the confirmations are the portal's own
    records; from a file in content/partners/<slug>/ they count only with the
    portal's seal (`confirm.sealed`)."""
    lines = lines or _Lines()
    if not isinstance(data, dict):
        return None, [Problem("error", file, "a partner must be a mapping of fields", "write 'key: value' lines", line=1)]
    problems = _bad_characters(data, file, lines, campaign.direction == "rtl")
    try:
        partner = validate(data, Partner, file, lines)
    except ContentError as exc:
        return None, problems + exc.problems
    confirmed = partner.confirmed_numbers
    if slug is not None and confirmed and not sealed(slug, partner.id, confirmed, _printed(partner),
                                                     partner.confirmation):
        problems.append(Problem(
            "error", file, "confirmed_numbers were not written by the partner portal (the seal "
                           f"{'is missing' if not partner.confirmation else 'does not match'}), or the numbers, "
                           "name, contact line, phone or logo were changed since the portal wrote the file: a "
                           "confirmation written or edited by hand is not trusted",
            "a coordinator confirms a partner's numbers in the portal, at approval; remove confirmed_numbers "
            "here, or build where the portal's key is (SECURITY.md, 'confirmed numbers')",
            line=lines.line(("confirmed_numbers",)), field="confirmed_numbers"))
        confirmed = []
    known = known_numbers(campaign) | {phone_key(n) for n in confirmed}
    confirm = "a coordinator must check every digit and confirm it before this goes to print"
    problems += _stray_numbers(known, data, file, lines, confirm, UNCONFIRMED)
    if partner.phone and phone_key(partner.phone) not in known:
        problems.append(Problem("error", file, f"the phone number {partner.phone!r} is not one of the support numbers "
                                               "or short codes", confirm, line=lines.line(("phone",)), field="phone",
                                check=UNCONFIRMED, value=partner.phone))
    problems += _not_neutral(campaign, _partner_places(partner, ()), file, lines)
    problems += _phone_apart(partner, (), file, lines) + _roles_in_text(campaign, data, file, lines, labels=False)
    axis = campaign.variants.partners
    offer = axis.offer if axis else []
    for i, product in enumerate(partner.products):
        if product not in offer:
            problems.append(Problem("error", file, f"the campaign does not offer {product!r} to partners",
                                    f"choose from: {', '.join(offer) or 'nothing (variants.partners.offer is empty)'}",
                                    line=lines.line(("products", i)), field=f"products[{i}]"))
    return partner, problems


def _printed(partner: Partner) -> tuple[str, str, str, str]:
    """What the portal's seal holds besides the numbers: name, contact line, phone, logo."""
    from . import assets  # here: it imports the image libraries

    try:  # the one reader: no FIFO, link or hard link to a file outside
        data = assets.read_project_file(assets.ASSETS / partner.logo, [assets.ASSETS])
    except (assets.RefusedFile, OSError):
        data = None
    return partner.name, partner.contact, partner.phone or "", logo_id(partner.logo, data)


def _phone_apart(partner: Partner, path: tuple, file: str, lines: _Lines) -> list[Problem]:
    """The partner's phone is printed straight after its contact line: digits at the
    end of the line would read as one number with it ("... 0808 802" + "0300")."""
    if not partner.phone:
        return []
    if _compact(partner.phone) in {_compact(code) for code in SHORT_CODES}:
        return [Problem("error", file, f"the phone {partner.phone!r} is a short code: printed after the contact "
                                       "line it reads as the partner's own line",
                        "give the partner's own number; the reporting lines (999, 101, 55) are printed by the "
                        "layout", line=lines.line(path + ("phone",)), field=_dotted(path + ("phone",)))]
    contact = plain(partner.contact).rstrip()
    joined = [f.key for f in find_phone_numbers(f"{contact} {partner.phone}")]
    apart = [f.key for f in find_phone_numbers(contact)] + [phone_key(partner.phone)]
    if not contact[-1:].isdigit() and joined == apart:
        return []
    return [Problem("error", file, f"the contact line ends in digits ({contact.split()[-1]!r}): printed straight "
                                   f"before the phone number {partner.phone!r}, the two read as one number",
                    "end the contact line with a word (e.g. 'Call us on'), or leave the number out of it and "
                    "give it only as phone", line=lines.line(path + ("contact",)), field=_dotted(path + ("contact",)))]


def _campaign_partners(campaign: Campaign, file: str, lines: _Lines) -> list[Problem]:
    """Partners written into the campaign file: their phone is one of the campaign's
    numbers (only the portal confirms others), and nothing is confirmed by hand."""
    problems = []
    axis = campaign.variants.partners
    known = known_numbers(campaign)
    for i, partner in enumerate(axis.items if axis else []):
        path = ("variants", "partners", "items", i)
        for name in ("confirmed_numbers", "confirmation"):
            if getattr(partner, name):
                problems.append(Problem(
                    "error", file, f"{name} belongs only in the partner files the portal writes: a "
                                   "confirmation written by hand is not trusted",
                    "remove it; a partner with a number that is not the campaign's asks for its products "
                    "in the partner portal, where a coordinator confirms the number",
                    line=lines.line(path + (name,)), field=_dotted(path + (name,))))
        if partner.phone and phone_key(partner.phone) not in known:
            problems.append(Problem(
                "error", file, f"the phone number {partner.phone!r} is not one of the support numbers or short codes",
                "give a number the campaign lists under 'support:', or have the partner ask in the portal, "
                "where a coordinator confirms it", line=lines.line(path + ("phone",)), field=_dotted(path + ("phone",))))
        problems += _phone_apart(partner, path, file, lines)
    return problems


def partners_folder(campaign_file: Path) -> Path:
    """Where the partners a coordinator approved in the portal are kept, one file each."""
    return campaign_file.parent / "partners" / campaign_file.stem


def _partner_files(path: Path, campaign: Campaign) -> tuple[Campaign, list[Problem]]:
    """The campaign with the partners of content/partners/<campaign>/ added."""
    files = sorted(partners_folder(path).glob("*.yaml"))
    if not files:
        return campaign, []
    axis = campaign.variants.partners
    partners, problems = list(axis.items if axis else []), []
    for file in files:
        try:
            data, lines = read_yaml(file)
        except ContentError as exc:
            problems += exc.problems
            continue
        partner, found = check_partner(data, campaign, str(file), lines, slug=path.stem)
        problems += found
        if partner is None:
            continue
        if partner.id != file.stem:
            problems.append(Problem("error", str(file), f"the file of partner {partner.id!r} must be named {partner.id}.yaml",
                                    "rename the file or fix the id", line=lines.line(("id",)), field="id"))
        elif any(p.id == partner.id for p in partners):
            problems.append(Problem("error", str(file), f"partner {partner.id!r} is also in {path.name}",
                                    "keep one of them", line=lines.line(("id",)), field="id"))
        else:
            partners.append(partner)
    if axis is None:
        problems.append(Problem("error", str(path), "there are partner files but the campaign has no variants.partners",
                                "add variants.partners with the products it offers (offer: [...])", field="variants"))
        return campaign, problems
    variants = campaign.variants.model_copy(update={"partners": axis.model_copy(update={"items": partners})})
    return campaign.model_copy(update={"variants": variants}), problems


def _digits(text: str) -> list[str]:
    return re.findall(r"[0-9]+", unicodedata.normalize("NFKC", text))


# ---------------------------------------------------------------- campaigns and translations

# Never translated: numbers, addresses, codes. A translation may not set them.
FIXED = re.compile(r"^(qr|social|variants|language|launch|ends|translation|revealing_words|brand|products|orders)(\.|\[|$)|"
                   r"^sources\[\d+\]\.(id|mark)$|^statistics\[\d+\]\.source$|"
                   r"^report\.(non_emergency|emergency)$|^report\.text_relay\[\d+\]\.number$|"
                   r"^support\[\d+\]\.(phone|email|web)$|"
                   r"^easy_read\.(status|note)$|^easy_read\.sections\[\d+\]\.sentences\[\d+\]\.picture$")
# Proper names: kept in English unless the translation gives them.
OPTIONAL = re.compile(r"^(name|force)$|^sources\[\d+\]\.name$|^support\[\d+\]\.(name|discreet_name)$|"
                      r"^more_support\[\d+\]$")


@dataclass(frozen=True)
class LoadedCampaign:
    """A validated campaign (or one translation of it) and where it came from."""

    slug: str  # the campaign file's stem: names the output folder
    path: Path
    campaign: Campaign
    brand: Brand
    language: str | None = None  # None: the campaign's own language
    lines: _Lines | None = field(default=None, compare=False, repr=False)  # for errors found later

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
    if "easy_read" not in data:  # translated whole or not at all: without it, no Easy Read in this language
        english.pop("easy_read", None)
    rtl = language in RTL_LANGUAGES
    problems = _bad_characters(data, file, lines, rtl) + _stray_numbers(known_numbers(base.campaign), data, file, lines)
    given = dict(_strings(data))
    merged = _deep_copy(english)
    english_paths = {p for p, _ in _strings(english)}
    # A misspelt key ("leed:") is said once, as unknown with its did-you-mean, not
    # again as the key it should have been missing.
    misspelt = {path_[:-1] + (close[0],) for path_ in given if path_ not in english_paths
                and isinstance(path_[-1], str) and isinstance(_holder(english, path_), dict)
                for close in [difflib.get_close_matches(path_[-1], list(_holder(english, path_)), n=1)] if close}
    for path_, text in _strings(english):
        dotted = _dotted(path_)
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
        if _digits(translated) != _digits(text) or any(c.isdigit() and not c.isascii() for c in translated):
            problems.append(Problem("error", file, f"the digits of {dotted} differ from the original "
                                                   f"({' '.join(_digits(text)) or 'none'})",
                                    "numbers and figures must be copied exactly, in Western digits",
                                    line=lines.line(path_), field=dotted))
        _set(merged, path_, translated)
    for path_, _ in given.items():
        dotted = _dotted(path_)
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
    # The translated words are checked as the campaign's are: a discreet name in the
    # translation that reveals fails here, as the build's preflight would refuse it.
    problems = _revealing(campaign, file, lines) + _discreet_words(campaign, base.brand, file, lines)
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
    return f"did you mean {_dotted(path[:-1] + (close[0],))!r}?" if close else ""


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
    file = str(path)
    rtl = str(data.get("language", "")).split("-")[0] in RTL_LANGUAGES
    problems = _bad_characters(data, file, lines, rtl)
    try:
        campaign = validate(data, Campaign, file, lines)
    except ContentError as exc:
        raise ContentError(problems + exc.problems) from None
    problems += _stray_numbers(known_numbers(campaign), data, file, lines) + _revealing(campaign, file, lines)
    problems += _roles_in_text(campaign, data, file, lines) + _campaign_partners(campaign, file, lines)
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


def discreet_phrases(campaign: Campaign, force: str) -> list[str]:
    """Besides the revealing words, what a discreet product must not print (folded): the
    campaign's name, strapline, hashtag, heading of its definition, the force, and the
    full QR address where it says more than the host (preflight `discreet` on the page)."""
    c = campaign
    address = c.qr.label if c.qr.label.rstrip("/") != c.qr.host_label else None
    phrases = [c.name, c.strapline.lead, c.strapline.call, c.social.hashtag, address, force, c.labels.what_is]
    # Without their closing punctuation: "Speak to someone" is the strapline "Speak to someone."
    return [folded(" ".join(p.split()).rstrip(".!?,;:"))[0] for p in phrases if p]


def _discreet_words(campaign: Campaign, brand: Brand, file: str, lines: _Lines) -> list[Problem]:
    """What a discreet product prints instead of names (services' discreet_name,
    partners' discreet_contact) says nothing the build's preflight would refuse there."""
    phrases = discreet_phrases(campaign, brand.force)
    places = [(("support", i, "discreet_name"), s.discreet_name) for i, s in enumerate(campaign.support)]
    places.append((("labels", "useful_numbers"), campaign.labels.useful_numbers))  # the discreet card's title
    partners = campaign.variants.partners.items if campaign.variants.partners else []
    places += [(("variants", "partners", "items", i, "discreet_contact"), p.discreet_contact)
               for i, p in enumerate(partners)
               if ("variants", "partners", "items", i) in lines.lines]  # written in this file
    problems = []
    for path, value in places:
        readings = folded(" ".join((value or "").split())) if value else ()
        said = next((p for p in phrases if any(p in reading for reading in readings)), None)
        if said:
            problems.append(Problem(
                "error", file, f"{value!r} is printed on discreet products and says {said!r}, which names the "
                               "campaign or the force", "use a neutral word, e.g. 'Helpline': someone may be "
                               "searched or watched", line=lines.line(path), field=_dotted(path)))
    return problems


def _hosts_of_the_force(campaign: Campaign, brand: Brand, path: Path, lines) -> list[Problem]:
    """A QR code opens only the force's own site: each of the campaign's allowed hosts
    is one of the brand's web_hosts (a brand file must list them)."""
    return [Problem("error", str(path), f"qr.allowed_hosts: {host!r} is not one of {brand.force}'s web hosts "
                                        f"{brand.web_hosts}",
                    f"a QR code may only open the force's own site: use one of those hosts; if {host} is the "
                    f"force's, add it to web_hosts in {brand_path(campaign.brand)}",
                    line=lines.line(("qr", "allowed_hosts", index)),
                    field=f"qr.allowed_hosts[{index}]")
            for index, host in enumerate(campaign.qr.allowed_hosts) if host not in brand.web_hosts]


from .paths import BRANDS as PROJECT_BRANDS, FONTS  # noqa: E402


def brand_path(brand: str) -> Path:
    """The project's content/brands/<brand>.yaml: the only place brand files are read
    from. A brand file says which sites are the force's, so one beside a campaign
    (sent with it, or copied from elsewhere) must not stand in for the project's."""
    return PROJECT_BRANDS / f"{brand}.yaml"


def load_brand(campaign_file: Path, brand: str) -> Brand:
    path = brand_path(brand)
    beside = campaign_file.parent / "brands" / f"{brand}.yaml"
    # A copy of the content folder carries the same files: only a different one would shadow.
    if beside.is_file() and beside.resolve() != path.resolve() and (
            not path.is_file() or beside.read_bytes() != path.read_bytes()):
        raise ContentError([Problem("error", str(beside), f"brand files are read from {PROJECT_BRANDS.parent.name}/"
                                                          f"{PROJECT_BRANDS.name}/ only: this one, beside the "
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
