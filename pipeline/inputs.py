"""One checking function per kind of input that comes from outside the code: web
addresses, phone numbers in text, and text itself.

Used by pipeline.content on campaign files and translations, by preflight on the rendered
page, and later by the partner portal. Each returns what is wrong in plain words
(an empty list when nothing is), so the caller can add file, line and field.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import ada_url
import phonenumbers
from publicsuffixlist import PublicSuffixList
from fontTools.ttLib import TTFont

from .paths import FONTS

# ---------------------------------------------------------------- web addresses


def parse_url(url: str) -> dict | None:
    """The address as a browser reads it (WHATWG URL rules), or None if it reads none."""
    try:
        return ada_url.parse_url(url)
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True)
class AddressInText:
    written: str  # as a reader sees it (after NFKC)
    host: str  # lower case, without "www.", to compare with the campaign's own


# A web address a reader would type: dotted names (in any script: a Cyrillic "о" is a
# letter of another site's name) with or without https:// or www., and a path. Not an
# e-mail's domain, a file name in a path, "e.g." or a decimal: the name before the dot
# may not follow a letter, '@', '.', '/' or '-'. After https://, a user name and '@'
# are read past: the browser opens the host after '@'.
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_WEB_ADDRESS = re.compile(rf"(?<![\w@./-])(https?://(?:[^\s/@]*@)?)?((?:{_LABEL}\.)+{_LABEL})(?![\w@-]|\.[^\W_])"
                          r"(?:/[^\s]*)?", re.IGNORECASE)
# Dots a browser takes for '.' in a host name that NFKC leaves as they are (IDNA).
_HOST_DOTS = str.maketrans({"\u3002": ".", "\uff61": ".", "\ufe52": "."})


@lru_cache(maxsize=1)
def _public_suffixes() -> PublicSuffixList:
    """The Public Suffix List's ICANN section as the package ships it (no network):
    every ending a site's name can have (com, co.uk, police.uk, рф, xn--p1ai, ...)."""
    return PublicSuffixList(accept_unknown=False, only_icann=True)


def public_suffix(host: str) -> str | None:
    """The ending of `host` that names no site of its own ("co.uk" of "evil.co.uk"),
    in any case, or None when the name ends in nothing a browser would open."""
    try:
        return _public_suffixes().publicsuffix(host.lower())
    except (ValueError, UnicodeError):
        return None


def find_web_addresses(text: str) -> list[AddressInText]:
    """Every web address a reader would read in `text` (full-width and ideographic dots
    and full-width letters as plain ones, in any case, in any script): one written with
    https:// or www., or a name with an ending on the Public Suffix List ("evil.Com",
    "Evil.CO.UK/path", "пример.рф"). A printed address must lead to one of the
    campaign's sites. (A sentence run into the next without a space, "Road.Open", is
    an address too when its last word is such an ending: a reader could type it.)"""
    return list(_web_addresses(text))


@lru_cache(maxsize=2048)
def _web_addresses(text: str) -> tuple[AddressInText, ...]:
    """find_web_addresses, read once per worker while the line is in use: every variant
    of a batch prints the same lines but a few (the district's), and preflight reads
    each page's lines and elements for addresses. The least recently read go first."""
    found = []
    for match in _WEB_ADDRESS.finditer(plain(text).translate(_HOST_DOTS)):
        written, host = match.group(0).rstrip(".,;:!?)"), match.group(2).lower()
        if match.group(1) or host.startswith("www.") or public_suffix(host):
            found.append(AddressInText(written, host.removeprefix("www.")))
    return tuple(found)


