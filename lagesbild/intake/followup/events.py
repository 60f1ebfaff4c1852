"""Recording context events in the app: add, change, remove (each a batch of kind 'omvarld')."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from lagesbild.domain.contracts import EVENT_CATEGORY_LIST, codelist, event_categories
from lagesbild.domain.problems import Problem
from lagesbild.intake.followup.edits import EditRefused, next_id, refuse_personal_data
from lagesbild.intake.followup.edits import one_row_sheet as _sheet
from lagesbild.intake.reading import Cell
from lagesbild.intake.validate import EARLIEST, parse_date
from lagesbild.store import Receipt, Store
from lagesbild.store.schema import EVENT_COLUMNS, EVENTS

MAX_TITLE = 80
_SCHEMA = pa.schema([("handelse_id", pa.string()), ("datum", pa.date32()),
                     ("kategori", pa.string()), ("titel", pa.string()),
                     ("borttagen", pa.bool_())])


# -- editing ------------------------------------------------------------------------------------
def _checked(handelse_id: str, datum: Cell, kategori: object, titel: object,
             today: dt.date | None) -> pa.Table:
    today = today or dt.date.today()
    title = " ".join(str(titel or "").split())
    sheet = _sheet(["Titel", "Kategori"], ["titel", "kategori"], [title, str(kategori or "")])
    refuse_personal_data(sheet)
    problems: list[Problem] = []

    def problem(column: str, reason: str, fix: str) -> None:
        problems.append(Problem("omvärldshändelse", reason, fix, column=column))

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
    if problems:
        raise EditRefused(problems)
    return pa.Table.from_pylist([{"handelse_id": handelse_id, "datum": date,
                                  "kategori": category, "titel": title,
                                  "borttagen": False}], schema=_SCHEMA)


def add_event(store: Store, datum: Cell, kategori: object, titel: object, added_by: str,
              today: dt.date | None = None) -> str:
    """Record a new event; returns its id (H-001, …). Raises EditRefused (Swedish)."""
    handelse_id = next_id(store, EVENTS, "H", 3)
    store.edit_rows(EVENTS, _checked(handelse_id, datum, kategori, titel, today),
                    edited_by=added_by)
    return handelse_id


def edit_event(store: Store, handelse_id: str, datum: Cell, kategori: object, titel: object,
               edited_by: str, today: dt.date | None = None) -> Receipt:
    """Change an event (a new version). The receipt's batch_id is None if nothing changed."""
    _existing(store, handelse_id)
    return store.edit_rows(EVENTS, _checked(handelse_id, datum, kategori, titel, today),
                           edited_by=edited_by)


def remove_event(store: Store, handelse_id: str, removed_by: str) -> Receipt:
    """Remove an event: a new version marked `borttagen` (never a physical delete)."""
    row = _existing(store, handelse_id)
    table = pa.Table.from_pylist([{c: row[c] for c in EVENT_COLUMNS} | {"borttagen": True}],
                                 schema=_SCHEMA)
    return store.edit_rows(EVENTS, table, edited_by=removed_by)


def _existing(store: Store, handelse_id: str) -> dict[str, object]:
    row = store.cursor().execute(
        "SELECT handelse_id, datum, kategori, titel, borttagen FROM events "
        "WHERE handelse_id = ? AND NOT borttagen", [handelse_id]).fetchall()
    if not row:
        raise EditRefused(f"Det finns ingen omvärldshändelse med ID {handelse_id}")
    return dict(zip(EVENT_COLUMNS, row[0], strict=True))
