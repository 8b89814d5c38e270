"""Turning campaigns × products × sizes into jobs, each with its output name.

Products are data (layouts/products.yaml): a template, stylesheets and a trim size.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, RootModel, model_validator

from .content import (Colour, Copies, District, LoadedCampaign, Neutral, Partner, Slug, Strict, Wrong, _dotted,
                      load_model)
from .problems import ContentError, PipelineError, Problem
from .qr import qr_url, short_name

from .paths import ASSETS, COLOUR, FONTS, LAYOUTS, PROFILES, ROOT  # noqa: E402 (re-exported)

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
    output: Literal["print", "screen"]
    default: bool = False
    suffix: str | None = None  # added to file names; default "-<profile name>"
    bleed_mm: Annotated[float, Field(ge=0, le=20)] = 0
    safe_mm: Annotated[float, Field(ge=0, le=30)] = 5
    pdf_variant: Literal["pdf/x-1a", "pdf/x-3", "pdf/x-4", "pdf/ua-1"]
    crop_marks: bool = False
    output_intent: OutputIntent | None = None
    utm_medium: Neutral | None = None
    small_text: SmallText | None = None  # press only

    @model_validator(mode="after")
    def _fits_output(self) -> "Profile":
        if self.output == "print":
            if not self.pdf_variant.startswith("pdf/x"):
                raise ValueError("a print profile needs a PDF/X variant (pdf/x-4 or pdf/x-1a)")
            if self.output_intent is None:
                raise ValueError("a print profile needs an output_intent (the press condition)")
        elif self.bleed_mm or self.crop_marks or self.pdf_variant.startswith("pdf/x"):
            raise ValueError("a screen profile has no bleed, no crop marks and is not PDF/X")
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


def slug(text: str) -> str:
    """'Over 100' -> 'over-100', '96%' -> '96': safe in file names and tracking codes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class Job:
    """One PDF to make: campaign × product × size × variant, in one profile.

    A variant is at most one of: a district, a partner, a language (the source is
    then the translated campaign), and for a product made `each: statistic`, the
    statistic it shows."""

    source: LoadedCampaign
    layouts: LayoutSet
    product: str
    size: str
    profile: NamedProfile
    district: District | None = None
    partner: Partner | None = None
    statistic: int | None = None
    ordered_copies: int | None = None  # from the campaign's `orders:`

    @property
    def spec(self) -> ProductSpec:
        return self.layouts.products[self.product]

    @property
    def colours(self) -> dict[str, Colour]:
        """The layouts' colour roles, with the brand's colours where it gives them."""
        return {**self.layouts.colours, **self.source.brand.colours}

    @property
    def language(self) -> str | None:
        return self.source.language

    @property
    def axis(self) -> str:
        """The variant axis of the job: county, districts, partners or languages."""
        if self.district:
            return "districts"
        if self.partner:
            return "partners"
        return "languages" if self.language else "county"

    @property
    def variant(self) -> str | None:
        """The variant's short name, used in file and tracking names."""
        if self.district:
            return slug(self.district.name)
        if self.partner:
            return self.partner.id
        return self.language

    @property
    def folder(self) -> str:
        """Where the variant's files go, inside the campaign's output folder."""
        if self.district:
            return f"districts/{self.variant}/"
        if self.partner:
            return f"partners/{self.variant}/"
        if self.language:
            return f"languages/{self.variant}/"
        return ""

    @property
    def product_size(self) -> str:
        # A product with one size already says its size (leaflet-dl), so don't repeat it.
        return self.product if len(self.spec.sizes) == 1 else f"{self.product}-{self.size.lower()}"

    @property
    def base_name(self) -> str:
        name = self.product_size
        if self.statistic is not None:
            name += "-" + slug(self.source.campaign.statistics[self.statistic].figure)
        return name

    @property
    def name(self) -> str:
        """Unique within the campaign: names the job in titles and messages."""
        return f"{self.base_name}-{self.variant}" if self.variant else self.base_name

    @property
    def utm_content(self) -> str:
        """What the code stands for, in words (the manifest's `tracking.utm_content`,
        never in the address): product, size, the statistic's position (never its
        words) and the variant's short name, e.g. poster-a3-york, stat-poster-a3-s2."""
        code = self.product_size
        if self.statistic is not None:
            code += f"-s{self.statistic + 1}"
        return f"{code}-{self.variant}" if self.variant else code

    @property
    def medium(self) -> str | None:
        """The tracking medium: the profile's (screen copies: pdf), else the content's."""
        utm = self.source.campaign.qr.utm
        return self.profile.spec.utm_medium or (utm.medium if utm else None)

    @property
    def tracking_code(self) -> str:
        """The QR's `?c=` value, short and from neutral identifiers only:
        <product><size>[s<statistic>][-<variant>][.<medium>], e.g. pa3-york, wc-ur,
        ka3s2 (the second statistic's A3 poster), wc-slt.pdf (a screen copy).
        The medium is added only when it is not the content's own (qr.utm.medium)."""
        code = product_code(self.product, self.spec)
        if len(self.spec.sizes) > 1:
            code += slug(self.size).replace("-", "")
        if self.statistic is not None:
            code += f"s{self.statistic + 1}"
        if self.variant:
            campaign = self.source.campaign
            code += "-" + short_name(slug(self.variant), lambda c: bool(campaign.reveals(c)))
        utm = self.source.campaign.qr.utm
        if utm and self.medium and self.medium != utm.medium:
            code += "." + slug(self.medium).replace("-", "")
        return code

    @property
    def tracking(self) -> dict | None:
        """For the manifest: what the QR's tracking code stands for in UTM terms (a web
        analyst's lookup table), or None when the campaign does not track its codes."""
        utm = self.source.campaign.qr.utm
        if utm is None:
            return None
        return {"utm_source": utm.source, "utm_medium": self.medium,
                "utm_campaign": utm.campaign, "utm_content": self.utm_content}

    @property
    def min_qr_module_mm(self) -> float:
        """Smallest QR module allowed (preflight): the size's, else the product's."""
        size = self.spec.sizes[self.size].min_qr_module_mm
        return size if size is not None else self.spec.min_qr_module_mm

    @property
    def output(self) -> str:
        """Path of the PDF relative to the campaign's output folder."""
        return f"{self.folder}{self.base_name}{self.profile.suffix}.pdf"

    @property
    def rejected_output(self) -> str:
        """Where the PDF goes when it fails preflight: beside the last good one."""
        return self.output.removesuffix(".pdf") + ".rejected.pdf"

    @property
    def stand_in(self) -> bool:
        """Carries a partner logo marked as a stand-in: a proof, never for print."""
        from .assets import is_stand_in

        return self.partner is not None and is_stand_in(self.partner.logo)

    @property
    def trim_mm(self) -> tuple[float, float]:
        return self.spec.sizes[self.size].trim_mm

    @property
    def folds_mm(self) -> list[list[float]]:
        """Fold lines per page in the job's reading direction: a right-to-left leaflet
        opens from the other side, so its folds are the product's folds_mm_rtl."""
        if self.spec.folds_mm_rtl is not None and self.source.campaign.direction == "rtl":
            return self.spec.folds_mm_rtl
        return self.spec.folds_mm

    @property
    def safe_mm(self) -> float:
        """The visible area's margin: the size's safe_mm, else the product's, else the profile's."""
        for safe in (self.spec.sizes[self.size].safe_mm, self.spec.safe_mm):
            if safe is not None:
                return safe
        return self.profile.spec.safe_mm

    @property
    def stylesheets(self) -> list[str]:
        return self.spec.sizes[self.size].stylesheets

    @property
    def qr_url(self) -> str:
        return qr_url(self.source.campaign.qr, self.tracking_code, discreet=bool(self.spec.options.get("discreet")))

    @property
    def copies(self) -> int | None:
        """Copies to print (print-order): the campaign's order, else the variant axis in
        the content, else the product's (or size's) `copies` for the axis in products.yaml."""
        if self.ordered_copies is not None:
            return self.ordered_copies
        axes, copies = self.source.campaign.variants, None
        if self.district and axes.districts:
            copies = self.district.copies.get(self.product, axes.districts.copies.get(self.product))
        elif self.partner and axes.partners:
            copies = self.partner.copies.get(self.product, axes.partners.copies.get(self.product))
        return copies if copies is not None else self.spec.size_copies(self.size, self.axis)


