"""The project's own errors: every problem with a user's input is one of these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as possible."""

    file: str
    layer: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file or "(input)"]
        if self.layer:
            where.append(f"layer {self.layer}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class PlaceplanError(Exception):
    """Base of placeplan's errors."""


class ValidationError(PlaceplanError):
    """An input is not valid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = "\n".join(str(p) for p in self.problems[:50])
        more = f"\n... and {n - 50} more" if n > 50 else ""
        super().__init__(f"{n} problem{'s' if n != 1 else ''} found:\n{head}{more}")
