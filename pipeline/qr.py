"""The QR payload (page URL + a short neutral tracking code), and the code: its
placeholder image for the layout and its modules as PDF operators (drawn by render/qrdraw.py)."""
from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from typing import Callable, NamedTuple

import numpy as np
import qrcode
from qrcode import util as qr_util
from qrcode.constants import ERROR_CORRECT_M

from .content import QR

QUIET_ZONE = 4  # modules of blank space on every side (ISO/IEC 18004)

# The code's tracking is one short query parameter: `?c=<code>`, e.g. `?c=wc-ur` (the
# Urdu wallet card) or `?c=pa3-york.pdf` (the screen copy of York's A3 poster). Every
# byte counts: a wallet card's 22 mm code holds 62 bytes at version 4 (modules of
# 0.54 mm), and a force's page takes 40-50 of them. What a code stands for (product,
# size, variant, medium, and the campaign's utm source and campaign) is in the
# manifest, never in the address: a victim's browser history may be read.
TRACKING_PARAMETER = "c"
TRACKING_CODE = re.compile(r"[a-z0-9]+([.-][a-z0-9]+)*")
MAX_TRACKING_CODE = 32
# Variant names (districts, partners) longer than this are shortened in codes: their
# first letters and a check of the whole name (see short_name).
MAX_VARIANT_CODE = 7
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def short_name(name: str, taken: Callable[[str], bool] = lambda code: False) -> str:
    """A variant's name as it goes into a tracking code: as it is when it is short
    ('york', 'selby', 'ur'), else its first four letters and three characters from
    a hash of the whole name ('richmondshire' -> 'rich' + 3): stable from build to
    build, whatever else the campaign holds. `taken(code)` refuses a candidate (a
    revealing word made by chance): the next one is tried."""
    if len(name) <= MAX_VARIANT_CODE:
        return name
    prefix = name.replace("-", "")[:MAX_VARIANT_CODE - 3]
    for salt in range(100):
        number = int.from_bytes(hashlib.sha256(f"{name}#{salt}".encode()).digest()[:8], "big")
        check = "".join(_BASE36[(number // 36 ** i) % 36] for i in range(3))
        if not taken(prefix + check):
            return prefix + check
    raise ValueError(f"no neutral short code for {name!r}")


def qr_url(qr: QR, code: str, discreet: bool = False) -> str:
    """The exact URL to encode: the bare page, plus `?c=<code>` when the campaign
    tracks its codes (qr.utm). The page works without it too, so the printed label
    can stay the bare page. A discreet product's code opens `qr.discreet_url` when
    the campaign gives one (a neutral address the force redirects)."""
    page = (qr.discreet_url or qr.url) if discreet else qr.url
    if qr.utm is None:
        return page
    # Only plain codes: free text (a district's or partner's name) could say what the
    # page is about in the browser history of a victim's phone.
    if len(code) > MAX_TRACKING_CODE or not TRACKING_CODE.fullmatch(code):
        raise ValueError(f"QR tracking code {code!r} is not a plain code (a-z, 0-9, '-', '.'; "
                         f"at most {MAX_TRACKING_CODE} characters)")
    return f"{page}?{TRACKING_PARAMETER}={code}"


@lru_cache(maxsize=16)
def _encoded(url: str) -> tuple[int, int, bytes]:
    """`url` encoded once per worker: (version, modules across with the quiet zone,
    the dark modules as PDF path operators, one `x y w 1 re` per horizontal run in
    module units from the top-left). The page's render and its preflight both ask
    for it, copyfitting's steps again; a batch's codes differ, so a few entries are
    all that is ever reused."""
    made = _made(url)
    ops = [b"%d %d %d 1 re" % (x, y, w) for x, y, w in _runs(made.matrix.tolist())]
    return made.version, len(made.matrix), b"\n".join(ops)


class Encoded(NamedTuple):
    version: int
    mask: int
    matrix: np.ndarray  # dark modules, the quiet zone included (qrcode's get_matrix)


def _made(url: str) -> Encoded:
    """`url` encoded as qrcode's `make(fit=True)` encodes it, the same modules, with its
    choice of mask (the lowest penalty of the eight, the first on a tie): qrcode's
    version and data codewords, placed in numpy at the data modules' places in
    qrcode's order (`_placement`), not module by module in Python twice (to choose
    the mask, then to make the code)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    code.add_data(url)
    version = code.best_fit()  # the smallest version that holds it, as make(fit=True) finds
    codewords = np.array(qr_util.create_data(version, code.error_correction, code.data_list), dtype=np.uint8)
    layout = _placement(version)
    bits = np.zeros(len(layout.rows), dtype=bool)  # past the codewords: light, as qrcode's remainder bits
    placed = np.unpackbits(codewords).astype(bool)[:bits.size]
    bits[:placed.size] = placed
    scores = penalties(np.stack([_placed(layout.blank, layout, bits, m) for m in range(8)]))
    mask = int(np.argmin(scores))  # the first of the lowest, as qrcode's strict `>`
    return Encoded(version, mask, np.pad(_placed(layout.formats[mask], layout, bits, mask), QUIET_ZONE))


def _placed(ground: np.ndarray, layout: Placement, bits: np.ndarray, mask: int) -> np.ndarray:
    """The data bits on `ground` (the function patterns) under mask `mask`."""
    modules = ground.copy()
    modules[layout.rows, layout.cols] = bits ^ layout.masks[mask]
    return modules


class Placement(NamedTuple):
    rows: np.ndarray  # the data modules, in qrcode's order of placement (QRCode.map_data)
    cols: np.ndarray
    masks: tuple[np.ndarray, ...]  # qrcode's eight masks (util.mask_func) at those modules
    blank: np.ndarray  # the function patterns with the format areas light: qrcode's test placement
    formats: tuple[np.ndarray, ...]  # the function patterns with each mask's format (and version) bits


@lru_cache(maxsize=8)
def _placement(version: int) -> Placement:
    """A code of `version` as qrcode lays it out (QRCode.makeImpl): its function
    patterns, and its data modules in the order map_data fills them."""
    def patterns(test: bool, mask: int) -> list[list[bool | None]]:
        scratch = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M)
        size = scratch.modules_count = version * 4 + 17
        scratch.modules = [[None] * size for _ in range(size)]
        for row, col in ((0, 0), (size - 7, 0), (0, size - 7)):
            scratch.setup_position_probe_pattern(row, col)
        scratch.setup_position_adjust_pattern()
        scratch.setup_timing_pattern()
        scratch.setup_type_info(test, mask)
        if version >= 7:
            scratch.setup_type_number(test)
        return scratch.modules

    blank = patterns(True, 0)
    size = len(blank)
    rows, cols = [], []
    row, step = size - 1, -1
    for col in range(size - 1, 0, -2):  # map_data's walk: column pairs from the right, up and down in turn
        if col <= 6:
            col -= 1  # the vertical timing pattern
        while 0 <= row < size:
            for c in (col, col - 1):
                if blank[row][c] is None:
                    rows.append(row)
                    cols.append(c)
            row += step
        row -= step
        step = -step
    rows, cols = np.array(rows), np.array(cols)
    masks = tuple(np.array([bool(qr_util.mask_func(p)(i, j)) for i, j in zip(rows.tolist(), cols.tolist())])
                  for p in range(8))
    ground = lambda modules: np.array([[bool(m) for m in line] for line in modules])  # noqa: E731
    return Placement(rows, cols, masks, ground(blank), tuple(ground(patterns(False, m)) for m in range(8)))


def penalty(modules: np.ndarray) -> int:
    """qrcode's util.lost_point of a square of modules (True dark)."""
    return penalties(modules[None])[0]


def penalties(stack: np.ndarray) -> list[int]:
    """qrcode's util.lost_point of each square of modules of `stack` (k x n x n, True
    dark), all at once: runs of five or more alike (length - 2 each), 2 x 2 blocks
    alike (3 each), the finder-like 1:1:3:1:1 pattern with four light modules on one
    side (40 each), rows and columns; and 10 for each 5 % the dark share is off half."""
    count, size = stack.shape[:2]
    lost = np.zeros(count, dtype=np.int64)
    for matrix in (stack, stack.transpose(0, 2, 1)):
        edges = np.ones((count, size, size + 1), dtype=bool)
        edges[:, :, 1:size] = matrix[:, :, 1:] != matrix[:, :, :-1]
        square, starts = np.nonzero(edges.reshape(count, -1))
        runs = np.diff(starts)  # a row's end to the next row's start is a run of 1: never counted
        counted = (runs >= 5) & (square[1:] == square[:-1])  # not from one square into the next
        np.add.at(lost, square[1:][counted], runs[counted] - 2)
        if size > 10:
            w = [matrix[:, :, k:size - 10 + k] for k in range(11)]
            middle = ~w[1] & w[4] & ~w[5] & w[6] & ~w[9]
            first = w[0] & w[2] & w[3] & ~w[7] & ~w[8] & ~w[10]
            second = ~w[0] & ~w[2] & ~w[3] & w[7] & w[8] & w[10]
            lost += 40 * (middle & (first | second)).sum(axis=(1, 2))
    corner = stack[:, :-1, :-1]
    alike = (corner == stack[:, 1:, :-1]) & (corner == stack[:, :-1, 1:]) & (corner == stack[:, 1:, 1:])
    lost += 3 * alike.sum(axis=(1, 2))
    dark = stack.sum(axis=(1, 2)).tolist()
    return [int(points) + int(abs(float(d) / (size ** 2) * 100 - 50) / 5) * 10 for points, d in zip(lost.tolist(), dark)]


def _runs(matrix) -> list[tuple[int, int, int]]:
    """(x, y, width) of each horizontal run of dark modules, row by row."""
    runs = []
    for y, row in enumerate(matrix):
        x, size = 0, len(row)
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append((start, y, x - start))
            else:
                x += 1
    return runs


def qr_version(url: str) -> int:
    """The QR version (1-40) the pipeline encodes `url` at: error correction M, byte
    mode. A code is 17 + 4 x version modules across, plus the quiet zone."""
    return _encoded(url)[0]


def modules_across(url: str) -> int:
    """Modules across the printed code, quiet zone included (its box on the page)."""
    return 17 + 4 * qr_version(url) + 2 * QUIET_ZONE


def qr_operators(url: str) -> tuple[int, bytes]:
    """The code as PDF path operators for render/qrdraw.py to fill: (modules across with the
    quiet zone, `x y w 1 re` per run of dark modules, y down from the top)."""
    _, size, ops = _encoded(url)
    return size, ops


def qr_svg(url: str, fill: str) -> str:
    """A standalone SVG of the code: one path of horizontal runs (no seams between
    modules), in `fill` on a transparent ground. Not what the pipeline prints (see
    qr_data_uri); for other tools, and the benchmark's plain-WeasyPrint baseline.

    Size is left to the stylesheet: the viewBox is in modules, quiet zone included.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    runs = "".join(f"M{x} {y}h{w}v1h{-w}z" for x, y, w in _runs(matrix))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges"><path fill="{fill}" d="{runs}"/></svg>'
    )


PLACEHOLDER = re.compile(rb'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 (\d+) \1" id="qr-[0-9a-f]{16}"/>')


def is_placeholder(svg: bytes) -> bool:
    """An SVG that is qr_data_uri's empty placeholder (it draws nothing)."""
    return PLACEHOLDER.fullmatch(svg) is not None


def qr_data_uri(url: str, fill: str) -> str:
    """The template's `qr.src`: an empty SVG of the code's size (its viewBox in
    modules, quiet zone included), as a data: URI for an <img>, which keeps the
    code's place in the layout, its alt text and /Figure in tagged PDFs and its link.
    render/qrdraw.py draws the modules into that box as filled rectangles in `fill` while
    it renders the job whose code this is (WeasyPrint would otherwise parse a path
    of thousands of numbers for every document). Unique to (url, fill), so a
    placeholder of another job draws nothing."""
    size = modules_across(url)
    tag = hashlib.sha256(f"{url}\n{fill}".encode()).hexdigest()[:16]
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" id="qr-{tag}"/>'
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
