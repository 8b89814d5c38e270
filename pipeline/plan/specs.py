"""What layouts/products.yaml, colours.yaml and profiles/*.yaml say: products, sizes,
imposition, output profiles (press, screen), and a layouts folder loaded (`LayoutSet`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, RootModel, model_validator

from ..content import Colour, Copies, Neutral, Slug, Strict, Wrong
from ..paths import PROFILES


# The accessible web page (pipeline/webpage.py): not a product of products.yaml, but
# chosen with --only like one.
WEB_PAGE = "web-page"

Millimetres = Annotated[float, Field(gt=0, le=2000)]

# The variant axes a product is made for: the county-wide version, each district,
# each partner, each language (products.yaml `made_for`, `copies`).
AXES = ("county", "districts", "partners", "languages")
Axis = Literal["county", "districts", "partners", "languages"]


def _known_profiles(names: list[str]) -> list[str]:
    known = sorted(path.stem for path in PROFILES.glob("*.yaml"))
    for name in names:
        if name not in known:
            raise Wrong(f"unknown profile {name!r}", f"choose from: {', '.join(known)} (files in profiles/)")
    return names


ProfileNames = Annotated[list[str], Field(min_length=1), AfterValidator(_known_profiles)]


# A CSS pixel: a screen product's page is its pixel size at 96 px to the inch, so its
# PDF rasters to exactly those pixels.
MM_PER_PX = 25.4 / 96
Side = Literal["top", "bottom", "left", "right"]


class ScreenSpec(Strict):
    """A screen product's image (a social post, a story, a link preview): its exact
    pixels and the screen preflight's limits, in pixels of the image."""

    pixels: tuple[Annotated[int, Field(ge=100, le=4000)], Annotated[int, Field(ge=100, le=4000)]]
    min_text_px: Annotated[float, Field(gt=0)] = 24  # legible at the size the medium shows it
    clear_px: dict[Side, Annotated[int, Field(ge=0)]] = {}  # edges the platforms' interfaces cover: no text


class SizeSpec(Strict):
    trim_mm: tuple[Millimetres, Millimetres]
    stylesheets: Annotated[list[str], Field(min_length=1)]
    min_type_pt: Annotated[float, Field(gt=0)] = 12
    min_qr_module_mm: Annotated[float, Field(gt=0)] | None = None  # overrides the product's
    # The product matrix for this size; each overrides the product's.
    profiles: ProfileNames | None = None
    made_for: list[Axis] | None = None
    copies: dict[Axis, Copies] | None = None
    safe_mm: Annotated[float, Field(ge=0)] | None = None
    screen: ScreenSpec | None = None  # an image for screens: its trim is its pixels (no trim_mm)

    @model_validator(mode="before")
    @classmethod
    def _trim_of_pixels(cls, data):
        if isinstance(data, dict) and isinstance(data.get("screen"), dict) and "pixels" in data["screen"]:
            if "trim_mm" in data:
                raise ValueError("a screen size gives its pixels (screen.pixels), not trim_mm")
            data = {**data, "trim_mm": [px * MM_PER_PX for px in data["screen"]["pixels"]]}
        return data


class ImposeSpec(Strict):
    """n-up press sheets made from the product's press PDF."""

    name: Slug  # in the file name, e.g. "a4" -> wallet-card-imposed-a4.pdf
    sheet_mm: tuple[Millimetres, Millimetres]
    columns: Annotated[int, Field(ge=1)]
    rows: Annotated[int, Field(ge=1)]


class ProductSpec(Strict):
    template: str
    name: str | None = None  # as people call it (the partner portal shows it); default: from the key
    # In QR tracking codes (pa3-york): short, plain, unique; default: the name's initials
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{0,3}$")] | None = None
    pages: Annotated[int, Field(ge=1)]
    # A document that runs on over as many pages as its content needs (large print,
    # Easy Read): `pages` is then the fewest, `max_pages` the most. None: exactly `pages`.
    max_pages: Annotated[int, Field(ge=1, le=40)] | None = None
    each: Literal["statistic"] | None = None  # one PDF per statistic of the campaign
    # A campaign section the product is made from: a campaign (or translation) without
    # it gets no such product (easy_read: the Easy Read leaflet's own sentences)
    needs: Literal["easy_read"] | None = None
    print_note: str | None = None  # for the printer, in print-order.csv (paper, how it is ordered)
    options: dict[str, bool | str] = {}  # passed to the template as `options`
    safe_mm: Annotated[float, Field(ge=0)] | None = None  # overrides the profile's
    folds_mm: list[list[Millimetres]] = []
    # right-to-left languages: the sheet folds the other way (folds_mm mirrored)
    folds_mm_rtl: list[list[Millimetres]] | None = None
    impose: ImposeSpec | None = None
    min_qr_mm: Annotated[float, Field(gt=0)] = 20
    min_qr_module_mm: Annotated[float, Field(gt=0)] = 0.4  # print reference: not under about 0.4 mm
    min_image_ppi: Annotated[float, Field(gt=0)] = 300
    max_empty_share: Annotated[float, Field(gt=0, le=1)] | None = None  # preflight: largest empty block
    # copyfitting: the stylesheets' fill steps .fit-1 ... .fit-N, tried while a page is too empty
    fit_steps: Annotated[int, Field(ge=0, le=6)] = 0
    # the stylesheets' shrink steps .shrink-1 ... .shrink-N, tried while text is covered
    shrink_steps: Annotated[int, Field(ge=0, le=6)] = 0
    # The product matrix (a size may set its own):
    profiles: ProfileNames | None = None  # made in these profiles only; None: every profile built
    made_for: list[Axis] = list(AXES)  # where a campaign that lists it gets it; []: only where ordered
    copies: dict[Axis, Copies] = {}  # copies per axis where the campaign gives none
    sizes: Annotated[dict[str, SizeSpec], Field(min_length=1)]

    def pages_fit(self, pages: int) -> bool:
        """`pages` is a page count the product may have."""
        return self.pages <= pages <= (self.max_pages or self.pages)

    def page_overflow(self, pages: int) -> int:
        """How many pages `pages` is outside the product's range (0: within it)."""
        return max(self.pages - pages, pages - (self.max_pages or self.pages), 0)

    def size_profiles(self, size: str) -> list[str] | None:
        own = self.sizes[size].profiles
        return own if own is not None else self.profiles

    def size_made_for(self, size: str) -> list[str]:
        own = self.sizes[size].made_for
        return own if own is not None else self.made_for

    def size_copies(self, size: str, axis: str) -> int | None:
        own = self.sizes[size].copies
        return (own if own is not None else self.copies).get(axis)


