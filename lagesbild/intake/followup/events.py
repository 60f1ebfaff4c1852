"""Recording context events in the app: add, change, remove (each a batch of kind 'omvarld').

The form's values are a one-row sheet checked by the intake pipeline (privacy guard, validation)
like any file."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from lagesbild.intake.followup.edits import APP_FILE, EditRefused, next_id
from lagesbild.intake.followup.kinds import event_kind
from lagesbild.intake.followup.validation import EVENT_SCHEMA as _SCHEMA
from lagesbild.intake.followup.validation import EVENT_VOCABULARY as VOCABULARY
from lagesbild.intake.followup.validation import MAX_TITLE  # noqa: F401 (the page)
from lagesbild.intake.reading import Cell, Sheet
from lagesbild.intake.steps import check_rows
from lagesbild.store import Receipt, Store
from lagesbild.store.schema import EVENT_COLUMNS, EVENTS


def _checked(store: Store | None, handelse_id: str, datum: Cell, kategori: object,
             titel: object, today: dt.date | None) -> pa.Table:
    title = " ".join(str(titel or "").split())
    sheet = Sheet(APP_FILE, None, 1, list(VOCABULARY.header(c) for c in
                                          ("handelse_id", "datum", "kategori", "titel")),
                  ["handelse_id", "datum", "kategori", "titel"],
                  [[handelse_id, datum, str(kategori or ""), title]], [2])
    checked = check_rows(event_kind(), sheet, store, today)
    if not checked.accepted or checked.rows is None:
        raise EditRefused(checked.problems)
    return checked.rows


def add_event(store: Store, datum: Cell, kategori: object, titel: object, added_by: str,
              today: dt.date | None = None) -> str:
    """Record a new event; returns its id (H-001, …). Raises EditRefused (Swedish)."""
    handelse_id = next_id(store, EVENTS, "H", 3)
    store.edit_rows(EVENTS, _checked(store, handelse_id, datum, kategori, titel, today),
                    edited_by=added_by)
    return handelse_id


def edit_event(store: Store, handelse_id: str, datum: Cell, kategori: object, titel: object,
               edited_by: str, today: dt.date | None = None) -> Receipt:
    """Change an event (a new version). The receipt's batch_id is None if nothing changed."""
    _existing(store, handelse_id)
    return store.edit_rows(EVENTS, _checked(store, handelse_id, datum, kategori, titel, today),
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
