"""The Jinja2 environment and the template context: job -> HTML (its page sheet, the
profile's CSS, is profilecss.py).

Templates see exactly these names (documented in the README, "For designers"):
  c            the validated campaign (pipeline.content.Campaign)
  job          product, size, name, trim_mm, profile
  qr           url (encoded), label (printed), src (vector image), alt (its text alternative)
  stylesheets  the CSS files to link, in order
  options      the product's options from products.yaml (e.g. discreet)
  statistic    for products made `each: statistic`, the one this PDF shows
  variant      district, partner (with partner_logo, a URL) and language; None where unset
  colours      the brand's colours by role (primary, accent, ...) as the output prints them
  lockup       the brand's logo rules: position, min_height_mm, clear_space
  image        the product's image (src, alt, credit, position: its focal point), or None
  show         how many support services (None: the layout's own) and signs the product carries
"""
from __future__ import annotations

import datetime
import inspect
import os
import re
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from urllib.parse import quote
from pathlib import Path, PurePath
from types import SimpleNamespace

import jinja2
import jinja2.runtime
import jinja2.utils
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup, escape
from pydantic import BaseModel

from . import identity, limits, sheets, sources
from .assets import RefusedFile, read_project_file
from .content import Strict
from .inputs import PHONE_IN_TEXT, on_allow_list, tel_href
from .plan import Job
from .problems import Problem, RenderError
from .profilecss import colour_value
from .qr import qr_data_uri



