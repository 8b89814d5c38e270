"""Turning campaigns × products × sizes into jobs, each with its output name.

Products are data (layouts/products.yaml): a template, stylesheets and a trim size.
The package: `specs` (products, profiles, a layouts set), `job` (one PDF to make),
`layoutset` (loading layouts and profiles), `names` (names and orders checked),
`matrix` (the jobs of a build).
"""
from .job import Job, media_bleed_mm, slug
from .layoutset import NEIGHBOURS, layouts_neighbours, load_layouts, load_profiles, select_profiles
from .matrix import check_tracking, plan
from .names import MAX_SLUG, check_names
from .specs import (AXES, WEB_PAGE, Colours, ImposeSpec, LayoutSet, NamedProfile, OutputIntent, ProductSpec, Products,
                    Profile, SizeSpec, SmallText, product_code)
from ..content import Colour

__all__ = ["Job", "slug", "media_bleed_mm", "NEIGHBOURS",
           "layouts_neighbours", "load_layouts", "load_profiles", "select_profiles", "check_tracking", "plan",
           "MAX_SLUG", "check_names", "AXES", "WEB_PAGE", "Colours", "ImposeSpec", "LayoutSet", "NamedProfile",
           "OutputIntent", "ProductSpec", "Products", "Profile", "SizeSpec", "SmallText", "product_code", "Colour"]
