"""`Job`, one PDF to make (campaign × product × size × variant, in one profile), and its
names: output path, tracking code, QR address, copies. A stage data type: imports no renderer."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from ..content import QR, Colour, District, LoadedCampaign, Partner
from ..cropmarks import MARKS_ROOM_MM
from ..qr import qr_url, short_name
from .specs import LayoutSet, NamedProfile, ProductSpec, product_code


def media_bleed_mm(job: Job) -> float:
    """Distance from the trim to the edge of the PDF page (MediaBox)."""
    profile = job.profile.spec
    return profile.bleed_mm + (MARKS_ROOM_MM if profile.crop_marks else 0)


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

    @cached_property  # a Job has no __slots__: kept in its __dict__, past the frozen __setattr__
    def tracking_code(self) -> str:
        """The QR's `?c=` value, short and from neutral identifiers only:
        <product><size>[s<statistic>][-<variant>][.<medium>], e.g. pa3-york, wc-ur,
        ka3s2 (the second statistic's A3 poster), wc-slt.pdf (a screen copy).
        The medium is added only when it is not the content's own (qr.utm.medium).
        Worked out once a job: a long variant name's short name looks for revealing
        words in each candidate (Campaign.reveals), and a build asks for the code about
        six times a job (planning, QR address, manifest entries), its workers again."""
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
    def social(self) -> bool:
        """An image for screens (a social post, story or link preview): PNG and JPEG
        rastered from the rendering, with its alt text; no PDF is kept."""
        return self.profile.spec.output == "social"

    @property
    def output(self) -> str:
        """Path of the PDF (of a social image: its PNG) relative to the campaign's output folder."""
        return f"{self.folder}{self.base_name}{self.profile.suffix}{'.png' if self.social else '.pdf'}"

    @property
    def beside(self) -> dict[str, str]:
        """The files made with the output, by kind: a social image's JPEG and alt text."""
        if not self.social:
            return {}
        stem = self.output.removesuffix(".png")
        return {"jpeg": f"{stem}.jpg", "alt": f"{stem}.alt.txt"}

    @property
    def rejected_output(self) -> str:
        """Where the output goes when it fails preflight: beside the last good one."""
        stem, dot, ext = self.output.rpartition(".")
        return f"{stem}.rejected{dot}{ext}"

    @property
    def stand_in(self) -> bool:
        """Carries a partner logo marked as a stand-in: a proof, never for print."""
        from ..assets import is_stand_in

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
    def page(self) -> QR:
        """The page the product's code opens and prints beside it (`qr`): the campaign's,
        or its translation's own page (`qr.url`, `qr.label`) when the job is in a language
        that gives one; a bilingual product's is that of the language the campaign
        declares first (`bilingual.languages`), the one read first. Each was checked
        against the campaign's `qr.allowed_hosts` when loaded."""
        if self.spec.options.get("bilingual"):
            return self.source.languages[0].qr
        return self.source.campaign.qr

    @property
    def qr_url(self) -> str:
        return qr_url(self.page, self.tracking_code, discreet=bool(self.spec.options.get("discreet")))

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
        elif self.language and axes.languages:
            copies = axes.languages.copies_of(self.language, self.product)
        return copies if copies is not None else self.spec.size_copies(self.size, self.axis)