class LayoutLoader(jinja2.BaseLoader):
    """Templates from one layouts folder: regular files inside it after resolving
    symlinks, at most limits.TEMPLATE_BYTES (no /etc/passwd, FIFO or /dev/zero)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def get_source(self, environment, template):
        path = self.folder.joinpath(*jinja2.loaders.split_template_path(template))
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(template)
        try:
            data = read_project_file(path, [self.folder], limits.TEMPLATE_BYTES)
            source = data.decode("utf-8")
        except RefusedFile as exc:
            raise TemplateRefused(template, exc.what, exc.hint) from None
        except UnicodeDecodeError:
            raise TemplateRefused(template, "is not UTF-8 text", "save the template as UTF-8") from None
        mtime = path.stat().st_mtime if path.is_file() else None
        return source, str(path), lambda: path.is_file() and path.stat().st_mtime == mtime


class TemplateRefused(RenderError):
    def __init__(self, template: str, what: str, hint: str):
        self.template, self.what, self.hint = template, what, hint
        super().__init__([Problem("error", f"layouts/{template}", what, hint)])


# Objects whose methods a template may call (str.split, dict.get, date.isoformat, ...).
# Methods of anything else (a Path in the job, a module) are refused: the sandbox
# alone only hides names starting with "_".
SAFE_OWNERS = (str, int, float, dict, list, tuple, datetime.date, jinja2.runtime.LoopContext,
               jinja2.utils.Cycler, jinja2.utils.Joiner, jinja2.utils.Namespace)
SAFE_TYPES = (range, dict, jinja2.utils.Cycler, jinja2.utils.Joiner, jinja2.utils.Namespace)


class _Budget:
    """What one rendering has used of the TEMPLATE_* limits (pipeline/limits.py)."""

    def __init__(self) -> None:
        self.steps = self.depth = 0

    def spend(self, steps: int) -> None:
        self.steps += steps
        if self.steps > limits.TEMPLATE_STEPS:
            raise limits.TemplateLimit(f"over {limits.TEMPLATE_STEPS:,} calls and range() items in one rendering "
                                       f"(TEMPLATE_STEPS in {limits.WHERE}): a loop or a macro that calls itself")


# The rendering in progress (render_html sets it); a context variable, as _LINKS is.
_SPENT: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _budget() -> _Budget:
    return _SPENT.get() or _Budget()  # outside render_html (nothing renders there now): no running count


def bounded_range(*args: int) -> range:
    """range(), at most TEMPLATE_RANGE items, each counted as a step of the rendering."""
    items = range(*args)
    if len(items) > limits.TEMPLATE_RANGE:
        raise limits.TemplateLimit(f"range() of {len(items):,} items, over the limit of {limits.TEMPLATE_RANGE:,} "
                                   f"(TEMPLATE_RANGE in {limits.WHERE})")
    _budget().spend(len(items))
    return items


def _sized(value) -> bool:
    return isinstance(value, (str, list, tuple, Markup))


class LayoutSandbox(ImmutableSandboxedEnvironment):
    # `*` and `**` are checked before they run: "x" * 10**9 or 10 ** 10**9 would take
    # memory or time inside one Python operation, where no limit can stop it.
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > limits.TEMPLATE_POWER:
            raise limits.TemplateLimit(f"** with an exponent over {limits.TEMPLATE_POWER} "
                                       f"(TEMPLATE_POWER in {limits.WHERE})")
        if operator == "*":
            for text, times in ((left, right), (right, left)):
                if _sized(text) and isinstance(times, int) and len(text) * times > limits.TEMPLATE_OUTPUT_CHARS:
                    raise limits.TemplateLimit(f"* makes {len(text) * times:,} items, over the limit of "
                                               f"{limits.TEMPLATE_OUTPUT_CHARS:,} (TEMPLATE_OUTPUT_CHARS in "
                                               f"{limits.WHERE})")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's own signature)
        budget = _budget()
        budget.spend(1)
        if budget.depth >= limits.TEMPLATE_DEPTH:
            raise limits.TemplateLimit(f"calls nested over {limits.TEMPLATE_DEPTH} deep (TEMPLATE_DEPTH in "
                                       f"{limits.WHERE}): a macro that calls itself")
        budget.depth += 1
        try:
            return super().call(__context, __obj, *args, **kwargs)
        finally:
            budget.depth -= 1

    def is_safe_callable(self, obj) -> bool:
        if not super().is_safe_callable(obj):
            return False
        if isinstance(obj, type):
            return obj in SAFE_TYPES
        owner = getattr(obj, "__self__", None)
        if owner is None or isinstance(obj, jinja2.runtime.Macro):
            return True  # plain functions, macros
        if isinstance(owner, Strict):  # the campaign's own helpers, e.g. c.source(id)
            return not obj.__name__.startswith("model_")
        return isinstance(owner, SAFE_OWNERS)


@lru_cache(maxsize=8)
def environment(folder: Path) -> jinja2.Environment:
    env = LayoutSandbox(
        loader=LayoutLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name is an error, not a blank
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,  # designers edit templates between builds of a watch loop
    )
    env.globals["range"] = bounded_range
    del env.globals["lipsum"]  # lipsum(n=2000000) writes gigabytes of Latin
    env.filters["keep_numbers"] = keep_numbers
    env.filters["whole_words"] = whole_words
    env.filters["tel"] = tel
    env.filters["mailto"] = mailto
    env.filters["web"] = web
    env.filters["headline"] = headline
    return env


# ---------------------------------------------------------------- headlines

# Line breaks chosen for headlines by pipeline/fit.py (balancing), by the headline's
# words: {"Worried about your partner's past?": ("Worried", "about your", ...)}.
# Empty on the first rendering. A context variable for the same reason as _LINKS.
_BALANCE: ContextVar[dict[str, tuple[str, ...]]] = ContextVar("headline_breaks", default={})


@contextmanager
def _breaks(breaks: dict[str, tuple[str, ...]]):
    token = _BALANCE.set(breaks)
    try:
        yield
    finally:
        _BALANCE.reset(token)


def headline(text: str, pair: int = 22) -> Markup:
    """A headline that never ends on a single word: its last two words are joined by a
    no-break space (unless longer than `pair` characters: joined, they could be wider
    than the column). Where the editor wrote it on several lines (content: strapline),
    or fit.py balanced its lines, it breaks there."""
    words = str(text).split()
    lines = _BALANCE.get().get(" ".join(words))
    if lines:  # the last line still keeps its last two words together
        return Markup("<br>").join([*map(Markup.escape, lines[:-1]), headline(lines[-1], pair)])
    if "\n" in str(text):  # the editor's lines: each keeps its last two words together
        return Markup("<br>").join(headline(line, pair) for line in str(text).splitlines())
    if len(words) >= 2 and len(" ".join(words[-2:])) <= pair:
        return Markup("{} {}&nbsp;{}").format(" ".join(words[:-2]), words[-2], words[-1]).lstrip()
    return Markup.escape(" ".join(words))


# ---------------------------------------------------------------- live links (screen copies)

# The web page a screen copy's printed address opens: the job's screen tracking URL
# (what its QR code encodes), set by render_html for screen jobs only; None while a
# press job renders, so the filters below print plain text there. A context variable,
# not a template global: the shared macros are imported without the template's
# context, and one environment serves every job (and the studio's threads).
_LINKS: ContextVar[str | None] = ContextVar("screen_links", default=None)
NO_LINK = ""  # set while a screen job renders whose address is not on the allow-list


@contextmanager
def _links_for(job: Job):
    url = None
    if job.profile.spec.output == "screen":
        url = job.qr_url if on_allow_list(job.qr_url, job.page.allowed_hosts) else NO_LINK
    token = _LINKS.set(url)
    try:
        yield
    finally:
        _LINKS.reset(token)


def _a(href: str, text) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


def tel(number: str) -> Markup:
    """A phone number as printed; in a screen copy, a tel: link."""
    if _LINKS.get() is None or not any(c.isdigit() for c in str(number)):
        return escape(number)
    return _a(tel_href(str(number)), number)


def mailto(address: str) -> Markup:
    """An e-mail address as printed; in a screen copy, a mailto: link."""
    if _LINKS.get() is None:
        return escape(address)
    return _a("mailto:" + quote(str(address), safe="@"), address)


def web(label) -> Markup:
    """The printed web address (text or markup); in a screen copy, a link to the page
    the job's QR code opens, never anywhere else (and none off the allow-list)."""
    if not _LINKS.get():
        return escape(label)
    return _a(_LINKS.get(), label)


