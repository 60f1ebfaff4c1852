"""Counts or rates per quarter: lines (or bars) with the normal band, unusual quarters,
series breaks, incomplete quarters and context events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go

from lagesbild.charts.context import ChartContext
from lagesbild.charts.events import add_events
from lagesbild.charts.figure import assemble, empty_figure
from lagesbild.charts.points import (
    break_shapes,
    hidden_marks,
    in_order,
    num,
    ordered_quarters,
    quarter_axis,
    read_series,
)
from lagesbild.charts.theme import (
    OKABE_ITO,
    SIGNAL_COLOUR,
    Style,
    Trace,
    colour_map,
    style_spec,
    with_alpha,
)


def trend_chart(
    df: pd.DataFrame,
    ctx: ChartContext,
    *,
    what: str,
    x: str = "kvartal",
    series: str | None = None,
    value: str = "antal",
    label: str | None = "visas",
    suppressed: str | None = "undertryckt",
    kind: Literal["line", "bar"] = "line",
    baseline: str | None = None,
    lower: str | None = None,
    upper: str | None = None,
    signal: str | None = None,
    breaks: Iterable[str] = (),
    incomplete: Iterable[str] = (),
    order: Sequence[str] | None = None,
    y_title: str = "Antal rapporter",
    decimals: int = 0,
    counts: bool = True,
    band_max_series: int = 4,
    events: Sequence[Any] = (),
    style: Style = "screen",
) -> go.Figure:
    """Counts or rates per quarter, one line (or bar group) per value of `series`.

    `lower`/`upper` draw the baseline band (control limits; per series when there are at
    most `band_max_series`), `baseline` its centre line, `signal` rings unusual quarters,
    `breaks` lists quarters where a series break starts (dashed vertical line) and
    `incomplete` quarters where a partner has not reported (shaded, 'ofullständigt') and
    `events` context events [(date, kategori, titel)] (dotted lines, numbered labels).
    """
    if df.empty:
        return empty_figure(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    quarters = ordered_quarters(df[x])
    groups = in_order(df[series].astype(str), order) if series else [""]
    colours = colour_map(groups, series) if series else {"": OKABE_ITO["blue"]}
    band = bool(lower and upper and lower in df and upper in df
                and len(groups) <= band_max_series)
    extras = [c for c in (lower, upper, baseline, signal) if c]
    traces: list[Trace] = []
    marks_x, marks_text, marks_hover = [], [], []
    ring_x, ring_y, ring_hover = [], [], []
    for group in groups:
        part = df if not series else df[df[series].astype(str) == group]
        points, more = read_series(part, x, quarters, value, label, suppressed, decimals, ctx,
                               extras)
        colour = colours[group]
        name = group or y_title
        single = len(groups) == 1
        if band:
            assert lower is not None and upper is not None
            traces.append({"type": "scatter", "x": quarters, "y": [num(v) for v in
                                                                    more[lower]],
                           "mode": "lines", "line": {"width": 0}, "hoverinfo": "skip",
                           "showlegend": False, "legendgroup": name})
            traces.append({
                "type": "scatter", "x": quarters, "y": [num(v) for v in more[upper]],
                "mode": "lines", "line": {"width": 0}, "fill": "tonexty",
                "fillcolor": with_alpha(colour if not single else "#000000",
                                         0.13 if not single else 0.09),
                "hoverinfo": "skip", "legendgroup": name,
                "name": "Normalt intervall" if single else f"{name}: normalt intervall",
                "showlegend": single})
            if baseline:
                traces.append({
                    "type": "scatter", "x": quarters, "y": [num(v) for v in more[baseline]],
                    "mode": "lines", "line": {"color": "#555555" if single else colour,
                                              "width": 1.2, "dash": "dot"},
                    "hoverinfo": "skip", "name": "Baslinje (snitt 8 kv.)",
                    "showlegend": single, "legendgroup": name})
        hover = [f"{name}<br>{q}: {p.text}" for q, p in zip(quarters, points, strict=True)]
        ys = [p.value for p in points]
        if kind == "bar":
            traces.append({"type": "bar", "x": quarters, "y": ys, "name": name,
                           "marker": {"color": colour}, "hovertext": hover,
                           "hoverinfo": "text", "legendgroup": name})
        else:
            traces.append({"type": "scatter", "x": quarters, "y": ys, "name": name,
                           "mode": "lines+markers",
                           "line": {"color": colour, "width": spec.line},
                           "marker": {"size": spec.marker - 1, "color": colour},
                           "hovertext": hover, "hoverinfo": "text", "connectgaps": False,
                           "legendgroup": name})
        for q, p, h in zip(quarters, points, hover, strict=True):
            if p.hidden:
                marks_x.append(q)
                marks_text.append(p.text)
                marks_hover.append(h + " (visas inte)")
        if signal:
            for q, p, flag, h in zip(quarters, points, more[signal], hover, strict=True):
                flagged = flag is True or (flag is not None and not pd.isna(flag) and bool(flag))
                if flagged and p.value is not None:
                    ring_x.append(q)
                    ring_y.append(p.value)
                    ring_hover.append(h + " – ovanligt")
    traces += hidden_marks(marks_x, marks_text, marks_hover, ctx, spec, counts)
    if ring_x:
        traces.append({
            "type": "scatter", "x": ring_x, "y": ring_y, "mode": "markers",
            "name": "Ovanligt kvartal", "hovertext": ring_hover, "hoverinfo": "text",
            "marker": {"symbol": "circle-open", "size": spec.marker + 10,
                       "color": SIGNAL_COLOUR, "line": {"width": 2.5}}})
    shapes, notes = break_shapes(quarters, breaks, font=spec.font - 2)
    for quarter in dict.fromkeys(incomplete):
        if quarter in quarters:
            i = quarters.index(quarter)
            shapes.append({"type": "rect", "xref": "x", "yref": "y domain", "x0": i - 0.5,
                           "x1": i + 0.5, "y0": 0, "y1": 1, "layer": "below",
                           "line": {"width": 0}, "fillcolor": "rgba(230, 159, 0, 0.10)"})
            notes.append({"x": i, "xref": "x", "y": 1, "yref": "y domain",
                          "text": "ofullständigt", "showarrow": False, "yanchor": "bottom",
                          "font": {"size": spec.font - 3, "color": "#8a5a00"}})
    layout: dict[str, Any] = {
        "xaxis": quarter_axis(quarters),
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero",
                  "tickformat": ",d" if not decimals else ",.1f"},
        "shapes": shapes, "annotations": notes,
    }
    if kind == "bar":
        layout.update(barmode="group" if len(groups) <= 3 else "stack", bargap=0.15)
    legend = bool(series) or bool(ring_x) or band or bool(marks_x)
    entries = len(groups) + bool(ring_x) + bool(marks_x) + (2 if band and len(groups) == 1
                                                             else 0)
    height = max(spec.height, spec.margin_top + spec.margin_bottom + 30 * entries + 40) \
        if style == "screen" else spec.height
    fig = assemble(traces, layout, ctx, what, style, legend=legend, height=height)
    return add_events(fig, events, style)


