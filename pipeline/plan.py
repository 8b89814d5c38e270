"""Turning campaigns × products × sizes into jobs, each with its output name.

Products are data (layouts/products.yaml): a template, stylesheets and a trim size.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, RootModel

from .content import LoadedCampaign, Strict, load_model
from .qr import qr_url

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = ROOT / "layouts"
PRODUCTS_FILE = LAYOUTS / "products.yaml"

Millimetres = Annotated[float, Field(gt=0, le=2000)]


class SizeSpec(Strict):
    trim_mm: tuple[Millimetres, Millimetres]
    stylesheets: Annotated[list[str], Field(min_length=1)]


class ProductSpec(Strict):
    template: str
    pages: Annotated[int, Field(ge=1)]
    folds_mm: list[list[Millimetres]] = []
    sizes: Annotated[dict[str, SizeSpec], Field(min_length=1)]


class Products(RootModel[dict[str, ProductSpec]]):
    pass


@dataclass(frozen=True)
class Job:
    """One PDF to make: campaign × product × size (× variant, later)."""

    source: LoadedCampaign
    product: str
    size: str
    spec: ProductSpec
    variant: str | None = None

    @property
    def name(self) -> str:
        # A product with one size already says its size (leaflet-dl), so don't repeat it.
        if len(self.spec.sizes) == 1:
            return self.product
        return f"{self.product}-{self.size.lower()}"

    @property
    def output(self) -> str:
        """Path of the PDF relative to the campaign's output folder."""
        return f"{self.name}.pdf"

    @property
    def trim_mm(self) -> tuple[float, float]:
        return self.spec.sizes[self.size].trim_mm

    @property
    def stylesheets(self) -> list[str]:
        return self.spec.sizes[self.size].stylesheets

    @property
    def qr_url(self) -> str:
        return qr_url(self.source.campaign.qr, utm_content=self.name)


def load_products(path: Path = PRODUCTS_FILE) -> dict[str, ProductSpec]:
    return load_model(path, Products).root


def plan(campaigns: list[LoadedCampaign], products: dict[str, ProductSpec],
         only: list[str] | None = None) -> list[Job]:
    """Every job for the given campaigns, in a stable order (campaign, product, size)."""
    jobs = []
    for source in campaigns:
        for product, spec in products.items():
            if only and product not in only:
                continue
            for size in spec.sizes:
                jobs.append(Job(source=source, product=product, size=size, spec=spec))
    return jobs
