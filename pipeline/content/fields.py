"""Field types of the campaign schema: validators that say what is wrong and how to fix
it (`Wrong`), plain text, phone, email and neutral codes, and how a reader reads a word (`folded`)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import unquote

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..inputs import check_phone

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


@lru_cache(maxsize=1024)
def word_reading(word: str) -> str:
    """A short word's plain reading (`folded`'s first), worked out once: a campaign's
    revealing words are looked for in every tracking code and text it prints."""
    return folded(word)[0]


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


def described(text: str, *examples) -> Any:
    """A field's description (the editor's tooltip, the field reference, the hint of a
    "missing" error) and examples, for the JSON Schema."""
    return Field(description=text, examples=list(examples) or None)


HOST_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"
# A path in assets/: no "." or ".." segment, no hidden file (each part begins with a letter, digit, _ or -).
IMAGE_FILE = r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*\.(png|jpe?g|svg)$"
Host = Annotated[str, Field(pattern=HOST_PATTERN)]


Copies = Annotated[int, Field(ge=0, le=10_000_000)]  # copies to print (print-order.csv)
