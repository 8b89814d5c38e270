"""Turning campaigns × products × sizes into jobs, each with its output name.

Products are data (layouts/products.yaml): a template, stylesheets and a trim size.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, RootModel, model_validator

from .content import LoadedCampaign, Neutral, Strict, load_model
from .problems import ContentError, PipelineError, Problem
from .qr import qr_url

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = ROOT / "layouts"
PROFILES = ROOT / "profiles"
COLOUR = ROOT / "colour"

Millimetres = Annotated[float, Field(gt=0, le=2000)]


class SizeSpec(Strict):
    trim_mm: tuple[Millimetres, Millimetres]
    stylesheets: Annotated[list[str], Field(min_length=1)]
    min_type_pt: Annotated[float, Field(gt=0)] = 12


class ProductSpec(Strict):
    template: str
    pages: Annotated[int, Field(ge=1)]
    folds_mm: list[list[Millimetres]] = []
    min_qr_mm: Annotated[float, Field(gt=0)] = 20
    min_image_ppi: Annotated[float, Field(gt=0)] = 300
    sizes: Annotated[dict[str, SizeSpec], Field(min_length=1)]


class Products(RootModel[dict[str, ProductSpec]]):
    pass


Percent = Annotated[float, Field(ge=0, le=100)]


class Colour(Strict):
    cmyk: tuple[Percent, Percent, Percent, Percent]
    rgb: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


class Colours(RootModel[dict[str, Colour]]):
    pass


class OutputIntent(Strict):
    icc: str  # file name in colour/
    identifier: str  # registered name, e.g. FOGRA39
    condition: str
    registry: str = "http://www.color.org"


class Profile(Strict):
    """How a job is written: for a press (CMYK, bleed, PDF/X) or for screens."""

    description: str
    output: Literal["print", "screen"]
    default: bool = False
    suffix: str | None = None  # added to file names; default "-<profile name>"
    bleed_mm: Annotated[float, Field(ge=0, le=20)] = 0
    safe_mm: Annotated[float, Field(ge=0, le=30)] = 5
    pdf_variant: Literal["pdf/x-1a", "pdf/x-3", "pdf/x-4", "pdf/ua-1"]
    crop_marks: bool = False
    output_intent: OutputIntent | None = None
    utm_medium: Neutral | None = None

    @model_validator(mode="after")
    def _fits_output(self) -> "Profile":
        if self.output == "print":
            if not self.pdf_variant.startswith("pdf/x"):
                raise ValueError("a print profile needs a PDF/X variant (pdf/x-4 or pdf/x-1a)")
            if self.output_intent is None:
                raise ValueError("a print profile needs an output_intent (the press condition)")
        elif self.bleed_mm or self.crop_marks or self.pdf_variant.startswith("pdf/x"):
            raise ValueError("a screen profile has no bleed, no crop marks and is not PDF/X")
        return self


@dataclass(frozen=True)
class NamedProfile:
    name: str
    spec: Profile

    @property
    def suffix(self) -> str:
        return f"-{self.name}" if self.spec.suffix is None else self.spec.suffix


@dataclass(frozen=True, eq=False)
class LayoutSet:
    """A folder of layouts: templates, stylesheets, products.yaml and colours.yaml."""

    folder: Path
    products: dict[str, ProductSpec]
    colours: dict[str, Colour]


@dataclass(frozen=True)
class Job:
    """One PDF to make: campaign × product × size (× variant, later)."""

    source: LoadedCampaign
    layouts: LayoutSet
    product: str
    size: str
    profile: NamedProfile
    variant: str | None = None

    @property
    def spec(self) -> ProductSpec:
        return self.layouts.products[self.product]

    @property
    def name(self) -> str:
        # A product with one size already says its size (leaflet-dl), so don't repeat it.
        if len(self.spec.sizes) == 1:
            return self.product
        return f"{self.product}-{self.size.lower()}"

    @property
    def output(self) -> str:
        """Path of the PDF relative to the campaign's output folder."""
        return f"{self.name}{self.profile.suffix}.pdf"

    @property
    def trim_mm(self) -> tuple[float, float]:
        return self.spec.sizes[self.size].trim_mm

    @property
    def stylesheets(self) -> list[str]:
        return self.spec.sizes[self.size].stylesheets

    @property
    def qr_url(self) -> str:
        return qr_url(self.source.campaign.qr, utm_content=self.name,
                      medium=self.profile.spec.utm_medium)


def load_layouts(folder: Path = LAYOUTS) -> LayoutSet:
    """products.yaml and colours.yaml of a layouts folder; all problems of both at once."""
    loaded, problems = {}, []
    for name, model in (("products", Products), ("colours", Colours)):
        try:
            loaded[name] = load_model(folder / f"{name}.yaml", model).root
        except ContentError as exc:
            problems += exc.problems
    if problems:
        raise ContentError(problems)
    return LayoutSet(folder.resolve(), loaded["products"], loaded["colours"])


def load_profiles(folder: Path = PROFILES) -> dict[str, NamedProfile]:
    """Every profiles/*.yaml, by file name; all problems of all files at once."""
    profiles, problems = {}, []
    for path in sorted(folder.glob("*.yaml")):
        try:
            profiles[path.stem] = NamedProfile(path.stem, load_model(path, Profile))
        except ContentError as exc:
            problems += exc.problems
    for named in profiles.values():
        intent = named.spec.output_intent
        if intent and not (COLOUR / intent.icc).is_file():
            problems.append(Problem("error", f"profiles/{named.name}.yaml", f"ICC profile colour/{intent.icc} not found",
                                    "put the ICC file in colour/ or fix output_intent.icc",
                                    field="output_intent.icc"))
    if problems:
        raise ContentError(problems)
    return profiles


def select_profiles(profiles: dict[str, NamedProfile], name: str | None) -> list[NamedProfile]:
    """The profile asked for, or every default one (press + screen)."""
    if name is None:
        return [p for p in profiles.values() if p.spec.default]
    if name not in profiles:
        raise PipelineError([Problem("error", "--profile", f"unknown profile {name!r}",
                                     f"choose from: {', '.join(profiles)} (files in profiles/)")])
    return [profiles[name]]


def plan(campaigns: list[LoadedCampaign], layouts: LayoutSet,
         profiles: list[NamedProfile], only: list[str] | None = None) -> list[Job]:
    """Every job, in a stable order: campaign, product, size, profile."""
    unknown = sorted(set(only or []) - set(layouts.products))
    if unknown:
        raise PipelineError([Problem("error", "--only", f"unknown product(s): {', '.join(unknown)}",
                                     f"choose from: {', '.join(layouts.products)}")])
    jobs = []
    for source in campaigns:
        for product, spec in layouts.products.items():
            if only and product not in only:
                continue
            for size in spec.sizes:
                for profile in profiles:
                    jobs.append(Job(source=source, layouts=layouts, product=product, size=size,
                                    profile=profile))
    return jobs
