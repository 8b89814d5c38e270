"""SVG images as drawn. The QR code as vectors: while a job renders, its placeholder SVG
(qr.qr_data_uri) is drawn as one fill of the code's modules, in the ink colour. Logos
and images from assets/ each in a form XObject of its own."""
from __future__ import annotations

import threading
from contextlib import contextmanager

from weasyprint import images as wp_images
from weasyprint.svg.utils import color as svg_colour

from ..overprint import PathOnly
from ..plan import Job
from ..profilecss import colour_value
from ..qr import qr_data_uri, qr_operators


_drawing = threading.local()
_original_svg_draw = wp_images.SVGImage.draw


@contextmanager
def drawing_qr_code(job: Job):
    """While `job` renders, its QR placeholder (qr.qr_data_uri: an empty SVG that
    keeps the code's box, alt text, /Figure and link) is drawn as the code itself."""
    fill = colour_value(job.colours["ink"], job.profile.spec.output)
    previous = getattr(_drawing, "codes", None)
    _drawing.codes = {qr_data_uri(job.qr_url, fill): (job.qr_url, fill)}
    try:
        yield
    finally:
        _drawing.codes = previous


def _draw_svg(self, stream, width, height, style):
    code = (getattr(_drawing, "codes", None) or {}).get(self._base_url)
    if code is None and "/assets/" in (self._base_url or ""):
        # A logo or image file: drawn as a form XObject of its own, so the PDF says
        # where each is (a printer's preflight, tests/test_identity.py); a plain form,
        # not a transparency group (PDF/X-1a has none).
        form = stream.add_group(0, 0, width, height)
        form.extra.pop("Group", None)
        _original_svg_draw(self, form, width, height, style)
        stream.draw_x_object(form.id)
        return None
    if code is None:
        return _original_svg_draw(self, stream, width, height, style)
    url, fill = code
    size, operators = qr_operators(url)
    # As WeasyPrint draws the SVG of the same viewBox (xMidYMid meet), in one fill of
    # one path: the page's y-down space, a module per unit; no seams between modules.
    scale = min(width, height) / size
    stream.push_state()
    stream.transform(a=scale, d=scale, e=(width - scale * size) / 2, f=(height - scale * size) / 2)
    stream.set_color(svg_colour(fill))
    stream.stream.append(PathOnly(operators))  # passed through by the overprint finisher
    stream.fill()
    stream.pop_state()


wp_images.SVGImage.draw = _draw_svg