def load_layouts(folder: Path | None = None) -> LayoutSet:
    """products.yaml and colours.yaml of a layouts folder (default layouts/); all problems
    of both at once."""
    folder = folder or LAYOUTS
    from .assets import RefusedFile, read_project_file
    from .limits import TEMPLATE_BYTES

    if not folder.is_dir():  # a typo in --layouts: one message, not one per file it would hold
        raise ContentError([Problem("error", str(folder), "not a layouts folder: "
                                    + ("it is a file" if folder.exists() else "there is no such folder"),
                                    "give the folder that holds products.yaml and colours.yaml: layouts/, or "
                                    "a copy of it (README, \"For designers\")")])
    loaded, problems = {}, []
    for name, model in (("products", Products), ("colours", Colours)):
        path = folder / f"{name}.yaml"
        try:
            # The one reader's rules first (inside the folder, a regular file of one
            # name, bounded): a link or hard link to a file outside, a FIFO, /dev/zero.
            if os.path.lexists(path):
                read_project_file(path, [folder], TEMPLATE_BYTES)
            loaded[name] = load_model(path, model).root
        except RefusedFile as exc:
            problems.append(Problem("error", str(path), exc.what, exc.hint))
        except ContentError as exc:
            problems += exc.problems
    if "products" in loaded:
        problems += _layout_files(folder, loaded["products"])
    problems += layouts_neighbours(folder)
    if problems:
        raise ContentError(problems)
    return LayoutSet(folder.resolve(), loaded["products"], loaded["colours"])


