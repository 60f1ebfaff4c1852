"""Validating the rows of a Sheet against the data contract and the code lists.

Turns the cells into canonical reports (one pyarrow table) and collects every problem at once,
each with the Excel row, the column header, the value, the reason and how to fix it, in Swedish.

Speed: the work is done on the sheet's Arrow columns (`Sheet.columns`, the cells as texts).
Each column is dictionary-encoded once; only its distinct texts go through the code lists and
the date parser (many distinct date-times are first cut to their dates in Arrow), and `take`
spreads the results over the rows. Problems are made only for the rows that failed, and the
table is built from Arrow arrays, without a Python object per cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lagesbild.domain.codelists import FIELDS, UNKNOWN, Codelists, areas, band_age
from lagesbild.domain.problems import Problem
from lagesbild.domain.text import INVISIBLE
from lagesbild.intake.reading import UNSAVED_FORMULA, Cell, Sheet
from lagesbild.store.schema import REPORT_COLUMNS

EARLIEST = dt.date(2000, 1, 1)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# An exact age in whole years: "17", "17,0", "17 år", "17år".
_AGE = re.compile(r"^(\d{1,3})(?:[.,]0+)?\s*(?:år)?$", re.IGNORECASE)
# An approximate age ("ca 30", "cirka 30", "runt 30 år"): not exact, so not banded.
_APPROXIMATE = re.compile(r"^(?:ca\.?|c:a|cirka|ungefär|ungefar|omkring|kring|runt|~)\s*\d{1,3}"
                          r"\s*(?:år)?$", re.IGNORECASE)
# A RegSO code: municipality code, 'R', area number (2480R003 is Umeå's).
_REGSO_CODE = re.compile(r"^(\d{4})R\d{3}$", re.IGNORECASE)
MAX_SHOWN = 60  # a shown value is cut to this length
# _ISO for RE2, keeping the date: many distinct date-times are cut to their dates before parsing.
_ISO_DAY = r"^(?P<day>\d{4}-\d{1,2}-\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
MANY_DATES = 1000
SCHEMA = pa.schema([(c, pa.date32() if c == "datum" else pa.string()) for c in REPORT_COLUMNS])
_NO_TEXT = pa.scalar(None, pa.string())


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


def shown(cell: Cell) -> str:
    """A cell's text as a problem shows it, cut to MAX_SHOWN characters."""
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


class SheetChecker:
    """What validating any sheet starts from (reports here, the follow-up files in
    lagesbild.intake.followup.validation): the sheet, today, each field's column and the
    problems found so far; `header(field)` names a column the sheet does not have."""

    def __init__(self, sheet: Sheet, header: Callable[[str], str], today: dt.date):
        self.sheet = sheet
        self.header = header
        self.today = today
        self.problems: list[Problem] = []
        self.column_of = {f: j for j, f in enumerate(sheet.fields) if f}

    def problem(self, row: int, field: str, cell: Cell, reason: str, fix: str) -> None:
        j = self.column_of.get(field)
        self.problems.append(Problem(
            file=self.sheet.file_name, sheet=self.sheet.sheet_name, row=row,
            column=self.sheet.headers[j] if j is not None else self.header(field),
            value=shown(cell), reason=reason, fix=fix,
        ))


