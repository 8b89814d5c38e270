"""The QR payload (page URL + neutral tracking) and the code as inline vector SVG."""
from __future__ import annotations

import base64
import re
from urllib.parse import urlencode

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from .content import QR

PLAIN_CODE = re.compile(r"[a-z0-9_-]{1,64}")
QUIET_ZONE = 4  # modules of blank space on every side (ISO/IEC 18004)


def qr_url(qr: QR, utm_content: str, medium: str | None = None) -> str:
    """The exact URL to encode: the bare page plus lower-case, neutral UTM tags.

    The page works without the tags too, so the printed label can stay the bare page.
    """
    if qr.utm is None:
        return qr.url
    tags = {
        "utm_source": qr.utm.source,
        "utm_medium": medium or qr.utm.medium,
        "utm_campaign": qr.utm.campaign,
        "utm_content": utm_content.lower(),
    }
    # Only plain codes: free text (a district's or partner's name) could say what the
    # page is about in the browser history of a victim's phone.
    for key, value in tags.items():
        if not PLAIN_CODE.fullmatch(value):
            raise ValueError(f"QR tracking code {key}={value!r} is not a plain code (a-z, 0-9, '-', '_')")
    return f"{qr.url}?{urlencode(tags)}"


def qr_svg(url: str, fill: str) -> str:
    """A standalone SVG of the code: one path of horizontal runs (no seams between
    modules), in `fill` on a transparent ground (the layout puts paper behind it).

    Size is left to the stylesheet: the viewBox is in modules, quiet zone included.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h{start - x}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges"><path fill="{fill}" d="{"".join(runs)}"/></svg>'
    )


def qr_data_uri(url: str, fill: str) -> str:
    """The code as a data: URI for an <img>, which carries the alt text in tagged PDFs."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url, fill).encode()).decode()