def _layout_files(folder: Path, products: dict[str, ProductSpec]) -> list[Problem]:
    """Every template and stylesheet products.yaml names is a file in the layouts
    folder: a name such as /dev/zero or ../../etc/passwd is refused before anything
    reads it, and a missing stylesheet is named here, not when a build writes."""
    problems = []
    for product, spec in products.items():
        named = [("template", spec.template)] + [
            (f"sizes.{size}.stylesheets[{i}]", sheet)
            for size, size_spec in spec.sizes.items() for i, sheet in enumerate(size_spec.stylesheets)]
        for field, name in named:
            kind = "template" if field == "template" else "stylesheet"
            parts = Path(name).parts
            if not name or Path(name).is_absolute() or ".." in parts or name.startswith("~"):
                what = f"the {kind} {name!r} is not a file name inside the layouts folder"
            elif not (folder / name).is_file():
                what = f"the {kind} {name!r} is missing: no such file in {folder}"
            else:
                continue
            example = "poster.html" if kind == "template" else "poster.css"
            problems.append(Problem("error", str(folder / "products.yaml"), what,
                                    f"name a {kind} of this folder (e.g. {example}), or create the file there",
                                    field=f"{product}.{field}"))
    return problems


# The project's folders a layout reaches as ../fonts/, ../colour/, ../assets/
NEIGHBOURS = {"fonts": FONTS, "colour": COLOUR, "assets": ASSETS}


def layouts_neighbours(folder: Path) -> list[Problem]:
    """A copy of layouts/ (`--layouts my-copy/`) reaches fonts, the press ICC profile
    and logos as ../fonts/, ../colour/, ../assets/, and the renderer serves only the
    project's own: each must be the project's folder or a link to it. One problem for
    the folder, before any job runs (else every job fails on its first file)."""
    folder = Path(folder)
    beside = {name: folder.parent / name for name in NEIGHBOURS}
    wrong = [name for name, path in beside.items() if not path.is_dir() or path.resolve() != NEIGHBOURS[name].resolve()]
    if not wrong:
        return []
    missing = [name for name in wrong if not beside[name].is_dir()]
    others = [name for name in wrong if name not in missing]
    said = []
    if missing:
        said.append(f"{_names(missing)} {'is' if len(missing) == 1 else 'are'} missing there")
    if others:
        said.append(f"{_names(others)} {'is not' if len(others) == 1 else 'are not'} the project's")
    links = "; ".join(f"ln -sfn {NEIGHBOURS[name]} {beside[name]}" for name in wrong)
    return [Problem("error", str(folder),
                    f"this layouts folder needs the project's fonts/, colour/ and assets/ beside it, in "
                    f"{folder.parent}/ (its stylesheets load ../fonts/, ../colour/, ../assets/), and "
                    + " and ".join(said),
                    f"link the project's folders beside the copy (README, \"For designers\"): {links}")]


