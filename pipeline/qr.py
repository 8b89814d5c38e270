"""The QR payload (page URL + a short neutral tracking code), and the code: its
placeholder image for the layout and its modules as PDF operators (drawn by render/qrdraw.py)."""
from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from typing import Callable

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
    for it, copyfitting's steps again (qrcode's mask choice is most of an encoding's
    time); a batch's codes differ, so a few entries are all that is ever reused."""
    code = _made(url)
    matrix = code.get_matrix()
    ops = [b"%d %d %d 1 re" % (x, y, w) for x, y, w in _runs(matrix)]
    return code.version, len(matrix), b"\n".join(ops)


def _made(url: str) -> qrcode.QRCode:
    """`url` encoded as qrcode's `make(fit=True)` encodes it, the same modules, with its
    choice of mask (the lowest penalty of the eight, the first on a tie) worked out
    from one placement of the data (`best_mask`) rather than eight."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    code.add_data(url)
    code.best_fit(start=code.version)  # as make(fit=True) does first
    code.mask_pattern = best_mask(code)
    code.make(fit=True)
    return code


def best_mask(code: qrcode.QRCode) -> int:
    """qrcode's QRCode.best_mask_pattern, from one placement: the data is placed once
    under mask 0 (format areas blank, as qrcode's test placement leaves them); each
    other mask's modules are that placement with the two masks' difference flipped
    on the data modules; each scored by qrcode's util.lost_point, in numpy."""
    code.makeImpl(True, 0)
    placed = np.array(code.modules, dtype=bool)
    data, masks = _data_modules(code.version)
    scores = [penalty(placed ^ (data & (masks[0] ^ mask))) for mask in masks]
    return int(np.argmin(scores))  # the first of the lowest, as qrcode's strict `>`


@lru_cache(maxsize=8)
def _data_modules(version: int) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Where a code of `version` holds data (what qrcode's blank leaves empty once the
    format and version areas are set), and qrcode's eight masks (util.mask_func)."""
    scratch = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M)
    size = scratch.modules_count = version * 4 + 17
    scratch.modules = [[None] * size for _ in range(size)]
    for row, col in ((0, 0), (size - 7, 0), (0, size - 7)):
        scratch.setup_position_probe_pattern(row, col)
    scratch.setup_position_adjust_pattern()
    scratch.setup_timing_pattern()
    scratch.setup_type_info(True, 0)
    if version >= 7:
        scratch.setup_type_number(True)
    data = np.array([[module is None for module in row] for row in scratch.modules])
    masks = tuple(np.array([[bool(qr_util.mask_func(p)(i, j)) for j in range(size)] for i in range(size)])
                  for p in range(8))
    return data, masks


def penalty(modules: np.ndarray) -> int:
    """qrcode's util.lost_point of a square of modules (True dark): runs of five or more
    alike (length - 2 each), 2 x 2 blocks alike (3 each), the finder-like 1:1:3:1:1
    pattern with four light modules on one side (40 each), rows and columns; and 10
    for each 5 % the dark share is off half."""
    size = len(modules)
    lost = 0
    for matrix in (modules, modules.T):
        edges = np.ones((size, size + 1), dtype=bool)
        edges[:, 1:size] = matrix[:, 1:] != matrix[:, :-1]
        starts = np.flatnonzero(edges)
        runs = np.diff(starts)  # a row's end to the next row's start is a run of 1: never counted
        lost += int((runs[runs >= 5] - 2).sum())
        if size > 10:
            w = [matrix[:, k:size - 10 + k] for k in range(11)]
            middle = ~w[1] & w[4] & ~w[5] & w[6] & ~w[9]
            first = w[0] & w[2] & w[3] & ~w[7] & ~w[8] & ~w[10]
            second = ~w[0] & ~w[2] & ~w[3] & w[7] & w[8] & w[10]
            lost += 40 * int((middle & (first | second)).sum())
    corner = modules[:-1, :-1]
    alike = (corner == modules[1:, :-1]) & (corner == modules[:-1, 1:]) & (corner == modules[1:, 1:])
    lost += 3 * int(alike.sum())
    percent = float(int(modules.sum())) / (size ** 2)
    return lost + int(abs(percent * 100 - 50) / 5) * 10


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
