"""Context events on charts: dotted lines with numbered labels, the matching legend, and the
same marks sized for a slide (with the numbered list above the source line)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from lagesbild.charts.theme import STYLES
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


# -- on every trend figure, screen and slide -----------------------------------------------
EVENT_MARK = ANNOTATION_NAME


def add_events(fig: go.Figure, events: Sequence[Any], style: str | None = None) -> go.Figure:
    """Mark context events [(date, kategori, titel), …] (followup.events.events_for_period)
    on a trend figure, numbered as in `followup.events.event_legend(events)`, sized for the
    figure's style. Screen and export use this same call, so they show the same marks."""
    if not events:
        return fig
    add_event_annotations(fig, events)
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    entries = [f"{i} {day.isoformat()} {_short(str(title))}"
               for i, (day, _category, title) in enumerate(events, start=1)]
    fig.layout.meta = {**meta, "lagesbild_events": entries}
    if (style or meta.get("lagesbild_style")) == "slide":
        scale_events(fig, STYLES["slide"].font / STYLES["screen"].font)
        event_key(fig)
    _event_headroom(fig)
    return fig


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


EVENT_KEY = "omvarld_lista"


def event_key(fig: go.Figure) -> None:
    """On a slide, the numbered events as a small list just above the source line (on
    screen the page shows them under the chart)."""
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    entries = list(meta.get("lagesbild_events") or [])
    if not entries:
        return
    spec = STYLES["slide"]
    source = next((a for a in fig.layout.annotations if a.name == "kalla"), None)
    shift = -(source.yshift or 0) if source is not None else spec.source_shift
    lines, line = [], ""
    for entry in entries:
        candidate = f"{line} · {entry}" if line else entry
        if line and len(candidate) > 130:
            lines.append(line)
            line = entry
        else:
            line = candidate
    lines.append(line)
    if len(lines) > 2:  # no room for more: the rest is in the notes
        lines = lines[:2]
        lines[1] += " · …"
    fig.add_annotation(
        name=EVENT_KEY, text="Omvärldshändelser: " + "<br>".join(map(literal_html, lines)),
        showarrow=False,
        xref="paper", yref="paper", x=0, y=0, xanchor="left", yanchor="bottom",
        yshift=-(shift - 4), align="left",
        font={"size": spec.source, "color": "#6b4c9a"})


def _axis_top(fig: go.Figure, x_axis: str, y_axis: str) -> float | None:
    """The largest y value drawn on a pair of axes (stacked bars summed per x)."""
    stacked = fig.layout.barmode in ("stack", "relative")
    top: float | None
    sums: dict[str, float]
    top, sums = None, {}
    for trace in fig.data:
        if (getattr(trace, "xaxis", None) or "x") != x_axis or trace.y is None:
            continue
        if (getattr(trace, "yaxis", None) or "y") != y_axis:
            continue
        for x, y in zip(trace.x if trace.x is not None else range(len(trace.y)), trace.y,
                        strict=False):
            if y is None or isinstance(y, str) or pd.isna(y):
                continue
            if stacked and trace.type == "bar":
                sums[str(x)] = sums.get(str(x), 0.0) + float(y)
            else:
                top = float(y) if top is None else max(top, float(y))
    if sums:
        top = max([top or 0.0, *sums.values()])
    return top


def _event_headroom(fig: go.Figure) -> None:
    """Room at the top of each plot for the event labels, so that they never cover a
    point: the y range is raised by the share of the plot the label rows take."""
    rows: dict[tuple[str, str], int] = {}
    for annotation in fig.layout.annotations:
        if annotation.name == EVENT_MARK and annotation.yref:
            y_axis = annotation.yref.split()[0]
            size = annotation.font.size or 11
            row = round(-((annotation.yshift or 0) + 2) / (size * 1.6)) + 1
            key = (annotation.xref, y_axis)
            rows[key] = max(rows.get(key, 0), row)
    layout = fig.layout
    height = (layout.height or STYLES["screen"].height) - (layout.margin.t or 0) \
        - (layout.margin.b or 0)
    for (x_axis, y_axis), used in rows.items():
        axis = layout[y_axis.replace("y", "yaxis", 1)]
        if axis is None or axis.type in ("category", "log"):
            continue
        top = axis.range[1] if axis.range else _axis_top(fig, x_axis, y_axis)
        if not top or top <= 0:
            continue
        domain = axis.domain or (0, 1)
        pixels = max(height * (domain[1] - domain[0]), 1)
        size = max((a.font.size or 11) for a in layout.annotations if a.name == EVENT_MARK)
        share = min(0.4, (used * size * 1.6 + 8) / pixels)
        axis.range = [0, top * 1.04 / (1 - share)]


def scale_events(fig: go.Figure, scale: float) -> None:
    """Event labels and lines at `scale` (labels keep their rows apart)."""
    for annotation in fig.layout.annotations:
        if annotation.name == EVENT_MARK:
            annotation.update(font_size=round((annotation.font.size or 11) * scale),
                              yshift=round((annotation.yshift or 0) * scale),
                              xshift=round((annotation.xshift or 0) * scale))
    for shape in fig.layout.shapes:
        if shape.name == EVENT_MARK and shape.line is not None:
            shape.line.width = round((shape.line.width or 1.2) * scale * 0.8, 1)


