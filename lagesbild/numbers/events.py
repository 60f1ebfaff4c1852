"""Context events (omvärldshändelser): dated events that help explain the curves.

Analysts record an event with a category (code list `handelsekategori`: Nationell hotnivå,
Attack eller händelse i omvärlden, Lokal kampanj eller insats, Ändrad rapportering hos partner,
Övrigt), a short title and a date. Every addition, change and removal is a batch of kind
'omvarld' (a removal is a new version with `borttagen`), so the history is kept and any change
can be rolled back. `events_for_period` and `add_event_annotations` put the events on every
trend chart and export.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from lagesbild.numbers.query import period_clauses
from lagesbild.store import Store
from lagesbild.store.schema import EVENTS

Event = tuple[dt.date, str, str]  # (date, category, title)


# -- reading ------------------------------------------------------------------------------------
def current_events(store: Store, include_removed: bool = False) -> pd.DataFrame:
    """The current events, newest first (columns handelse_id, datum, kategori, titel,
    borttagen, kvartal, andrad, andrad_av, kalla, demo)."""
    frame = store.current_rows(EVENTS, include_removed)
    return frame.sort_values(["datum", "handelse_id"], ascending=False).reset_index(drop=True)


def event_history(store: Store, handelse_id: str | None = None) -> pd.DataFrame:
    """Every version of one event (or of all), newest first, with who and when."""
    return store.history(EVENTS, {"handelse_id": handelse_id} if handelse_id else None)


def events_for_period(store: Store, first_quarter: str | None,
                      last_quarter: str | None) -> list[Event]:
    """The events (not removed) from the start of `first_quarter` to the end of
    `last_quarter` (None = open end), oldest first: [(date, kategori, titel), …]."""
    clauses, params = period_clauses(first_quarter, last_quarter)
    where = ["NOT borttagen", *clauses]
    rows = store.cursor().execute(
        f"SELECT datum, kategori, titel FROM events WHERE {' AND '.join(where)} "
        "ORDER BY datum, handelse_id", params).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]
