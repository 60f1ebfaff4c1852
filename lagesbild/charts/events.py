"""Context events on charts: dotted lines with numbered labels, and the matching legend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import plotly.graph_objects as go

from lagesbild.domain.periods import parse_quarter, quarter_end, quarter_of, quarter_start
from lagesbild.domain.text import literal_html

EVENT_COLOUR = "#6b4c9a"
ANNOTATION_NAME = "omvarld"  # name of the shapes and annotations that mark events
LABEL_ROWS = 4  # event labels are staggered over at most four rows

Event = tuple[dt.date, str, str]  # (date, category, title)


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
            # the title is an analyst's text: plotly reads <a>, <b>, <br> in labels
            text = f"{number} {literal_html(short_label(title))}" if single else str(number)
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
                hovertext=f"{day.isoformat()} · {literal_html(category)}<br>"
                          f"{literal_html(title)}",
            )
    return fig
