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
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa

from lagesbild.followup.contracts import EVENT_CATEGORY_LIST, codelist
from lagesbild.followup.edits import EditRefused, current_rows, next_id, refuse_personal_data
from lagesbild.followup.edits import one_row_sheet as _sheet
from lagesbild.periods import parse_quarter, quarter_end, quarter_of, quarter_start
from lagesbild.problems import Problem
from lagesbild.schema import EVENT_COLUMNS, EVENTS
from lagesbild.store import Receipt, Store
from lagesbild.validate import EARLIEST, parse_date

MAX_TITLE = 80
EVENT_COLOUR = "#6b4c9a"
ANNOTATION_NAME = "omvarld"  # name of the shapes and annotations that mark events
LABEL_ROWS = 4  # event labels are staggered over at most four rows
_SCHEMA = pa.schema([("handelse_id", pa.string()), ("datum", pa.date32()),
                     ("kategori", pa.string()), ("titel", pa.string()),
                     ("borttagen", pa.bool_())])

Event = tuple[dt.date, str, str]  # (date, category, title)


def categories() -> list[str]:
    return codelist(EVENT_CATEGORY_LIST).values


# -- reading ------------------------------------------------------------------------------------
def current_events(store: Store, include_removed: bool = False) -> pd.DataFrame:
    """The current events, newest first (columns handelse_id, datum, kategori, titel,
    borttagen, kvartal, andrad, andrad_av, kalla, demo)."""
    frame = current_rows(store, EVENTS, include_removed)
    return frame.sort_values(["datum", "handelse_id"], ascending=False).reset_index(drop=True)


def event_history(store: Store, handelse_id: str | None = None) -> pd.DataFrame:
    """Every version of one event (or of all), newest first, with who and when."""
    return store.history(EVENTS, {"handelse_id": handelse_id} if handelse_id else None)


def events_for_period(store: Store, first_quarter: str | None,
                      last_quarter: str | None) -> list[Event]:
    """The events (not removed) from the start of `first_quarter` to the end of
    `last_quarter` (None = open end), oldest first: [(date, kategori, titel), …]."""
    where, params = ["NOT borttagen"], []
    if first_quarter:
        where.append("datum >= ?")
        params.append(quarter_start(first_quarter))
    if last_quarter:
        where.append("datum <= ?")
        params.append(quarter_end(last_quarter))
    rows = store.cursor().execute(
        f"SELECT datum, kategori, titel FROM events WHERE {' AND '.join(where)} "
        "ORDER BY datum, handelse_id", params).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


# -- editing ------------------------------------------------------------------------------------
def _checked(handelse_id: str, datum: object, kategori: object, titel: object,
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
                f"Välj en av: {', '.join(categories())}.")
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


def add_event(store: Store, datum: object, kategori: object, titel: object, added_by: str,
              today: dt.date | None = None) -> str:
    """Record a new event; returns its id (H-001, …). Raises EditRefused (Swedish)."""
    handelse_id = next_id(store, EVENTS, "H", 3)
    store.edit_rows(EVENTS, _checked(handelse_id, datum, kategori, titel, today),
                    edited_by=added_by)
    return handelse_id