def keep_numbers(text: str, report=None) -> Markup:
    """Escape text, and keep each phone number in it on one line (a tel: link in a
    screen copy). With the campaign's `report`, its short codes (999, 101) standing
    alone in the text ("call 999 and press 55") are links too; not a figure that
    holds those digits (1999, 101,5, 999%), nor the 101 of "18001 101"."""
    escaped = str(escape(text))
    codes = [n for n in (report.emergency, report.non_emergency) if n] if report else []
    if codes:
        short = re.compile(r"(?<![\d,.])(?<!\d )(?:" + "|".join(re.escape(n) for n in codes)
                           + r")(?![\d%]|[,.]\d| \d)")
        escaped = short.sub(lambda m: str(tel(Markup(m.group(0)))), escaped)
    # Isolated left to right: in right-to-left running text the bidi algorithm would
    # otherwise lay the groups of a number out right to left ("0300 802 0808").
    return Markup(PHONE_IN_TEXT.sub(lambda m: f'<bdi class="nowrap" dir="ltr">{tel(Markup(m.group(0)))}</bdi>', escaped))


# A word joined by hyphens ("ex-partner"), letters only: never a number or an address.
_HYPHENED = re.compile(r"(?<![\w/:.-])([^\W\d_]+(?:-[^\W\d_]+)+)(?![\w-])")


def whole_words(text: Markup) -> Markup:
    """Keep each hyphened word on one line (Easy Read splits no word across lines)."""
    return Markup(_HYPHENED.sub(r'<span class="nowrap">\1</span>', str(text)))


_MODEL_NAMES = set(dir(BaseModel))


