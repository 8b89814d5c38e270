"""What the text says, checked across a whole file: only the campaign's own phone numbers,
no hidden characters, 999 and 101 in their roles, nothing revealing on discreet products."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..inputs import SHORT_CODES, AddressInText, check_text, find_phone_numbers, find_web_addresses, phone_key, public_suffix
from ..problems import Problem
from .brand import Brand, brand_path
from .fields import LOOK_ALIKE, folded
from .model import Campaign, Partner
from .reporting import EMERGENCY, NON_EMERGENCY
from .yamlfile import MAX_PROBLEMS, dotted_path, _Lines, every_string

SHORT_KEYS = {phone_key(code) for code in SHORT_CODES}
# Curly quotes and dashes as typed on a keyboard: one character for one (positions kept).
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


# Fields that are phone numbers themselves (validated as such by the schema), and
# fields never printed as text (a logo's or an image's file name may hold any digits).
NOT_RUNNING_TEXT = {"phone", "number", "non_emergency", "emergency", "logo", "file", "url", "allowed_hosts", "utm",
                    "source_documents",
                    "id", "confirmation", "confirmed_numbers", "seal", "approved_on"}



def known_numbers(campaign: Campaign) -> set[str]:
    """The campaign's own phone numbers (E.164) and the UK short codes: the only
    numbers that may be printed."""
    numbers = [s.phone for s in campaign.support if s.phone] + list(SHORT_CODES)
    if campaign.report:
        numbers += [campaign.report.non_emergency, campaign.report.emergency]
        numbers += [r.number for r in campaign.report.text_relay]
    return {phone_key(n) for n in numbers}


def known_number_said(campaign: Campaign, key: str) -> str:
    """One of the campaign's numbers (E.164) as a reader is told it: "the Example
    Helpline is 0808 802 0300", by its service's name where it has one."""
    named = next((s for s in campaign.support if s.phone and phone_key(s.phone) == key), None)
    if named:
        return f"the {named.name} is {named.phone}"
    return f"the number it nearly matches is {'0' + key[3:] if key.startswith('+44') else key}"


def _stray_numbers(known: set[str], data: dict, file: str, lines: _Lines,
                   hint: str = "check every digit against the source; add the service under 'support:' if it is new",
                   check: str | None = None) -> list[Problem]:
    """A phone number written anywhere in the text must be one of the campaign's own
    numbers, however it is written: a typo in a partner's contact line would go to print."""
    problems = []
    for path, text in every_string(data):
        if NOT_RUNNING_TEXT.intersection(path):
            continue
        for found in find_phone_numbers(text):
            if found.key not in known:
                problems.append(Problem(
                    "error", file, f"the phone number {found.written!r} is not one of the support numbers or short codes",
                    hint, line=lines.line(path), field=dotted_path(path), check=check, value=found.written))
    return problems


def _district_lines(campaign: Campaign, known: set[str], file: str, lines: _Lines) -> list[Problem]:
    """Each district's line as printed, labels.local with the district's name in it:
    digits beside {district} and digits in a name read as one number ("Call 01904
    {district}" for a district named 618691)."""
    districts = campaign.variants.districts.items if campaign.variants.districts else []
    problems = []
    for i, district in enumerate(districts):
        if district.line or not campaign.labels.local:
            continue
        printed = campaign.labels.local.replace("{district}", district.name)
        for found in find_phone_numbers(printed):
            if found.key not in known:
                path = ("variants", "districts", "items", i, "name")
                problems.append(Problem(
                    "error", file, f"the district's line {printed!r} prints the phone number {found.written!r}, "
                                   "which is not one of the support numbers or short codes",
                    "keep digits out of the district's name, or away from {district} in labels.local",
                    line=lines.line(path), field=dotted_path(path), value=found.written))
    return problems


def known_hosts(campaign: Campaign) -> set[str]:
    """The sites the campaign's text may name (without "www."): the QR code's
    allowed hosts and each support service's own web address."""
    hosts = set(campaign.qr.allowed_hosts)
    for service in campaign.support:
        for address in find_web_addresses(service.web or ""):
            hosts.add(address.host)
    return {host.lower().removeprefix("www.") for host in hosts}


PARTNER_ITEMS = ("variants", "partners", "items")


