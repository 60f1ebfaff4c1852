"""Validating the rows of a Sheet against the data contract and the code lists.

Turns raw cells into canonical reports (one pyarrow table) and collects every problem at once,
each with the Excel row, the column header, the value, the reason and how to fix it, in Swedish.
Values are matched once per distinct raw value, so large files stay fast.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from lagesbild.codelists import FIELDS, UNKNOWN, Codelists, band_age
from lagesbild.problems import Problem
from lagesbild.reading import Cell, Sheet
from lagesbild.schema import REPORT_COLUMNS

EARLIEST = dt.date(2000, 1, 1)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_AGE = re.compile(r"^\d{1,3}(?:[.,]0+)?$")
MAX_SHOWN = 60  # a shown value is cut to this length


@dataclass
class Validated:
    reports: pa.Table  # canonical, one row per distinct report
    problems: list[Problem]
    duplicates: int  # identical rows left out


def as_text(cell: Cell) -> str:
    """A cell as the analyst would read it: 42.0 -> '42', None -> ''."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat(" ")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell).strip()


def _shown(cell: Cell) -> str:
    text = as_text(cell)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def parse_date(cell: Cell) -> dt.date | None:
    """A date from an Excel date cell, ISO text (with or without time) or YYYYMMDD."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = as_text(cell)
    match = _ISO.match(text) or _COMPACT.match(text)
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


class _Checker:
    """Validates one sheet; collects problems as it goes."""

    def __init__(self, sheet: Sheet, codelists: Codelists, today: dt.date):
        self.sheet = sheet
        self.codelists = codelists
        self.today = today
        self.problems: list[Problem] = []
        self.column_of = {f: j for j, f in enumerate(sheet.fields) if f}
        self._columns: list[tuple[Cell, ...]] | None = None

    def problem(self, row: int, field: str, cell: Cell, reason: str, fix: str) -> None:
        self.problems.append(Problem(
            file=self.sheet.file_name, sheet=self.sheet.sheet_name, row=row,
            column=self.sheet.headers[self.column_of[field]], value=_shown(cell),
            reason=reason, fix=fix,
        ))

    def cells(self, field: str) -> Sequence[Cell]:
        j = self.column_of.get(field)
        if j is None:
            return [None] * len(self.sheet.rows)
        if self._columns is None:
            self._columns = list(zip(*self.sheet.rows, strict=True))
        return self._columns[j]

    def mapped(self, field: str, convert: Callable[[Cell], object]) -> tuple[list, list[int]]:
        """Convert each distinct cell once; return the values and the indexes that failed."""
        cells = self.cells(field)
        cache = {cell: convert(cell) for cell in set(cells)}
        values = list(map(cache.__getitem__, cells))
        failed = [] if None not in cache.values() else [
            i for i, value in enumerate(values) if value is None]
        return values, failed

    def required_text(self, field: str) -> list[str]:
        header = self.codelists.header(field)
        values, failed = self.mapped(
            field, lambda cell: (cell.strip() if type(cell) is str else as_text(cell)) or None)
        for i in failed:
            self.problem(self.sheet.row_numbers[i], field, None, f"{header} saknas",
                         f"Fyll i {header} – fältet är obligatoriskt.")
        return values

    def dates(self) -> list[dt.date | None]:
        values, failed = self.mapped("datum", self._date)
        cells = self.cells("datum")
        for i in failed:
            self._date_problem(self.sheet.row_numbers[i], cells[i])
        return values

    def _date(self, cell: Cell) -> dt.date | None:
        date = parse_date(cell)
        return date if date is not None and EARLIEST <= date <= self.today else None

    def _date_problem(self, row: int, cell: Cell) -> None:
        date = parse_date(cell)
        if as_text(cell) == "":
            self.problem(row, "datum", cell, "Datum saknas",
                         "Fyll i datum för händelsen eller oron, t.ex. 2026-07-03.")
        elif date is None:
            self.problem(row, "datum", cell, "Datumet går inte att tolka",
                         "Skriv datumet som ÅÅÅÅ-MM-DD (t.ex. 2026-07-03) eller ÅÅÅÅMMDD, "
                         "eller använd en datumcell i Excel.")
        elif date > self.today:
            self.problem(row, "datum", cell, "Datumet ligger i framtiden",
                         "Kontrollera året och datumet; rapporter gäller det som redan hänt.")
        else:
            self.problem(row, "datum", cell, "Datumet ligger före år 2000",
                         "Kontrollera året; lägesbilden omfattar händelser från 2000 och framåt.")

    def coded(self, field: str) -> list[str | None]:
        """Canonical values of a coded field; an empty optional field becomes its unknown."""
        header = self.codelists.header(field)
        values, failed = self.mapped(field, lambda cell: self._match(field, as_text(cell)))
        cells = self.cells(field)
        for i in failed:
            self._unknown_code(self.sheet.row_numbers[i], field, header, cells[i],
                               as_text(cells[i]))
        return values

    def _match(self, field: str, text: str) -> str | None:
        if not text:
            return UNKNOWN.get(field)
        if field == "aldersgrupp" and _AGE.match(text):
            return band_age(float(text.replace(",", ".")))
        return self.codelists.match(field, text)

    def _unknown_code(self, row: int, field: str, header: str, cell: Cell, text: str) -> None:
        if not text:
            self.problem(row, field, cell, f"{header} saknas",
                         f"Fyll i {header} – fältet är obligatoriskt.")
            return
        if field == "aldersgrupp" and _AGE.match(text):
            self.problem(row, field, cell, "Åldern är inte rimlig",
                         "Ange en ålder mellan 0 och 120 år eller en åldersgrupp, t.ex. 13–15.")
            return
        guess = self.codelists.suggest(field, text)
        hint = f"Menade du \"{guess}\"? " if guess else ""
        valid = ", ".join(self.codelists.for_field(field).values)
        if field == "omrade":
            valid += " eller ett statistikområdes (RegSO) namn eller kod"
        self.problem(row, field, cell, f"Okänt värde i {header}",
                     f"{hint}Giltiga värden: {valid}. Rätta värdet eller lägg till det som "
                     f"alias i kodlistan.")


def validate_sheet(sheet: Sheet, codelists: Codelists, today: dt.date | None = None) -> Validated:
    """Check every row of the sheet; return canonical reports and all problems found."""
    check = _Checker(sheet, codelists, today or dt.date.today())
    values: dict[str, list] = {
        "rapport_id": check.required_text("rapport_id"),
        "datum": check.dates(),
    }
    for name in FIELDS[2:]:
        values[name] = check.coded(name)
    def regso_of(cell: Cell) -> str | None:
        hit = codelists.match_area(as_text(cell)) if as_text(cell) else None
        return hit.regso if hit else None

    regso, _ = check.mapped("omrade", regso_of)
    values["regso"] = regso
    values["partner"] = values["verksamhet"]
    rows, duplicates = _distinct_reports(check, values)
    if len(rows) < len(sheet.rows):
        values = {c: [values[c][i] for i in rows] for c in REPORT_COLUMNS}
    table = pa.table(
        {c: values[c] for c in REPORT_COLUMNS},
        schema=pa.schema([(c, pa.date32() if c == "datum" else pa.string())
                          for c in REPORT_COLUMNS]),
    )
    return Validated(table if not check.problems else table.slice(0, 0), check.problems,
                     duplicates)


def _distinct_reports(check: _Checker, values: dict[str, list]) -> tuple[list[int], int]:
    """Indexes of rows to keep: identical repeats are dropped; conflicting repeats are errors."""
    count = len(values["rapport_id"])
    if len(set(zip(values["partner"], values["rapport_id"], strict=True))) == count:
        return list(range(count)), 0  # the usual case: every report once
    keys = list(zip(values["partner"], values["rapport_id"], strict=True))
    seen: dict[tuple[str, str], int] = {}
    keep: list[int] = []
    duplicates = 0
    sheet = check.sheet
    for i in range(len(sheet.rows)):
        key = keys[i]
        if not key[1] or any(values[c][i] is None for c in REPORT_COLUMNS if c != "regso"):
            keep.append(i)
            continue
        first = seen.get(key)
        if first is None:
            seen[key] = i
            keep.append(i)
        elif all(values[c][i] == values[c][first] for c in REPORT_COLUMNS):
            duplicates += 1
        else:
            check.problem(
                sheet.row_numbers[i], "rapport_id", values["rapport_id"][i],
                f"Samma Rapport-ID finns redan på rad {sheet.row_numbers[first]} med annat "
                "innehåll",
                "Ge varje rapport ett eget Rapport-ID, eller ta bort den rad som är fel.",
            )
    return keep, duplicates
