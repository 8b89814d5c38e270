"""Press PDFs: 100 % K text, rules and QR codes overprint their ground (issue 14).

WeasyPrint paints black text on a tint as a knockout: the cyan, magenta and yellow
plates are left blank under each letter, and the smallest misregistration shows a
white or coloured fringe. Printers expect 100 % K to overprint. This finisher walks
every content stream of a press PDF (pages, form XObjects, tiling patterns), follows
the current fill and stroke colours through q/Q, and before each painting operator
sets an ExtGState with /op (fill) and /OP (stroke) true and /OPM 1 exactly while the
colour is DeviceCMYK 0 0 0 1, false otherwise. With OPM 1 the zero C, M and Y of the
black leave the plates under it as they are; any other colour still knocks out.

Deterministic: the same stream gives the same bytes.
"""
from __future__ import annotations

import pikepdf
import pydyf

DEVICE_CMYK = "/DeviceCMYK"
K100 = [0.0, 0.0, 0.0, 1.0]
# Graphics states by (fill overprints, stroke overprints). /op is given explicitly:
# when absent, /OP sets it too.
STATES = {(fill, stroke): f"OPf{int(fill)}s{int(stroke)}" for fill in (False, True) for stroke in (False, True)}
FILL = {"f", "F", "f*"}
STROKE = {"S", "s"}
BOTH = {"B", "B*", "b", "b*"}
TEXT = {"Tj", "TJ", "'", '"'}
OTHER = {"sh"}  # shadings paint their own colours: never overprinted
PAINTING = FILL | STROKE | BOTH | TEXT


def _number(reference) -> int:
    return int(bytes(reference if isinstance(reference, bytes) else str(reference).encode()).split()[0])


def _is_k100(space, values) -> bool:
    return space == DEVICE_CMYK and len(values) == 4 and [float(v) for v in values] == K100


class PathOnly(bytes):
    """Content of path construction alone (no colour, no painting, no state): the QR
    code's modules (render/qrdraw.py), half a poster's operators. Passed through as it
    is, not parsed: nothing in it paints or changes what overprints."""


def overprint_stream(data: bytes, inherited: bool = False) -> tuple[bytes, int]:
    """The content stream with overprint set around its 100 % K painting, and how
    many painting operators overprint. `inherited`: a form or pattern, drawn in a
    state it does not know (its first painting sets the state either way)."""
    walk = _Walk(inherited)
    return walk.through(data), walk.overprinted


