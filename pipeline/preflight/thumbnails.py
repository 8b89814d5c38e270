"""The page thumbnails of the preflight report: each page trimmed, from the raster the
bleed check looks at (Subject.raster), as PNG.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

from ..plan import media_bleed_mm
from .subject import THUMBNAIL_DPI, Subject


def thumbnails(s: Subject) -> list[bytes]:
    """A PNG per page, showing the trimmed page."""
    media = media_bleed_mm(s.job)
    width, height = s.job.trim_mm
    scale = THUMBNAIL_DPI / 25.4  # pixels per mm
    pngs = []
    for index in range(len(s.views)):
        left, top = round(media * scale), round(media * scale)
        right, bottom = round((media + width) * scale), round((media + height) * scale)
        pngs.append(png(s.raster(index)[top:bottom, left:right]))  # the trim lies inside the raster
    return pngs


def png(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB image (height x width x 3) as PNG: rows unfiltered, fast deflate
    (level 1). The thumbnails are for the report, not for keeping: Pillow's encoder
    tries every row filter, twice the time for a file no smaller on a flat poster
    (and its default level and optimize=True cost 5 and 40 ms a page)."""
    height, width, _ = rgb.shape
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # each row's filter byte: 0, none
    rows[:, 1:] = rgb.reshape(height, 3 * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + chunk(b"IEND", b""))
