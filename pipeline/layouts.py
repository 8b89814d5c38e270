"""The Jinja2 environment and the template context: job + campaign -> HTML.

Templates see exactly these names (documented in layouts/README.md):
  c          the validated campaign (pipeline.content.Campaign)
  job        product, size, name, trim_mm, pages
  qr         url (encoded), label (printed), svg (inline vector code)
  stylesheets  the CSS files to link, in order
"""
from __future__ import annotations

from functools import lru_cache

import jinja2

from .plan import LAYOUTS, Job
from .problems import Problem, RenderError
from .qr import qr_svg


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(LAYOUTS),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name is an error, not a blank
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,  # designers edit templates between builds of a watch loop
    )
    return env


def context(job: Job) -> dict:
    c = job.source.campaign
    return {
        "c": c,
        "job": job,
        "qr": {
            "url": job.qr_url,
            "label": c.qr.label,
            "svg": qr_svg(job.qr_url, f"QR code: opens {c.qr.label}"),
        },
        "stylesheets": job.stylesheets,
    }


def render_html(job: Job) -> str:
    """The final HTML of one job. Template mistakes become a RenderError naming the line."""
    try:
        return environment().get_template(job.spec.template).render(context(job))
    except jinja2.TemplateSyntaxError as exc:
        where = Problem("error", f"layouts/{exc.name or job.spec.template}", f"template syntax: {exc.message}",
                        "fix the Jinja2 tag on this line", line=exc.lineno)
        raise RenderError([where]) from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError([Problem("error", "layouts/products.yaml", f"template {exc.name!r} not found",
                                   f"create layouts/{exc.name} or fix 'template:' for {job.product}",
                                   field=f"{job.product}.template")]) from None
    except jinja2.UndefinedError as exc:
        raise RenderError([Problem("error", f"layouts/{job.spec.template}", f"template uses {exc.message}",
                                   "check the name against the template context in layouts/README.md",
                                   line=_template_line(exc))]) from None


def _template_line(exc: BaseException) -> int | None:
    """The line of the template where an exception was raised, from its traceback."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".html"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
