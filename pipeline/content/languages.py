"""The languages of a campaign's products: the translations it is made in, with their
copies, the two languages of its bilingual products, and the line that offers the
other formats and languages on request (`other_formats`)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ..inputs import find_web_addresses
from .fields import Copies, Strict, Text, Wrong, described

LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]


class Language(Strict):
    """One language's own copies, where they differ from the axis's."""

    code: Annotated[LanguageCode, described("The language, one of variants.languages.codes", "pl")]
    copies: Annotated[dict[str, Copies], described("Copies of each product in this language (print-order.csv)",
                                                   {"leaflet-a5": 400})] = {}


class LanguageAxis(Strict):
    # Languages other than the campaign's own: content/translations/<campaign>/<code>.yaml
    codes: Annotated[list[LanguageCode], described(
        "The translations to make every product in: content/translations/<campaign>/<code>.yaml each", ["ur", "pl"])]
    products: Annotated[list[str], Field(min_length=1)]
    copies: Annotated[dict[str, Copies], described(
        "Copies of each product per language (print-order.csv), unless the language says otherwise",
        {"poster": 10, "leaflet-a5": 200})] = {}
    items: Annotated[list[Language], described("Languages whose copies differ from `copies`")] = []

    @model_validator(mode="after")
    def _items_are_codes(self) -> "LanguageAxis":
        unknown = [item.code for item in self.items if item.code not in self.codes]
        if unknown:
            raise Wrong(f"items name {', '.join(map(repr, unknown))}, not in codes {self.codes}",
                        "add the language to codes, or correct the item's code")
        return self

    def copies_of(self, language: str, product: str) -> Copies | None:
        own = next((item.copies for item in self.items if item.code == language), {})
        return own.get(product, self.copies.get(product))


class Bilingual(Strict):
    """Two languages on one product (products.yaml: options.bilingual), e.g. Welsh and
    English, as Welsh forces print them by law."""

    languages: Annotated[list[Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]],
                         Field(min_length=2, max_length=2), described(
        "The two languages in reading order: the first on the left (side by side) or on the front "
        "(back to back); the campaign's own language and one translation (content/translations/). "
        "The code opens, and the products print, the first language's page (its qr.url and qr.label, "
        "else the campaign's)",
        ["cy", "en-GB"])]
    weight: Annotated[Literal["equal", "first"], described(
        "equal: both the same size and weight (the Welsh Language Standards); first: the first language "
        "set larger, the second smaller", "equal")] = "equal"


def in_reading_order(campaign, companion=None) -> list:
    """A campaign alone, or with its bilingual companion (its translation) in the order
    the campaign declares (`bilingual.languages`)."""
    if companion is None:
        return [campaign]
    return [campaign if code == campaign.language else companion for code in campaign.bilingual.languages]


ADDRESS = "{address}"  # in other_formats.contact: the page the product's code opens, as printed beside it


class OtherFormats(Strict):
    """The line the leaflets (and the posters where it fits) print: the material is
    also in large print, Easy Read and other languages, and how to ask for it
    (print-standards: every printed product says so)."""

    text: Annotated[Text, Field(max_length=120), described(
        "What else the material is available in: only the formats and languages the campaign makes",
        "Also available in large print, Easy Read and other languages.")]
    contact: Annotated[Text, Field(max_length=120), described(
        "How to ask for them: one of the campaign's numbers (e.g. 101) or e-mail addresses, or {address}, "
        "which prints the page the product's code opens (its address beside the code)",
        "To ask for a copy, call 101 or visit {address}.")]

    @field_validator("contact")
    @classmethod
    def _says_how(cls, contact: str) -> str:
        if ADDRESS not in contact and not any(ch.isdigit() for ch in contact) and "@" not in contact \
                and not find_web_addresses(contact):
            raise Wrong("does not say how to ask: it names no number, e-mail address or web page",
                        f"add one of the campaign's numbers (e.g. 101), or {ADDRESS} for the campaign's page")
        return contact


# The campaign's field (content/model.py), described here beside its model.
OtherFormatsText = Annotated[OtherFormats | None, described(
    "A short line on the leaflets and posters: the other formats and languages the campaign is made in "
    "(large-print, easy-read, variants.languages) and how to ask for them; printed only when it makes some. "
    "A translation translates it too")]
