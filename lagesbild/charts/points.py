"""Reading a protected table into what a builder draws: points with their display text
(hidden ones without a value), series in the order of an axis, the quarter axis, series-break
lines and the grey marks of hidden small counts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lagesbild.charts.context import ChartContext
from lagesbild.charts.theme import SUPPRESSED_LINE, StyleSpec, Trace
from lagesbild.domain.formatting import fmt_number
from lagesbild.domain.periods import parse_quarter


def _quarter_key(label: str) -> tuple[int, int]:
    try:
        return parse_quarter(str(label))
    except ValueError:
        return (9999, 9)


def ordered_quarters(values: Iterable[object]) -> list[str]:
    return sorted({str(v) for v in values}, key=_quarter_key)


def num(value: float | None) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def in_order(values: Iterable[str], preferred: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(values))
    if not preferred:
        return present
    ranked = [v for v in preferred if v in present]
    return ranked + [v for v in present if v not in ranked]


@dataclass(frozen=True)
class Point:
    value: float | None  # None when hidden or missing
    text: str  # as shown: '12', '<5', '..', '–'
    hidden: bool


def read_points(df: pd.DataFrame, value: str, label: str | None, suppressed: str | None,
            decimals: int, ctx: ChartContext) -> list[Point]:
    """Each row as a point: hidden rows have no value and their display text."""
    hidden = (df[suppressed].fillna(False).astype(bool).tolist()
              if suppressed and suppressed in df else [False] * len(df))
    values = [num(v) for v in df[value]] if value in df else [None] * len(df)
    if label and label in df:
        texts = ["–" if pd.isna(t) else str(t) for t in df[label]]
    else:
        texts = ["–" if v is None else fmt_number(v, decimals) for v in values]
    out = []
    for v, t, h in zip(values, texts, hidden, strict=True):
        if h and t in ("", "–"):
            t = ctx.small
        out.append(Point(None if h else v, t, h))
    return out


def read_series(df: pd.DataFrame, x: str, xs: Sequence[str], value: str, label: str | None,
            suppressed: str | None, decimals: int, ctx: ChartContext,
            extra: Sequence[str] = ()) -> tuple[list[Point], dict[str, list[float | None]]]:
    """Points of one series in the order of `xs` (missing x: no value), and extra columns."""
    by_x: dict[str, int] = {str(k): i for i, k in enumerate(df[x])}
    points = read_points(df, value, label, suppressed, decimals, ctx)
    columns = {c: (df[c].tolist() if c in df else [None] * len(df)) for c in extra}
    more: dict[str, list[float | None]]
    out, more = [], {c: [] for c in extra}
    for q in xs:
        i = by_x.get(q)
        out.append(points[i] if i is not None else Point(None, "–", False))
        for c in extra:
            more[c].append(columns[c][i] if i is not None else None)
    return out, more


def quarter_axis(quarters: Sequence[str], every: int | None = None) -> dict[str, Any]:
    """A categorical x axis of quarters; with many quarters only every n-th is labelled
    (always the latest)."""
    if every is None:
        every = 1 if len(quarters) <= 12 else 2 if len(quarters) <= 20 else 4
    ticks = [q for i, q in enumerate(quarters) if (len(quarters) - 1 - i) % every == 0]
    return {"type": "category", "categoryorder": "array", "categoryarray": list(quarters),
            "tickmode": "array", "tickvals": ticks, "ticktext": ticks, "tickangle": 0,
            "showgrid": False, "range": [-0.5, len(quarters) - 0.5]}


def break_shapes(quarters: Sequence[str], breaks: Iterable[str], xref: str = "x",
                  yref: str = "y domain", label: bool = True,
                  font: int = 11) -> tuple[list[dict], list[dict]]:
    """A dashed vertical line before each quarter where a series changes definition."""
    shapes, notes = [], []
    for quarter in dict.fromkeys(breaks):
        if quarter not in quarters:
            continue
        x = quarters.index(quarter) - 0.5
        shapes.append({"type": "line", "xref": xref, "yref": yref, "x0": x, "x1": x,
                       "y0": 0, "y1": 1, "line": {"color": "#555555", "width": 1.5,
                                                  "dash": "dash"}})
        if label:
            notes.append({"x": x, "xref": xref, "y": 1, "yref": yref, "text": "Seriebrott",
                          "showarrow": False, "xanchor": "left", "yanchor": "top",
                          "xshift": 3, "font": {"size": font, "color": "#555555"}})
    return shapes, notes


def hidden_marks(xs: list[str], texts: list[str], hovers: list[str], ctx: ChartContext,
                  spec: StyleSpec, counts: bool, axes: tuple[str, str] = ("x", "y"),
                  legend: bool = True) -> list[Trace]:
    """Grey marks with their text for hidden points, so a gap in a line is never told by its
    absence alone: '<5' halfway below the threshold when the values are counts (never at
    zero); '..' (hidden to protect another cell: its size is not known) on the axis at zero,
    with its own legend entry. Hidden rates have no known position: no mark (the line has a
    gap, the table under the chart says why)."""
    if not counts:
        return []
    small = [(x, t, h) for x, t, h in zip(xs, texts, hovers, strict=True) if t.startswith("<")]
    guarded = [(x, t, h) for x, t, h in zip(xs, texts, hovers, strict=True) if t == ".."]
    groups = [(small, ctx.threshold / 2, f"Under {ctx.threshold}, visas inte", "undertryckt",
               "line-ew-open"),
              (guarded, 0, "Dolt för att skydda ett litet tal (..)", "skyddat", "x-thin-open")]
    return [{
        "type": "scatter", "x": [s[0] for s in marks], "y": [y] * len(marks),
        "mode": "markers+text", "text": [s[1] for s in marks], "textposition": "top center",
        "textfont": {"color": SUPPRESSED_LINE, "size": spec.font - 3},
        "marker": {"symbol": symbol, "size": spec.marker + 6, "color": SUPPRESSED_LINE,
                   "line": {"width": 2}},
        "name": name, "hovertext": [s[2] for s in marks],
        "hoverinfo": "text", "showlegend": legend, "legendgroup": group,
        "xaxis": axes[0], "yaxis": axes[1], "cliponaxis": False,
    } for marks, y, name, group, symbol in groups if marks]
