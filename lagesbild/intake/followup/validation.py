"""Validating the rows of a trainings or activity-plan Sheet against its contract.

Like `lagesbild.intake.validate` for reports: every problem at once, each with the Excel row, the
column header, the value, the reason and how to fix it, in Swedish; coded columns go through
the code lists with their aliases (never free text); identical repeated rows are dropped and
conflicting repeats of a key are errors. The result is one canonical pyarrow table in the
column order of the dataset.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from lagesbild.domain.codelists import ColumnVocabulary
from lagesbild.domain.contracts import (
    ACTIVITY,
    EVENT_CATEGORY_LIST,
    TRAINING,
    Contract,
    codelist,
    event_categories,
)
from lagesbild.domain.periods import parse_quarter, quarter_label, quarter_of
from lagesbild.domain.problems import Problem
from lagesbild.domain.text import normalise_id
from lagesbild.intake.kind import Validated
from lagesbild.intake.reading import Cell, Sheet
from lagesbild.intake.validate import (
    EARLIEST,
    SheetChecker,
    as_text,
    keep_distinct,
    parse_date,
)

MAX_ID = 50
MAX_PARTICIPANTS = 5000
MAX_TEXT = {"aktivitet": 120, "mal": 300}
_INT = re.compile(r"^\d{1,6}(?:[.,]0+)?$")
ARROW_TYPES = {"datum": pa.date32(), "antal_deltagare": pa.int32(),
               "varav_kvinnor": pa.int32(), "varav_man": pa.int32(), "borttagen": pa.bool_()}


def parse_count(cell: Cell) -> int | None:
    """A whole non-negative number from a number cell or text ('25', '25,0'), else None."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell if cell >= 0 else None
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() and cell >= 0 else None
    text = as_text(cell).replace(" ", "").replace("\u00a0", "")
    if not _INT.match(text):
        return None
    return int(float(text.replace(",", ".")))


def parse_quarter_cell(cell: Cell) -> str | None:
    """'2026K3', '2026 K3', '2026Q3' or a date cell (its quarter) -> '2026K3', else None."""
    if isinstance(cell, dt.datetime | dt.date):
        return quarter_of(cell.date() if isinstance(cell, dt.datetime) else cell)
    try:
        return quarter_label(*parse_quarter(as_text(cell)))
    except ValueError:
        return None


