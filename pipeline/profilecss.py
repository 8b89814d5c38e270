"""The CSS a job's profile sets, from products.yaml, colours.yaml and profiles/: page size
and bleed, the brand's colours as the output prints them, the typeface and the output
intent. Used by the layouts (the template's colours) and the renderer (the page's sheet)."""
from __future__ import annotations

from .content import BrandFont
from .plan import Colour, Job, media_bleed_mm

# The brand's typeface unless it names its own: designed for legibility (RNIB clear print).
DEFAULT_FONT = BrandFont(family="Atkinson Hyperlegible", regular="AtkinsonHyperlegible-Regular.ttf",
                         bold="AtkinsonHyperlegible-Bold.ttf")


def colour_value(colour: Colour, output: str) -> str:
    if output != "print":  # screen copies and social images
        return colour.rgb
    return "device-cmyk({})".format(" ".join(f"{v / 100:g}" for v in colour.cmyk))


def profile_css(job: Job) -> str:
    """Page geometry, brand colours and colour profile for the job's print profile.

    Set here from products.yaml, colours.yaml and profiles/, so no stylesheet repeats them.
    Stylesheets use var(--bleed) to run backgrounds that touch the trim into the bleed.
    """
    profile = job.profile.spec
    width, height = job.trim_mm
    colours = "; ".join(f"--{name}: {colour_value(colour, profile.output)}"
                        for name, colour in job.colours.items())
    font = job.source.brand.font or DEFAULT_FONT
    css = (f"@page {{ size: {width}mm {height}mm; margin: 0; bleed: {media_bleed_mm(job)}mm }}\n"
           f":root {{ --bleed: {profile.bleed_mm}mm; --safe: {job.safe_mm}mm; {colours}; "
           f"--font: \"{font.family}\" }}\n")
    for weight, face in ((400, font.regular), (700, font.bold)):
        css += f'@font-face {{ font-family: "{font.family}"; font-weight: {weight}; src: url("../fonts/{face}") }}\n'
    if profile.output == "screen":  # live links look as the text they wrap: the design is the print's
        css += "a:link, a:visited { color: inherit; text-decoration: none }\n"
    if profile.output_intent:
        css += (f"@color-profile device-cmyk {{ src: url(\"../colour/{profile.output_intent.icc}\"); "
                "components: cyan, magenta, yellow, black }\n")
    return css
