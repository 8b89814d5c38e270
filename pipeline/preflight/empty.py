"""Check of empty space: no page leaves a large block empty (and copyfitting's measure of
the emptiest page).
"""
from __future__ import annotations

from bisect import bisect_left

from ..plan import Job
from ..problems import Problem
from ..stages import Placed, Rendered
from .subject import Subject


def largest_empty_block(items: list[Placed], area: tuple[float, float, float, float]):
    """The largest rectangle of `area` (x, y, w, h in mm) that no text line, image or
    code touches, as (x, y, w, h). Exact: the block's edges lie on the area's edges or
    the items', so the search runs on the grid those edges make (a few dozen lines and
    columns), the histogram method, one grid row at a time, widths and heights in mm."""
    ax, ay, aw, ah = area
    boxes = []
    for item in items:
        x, y, w, h = item.rect
        x0, x1, y0, y1 = max(x, ax), min(x + w, ax + aw), max(y, ay), min(y + h, ay + ah)
        if x0 < x1 and y0 < y1:
            boxes.append((x0, x1, y0, y1))
    xs = sorted({ax, ax + aw, *(b[0] for b in boxes), *(b[1] for b in boxes)})
    ys = sorted({ay, ay + ah, *(b[2] for b in boxes), *(b[3] for b in boxes)})
    widths = [b - a for a, b in zip(xs, xs[1:])]
    columns, rows = len(widths), len(ys) - 1
    taken = [bytearray(columns) for _ in range(rows)]
    for x0, x1, y0, y1 in boxes:
        c0, c1, r0, r1 = bisect_left(xs, x0), bisect_left(xs, x1), bisect_left(ys, y0), bisect_left(ys, y1)
        for r in range(r0, r1):
            taken[r][c0:c1] = b"\x01" * (c1 - c0)
    best, block = 0.0, (ax, ay, 0.0, 0.0)
    heights = [0.0] * (columns + 1)  # a 0 at the end empties the stack
    lefts = [0.0] * (columns + 1)  # x of each column's left edge, relative to the area
    for c in range(1, columns + 1):
        lefts[c] = lefts[c - 1] + widths[c - 1]
    for r in range(rows):
        row_height, row = ys[r + 1] - ys[r], taken[r]
        for c in range(columns):
            heights[c] = 0.0 if row[c] else heights[c] + row_height
        stack: list[int] = []
        for c, height in enumerate(heights):
            while stack and heights[stack[-1]] >= height:
                top = stack.pop()
                left = stack[-1] + 1 if stack else 0
                size = heights[top] * (lefts[c] - lefts[left])
                if size > best:
                    best = size
                    block = (ax + lefts[left], ys[r + 1] - heights[top], lefts[c] - lefts[left], heights[top])
            stack.append(c)
    return block


def empty_blocks(job: Job, rendered: Rendered) -> list[tuple[float, tuple[float, float, float, float]]]:
    """Per page: the largest empty block inside the safe area, as (share of the page, block)."""
    width, height = job.trim_mm
    safe = job.safe_mm
    area = (safe, safe, width - 2 * safe, height - 2 * safe)
    key = ("empty_blocks", width, height, area)  # once per rendering: fit.py asks first
    if key in rendered.derived:
        return rendered.derived[key]
    blocks = []
    for page in range(1, rendered.pages + 1):
        block = largest_empty_block([p for p in rendered.layout if p.page == page], area)
        blocks.append((block[2] * block[3] / (width * height), block))
    rendered.derived[key] = blocks
    return blocks


def emptiest_page(job: Job, rendered: Rendered) -> float:
    """The largest share of any page left empty in one block (copyfitting's measure)."""
    return max((share for share, _ in empty_blocks(job, rendered)), default=0.0)


def check_empty(s: Subject) -> list[Problem]:
    """No page leaves a large block empty: the layout should give short content room
    (larger type, sections in columns, the product's fill steps) rather than a hole.
    Searched inside the safe area; a solid background with nothing on it counts as empty."""
    share = s.job.spec.max_empty_share
    if share is None:
        return []
    problems = []
    for page, (empty, block) in enumerate(empty_blocks(s.job, s.rendered), 1):
        if empty > share:
            problems.append(s.problem(
                "warning", f"page {page} leaves {empty:.0%} of the page empty in one block "
                           f"({block[2]:.0f} x {block[3]:.0f} mm); a {s.job.product} allows {share:.0%}",
                "let the content fill the page: larger type for short text, sections flowing into free "
                "columns (layouts/README.md, 'Layouts that fit')", page=page, box=block, check="empty"))
    return problems
