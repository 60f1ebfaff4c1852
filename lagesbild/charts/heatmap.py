"""A category × quarter (or category × category) grid of counts; hidden cells grey, missing
deliveries framed orange."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from lagesbild.charts.context import ChartContext
from lagesbild.charts.figure import assemble, empty_figure
from lagesbild.charts.points import in_order, ordered_quarters, quarter_axis, read_points
from lagesbild.charts.theme import (
    MISSING_COLOUR,
    SEQUENTIAL,
    SUPPRESSED_COLOUR,
    Style,
    Trace,
    style_spec,
    text_colour,
)


def heatmap(
    df: pd.DataFrame,
    ctx: ChartContext,
    *,
    what: str,
    x: str = "kvartal",
    y: str = "omrade",
    value: str = "antal",
    label: str | None = "visas",
    suppressed: str | None = "undertryckt",
    y_order: Sequence[str] | None = None,
    colour_title: str = "Antal",
    missing: pd.DataFrame | None = None,
    missing_text: str = "saknas",
    style: Style = "screen",
) -> go.Figure:
    """A y × quarter grid of counts; hidden cells grey with '<5' (or '..').

    `missing` (columns x and y) marks cells where a value is expected but absent (e.g. a
    partner that has not reported): an orange frame with `missing_text`.
    """
    if df.empty and (missing is None or missing.empty):
        return empty_figure(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    all_x = list(df[x]) + (list(missing[x]) if missing is not None else [])
    all_y = list(df[y].astype(str)) + (list(missing[y].astype(str)) if missing is not None
                                       else [])
    xs = ordered_quarters(all_x) if x == "kvartal" else list(dict.fromkeys(map(str, all_x)))
    ys = in_order(all_y, y_order)  # top to bottom
    points = read_points(df, value, label, suppressed, 0, ctx)
    cell = {(str(a), str(b)): p for a, b, p in zip(df[x], df[y], points, strict=True)}
    z, z_hidden, text, hover = [], [], [], []
    for yy in ys:
        row_z: list[float | None]
        row_h: list[int | None]
        row_z, row_h, row_t, row_hover = [], [], [], []
        for xx in xs:
            p = cell.get((xx, yy))
            if p is None:
                row_z.append(None)
                row_h.append(None)
                row_t.append("")
                row_hover.append(f"{yy}, {xx}: –")
            elif p.hidden:
                row_z.append(None)
                row_h.append(1)
                row_t.append(p.text)
                row_hover.append(f"{yy}, {xx}: {p.text} (visas inte)")
            else:
                row_z.append(p.value)
                row_h.append(None)
                row_t.append(p.text)
                row_hover.append(f"{yy}, {xx}: {p.text}")
        z.append(row_z)
        z_hidden.append(row_h)
        text.append(row_t)
        hover.append(row_hover)
    zmax = max((v for row in z for v in row if v is not None), default=1) or 1
    text_x, text_y, text_s, text_c = [], [], [], []
    for yy, row_z, row_t in zip(ys, z, text, strict=True):
        for xx, v, t in zip(xs, row_z, row_t, strict=True):
            if t:
                text_x.append(xx)
                text_y.append(yy)
                text_s.append(t)
                text_c.append(text_colour(v, zmax))
    traces: list[Trace] = [{
        "type": "heatmap", "x": xs, "y": ys, "z": z, "hovertext": hover, "hoverinfo": "text",
        "colorscale": SEQUENTIAL, "xgap": 2, "ygap": 2, "zmin": 0, "zmax": zmax,
        "colorbar": {"title": {"text": colour_title}, "thickness": 12, "len": 0.8,
                     "tickformat": ",d"},
        "textfont": {"size": spec.font - 2}, "name": "", "showlegend": False,
    }]
    if any(v for row in z_hidden for v in row):
        traces.append({
            "type": "heatmap", "x": xs, "y": ys, "z": z_hidden, "hovertext": hover,
            "hoverinfo": "text",
            "colorscale": [[0, SUPPRESSED_COLOUR], [1, SUPPRESSED_COLOUR]],
            "showscale": False, "xgap": 2, "ygap": 2, "zmin": 0, "zmax": 1,
            "textfont": {"size": spec.font - 2, "color": "#333333"},
            "name": f"Under {ctx.threshold}", "showlegend": False,
        })
    has_missing = missing is not None and len(missing) > 0
    if has_missing:
        assert missing is not None
        gaps = {(str(a), str(b)) for a, b in zip(missing[x], missing[y], strict=True)}
        z_missing = [[1 if (xx, yy) in gaps else None for xx in xs] for yy in ys]
        traces.append({
            "type": "heatmap", "x": xs, "y": ys, "z": z_missing, "zmin": 0, "zmax": 1,
            "colorscale": [[0, MISSING_COLOUR], [1, MISSING_COLOUR]], "showscale": False,
            "xgap": 2, "ygap": 2, "hoverinfo": "text", "name": "Rapport saknas",
            "hovertext": [[f"{yy}, {xx}: {missing_text}" for xx in xs] for yy in ys],
        })
        text_x += [g[0] for g in sorted(gaps) if g[0] in xs and g[1] in ys]
        text_y += [g[1] for g in sorted(gaps) if g[0] in xs and g[1] in ys]
        text_s += [missing_text] * (len(text_x) - len(text_s))
        text_c += ["#7A3A00"] * (len(text_x) - len(text_c))
        # A legend entry for the orange cells (heat maps have none).
        traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers",
                       "marker": {"symbol": "square", "size": 12, "color": MISSING_COLOUR},
                       "name": "Rapport saknas"})
    traces.append({"type": "scatter", "x": text_x, "y": text_y, "text": text_s,
                   "mode": "text", "textfont": {"size": spec.font - 2, "color": text_c},
                   "hoverinfo": "skip", "showlegend": False})
    x_axis: dict[str, object] = quarter_axis(xs) if x == "kvartal" else {"type": "category"}
    x_axis.update(showgrid=False, side="bottom")
    layout = {
        "xaxis": x_axis,
        "yaxis": {"type": "category", "categoryorder": "array",
                  "categoryarray": list(reversed(ys)), "automargin": True,
                  "ticksuffix": " ", "showgrid": False},
        "plot_bgcolor": "white",
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0,
                   "yanchor": "bottom"},
    }
    height = max(spec.height, 150 + 27 * len(ys)) if style == "screen" else spec.height
    return assemble(traces, layout, ctx, what, style, legend=has_missing, height=height)


