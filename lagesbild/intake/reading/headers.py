"""Finding the table: the header row among a sheet's first rows, the columns it names, and the
Sheet below it (blank rows, the totals row and the cells outside the table set apart), with the
refusals for duplicated, missing and too many rows."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NoReturn

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lagesbild.domain.codelists import ColumnVocabulary
from lagesbild.domain.config import ImportLimits
from lagesbild.domain.problems import FileRefused, Problem
from lagesbild.domain.text import header_key, match_key
from lagesbild.intake.reading.grid import HEADER_SEARCH_ROWS, Grid
from lagesbild.intake.reading.refusals import refuse
from lagesbild.intake.reading.sheet import Sheet, TypedRows
from lagesbild.intake.reading.zipguard import SheetFacts

MIN_HEADER_MATCHES = 3
# A last row whose first filled cell starts with one of these words is a totals row:
# "Summa", "Summa:", "Totalt", "Totalt antal", "Total", "Totalsumma".
TOTALS = re.compile(r"^(?:summa|totalt?|totalsumma|sum)(?:$|[\s:])")
# The Excel-error name given to a formula cell that has no saved value (the file was written
# by a program that does not calculate, or saved without calculating).
UNSAVED_FORMULA = "formel utan sparat värde"


def column_letter(index: int) -> str:
    """Excel's letter for a 0-based column index: 0 -> 'A', 27 -> 'AB'."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class TableFinder:
    """Finds the header row and builds the Sheet, for one file."""

    def __init__(self, file_name: str, codelists: ColumnVocabulary, limits: ImportLimits):
        self.file_name = file_name
        self.codelists = codelists
        self.limits = limits
        self.lookup = codelists.header_lookup()
        self.required = set(codelists.required())

    def fields_of(self, row: Sequence[object]) -> list[str | None]:
        """The canonical field of each cell of a (header) row, None when it matches nothing;
        decorations such as 'Datum *' or 'Datum (obligatorisk)' are ignored."""
        lookup = self.lookup
        return [(lookup.get(match_key(c)) or lookup.get(header_key(c)))
                if c.__class__ is str and c else None for c in row]

    def header_index(self, head: Sequence[Sequence[object]]) -> tuple[int, int] | None:
        """(index, matches) of the best header row among the first rows, or None. A row with
        every required column beats one without, then more matches win."""
        best: tuple[int, int] | None = None
        best_rank: tuple[bool, int] = (False, 0)
        least = getattr(self.codelists, "min_header_matches", MIN_HEADER_MATCHES)
        for i, row in enumerate(head[:HEADER_SEARCH_ROWS]):
            found = [f for f in self.fields_of(row) if f]
            if len(found) < least or not self.required.intersection(found):
                continue
            rank = (self.required.issubset(found), len(found))
            if best is None or rank > best_rank:
                best, best_rank = (i, len(found)), rank
        return best

    def complete(self, head: Sequence[Sequence[object]], index: int) -> bool:
        """Whether the header row at `index` has every required column."""
        return self.required.issubset(f for f in self.fields_of(head[index]) if f)


    # -- the Sheet ------------------------------------------------------------------------

    def build(
        self, sheet_name: str | None, grid: Grid, header: int,
        typed: Callable[[int], TypedRows] | None = None, facts: SheetFacts | None = None,
    ) -> Sheet:
        """The Sheet below the header row (index `header`) of a grid; `facts` gives its hidden
        rows (counted) and formula cells without a saved value (reported as such)."""
        if facts is not None and facts.unsaved:
            grid.errors = {**grid.errors, **{(row - 1, j): UNSAVED_FORMULA
                                             for row, j in facts.unsaved}}
        head = grid.head()
        raw = head[header]
        width = max((j + 1 for j, c in enumerate(raw) if c is not None and c != ""), default=0)
        headers = [_header_text(c) for c in raw[:width]]
        fields = self.fields_of(headers)
        self._check_headers(sheet_name, header + 1, headers, fields)
        other: list[tuple[int, int, str]] = [
            (i + 1, j, c) for i, row in enumerate(head[:header]) for j, c in enumerate(row)
            if c is not None]
        first = header + 2  # the Excel row of the first row below the header
        below = [c.slice(header + 1) for c in grid.columns]
        other += _outside(below[width:], first, width)
        columns, kept = self._data_columns(sheet_name, below[:width])
        count = len(columns[0]) if columns else 0
        numbers = pc.add(kept, first) if kept is not None else pa.array(
            np.arange(first, first + count, dtype=np.int64))
        if count and _is_totals_row(columns):
            last = count - 1
            other += [(numbers[last].as_py(), j, c[last].as_py()) for j, c in enumerate(columns)
                      if c[last].is_valid]
            columns = [c.slice(0, last) for c in columns]
            numbers = numbers.slice(0, last)
        sheet = Sheet.from_columns(
            self.file_name, sheet_name, header + 1, headers, fields, columns,
            numbers.cast(pa.int64()), other,
            cell_errors=_errors_in(grid.errors, numbers, width), typed=typed)
        if facts is not None and facts.hidden:
            hidden = pa.array(sorted(facts.hidden), pa.int64())
            sheet.hidden_rows = pc.sum(pc.is_in(sheet.numbers, hidden)).as_py() or 0
        return sheet

    def _data_columns(
        self, sheet_name: str | None, columns: list[pa.Array],
    ) -> tuple[list[pa.Array], pa.Array | None]:
        """The columns without blank rows, and the indexes of the rows kept (None: all)."""
        if not columns:
            return [], pa.array([], pa.int64())
        kept = None
        for column in columns:
            filled = pc.and_kleene(pc.is_valid(column), pc.invert(pc.utf8_is_space(column)))
            kept = filled if kept is None else pc.or_(kept, filled)
        assert kept is not None
        count = pc.sum(kept).as_py() or 0
        if count > self.limits.max_rows:
            self._too_many_rows(sheet_name)
        if count == len(kept):
            return columns, None
        indexes = pc.indices_nonzero(kept)
        return [c.take(indexes) for c in columns], indexes.cast(pa.int64())

    def _too_many_rows(self, sheet_name: str | None) -> NoReturn:
        refuse(self.file_name,
               f"Filen har fler än {self.limits.max_rows:,} rader".replace(",", " "),
               f"Dela upp filen i flera filer med högst {self.limits.max_rows:,} rader var "
               "och importera dem var för sig.".replace(",", " "), sheet=sheet_name)

    def _check_headers(
        self, sheet_name: str | None, row: int, headers: list[str], fields: list[str | None],
    ) -> None:
        """Refuse duplicated and missing columns, all at once."""
        columns: dict[str, list[int]] = {}
        for j, name in enumerate(fields):
            if name:
                columns.setdefault(name, []).append(j)
        problems = [self._duplicated(sheet_name, row, name, js, headers)
                    for name, js in columns.items() if len(js) > 1]
        problems += [self._missing(sheet_name, row, name)
                     for name in self.codelists.required() if name not in columns]
        if problems:
            raise FileRefused(problems)

    def _duplicated(
        self, sheet_name: str | None, row: int, name: str, js: list[int], headers: list[str],
    ) -> Problem:
        letters = _and([column_letter(j) for j in js])
        shown = _and([f"”{headers[j]}”" for j in js])
        both, others = ("båda", "den andra") if len(js) == 2 else ("alla", "de andra")
        return Problem(
            self.file_name,
            f"Kolumn {letters} ({shown}) betyder {both} {self.codelists.header(name)}",
            f"Behåll en av kolumnerna {letters} och ta bort eller döp om {others}, så att "
            "uppgiften bara finns i en kolumn.",
            sheet=sheet_name, row=row, column=headers[js[-1]],
        )

    def _missing(self, sheet_name: str | None, row: int, name: str) -> Problem:
        header = self.codelists.header(name)
        column = next(c for c in self.codelists.columns if c["namn"] == name)
        aliases = [a.strip() for a in column["alias"].split("|") if a.strip()]
        also = f" (godtas också: {', '.join(aliases)})" if aliases else ""
        reason = getattr(self.codelists, "missing_reason", "Kolumnen ”{header}” saknas")
        return Problem(
            self.file_name, reason.format(header=header),
            f"Lägg till en kolumn med rubriken ”{header}”{also} i rubrikraden (rad {row}) och "
            "fyll i den för varje rapport.",
            sheet=sheet_name, row=row,
        )

    def _no_header(self) -> NoReturn:
        required = [self.codelists.header(n) for n in self.codelists.required()]
        optional = [self.codelists.header(c["namn"]) for c in self.codelists.columns
                    if c["namn"] not in self.codelists.required()]
        refuse(self.file_name, "Hittar ingen rubrikrad i filen",
               f"Rubrikraden ska stå bland de {HEADER_SEARCH_ROWS} första raderna och ha "
               f"kolumnerna {', '.join(required)} (obligatoriska) och gärna "
               f"{', '.join(optional)}. Utgå från mallen för rapporter.")


