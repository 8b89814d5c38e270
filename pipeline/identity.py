"""What one product carries of the campaign's identity and content, beyond its words:
the force's logo lockup, the image, how many services and signs it shows, and the
district's line (only when it adds something).

The templates get these as plain data (layouts.context); preflight's identity check
reads the same lockup rules back from the PDF (preflight/identity.py).
"""
from __future__ import annotations

import re
from pathlib import Path

from .content import Campaign, LoadedCampaign, Picture
from .paths import ASSETS
from .problems import Problem

NUMBER = re.compile(r"\d+(?: \d+)*")  # a number as written in a line, short codes (101) too
WEB_IMAGE_PX = 1600  # wide enough for a high-density phone or a laptop's column


def picture(campaign: Campaign, product: str) -> Picture | None:
    """The image this product prints: its own (show.<product>.image), else the campaign's."""
    shown = campaign.show.get(product)
    return shown.image if shown and shown.image else campaign.image


def image_context(campaign: Campaign, product: str) -> dict | None:
    image = picture(campaign, product)
    if image is None:
        return None
    x, y = image.focal_point
    return {"src": f"../assets/{image.file}", "alt": image.alt, "credit": image.credit,
            "position": f"{x:g}% {y:g}%"}


def shown(campaign: Campaign, product: str) -> dict:
    """How many support services and signs the campaign chose for the product: None
    where it did not say (the template's own default: posters one service, cards as
    many as fit) and no signs."""
    chosen = campaign.show.get(product)
    return {"support": chosen.support if chosen else None, "signs": (chosen.signs or 0) if chosen else 0}


def district_line(campaign: Campaign, district) -> str | None:
    """The district's line, or None where it would only repeat what the product already
    says: labels.local that names no number other than the report numbers and the
    helpline ("In York? Call 101 to report it." under the 101 line) is left out; a
    district's own `line` is always printed."""
    if district is None:
        return None
    if district.line:
        return district.line
    if not campaign.labels.local:
        return None
    line = campaign.labels.local.replace("{district}", district.name)
    printed = {_digits(n) for n in _printed_numbers(campaign)}
    numbers = {_digits(n) for n in NUMBER.findall(line)}
    return line if numbers - printed else None


def _digits(number: str) -> str:
    return "".join(c for c in number if c.isdigit())


def _printed_numbers(campaign: Campaign) -> list[str]:
    numbers = [s.phone for s in campaign.support[:1] if s.phone]
    if campaign.report:
        numbers += [campaign.report.emergency, campaign.report.non_emergency]
    return numbers


def image_files(campaign: Campaign) -> list[tuple[tuple, str]]:
    """Each image file the campaign names, with the path of its field."""
    files = [(("image", "file"), campaign.image.file)] if campaign.image else []
    files += [(("show", product, "image", "file"), chosen.image.file)
              for product, chosen in campaign.show.items() if chosen.image]
    return files


def check_images(source: LoadedCampaign) -> list[Problem]:
    """Every image the campaign names is a file in assets/ that passes the asset checks
    (pipeline/assets.py, as logos: no code of its own, scanned whole, where the posters
    crop it and preflight's page scan sees only part); its resolution is preflight's
    (`images`)."""
    from .assets import check_logo  # here: assets.py is imported by the renderer too

    problems = []
    for path, name in image_files(source.campaign):
        line = source.lines.line(path) if source.lines else None
        field = ".".join(str(p) for p in path)
        for problem in check_logo(ASSETS / name, svg_codes=False):
            problems.append(Problem("error", str(source.path), f"image {problem.file}: {problem.what}",
                                    f"{problem.hint} (a PNG or JPEG at 300 ppi at its printed size, or SVG, "
                                    "in assets/)", line=line, field=field))
    return problems


def image_hashes(campaign: Campaign, file_hash) -> list:
    """The image files' hashes, for a build's input hash."""
    return [file_hash(ASSETS / name) for _, name in image_files(campaign)]


def web_image(name: str) -> str:
    """An image in assets/ as a data: URI for the web page (which loads nothing): an SVG
    as it is, a photograph in sRGB (assets.normalise_image), at most WEB_IMAGE_PX wide,
    as a JPEG."""
    import base64
    import io

    from .assets import read_project_file

    if Path(name).suffix.lower() == ".svg":
        return "data:image/svg+xml;base64," + base64.b64encode(read_project_file(ASSETS / name, [ASSETS])).decode()
    out = io.BytesIO()
    _web_raster(name).save(out, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def _web_raster(name: str):
    """A raster image as the web page shows it: whole (no crop), flattened on white,
    at most WEB_IMAGE_PX wide."""
    import io

    from PIL import Image

    from .assets import normalise_image, read_project_file

    data = read_project_file(ASSETS / name, [ASSETS])
    with Image.open(io.BytesIO(normalise_image(data)[0])) as image:
        flat = Image.new("RGB", image.size, (255, 255, 255))  # transparency on the page's white
        flat.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
    flat.thumbnail((WEB_IMAGE_PX, WEB_IMAGE_PX))
    return flat


def web_image_numbers(name: str, known: set[str], language: str) -> list[tuple[str, str | None]]:
    """What reads as a phone number that is not one of `known` (E.164) in the whole of
    an image as the web page shows it (the crop by the focal point may leave a number
    out of every PDF, and so out of preflight's reading, not out of the page): a raster
    read by OCR (none without Tesseract), an SVG's text as written. As (written, near):
    `near` the known number an OCR reading is one or two digits from, else None."""
    from .ocr import ocr_image, unknown_numbers_read

    if Path(name).suffix.lower() == ".svg":
        return _svg_numbers(name, known)
    image = _web_raster(name)
    # Sparse text (11) misses a line on a plain band under a dark photograph that the
    # page's own segmentation (3) finds, and the other way round: both readings.
    text = "\n".join(ocr_image(image, language, psm) or "" for psm in ("11", "3"))
    return list(dict.fromkeys((written, near) for written, _, near in unknown_numbers_read(text, known)))


def _svg_numbers(name: str, known: set[str]) -> list[tuple[str, None]]:
    """The phone numbers an SVG's text elements print that are not one of `known`."""
    import defusedxml.ElementTree

    from .assets import read_project_file
    from .inputs import find_phone_numbers

    root = defusedxml.ElementTree.fromstring(read_project_file(ASSETS / name, [ASSETS]), forbid_dtd=True,
                                             forbid_entities=True, forbid_external=True)
    texts = [" ".join("".join(e.itertext()).split()) for e in root.iter() if str(e.tag).endswith("}text")]
    return list(dict.fromkeys((f.written, None) for text in texts for f in find_phone_numbers(text)
                              if f.key not in known))
