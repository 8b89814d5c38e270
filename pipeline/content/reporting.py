"""The reporting lines (999, 101, text relay, Silent Solution), each checked in its role:
a valid number in the wrong place sends a caller to the wrong service."""
from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, field_validator, model_validator

from .fields import Phone, Strict, Text, Wrong, described


# Each reporting line has one role: a valid number in the wrong place (999 printed
# as the non-emergency line) sends a caller to the wrong service, so the roles are
# checked, not only the numbers.
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
        example = "write e.g. 'If you cannot speak on a mobile, call 999 and press 55 when prompted.'"
        wrong = sorted(_numbers_named(text or "") - {*EMERGENCY, SILENT_SOLUTION})
        if wrong:
            raise Wrong(f"names {', '.join(wrong)}: the Silent Solution works only through 999 (then 55)", example)
        # In the order they are dialled: "call 55 and press 999" has both numbers and reaches nobody.
        named = [str(int(n)) for n in re.findall(r"\d+", unicodedata.normalize("NFKC", text or ""))]
        if named and named[0] not in EMERGENCY:
            raise Wrong(f"must say to call 999 first, then press 55 (it names {', '.join(named)}, in that order)",
                        example)
        return text
