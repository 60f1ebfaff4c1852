"""Validating the rows of a Sheet against the data contract and the code lists.

Turns raw cells into canonical reports (one pyarrow table) and collects every problem at once,
each with the Excel row, the column header, the value, the reason and how to fix it, in Swedish.
Values are matched once per distinct raw value, so large files stay fast.
"""

from __future__ import annotations

import datetime as dt
import re
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

    def problem(self, row: int, field: str, cell: Cell, reason: str, fix: str) -> None:
        self.problems.append(Problem(
            file=self.sheet.file_name, sheet=self.sheet.sheet_name, row=row,
            column=self.sheet.headers[self.column_of[field]], value=_shown(cell),
            reason=reason, fix=fix,
        ))

    def cells(self, field: str) -> list[Cell]:
        j = self.column_of.get(field)
        if j is None:
            return [None] * len(self.sheet.rows)
        return [row[j] for row in self.sheet.rows]

    def required_text(self, field: str) -> list[str]:
        header = self.codelists.header(field)
        out = []
        for row, cell in zip(self.sheet.row_numbers, self.cells(field), strict=True):
            text = as_text(cell)
            if not text:
                self.problem(row, field, cell, f"{header} saknas",
                             f"Fyll i {header} – fältet är obligatoriskt.")
            out.append(text)
        return out

    def dates(self) -> list[dt.date | None]:
        out: list[dt.date | None] = []
        for row, cell in zip(self.sheet.row_numbers, self.cells("datum"), strict=True):
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
                date = None
            elif date < EARLIEST:
                self.problem(row, "datum", cell, "Datumet ligger före år 2000",
                             "Kontrollera året; lägesbilden omfattar händelser från 2000 och "
                             "framåt.")
                date = None
            out.append(date)
        return out

    def coded(self, field: str) -> list[str | None]:
        """Canonical values of a coded field; an empty optional field becomes its unknown."""
        header = self.codelists.header(field)
        cache: dict[str, str | None] = {}
        out: list[str | None] = []
        for row, cell in zip(self.sheet.row_numbers, self.cells(field), strict=True):
            text = as_text(cell)
            if text not in cache:
                cache[text] = self._match(field, text)
            value = cache[text]
            if value is None:
                self._unknown_code(row, field, header, cell, text)
            out.append(value)
        return out

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
    regso = [None] * len(sheet.rows)
    j = check.column_of.get("omrade")
    if j is not None:
        area_cache: dict[str, str | None] = {}
        for i, row in enumerate(sheet.rows):
            text = as_text(row[j])
            if text not in area_cache:
                hit = codelists.match_area(text) if text else None
                area_cache[text] = hit.regso if hit else None
            regso[i] = area_cache[text]
    values["regso"] = regso
    values["partner"] = values["verksamhet"]
    rows, duplicates = _distinct_reports(check, values)
    table = pa.table(
        {c: [values[c][i] for i in rows] for c in REPORT_COLUMNS},
        schema=pa.schema([(c, pa.date32() if c == "datum" else pa.string())
                          for c in REPORT_COLUMNS]),
    )
    return Validated(table if not check.problems else table.slice(0, 0), check.problems,
                     duplicates)


def _distinct_reports(check: _Checker, values: dict[str, list]) -> tuple[list[int], int]:
    """Indexes of rows to keep: identical repeats are dropped; conflicting repeats are errors."""
    seen: dict[tuple[str, str], int] = {}
    keep: list[int] = []
    duplicates = 0
    sheet = check.sheet
    for i in range(len(sheet.rows)):
        key = (values["partner"][i], values["rapport_id"][i])
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
