"""Horizontal bars by category: ranked counts or rates (`ranked_bar`), 100 % shares
(`stacked_shares`), the consultation-forum funnel per sector (`funnel_chart`) and two
measures side by side (`paired_bars`). Hidden values are grey and hatched (or left out), never
drawn as 0."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from lagesbild.charts.context import ChartContext
from lagesbild.charts.figure import assemble, empty_figure
from lagesbild.charts.points import in_order, read_points, read_series
from lagesbild.charts.theme import (
    GREY,
    HATCH,
    OKABE_ITO,
    SUPPRESSED_COLOUR,
    SUPPRESSED_LINE,
    UNKNOWN_VALUES,
    Style,
    Trace,
    colour_map,
    style_spec,
)
from lagesbild.domain.formatting import fmt_number


# -- ranked horizontal bar ---------------------------------------------------------------------
def ranked_bar(
    df: pd.DataFrame,
    ctx: ChartContext,
    *,
    what: str,
    category: str = "omrade",
    value: str = "antal",
    label: str | None = "visas",
    suppressed: str | None = "undertryckt",
    x_title: str = "Antal rapporter",
    decimals: int = 0,
    colour: str | None = None,
    muted: Iterable[str] = (),
    style: Style = "screen",
) -> go.Figure:
    """Categories ranked by value, largest on top; hidden categories last, grey, '<5'.
    Categories in `muted` (and unknowns) are drawn grey, e.g. Digitalt and Okänt among
    districts."""
    if df.empty:
        return empty_figure(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    names = [str(c) for c in df[category]]
    points = read_points(df, value, label, suppressed, decimals, ctx)
    shown = sorted([(n, p) for n, p in zip(names, points, strict=True) if not p.hidden],
                   key=lambda item: (item[1].value is None, -(item[1].value or 0)))
    hidden = sorted([(n, p) for n, p in zip(names, points, strict=True) if p.hidden])
    order = [n for n, _ in shown] + [n for n, _ in hidden]  # top to bottom
    colours = colour_map(order, category)
    muted = set(muted) | UNKNOWN_VALUES
    bar_colours = [GREY if n in muted else colour or (colours[n] if category == "form"
                                                      else OKABE_ITO["blue"])
                   for n, _ in shown]
    traces: list[Trace] = [{
        "type": "bar", "orientation": "h", "y": [n for n, _ in shown],
        "x": [p.value for _, p in shown], "marker": {"color": bar_colours},
        "text": [p.text for _, p in shown], "textposition": "outside", "cliponaxis": False,
        "name": "", "showlegend": False, "hoverinfo": "text",
        "hovertext": [f"{n}: {p.text}" for n, p in shown],
        "textfont": {"size": spec.font - 1},
    }]
    if hidden:
        length = ctx.threshold if value == "antal" else None
        traces.append({
            "type": "bar", "orientation": "h", "y": [n for n, _ in hidden],
            "x": [length if (length and p.text.startswith("<")) else 0 for _, p in hidden],
            "name": f"Under {ctx.threshold} eller dolt (visas inte)",
            "marker": {"color": SUPPRESSED_COLOUR, "line": {"color": SUPPRESSED_LINE,
                                                            "width": 1},
                       "pattern": HATCH},
            "text": [p.text for _, p in hidden], "textposition": "outside",
            "cliponaxis": False, "hoverinfo": "text",
            "hovertext": [f"{n}: {p.text} (visas inte)" for n, p in hidden],
            "textfont": {"size": spec.font - 1, "color": SUPPRESSED_LINE},
        })
    layout = {
        "yaxis": {"type": "category", "categoryorder": "array",
                  "categoryarray": list(reversed(order)), "automargin": True,
                  "ticksuffix": " "},
        "xaxis": {"title": {"text": x_title}, "rangemode": "tozero", "showgrid": True,
                  "tickformat": ",d" if not decimals else ",.1f"},
        "bargap": 0.25, "barmode": "overlay",
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0,
                   "yanchor": "bottom"},
    }
    height = max(spec.height, 150 + 26 * len(order)) if style == "screen" else spec.height
    return assemble(traces, layout, ctx, what, style, legend=bool(hidden), height=height)


# -- shares --------------------------------------------------------------------------------------
def stacked_shares(
    df: pd.DataFrame,
    ctx: ChartContext,
    *,
    what: str,
    group: str = "form",
    category: str = "kon",
    share: str = "andel",
    label: str | None = "visas",
    suppressed: str | None = "undertryckt",
    category_order: Sequence[str] | None = None,
    group_order: Sequence[str] | None = None,
    unknown_note: dict[str, str] | None = None,
    x_title: str = "Andel där uppgiften är känd (%)",
    style: Style = "screen",
) -> go.Figure:
    """Horizontal 100 % bars: per `group`, the share (per cent) of each `category`.

    Rows of an unknown category (Okänt/Okänd) are drawn grey and hatched at the end of the
    bar when they carry a share. Hidden shares are not drawn. `unknown_note` maps a group
    to a text shown right of its bar (e.g. 'kön okänt: 57 av 323').
    """
    if df.empty:
        return empty_figure(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    groups = in_order(df[group].astype(str), group_order)
    cats = in_order(df[category].astype(str), category_order)
    cats = [c for c in cats if c not in UNKNOWN_VALUES] + [c for c in cats
                                                             if c in UNKNOWN_VALUES]
    colours = colour_map([c for c in cats if c not in UNKNOWN_VALUES], category)
    traces: list[Trace] = []
    for cat in cats:
        part = df[df[category].astype(str) == cat]
        count_text = dict(zip(part[group].astype(str),
                              part[label] if label and label in part else [""] * len(part),
                              strict=True))
        points, _ = read_series(part, group, groups, share, None, suppressed, 0, ctx)
        xs = [p.value for p in points]
        unknown = cat in UNKNOWN_VALUES
        traces.append({
            "type": "bar", "orientation": "h", "y": groups, "x": xs, "name": cat,
            "marker": {"color": GREY if unknown else colours[cat],
                       "line": {"color": "white", "width": 0.6},
                       **({"pattern": HATCH} if unknown else {})},
            "text": [None if v is None else f"{fmt_number(v, 0)} %" for v in xs],
            "textposition": "inside", "insidetextanchor": "middle",
            "textfont": {"size": spec.font - 2},
            "hovertext": [f"{g} – {cat}: "
                          + ("visas inte" if v is None else f"{fmt_number(v, 1)} %")
                          + (f" ({count_text.get(g)})" if count_text.get(g) else "")
                          for g, v in zip(groups, xs, strict=True)],
            "hoverinfo": "text",
        })
    notes = []
    for g in groups:
        if unknown_note and g in unknown_note:
            notes.append({"x": 1, "xref": "paper", "y": g, "yref": "y",
                          "text": unknown_note[g], "showarrow": False, "xanchor": "left",
                          "xshift": 8, "font": {"size": spec.font - 2, "color": "#555555"}})
    layout = {
        "barmode": "stack", "bargap": 0.3,
        "uniformtext": {"minsize": spec.font - 4, "mode": "hide"},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0,
                   "yanchor": "bottom", "traceorder": "normal"},
        "yaxis": {"type": "category", "categoryorder": "array",
                  "categoryarray": list(reversed(groups)), "automargin": True,
                  "ticksuffix": " "},
        "xaxis": {"title": {"text": x_title}, "ticksuffix": " %", "showgrid": True,
                  "range": [0, 100]},
        "annotations": notes,
    }
    if notes:
        assert unknown_note is not None
        longest = max(len(unknown_note[g]) for g in groups if g in unknown_note)
        layout["margin"] = {"r": min(360, 16 + round(longest * spec.font * 0.52))}
    height = max(spec.height, 160 + 34 * len(groups)) if style == "screen" else spec.height
    return assemble(traces, layout, ctx, what, style, legend=True, height=height)


# -- funnel by sector ------------------------------------------------------------------------------
def funnel_chart(
    df: pd.DataFrame,
    ctx: ChartContext,
    *,
    what: str,
    stage: str = "steg",
    group: str = "verksamhet",
    value: str = "antal",
    label: str | None = "visas",
    suppressed: str | None = "undertryckt",
    stage_order: Sequence[str] | None = None,
    group_order: Sequence[str] | None = None,
    x_title: str = "Antal rapporter",
    style: Style = "screen",
) -> go.Figure:
    """Per `group` (e.g. sector) the number of reports at each `stage` of the funnel
    (all reports → brought to the consultation forum), as grouped horizontal bars; hidden
    values are grey hatched bars labelled '<5'."""
    if df.empty:
        return empty_figure(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    stages = in_order(df[stage].astype(str), stage_order)
    groups = in_order(df[group].astype(str), group_order)
    shades = ["#9ECAE1", "#08519C", "#E69F00", "#009E73"]
    traces: list[Trace] = []
    any_hidden = False
    # Horizontal groups are drawn bottom-up: add the stages in reverse so that the first
    # stage is on top, and list them in the legend in their own order.
    for i, name in reversed(list(enumerate(stages))):
        part = df[df[stage].astype(str) == name]
        points, _ = read_series(part, group, groups, value, label, suppressed, 0, ctx)
        colour = shades[i % len(shades)]
        xs: list[float | None]
        xs, colours, patterns = [], [], []
        for p in points:
            if p.hidden:
                any_hidden = True
                xs.append(ctx.threshold if p.text.startswith("<") else 0)
                colours.append(SUPPRESSED_COLOUR)
                patterns.append("/")
            else:
                xs.append(p.value)
                colours.append(colour)
                patterns.append("")
        traces.append({
            "type": "bar", "orientation": "h", "y": groups, "x": xs, "name": name,
            "marker": {"color": colours, "pattern": {"shape": patterns,
                                                     "fgcolor": SUPPRESSED_LINE, "size": 5}},
            "text": [p.text for p in points], "textposition": "outside", "cliponaxis": False,
            "textfont": {"size": spec.font - 2},
            "hovertext": [f"{g} – {name}: {p.text}" for g, p in zip(groups, points,
                                                                    strict=True)],
            "hoverinfo": "text", "offsetgroup": str(i),
        })
    layout = {
        "barmode": "group", "bargap": 0.22, "bargroupgap": 0.04,
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0,
                   "yanchor": "bottom", "traceorder": "reversed"},
        "yaxis": {"type": "category", "categoryorder": "array",
                  "categoryarray": list(reversed(groups)), "automargin": True,
                  "ticksuffix": " "},
        "xaxis": {"title": {"text": x_title}, "rangemode": "tozero", "tickformat": ",d"},
    }
    if any_hidden:
        layout["annotations"] = [{
            "text": f"Grå streckad stapel: under {ctx.threshold} eller dolt, visas inte",
            "x": 1, "y": 1.0, "xref": "paper", "yref": "paper", "xanchor": "right",
            "yanchor": "bottom", "showarrow": False,
            "font": {"size": spec.font - 3, "color": SUPPRESSED_LINE}}]
    height = max(spec.height, 150 + 15 * len(groups) * max(len(stages), 1)) \
        if style == "screen" else spec.height
    return assemble(traces, layout, ctx, what, style, legend=True, height=height)


# -- two measures side by side ---------------------------------------------------------------------
@dataclass(frozen=True)
class Bars:
    """One measure of `paired_bars`: its column, legend name, colour and the hover text of
    each row (which says what a missing value means)."""

    column: str
    name: str
    colour: str
    texts: Sequence[str]


def paired_bars(
    df: pd.DataFrame,
    ctx: ChartContext,
    *,
    what: str,
    category: str,
    bars: Sequence[Bars],
    x_title: str = "Procent",
    style: Style = "screen",
) -> go.Figure:
    """Per `category` (top to bottom in the order of `df`), one bar for each measure, e.g. a
    sector's share of the concern reports beside its share of the training participants. A
    missing (hidden) value has no bar; its hover text says why."""
    if df.empty:
        return empty_figure(ctx, what, style, "Inga uppgifter för urvalet.")
    spec = style_spec(style)
    names = [str(n) for n in df[category]]
    traces: list[Trace] = [{
        "type": "bar", "orientation": "h", "y": names, "name": measure.name,
        "x": [None if pd.isna(v) else float(v) for v in df[measure.column]],
        "marker": {"color": measure.colour}, "hovertext": list(measure.texts),
        "hoverinfo": "text+y", "textposition": "none",
    } for measure in reversed(bars)]  # horizontal groups are drawn bottom-up
    layout = {
        "barmode": "group", "bargap": 0.25,
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0,
                   "yanchor": "bottom", "traceorder": "reversed"},
        "yaxis": {"type": "category", "categoryorder": "array",
                  "categoryarray": list(reversed(names)), "automargin": True,
                  "ticksuffix": " "},
        "xaxis": {"title": {"text": x_title}, "rangemode": "tozero", "showgrid": True},
    }
    height = max(spec.height, 150 + 34 * len(names)) if style == "screen" else spec.height
    return assemble(traces, layout, ctx, what, style, legend=True, height=height)