def check_url(url: str, allowed_hosts: list[str]) -> list[str]:
    """What is wrong with `url` as the destination of a printed QR code.

    The host must be exactly one of `allowed_hosts`: a phone opens what the browser
    parses, so every trick that makes a browser read another host is refused."""
    if any(c.isspace() or unicodedata.category(c).startswith("C") for c in url):
        return ["contains a space or an invisible/control character; write the address on one line, nothing else"]
    if "\\" in url:
        return ["contains a backslash; browsers read it as '/', which can move the host; use '/' only"]
    parts = parse_url(url)
    if parts is None:
        return [f"{url!r} is not a web address; write it as https://host/path"]
    wrong = []
    if parts["protocol"] != "https:":
        wrong.append("must start with https:// (a code must not open an unencrypted page)")
    if parts["username"] or parts["password"] or "@" in url.split("//", 1)[-1].split("/", 1)[0]:
        wrong.append("has a user name before '@' (the host is what follows '@'); remove everything before '@'")
    host = parts["hostname"]
    if parts["host_type"] != ada_url.HostType.DEFAULT:
        wrong.append(f"names a computer by its IP address ({host}); use the force's host name")
    elif host not in allowed_hosts and (not url.isascii() or "xn--" in host):
        wrong.append(f"host {host!r} is an international (IDN/punycode) name that may look like another; "
                     "use a host from qr.allowed_hosts exactly")
    elif host not in allowed_hosts:
        wrong.append(f"host {host!r} is not on qr.allowed_hosts {allowed_hosts}; a QR code may only open "
                     "the force's own site: add the host to qr.allowed_hosts only if it is the force's "
                     "(and one of the brand file's web_hosts)")
    if parts["port"] or _written_port(url):
        wrong.append("has a port number; remove ':' and the number after the host")
    if parts["search"] or url.rstrip().endswith("?"):
        wrong.append("must be the bare page, no '?...'; tracking codes go under qr.utm")
    if parts["hash"] or "#" in url:
        wrong.append("has a '#' fragment; remove it and everything after it")
    path = parts["pathname"]
    if "//" in path or re.search(r"(?i)(^|/)[a-z][a-z0-9+.-]*:", path) or re.search(r"(?i)%2f|%5c|%3a", path):
        # A site that redirects (/redirect/https:/evil.example, //evil.example) sends the reader on.
        wrong.append("has another address inside its path ('//', 'https:', or an encoded '/' or ':'); give the "
                     "page's own path, e.g. https://www.example.police.uk/help")
    if not wrong and parts["href"] != url:
        wrong.append(f"is not written as browsers read it ({parts['href']!r}); write exactly that")
    return wrong


def on_allow_list(url: str, hosts: list[str]) -> bool:
    """A phone opening `url` lands on one of `hosts`: parsed as browsers do, exact host."""
    parts = parse_url(url) if "\\" not in url and url.isprintable() and " " not in url else None
    return (parts is not None and parts["protocol"] == "https:" and not parts["username"]
            and not parts["password"] and not parts["port"] and parts["hostname"] in hosts)


def _written_port(url: str) -> bool:
    authority = url.split("//", 1)[-1].split("/", 1)[0]
    return ":" in authority.rsplit("@", 1)[-1].rsplit("]", 1)[-1]


# ---------------------------------------------------------------- phone numbers in text

# Short codes a UK caller may dial; everything else must be a valid full number.
SHORT_CODES = ("999", "112", "101", "111", "55", "18000", "18001 101")

# Used by the layouts to keep a number on one line; finding numbers to check them is
# find_phone_numbers below (any way a reader would read one).
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?<!\d )0\d{2,4}(?: ?\d){6,8}(?!\d)")


@dataclass(frozen=True)
class PhoneInText:
    written: str  # as a reader sees it, after NFKC (full-width digits made plain)
    key: str  # the number in E.164, to compare with the campaign's own


def plain(text: str) -> str:
    """What a reader reads: compatibility forms folded (full-width digits, ...) and
    invisible format characters dropped, so '0808\u200b802 0300' is one number."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


@lru_cache(maxsize=1024)
def phone_key(number: str) -> str:
    """A written number in E.164 (+448088020300), for comparing however it is written.
    Kept by the written number: a campaign's own numbers are keyed again for every
    check of every product (known_numbers), a parse each."""
    try:
        parsed = phonenumbers.parse(plain(number), "GB")
    except phonenumbers.NumberParseException:
        return "".join(c for c in number if c.isdigit())
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def tel_href(number: str) -> str:
    """A printed number as a tel: target: E.164 for a valid full number
    (+448088020300), the digits as dialled for short codes (999, 18001 101)."""
    try:
        valid = phonenumbers.is_valid_number(phonenumbers.parse(plain(number), "GB"))
    except phonenumbers.NumberParseException:
        valid = False
    return "tel:" + (phone_key(number) if valid else "".join(c for c in plain(number) if c.isdigit()))


# Between digits a reader reads past any mark as a separator: 0808·802·0399,
# 0808•802•0399, 0808:802:0399, 0808⁄802⁄0399 (fraction slash), tatweel, #0808_802_0399.
_SEPARATED = re.compile(r"(?<=[0-9Oo])[^\w\s]{1,3}(?=[0-9Oo])|(?<=[0-9Oo])[_\u0640]{1,3}(?=[0-9Oo])|#(?=\d)")
# A group of digits with the letter O (or o) for a zero: 0808 802 O399.
_DIGIT_GROUP = re.compile(r"\b[0-9Oo]*[0-9][0-9Oo]*\b")
_WORDS = {"zero": "0", "oh": "0", "nought": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
          "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_IN_WORDS = re.compile(r"\b(?:(?:double|triple)\s+)?(?:" + "|".join(_WORDS) + r")\b(?:[\s,-]+(?:(?:double|triple)\s+)?(?:"
                       + "|".join(_WORDS) + r")\b){6,}", re.IGNORECASE)


def _spoken(match: re.Match) -> str:
    """'oh eight oh eight double oh ...' as the digits a caller would dial."""
    digits, times = [], 1
    for word in re.findall(r"[a-z]+", match.group(0).lower()):
        if word in ("double", "triple"):
            times = 2 if word == "double" else 3
            continue
        digits.append(_WORDS[word] * times)
        times = 1
    return " ".join(digits)


def as_read(text: str) -> str:
    """`text` with numbers written to slip past a checker as a reader dials them:
    any mark between digits a space, O for a zero in a group of digits, digits
    spelled out in words."""
    text = plain(text)
    text = _IN_WORDS.sub(_spoken, text)
    text = _SEPARATED.sub(" ", text)
    return _DIGIT_GROUP.sub(lambda m: m.group(0).replace("O", "0").replace("o", "0"), text)


def find_phone_numbers(text: str) -> list[PhoneInText]:
    """Every phone number a reader would read in `text`: any separators, brackets,
    +44, +44 (0), full-width digits, invisible characters between digits; and, as a
    reader dials them, numbers behind marks between digits (0808·802·0399), the
    letter O for a zero, or spelled out in words (those when they make a valid number)."""
    if not any(map(str.isdigit, text)) and not _IN_WORDS.search(text):
        return []  # most lines of a page: no digit to read
    return list(_phone_numbers(text))


@lru_cache(maxsize=128)
def _phone_numbers(text: str) -> tuple[PhoneInText, ...]:
    """find_phone_numbers of a line with a digit, read once per worker while it is in
    use: every variant of a batch prints the same helpline lines, and libphonenumber's
    matcher is slow. A few lines are kept (the least recently read go first): a
    district's own lines are new with every variant."""
    found, keys = [], set()
    for candidate, strict in ((plain(text), False), (as_read(text), True)):
        matcher = phonenumbers.PhoneNumberMatcher(candidate, "GB", leniency=phonenumbers.Leniency.POSSIBLE)
        for match in matcher:
            number = match.number
            # Years and counts ("in 2018") are possible numbers too: a number is a phone
            # number when it is valid or long enough to be dialled as one. Read past
            # separators, only a valid one counts ("9:00-17:00" is not a number).
            valid = phonenumbers.is_valid_number(number)
            if not valid and (strict or len(str(number.national_number)) < 7):
                continue
            key = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if key not in keys:
                keys.add(key)
                found.append(PhoneInText(match.raw_string, key))
    return tuple(found)


