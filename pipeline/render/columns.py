"""Balanced CSS columns found once per content, not once per document.

WeasyPrint balances columns (`columns: 2`, the A5 leaflet's back) by a walk: it lays
the columns out at the most height the page gives them, then at the average of the two
columns' heights, then at a slightly greater height, and again, until the content fits;
each step a full layout of the columns. Then, at the height the walk ended at, it lays
the columns out once more, each in its place across the page: the layout it keeps.
Where the walk ends depends on the columns' boxes and styles, their width, where they
start on the page, and how tall every line is: not on the words in the lines, as the
walk moves whole lines between the columns. A district's leaflet has the same columns
as the last one's, but for the district's name in a line, if that.

So each worker keeps a small memo, from a fingerprint of the columns before layout (the
boxes, their styles as cascaded and inherited, the geometry; not the words) to the
height the walk found and a fingerprint of the kept layout at that height (every box's
place up and across the page, its height and margins; not its words nor a line's width).
The next document with the same columns gets WeasyPrint's kept layout at that height
straight away, with no walk: if everything fits and the layout's fingerprint is the one
remembered, every line is as tall and as placed as in the document the walk ran for, so
the walk would end at the same height, and that layout is the one WeasyPrint keeps
after it: the same PDF, bytes and all. Otherwise it is let go and WeasyPrint's walk runs
from its start, then its kept layout, and the memo learns the walk's end.

The hooks go into WeasyPrint 70's `columns_layout` by replacing a few of its lines
(below); any other version of that function keeps WeasyPrint's own, unchanged.
"""
from __future__ import annotations

import hashlib
import inspect
import threading
from collections import OrderedDict

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

_POSITIONS = ("static", "relative", "absolute", "fixed")  # not running(): collected as laid out

# fingerprint of the columns -> (the walk's end, fingerprint of the layout there)
_memo: OrderedDict[bytes, tuple[float, bytes]] = OrderedDict()
_memo_lock = threading.Lock()  # renders hold the renderer's lock (pdflock) but WeasyPrint may not
stats = {"hits": 0, "misses": 0, "walks": 0}  # remembered, not, remembered but walked again


def clear() -> None:
    with _memo_lock:
        _memo.clear()
    stats.update(hits=0, misses=0, walks=0)


class Walk:
    """One balancing of one group of columns: WeasyPrint's kept layout at the memo's
    height, confirmed, or WeasyPrint's walk watched and its end remembered."""

    def __init__(self, context, box, children, width, count, position_y, max_height,
                 bottom_space, skip_stack, page_is_empty, containing_block,
                 first_letter_style, first_line_style, balanced: bool):
        self.key = _key(context, box, children, width, count, position_y, max_height,
                        bottom_space, skip_stack, page_is_empty, containing_block,
                        first_letter_style, first_line_style) if balanced else None
        self._layout = None  # the fingerprint of the kept layout at the remembered height
        self.replaying = False  # laid out at the memo's height, no walk
        self._ended = False  # WeasyPrint's walk ended with everything in the columns
        self._again = False  # the memo's height not confirmed: walked from the start

    def begin(self, balancing: bool, height: float) -> tuple[bool, float]:
        """(balancing, height) to start the walk with: WeasyPrint's, or the memo's
        (then `replaying`: no walk, the columns go straight to their kept layout)."""
        if self._again:
            return balancing, height
        known = None
        if self.key is not None:
            with _memo_lock:
                known = _memo.get(self.key)
                if known is not None:
                    _memo.move_to_end(self.key)
        if known is None:
            stats["misses"] += 1
            return balancing, height
        stats["hits"] += 1
        self.replaying = True
        height, self._layout = known
        return True, height

    def ended(self) -> None:
        """WeasyPrint's walk ended where everything fits: the height to remember."""
        self._ended = True

    def kept(self, height: float, columns: list, skip_stack, footnote_area_heights: list) -> bool:
        """After WeasyPrint's kept layout of the columns: whether it stands. False when it
        was laid out at the memo's height and is not the remembered layout: it is let go
        and the columns are walked from the start."""
        fits = bool(columns) and skip_stack is None
        if self.replaying:
            self.replaying = False
            if fits and _layout_print(columns) == self._layout:
                return True
            stats["walks"] += 1
            self._again = True
            return False
        if self._ended and fits and self.key is not None and len(footnote_area_heights) == 1:
            self._remember(height, _layout_print(columns))
        return True

    def _remember(self, height: float, layout: bytes | None) -> None:
        if layout is None:
            return
        with _memo_lock:
            _memo[self.key] = (height, layout)
            _memo.move_to_end(self.key)
            while len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)


def _key(context, box, children, width, count, position_y, max_height, bottom_space,
         skip_stack, page_is_empty, containing_block, first_letter_style,
         first_line_style) -> bytes | None:
    """The fingerprint of the columns before layout; None where it is not known
    exactly (footnotes, first-letter styles, a value whose text is not its content)."""
    if (first_letter_style is not None or first_line_style is not None
            or context.current_page_footnotes or context.reported_footnotes
            or context.current_footnote_area.height != "auto"):
        return None
    shapes = tuple((s.position_x, s.position_y, s.margin_width(), s.margin_height())
                   for s in context.excluded_shapes)
    digest = hashlib.sha256(repr((
        width, count, position_y, max_height, bottom_space, skip_stack, page_is_empty,
        context.page_bottom, box.content_box_x(), box.style["column_fill"],
        getattr(containing_block, "width", None), getattr(containing_block, "height", None),
        shapes)).encode())
    styles: dict[int, str] = {}
    try:
        for child in children:
            _box_print(child, digest, styles)
    except (_Unknown, AttributeError):
        return None
    return digest.digest()