class _Checker(SheetChecker):
    """Validates one sheet of reports; collects problems as it goes."""

    def __init__(self, sheet: Sheet, codelists: Codelists, today: dt.date):
        super().__init__(sheet, codelists.header, today)
        self.codelists = codelists
        self.count = len(sheet)

    def errors(self, field: str) -> dict[int, str]:
        """The Excel errors (like '#N/A') in the field's column, by data row index."""
        j = self.column_of.get(field)
        return {i: name for (i, k), name in self.sheet.cell_errors.items() if k == j}

    def mapped(
        self, field: str, convert: Callable[[list[str | None]], list | pa.Array],
        kind: pa.DataType,
    ) -> tuple[pa.Array, list[tuple[int, int, str | None]]]:
        """Convert each distinct text of a field once (`convert` gets them all, a list with
        None for an empty cell) and spread the results over the rows. Returns the values and
        (index, row, text) of the rows that failed (None as value); Excel error cells fail
        too and are reported here, as their own problem."""
        j = self.column_of.get(field)
        if j is None:
            (value,) = convert([None])
            values = pa.repeat(pa.scalar(value, kind), self.count)
            failed: range | list[int] = range(self.count) if value is None else range(0)
            return values, self._failed(failed, [None] * len(failed))
        distinct, indexes = self.sheet.encoded(j)
        texts = distinct.to_pylist()
        results = convert(texts)
        mapped = results if isinstance(results, pa.Array) else pa.array(results, kind)
        values = mapped.take(indexes)
        bad = pc.indices_nonzero(mapped.is_null())
        failed = [] if not len(bad) else pc.indices_nonzero(
            pc.is_in(indexes, bad.cast(indexes.type))).to_pylist()
        errors = self.errors(field)
        if errors:
            values = _without(values, errors)
            failed = sorted(set(failed).union(errors))
        shown = [texts[k] for k in indexes.take(failed).to_pylist()] if failed else []
        return values, self._failed(failed, shown, field, errors)

    def _failed(
        self, failed: range | list[int], texts: list[str | None], field: str | None = None,
        errors: dict[int, str] | None = None,
    ) -> list[tuple[int, int, str | None]]:
        """(index, row, text) of failed rows; Excel errors become problems right here."""
        if not failed:
            return []
        numbers = self.sheet.numbers.take(pa.array(failed, pa.int64())).to_pylist()
        found = []
        for i, row, text in zip(failed, numbers, texts, strict=True):
            if errors and i in errors:
                assert field is not None
                self._excel_error(row, field, errors[i])
            else:
                found.append((i, row, text))
        return found

    def _excel_error(self, row: int, field: str, name: str) -> None:
        if name == UNSAVED_FORMULA:
            self.problem(row, field, None, "Cellen har en formel utan sparat värde",
                         "Öppna filen i Excel och spara den (då sparas formlernas värden), "
                         "eller skriv in värdet direkt, och importera igen.")
            return
        self.problem(row, field, name, f"Cellen innehåller ett fel från Excel ({name})",
                     "Rätta formeln eller värdet i cellen (ett fel som #N/A kommer oftast från "
                     "en formel som inte hittar det den söker), eller skriv in värdet direkt, och "
                     "importera igen.")

    def required_text(self, field: str) -> pa.Array:
        """The text of a required field, stripped; an empty cell is a problem."""
        header = self.codelists.header(field)
        j = self.column_of.get(field)
        if j is None:
            values, failed = self.mapped(field, lambda texts: [None] * len(texts), pa.string())
        else:
            text = self.sheet.columns[j]
            if field == "rapport_id":
                text = normalised_ids(text)
            text = pc.utf8_trim_whitespace(text)
            empty = pc.fill_null(pc.equal(pc.binary_length(text), 0), True)
            values = pc.if_else(empty, _NO_TEXT, text)
            errors = self.errors(field)
            missing = pc.indices_nonzero(empty).to_pylist()
            if errors:
                values = _without(values, errors)
                missing = sorted(set(missing).union(errors))
            failed = self._failed(missing, [None] * len(missing), field, errors)
        for _, row, _ in failed:
            self.problem(row, field, None, f"{header} saknas",
                         f"Fyll i {header} – fältet är obligatoriskt.")
        return values

    def dates(self) -> pa.Array:
        values, failed = self.mapped("datum", self._dates, pa.date32())
        for _, row, text in failed:
            self._date_problem(row, text)
        return values

    def _dates(self, texts: list[str | None]) -> list[dt.date | None] | pa.Array:
        """The date of each distinct text, or None when it is missing, unreadable or out of
        range. Many distinct texts (date-times) are first cut to their dates in Arrow, so that
        each day is parsed once."""
        if len(texts) <= MANY_DATES:
            return [self._date(text) for text in texts]
        text = pc.utf8_trim_whitespace(pa.array(texts, pa.string()))
        day = pc.coalesce(pc.struct_field(pc.extract_regex(text, _ISO_DAY), "day"), text)
        days = pc.dictionary_encode(day, null_encoding="encode")
        parsed = [self._date(d) for d in days.dictionary.to_pylist()]
        return pa.array(parsed, pa.date32()).take(days.indices)

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

    def coded(self, field: str) -> pa.Array:
        """Canonical values of a coded field; an empty optional field becomes its unknown."""
        header = self.codelists.header(field)
        values, failed = self.mapped(
            field, lambda texts: [self._match(field, as_text(t)) for t in texts], pa.string())
        for _, row, text in failed:
            self._unknown_code(row, field, header, text, as_text(text))
        return values

    def _match(self, field: str, text: str) -> str | None:
        if not text:
            return UNKNOWN.get(field)
        if field == "aldersgrupp" and (age := _AGE.match(text.strip())):
            return band_age(float(age.group(1)))
        if field == "omrade" and _outside(text):
            return None
        return self.codelists.match(field, text)

    def _unknown_code(self, row: int, field: str, header: str, cell: Cell, text: str) -> None:
        if not text:
            self.problem(row, field, cell, f"{header} saknas",
                         f"Fyll i {header} – fältet är obligatoriskt.")
            return
        if field == "aldersgrupp" and _AGE.match(text.strip()):
            self.problem(row, field, cell, "Åldern är inte rimlig",
                         "Ange en ålder mellan 0 och 120 år eller en åldersgrupp, t.ex. 13–15.")
            return
        if field == "aldersgrupp" and _APPROXIMATE.match(text.strip()):
            self.problem(row, field, cell, "Åldern är inte exakt",
                         "Ange åldern i hela år (t.ex. 30) om den är känd, annars en "
                         "åldersgrupp (t.ex. 25–39) eller lämna cellen tom (Okänd).")
            return
        if field == "omrade" and (code := _REGSO_CODE.match(text.strip())):
            own = code.group(1) in _MUNICIPALITIES
            self.problem(row, field, cell,
                         "Okänd RegSO-kod" if own else
                         f"RegSO-koden hör till en annan kommun (kommunkod {code.group(1)})",
                         ("Kontrollera koden mot listan över kommunens statistikområden. "
                          if own else "") + "Ligger platsen utanför kommunen: skriv ”Utanför "
                         "kommunen” i kolumnen.")
            return
        guess = self.codelists.suggest(field, text)
        hint = f"Menade du \"{guess}\"? " if guess else ""
        valid = ", ".join(self.codelists.for_field(field).values)
        if field == "omrade":
            valid += (" eller ett statistikområdes (RegSO) namn eller kod. Ligger platsen "
                      "utanför kommunen: skriv ”Utanför kommunen”")
        self.problem(row, field, cell, f"Okänt värde i {header}",
                     f"{hint}Giltiga värden: {valid}. Rätta värdet eller lägg till det som "
                     f"alias i kodlistan.")

    def regso(self) -> pa.Array:
        """The RegSO code of each report that names a RegSO area (else null)."""
        def regso_of(text: str | None) -> str | None:
            hit = self.codelists.match_area(as_text(text)) if as_text(text) else None
            return hit.regso if hit else None

        j = self.column_of.get("omrade")
        if j is None:
            return pa.nulls(self.count, pa.string())
        distinct, indexes = self.sheet.encoded(j)
        return pa.array([regso_of(t) for t in distinct.to_pylist()], pa.string()).take(indexes)


