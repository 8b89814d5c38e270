"""The page thumbnails of the preflight report: each page trimmed, from the raster the
bleed check looks at (Subject.raster), as PNG.
"""
from __future__ import annotations

import io

from ..plan import media_bleed_mm
from .subject import THUMBNAIL_DPI, Subject


def thumbnails(s: Subject) -> list[bytes]:
    """A PNG per page, showing the trimmed page."""
    media = media_bleed_mm(s.job)
    width, height = s.job.trim_mm
    scale = THUMBNAIL_DPI / 25.4  # pixels per mm
    pngs = []
    for index in range(len(s.pdf)):
        image = s.raster(index)
        crop = [round(media * scale), round(media * scale),
                round((media + width) * scale), round((media + height) * scale)]
        buffer = io.BytesIO()
        # Fast deflate (level 1): the thumbnails are for the report, not for keeping;
        # the default level and optimize=True cost 5 and 40 ms a page.
        image.crop(crop).save(buffer, "PNG", compress_level=1)
        pngs.append(buffer.getvalue())
    return pngs