def _names(folders: list[str]) -> str:
    names = [f"{name}/" for name in folders]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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


def select_profiles(profiles: dict[str, NamedProfile], names: str | list[str] | None) -> list[NamedProfile]:
    """The profiles asked for (one name or several, `--profile` repeats), in the order
    of profiles/, or every default one (press + screen). With none named, the others
    come along unchosen: made only for a product that names them in products.yaml
    (a 6-sheet made in large-format only)."""
    if not names:
        return [NamedProfile(p.name, p.spec, chosen=p.spec.default) for p in profiles.values()]
    wanted = {names} if isinstance(names, str) else set(names)
    unknown = sorted(wanted - set(profiles))
    if unknown:
        raise PipelineError([Problem("error", "--profile", f"unknown profile {name!r}",
                                     f"choose from: {', '.join(profiles)} (files in profiles/)")
                             for name in unknown])
    return [p for name, p in profiles.items() if name in wanted]


def plan(campaigns: list[LoadedCampaign], layouts: LayoutSet, profiles: list[NamedProfile],
         only: list[str] | None = None, districts: list[str] | None = None,
         partners: list[str] | None = None, languages: list[str] | None = None) -> list[Job]:
    """Every job, in a stable order: campaign, variant, product, size, profile.

    The base campaign makes every product; each district the district products;
    each partner its own products; each translation every product; each in the sizes
    made for that axis (products.yaml `made_for`), and the sizes the campaign's
    `orders:` name where they name them. A product is made in the chosen profiles, or
    in those products.yaml names for it (`profiles`) that are selected. The filters
    (--only, --district, --partner, --language) keep the jobs that match; "none"
    as a filter value selects the jobs without that axis."""
    check_names(campaigns, layouts, only)
    districts = [slug(d) if d != "none" else d for d in districts] if districts else districts  # "Craven": craven
    _check_selection(campaigns, districts, partners, languages)
    jobs = []
    for source in campaigns:
        axes = source.campaign.variants
        variant_sets: list[tuple[str, dict, list[str]]] = []
        if source.language is None:
            variant_sets.append(("county", {}, source.campaign.products))
            if axes.districts:
                variant_sets += [("districts", {"district": d}, axes.districts.products) for d in axes.districts.items]
            if axes.partners:
                variant_sets += [("partners", {"partner": p}, p.products) for p in axes.partners.items]
        else:
            variant_sets.append(("languages", {}, axes.languages.products if axes.languages else []))
        for axis, variant, products in variant_sets:
            for (product, size), copies in _sizes_made(source, layouts, axis, variant, products).items():
                if only and product not in only:
                    continue
                spec = layouts.products[product]
                if spec.needs and getattr(source.campaign, spec.needs) is None:
                    continue  # a translation without the section (the campaign's own: _products_fit)
                statistics = range(len(source.campaign.statistics)) if spec.each == "statistic" else [None]
                made_in = spec.size_profiles(size)
                for statistic in statistics:
                    for profile in profiles:
                        if not (profile.chosen if made_in is None else profile.name in made_in):
                            continue
                        job = Job(source=source, layouts=layouts, product=product, size=size, profile=profile,
                                  statistic=statistic, ordered_copies=copies, **variant)
                        if _selected(job, districts, partners, languages):
                            jobs.append(job)
    check_tracking(jobs)
    return jobs


def _sizes_made(source: LoadedCampaign, layouts: LayoutSet, axis: str, variant: dict,
                products: list[str]) -> dict[tuple[str, str], int | None]:
    """(product, size) -> copies ordered, for one variant: the sizes of the products it
    lists that are made for its axis, then the sizes the campaign orders for it."""
    made: dict[tuple[str, str], int | None] = {}
    for product in products:
        spec = layouts.products[product]
        made.update({(product, size): None for size in spec.sizes if axis in spec.size_made_for(size)})
    if source.language is not None:
        return made  # orders are for the campaign's own language
    district = variant.get("district")
    for order in source.campaign.orders:
        if district and slug(district.name) in {slug(name) for name in order.districts} or (
                axis == "county" and not order.districts):
            made.update({(order.product, size): order.copies for size in order.sizes})
    return made