class Products(RootModel[dict[str, ProductSpec]]):
    @model_validator(mode="after")
    def _codes_unique(self) -> "Products":
        seen: dict[str, str] = {}
        for name, spec in self.root.items():
            code = product_code(name, spec)
            if code in seen:
                raise ValueError(f"{seen[code]} and {name} have the same tracking code {code!r}: "
                                 f"give one of them another 'code:' (1-4 letters and digits)")
            seen[code] = name
        return self


def product_code(name: str, spec: ProductSpec) -> str:
    """The product in QR tracking codes: its `code`, or its name's initials, keeping
    a word with digits whole (poster -> p, leaflet-a5 -> la5, wallet-card -> wc)."""
    if spec.code:
        return spec.code
    return "".join(word if any(ch.isdigit() for ch in word) else word[:1] for word in name.split("-") if word)


class Colours(RootModel[dict[str, Colour]]):
    pass


class OutputIntent(Strict):
    icc: str  # file name in colour/
    identifier: str  # registered name, e.g. FOGRA39
    condition: str
    registry: str = "http://www.color.org"


class SmallText(Strict):
    """Small type in one ink (print-standards, Colour): text under `below_pt` prints in
    at most `max_inks` process inks (100 % K, or one ink), or it fringes when the
    plates misregister. Type reversed out of a ground (paper-white text) is cut out
    of every plate of that ground, so the ground's inks count, unless the type is bold
    and at least `reversed_bold_min_pt`. Checked by preflight (`small-text-inks`)."""

    below_pt: Annotated[float, Field(gt=0, le=72)] = 12
    max_inks: Annotated[int, Field(ge=1, le=4)] = 1
    reversed_bold_min_pt: Annotated[float, Field(gt=0, le=72)] | None = None  # None: no exception


class Profile(Strict):
    """How a job is written: for a press (CMYK, bleed, PDF/X) or for screens."""

    description: str
    output: Literal["print", "screen", "social"]  # social: images for screens (PNG, JPEG), no PDF
    default: bool = False
    suffix: str | None = None  # added to file names; default "-<profile name>"
    bleed_mm: Annotated[float, Field(ge=0, le=20)] = 0
    safe_mm: Annotated[float, Field(ge=0, le=30)] = 5
    pdf_variant: Literal["pdf/x-1a", "pdf/x-3", "pdf/x-4", "pdf/ua-1"] | None = None  # None: social only
    crop_marks: bool = False
    output_intent: OutputIntent | None = None
    utm_medium: Neutral | None = None
    small_text: SmallText | None = None  # press only

    @model_validator(mode="after")
    def _fits_output(self) -> "Profile":
        if self.output != "social" and self.pdf_variant is None:
            raise ValueError("a print or screen profile needs a pdf_variant")
        if self.output == "print":
            if not self.pdf_variant.startswith("pdf/x"):
                raise ValueError("a print profile needs a PDF/X variant (pdf/x-4 or pdf/x-1a)")
            if self.output_intent is None:
                raise ValueError("a print profile needs an output_intent (the press condition)")
        elif self.bleed_mm or self.crop_marks or (self.pdf_variant or "").startswith("pdf/x"):
            raise ValueError("a screen or social profile has no bleed, no crop marks and is not PDF/X")
        elif self.small_text:
            raise ValueError("small_text is a press rule (plates and inks): a screen profile has none")
        return self


@dataclass(frozen=True)
class NamedProfile:
    name: str
    spec: Profile
    # Asked for (--profile, or a default one when none is named): every product is made
    # in it. False: made only for the products that name it (products.yaml `profiles`).
    chosen: bool = field(default=True, compare=False)

    @property
    def suffix(self) -> str:
        return f"-{self.name}" if self.spec.suffix is None else self.spec.suffix


@dataclass(frozen=True, eq=False)
class LayoutSet:
    """A folder of layouts: templates, stylesheets, products.yaml and colours.yaml."""

    folder: Path
    products: dict[str, ProductSpec]
    colours: dict[str, Colour]
