"""Easy Read: the campaign's `easy_read:` text, the rules its sentences keep, and its pictures.

Easy Read text is written by people, never derived from the campaign's other text
(campaign-design reference: Mencap; Department of Health "Making written information
easier to understand"): short sentences, one idea each, numbers as digits, a picture
beside each sentence, the same picture for the same idea throughout. Each sentence is
checked here as it is loaded, so one too long or with two numbers is refused at its line.

The pictures are OpenMoji (CC BY-SA 4.0), one SVG a picture in assets/easy-read/,
named by what they show (assets/easy-read/README.md lists each with its OpenMoji code).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ..inputs import find_phone_numbers, plain
from ..paths import ASSETS
from .fields import Strict, Text, Wrong, described

PICTURES = ASSETS / "easy-read"  # <name>.svg, named by what the picture shows
PICTURE_NAME = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_WORDS = 15  # Easy Read guidance: short sentences; 15 words is a common house limit
# A number as a reader reads it: digits, thousands with commas, decimals, a per cent
# sign; a group of digits run on with single spaces ("18001 101") is one number to dial.
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?%?(?: \d+(?:,\d{3})*)*")
SENTENCE_END = re.compile(r"[.!?](?=\s+\S)")


def numbers_in(sentence: str) -> list[str]:
    """The numbers a reader meets in `sentence`: a phone number counts once, however
    it is grouped ("0808 802 0300")."""
    text = plain(sentence)
    for phone in find_phone_numbers(text):
        text = text.replace(phone.written, " # ")
    return [m.group(0) for m in NUMBER.finditer(text)] + ["#"] * text.count(" # ")


def sentence_wrong(sentence: str) -> tuple[str, str] | None:
    """What breaks Easy Read's rules in one sentence, and how to fix it; None if nothing."""
    words = sentence.split()
    if len(words) > MAX_WORDS:
        return (f"has {len(words)} words; an Easy Read sentence has at most {MAX_WORDS}",
                "split it into two sentences, each with its own picture, or use fewer words")
    if SENTENCE_END.search(sentence):
        return ("is more than one sentence", "give each sentence its own line and picture: one idea each")
    numbers = numbers_in(sentence)
    if len(numbers) > 1:
        shown = ", ".join(n for n in numbers if n != "#") or "phone numbers"
        return (f"has {len(numbers)} numbers ({shown}); an Easy Read sentence has one at most",
                "split it into sentences with one number each")
    return None


def picture_wrong(name: str) -> tuple[str, str] | None:
    """A picture name that names no file in assets/easy-read/, with the names there."""
    if (PICTURES / f"{name}.svg").is_file():
        return None
    known = sorted(path.stem for path in PICTURES.glob("*.svg"))
    return (f"there is no picture {name!r} (assets/easy-read/{name}.svg)",
            f"choose one of: {', '.join(known)}; or add an OpenMoji SVG there (assets/easy-read/README.md)")


def picture_files(easy_read) -> list[Path]:
    """The picture files an Easy Read text (the campaign's easy_read) prints, each once,
    in order: part of its leaflet's input hash (the template names them by name only)."""
    names = [s.picture for section in easy_read.sections for s in section.sentences] if easy_read else []
    return [PICTURES / f"{name}.svg" for name in dict.fromkeys(names)]


def _sentence(value: str) -> str:
    wrong = sentence_wrong(value)
    if wrong:
        raise Wrong(*wrong)
    return value


def _picture(value: str) -> str:
    wrong = picture_wrong(value)
    if wrong:
        raise Wrong(*wrong)
    return value


class EasyReadSentence(Strict):
    picture: Annotated[str, Field(pattern=PICTURE_NAME), AfterValidator(_picture), described(
        "The picture printed on its left: a name in assets/easy-read/ (an OpenMoji SVG); the same picture for "
        "the same idea throughout", "telephone")]
    text: Annotated[Text, AfterValidator(_sentence), described(
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


# The campaign's field (content/model.py), described here beside its model.
EasyReadText = Annotated[EasyRead | None, described(
    "The Easy Read leaflet's own sentences, each with its picture (products: easy-read). A translation "
    "translates it whole, or leaves it out and has no Easy Read")]
