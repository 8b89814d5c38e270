"""Problems a user can cause or a check can find, and the errors that carry them.

A Problem says where (file, line or page, field), what is wrong and how to fix it.
Stages collect problems and raise one error carrying all of them, so a user sees
every mistake in one run instead of one per run.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    level: Level
    file: str
    what: str
    hint: str = ""
    line: int | None = None
    field: str | None = None
    page: int | None = None
    box_mm: tuple[float, float, float, float] | None = None  # x, y, w, h from the trim's top-left
    check: str | None = None
    value: str | None = None  # the value at fault as written, e.g. a phone number to confirm

    def where(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
        if self.page is not None:
            place += f" page {self.page}"
        if self.box_mm is not None:
            place += f" at {self.box_mm[0]:.0f},{self.box_mm[1]:.0f} mm"
        if self.field:
            place += f" {self.field}"
        return place

    def __str__(self) -> str:
        text = f"{self.where()}: {self.what}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if v is not None}
        if self.box_mm is not None:
            out["box_mm"] = [round(v, 1) for v in self.box_mm]
        return out


class PipelineError(Exception):
    """A failure the user can fix: carries the problems, never a traceback."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ContentError(PipelineError):
    """The campaign content is invalid."""


class RenderError(PipelineError):
    """A product could not be rendered or written."""
