"""Balanced CSS columns found once per content, not once per document.

WeasyPrint balances columns (`columns: 2`, the A5 leaflet's back) by a walk: it lays
the columns out at the average height, then again at a slightly greater height, and
again, until the content fits; each step is a full layout of the columns. The height
the walk ends at depends only on what is in the columns, their width and where they
start on the page, and a district's variant has the same columns as the last one.
So each worker keeps a small memo: from a fingerprint of exactly that (the boxes, their
text, their styles as cascaded and inherited, the geometry) to the last two heights the
walk tried. Another document with the same fingerprint lays the columns out at those
two heights only, checking that the first does not fit and the second does, as they
did in the walk. The last layout before the columns are placed is then the walk's own
last layout, so the PDF is the same bytes; should a check fail, the walk runs from its
start as WeasyPrint's does.

The hooks go into WeasyPrint 70's `columns_layout` by replacing a few of its lines
(below); any other version of that function keeps WeasyPrint's own, unchanged.
"""
from __future__ import annotations

import hashlib
import inspect
import threading
from collections import OrderedDict
from math import inf

import tinycss2
from weasyprint.css import AnonymousStyle, ComputedStyle, InitialStyle
from weasyprint.css.tokens import Pending
from weasyprint.formatting_structure import boxes
from weasyprint.layout import block as wp_block, column as wp_column

MEMO_SIZE = 64  # column contents remembered per process (a campaign has a few per product)

# sha256 of WeasyPrint 70.0's columns_layout source: the lines replaced below are its.
_SOURCE_SHA256 = "7a05cce3272fc581cf8d9352ebe07d4de51fb742dfccd6d2e86895ac0eca9691"

# Style values that box building may set over the cascade (list markers, tables, pre).
_OVERRIDDEN = ("display", "position", "float", "white_space", "overflow", "width", "height")

_memo: OrderedDict[bytes, tuple[float, ...]] = OrderedDict()
_memo_lock = threading.Lock()
stats = {"hits": 0, "misses": 0, "walks": 0}  # for tests and the bench


def clear() -> None:
    with _memo_lock:
        _memo.clear()
    stats.update(hits=0, misses=0, walks=0)


class Walk:
    """One balancing of one group of columns: the memo's heights replayed, or the walk
    watched and its last two heights remembered."""

    def __init__(self, context, box, width, count, position_y, max_height,
                 bottom_space, skip_stack, page_is_empty, containing_block,
                 first_letter_style, first_line_style):
        self._inputs = (context, box, width, count, position_y, max_height,
                        bottom_space, skip_stack, page_is_empty, containing_block,
                        first_letter_style, first_line_style)
        self.key = None
        self.first = 0.0
        self.previous = None  # the walk's last height that did not fit
        self.replaying = False
        self._heights: list[float] = []

    def start(self, height: float, laid_out: list) -> float:
        """The first height to lay out at: WeasyPrint's (the average) or the memo's.
        `laid_out`: the columns of the first layout, at the most height (all content)."""
        self.first = height
        self.key = _key(self._inputs, height, laid_out)
        known = None
        if self.key is not None:
            with _memo_lock:
                known = _memo.get(self.key)
                if known is not None:
                    _memo.move_to_end(self.key)
        if known is None:
            stats["misses"] += 1
            return height
        stats["hits"] += 1
        self.replaying = True
        self._heights = list(known)
        return self._heights.pop(0)

    def replayed(self, height: float, fits: bool) -> tuple[float, bool]:
        """After a layout at a remembered height: (the next height, whether done)."""
        if fits and not self._heights:
            return height, True
        if not fits and self._heights:
            return self._heights.pop(0), False
        # Not as remembered: WeasyPrint's walk, from its start.
        self.replaying, self.previous = False, None
        stats["walks"] += 1
        return self.first, False

    def remember(self, height: float, footnote_area_heights: list) -> None:
        if self.key is None or len(footnote_area_heights) != 1:
            return
        heights = (height,) if self.previous is None else (self.previous, height)
        with _memo_lock:
            _memo[self.key] = heights
            _memo.move_to_end(self.key)
            while len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)


def _key(inputs, first_height: float, laid_out: list) -> bytes | None:
    """The fingerprint of what decides the walk; None where it is not known exactly
    (footnotes, floats, first-letter styles, a value whose text is not its content)."""
    (context, box, width, count, position_y, max_height, bottom_space, skip_stack,
     page_is_empty, containing_block, first_letter_style, first_line_style) = inputs
    if (first_letter_style is not None or first_line_style is not None
            or context.current_page_footnotes or context.reported_footnotes
            or context.current_footnote_area.height != "auto"):
        return None
    shapes = tuple((s.position_x, s.position_y, s.margin_width(), s.margin_height())
                   for s in context.excluded_shapes)
    digest = hashlib.sha256(repr((
        first_height, width, count, position_y, max_height, bottom_space, skip_stack,
        page_is_empty, context.page_bottom, box.content_box_x(), box.style["column_fill"],
        getattr(containing_block, "width", None), getattr(containing_block, "height", None),
        shapes)).encode())
    styles: dict[int, str] = {}
    try:
        for column in laid_out:
            _box_print(column, digest, styles)
    except _Unknown:
        return None
    return digest.digest()