def _stray_addresses(known: set[str], data: dict, file: str, lines: _Lines,
                     hint: str = "print only the force's site (a host on qr.allowed_hosts) or a support service's "
                                 "own 'web:' address; check every letter against the source",
                     skip: tuple = (("qr", "label"), PARTNER_ITEMS), prefix: tuple = ()) -> list[Problem]:
    """A web address written anywhere in the text (an image's alt text or credit, a
    district's line, a partner's contact line) leads to one of the campaign's sites:
    a reader types what is printed as surely as a phone scans the code. `data` is
    the file's, or the part of it at `prefix`; fields under a path in `skip` are
    another's to check (qr.label names the url's host, checked by the QR model; each
    partner's lines may also give its own site: content.partners)."""
    problems = []
    for path, text in every_string(data, prefix):
        if NOT_RUNNING_TEXT.intersection(path) or any(path[:len(s)] == s for s in skip):
            continue
        for found in find_web_addresses(text):
            if found.host not in known:
                problems.append(Problem("error", file, not_ours(found, known), hint, line=lines.line(path),
                                        field=dotted_path(path), value=found.written))
    return problems


def not_ours(found: AddressInText, known: set[str]) -> str:
    """What is wrong with a printed address that is not one of `known`, saying which
    of them it imitates: a look-alike letter, an IDN, a hyphen for a dot, or one of
    them put in front of another site's name."""
    what = f"the web address {found.written!r} is not one of the campaign's web addresses ({', '.join(sorted(known))})"
    return what + "".join(f"; {why}" for why in _imitates(found.host, known)[:2])


