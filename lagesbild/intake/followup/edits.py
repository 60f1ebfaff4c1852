"""Shared helpers for rows that analysts edit in the app (activities, context events).

An edit is checked with the same rules as a spreadsheet row (and the same privacy guard),
then stored with `Store.edit_rows` as one batch – so every change is a version with who and
when, and can be rolled back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lagesbild.domain.problems import Problem
from lagesbild.intake.reading import Cell, Sheet
from lagesbild.store import Store
from lagesbild.store.schema import Dataset

APP_FILE = "redigering i appen"


class EditRefused(ValueError):
    """An edit in the app that cannot be saved; the message is Swedish and says why."""

    def __init__(self, problems: Sequence[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(APP_FILE, problems, "")]
        self.problems = list(problems)
        super().__init__(" ".join(describe_problem(p) for p in self.problems))


def describe_problem(problem: Problem) -> str:
    """A problem found in an app form, without the file and row that do not apply."""
    field = f"{problem.column}: " if problem.column else ""
    fix = f" {problem.fix}" if problem.fix else ""
    return f"{field}{problem.reason}.{fix}"


def one_row_sheet(headers: Sequence[str], fields: Sequence[str], values: Sequence[Cell]) \
        -> Sheet:
    """A form's values as a one-row Sheet, so the spreadsheet rules check it."""
    return Sheet(APP_FILE, None, 1, list(headers), list(fields), [list(values)], [2])


def next_id(store: Store, dataset: Dataset, prefix: str, width: int) -> str:
    """The next free id 'PREFIX-NN' (1 + the highest number in use, across all versions)."""
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
    ids = [r[0] for r in store.keys_ever(dataset)]
    numbers = [int(m.group(1)) for i in ids if (m := pattern.match(str(i)))]
    return f"{prefix}-{max(numbers, default=0) + 1:0{width}d}"
