"""The district map: Umeå's 42 RegSO areas coloured by their district's value, offline (no
tiles), the whole municipality beside the town enlarged, with labels that avoid each other."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from lagesbild.charts.context import ChartContext
from lagesbild.charts.figure import assemble
from lagesbild.charts.geo import area_bounds, district_centroids, map_geojson
from lagesbild.charts.points import Point, read_points
from lagesbild.charts.theme import (
    SEQUENTIAL,
    SUPPRESSED_COLOUR,
    Style,
    Trace,
    style_spec,
    text_colour,
)
from lagesbild.domain.codelists import areas as all_areas


def label_positions(points: list[tuple[float, float]], names: Sequence[str] | None = None,
                     panel: tuple[float, float] = (700.0, 420.0),
                     font: float = 11.0,
                     bounds: tuple[float, float, float, float] | None = None) -> list[str]:
    """'middle center' unless a label's box would overlap another one's: then the higher of
    the two goes up and the lower one down.

    The boxes are estimated in the map's own units: the panel (`panel`, its size in pixels)
    is fitted to `bounds` (west, south, east, north; default: the points' extent padded
    for the outlines around them), a
    character is about 0.6 × `font` pixels wide and a label two lines high. Latitude is
    stretched by 1/cos(latitude) as in the Mercator projection."""
    if not points:
        return []
    names = list(names) if names is not None else ["xxxxxxxx"] * len(points)
    mid = math.cos(math.radians(sum(p[1] for p in points) / len(points)))
    xs = [p[0] for p in points]
    ys = [p[1] / mid for p in points]
    if bounds is not None:
        span_x = (bounds[2] - bounds[0]) or 0.1
        span_y = (bounds[3] - bounds[1]) / mid or 0.1
    else:
        span_x = (max(xs) - min(xs)) * 1.5 or 0.1
        span_y = (max(ys) - min(ys)) * 1.5 or 0.1
    unit = max(span_x / panel[0], span_y / panel[1])  # map units per pixel
    char, line = 0.6 * font * unit, 1.3 * font * unit
    widths = [max(len(names[i]), 4) * char for i in range(len(points))]
    positions = ["middle center"] * len(points)
    for i in range(len(points)):
        for j in range(i + 1, len(points)):
            if abs(xs[i] - xs[j]) >= (widths[i] + widths[j]) / 2:
                continue
            if abs(ys[i] - ys[j]) >= 2 * line:
                continue
            upper, lower = (i, j) if ys[i] >= ys[j] else (j, i)
            if positions[upper] != "bottom center" and positions[lower] != "top center":
                positions[upper], positions[lower] = "top center", "bottom center"
    return positions



# Districts outside the town: left out when the map zooms to the town.
RURAL_DISTRICTS = frozenset({"Landsbygd", "Holmsund", "Hörnefors", "Sävar"})


def district_map(
    df: pd.DataFrame,
    ctx: ChartContext,
    *,
    what: str,
    district: str = "omrade",
    value: str = "antal",
    label: str | None = "visas",
    suppressed: str | None = "undertryckt",
    colour_title: str = "Antal",
    decimals: int = 0,
    areas: Sequence[Any] | None = None,
    show_labels: bool = True,
    town_inset: bool = True,
    style: Style = "screen",
) -> go.Figure:
    """Umeå's 42 RegSO areas, each coloured by its district's value.

    Offline: no tile server, only the GeoJSON outlines (`geo.visible=False`). Districts whose
    value is hidden are grey and labelled '<5'; districts not in `df` have no reports (0);
    districts with a row but no value (e.g. no population for a rate) are white, '–'. With
    `town_inset` the whole municipality is on the left and the town, enlarged, on the right
    (the town's districts are too small to read at the scale of the municipality).
    """

    spec = style_spec(style)
    areas = list(areas or all_areas())
    points = read_points(df, value, label, suppressed, decimals, ctx)
    by_district = {str(d): p for d, p in zip(df[district], points, strict=True)}
    no_value = Point(0.0, "0", False)
    shown = [by_district.get(a.district, no_value) for a in areas]
    zmax = max([p.value for p in shown if p.value is not None] + [0]) or 1
    panels = [("geo", areas, (0.0, 0.33) if town_inset else (0.0, 1.0))]
    if town_inset:
        town = [a for a in areas if a.district not in RURAL_DISTRICTS]
        panels.append(("geo2", town, (0.36, 1.0)))
    # Each map panel starts with a Scattergeo without locations: plotly.js decides whether to
    # fetch its world map (topojson, from a CDN) by looking at the first trace of a panel
    # only, and a choropleth with GeoJSON would make it fetch. Offline that fetch fails and
    # nothing is drawn; with a Scattergeo first, no request is made.
    traces: list[Trace] = [{"type": "scattergeo", "geo": geo, "lon": [], "lat": [],
                            "mode": "markers", "showlegend": False, "hoverinfo": "skip"}
                           for geo, _, _ in panels]
    labels: list[Trace] = []
    legend_done: set[str] = set()
    layout: dict[str, Any] = {
        "coloraxis": {"colorscale": SEQUENTIAL, "cmin": 0, "cmax": zmax,
                      "colorbar": {"title": {"text": colour_title}, "thickness": 12,
                                   "len": 0.7,
                                   "tickformat": ",d" if not decimals else ",.1f"}},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 0,
                   "yanchor": "bottom"},
    }
    height = 520 if style == "screen" else spec.height
    for geo, members, (x0, x1) in panels:
        groups: dict[str, tuple[list[str], list[float], list[str]]] = {
            "shown": ([], [], []), "hidden": ([], [], []), "none": ([], [], [])}
        for area in members:
            p = by_district.get(area.district, no_value)
            key = "hidden" if p.hidden else "none" if p.value is None else "shown"
            codes, zs, hovers = groups[key]
            codes.append(area.code)
            zs.append(p.value if p.value is not None else 1.0)
            hovers.append(f"<b>{area.district}</b><br>{area.name} ({area.code})<br>"
                          f"{colour_title}: {p.text}" + (" (visas inte)" if p.hidden else ""))
        codes, zs, hovers = groups["shown"]
        if codes:
            traces.append({
                "type": "choropleth", "geo": geo, "geojson": map_geojson(codes),
                "featureidkey": "properties.regsokod", "locations": codes, "z": zs,
                "coloraxis": "coloraxis", "marker": {"line": {"color": "white", "width": 0.7}},
                "hovertext": hovers, "hoverinfo": "text", "name": "", "showlegend": False,
            })
        for key, colour, name in (("hidden", SUPPRESSED_COLOUR,
                                   f"Under {ctx.threshold} (visas inte)"),
                                  ("none", "#FFFFFF", "Inget värde")):
            codes, _zs, hovers = groups[key]
            if codes:
                traces.append({
                    "type": "choropleth", "geo": geo, "geojson": map_geojson(codes),
                    "featureidkey": "properties.regsokod", "locations": codes,
                    "z": [1] * len(codes), "colorscale": [[0, colour], [1, colour]],
                    "showscale": False, "hovertext": hovers, "hoverinfo": "text",
                    "name": name, "legendgroup": key, "showlegend": key not in legend_done,
                    "marker": {"line": {"color": "#888888" if key == "none" else "white",
                                        "width": 0.7}},
                })
                legend_done.add(key)
        layout[geo] = {"visible": False, "projection": {"type": "mercator"},
                       "fitbounds": "locations", "bgcolor": "rgba(0,0,0,0)",
                       "domain": {"x": [x0, x1], "y": [0.06, 1.0]}}
        if show_labels:
            in_panel = [a for a in members
                        if geo == "geo2" or not town_inset or a.district in RURAL_DISTRICTS]
            cents = district_centroids(in_panel)
            names = list(cents)
            texts = [f"{n}<br><b>{by_district.get(n, no_value).text}</b>" for n in names]
            colours = [text_colour(by_district.get(n, no_value).value, zmax) for n in names]
            spots = [cents[n] for n in names]
            plot_w = (spec.width or 1100) - 2 * spec.margin_side
            plot_h = height - spec.margin_top - spec.margin_bottom
            panel = (plot_w * (x1 - x0), plot_h * 0.94)
            labels.append({
                "type": "scattergeo", "geo": geo, "lon": [c[0] for c in spots],
                "lat": [c[1] for c in spots], "mode": "text", "text": texts,
                "textposition": label_positions(
                    spots, names, panel, spec.font - 2,
                    area_bounds(a.code for a in members)),
                "hoverinfo": "skip", "showlegend": False,
                # a halo in the contrasting colour: readable where a label runs over a
                # lighter or darker neighbour
                "textfont": {"size": spec.font - 2, "color": colours, "shadow": "auto"},
            })
    if town_inset:
        layout["annotations"] = [
            {"text": "Hela kommunen", "x": 0.0, "y": 1.0, "xref": "paper", "yref": "paper",
             "xanchor": "left", "yanchor": "bottom", "showarrow": False,
             "font": {"size": spec.font, "color": "#333333"}},
            {"text": "Tätorten", "x": 0.36, "y": 1.0, "xref": "paper", "yref": "paper",
             "xanchor": "left", "yanchor": "bottom", "showarrow": False,
             "font": {"size": spec.font, "color": "#333333"}},
        ]
    return assemble(traces + labels, layout, ctx, what, style, legend=bool(legend_done),
                   height=height)


