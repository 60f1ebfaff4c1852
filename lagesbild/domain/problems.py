"""A problem found in a file: where it is, what is wrong and how to fix it, in Swedish."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, located as the analyst sees it in Excel.

    `value` is None when the value must not be repeated (personal data) or does not apply.
    """

    file: str
    reason: str
    fix: str
    sheet: str | None = None
    row: int | None = None  # row number as Excel (or a text editor) shows it
    column: str | None = None  # the column header as written in the file
    value: str | None = None

    def where(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"blad {self.sheet}")
        if self.row is not None:
            parts.append(f"rad {self.row}")
        if self.column:
            parts.append(f"kolumn {self.column}")
        return ", ".join(parts)

    def message(self) -> str:
        """One line for a terminal or a log: where, what, the value when it may be shown, fix."""
        shown = f" (värde: {self.value!r})" if self.value not in (None, "") else ""
        return f"{self.where()}: {self.reason}{shown}. {self.fix}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class FileRefused(Exception):
    """Raised when a file cannot be read at all; carries the problems that explain why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message() for p in problems))
        self.problems = problems
