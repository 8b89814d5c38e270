"""The brand schema (a force's colours, font, logo and web hosts) and where brand files are read from."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from ..paths import BRANDS as PROJECT_BRANDS
from .fields import Host, Strict, Text, Wrong, described


# strict: `true` or "50" is a mistake, not 1 or 50 (a whole number is a number).
Percent = Annotated[float, Field(ge=0, le=100, strict=True)]
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


class Lockup(Strict):
    """How every layout places the force's logo: the brand's rules."""

    position: Annotated[Literal["top-left", "top-right"], described(
        "The corner of the product's top band the logo stands in", "top-right")] = "top-left"
    min_height_mm: Annotated[float, Field(gt=0, le=60, strict=True), described(
        "The logo's smallest printed height in mm (preflight refuses it smaller)", 10)] = 8
    clear_space: Annotated[float, Field(ge=0, le=1, strict=True), described(
        "Space kept clear on every side of the logo, as a share of its printed height (preflight: nothing "
        "else printed in it)", 0.25)] = 0.25


class Brand(Strict):
    """A force's look, shared by its campaigns: content/brands/<brand>.yaml."""

    force: Annotated[Text, described("The force's name: the wordmark (when there is no logo) and the PDFs' author",
                                     "Example Constabulary")]
    colours: Annotated[dict[str, Colour], Field(json_schema_extra={"propertyNames": {"enum": list(COLOUR_ROLES)}}),
                       described(
        "Colours by role, used by the layouts as var(--primary), var(--accent), var(--tint); "
        "roles not given keep the neutral defaults of layouts/colours.yaml: " + ", ".join(COLOUR_ROLES))] = {}
    logo: Annotated[str | None, described("The force's logo, a file in assets/ (SVG), printed instead of "
                                          "the text wordmark, the force's name beside it")] = None
    lockup: Annotated[Lockup, described("The logo's lockup rules: position, minimum size, clear space")] = Lockup()
    font: Annotated[BrandFont | None, described("The typeface (OFL files in fonts/); default Atkinson Hyperlegible")] = None
    handle: Annotated[str | None, Field(pattern=r"^@\w+$"), described("Social media handle", "@ExamplePolice")] = None
    hashtag: Annotated[str | None, Field(pattern=r"^#\w+$"), described("A standing hashtag, if the force has one")] = None
    web_hosts: Annotated[list[Host], Field(min_length=1), described(
        "The force's own web hosts: a campaign's qr.allowed_hosts must be among them, so a QR code "
        "opens another site only if the brand file says the site is the force's",
        ["www.example.police.uk"])]


def brand_path(brand: str) -> Path:
    """The project's content/brands/<brand>.yaml: the only place brand files are read
    from. A brand file says which sites are the force's, so one beside a campaign
    (sent with it, or copied from elsewhere) must not stand in for the project's."""
    return PROJECT_BRANDS / f"{brand}.yaml"