def as_data(value):
    """What a template sees of a value: models as records of plain data (their fields,
    and the project's own properties and helpers, e.g. c.direction, c.source(id)),
    paths as text. No pydantic methods (c.json(), c.copy(update=...)), no Path."""
    if isinstance(value, BaseModel):
        fields = {name: as_data(getattr(value, name)) for name in type(value).model_fields}
        for name in dir(type(value)):
            if name.startswith("_") or name in _MODEL_NAMES or name in fields:
                continue
            member = getattr(type(value), name)
            if isinstance(member, property):
                fields[name] = as_data(getattr(value, name))
            elif inspect.isfunction(member):
                fields[name] = _helper(getattr(value, name))
        return SimpleNamespace(**fields)
    if isinstance(value, dict):
        return {key: as_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(as_data(item) for item in value)
    if isinstance(value, PurePath):
        return str(value)
    return value


def _helper(method):
    def helper(*args, **kwargs):
        return as_data(method(*args, **kwargs))
    helper.__name__ = method.__name__
    return helper


# as_data of the campaigns and brands a worker renders, by the model object (kept, so
# its id is not reused): every job of a batch shares them, and the templates cannot
# change what they see (ImmutableSandboxedEnvironment). The oldest goes first.
MODELS_KEPT = 8
_models: dict[int, tuple[BaseModel, SimpleNamespace]] = {}


def _model_data(model: BaseModel) -> SimpleNamespace:
    if id(model) not in _models:
        if len(_models) >= MODELS_KEPT:
            del _models[next(iter(_models))]
        _models[id(model)] = (model, as_data(model))
    return _models[id(model)][1]


def context(job: Job) -> dict:
    """The names a template sees (the module's docstring), as plain data."""
    c, brand = job.source.campaign, job.source.brand
    return as_data({
        "c": _model_data(c),
        "brand": _model_data(brand),
        "brand_logo": f"../assets/{brand.logo}" if brand.logo else None,
        "logo_alt": c.labels.logo_alt.replace("{force}", brand.force),
        "lockup": brand.lockup,
        "image": identity.image_context(c, job.product),
        "show": identity.shown(c, job.product),
        # The brand's colours by role as the output prints them, for drawings in the
        # templates (the graphic device): CMYK in press files, RGB on screen.
        "colours": {name: colour_value(colour, job.profile.spec.output) for name, colour in job.colours.items()},
        "social": {"hashtag": c.social.hashtag or brand.hashtag, "handle": c.social.handle or brand.handle},
        "job": SimpleNamespace(product=job.product, size=job.size, name=job.name, trim_mm=job.trim_mm,
                               profile=job.profile.name),
        "qr": {
            "url": job.qr_url,
            "label": job.page.label,
            "src": qr_data_uri(job.qr_url, colour_value(job.colours["ink"], job.profile.spec.output)),
            "alt": c.labels.qr_alt.replace("{address}", job.page.label),
        },
        "stylesheets": job.stylesheets,
        "options": job.spec.options,
        "statistic": c.statistics[job.statistic] if job.statistic is not None else None,
        # The languages the product prints, in the campaign's order: [c] alone, or both
        # of a bilingual campaign (campaign.bilingual), with their weight.
        "languages": [_model_data(campaign) for campaign in job.source.languages],
        "weight": c.bilingual.weight if c.bilingual else "equal",
        "variant": {
            "district": job.district,
            "district_line": identity.district_line(c, job.district),
            "partner": job.partner,
            "partner_logo": f"../assets/{job.partner.logo}" if job.partner else None,
            "language": job.language,
        },
    })


def render_html(job: Job, fit: int = 0, breaks: dict[str, tuple[str, ...]] | None = None, shrink: int = 0) -> str:
    """The final HTML of one job, at fill step `fit` or shrink step `shrink` with
    headlines broken at `breaks` (all chosen by pipeline/fit.py). Template mistakes
    become a RenderError naming the line."""
    with _links_for(job), _breaks(breaks or {}):
        return sheets.kept(render_template(job.layouts.folder, job.spec.template,
                                           {**context(job), "fit": fit, "shrink": shrink}, product=job.product))


@contextmanager
def links_to(url: str):
    """Live links while a page renders (the accessible web page, pipeline/webpage.py):
    numbers as tel:, e-mail as mailto:, the printed web address to `url`."""
    token = _LINKS.set(url)
    try:
        yield
    finally:
        _LINKS.reset(token)


def render_template(folder: Path, template: str, names: dict, product: str | None = None) -> str:
    """`template` of the layouts `folder` rendered in the sandbox, within the
    TEMPLATE_* limits, with `names` (plain data, as_data). Template mistakes become a
    RenderError naming the file and line."""
    token = _SPENT.set(_Budget())
    try:
        compiled = environment(folder).get_template(template)
        return _bounded_output(compiled.generate(names))
    except limits.TemplateLimit as exc:
        raise RenderError([Problem("error", f"layouts/{_template_name(exc) or template}", f"template stopped: {exc}",
                                   "a layout prints the content: look for a loop or macro that runs away",
                                   line=_template_line(exc), check="limits")]) from None
    except MemoryError:
        raise  # the job's memory limit: build.worker says so
    except TemplateRefused as exc:
        line = _template_line(exc)
        what = exc.what if exc.template == template else f"{exc.what} (included from layouts/{template}:{line})"
        raise RenderError([Problem("error", f"layouts/{exc.template}", what, exc.hint)]) from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError([_syntax_error(exc, template)]) from None
    except jinja2.TemplateNotFound as exc:
        if product is None:
            raise RenderError([Problem("error", f"layouts/{exc.name}", "template not found",
                                       f"create layouts/{exc.name} (included from layouts/{template})")]) from None
        raise RenderError([Problem("error", "layouts/products.yaml", f"template {exc.name!r} not found",
                                   f"create layouts/{exc.name} or fix 'template:' for {product}",
                                   field=f"{product}.template")]) from None
    except jinja2.UndefinedError as exc:
        raise RenderError([Problem("error", f"layouts/{template}", f"template uses {exc.message}",
                                   "check the name against the template context (README.md, For designers)",
                                   line=_template_line(exc))]) from None
    except SecurityError as exc:
        raise RenderError([Problem("error", f"layouts/{_template_name(exc) or template}",
                                   f"template not allowed: {exc}",
                                   "templates may only print the context's values (README.md, For designers)",
                                   line=_template_line(exc))]) from None
    except Exception as exc:  # e.g. 1 / 0 or int("x") in an expression
        raise RenderError([Problem("error", f"layouts/{_template_name(exc) or template}",
                                   f"template failed: {type(exc).__name__}: {exc}",
                                   "fix the expression on this line", line=_template_line(exc))]) from None
    finally:
        _SPENT.reset(token)


INNERMOST = re.compile(r"The innermost block that needs to be closed is '(\w+)'")


def _syntax_error(exc: jinja2.TemplateSyntaxError, template: str) -> Problem:
    """A template syntax error; a block left open at the line that opened it (Jinja
    notices only at the next tag it did not expect, often `{% endblock %}`)."""
    file = f"layouts/{exc.name or template}"
    block = INNERMOST.search(exc.message or "")
    at_end = (exc.message or "").startswith("Unexpected end of template")
    opened = block and exc.source and sources.opened_at(
        exc.source, block.group(1), len(exc.source.splitlines()) + 1 if at_end else exc.lineno)
    if opened:
        found = "at the end of the template" if at_end else f"at line {exc.lineno}"
        return Problem("error", file, f"template syntax: `{{% {block.group(1)} %}}` is never closed "
                       f"(Jinja noticed {found})", f"add `{{% end{block.group(1)} %}}` where the block ends",
                       line=opened)
    return Problem("error", file, f"template syntax: {exc.message}", "fix the Jinja2 tag on this line",
                   line=exc.lineno)


def _bounded_output(parts) -> str:
    """The template's output, stopped at TEMPLATE_OUTPUT_CHARS."""
    out, size = [], 0
    for part in parts:
        size += len(part)
        if size > limits.TEMPLATE_OUTPUT_CHARS:
            raise limits.TemplateLimit(f"the HTML is over {limits.TEMPLATE_OUTPUT_CHARS:,} characters "
                                       f"(TEMPLATE_OUTPUT_CHARS in {limits.WHERE})")
        out.append(part)
    return "".join(out)


def _template_name(exc: BaseException) -> str | None:
    """The innermost template file an exception went through."""
    tb, name = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".html"):
            name = Path(tb.tb_frame.f_code.co_filename).name
        tb = tb.tb_next
    return name


def _template_line(exc: BaseException) -> int | None:
    """The line of the template where an exception was raised, from its traceback."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".html"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