def _outside(columns: list[pa.Array], first: int, start: int) -> list[tuple[int, int, str]]:
    """(row, column, text) of the filled cells of columns beyond the header width."""
    cells = []
    for j, column in enumerate(columns, start=start):
        if column.null_count == len(column):
            continue
        rows = pc.indices_nonzero(pc.is_valid(column))
        cells += [(first + i, j, t) for i, t in zip(rows.to_pylist(),
                                                   column.take(rows).to_pylist(), strict=True)]
    cells.sort()
    return cells


def _is_totals_row(columns: list[pa.Array]) -> bool:
    """Whether the last row is a 'Summa'/'Totalt' row (its first filled cell says so)."""
    last = len(columns[0]) - 1
    first = next((c[last].as_py() for c in columns if c[last].is_valid), None)
    return first is not None and TOTALS.match(match_key(first)) is not None


def _errors_in(
    errors: dict[tuple[int, int], str], numbers: pa.Array, width: int,
) -> dict[tuple[int, int], str]:
    """The Excel errors of the data cells, by (data row index, column)."""
    inside = {(row + 1, j): name for (row, j), name in errors.items() if j < width}
    if not inside:
        return {}
    index = {n: i for i, n in enumerate(numbers.to_pylist())}
    return {(index[row], j): name for (row, j), name in inside.items() if row in index}


def _header_text(cell: str | None) -> str:
    return "" if cell is None else cell.strip()


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " och " + items[-1]