class _Unknown(Exception):
    """A box or style this fingerprint cannot describe by value."""


def _box_print(box, digest, styles) -> None:
    """A laid-out box as the walk sees it: what it is, its style, and where it is up
    the page, how tall, with its margins. Not its words: a district's name in a line
    changes nothing of the walk where every line has the same height and place (the
    walk only ever moves whole lines between the columns); nor how wide a line or
    an inline box is."""
    if box.is_floated():
        raise _Unknown("a float")  # its width would shape the lines beside it
    vertical = (box.position_y, box.height, box.margin_top, box.margin_bottom, box.padding_top,
                box.padding_bottom, box.border_top_width, box.border_bottom_width,
                getattr(box, "baseline", None))
    across = () if isinstance(box, (boxes.LineBox, boxes.InlineBox, boxes.TextBox)) else (
        box.position_x, box.width)
    digest.update(repr((type(box).__name__, box.element_tag, _style_print(box.style, styles),
                        vertical, across, getattr(box, "colspan", None),
                        getattr(box, "rowspan", None))).encode())
    if isinstance(box, boxes.ParentBox):
        digest.update(b"(")
        for child in box.children:
            _box_print(child, digest, styles)
        digest.update(b")")


def _style_print(style, styles) -> str:
    """A style as what its computed values are made from: its cascaded values, its
    parent's and the root's styles, its base URL and the page sizes."""
    known = styles.get(id(style))
    if known is not None:
        return known
    if isinstance(style, InitialStyle):
        parts = ("initial", id(style.font_config))
    elif isinstance(style, AnonymousStyle):
        parts = ("anonymous", _style_print(style.parent_style, styles))
    elif isinstance(style, ComputedStyle):
        parts = ("computed", [(name, _value(value)) for name, value in sorted(style.cascaded.items())],
                 None if style.parent_style is None else _style_print(style.parent_style, styles),
                 _style_print(style.root_style, styles), style.pseudo_type, style.base_url,
                 style.initial_page_sizes)
    else:
        raise _Unknown(type(style).__name__)
    text = repr((parts, [_value(style[name]) for name in _OVERRIDDEN]))
    if " at 0x" in text:  # an object without a value's repr: two of them may differ
        raise _Unknown(text)
    printed = styles[id(style)] = hashlib.sha256(text.encode()).hexdigest()
    return printed


def _value(value):
    """A cascaded value as text of its own: tinycss2's tokens and WeasyPrint's values
    pending a var() are written out (their reprs elide a function's arguments)."""
    if isinstance(value, tinycss2.ast.Node):
        return value.serialize()
    if isinstance(value, Pending):
        return (type(value).__name__, value.name, tinycss2.serialize(value.tokens))
    if isinstance(value, (tuple, list)):
        return tuple(_value(item) for item in value)
    return value


# WeasyPrint's lines -> the same lines with the hooks (each must match exactly once).
_HOOKS = (
    ("        page_is_empty = stop_rendering = balancing = False\n",
     "        page_is_empty = stop_rendering = balancing = False\n"
     "        walk = _Walk(context, box, width, count, current_position_y,\n"
     "                     max_height, original_bottom_space, skip_stack, original_page_is_empty,\n"
     "                     containing_block, first_letter_style, first_line_style)\n"),
    ("            if balancing:\n"
     "                if column_skip_stack is None:\n"
     "                    # We rendered the whole content, stop\n"
     "                    break\n",
     "            if balancing:\n"
     "                if walk.replaying:\n"
     "                    height, done = walk.replayed(height, column_skip_stack is None)\n"
     "                    lost_space = inf\n"
     "                    if done:\n"
     "                        break\n"
     "                    continue\n"
     "                if column_skip_stack is None:\n"
     "                    # We rendered the whole content, stop\n"
     "                    walk.remember(height, footnote_area_heights)\n"
     "                    break\n"
     "                walk.previous = height\n"),
    ("                        height = sum(consumed_heights) / count\n",
     "                        height = walk.start(sum(consumed_heights) / count, new_boxes)\n"),
)


def _hooked():
    """WeasyPrint's columns_layout with the hooks, or None for another version of it."""
    original = wp_column.columns_layout
    source = inspect.getsource(original)
    if hashlib.sha256(source.encode()).hexdigest() != _SOURCE_SHA256:
        return None
    for old, new in _HOOKS:
        if source.count(old) != 1:
            return None
        source = source.replace(old, new)
    namespace = {**vars(wp_column), "_Walk": Walk}
    exec(compile(source, wp_column.__file__, "exec"), namespace)
    return namespace["columns_layout"]


original_columns_layout = wp_column.columns_layout
hooked_columns_layout = _hooked()
if hooked_columns_layout is not None:
    wp_block.columns_layout = hooked_columns_layout  # block.py calls it by this name
