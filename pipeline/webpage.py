"""The accessible web page: per campaign and language, one self-contained HTML file
(`web/index.html`, styles inline, no script, no request for anything else) and its
plain text (`web/index.txt`, for screen-reader users and SMS), beside the PDFs.

The page is the layouts' `web-page.html` (with `web-page.css` included in its
<style>), rendered in the same sandbox as the print templates, from the same
content: every phone number a `tel:` link, e-mail addresses `mailto:`, the printed
web address a link to the campaign's page (`qr.url`, on the allow-list). The text
is made from the page, in its reading order, so the two never differ. Both are
checked as made (check_made) before a build writes them: a template can break any of this.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import quote

from markupsafe import Markup

from .content import LoadedCampaign
from .inputs import on_allow_list
from .paths import ASSETS, ROOT
from .plan import WEB_PAGE, Colour, LayoutSet
from .problems import Problem, RenderError

PRODUCT = WEB_PAGE  # its name in `--only` and in the manifest's `product`
TEMPLATE = "web-page.html"
FOLDER = "web/"
# The typefaces the page asks for by name (no font file is loaded: the page is one
# file); a reader without them gets the system's, which a browser may scale.
FALLBACK_FONTS = "Verdana, Arial, sans-serif"
RTL_FONTS = '"Noto Nastaliq Urdu", "Noto Naskh Arabic", '  # then the Latin's, for names kept in English
# The colour pairs web-page.css sets text in (text, ground): each at least 4.5:1 (WCAG
# 2.2 AA, 1.4.3) in the brand's RGB, or the page is not made. Change both together.
TEXT_ON = [("ink", "paper"), ("primary", "paper"), ("paper", "primary"), ("accent", "primary"),
           ("ink", "tint"), ("primary", "tint")]
MIN_CONTRAST = 4.5
IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


@dataclass(frozen=True)
class WebPage:
    """The web page of one campaign in one language (a translation's is its own)."""

    source: LoadedCampaign
    layouts: LayoutSet

    @property
    def folder(self) -> str:
        return f"languages/{self.source.language}/" if self.source.language else ""

    @property
    def output(self) -> str:
        return f"{self.folder}{FOLDER}index.html"

    @property
    def text_output(self) -> str:
        return f"{self.folder}{FOLDER}index.txt"

    @property
    def colours(self) -> dict[str, Colour]:
        return {**self.layouts.colours, **self.source.brand.colours}


def plan_pages(campaigns: list[LoadedCampaign], layouts: LayoutSet, only: list[str] | None = None,
               districts: list[str] | None = None, partners: list[str] | None = None,
               languages: list[str] | None = None, profiles: list[str] | None = None) -> list[WebPage]:
    """One page per campaign and translation, unless the selection leaves it out:
    `--only` without `web-page`, `--profile` (a choice of PDFs), or a district or
    partner selection without `none` (the page is county-wide, as a translation's
    products are)."""
    def wanted(values):
        return not values or "none" in values

    if (only and PRODUCT not in only) or profiles or not wanted(districts) or not wanted(partners):
        return []
    return [WebPage(source, layouts) for source in campaigns
            if not languages or (source.language or "none") in languages]


def check_colours(page: WebPage) -> list[Problem]:
    """Each pair of TEXT_ON at least 4.5:1, else an error naming where the colour
    that fails is set (the brand file, or layouts/colours.yaml), with its line."""
    from .content import brand_path, read_yaml
    from .preflight import contrast

    colours, brand = page.colours, page.source.brand
    problems = []
    for text, ground in TEXT_ON:
        ratio = contrast(_rgb(colours[text].rgb), _rgb(colours[ground].rgb))
        if ratio >= MIN_CONTRAST:
            continue
        role = next((r for r in (text, ground) if r in brand.colours), text)
        path = brand_path(page.source.campaign.brand) if role in brand.colours else page.layouts.folder / "colours.yaml"
        try:
            lines = read_yaml(path)[1]
            line = lines.line(("colours", role) if role in brand.colours else (role,))
        except Exception:  # the file was read when loaded; a line number is a nicety
            line = None
        other = ground if role == text else text
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        problems.append(Problem(
            "error", str(shown), f"the web page sets {text} ({colours[text].rgb}) on {ground} "
            f"({colours[ground].rgb}): {ratio:.2f}:1, under the {MIN_CONTRAST}:1 WCAG 2.2 AA asks for text",
            f"choose a {role} with more contrast against {other} ({colours[other].rgb}), or change "
            "layouts/web-page.css and TEXT_ON in pipeline/webpage.py together", line=line,
            field=f"colours.{role}" if role in brand.colours else role))
    return problems


def _rgb(value: str) -> tuple[float, float, float]:
    return tuple(int(value[i:i + 2], 16) / 255 for i in (1, 3, 5))


def _font_family(name: str) -> str:
    """A font family as CSS, only if its name is plain (it goes inside <style>)."""
    return f'"{name}", ' if re.fullmatch(r"[A-Za-z0-9 -]+", name) else ""


def _logo(page: WebPage) -> str | None:
    """The brand's logo as a data: URI (the page loads nothing else), after the same
    checks as every logo (assets.check_logo)."""
    from .assets import check_logo, read_project_file

    logo = page.source.brand.logo
    if not logo:
        return None
    problems = check_logo(ASSETS / logo)
    if problems:
        raise RenderError(problems)
    kind = IMAGE_TYPES.get((ASSETS / logo).suffix.lower())
    if kind is None:
        raise RenderError([Problem("error", f"assets/{logo}", "is not an SVG, PNG or JPEG file",
                                   "give the brand an SVG logo", field="logo")])
    return f"data:{kind};base64," + base64.b64encode(read_project_file(ASSETS / logo, [ASSETS])).decode()


def context(page: WebPage) -> dict:
    """What web-page.html sees: the campaign, brand and labels as the print templates
    do (layouts.as_data), the logo as a data: URI, and the colours as CSS."""
    from .identity import web_image
    from .layouts import as_data
    from .profilecss import DEFAULT_FONT

    c, brand = page.source.campaign, page.source.brand
    font = brand.font or DEFAULT_FONT
    css = ":root { " + " ".join(f"--{name}: {colour.rgb};" for name, colour in page.colours.items())
    latin = _font_family(font.family) + FALLBACK_FONTS
    css += f" --font: {latin}; --font-rtl: {RTL_FONTS}{latin}; }}\n"
    return {
        **as_data({
            "c": c,
            "brand": brand,
            "logo_alt": c.labels.logo_alt.replace("{force}", brand.force),
            "social": {"hashtag": c.social.hashtag or brand.hashtag, "handle": c.social.handle or brand.handle},
            "page": {"url": c.qr.url, "label": c.qr.label, "language": page.source.language},
        }),
        "brand_logo": _logo(page),
        # The campaign's image, made small for a screen, inline like the logo.
        "image": {"src": web_image(c.image.file), "alt": c.image.alt, "credit": c.image.credit} if c.image else None,
        "colours_css": Markup(css),  # from validated #rrggbb values and a plain family name
    }


def _image_numbers(page: WebPage) -> list[Problem]:
    """The page shows the campaign's image whole, where a poster prints the part its
    crop keeps (and preflight reads only that): a number elsewhere in it is read here."""
    from .content import known_number_said, known_numbers
    from .identity import web_image_numbers

    c, source = page.source.campaign, page.source
    if not c.image:
        return []
    problems = []
    for written, near in web_image_numbers(c.image.file, known_numbers(c), source.language or c.language):
        said = (f"one or two digits from one of the campaign's numbers: check the image: it reads as {written}; "
                f"{known_number_said(c, near)}" if near else "which is not one of the campaign's numbers")
        problems.append(Problem(
            "error", str(source.path), f"image assets/{c.image.file} shows what reads as the phone number "
            f"{written!r}, {said}: the web page shows the whole image, the part the posters crop away too",
            "use an image without the number (cut it out of the file itself), or add the service under "
            "'support:' if the number is right (a photograph is read by OCR, which may misread a digit: "
            "check by eye)",
            line=source.lines.line(("image", "file")) if source.lines else None, field="image.file"))
    return problems


def make(page: WebPage) -> tuple[bytes, bytes]:
    """The page's HTML and its plain text, as bytes (UTF-8). RenderError on a
    template mistake, naming its file and line."""
    from .layouts import links_to, render_template

    c = page.source.campaign
    if not on_allow_list(c.qr.url, c.qr.allowed_hosts):  # checked when loaded; never link elsewhere
        raise RenderError([Problem("error", str(page.source.path), f"{c.qr.url} is not on qr.allowed_hosts",
                                   "fix qr.url", field="qr.url")])
    problems = check_colours(page) + _image_numbers(page)
    if problems:
        raise RenderError(problems)
    names = context(page)
    with links_to(c.qr.url):
        html = render_template(page.layouts.folder, TEMPLATE, names)
    text = plain_text(html)
    problems = check_made(page, html, text, {names["brand_logo"], names["image"] and names["image"]["src"]} - {None})
    if problems:
        raise RenderError(problems)
    return html.encode(), text.encode()


# ---------------------------------------------------------------- plain text

BLOCKS = {"address", "article", "aside", "blockquote", "div", "dl", "dt", "dd", "figure", "figcaption", "footer",
          "h1", "h2", "h3", "h4", "h5", "h6", "header", "li", "main", "nav", "ol", "p", "section", "table",
          "tr", "ul"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
SKIPPED = {"head", "script", "style", "template", "title"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Unicode's isolates: in right-to-left text, a run the page sets left to right
# (a phone number, an address, an English name) keeps its order in a plain text too.
ISOLATE = {"ltr": "\u2066", "rtl": "\u2067", "auto": "\u2068"}
POP_ISOLATE = "\u2069"


class _Text(HTMLParser):
    """An HTML page's text in reading order: one line per paragraph, list item or
    heading, a blank line before each heading and around lists; leaves out what is
    marked `data-web-only` (the skip link) and the <head>; an image by its alt text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.stack: list[tuple[str, str, bool]] = []  # (tag, text at its end, skipped)
        self.skipping = 0
        self.rtl = False

    def _flush(self, blank: bool = False) -> None:
        text = re.sub(r"[ \t\r\n\f]+", " ", "".join(self.line).replace("\xa0", " ")).strip()
        text = re.sub(r"([\u2066-\u2068]) ", r"\1", re.sub(r" \u2069", "\u2069", text))
        self.line = []
        if text.strip("\u2066\u2067\u2068\u2069"):
            self.lines.append(text)
        if blank and self.lines and self.lines[-1] != "":
            self.lines.append("")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.rtl = attrs.get("dir") == "rtl"
        skip = tag in SKIPPED or "data-web-only" in attrs
        if tag in VOID:
            if not self.skipping and not skip:
                if tag == "br":
                    self._flush()
                elif tag == "img" and attrs.get("alt"):
                    self.line.append(" " + attrs["alt"] + " ")
            return
        if tag in BLOCKS and not self.skipping:
            self._flush(blank=tag in HEADINGS or tag in ("ul", "ol", "dl"))
        end = ""
        if self.rtl and not self.skipping and (tag == "bdi" or "dir" in attrs):
            self.line.append(ISOLATE.get(attrs.get("dir") or "auto", ISOLATE["auto"]))
            end = POP_ISOLATE
        self.stack.append((tag, end, skip))
        self.skipping += skip

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack:
            name, end, skip = self.stack.pop()
            self.skipping -= skip
            if end:
                self.line.append(end)
            if name in BLOCKS and not self.skipping:
                self._flush(blank=name in HEADINGS or name in ("ul", "ol", "dl", "section"))
            if name == tag:
                break

    def handle_data(self, data):
        if not self.skipping:
            self.line.append(data)


def plain_text(html: str) -> str:
    """The text of a page (web-page.html) as a plain-text file, in reading order."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    parser._flush()
    lines = parser.lines
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the page as made, checked

# Elements the page never has: they run code, show another page, send a form, load a
# file (<link>), move where relative addresses lead (<base>) or show text in another
# order than it is read (<bdo>). Inline SVG and MathML (any element of another
# namespace) bring links and text of their own: an image goes in as a data: URI.
REFUSED = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "portal", "fencedframe", "form",
           "base", "link", "bdo"}
# Attributes whose address a browser opens when the reader follows it, and those it
# loads with the page; more than one address (srcset, ping) the page never needs.
NAVIGATES = {"href", "action", "formaction", "cite", "longdesc", "usemap"}
LOADS = {"src", "data", "poster", "background", "lowsrc", "dynsrc", "manifest", "icon", "codebase", "classid",
         "archive", "profile", "imagesrc"}
MANY_ADDRESSES = {"srcset", "imagesrcset", "ping"}
# CSS functions that fetch a file (url() is a token of its own too).
CSS_LOADS = {"url", "src", "image", "image-set", "-webkit-image-set", "cross-fade", "element"}


def check_made(page: WebPage, html: str, text: str, assets: set[str]) -> list[Problem]:
    """The page as made, read as a browser reads it (WHATWG parsing, tinyhtml5; its CSS
    by tinycss2), and its text file: a template edit that links or loads anything but
    the campaign's own numbers, e-mail addresses, sites and the page's own images
    (`assets`, its data: URIs), that prints a number or web address not the campaign's,
    or adds script, stops the page here, as preflight stops a PDF."""
    import tinyhtml5

    from .content import known_hosts, known_numbers, not_ours
    from .inputs import check_text, check_url, find_phone_numbers, find_web_addresses, phone_key, plain
    from .preflight.numbers import known_side_by_side

    c = page.source.campaign
    numbers, hosts, rtl = known_numbers(c), known_hosts(c), c.direction == "rtl"
    emails = {"mailto:" + quote(s.email, safe="@") for s in c.support if s.email}
    found: dict[tuple[str, str], Problem] = {}  # each mistake once, however often the page makes it

    def wrong(check: str, what: str, hint: str, field: str | None = None, value: str | None = None) -> None:
        found.setdefault((check, what), Problem("error", page.output, f"{what} (made by layouts/{TEMPLATE})",
                                                hint, field=field, check=check, value=value))

    def link(url: str) -> str | None:
        """What is wrong with an address the reader can follow, or None."""
        if url.startswith("#"):
            return None
        if url.startswith("tel:"):
            dialled = url.removeprefix("tel:")
            if not re.fullmatch(r"\+?[0-9]+", dialled):
                return "is not a plain tel: number (digits only, '+' first for a full number)"
            return None if phone_key(dialled) in numbers else "dials a number that is not one of the campaign's"
        if url.startswith("mailto:"):
            return None if url in emails else "writes to other than a support service's e-mail address as given"
        return "; ".join(check_url(url, c.qr.allowed_hosts)) or None

    shown = [(line, None) for line in text.splitlines()]  # what a reader reads: (text, element)
    written = []  # text as the page has it (before the text file's direction marks)
    styles = []
    root = tinyhtml5.parse(html, namespace_html_elements=False)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # a comment
        name = element.tag.rsplit("}", 1)[-1]
        tag = f"<{name}>"
        if "}" in element.tag or name in REFUSED or (name == "meta" and "http-equiv" in element.attrib):
            wrong("markup", f"has {tag}{' with http-equiv' if name == 'meta' else ''}, which the page may not have: "
                            "it would run code, open or load another page, or show text out of its reading order",
                  "the page is text, tel: and mailto: links and the campaign's page: take it out of the template",
                  field=tag)
        for attribute, value in element.attrib.items():
            attribute = attribute.rsplit("}", 1)[-1].lower()
            where = f"<{name} {attribute}>"
            if attribute.startswith("on"):
                wrong("markup", f"has the event handler {attribute}= (script)", "take it out of the template",
                      field=where, value=value)
            elif attribute in NAVIGATES:
                reason = link(value)
                if reason:
                    wrong("links", f"links to {value!r}, which {reason}",
                          "links come from the campaign file only (the tel and mailto filters, the web filter to "
                          "qr.url): fix the template", field=where, value=value)
            elif attribute in LOADS:
                if value not in assets:
                    wrong("links", f"loads {value[:80]!r}: the page loads nothing, its images are the logo and "
                                   "picture pipeline/webpage.py puts in as data: URIs", "fix the template",
                          field=where, value=value[:200])
            elif attribute in MANY_ADDRESSES:
                wrong("links", f"has {attribute}=, which the page never needs", "take it out of the template",
                      field=where, value=value[:200])
            elif attribute == "style":
                styles.append((value, where))
            else:
                shown.append((value, where))  # alt, title, aria-label, a meta's content...
                written.append((value, where))
        if name == "style":
            styles.append((element.text or "", tag))
        elif element.text:
            written.append((element.text, tag))
        if element.tail:
            written.append((element.tail, tag))
        if name == "title" or "data-web-only" in element.attrib:  # not in the text file, still read
            shown.append(("".join(element.itertext()), tag))
        href = element.get("href") or ""
        if name == "a" and href.startswith(("tel:", "mailto:")):
            label = plain("".join(element.itertext())).strip()
            target = href.split(":", 1)[1]
            if (href.startswith("tel:") and (phone_key(label) != phone_key(target)
                                             or not re.fullmatch(r"[0-9+() -]+", label))) or (
                    href.startswith("mailto:") and quote(label, safe="@") != target):
                wrong("links", f"shows {label!r} as a link to {href!r}: a link's text is what it dials or writes to",
                      "use the tel and mailto filters on the number or address itself", field="<a href>", value=label)
    for css, where in styles:
        loads, strings = _css(css)
        for what in loads:
            wrong("links", f"has CSS that {what}: the page loads nothing and shows its text as written",
                  "take it out of layouts/web-page.css or the template", field=where)
        shown += [(s, where) for s in strings]
        written += [(s, where) for s in strings]
    for line, where in shown:
        for number in find_phone_numbers(line):
            # Two known numbers side by side are two (Urdu's '18000 999': the page sets them apart).
            if number.key not in numbers and not known_side_by_side(number.written, numbers):
                wrong("numbers", f"shows the phone number {number.written!r}, which is not one of the campaign's "
                                 "numbers",
                      "numbers come from the campaign file only: fix the template or content",
                      field=where, value=number.written)
        for address in find_web_addresses(line):
            if address.host not in hosts:
                wrong("addresses", not_ours(address, hosts),
                      "addresses come from the campaign file only (qr.label, a service's 'web:'): fix the template "
                      "or content", field=where, value=address.written)
    for words, where in written:
        for what in check_text(words, rtl=rtl, printed=False):
            wrong("text", f"has text that {what}", "fix the template or content", field=where)
    return list(found.values())


@lru_cache(maxsize=8)
def _css(css: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a stylesheet (or a style attribute) does that the page's may not (load a
    file, reverse text), and the text it shows: its strings (content: "...") and the
    numbers its counters start from (a list's marker). The same for every language
    of a campaign: read once."""
    import tinycss2

    refused, strings = [], []

    def read(tokens):
        ident = prop = None
        for token in tokens:
            if token.type == "url" or (token.type == "function" and token.lower_name in CSS_LOADS):
                refused.append(f"loads a file ({tinycss2.serialize([token])[:80]})")
            elif token.type == "at-keyword" and token.lower_value == "import":
                refused.append("loads a file (@import)")
            elif token.type == "ident" and token.lower_value == "bidi-override":
                refused.append("shows text in another order than it is read (bidi-override)")
            elif token.type == "ident":
                ident = token.lower_value
            elif token.type == "literal" and token.value == ":":
                prop = ident
            elif token.type == "string":
                strings.append(token.value)
            elif token.type == "number" and token.is_integer and prop and prop.startswith("counter-"):
                strings.append(str(token.int_value))
            elif token.type == "literal" and token.value == ";":
                prop = None
            if token.type == "function":
                read(token.arguments)
            elif token.type in ("() block", "[] block", "{} block"):
                read(token.content)

    read(tinycss2.parse_component_value_list(css))
    return tuple(dict.fromkeys(refused)), tuple(strings)


def manifest_entries(page: WebPage, html_sha: str, text_sha: str, key: str) -> list[dict]:
    """The page and its text in the manifest (`output: web`: never in print-order.csv)."""
    source = page.source
    common = {"product": PRODUCT, "size": None, "variant": source.language, "district": None, "partner": None,
              "language": source.language or source.campaign.language, "statistic": None, "profile": None,
              "pdf_variant": None, "output": "web", "pages": None, "copies": None, "input_hash": key,
              "qr_url": None, "tracking_code": None, "tracking": None,
              "preflight": {"errors": 0, "warnings": 0}, "rejected": False, "stand_in": False}
    return [{"path": page.output, **common, "media_type": "text/html", "sha256": html_sha},
            {"path": page.text_output, **common, "media_type": "text/plain", "sha256": text_sha}]