def _check_selection(campaigns: list[LoadedCampaign], districts, partners, languages) -> None:
    """A district, partner or language the campaigns do not have would select nothing
    (and a build that makes nothing says nothing wrong): name it and the choices."""
    known = {"--district": set(), "--partner": set(), "--language": set()}
    for source in campaigns:
        axes = source.campaign.variants
        if source.language is not None:
            known["--language"].add(source.language)
            continue
        known["--district"] |= {slug(d.name) for d in (axes.districts.items if axes.districts else [])}
        known["--partner"] |= {p.id for p in (axes.partners.items if axes.partners else [])}
    problems = []
    for option, wanted in (("--district", districts), ("--partner", partners), ("--language", languages)):
        unknown = [w for w in wanted or [] if w != "none" and w not in known[option]]
        if unknown:
            kind = option.removeprefix("--")
            problems.append(Problem("error", option, f"unknown {kind}: {', '.join(map(repr, unknown))}",
                                    f"choose from: {', '.join(sorted(known[option])) or f'no {kind}s here'}, or "
                                    f"'none' for the jobs without a {kind}"))
    if problems:
        raise PipelineError(problems)


def check_tracking(jobs: list[Job]) -> None:
    """Every QR tracking code is a plain code, neutral (none of the campaign's
    revealing_words, even made by chance from short names) and names one product,
    size, statistic, variant and medium: two documents sharing a code could not be
    told apart (the same document in two print profiles is one)."""
    problems, seen, reported = [], {}, set()
    for job in jobs:
        if job.source.campaign.qr.utm is None:
            continue
        file, code = str(job.source.path), job.tracking_code
        try:
            job.qr_url
        except ValueError as exc:
            problems.append(Problem("error", file, str(exc), "use shorter, plain product codes and variant names",
                                    field="qr.utm"))
            continue
        words = job.source.campaign.reveals(code)
        if words:
            problems.append(Problem("error", file, f"the QR tracking code {code!r} of {job.name} contains {words[0]!r}, "
                                    "one of the campaign's revealing_words",
                                    "rename the product's code in products.yaml or the variant: a victim's browser "
                                    "history may be read by the person they fear", field="qr.utm"))
        # Profiles of one medium (press, press-x1a-marks) print the same code: one document.
        other = seen.setdefault((job.source.slug, code), job)
        if (other.folder, other.base_name, other.medium) != (job.folder, job.base_name, job.medium):
            clash = (job.source.slug, other.folder, job.folder)
            if clash in reported:  # one error per pair of variants, not per product and medium
                continue
            reported.add(clash)
            path, field = _variant_place(job)
            problems.append(Problem("error", file, f"{_variant_words(other)} and {_variant_words(job)} give their "
                                    f"products the same QR tracking code ({other.output} and {job.output}: "
                                    f"{code!r})",
                                    "rename one of them so their short names differ: a code must name one document",
                                    line=_line_of(job.source, path) if path else None, field=field or "qr.utm"))
    if problems:
        raise PipelineError(problems)


def _variant_words(job: Job) -> str:
    if job.district:
        return f"district {job.district.name!r}"
    if job.partner:
        return f"partner {job.partner.id!r}"
    return f"language {job.language!r}" if job.language else "the county-wide version"


def _variant_place(job: Job) -> tuple[tuple | None, str | None]:
    """Where the job's variant is named in its campaign file (path, dotted field)."""
    axes = job.source.campaign.variants
    if job.district and axes.districts:
        i = next(i for i, d in enumerate(axes.districts.items) if d is job.district or d == job.district)
        return ("variants", "districts", "items", i, "name"), f"variants.districts.items[{i}].name"
    if job.partner and axes.partners:
        i = next(i for i, p in enumerate(axes.partners.items) if p is job.partner or p == job.partner)
        return ("variants", "partners", "items", i, "id"), f"variants.partners.items[{i}].id"
    return None, None