def _skeleton(host: str) -> str:
    """A host as a reader sees it: look-alike letters of other scripts as Latin ones,
    accents dropped, dots and hyphens left out."""
    text = unicodedata.normalize("NFKD", host.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(LOOK_ALIKE)
    return re.sub(r"[.\-]", "", text.removeprefix("www."))


def _imitates(host: str, known: set[str]) -> list[str]:
    try:  # xn--... as the letters a browser shows
        shown = ".".join(label.encode().decode("idna") if label.startswith("xn--") else label
                         for label in host.split("."))
    except UnicodeError:
        shown = host
    why = []
    foreign = sorted({c for c in shown if not c.isascii()})
    if foreign:
        names = ", ".join(f"{c!r} (U+{ord(c):04X} {unicodedata.name(c, 'unnamed')})" for c in foreign[:3])
        why.append(f"its name has letters that are not plain a-z: {names}" +
                   (f", written as {host!r}" if shown != host else ""))
    for site in sorted(known):
        if host.startswith(site + "."):
            owner = public_suffix(host) or host.rsplit(".", 1)[-1]
            why.append(f"it begins with {site} but is a page of {host.removesuffix('.' + owner).rsplit('.', 1)[-1]}."
                       f"{owner} (a browser opens the site named last)")
        elif _skeleton(shown) == _skeleton(site):
            why.append(f"it looks like {site} but is another site")
    return why


def _bad_characters(data: dict, file: str, lines: _Lines, rtl: bool) -> list[Problem]:
    """Characters that hide, reorder or cannot print, in every string of a file."""
    problems = []
    for path, text in every_string(data):
        for wrong in check_text(text, rtl=rtl):
            problems.append(Problem("error", file, wrong, "retype the text with ordinary characters",
                                    line=lines.line(path), field=dotted_path(path)))
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
        problems.append(Problem("error", file, what, hint, line=lines.line(path), field=dotted_path(path)))

    labels = campaign.labels if labels else None
    if labels and EMERGENCY_WORDS.search(labels.non_emergency) and not NOT_EMERGENCY.search(labels.non_emergency):
        wrong(("labels", "non_emergency"), f"the label printed beside 101 says {labels.non_emergency!r}, an emergency",
              "101 is for what is not an emergency: e.g. 'To report it'; 'In an emergency' goes with 999")
    if labels and NOT_EMERGENCY.search(labels.emergency):
        wrong(("labels", "emergency"), f"the label printed beside 999 says {labels.emergency!r}, not an emergency",
              "999 is for emergencies: e.g. 'In an emergency'")
    for path, text in every_string(data):
        if NOT_RUNNING_TEXT.intersection(path):
            continue
        for sentence in _sentences(text):
            for role, number in _cued_numbers(sentence):
                if (number in EMERGENCY) == (role == "an emergency"):
                    continue
                wrong(path, f"{sentence.strip()!r} gives {number} for {role}",
                      "999 (or 112) is for an emergency or danger now, 101 for what is not an emergency: "
                      "check the number and its sentence go together")
            helpline = _helpline_for_danger(sentence)
            if helpline:
                wrong(path, f"{sentence.strip()!r} gives {helpline} for an emergency",
                      "in danger now, 999 (or 112); a helpline is for advice: give 999 in this sentence, or say "
                      "the helpline is for when it is not an emergency")
    return problems


def _labels_in_language(campaign: Campaign, language: str, file: str, lines: _Lines) -> list[Problem]:
    """A translation's labels beside 999 and 101 in their roles, by the campaign's words
    for 'emergency' in that language (emergency_words): swapped, 101 reads 'In an
    emergency' to a reader of that language alone."""
    words = campaign.emergency_words.get(language)
    if not words:
        return []
    labels = campaign.labels
    said = {role: [w for w in words if w in unicodedata.normalize("NFKC", text).lower()]
            for role, text in (("emergency", labels.emergency), ("non_emergency", labels.non_emergency))}
    problems = []
    if not said["emergency"]:
        problems.append(Problem("error", file, f"the label printed beside 999, {labels.emergency!r}, has none of the "
                                               f"campaign's words for an emergency in {language!r} ({', '.join(words)})",
                                "999 is for emergencies: check the two labels are not swapped, or add the word to "
                                f"the campaign's emergency_words.{language}", line=lines.line(("labels", "emergency")),
                                field="labels.emergency"))
    if said["non_emergency"]:
        problems.append(Problem("error", file, f"the label printed beside 101, {labels.non_emergency!r}, says "
                                               f"{said['non_emergency'][0]!r}, an emergency",
                                "101 is for what is not an emergency: check the two labels are not swapped",
                                line=lines.line(("labels", "non_emergency")), field="labels.non_emergency"))
    return problems


def emergency_in_translation(english: str, translated: str, words: list[str]) -> str | None:
    """What is wrong when a translation speaks of an emergency or danger (the campaign's
    `emergency_words` for its language) with 101 the reporting number nearest the word
    (as `_cued_numbers` pairs them in English), where its English gives 101 for no
    "not an emergency": "W nagłej sytuacji dzwoń pod 101" for "To report it, call 101"
    has the same digits, and sends a reader in danger to 101. Negations are not read in
    other languages: the English decides. None when nothing is wrong."""
    sentences = _sentences(english)
    if any(role == "not an emergency" and number in NON_EMERGENCY
           for sentence in sentences for role, number in _cued_numbers(sentence)):
        return None
    text = _script_folded(unicodedata.normalize("NFKC", translated).lower())
    numbers = []  # (start, end, number): a relay's "18001 101" is 101
    for m in re.finditer(r"\d+(?: \d+)*", text):
        joined, last = m.group().replace(" ", ""), m.group().split()[-1]
        number = joined if joined in (*EMERGENCY, *NON_EMERGENCY) else \
            last if joined.startswith("18001") and last in NON_EMERGENCY else None
        if number:
            numbers.append((m.start(), m.end(), number))
    for word in (_script_folded(w.lower()) for w in words):
        for m in re.finditer(re.escape(word), text) if numbers else ():
            def apart(n):  # characters between, a sentence's end between counting as further
                a, b = sorted([m.end(), n[0]] if m.start() < n[0] else [n[1], m.start()])
                return b - a + (40 if re.search(r"[.!;?…۔؟\n]", text[a:b]) else 0)
            nearest = min(numbers, key=apart)[2]
            if nearest in NON_EMERGENCY:
                if not any(_cues(sentence) for sentence in sentences):
                    return f"{translated.strip()!r} speaks of an emergency ({word!r}) where the English does not: {english!r}"
                return f"{translated.strip()!r} gives {nearest} for an emergency ({word!r})"
    return None


# Arabic-script letters written several ways (Arabic and Urdu forms, hamza seats), the
# tatweel and the vowel marks: folded alike before a word is looked for.
_SCRIPT_FOLD = str.maketrans({"ه": "ہ", "ة": "ہ", "ي": "ی", "ى": "ی", "ك": "ک", "ئ": "ی", "ؤ": "و", "أ": "ا",
                              "إ": "ا", "آ": "ا", "ء": None, "\u0640": None,
                              **{chr(c): None for c in (*range(0x064B, 0x0660), 0x0670)}})


def _script_folded(text: str) -> str:
    return text.translate(_SCRIPT_FOLD)


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!;])\s", unicodedata.normalize("NFKC", text))