_MUNICIPALITIES = frozenset(a.code[:4] for a in areas())
_INVISIBLE_RE2 = f"[{INVISIBLE}]"


def _outside(text: str) -> bool:
    """A RegSO code of another municipality (never matched to an area of this one)."""
    code = _REGSO_CODE.match(text.strip())
    return code is not None and code.group(1) not in _MUNICIPALITIES


def normalised_ids(column: pa.Array) -> pa.Array:
    """Report ids as they are compared and stored: NFC (macOS writes å as a + ring), without
    invisible characters. (Surrounding spaces are trimmed by the caller.)"""
    if pc.all(pc.fill_null(pc.string_is_ascii(column), True)).as_py():
        return column
    return pc.utf8_normalize(pc.replace_substring_regex(column, _INVISIBLE_RE2, ""), "NFC")


def _without(values: pa.Array, rows: dict[int, str]) -> pa.Array:
    """The values with the given rows set to null."""
    mask = np.zeros(len(values), dtype=bool)
    mask[list(rows)] = True
    return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)


def validate_sheet(sheet: Sheet, codelists: Codelists, today: dt.date | None = None,
                   dedupe: bool = True) -> Validated:
    """Check every row of the sheet; return canonical reports and all problems found.

    `dedupe`: leave out identical repeats of (sector, id) and refuse conflicting ones (the
    pipeline does this itself once each row has its partner, and passes False)."""
    check = _Checker(sheet, codelists, today or dt.date.today())
    values: dict[str, pa.Array] = {
        "rapport_id": check.required_text("rapport_id"),
        "datum": check.dates(),
    }
    for name in FIELDS[2:]:
        values[name] = check.coded(name)
    values["regso"] = check.regso()
    values["partner"] = values["verksamhet"]
    keep, duplicates = _distinct_reports(check, values) if dedupe else (None, 0)
    table = pa.Table.from_arrays([values[c] for c in REPORT_COLUMNS], schema=SCHEMA)
    if keep is not None:
        table = table.take(keep)
    return Validated(table if not check.problems else table.slice(0, 0), check.problems,
                     duplicates)