def _selected(job: Job, districts, partners, languages) -> bool:
    def match(wanted, value):
        return not wanted or (value or "none") in wanted
    return (match(districts, job.district and slug(job.district.name))
            and match(partners, job.partner and job.partner.id)
            and match(languages, job.language))


MAX_SLUG = 40  # characters of a name used in a file name or a tracking code
PLAIN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def check_names(campaigns: list[LoadedCampaign], layouts: LayoutSet, only: list[str] | None = None) -> None:
    """Products named on the command line or in a campaign's variants must exist, and
    every name that becomes a folder, a file name or a tracking code is plain, short
    and unique: two districts sharing a folder would print each other's line."""
    problems = []
    unknown = sorted(set(only or []) - set(layouts.products) - {WEB_PAGE})
    if unknown:
        problems.append(Problem("error", "--only", f"unknown product(s): {', '.join(unknown)}",
                                f"choose from: {', '.join([*layouts.products, WEB_PAGE])}"))
    folders: dict[str, Path] = {}
    for source in campaigns:
        if source.language is not None:
            continue  # a translation shares its campaign's names
        file = str(source.path)
        if not PLAIN.fullmatch(source.slug) or len(source.slug) > 60:
            problems.append(Problem("error", file, f"the file name {source.path.name!r} cannot name an output folder",
                                    f"rename it with lower-case letters, digits and hyphens, e.g. "
                                    f"{slug(source.slug)[:60] or 'my-campaign'}.yaml"))
        elif source.slug in folders:
            problems.append(Problem("error", file, f"{folders[source.slug]} and this file both write to the folder "
                                                   f"{source.slug}/", "rename one of them"))
        folders.setdefault(source.slug, source.path)
        axes = source.campaign.variants
        problems += _unique_names(source, ("variants", "districts", "items"), "name",
                                  [d.name for d in (axes.districts.items if axes.districts else [])])
        problems += _unique_names(source, ("variants", "partners", "items"), "id",
                                  [p.id for p in (axes.partners.items if axes.partners else [])])
        if any(spec.each == "statistic" for spec in layouts.products.values()):
            problems += _unique_names(source, ("statistics",), "figure", [s.figure for s in source.campaign.statistics])
        problems += _products_fit(source, layouts)
        # (where in the file, as a path to the entry, the product's name)
        named = [(("products",), source.campaign.products)]
        named += [(("variants", "districts", "products"), axes.districts.products if axes.districts else [])]
        named += [(("variants", "partners", "offer"), axes.partners.offer if axes.partners else [])]
        named += [(("variants", "languages", "products"), axes.languages.products if axes.languages else [])]
        for i, partner in enumerate(axes.partners.items if axes.partners else []):
            named += [(("variants", "partners", "items", i, "products"), partner.products)]
            from .assets import check_logo  # here: assets.py is imported by the renderer too
            for logo in check_logo(ASSETS / partner.logo):
                problems.append(Problem("error", str(source.path), f"logo {logo.file}: {logo.what}",
                                        f"{logo.hint} (SVG, or PNG/JPEG at 300 ppi)",
                                        field=f"variants.partners.items[{i}].logo"))
        problems += _orders_fit(source, layouts)
        for path, products in named:
            for j, product in enumerate(products):
                if product not in layouts.products:
                    problems.append(Problem("error", str(source.path), f"unknown product {product!r}",
                                            f"choose from: {', '.join(layouts.products)}",
                                            line=_line_of(source, path + (j,)), field=_dotted(path + (j,))))
    if problems:
        raise PipelineError(problems)


