"""Small multiples: one small line chart per category (e.g. per form), each on its own scale."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

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
    read_series,
)
from lagesbild.charts.theme import SIGNAL_COLOUR, Style, Trace, colour_map, style_spec


def small_multiples(
    df: pd.DataFrame,
    ctx: ChartContext,
    *,
    what: str,
    facet: str = "form",
    x: str = "kvartal",
    value: str = "antal",
    label: str | None = "visas",
    suppressed: str | None = "undertryckt",
    lower: str | None = None,
    upper: str | None = None,
    baseline: str | None = None,
    signal: str | None = None,
    breaks: Iterable[str] = (),
    order: Sequence[str] | None = None,
    columns: int = 3,
    y_title: str = "Antal",
    decimals: int = 0,
    counts: bool = True,
    events: Sequence[Any] = (),
    style: Style = "screen",
) -> go.Figure:
    """One small line chart per value of `facet` (e.g. per form), each with its own scale;
    `events` context events [(date, kategori, titel)] (dotted lines, numbers)."""
    if df.empty:
        return empty_figure(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    facets = in_order(df[facet].astype(str), order)
    quarters = ordered_quarters(df[x])
    columns = max(1, min(columns, len(facets)))
    rows = math.ceil(len(facets) / columns)
    gap_x, gap_y = 0.05, 0.11 if rows > 1 else 0.0
    width = (1 - gap_x * (columns - 1)) / columns
    height = (1 - gap_y * (rows - 1)) / rows
    colours = colour_map(facets, facet)
    extras = [c for c in (lower, upper, baseline, signal) if c]
    traces: list[Trace] = []
    layout: dict[str, Any] = {}
    notes: list[dict] = []
    shapes: list[dict] = []
    shown: set[str] = set()
    per_year = [q for q in quarters if q.endswith("K1")] or quarters[:1]
    ticks = per_year[::max(1, math.ceil(len(per_year) / 3))] if len(quarters) > 8 else \
        quarters[::2] if len(quarters) > 4 else quarters
    for i, name in enumerate(facets):
        r, c = i // columns, i % columns
        n = i + 1
        xa, ya = f"x{n}" if n > 1 else "x", f"y{n}" if n > 1 else "y"
        x0 = c * (width + gap_x)
        y1 = 1 - r * (height + gap_y)
        layout[f"xaxis{n if n > 1 else ''}"] = {
            "domain": [x0, x0 + width], "anchor": ya, "type": "category",
            "categoryorder": "array", "categoryarray": quarters, "tickmode": "array",
            "tickvals": ticks, "ticktext": ticks, "tickangle": 0, "showgrid": False,
            "tickfont": {"size": spec.font - 3}, "range": [-0.5, len(quarters) - 0.5],
            "showticklabels": r == rows - 1 or i + columns >= len(facets)}
        layout[f"yaxis{n if n > 1 else ''}"] = {
            "domain": [y1 - height, y1], "anchor": xa, "rangemode": "tozero",
            "tickformat": ",d" if not decimals else ",.1f", "nticks": 4,
            "tickfont": {"size": spec.font - 3}}
        notes.append({"text": f"<b>{name}</b>", "x": x0, "y": y1, "xref": "paper",
                      "yref": "paper", "xanchor": "left", "yanchor": "bottom",
                      "showarrow": False, "font": {"size": spec.font - 1,
                                                   "color": "#222222"}})
        part = df[df[facet].astype(str) == name]
        points, more = read_series(part, x, quarters, value, label, suppressed, decimals, ctx,
                               extras)
        hover = [f"{name}<br>{q}: {p.text}" for q, p in zip(quarters, points, strict=True)]
        if lower and upper:
            traces.append({"type": "scatter", "x": quarters, "y": [num(v) for v in
                                                                    more[lower]],
                           "mode": "lines", "line": {"width": 0}, "hoverinfo": "skip",
                           "showlegend": False, "xaxis": xa, "yaxis": ya})
            traces.append({"type": "scatter", "x": quarters,
                           "y": [num(v) for v in more[upper]], "mode": "lines",
                           "line": {"width": 0}, "fill": "tonexty",
                           "fillcolor": "rgba(0, 0, 0, 0.09)", "hoverinfo": "skip",
                           "name": "Normalt intervall", "legendgroup": "band",
                           "showlegend": "band" not in shown, "xaxis": xa, "yaxis": ya})
            shown.add("band")
        if baseline:
            traces.append({"type": "scatter", "x": quarters,
                           "y": [num(v) for v in more[baseline]], "mode": "lines",
                           "line": {"color": "#777777", "width": 1, "dash": "dot"},
                           "hoverinfo": "skip", "name": "Baslinje (snitt 8 kv.)",
                           "legendgroup": "baslinje", "showlegend": "baslinje" not in shown,
                           "xaxis": xa, "yaxis": ya})
            shown.add("baslinje")
        traces.append({"type": "scatter", "x": quarters, "y": [p.value for p in points],
                       "mode": "lines", "name": name, "showlegend": False,
                       "line": {"color": colours[name], "width": spec.line * 0.85},
                       "hovertext": hover, "hoverinfo": "text", "connectgaps": False,
                       "xaxis": xa, "yaxis": ya})
        hidden = [(q, p.text, h) for q, p, h in zip(quarters, points, hover, strict=True)
                  if p.hidden]
        if hidden:
            marks = hidden_marks([h[0] for h in hidden], [h[1] for h in hidden],
                                  [h[2] for h in hidden], ctx, spec, counts, (xa, ya),
                                  legend="supp" not in shown)
            if marks:
                shown.add("supp")
                # The '<5' text stands above its mark: keep room for it at the top.
                drawn = [num(v) for c in extras if c != signal for v in more[c]]
                drawn += [p.value for p in points]
                top = max([v for v in drawn if v is not None] + [0.0])
                if top < ctx.threshold * 1.5:
                    layout[f"yaxis{n if n > 1 else ''}"]["range"] = [0, ctx.threshold * 1.5]
            traces += marks
        if signal:
            rings = [(q, p.value) for q, p, f in zip(quarters, points, more[signal],
                                                     strict=True)
                     if f is not None and not pd.isna(f) and bool(f) and p.value is not None]
            if rings:
                traces.append({
                    "type": "scatter", "x": [r_[0] for r_ in rings],
                    "y": [r_[1] for r_ in rings], "mode": "markers",
                    "name": "Ovanligt kvartal", "legendgroup": "signal",
                    "showlegend": "signal" not in shown, "hoverinfo": "text",
                    "hovertext": [f"{name}<br>{r_[0]}: ovanligt" for r_ in rings],
                    "marker": {"symbol": "circle-open", "size": spec.marker + 6,
                               "color": SIGNAL_COLOUR, "line": {"width": 2}},
                    "xaxis": xa, "yaxis": ya})
                shown.add("signal")
        b_shapes, _ = break_shapes(quarters, breaks, xref=xa, yref=f"{ya} domain",
                                    label=False)
        shapes += b_shapes
    fig_height = max(spec.height, 150 + 175 * rows) if style == "screen" else spec.height
    legend_room = round(spec.font * 2.4)
    plot_height = fig_height - spec.margin_top - spec.margin_bottom - legend_room
    layout.update(annotations=notes, shapes=shapes,
                  margin={"b": spec.margin_bottom + legend_room},
                  legend={"orientation": "h", "x": 0, "xanchor": "left",
                          "y": -(spec.font * 2.2) / max(plot_height, 1), "yanchor": "top"})
    ctx = ctx.with_extra("Egen skala i varje delfigur")
    fig = assemble(traces, layout, ctx, what, style, legend=bool(shown), height=fig_height,
                  source_shift=spec.source_shift + legend_room)
    fig.layout.meta = {**fig.layout.meta, "lagesbild_legend_below": True}
    return add_events(fig, events, style)