def edit_event(store: Store, handelse_id: str, datum: object, kategori: object, titel: object,
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


# -- on charts ----------------------------------------------------------------------------------
def short_label(title: str, width: int = 22) -> str:
    return title if len(title) <= width else title[: width - 1].rstrip() + "…"


def event_legend(events: Sequence[Event]) -> list[str]:
    """One line per event, numbered as on the charts: '1. 2026-03-02 Nationell hotnivå: …'."""
    return [f"{i}. {d.isoformat()} {k}: {t}" for i, (d, k, t) in enumerate(events, start=1)]


def _axis_quarters(fig: go.Figure, axis: str) -> list[str]:
    """The quarters on a category x axis: its categoryarray, else the x values of its traces."""
    layout_axis = fig.layout[axis.replace("x", "xaxis", 1)]
    if layout_axis is not None and layout_axis.categoryarray:
        return [str(q) for q in layout_axis.categoryarray]
    seen: dict[str, None] = {}
    for trace in fig.data:
        if (getattr(trace, "xaxis", None) or "x") == axis and trace.x is not None:
            for value in trace.x:
                seen.setdefault(str(value), None)
    return [q for q in seen if _is_quarter(q)]


def _is_quarter(label: str) -> bool:
    try:
        parse_quarter(label)
    except ValueError:
        return False
    return True


def _x_axes(fig: go.Figure) -> list[tuple[str, str]]:
    """(x axis, its y axis) pairs, e.g. [('x', 'y'), ('x2', 'y2')]."""
    names = ["x"] + sorted(
        {k.replace("xaxis", "x") for k in fig.layout.to_plotly_json() if k.startswith("xaxis")}
        - {"x"}, key=lambda n: int(n[1:] or 1))
    pairs = []
    for name in dict.fromkeys(names):
        axis = fig.layout[name.replace("x", "xaxis", 1)]
        anchor = axis.anchor if axis is not None and axis.anchor not in (None, "free") else None
        pairs.append((name, anchor or name.replace("x", "y", 1)))
    return pairs


def _position(day: dt.date, quarters: list[str]) -> float | None:
    """Where a date falls on a category axis of quarters: the quarter's index, −0.5 at its
    first day to +0.5 after its last."""
    quarter = quarter_of(day)
    if quarter not in quarters:
        return None
    start, end = quarter_start(quarter), quarter_end(quarter)
    share = (day - start).days / ((end - start).days + 1)
    return quarters.index(quarter) - 0.5 + share


def add_event_annotations(fig: go.Figure, events: Sequence[Event], *,
                          labels: bool = True) -> go.Figure:
    """Mark context events on a figure whose x axis is a category axis of quarters
    ("2026K3"): a dotted vertical line at the event's date within its quarter and a numbered
    label (with the short title on a single chart) at the top; hovering shows the date,
    category and title. Works on one chart and on small multiples (every subplot gets the
    lines; numbers only). Events outside the axis's quarters are left out. The numbers follow
    the order of `events`; `event_legend(events)` gives the matching list for a caption or
    an export. Returns the figure (changed in place)."""
    if not events:
        return fig
    pairs = [(x, y, _axis_quarters(fig, x)) for x, y in _x_axes(fig)]
    pairs = [p for p in pairs if p[2]]
    single = len(pairs) == 1
    for x_axis, y_axis, quarters in pairs:
        rows: list[list[tuple[float, float]]] = [[] for _ in range(LABEL_ROWS)]
        for number, (day, category, title) in enumerate(events, start=1):
            position = _position(day, quarters)
            if position is None:
                continue
            fig.add_shape(
                type="line", x0=position, x1=position, xref=x_axis, y0=0, y1=1,
                yref=f"{y_axis} domain", name=ANNOTATION_NAME, layer="above",
                line=dict(color=EVENT_COLOUR, width=1.2, dash="dot"),
            )
            if not labels:
                continue
            text = f"{number} {short_label(title)}" if single else str(number)
            at_right = single and position > 0.75 * (len(quarters) - 1)
            # A label takes about a quarter of a single chart's width (in quarters); put it in
            # the highest row where it does not overlap another label.
            width = max(2.0, len(quarters) / 4) if single else 0.5
            span = (position - width, position) if at_right else (position, position + width)
            row = next((i for i, taken in enumerate(rows)
                        if all(span[1] <= a or span[0] >= b for a, b in taken)),
                       number % LABEL_ROWS)
            rows[row].append(span)
            fig.add_annotation(
                x=position, xref=x_axis, y=1, yref=f"{y_axis} domain", yanchor="top",
                yshift=-2 - 18 * row, xanchor="right" if at_right else "left",
                xshift=-2 if at_right else 2, showarrow=False,
                text=text, name=ANNOTATION_NAME, align="left",
                font=dict(size=11, color=EVENT_COLOUR), bgcolor="rgba(255,255,255,0.8)",
                hovertext=f"{day.isoformat()} · {category}<br>{title}",
            )
    return fig