def _distinct_reports(
    check: _Checker, values: dict[str, pa.Array],
) -> tuple[list[int] | None, int]:
    """Indexes of rows to keep (None: all): identical repeats are dropped; conflicting repeats
    are errors."""
    count = check.count
    ids = values["rapport_id"]
    if pc.count_distinct(ids, mode="all").as_py() == count or pa.table(
        {"partner": values["partner"], "id": ids},
    ).group_by(["partner", "id"]).aggregate([]).num_rows == count:
        return None, 0  # the usual case: every report once
    rows = {c: values[c].to_pylist() for c in REPORT_COLUMNS}
    keys = list(zip(rows["partner"], rows["rapport_id"], strict=True))
    numbers = check.sheet.row_numbers

    def conflict(i: int, first: int) -> None:
        check.problem(
            numbers[i], "rapport_id", rows["rapport_id"][i],
            f"Samma Rapport-ID finns redan på rad {numbers[first]} med annat innehåll",
            "Ge varje rapport ett eget Rapport-ID, eller ta bort den rad som är fel.",
        )

    compared = [None if not key[1] or any(rows[c][i] is None for c in REPORT_COLUMNS
                                          if c != "regso") else key
                for i, key in enumerate(keys[:count])]
    return keep_distinct(compared, rows, conflict)


def keep_distinct(
    keys: Sequence[Hashable | None], columns: Mapping[str, Sequence[object]],
    conflict: Callable[[int, int], None],
) -> tuple[list[int], int]:
    """Indexes of the rows to keep and how many identical repeats were dropped: a row without
    a key (None) is kept, so is the first row of each key; a repeat equal in every one of
    `columns` is dropped, any other repeat is a conflict (`conflict(row index, first index)`
    reports it)."""
    seen: dict[Hashable, int] = {}
    keep: list[int] = []
    duplicates = 0
    for i, key in enumerate(keys):
        if key is None:
            keep.append(i)
            continue
        first = seen.get(key)
        if first is None:
            seen[key] = i
            keep.append(i)
        elif all(column[i] == column[first] for column in columns.values()):
            duplicates += 1
        else:
            conflict(i, first)
    return keep, duplicates