class _Checker(SheetChecker):
    def __init__(self, sheet: Sheet, contract: Contract, today: dt.date):
        super().__init__(sheet, contract.header, today)
        self.contract = contract

    def cells(self, field: str) -> list[Cell]:
        j = self.column_of.get(field)
        if j is None:
            return [None] * len(self.sheet.rows)
        return [row[j] for row in self.sheet.rows]

    def each(self, field: str, parse: Callable[[int, Cell, str], object]) -> list:
        return [parse(row, cell, as_text(cell))
                for row, cell in zip(self.sheet.row_numbers, self.cells(field), strict=True)]

    def missing(self, row: int, field: str, cell: Cell) -> None:
        header = self.contract.header(field)
        self.problem(row, field, cell, f"{header} saknas",
                     f"Fyll i {header} – fältet är obligatoriskt.")

    # -- kinds of columns ----------------------------------------------------------------
    def key(self, field: str) -> list[str]:
        def parse(row: int, cell: Cell, text: str) -> str:
            text = normalise_id(text)
            if not text:
                self.missing(row, field, cell)
            elif len(text) > MAX_ID:
                self.problem(row, field, cell, f"{self.contract.header(field)} är för långt",
                             f"Använd ett kort löpnummer, högst {MAX_ID} tecken, t.ex. 2026-03.")
            return text
        return self.each(field, parse)

    def text(self, field: str) -> list[str]:
        limit = MAX_TEXT[field]

        def parse(row: int, cell: Cell, text: str) -> str:
            if not text:
                self.missing(row, field, cell)
            elif len(text) > limit:
                self.problem(row, field, cell, f"{self.contract.header(field)} är för lång "
                             f"({len(text)} tecken)",
                             f"Korta texten till högst {limit} tecken; detaljer hör hemma i "
                             "UmeBrås egna dokument.")
            return " ".join(text.split())
        return self.each(field, parse)

    def coded(self, field: str, extra_fix: str = "") -> list[str | None]:
        codes = self.contract.codelist(field)
        header = self.contract.header(field)
        cache: dict[str, str | None] = {}

        def parse(row: int, cell: Cell, text: str) -> str | None:
            if text not in cache:
                cache[text] = codes.match(text) if text else None
            value = cache[text]
            if value is None:
                if not text:
                    self.missing(row, field, cell)
                else:
                    guess = codes.suggest(text)
                    hint = f"Menade du \"{guess}\"? " if guess else ""
                    self.problem(row, field, cell, f"Okänt värde i {header}",
                                 f"{hint}{extra_fix}Giltiga värden: {', '.join(codes.values)}. "
                                 "Rätta värdet eller lägg till det som alias i kodlistan.")
            return value
        return self.each(field, parse)

    def dates(self, field: str = "datum") -> list[dt.date | None]:
        def parse(row: int, cell: Cell, text: str) -> dt.date | None:
            date = parse_date(cell)
            if not text:
                self.missing(row, field, cell)
            elif date is None:
                self.problem(row, field, cell, "Datumet går inte att tolka",
                             "Skriv datumet som ÅÅÅÅ-MM-DD (t.ex. 2026-03-12) eller ÅÅÅÅMMDD, "
                             "eller använd en datumcell i Excel.")
            elif date > self.today:
                self.problem(row, field, cell, "Datumet ligger i framtiden",
                             "Registrera insatsen när den har genomförts; kontrollera året.")
                return None
            elif date < EARLIEST:
                self.problem(row, field, cell, "Datumet ligger före år 2000",
                             "Kontrollera året.")
                return None
            return date
        return self.each(field, parse)

    def counts(self, field: str, required: bool) -> list[int | None]:
        header = self.contract.header(field)

        def parse(row: int, cell: Cell, text: str) -> int | None:
            if not text:
                if required:
                    self.missing(row, field, cell)
                return None
            value = parse_count(cell)
            if value is None:
                self.problem(row, field, cell, f"{header} är inte ett heltal",
                             f"Skriv antalet som ett heltal, t.ex. 25, utan text. "
                             f"{'' if required else 'Lämna tomt om uppgiften saknas.'}".strip())
            elif value > MAX_PARTICIPANTS:
                self.problem(row, field, cell, f"{header} är orimligt stort",
                             f"Kontrollera antalet; högst {MAX_PARTICIPANTS} godtas per rad.")
                return None
            elif required and value == 0:
                self.problem(row, field, cell, "En insats utan deltagare",
                             "Ange antalet deltagare (minst 1), eller ta bort raden om "
                             "insatsen inte blev av.")
                return None
            return value
        return self.each(field, parse)

    def quarters(self, field: str) -> list[str | None]:
        def parse(row: int, cell: Cell, text: str) -> str | None:
            if not text:
                self.missing(row, field, cell)
                return None
            value = parse_quarter_cell(cell)
            if value is None:
                self.problem(row, field, cell, "Kvartalet går inte att tolka",
                             "Skriv kvartalet som ÅÅÅÅKn, t.ex. 2026K3.")
            elif not 2000 <= int(value[:4]) <= self.today.year + 10:
                self.problem(row, field, cell, "Kvartalet ligger orimligt långt bort",
                             "Kontrollera året.")
                return None
            return value
        return self.each(field, parse)

    # -- rows ------------------------------------------------------------------------------
    def distinct(self, values: dict[str, list], key: str) -> tuple[list[int], int]:
        """Rows to keep: identical repeats dropped, conflicting repeats of a key are errors."""
        header = self.contract.header(key)

        def conflict(i: int, first: int) -> None:
            self.problem(
                self.sheet.row_numbers[i], key, values[key][i],
                f"Samma {header} finns redan på rad {self.sheet.row_numbers[first]} med "
                "annat innehåll",
                f"Ge varje rad ett eget {header}, eller ta bort den rad som är fel.")

        keys = [values[key][i] or None for i in range(len(self.sheet.rows))]
        return keep_distinct(keys, {c: values[c] for c in self.contract.stored}, conflict)

    def table(self, values: dict[str, list], key: str) -> Validated:
        keep, duplicates = self.distinct(values, key)
        columns = self.contract.stored
        schema = pa.schema([(c, ARROW_TYPES.get(c, pa.string())) for c in columns])
        table = pa.table({c: [values[c][i] for i in keep] for c in columns}, schema=schema)
        numbers = pa.array([self.sheet.row_numbers[i] for i in keep], pa.int64())
        if self.problems:
            table, numbers = table.slice(0, 0), numbers.slice(0, 0)
        return Validated(table, self.problems, duplicates, numbers)


def validate_trainings(sheet: Sheet, contract: Contract, today: dt.date | None = None) \
        -> Validated:
    """Check a trainings sheet; return canonical rows (TRAINING_COLUMNS) and all problems."""
    assert contract.kind == TRAINING
    check = _Checker(sheet, contract, today or dt.date.today())
    values: dict[str, list] = {
        "insats_id": check.key("insats_id"),
        "datum": check.dates(),
        "typ": check.coded("typ"),
        "tema": check.coded("tema", "Tema är en kodlista, inte fritext. "),
        "malgrupp": check.coded("malgrupp", "Målgruppen är deltagarnas verksamhet. "),
        "antal_deltagare": check.counts("antal_deltagare", required=True),
        "varav_kvinnor": check.counts("varav_kvinnor", required=False),
        "varav_man": check.counts("varav_man", required=False),
    }
    for i, row in enumerate(sheet.row_numbers):
        total = values["antal_deltagare"][i]
        parts = [values[c][i] for c in ("varav_kvinnor", "varav_man")]
        if total is not None and sum(p or 0 for p in parts) > total:
            field = "varav_man" if parts[1] is not None else "varav_kvinnor"
            check.problem(row, field, check.cells(field)[i],
                          "Varav kvinnor och varav män är fler än antalet deltagare",
                          "Kontrollera antalen: kvinnor och män tillsammans kan inte vara fler "
                          "än Antal deltagare.")
    return check.table(values, "insats_id")