class _Walk:
    """The colours and emitted state followed through a stream, part after part."""

    def __init__(self, inherited: bool) -> None:
        # (fill space, fill is K100, stroke space, stroke is K100, emitted state or None)
        self.fill_space, self.fill_k, self.stroke_space, self.stroke_k = "/DeviceGray", False, "/DeviceGray", False
        self.emitted: tuple[bool, bool] | None = None if inherited else (False, False)
        self.stack = []
        self.overprinted = 0

    def through(self, data: bytes) -> bytes:
        """`data` (whole operators) with its overprint states set."""
        # A scratch PDF for each part, closed after it: a stream lives as long as the PDF
        # it was made in (one scratch PDF kept per worker grew by 20-30 KiB a document).
        with pikepdf.new() as scratch:
            out = []
            for instruction in pikepdf.parse_content_stream(pikepdf.Stream(scratch, data)):
                self._step(instruction, out)
            return pikepdf.unparse_content_stream(out)

    def _ensure(self, wanted, out) -> None:
        if wanted != self.emitted:
            out.append(pikepdf.ContentStreamInstruction([pikepdf.Name("/" + STATES[wanted])],
                                                        pikepdf.Operator("gs")))
            self.emitted = wanted

    def _step(self, instruction, out) -> None:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            self._ensure((False, False), out)
            out.append(instruction)
            return
        operator = str(instruction.operator)  # operands read only where they matter (not a TJ's glyphs)
        if operator == "q":
            self.stack.append((self.fill_space, self.fill_k, self.stroke_space, self.stroke_k, self.emitted))
        elif operator == "Q":
            if self.stack:
                self.fill_space, self.fill_k, self.stroke_space, self.stroke_k, self.emitted = self.stack.pop()
        elif operator == "cs":
            self.fill_space = str(instruction.operands[0])
            self.fill_k = self.fill_space == DEVICE_CMYK  # the initial colour of DeviceCMYK is 0 0 0 1
        elif operator == "CS":
            self.stroke_space = str(instruction.operands[0])
            self.stroke_k = self.stroke_space == DEVICE_CMYK
        elif operator in ("sc", "scn"):
            self.fill_k = _is_k100(self.fill_space, instruction.operands)
        elif operator in ("SC", "SCN"):
            self.stroke_k = _is_k100(self.stroke_space, instruction.operands)
        elif operator == "k":
            self.fill_space, self.fill_k = DEVICE_CMYK, _is_k100(DEVICE_CMYK, instruction.operands)
        elif operator == "K":
            self.stroke_space, self.stroke_k = DEVICE_CMYK, _is_k100(DEVICE_CMYK, instruction.operands)
        elif operator in ("g", "rg"):
            self.fill_space, self.fill_k = ("/DeviceGray" if operator == "g" else "/DeviceRGB"), False
        elif operator in ("G", "RG"):
            self.stroke_space, self.stroke_k = ("/DeviceGray" if operator == "G" else "/DeviceRGB"), False
        elif operator in PAINTING:
            wanted = (self.fill_k, self.stroke_k)
            self._ensure(wanted, out)
            self.overprinted += any(wanted)
        elif operator in OTHER:
            self._ensure((False, False), out)
        out.append(instruction)


def _states() -> dict[str, pydyf.Dictionary]:
    return {name: pydyf.Dictionary({"Type": "/ExtGState", "op": "true" if fill else "false",
                                    "OP": "true" if stroke else "false", "OPM": 1})
            for (fill, stroke), name in STATES.items()}


def _resolve(pdf: pydyf.PDF, value):
    return pdf.objects[_number(value)] if isinstance(value, (bytes, str)) else value


def _add_states(pdf: pydyf.PDF, resources) -> None:
    resources = _resolve(pdf, resources)
    states = _resolve(pdf, resources.get("ExtGState"))
    if states is None:
        states = resources["ExtGState"] = pydyf.Dictionary()
    for name, state in _states().items():
        states.setdefault(name, state)


def _rewrite(stream: pydyf.Stream, inherited: bool = False) -> int:
    walk, parts, pending = _Walk(inherited), [], []
    for item in stream.stream:
        if isinstance(item, PathOnly):
            if pending:
                parts.append(walk.through(b"\n".join(pending)))
                pending = []
            parts.append(bytes(item))
        else:
            pending.append(pydyf._to_bytes(item))
    if pending:
        parts.append(walk.through(b"\n".join(pending)))
    stream.stream = [b"\n".join(parts)]
    return walk.overprinted


def finish(pdf: pydyf.PDF) -> int:
    """Overprint 100 % K in every page and form of a press PDF; how many painting
    operators overprint."""
    total = 0
    done = set()
    for reference in pdf.page_references:
        page = pdf.objects[_number(reference)]
        contents = page["Contents"]
        for item in (contents if isinstance(contents, pydyf.Array) else [contents]):
            stream = _resolve(pdf, item)
            if id(stream) not in done:
                done.add(id(stream))
                total += _rewrite(stream)
        _add_states(pdf, page["Resources"])
    for obj in list(pdf.objects):
        if (isinstance(obj, pydyf.Stream) and id(obj) not in done and "Resources" in obj.extra
                and (obj.extra.get("Subtype") == "/Form" or obj.extra.get("Type") == "/Pattern")):
            done.add(id(obj))
            total += _rewrite(obj, inherited=True)
            _add_states(pdf, obj.extra["Resources"])
    return total