def check_phone(value: str) -> list[str]:
    """What is wrong with a phone number field: a valid UK number or a short code."""
    value = value.strip()
    if value in SHORT_CODES:
        return []
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        number = None
    if (number is None or not phonenumbers.is_valid_number(number)
            or not all(c.isascii() and (c.isdigit() or c in " +()-") for c in value)):
        return [f"{value!r} is not a valid UK phone number (want 0 and 10 more digits, "
                f"e.g. '0808 802 0300', or a short code such as 101 or 999)"]
    return []


# ---------------------------------------------------------------- text

# Reorder what is printed: an override can print a correct number backwards.
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Urdu, Persian and Arabic spelling needs the zero-width non-joiner between letters
# that must not join (e.g. in Urdu compounds); it reorders nothing and hides no digit.
RTL_ALLOWED = set("\u200c")


@lru_cache(maxsize=1)
def drawable() -> frozenset[int]:
    """Every character some font in fonts/ has a glyph for (the stylesheets fall back
    from Atkinson Hyperlegible to Noto Nastaliq Urdu)."""
    chars: set[int] = set()
    for path in sorted(FONTS.glob("*.ttf")):
        with TTFont(path, lazy=True) as font:
            chars |= set(font.getBestCmap() or {})
    return frozenset(chars)


def _name(char: str) -> str:
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')})"


def check_text(text: str, rtl: bool = False, printed: bool = True) -> list[str]:
    """What is wrong with text that will be printed: characters that reorder or hide
    what is read, and characters the fonts cannot draw (printed as empty boxes).
    `printed=False` (text only shown on screen, e.g. the portal's notes and names):
    the first two only."""
    wrong: dict[str, str] = {}  # one line per distinct character
    glyphs = drawable()
    for char in text:
        if char in wrong or char in "\n\t" or (rtl and char in RTL_ALLOWED):
            continue
        category = unicodedata.category(char)
        if char in BIDI_CONTROLS:
            wrong[char] = (f"contains the direction control {_name(char)}, which can reorder what is printed "
                           "(e.g. a number backwards); delete it, the layout sets the direction")
        elif category in ("Cf", "Cc", "Cs", "Co", "Cn", "Zl", "Zp"):
            wrong[char] = (f"contains the invisible or control character {_name(char)}; delete it "
                           "(retype the text around it if you cannot see it)")
        elif printed and not char.isspace() and ord(char) not in glyphs:
            wrong[char] = (f"contains {_name(char)}, which the fonts cannot draw (it would print as an "
                           "empty box); use another character")
        if len(wrong) >= 5:
            break
    return list(wrong.values())
