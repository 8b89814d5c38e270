"""What a campaign chooses per product beyond its words (docs/fields.md: `image`,
`show`): a photograph or illustration placed by its focal point, and how many of the
support services and signs each product carries."""
from __future__ import annotations

import difflib
from typing import Annotated

from pydantic import Field

from .brand import Percent
from .fields import IMAGE_FILE, Strict, Text, Wrong, described


class Picture(Strict):
    """A photograph or illustration: a file in assets/, placed by its focal point."""

    file: Annotated[str, Field(pattern=IMAGE_FILE), described(
        "The image, a file in assets/ (PNG or JPEG at 300 ppi at its printed size, or SVG; a still, with no QR "
        "code); sRGB, converted to the press profile for press PDFs", "images/hands-and-phone.jpg")]
    alt: Annotated[Text, described("What it shows, for screen readers (screen copies and the web page)",
                                   "A hand holding a phone with a message on its screen")]
    credit: Annotated[Text | None, described("The photographer or illustrator, printed small beside the image",
                                             "Photo: Jane Smith")] = None
    focal_point: Annotated[tuple[Percent, Percent], described(
        "The point to keep in view when the image is cropped to its slot: across and down, percent of its "
        "width and height", [50, 30])] = (50, 50)


class Show(Strict):
    """How much of the campaign's content one product carries."""

    support: Annotated[int | None, Field(ge=1, le=6, strict=True), described(
        "How many of the support services it shows, from the first, at most as many as support lists (posters "
        "and key-statistic posters: 1; wallet cards: as many as fit, up to 4)", 2)] = None
    signs: Annotated[int | None, Field(ge=0, le=8, strict=True), described(
        "How many of the signs it lists, from the first, at most as many as signs lists, under labels.signs "
        "(posters only; default none)", 4)] = None
    image: Annotated[Picture | None, described("This product's own image, instead of the campaign's")] = None


def check_show(show: dict[str, Show], products: list[str], signs: list, support: list | None) -> dict[str, Show]:
    """Each product `show` names is one of the campaign's, and the services and signs
    it is to show exist (a count past the list would print fewer than the editor chose)."""
    for product, chosen in show.items():
        if product not in products:
            close = difflib.get_close_matches(product, products, n=1)
            raise Wrong(f"show.{product}: {product!r} is not one of the campaign's products {products}",
                        (f"did you mean {close[0]!r}? " if close else "") + "name a product listed under 'products:'")
        if chosen.signs and not signs:
            raise Wrong(f"show.{product}.signs: the campaign has no signs to show",
                        "add the list under 'signs:' (and its heading, labels.signs), or leave signs out")
        for name, count, listed in (("support", chosen.support, support), ("signs", chosen.signs, signs)):
            what = "support services" if name == "support" else "signs"
            if count and listed and count > len(listed):
                raise Wrong(f"show.{product}.{name}: {count}, but the campaign lists {len(listed)} {what}",
                            f"write at most {len(listed)}, or add the missing {what} under '{name}:'")
    return show
