"""The jobs of a build: campaigns × variants × products × sizes × profiles, filtered by
--only, --district, --partner and --language, with unique tracking codes."""
from __future__ import annotations

from ..content import LoadedCampaign
from ..problems import PipelineError, Problem
from .job import Job, slug
from .names import check_names, line_of
from .specs import LayoutSet, NamedProfile


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
                        # A social profile makes images: only of products that name it.
                        chosen = profile.chosen and profile.spec.output != "social"
                        if not (chosen if made_in is None else profile.name in made_in):
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
                                    line=line_of(job.source, path) if path else None, field=field or "qr.utm"))
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