def _box_print(box, digest, styles) -> None:
    """A box before layout: what it is and its style; not its words."""
    if box.style["float"] != "none" or box.style["position"] not in _POSITIONS:
        # A float's width shapes the lines beside it; footnotes and running elements
        # are collected as the walk lays them out.
        raise _Unknown("a float, footnote or running element")
    digest.update(repr((type(box).__name__, box.element_tag, _style_print(box.style, styles),
                        getattr(box, "colspan", None), getattr(box, "rowspan", None),
                        getattr(box, "span", None))).encode())
    if isinstance(box, boxes.ReplacedBox):
        digest.update(repr((type(box.replacement).__name__,
                            box.replacement.get_intrinsic_size(1, 16))).encode())
    if isinstance(box, boxes.ParentBox):
        digest.update(b"(")
        for child in box.children:
            _box_print(child, digest, styles)
        digest.update(b")")


def _layout_print(columns: list) -> bytes | None:
    """The columns as WeasyPrint keeps them: every box, what it is and where it is up
    (and, but for lines and inline boxes, across) the page, how tall, with its margins;
    not its words, nor how wide a line or an inline box is."""
    digest = hashlib.sha256()
    try:
        for column in columns:
            _placed_print(column, digest)
    except (_Unknown, AttributeError):  # a box not laid out as these are: walked every time
        return None
    return digest.digest()


def _placed_print(box, digest) -> None:
    if box.is_floated():
        raise _Unknown("a float")
    if box.is_absolutely_positioned():  # out of the flow; laid out after the walk
        digest.update(repr(("absolute", type(box).__name__, box.element_tag)).encode())
        return
    across = () if isinstance(box, (boxes.LineBox, boxes.InlineBox, boxes.TextBox)) else (
        box.position_x, box.width)
    digest.update(repr((type(box).__name__, box.element_tag, box.position_y, box.height,
                        box.margin_top, box.margin_bottom, box.padding_top, box.padding_bottom,
                        box.border_top_width, box.border_bottom_width,
                        getattr(box, "baseline", None), across)).encode())
    if isinstance(box, boxes.ParentBox):
        digest.update(b"(")
        for child in box.children:
            _placed_print(child, digest)
        digest.update(b")")


class _Unknown(Exception):
    """A box or style this fingerprint cannot describe by value."""


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
        parts = ("computed", _cascaded_print(style.cascaded),
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


def _cascaded_print(cascaded: dict) -> str:
    parts = []
    for name, value in sorted(cascaded.items()):
        text = repr(value)  # (value, weight): values, numbers and strings print as they are
        if "<" in text:  # but tinycss2's tokens and WeasyPrint's pending values do not
            text = repr(_value(value))
        parts.append(f"{name}: {text}")
    return "; ".join(parts)


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
    ("        page_is_empty = stop_rendering = balancing = False\n"
     "        while True:\n",
     "        page_is_empty = stop_rendering = balancing = False\n"
     "        balancing, height = walk.begin(balancing, height)\n"
     "        while not walk.replaying:\n"),
    ("            if balancing:\n"
     "                if column_skip_stack is None:\n"
     "                    # We rendered the whole content, stop\n"
     "                    break\n",
     "            if balancing:\n"
     "                if column_skip_stack is None:\n"
     "                    # We rendered the whole content, stop\n"
     "                    walk.ended()\n"
     "                    break\n"),
)

# WeasyPrint's lines from the start of its walk to the end of its kept layout of the
# columns, run once, or again from the walk's start when the memo's height is not
# confirmed (what that kept layout changed undone first).
_AGAIN_FROM = "        column_skip_stack = skip_stack\n        lost_space = inf\n"
_AGAIN_TO = "        # Update the current y position and set the columns’ height\n"
_BEFORE = (
    "        walk = _Walk(context, box, column_children, width, count, current_position_y,\n"
    "                     max_height, original_bottom_space, skip_stack, page_is_empty,\n"
    "                     containing_block, first_letter_style, first_line_style,\n"
    "                     style['column_fill'] == 'balance' or index < columns_and_blocks[-1][0])\n"
    "        undo = skip_stack, bottom_space, page_is_empty, break_page, column_box\n"
    "        while True:\n")
_AFTER = (
    "            if walk.kept(height, columns, skip_stack, footnote_area_heights):\n"
    "                break\n"
    "            remove_placeholders(context, columns, absolute_boxes, fixed_boxes)\n"
    "            del context.excluded_shapes[len(original_excluded_shapes):]\n"
    "            (skip_stack, bottom_space, page_is_empty, break_page, column_box), height = undo, max_height\n"
    "\n")


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
    if source.count(_AGAIN_FROM) != 1 or source.count(_AGAIN_TO) != 1:
        return None
    start, end = source.index(_AGAIN_FROM), source.index(_AGAIN_TO)
    again = "".join(f"    {line}" if line.strip() else line
                    for line in source[start:end].splitlines(keepends=True))
    source = source[:start] + _BEFORE + again + _AFTER + source[end:]
    namespace = {**vars(wp_column), "_Walk": Walk}
    exec(compile(source, "<weasyprint.layout.column.columns_layout, hooked by pipeline.render.columns>",
                 "exec"), namespace)
    return namespace["columns_layout"]


original_columns_layout = wp_column.columns_layout
hooked_columns_layout = _hooked()
if hooked_columns_layout is not None:
    wp_block.columns_layout = hooked_columns_layout  # block.py calls it by this name