def _helpline_for_danger(sentence: str) -> str | None:
    """A full phone number (a helpline) as the only number of a sentence about an
    emergency or danger: "If you are in danger now, call the helpline on 0808 ...".
    A helpline does not send the police."""
    if not any(role == "an emergency" for _, role in _cues(sentence)) or any(m.group().replace(" ", "") in EMERGENCY for m in re.finditer(r"\d+(?: \d+)*", sentence)):
        return None
    full = [n.written for n in find_phone_numbers(sentence) if n.key not in SHORT_KEYS]
    return full[0] if full else None


def _numbers_of_services(campaign: Campaign, data: dict, file: str, lines: _Lines) -> list[Problem]:
    """A support service's name followed, in the same sentence, by another service's
    number ("Example Helpline 0808 2000 247", another service's): both numbers
    are the campaign's own, so no other check sees the caller reach the wrong service."""
    owners = {phone_key(s.phone): s for s in campaign.support if s.phone and phone_key(s.phone) not in SHORT_KEYS}
    names = sorted({_fold(s.name): s for s in campaign.support if s.phone}.items(), key=lambda i: -len(i[0]))
    problems = []
    for path, text in every_string(data):
        if NOT_RUNNING_TEXT.intersection(path) or not any(map(str.isdigit, text)):
            continue
        for sentence in _sentences(text):
            folded_sentence, named = _fold(sentence), []
            for name, service in names:  # longest first: a name inside a longer one is that one's
                named += [(m.start(), m.end(), service) for m in re.finditer(re.escape(name), folded_sentence)
                          if not any(a <= m.start() < b for a, b, _ in named)]
            for number in find_phone_numbers(sentence):
                at = folded_sentence.find(_fold(number.written))
                before = [(b, service) for a, b, service in named if b <= at]
                owner = owners.get(number.key)
                if owner is None or not before:
                    continue
                service = max(before, key=lambda item: item[0])[1]
                if service.phone and phone_key(service.phone) != number.key:
                    problems.append(Problem(
                        "error", file, f"{sentence.strip()!r} gives {owner.name}'s number ({number.written}) "
                                       f"after the name {service.name}",
                        f"{service.name} is {service.phone} (support:): each number goes with its own service's name",
                        line=lines.line(path), field=dotted_path(path)))
    return problems


def _fold(text: str) -> str:
    """Compared as read, one character for one (positions kept): case and curly quotes aside."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text.translate(QUOTES))


def _cues(sentence: str) -> list[tuple[re.Match, str]]:
    """Each mention of an emergency ("an emergency") or of what is not one ("not an
    emergency") in a sentence; an emergency word inside a negation is the negation's."""
    negated = [(m, "not an emergency") for m in NOT_EMERGENCY.finditer(sentence)]
    return negated + [(m, "an emergency") for m in EMERGENCY_WORDS.finditer(sentence)
                      if not any(n.start() <= m.start() < n.end() for n, _ in negated)]


def _cued_numbers(sentence: str) -> list[tuple[str, str]]:
    """Each mention of an emergency or a non-emergency in a sentence with the reporting
    number it goes with: the nearest (before or after, a comma between counting as
    further), as in "In an emergency call 999, for non-emergencies call 101"."""
    numbers = [m for m in re.finditer(r"\d+(?: \d+)*", sentence)
               if m.group().replace(" ", "") in (*EMERGENCY, *NON_EMERGENCY)]
    cues = _cues(sentence)

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
                "they fear", line=lines.line(path), field=dotted_path(path)))
    return problems


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
                               "searched or watched", line=lines.line(path), field=dotted_path(path)))
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




def _other_formats(campaign: Campaign, file: str, lines: _Lines) -> list[Problem]:
    """`other_formats` offers what the campaign makes: large print, an Easy Read with
    its text, or translations; a line offering none would send readers asking for
    nothing."""
    makes = ("large-print" in campaign.products or ("easy-read" in campaign.products and campaign.easy_read)
             or (campaign.variants.languages and campaign.variants.languages.codes))
    if campaign.other_formats is None or makes:
        return []
    return [Problem("error", file, "other_formats offers other formats and languages, but the campaign makes none",
                    "add large-print (or easy-read with its easy_read: text) to products, or languages under "
                    "variants.languages; or remove other_formats", line=lines.line(("other_formats",)),
                    field="other_formats")]