def _orders_fit(source: LoadedCampaign, layouts: LayoutSet) -> list[Problem]:
    """Each order names a product, its sizes and the campaign's districts."""
    problems, axes = [], source.campaign.variants
    districts = {slug(d.name) for d in (axes.districts.items if axes.districts else [])}
    for i, order in enumerate(source.campaign.orders):
        def problem(path: tuple, what: str, hint: str) -> Problem:
            return Problem("error", str(source.path), what, hint, line=_line_of(source, ("orders", i) + path),
                           field=_dotted(("orders", i) + path))

        spec = layouts.products.get(order.product)
        if spec is None:
            problems.append(problem(("product",), f"unknown product {order.product!r}",
                                    f"choose from: {', '.join(layouts.products)}"))
            continue
        for j, size in enumerate(order.sizes):
            if size not in spec.sizes:
                problems.append(problem(("sizes", j), f"{order.product} has no size {size!r}",
                                        f"choose from: {', '.join(spec.sizes)} (its sizes in products.yaml)"))
        for j, name in enumerate(order.districts):
            if slug(name) not in districts:
                problems.append(problem(("districts", j), f"unknown district {name!r}",
                                        "name one of variants.districts.items, or add it there"))
    return problems


def _line_of(source: LoadedCampaign, path: tuple) -> int | None:
    """The line of the entry at `path` in the campaign file, or of its list; None for
    an entry that is not in that file (a partner from content/partners/)."""
    lines = source.lines.lines if source.lines else {}
    return lines.get(path) or lines.get(path[:-1])


def _products_fit(source: LoadedCampaign, layouts: LayoutSet) -> list[Problem]:
    """A product the campaign asks for has what it needs from the content."""
    problems, c = [], source.campaign
    asked = [(("products", i), name) for i, name in enumerate(c.products)]
    asked += [(("orders", i, "product"), order.product) for i, order in enumerate(c.orders)]
    for path, name in asked:
        spec = layouts.products.get(name)
        line = source.lines.line(path) if source.lines else None
        if spec and spec.each == "statistic" and not c.statistics:
            problems.append(Problem("error", str(source.path), f"{name} makes one poster per statistic, and the "
                                    "campaign has none", "add statistics, or take it out of products",
                                    line=line, field=_dotted(path)))
        if spec and spec.needs and getattr(c, spec.needs) is None:
            problems.append(Problem("error", str(source.path), f"{name} is made from the campaign's {spec.needs} "
                                    "section, and the campaign has none",
                                    f"write '{spec.needs}:' (docs/fields.md), or take {name} out of products",
                                    line=line, field=_dotted(path)))
        if spec and spec.options.get("discreet") and not c.revealing_words:
            problems.append(Problem("error", str(source.path), f"{name} must not say what the campaign is about, "
                                    "and the campaign does not say which words would",
                                    "list them under revealing_words (e.g. the subject's words)",
                                    line=line, field=_dotted(path)))
        elif spec and spec.options.get("discreet") and c.reveals(c.qr.discreet_url or c.qr.url):
            # The code's address is in the phone's history once scanned.
            page = c.qr.discreet_url or c.qr.url
            problems.append(Problem("error", str(source.path), f"the code on {name} would open {page}, whose "
                                    f"address contains {c.reveals(page)[0]!r}, one of the revealing_words",
                                    "add qr.discreet_url: a neutral page or short link on the force's site that "
                                    "the force redirects to qr.url (e.g. https://<host>/help)",
                                    line=source.lines.line(("qr",)) if source.lines else None, field="qr.discreet_url"))
    return problems


def _unique_names(source: LoadedCampaign, items: tuple, key: str, names: list[str]) -> list[Problem]:
    """Each name's slug (its folder or file name part) is plain, short and its own."""
    problems, seen = [], {}
    dotted = ".".join(items)
    for i, name in enumerate(names):
        field, short = f"{dotted}[{i}].{key}", slug(name)
        line = source.lines.line(items + (i, key)) if source.lines else None

        def problem(what: str, hint: str) -> Problem:
            return Problem("error", str(source.path), what, hint, line=line, field=field)

        if not short:
            problems.append(problem(f"{name!r} has no letters or digits to name its files by",
                                    "use a name with letters or digits"))
        elif len(short) > MAX_SLUG:
            problems.append(problem(f"{name!r} is too long to name files by ({len(short)} characters; "
                                    f"at most {MAX_SLUG})", "shorten it"))
        elif short in seen:
            j = seen[short]
            problems.append(problem(f"{names[j]!r} ({dotted}[{j}]) and {name!r} would share the name {short!r}: "
                                    "one would print over the other's files",
                                    "make the names differ in their letters or digits"))
        seen.setdefault(short, i)
    return problems
