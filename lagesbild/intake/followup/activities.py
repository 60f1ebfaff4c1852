"""Editing the activity plan in the app: add, change, set the status, remove (each a batch)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pyarrow as pa

from lagesbild.domain.contracts import ACTIVITY, contract
from lagesbild.intake.followup.edits import EditRefused, next_id, one_row_sheet
from lagesbild.intake.followup.kinds import ACTIVITY_KIND
from lagesbild.intake.reading import Cell
from lagesbild.intake.steps import check_rows
from lagesbild.store import Receipt, Store
from lagesbild.store.schema import ACTIVITIES, ACTIVITY_COLUMNS

EDITABLE = ACTIVITY_COLUMNS[:-1]  # every column but `borttagen`


# -- editing in the app -------------------------------------------------------------------------
def _checked_row(store: Store | None, values: Mapping[str, Cell],
                 today: dt.date | None) -> pa.Table:
    """The form's values as a one-row sheet, checked by the intake pipeline like a file."""
    spec = contract(ACTIVITY)
    fields = list(EDITABLE)
    sheet = one_row_sheet([spec.header(f) for f in fields], fields,
                          [values.get(f) for f in fields])
    checked = check_rows(ACTIVITY_KIND, sheet, store, today)
    if not checked.accepted or checked.rows is None:
        raise EditRefused(checked.problems)
    return checked.rows


def save_activity(store: Store, values: Mapping[str, Cell], edited_by: str,
                  today: dt.date | None = None) -> tuple[str, Receipt]:
    """Add (no or empty `aktivitet_id`) or change an activity. Returns (id, receipt); the
    receipt's batch_id is None when nothing changed. Raises EditRefused."""
    values = dict(values)
    if not str(values.get("aktivitet_id") or "").strip():
        values["aktivitet_id"] = next_id(store, ACTIVITIES, "A", 2)
    row = _checked_row(store, values, today)
    return row.column("aktivitet_id")[0].as_py(), store.edit_rows(ACTIVITIES, row,
                                                                   edited_by=edited_by)


def set_status(store: Store, aktivitet_id: str, status: str, edited_by: str) -> Receipt:
    """Change only the status of an activity."""
    current = _current_one(store, aktivitet_id)
    return save_activity(store, {**current, "status": status}, edited_by)[1]


def remove_activity(store: Store, aktivitet_id: str, edited_by: str) -> Receipt:
    """Take an activity out of the plan: a new version marked `borttagen` (kept in history)."""
    current = _current_one(store, aktivitet_id)
    row = {c: current[c] for c in ACTIVITY_COLUMNS} | {"borttagen": True}
    table = pa.Table.from_pylist([row], schema=_schema())
    return store.edit_rows(ACTIVITIES, table, edited_by=edited_by)


def _current_one(store: Store, aktivitet_id: str) -> dict[str, Cell]:
    frame = store.current_rows(ACTIVITIES)
    match = frame[frame["aktivitet_id"] == aktivitet_id]
    if match.empty:
        raise EditRefused(f"Det finns ingen aktivitet med ID {aktivitet_id}")
    return match.iloc[0].to_dict()


def _schema() -> pa.Schema:
    from lagesbild.intake.followup.validation import ARROW_TYPES

    return pa.schema([(c, ARROW_TYPES.get(c, pa.string())) for c in ACTIVITY_COLUMNS])
