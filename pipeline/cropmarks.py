"""Crop marks, one size for every press sheet: a single press PDF's (render/finish.py) and
an imposed sheet's (impose.py); the page's bleed leaves room for them (plan/job.py)."""
from __future__ import annotations

MARK_GAP_MM = 1  # a mark starts this far outside the bleed edge
MARK_LENGTH_MM = 5
MARK_WIDTH_PT = 0.3
MARKS_ROOM_MM = MARK_GAP_MM + MARK_LENGTH_MM + 1  # a gap, a mark, 1 mm to the page's edge
