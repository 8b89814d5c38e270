"""The campaign schema (pydantic): each section, what it prints, the checks across fields; `LoadedCampaign`."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from ..inputs import _written_port, check_url, parse_url
from .brand import Brand
from .easyread import EasyReadText
from .fields import RTL_LANGUAGES, Copies, Email, Headline, Host, Neutral, Phone, Strict, Text, Wrong, described, folded, word_reading
from .languages import Bilingual, LanguageAxis, OtherFormatsText, in_reading_order
from .reporting import Report
from .show import Picture, Show, check_show
from .yamlfile import _Lines


class Strapline(Strict):
    """The headline, in two parts: printed largest on every poster, leaflet cover and card."""

    lead: Annotated[Headline, described(
        "First part of the headline. Written on several lines (a YAML block, `|-`), it breaks there on every "
        "product that holds them, by sense ('Worried about' / 'your partner's past?'); on one line, the "
        "layouts break it",
        "Something feels wrong?")]
    call: Annotated[Headline, described("Second part, the call to act, set in the accent colour; "
                                        "lines as for lead", "Talk to us.")]


class Definition(Strict):
    text: Annotated[Text, described("What the subject is, in one or two sentences (A5 front, DL inside); "
                            "its heading is labels.what_is")]
    note: Text | None = None


class Source(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$"), described("A short id that statistics refer to", "slt")]
    mark: Annotated[str, Field(pattern=r"^\*+$"), described("The footnote mark after each of its figures", "*")]
    name: Annotated[Text, described("Who published it: printed in the footnote 'According to ...'")]


class Statistic(Strict):
    figure: Annotated[Text, described("The figure, printed large", "96%")]
    text: Annotated[Text, described("What the figure counts, printed under it",
                                    "of people who called the helpline were helped the same day")]
    source: Annotated[str | None, described("The id of its source under `sources`: printed as a footnote mark")] = None


class LocalFigure(Strict):
    figure: Annotated[Text, described("The figure", "132")]
    text: Annotated[Text, described("What it counts", "crimes recorded")]


class LocalFigures(Strict):
    heading: Annotated[Text, described("Heading, naming the area", "In Riverside")]
    period: Annotated[Text, described("The period the figures cover", "In the year ending December 2025:")]
    items: Annotated[list[LocalFigure], Field(min_length=1)]


class Perpetrator(Strict):
    who: Annotated[Text, described("Who (a term in bold)", "An ex-partner")]
    detail: Annotated[Text, described("One or two sentences about them")]


class Myth(Strict):
    myth: Annotated[Text, described("What people wrongly believe, after labels.myth")]
    fact: Annotated[Text, described("The fact, after labels.fact")]


class Service(Strict):
    name: Annotated[Text, described("The service's name, in bold above its number")]
    phone: Annotated[Phone | None, described("Its number: a UK number or short code, checked digit by digit",
                                             "0808 802 0300")] = None
    email: Email | None = None
    web: Annotated[Text | None, described("Its web address, printed as text (not a code)")] = None
    note: Annotated[Text | None, described(
        "One line under it on the A-series posters and the leaflets' backs (opening hours, cost); not beside a "
        "partner's strip or a district's line, which take its room, nor right to left")] = None
    # Printed instead of `name` on discreet products, e.g. "Helpline": the card
    # must not say what the service is about if someone finds it.
    discreet_name: Annotated[Text | None, described("Printed instead of the name on discreet products", "Helpline")] = None


class Social(Strict):
    """The campaign's hashtag and the force's handle, printed at the foot of posters and leaflets;
    each taken from the brand file where the campaign does not give it."""

    hashtag: Annotated[str | None, Field(pattern=r"^#\w+$"), described("The campaign's hashtag", "#TalkToUs")] = None
    handle: Annotated[str | None, Field(pattern=r"^@\w+$"), described("The force's social media handle", "@ExamplePolice")] = None


class Utm(Strict):
    source: Neutral
    medium: Neutral = "print"
    campaign: Neutral


class QR(Strict):
    # Field order matters: allowed_hosts is validated before url checks against it.
    allowed_hosts: Annotated[list[Host], Field(min_length=1), described(
        "Full host names the code may open, exactly as in the url", ["www.example.police.uk"])]
    url: Annotated[str, described("The page every code opens: https, a host on allowed_hosts, a path; no query",
                                  "https://www.example.police.uk/advice")]
    label: Annotated[Text, described("The address printed beside the code: the url's host (www. may go) and path",
                                     "example.police.uk/advice")]
    utm: Annotated[Utm | None, described("Neutral tracking: each code opens the url plus a short code, ?c=<product>"
                                         "<size>-<variant> (e.g. ?c=pa3-york); source, medium and campaign are "
                                         "what the codes stand for, in the manifest")] = None
    discreet_url: Annotated[str | None, described(
        "The page a discreet product's code opens, when the url's address says what the campaign is about: "
        "a neutral path or short link on the force's site that the force redirects to the url, on "
        "allowed_hosts, with none of the revealing_words. The discreet product prints its host only",
        "https://www.example.police.uk/help")] = None

    @field_validator("url", "discreet_url")
    @classmethod
    def _url_on_allow_list(cls, url: str | None, info: ValidationInfo) -> str | None:
        if url is None:
            return url
        hosts = info.data.get("allowed_hosts")
        if hosts is None:  # allowed_hosts is wrong itself, said at its line: check all but the host here
            hosts = [(parse_url(url) or {}).get("hostname") or ""]
        wrong = check_url(url, hosts)
        if wrong:
            raise Wrong(f"{url!r}: " + "; ".join(wrong),
                        "write the page's address as a browser shows it: https://<a host on qr.allowed_hosts>/<path>")
        return url

    @model_validator(mode="after")
    def _label_names_the_url(self) -> "QR":
        label = self.label if self.label.startswith("https://") else "https://" + self.label
        printed, encoded = parse_url(label), parse_url(self.url)
        if printed is None or encoded is None:
            if encoded is not None:
                raise Wrong(f"label {self.label!r} is not an address", "print the url's host and path")
            return self
        same_host = printed["hostname"] in (encoded["hostname"], encoded["hostname"].removeprefix("www."))
        same_path = printed["pathname"].rstrip("/") == encoded["pathname"].rstrip("/")
        # A port or user name in the label would send a reader who types it elsewhere.
        extra = printed["search"] or printed["hash"] or printed["username"] or printed["password"] \
            or printed["port"] or "@" in self.label or _written_port(label)
        if not (same_host and same_path) or extra:
            raise Wrong(f"label {self.label!r} does not name the page the code opens ({self.url})",
                        f"print {encoded['hostname'].removeprefix('www.') + encoded['pathname'].rstrip('/')!r}: "
                        "the url's host and path")
        return self

    @property
    def host_label(self) -> str:
        """The address printed on discreet products: the host their code opens, without 'www.'."""
        host = (parse_url(self.discreet_url or self.url) or {}).get("hostname", "")
        return host.removeprefix("www.")


# Labels with a placeholder the pipeline fills in: which, and what it stands for.
PLACEHOLDERS = {"local": ("{district}", "each district's name"), "qr_alt": ("{address}", "the address"),
                "link_email": ("{address}", "the address"), "link_web": ("{address}", "the address"),
                "logo_alt": ("{force}", "the force's name"), "link_call": ("{number}", "the phone number"),
                "page_of": ("{page}", "the page's number")}


class Labels(Strict):
    """Every word the layouts print that is not a fact: headings and captions.

    Kept in content so that a translation translates them too. The general ones have English
    defaults; those that name the subject are needed only when the campaign has their section."""

    report_it: Text = "Report it"
    report_and_support: Text = "Report it. Get support."
    emergency: Text = "In an emergency"
    non_emergency: Text = "To report it"
    text_relay: Text = "Text relay"
    get_support: Text = "Get support"
    also: Text = "Also"
    details_at: Text = "Details at"
    scan_or_visit: Text = "Scan or visit"
    tips: Text = "What you can do"
    myth: Text = "Myth"
    fact: Text = "Fact"
    according_to: Text = "According to"
    in_partnership_with: Text = "In partnership with"
    page_of: Annotated[Text, described("Each page's number on the large print: {page} is replaced by the page's "
                                       "number, {pages} by how many pages it has")] = "Page {page} of {pages}"
    useful_numbers: Annotated[Text, described("The outside and title of a discreet card: must say nothing of the subject")] = \
        "Useful numbers"
    what_is: Annotated[Text | None, described("Heading of `definition`", "What is coercive control?")] = None
    signs: Annotated[Text | None, described("Heading of `signs`", "Signs to look for")] = None
    who: Annotated[Text | None, described("Heading of `perpetrators`", "Who does it?")] = None
    myths: Annotated[Text | None, described("Heading of `myths`", "Myths and facts")] = None
    local: Annotated[Text | None, described("Each district's line on its posters and A5; {district} is replaced "
                                    "by the district's name", "In {district}? Call 101 to report it.")] = None
    # Never printed: what screen readers say for the QR code and the screen copies' links.
    qr_alt: Annotated[Text, described("The QR code's alternative text (screen copies); {address} is replaced by "
                                      "the printed web address")] = "QR code: opens the web page {address}"
    logo_alt: Annotated[Text, described("The force's logo's alternative text (screen copies); {force} is "
                                        "replaced by the force's name")] = "{force} logo"
    device_alt: Annotated[Text, described("The graphic device's alternative text (screen copies): the dots "
                                          "on the DL's cover, the card and long-figure posters")] = \
        "A pattern of dots, growing from small to large"
    link_call: Annotated[Text, described("A phone number's link in screen copies, as a screen reader says it; "
                                         "{number} is replaced by the number as printed")] = "Call {number}"
    link_email: Annotated[Text, described("An e-mail address's link in screen copies; {address} is replaced "
                                          "by the address")] = "E-mail {address}"
    link_web: Annotated[Text, described("The printed web address's link in screen copies; {address} is "
                                        "replaced by the address as printed")] = "Web page {address}"

    @field_validator(*PLACEHOLDERS)
    @classmethod
    def _has_placeholder(cls, value: str | None, info: ValidationInfo) -> str | None:
        placeholder, what = PLACEHOLDERS[info.field_name]
        if value is not None and placeholder not in value:
            raise Wrong(f"must contain {placeholder}", f"write {placeholder} where {what} goes")
        return value

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


class District(Strict):
    name: Annotated[Text, described("The district's name: its line (labels.local), folder and tracking code",
                                    "Harrogate")]
    line: Annotated[Text | None, described(
        "The district's own line on its posters and A5, instead of labels.local: something local the county-wide "
        "products do not say (a station's address and opening hours, a local service)",
        "Harrogate police station, North Park Road: open 8am to 10pm")] = None
    # Copies to print, per product, where it differs from the axis default.
    copies: dict[str, Copies] = {}


class Partner(Strict):
    id: Slug  # in file names and the QR's utm_content: no revealing word
    name: Text
    logo: str  # a file in assets/ (SVG preferred; raster at 300 ppi)
    contact: Text
    phone: Phone | None = None  # printed after the contact line
    web: Annotated[Text | None, described("The partner's own site: the one address its lines may print besides "
                                          "the campaign's", "www.example-aid.org.uk")] = None
    # Printed instead of `contact` on discreet products; none printed if not given.
    discreet_contact: Text | None = None
    products: Annotated[list[str], Field(min_length=1)]
    copies: dict[str, Copies] = {}
    # Numbers not the campaign's, confirmed by a coordinator in the portal and sealed (confirm.py).
    confirmed_numbers: Annotated[list[Phone], described(
        "Written by the partner portal only: numbers a coordinator confirmed digit by digit")] = []
    confirmation: Annotated[str | None, described(
        "Written by the partner portal only: its seal over confirmed_numbers")] = None


class DistrictAxis(Strict):
    products: Annotated[list[str], Field(min_length=1)]
    copies: dict[str, Copies] = {}
    items: list[District]


class PartnerAxis(Strict):
    copies: dict[str, Copies] = {}
    # The products partners may ask for in the portal (content/partners/<campaign>/).
    offer: list[str] = []
    items: list[Partner] = []


class Order(Strict):
    """Sizes of a product made only where ordered: e.g. A1 posters for two districts."""

    product: Annotated[str, described("The product (a name in layouts/products.yaml)", "poster")]
    sizes: Annotated[list[str], Field(min_length=1),
                     described("Its sizes to make (names under its sizes: in products.yaml)", ["A1"])]
    districts: Annotated[list[Text], described(
        "The districts (names in variants.districts.items) that get it; none: the county-wide version",
        ["York", "Harrogate"])] = []
    copies: Annotated[Copies | None, described("Copies to print of each (print-order.csv)", 10)] = None


class Variants(Strict):
    districts: DistrictAxis | None = None
    partners: PartnerAxis | None = None
    languages: LanguageAxis | None = None


class Translation(Strict):
    status: Annotated[Literal["draft", "approved"], described(
        "'draft' until a qualified translator has checked it (preflight warns on a draft); 'approved' is "
        "written by `campaign-print approve-translation`, with its seal", "draft")]
    note: Annotated[Text | None, described("Who drafted it, who is to check it")] = None
    approved_by: Annotated[Text | None, described(
        "Written by approve-translation: the qualified translator who checked it")] = None
    approved_on: Annotated[str | None, described("Written by approve-translation: the day it was approved")] = None
    seal: Annotated[str | None, described(
        "Written by approve-translation only: the coordinator's seal over every string of the file")] = None


RevealingWord = Annotated[str, Field(min_length=3, max_length=40), AfterValidator(str.lower)]

class Campaign(Strict):
    """A campaign: what is printed on every product it asks for.

    Only a few fields are needed (name, brand, headline, one way to get help, the QR
    destination, the products); every section it has is printed, and one it lacks
    leaves no trace (no heading without content)."""

    name: Annotated[Text, described("The campaign's name: the PDF title (not printed on discreet products)",
                            "Talk to us")]
    brand: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$"),
                     described("The force's brand file, content/brands/<brand>.yaml: force name, colours, logo, "
                       "fonts, handle", "north-yorkshire-police")]
    products: Annotated[list[str], Field(min_length=1),
                        described("The products this campaign makes (names in layouts/products.yaml)",
                          ["poster", "leaflet-a5"])]
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$"),
                        described("Language of the text", "en-GB")] = "en-GB"
    launch: Annotated[dt.date | None, described("Launch date (YYYY-MM-DD); dates the PDFs, so rebuilds are identical")] = None
    ends: Annotated[dt.date | None, described("End date (YYYY-MM-DD)")] = None
    strapline: Annotated[Strapline, described("The headline (lead and call): printed largest on every product")]
    intro: Annotated[Text | None, described("A short paragraph under the headline on posters and leaflet covers")] = None
    definition: Annotated[Definition | None, described("What the subject is: A5 front, DL inside (needs labels.what_is)")] = None
    source_documents: Annotated[list[str], described(
        "The documents the printed facts are copied from, as text or Markdown files in the campaign's folder (the "
        "force's press release, saved as text): every support number (on a line naming its service) and email, "
        "every figure, the statistics' sources, the strapline and the hashtag must be found in one of them",
        ["sources/press-release-2019-01-21.md"])] = []
    sources: Annotated[list[Source], described("Where the statistics come from: each printed as a footnote with its mark")] = []
    statistics: Annotated[list[Statistic], described("Key figures: posters and the A5 show the first two, the DL cover "
                                             "the first, the DL inside the rest; stat-poster makes one poster each")] = []
    local_figures: Annotated[LocalFigures | None, described("Figures for the force's area (DL inside)")] = None
    signs: Annotated[list[Text], described("Signs to look for: a bulleted list on the leaflets (needs labels.signs)")] = []
    perpetrators: Annotated[list[Perpetrator], described("Who does it: DL inside (needs labels.who)")] = []
    myths: Annotated[list[Myth], described("Myths and the facts: DL inside (needs labels.myths)")] = []
    tips: Annotated[list[Text], described("What the reader can do: a bulleted list on the leaflets")] = []
    easy_read: EasyReadText = None
    other_formats: OtherFormatsText = None
    report: Annotated[Report | None, described("How to report to the police (101, 999, silent solution, text relay)")] = None
    support: Annotated[list[Service], Field(min_length=1),
                       described("Where to get help: each service's name and number; posters and cards show the first, "
                         "leaflets all")]
    more_support: Annotated[list[Text], described("Other services, named in one line on the leaflets")] = []
    image: Annotated[Picture | None, described(
        "A photograph or illustration for the campaign's posters and web page (its credit printed beside it, "
        "its alt text on the screen copies and web page); without one, the graphic device")] = None
    show: Annotated[dict[str, Show], described(
        "Per product (a name in `products`): how many support services and signs it carries, and its own image",
        {"poster": {"support": 2, "signs": 4}, "wallet-card": {"support": 3}})] = {}
    social: Annotated[Social, described("Hashtag and handle at the foot of posters and leaflets")] = Social()
    qr: Annotated[QR, described("The page every QR code opens, and its address printed beside the code")]
    # Words that say what the campaign is about, in every language it is printed in: none in
    # QR tracking codes, partner ids or district names (a victim's browser history may be
    # read by the person they fear), nor anywhere on a discreet product.
    revealing_words: Annotated[list[RevealingWord], described(
        "Words that reveal the subject: never in tracking codes, partner ids or on a discreet product "
        "(needed when the campaign makes a discreet product)", ["abuse", "domestic"])] = []
    emergency_words: Annotated[dict[str, list[RevealingWord]], described(
        "Per language the campaign prints in (its code), words (or their first letters) that say 'emergency': "
        "a translation's label beside 999 must have one, its label beside 101 none (English is built in)",
        {"pl": ["nagł"], "ro": ["urgen"]})] = {}
    labels: Annotated[Labels, described("Headings and captions; general ones default to English")] = Labels()
    variants: Annotated[Variants, described("Districts, partners and languages the products are also made for")] = Variants()
    orders: Annotated[list[Order], described(
        "Sizes made only where ordered (products.yaml: made_for: []), e.g. A1 posters for two districts",
        [{"product": "poster", "sizes": ["A1"], "districts": ["York", "Harrogate"], "copies": 10}])] = []
    bilingual: Annotated[Bilingual | None, described(
        "The two languages the bilingual products carry, in order, and their weight")] = None
    translation: Translation | None = None  # only in translation files

    @property
    def direction(self) -> str:
        return "rtl" if self.language.split("-")[0] in RTL_LANGUAGES else "ltr"

    @field_validator("statistics")
    @classmethod
    def _sources_exist(cls, stats: list[Statistic], info: ValidationInfo) -> list[Statistic]:
        ids = [s.id for s in info.data.get("sources", [])]
        for stat in stats:
            if stat.source is not None and stat.source not in ids:
                raise Wrong(f"source {stat.source!r} is not one of the sources {ids}",
                            "add it under 'sources:' or fix the id")
        return stats

    @field_validator("show")
    @classmethod
    def _shown(cls, show: dict[str, Show], info: ValidationInfo) -> dict[str, Show]:
        return check_show(show, info.data.get("products") or [], info.data.get("signs"), info.data.get("support"))

    @model_validator(mode="after")
    def _dates_in_order(self) -> "Campaign":
        if self.launch and self.ends and self.ends < self.launch:
            raise Wrong(f"ends ({self.ends}) is before launch ({self.launch})", "check both dates")
        return self

    @model_validator(mode="after")
    def _headings_for_sections(self) -> "Campaign":
        """A section that is printed needs its heading: say which label, and where it prints."""
        needed = [("definition", "what_is", bool(self.definition)), ("signs", "signs", bool(self.signs)),
                  ("perpetrators", "who", bool(self.perpetrators)), ("myths", "myths", bool(self.myths)),
                  ("variants.districts", "local", bool(self.variants.districts)
                   and any(d.line is None for d in self.variants.districts.items))]
        missing = [(section, label) for section, label, present in needed if present and not getattr(self.labels, label)]
        if missing:
            section, label = missing[0]
            raise Wrong(f"labels.{label} is needed: it is the heading (or line) printed with {section}",
                        f"add '{label}:' under 'labels:'" + (f" (and {', '.join('labels.' + m[1] for m in missing[1:])})"
                                                             if len(missing) > 1 else ""))
        return self

    def reveals(self, text: str) -> list[str]:
        """The revealing words found in `text` as a reader would read it: any case,
        accents, digits for letters, look-alike letters of other scripts."""
        readings = folded(text)
        return [w for w in self.revealing_words if any(word_reading(w) in reading for reading in readings)]

    def source(self, source_id: str) -> Source:
        found = next((s for s in self.sources if s.id == source_id), None)
        if found is None:  # a template's c.source('...') with an id the campaign does not have
            ids = ", ".join(repr(s.id) for s in self.sources) or "none"
            raise ValueError(f"no source with the id {source_id!r} (the campaign's sources: {ids})")
        return found


@dataclass(frozen=True)
class LoadedCampaign:
    """A validated campaign (or one translation of it) and where it came from."""

    slug: str  # the campaign file's stem: names the output folder
    path: Path
    campaign: Campaign
    brand: Brand
    language: str | None = None  # None: the campaign's own language
    lines: _Lines | None = field(default=None, compare=False, repr=False)  # for errors found later
    # The other language of a bilingual campaign's products (campaign.bilingual): its translation.
    companion: "LoadedCampaign | None" = field(default=None, compare=False, repr=False)

    @property
    def languages(self) -> list[Campaign]:
        """The campaigns a product prints: this one, or both of a bilingual campaign."""
        return in_reading_order(self.campaign, self.companion.campaign if self.companion else None)

    @property
    def draft(self) -> bool:
        return self.campaign.translation is not None and self.campaign.translation.status == "draft"