# Same shape as validate_trainings by design (benign for the `duplicates` tool): each kind
# declares its own columns, one checker call each; the shared rules are in the checker.
def validate_activities(sheet: Sheet, contract: Contract, today: dt.date | None = None) \
        -> Validated:
    """Check an activity-plan sheet; return canonical rows (ACTIVITY_COLUMNS) and problems."""
    assert contract.kind == ACTIVITY
    check = _Checker(sheet, contract, today or dt.date.today())
    values: dict[str, list] = {
        "aktivitet_id": check.key("aktivitet_id"),
        "aktivitet": check.text("aktivitet"),
        "mal": check.text("mal"),
        "omrade": check.coded("omrade"),
        "ansvarig": check.coded(
            "ansvarig", "Ansvarig ska vara en organisatorisk enhet, aldrig en persons namn. "),
        "start_kvartal": check.quarters("start_kvartal"),
        "klart_kvartal": check.quarters("klart_kvartal"),
        "status": check.coded("status"),
        "borttagen": [False] * len(sheet.rows),
    }
    for i, row in enumerate(sheet.row_numbers):
        start, due = values["start_kvartal"][i], values["klart_kvartal"][i]
        if start and due and parse_quarter(due) < parse_quarter(start):
            check.problem(row, "klart_kvartal", check.cells("klart_kvartal")[i],
                          "Klart-kvartalet ligger före startkvartalet",
                          "Kontrollera kvartalen: en aktivitet kan inte bli klar innan den "
                          "startar.")
    return check.table(values, "aktivitet_id")


VALIDATORS = {TRAINING: validate_trainings, ACTIVITY: validate_activities}


# -- context events: the app's form as a one-row sheet -----------------------------------------
@dataclass(frozen=True)
class _EventVocabulary(ColumnVocabulary):
    columns: tuple[dict[str, str], ...] = tuple(
        {"namn": n, "rubrik": h, "alias": "", "obligatorisk": "ja"}
        for n, h in (("handelse_id", "ID"), ("datum", "Datum"), ("kategori", "Kategori"),
                     ("titel", "Titel")))


EVENT_VOCABULARY = _EventVocabulary()
MAX_TITLE = 80
EVENT_SCHEMA = pa.schema([("handelse_id", pa.string()), ("datum", pa.date32()),
                          ("kategori", pa.string()), ("titel", pa.string()),
                          ("borttagen", pa.bool_())])


def validate_event(sheet: Sheet, today: dt.date) -> Validated:
    """The canonical row of an event form (EVENT_COLUMNS), or the problems."""
    problems: list[Problem] = []
    rows = []
    for cells in sheet.rows:
        handelse_id, datum, kategori, titel = (list(cells) + [None] * 4)[:4]

        def problem(column: str, reason: str, fix: str) -> None:
            problems.append(Problem("omvärldshändelse", reason, fix, column=column))

        title = " ".join(str(titel or "").split())
        date = parse_date(datum) if datum not in (None, "") else None
        if date is None:
            problem("Datum", "Datum saknas eller går inte att tolka",
                    "Ange datumet som ÅÅÅÅ-MM-DD, t.ex. 2026-03-02.")
        elif date > today:
            problem("Datum", "Datumet ligger i framtiden",
                    "Registrera händelsen när den har inträffat.")
        elif date < EARLIEST:
            problem("Datum", "Datumet ligger före år 2000", "Kontrollera året.")
        category = codelist(EVENT_CATEGORY_LIST).match(kategori) if kategori else None
        if category is None:
            problem("Kategori", "Kategorin saknas eller är okänd",
                    f"Välj en av: {', '.join(event_categories())}.")
        if not title:
            problem("Titel", "Titel saknas", "Skriv en kort rubrik, t.ex. "
                    "”Nationell hotnivå sänkt till 3”.")
        elif len(title) > MAX_TITLE:
            problem("Titel", f"Titeln är för lång ({len(title)} tecken)",
                    f"Korta titeln till högst {MAX_TITLE} tecken; den visas i diagrammen.")
        rows.append({"handelse_id": str(handelse_id), "datum": date, "kategori": category,
                     "titel": title, "borttagen": False})
    table = pa.Table.from_pylist(rows if not problems else [], schema=EVENT_SCHEMA)
    return Validated(table, problems, 0, sheet.numbers if not problems else None)
