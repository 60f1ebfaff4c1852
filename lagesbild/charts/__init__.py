"""Plotly figures for the dashboard and the exports. No Streamlit here.

Every builder takes a disclosure-controlled DataFrame from `lagesbild.numbers.indicators` and
returns a `plotly.graph_objects.Figure` that follows the same conventions:

* a title that says what and when ("Rapporter per form av extremism, 2025K1–2026K3"), a
  subtitle with the active filters and n, and a source line at the bottom with the date of
  the data and the disclosure rule;
* hidden values (column `undertryckt`; shown as "<5", or ".." when hidden to protect another
  cell) are never drawn as 0: bars are grey and hatched, cells and map areas grey, points
  left out of the line with a grey "<5" mark below the threshold line;
* one colour per form of extremism everywhere (`FORM_COLOURS`, Okabe–Ito, colour-blind safe,
  grey for "Ej bedömd");
* Swedish number formats (`separators=", "`) and quarters written 2026K3;
* `style="screen"` for the dashboard, `style="slide"` (16:9, large type) for presentations;
  `apply_slide_style(fig)` turns a finished figure into a slide figure.

The builders assemble plain dicts and construct the Figure once (building it trace by trace
with `add_trace`/`update_*` is several times slower).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Literal, Protocol, runtime_checkable

import pandas as pd
import plotly.graph_objects as go

from lagesbild.domain import config
from lagesbild.domain.config import DISCLOSURE_NOTE
from lagesbild.domain.formatting import fmt_int, fmt_number
from lagesbild.domain.periods import parse_quarter
from lagesbild.domain.text import literal_html

Style = Literal["screen", "slide"]
Trace = dict[str, Any]

# -- colours -------------------------------------------------------------------------------
# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common form of
# colour blindness. One colour per form of extremism, the same in every figure.
OKABE_ITO = {
    "blue": "#0072B2", "vermillion": "#D55E00", "green": "#009E73", "purple": "#CC79A7",
    "orange": "#E69F00", "black": "#000000", "sky": "#56B4E9", "yellow": "#F0E442",
}
GREY = "#999999"
FORM_COLOURS: dict[str, str] = {
    "Högerextremism": OKABE_ITO["blue"],
    "Vänsterextremism": OKABE_ITO["vermillion"],
    "Islamistisk extremism": OKABE_ITO["green"],
    "Misogyn extremism": OKABE_ITO["purple"],
    "Konspirationsteoretisk/antistatlig": OKABE_ITO["orange"],
    "Våldsfixering utan ideologi": OKABE_ITO["black"],
    "Blandad eller oklar ideologi": OKABE_ITO["sky"],
    "Annan": OKABE_ITO["yellow"],
    "Ej bedömd": GREY,
}
# For other breakdowns (event type, sector, …): Okabe–Ito, then Paul Tol's "muted" scheme
# (also colour-blind safe) when there are more than eight categories.
CATEGORY_PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
    "#AA4499",
)
# Values that mean "not known": always grey.
UNKNOWN_VALUES = frozenset({"Okänt", "Okänd", "Ej bedömd", "Ej angivet"})
SUPPRESSED_COLOUR = "#D0D0D0"
SUPPRESSED_LINE = "#6E6E6E"
SIGNAL_COLOUR = "#000000"
MISSING_COLOUR = "#F6C97A"  # a light Okabe–Ito orange: an expected report is missing
# Sequential scale for heat maps and maps: light to dark blue (monotone in lightness).
SEQUENTIAL: list[tuple[float, str]] = [
    (0.0, "#F7FBFF"), (0.15, "#DEEBF7"), (0.3, "#C6DBEF"), (0.45, "#9ECAE1"),
    (0.6, "#6BAED6"), (0.75, "#3182BD"), (0.9, "#08519C"), (1.0, "#08306B"),
]
HATCH = {"shape": "/", "fgcolor": SUPPRESSED_LINE, "size": 6, "solidity": 0.3}

FIELD_LABELS = {
    "kvartal": "Kvartal", "ar": "År", "omrade": "Område", "regso": "RegSO-område",
    "form": "Form", "handelse": "Händelsetyp", "verksamhet": "Verksamhet",
    "rapporttyp": "Rapporttyp", "kon": "Kön", "aldersgrupp": "Åldersgrupp",
    "konsultation": "Konsultationsforum", "partner": "Partner",
}
# A small template instead of "plotly_white": plotly deep-copies the template into every
# figure, and the built-in ones are large (about 100 ms per figure).
_AXIS = {"gridcolor": "#E5E5E5", "linecolor": "#BDBDBD", "zerolinecolor": "#D0D0D0",
         "zerolinewidth": 1, "ticks": "", "automargin": True, "title": {"standoff": 10}}
TEMPLATE = {"layout": {
    "paper_bgcolor": "white", "plot_bgcolor": "white", "colorway": list(CATEGORY_PALETTE),
    "xaxis": _AXIS, "yaxis": _AXIS, "hovermode": "closest",
    "hoverlabel": {"align": "left"}, "geo": {"bgcolor": "white"},
}}
# A CSS font-family list: names that are not plain identifiers ("Source Sans 3" ends in a
# number) must be quoted, or the browser drops the whole list and falls back to its default.
_FONT = ('"Source Sans Pro", "Source Sans 3", "DejaVu Sans", "Liberation Sans", Arial, '
         'sans-serif')


# -- styles --------------------------------------------------------------------------------
@dataclass(frozen=True)
class StyleSpec:
    width: int | None
    height: int
    font: int
    title: int
    subtitle: int
    source: int
    margin_top: int
    margin_bottom: int
    margin_side: int
    source_shift: int  # pixels below the plot area for the source line
    line: float
    marker: int


STYLES: dict[str, StyleSpec] = {
    "screen": StyleSpec(None, 440, 13, 18, 13, 11, 92, 96, 16, 62, 2.5, 7),
    "slide": StyleSpec(1600, 900, 22, 34, 22, 17, 150, 150, 40, 105, 4.5, 12),
}


def style_spec(style: str) -> StyleSpec:
    if style not in STYLES:
        raise ValueError(f"Okänd stil {style!r}: välj 'screen' eller 'slide'.")
    return STYLES[style]


# -- context: the what, when, which and how many of a figure ---------------------------------
@dataclass(frozen=True)
class ChartContext:
    """What every figure says about itself: period, filters, n, data date, disclosure rule."""

    period: str = ""  # "2025K1–2026K3"
    filters: str = ""  # "Område: Centrum, Teg · Rapporttyp: Oro"
    n: int | None = None  # reports behind the figure (shown disclosure-controlled)
    data_as_of: dt.date | dt.datetime | None = None
    threshold: int = 5
    extra: tuple[str, ...] = field(default=())  # more subtitle parts

    def with_n(self, n: int | None) -> ChartContext:
        return replace(self, n=n)

    def with_extra(self, *parts: str) -> ChartContext:
        return replace(self, extra=self.extra + tuple(p for p in parts if p))

    @property
    def small(self) -> str:
        return f"<{self.threshold}"


def period_label(first: str | None, last: str | None) -> str:
    """'2025K1–2026K3', or one quarter when first == last, or '' when unknown."""
    if first and last:
        return first if first == last else f"{first}–{last}"
    return first or last or ""


@runtime_checkable
class ActiveFilters(Protocol):
    """A `query.Filters` as seen here: its active dimension filters."""

    def active(self) -> Mapping[str, tuple[str, ...]]: ...


def describe_filters(filters: ActiveFilters | Mapping[str, Sequence[str]] | None,
                     max_values: int = 4) -> str:
    """The active dimension filters of a `query.Filters` (or a dict) in words ('' if none)."""
    active = filters.active() if isinstance(filters, ActiveFilters) else dict(filters or {})
    parts = []
    for name, values in active.items():
        label = FIELD_LABELS.get(name, name)
        shown = ", ".join(values) if len(values) <= max_values else f"{len(values)} valda"
        parts.append(f"{label}: {shown}")
    return " · ".join(parts)


def shown_count(n: int | None, threshold: int) -> str:
    """A count as it may be shown: '1 234', '0', or '<5' below the threshold."""
    if n is None or n is pd.NA:
        return "–"
    n = int(n)
    return f"<{threshold}" if 0 < n < threshold else fmt_int(n)


def source_line(ctx: ChartContext) -> str:
    when = ""
    if ctx.data_as_of is not None:
        day = ctx.data_as_of.date() if isinstance(ctx.data_as_of, dt.datetime) else ctx.data_as_of
        when = f" Data per {day.isoformat()}."
    if ctx.threshold <= 0:  # exact counts (analysts)
        return f"Källa: UmeBrå, partnernas rapporter.{when} Exakta antal – internt."
    return (f"Källa: UmeBrå, partnernas rapporter.{when} "
            f"Värden under {ctx.threshold} visas som <{ctx.threshold}. {DISCLOSURE_NOTE}")


def subtitle(ctx: ChartContext) -> str:
    parts = [ctx.filters or "Alla rapporter"]
    if ctx.n is not None:
        parts.append(f"n = {shown_count(ctx.n, ctx.threshold)}")
    parts.extend(ctx.extra)
    return " · ".join(parts)


def _figure(traces: list[Trace], layout: dict[str, Any], ctx: ChartContext, what: str,
            style: str, *, legend: bool = True, height: int | None = None,
            source_shift: int | None = None) -> go.Figure:
    """Put title, subtitle, source line, fonts and Swedish separators on; build once."""
    spec = style_spec(style)
    title = f"{what}, {ctx.period}" if ctx.period else what
    base: dict[str, Any] = {
        "template": TEMPLATE,
        "separators": ", ",
        "font": {"family": _FONT, "size": spec.font, "color": "#222222"},
        "title": {"text": title, "x": 0, "xref": "paper", "xanchor": "left", "y": 0.985,
                  "yref": "container", "yanchor": "top", "font": {"size": spec.title},
                  "subtitle": {"text": subtitle(ctx),
                               "font": {"size": spec.subtitle, "color": "#555555"}}},
        "margin": {"t": spec.margin_top, "b": spec.margin_bottom, "l": spec.margin_side,
                   "r": spec.margin_side},
        "height": height or spec.height,
        "showlegend": legend,
        "legend": {"orientation": "v", "x": 1.01, "xanchor": "left", "y": 1,
                   "yanchor": "top", "font": {"size": spec.font - 1}, "title": {"text": ""}},
        "hoverlabel": {"font": {"family": _FONT}},
        "meta": {"lagesbild_style": style, "lagesbild_period": ctx.period},
    }
    if spec.width:
        base["width"] = spec.width
    for key, value in layout.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    annotations = list(base.get("annotations", []))
    annotations.append({
        "name": "kalla", "text": source_line(ctx), "showarrow": False, "xref": "paper",
        "yref": "paper", "x": 0, "y": 0, "xanchor": "left", "yanchor": "top",
        "yshift": -(source_shift or spec.source_shift), "align": "left",
        "font": {"size": spec.source, "color": "#666666"},
    })
    base["annotations"] = annotations
    return go.Figure(data=traces, layout=base)


def apply_slide_style(fig: go.Figure) -> go.Figure:
    """A copy of a finished figure restyled for a 16:9 slide (1600×900, large type)."""
    out = go.Figure(fig)
    screen, slide = STYLES["screen"], STYLES["slide"]
    scale = slide.font / screen.font
    out.update_layout(
        width=slide.width, height=slide.height, font_size=slide.font,
        title_font_size=slide.title, title_subtitle_font_size=slide.subtitle,
        margin={"t": slide.margin_top, "b": slide.margin_bottom, "l": slide.margin_side,
                "r": max(slide.margin_side, round((fig.layout.margin.r or 0) * scale))},
        legend_font_size=slide.font - 1,
        meta={**(fig.layout.meta if isinstance(fig.layout.meta, dict) else {}),
              "lagesbild_style": "slide"},
    )
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    source_shift = slide.source_shift
    if meta.get("lagesbild_legend_below"):  # small multiples: the legend between plots
        room = round(slide.font * 2.4)      # and source line, as small_multiples does it
        plot = slide.height - slide.margin_top - slide.margin_bottom - room
        out.update_layout(margin_b=slide.margin_bottom + room,
                          legend_y=-(slide.font * 2.2) / plot)
        source_shift += room
    for name in out.layout.to_plotly_json():
        if name.startswith(("xaxis", "yaxis")):
            axis = out.layout[name]
            if axis.tickfont is not None and axis.tickfont.size:
                axis.tickfont.size = round(axis.tickfont.size * scale)
    for annotation in out.layout.annotations:
        if annotation.name == "kalla":
            annotation.update(yshift=-source_shift, font_size=slide.source)
        elif annotation.name in (EVENT_MARK, EVENT_KEY):
            continue  # scaled below, with their offsets
        else:
            annotation.update(font_size=round((annotation.font.size or screen.font) * scale))
    for trace in out.data:
        if trace.type == "scatter" and trace.line is not None and trace.line.width:
            trace.line.width = trace.line.width * scale * 0.8
        if trace.type in ("scatter", "bar", "heatmap", "scattergeo") and trace.textfont:
            trace.textfont.size = round((trace.textfont.size or screen.font) * scale)
        if trace.type == "scatter" and trace.marker is not None and trace.marker.size:
            trace.marker.size = trace.marker.size * scale * 0.8
    _scale_events(out, scale)
    if not any(a.name == EVENT_KEY for a in out.layout.annotations):
        _event_key(out)
    return out


# -- helpers -------------------------------------------------------------------------------
def colour_map(values: Iterable[str], dimension: str | None = None) -> dict[str, str]:
    """A colour per category: forms use FORM_COLOURS, unknowns grey, others the palette."""
    mapping: dict[str, str] = {}
    palette = iter(CATEGORY_PALETTE * 3)
    for value in values:
        if value in mapping:
            continue
        if dimension == "form" and value in FORM_COLOURS:
            mapping[value] = FORM_COLOURS[value]
        elif value in UNKNOWN_VALUES:
            mapping[value] = GREY
        else:
            mapping[value] = next(palette)
    return mapping


def _quarter_key(label: str) -> tuple[int, int]:
    try:
        return parse_quarter(str(label))
    except ValueError:
        return (9999, 9)


def ordered_quarters(values: Iterable[object]) -> list[str]:
    return sorted({str(v) for v in values}, key=_quarter_key)


def _num(value: float | None) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _order(values: Iterable[str], preferred: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(values))
    if not preferred:
        return present
    ranked = [v for v in preferred if v in present]
    return ranked + [v for v in present if v not in ranked]


def _with_alpha(colour: str, alpha: float) -> str:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


@dataclass(frozen=True)
class _Point:
    value: float | None  # None when hidden or missing
    text: str  # as shown: '12', '<5', '..', '–'
    hidden: bool


def _points(df: pd.DataFrame, value: str, label: str | None, suppressed: str | None,
            decimals: int, ctx: ChartContext) -> list[_Point]:
    """Each row as a point: hidden rows have no value and their display text."""
    hidden = (df[suppressed].fillna(False).astype(bool).tolist()
              if suppressed and suppressed in df else [False] * len(df))
    values = [_num(v) for v in df[value]] if value in df else [None] * len(df)
    if label and label in df:
        texts = ["–" if pd.isna(t) else str(t) for t in df[label]]
    else:
        texts = ["–" if v is None else fmt_number(v, decimals) for v in values]
    out = []
    for v, t, h in zip(values, texts, hidden, strict=True):
        if h and t in ("", "–"):
            t = ctx.small
        out.append(_Point(None if h else v, t, h))
    return out


def _series(df: pd.DataFrame, x: str, xs: Sequence[str], value: str, label: str | None,
            suppressed: str | None, decimals: int, ctx: ChartContext,
            extra: Sequence[str] = ()) -> tuple[list[_Point], dict[str, list[float | None]]]:
    """Points of one series in the order of `xs` (missing x: no value), and extra columns."""
    by_x: dict[str, int] = {str(k): i for i, k in enumerate(df[x])}
    points = _points(df, value, label, suppressed, decimals, ctx)
    columns = {c: (df[c].tolist() if c in df else [None] * len(df)) for c in extra}
    more: dict[str, list[float | None]]
    out, more = [], {c: [] for c in extra}
    for q in xs:
        i = by_x.get(q)
        out.append(points[i] if i is not None else _Point(None, "–", False))
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


def _break_shapes(quarters: Sequence[str], breaks: Iterable[str], xref: str = "x",
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


def _empty(ctx: ChartContext, what: str, style: str, message: str) -> go.Figure:
    layout = {"xaxis": {"visible": False}, "yaxis": {"visible": False},
              "annotations": [{"text": message, "showarrow": False, "x": 0.5, "y": 0.5,
                               "xref": "paper", "yref": "paper",
                               "font": {"size": 16, "color": "#555555"}}]}
    return _figure([], layout, ctx, what, style, legend=False)


def _hidden_marks(xs: list[str], texts: list[str], hovers: list[str], ctx: ChartContext,
                  spec: StyleSpec, counts: bool, axes: tuple[str, str] = ("x", "y"),
                  legend: bool = True) -> list[Trace]:
    """Grey marks for hidden points: '<5' halfway below the threshold when the values are
    counts (never at zero). Points hidden to protect another cell ('..') have no known
    size, and hidden rates no known position: no mark (the line has a gap)."""
    small = [(x, t, h) for x, t, h in zip(xs, texts, hovers, strict=True)
             if t.startswith("<")]
    if not small or not counts:
        return []
    return [{
        "type": "scatter", "x": [s[0] for s in small], "y": [ctx.threshold / 2] * len(small),
        "mode": "markers+text", "text": [s[1] for s in small], "textposition": "top center",
        "textfont": {"color": SUPPRESSED_LINE, "size": spec.font - 3},
        "marker": {"symbol": "line-ew-open", "size": spec.marker + 6, "color": SUPPRESSED_LINE,
                   "line": {"width": 2}},
        "name": f"Under {ctx.threshold}, visas inte", "hovertext": [s[2] for s in small],
        "hoverinfo": "text", "showlegend": legend, "legendgroup": "undertryckt",
        "xaxis": axes[0], "yaxis": axes[1], "cliponaxis": False,
    }]


# -- context events ------------------------------------------------------------------------
EVENT_MARK = "omvarld"  # name of the shapes and annotations of followup.events


def add_events(fig: go.Figure, events: Sequence[Any], style: str | None = None) -> go.Figure:
    """Mark context events [(date, kategori, titel), …] (followup.events.events_for_period)
    on a trend figure, numbered as in `followup.events.event_legend(events)`, sized for the
    figure's style. Screen and export use this same call, so they show the same marks."""
    if not events:
        return fig
    from lagesbild.charts.events import add_event_annotations

    add_event_annotations(fig, events)
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    entries = [f"{i} {day.isoformat()} {_short(str(title))}"
               for i, (day, _category, title) in enumerate(events, start=1)]
    fig.layout.meta = {**meta, "lagesbild_events": entries}
    if (style or meta.get("lagesbild_style")) == "slide":
        _scale_events(fig, STYLES["slide"].font / STYLES["screen"].font)
        _event_key(fig)
    _event_headroom(fig)
    return fig


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


EVENT_KEY = "omvarld_lista"


def _event_key(fig: go.Figure) -> None:
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


def _scale_events(fig: go.Figure, scale: float) -> None:
    """Event labels and lines at `scale` (labels keep their rows apart)."""
    for annotation in fig.layout.annotations:
        if annotation.name == EVENT_MARK:
            annotation.update(font_size=round((annotation.font.size or 11) * scale),
                              yshift=round((annotation.yshift or 0) * scale),
                              xshift=round((annotation.xshift or 0) * scale))
    for shape in fig.layout.shapes:
        if shape.name == EVENT_MARK and shape.line is not None:
            shape.line.width = round((shape.line.width or 1.2) * scale * 0.8, 1)


# -- trend lines / bars ----------------------------------------------------------------------
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
        return _empty(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    quarters = ordered_quarters(df[x])
    groups = _order(df[series].astype(str), order) if series else [""]
    colours = colour_map(groups, series) if series else {"": OKABE_ITO["blue"]}
    band = bool(lower and upper and lower in df and upper in df
                and len(groups) <= band_max_series)
    extras = [c for c in (lower, upper, baseline, signal) if c]
    traces: list[Trace] = []
    marks_x, marks_text, marks_hover = [], [], []
    ring_x, ring_y, ring_hover = [], [], []
    for group in groups:
        part = df if not series else df[df[series].astype(str) == group]
        points, more = _series(part, x, quarters, value, label, suppressed, decimals, ctx,
                               extras)
        colour = colours[group]
        name = group or y_title
        single = len(groups) == 1
        if band:
            assert lower is not None and upper is not None
            traces.append({"type": "scatter", "x": quarters, "y": [_num(v) for v in
                                                                    more[lower]],
                           "mode": "lines", "line": {"width": 0}, "hoverinfo": "skip",
                           "showlegend": False, "legendgroup": name})
            traces.append({
                "type": "scatter", "x": quarters, "y": [_num(v) for v in more[upper]],
                "mode": "lines", "line": {"width": 0}, "fill": "tonexty",
                "fillcolor": _with_alpha(colour if not single else "#000000",
                                         0.13 if not single else 0.09),
                "hoverinfo": "skip", "legendgroup": name,
                "name": "Normalt intervall" if single else f"{name}: normalt intervall",
                "showlegend": single})
            if baseline:
                traces.append({
                    "type": "scatter", "x": quarters, "y": [_num(v) for v in more[baseline]],
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
    traces += _hidden_marks(marks_x, marks_text, marks_hover, ctx, spec, counts)
    if ring_x:
        traces.append({
            "type": "scatter", "x": ring_x, "y": ring_y, "mode": "markers",
            "name": "Ovanligt kvartal", "hovertext": ring_hover, "hoverinfo": "text",
            "marker": {"symbol": "circle-open", "size": spec.marker + 10,
                       "color": SIGNAL_COLOUR, "line": {"width": 2.5}}})
    shapes, notes = _break_shapes(quarters, breaks, font=spec.font - 2)
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
    fig = _figure(traces, layout, ctx, what, style, legend=legend, height=height)
    return add_events(fig, events, style)


# -- small multiples ---------------------------------------------------------------------------
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
        return _empty(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    facets = _order(df[facet].astype(str), order)
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
        points, more = _series(part, x, quarters, value, label, suppressed, decimals, ctx,
                               extras)
        hover = [f"{name}<br>{q}: {p.text}" for q, p in zip(quarters, points, strict=True)]
        if lower and upper:
            traces.append({"type": "scatter", "x": quarters, "y": [_num(v) for v in
                                                                    more[lower]],
                           "mode": "lines", "line": {"width": 0}, "hoverinfo": "skip",
                           "showlegend": False, "xaxis": xa, "yaxis": ya})
            traces.append({"type": "scatter", "x": quarters,
                           "y": [_num(v) for v in more[upper]], "mode": "lines",
                           "line": {"width": 0}, "fill": "tonexty",
                           "fillcolor": "rgba(0, 0, 0, 0.09)", "hoverinfo": "skip",
                           "name": "Normalt intervall", "legendgroup": "band",
                           "showlegend": "band" not in shown, "xaxis": xa, "yaxis": ya})
            shown.add("band")
        if baseline:
            traces.append({"type": "scatter", "x": quarters,
                           "y": [_num(v) for v in more[baseline]], "mode": "lines",
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
            marks = _hidden_marks([h[0] for h in hidden], [h[1] for h in hidden],
                                  [h[2] for h in hidden], ctx, spec, counts, (xa, ya),
                                  legend="supp" not in shown)
            if marks:
                shown.add("supp")
                # The '<5' text stands above its mark: keep room for it at the top.
                drawn = [_num(v) for c in extras if c != signal for v in more[c]]
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
        b_shapes, _ = _break_shapes(quarters, breaks, xref=xa, yref=f"{ya} domain",
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
    fig = _figure(traces, layout, ctx, what, style, legend=bool(shown), height=fig_height,
                  source_shift=spec.source_shift + legend_room)
    fig.layout.meta = {**fig.layout.meta, "lagesbild_legend_below": True}
    return add_events(fig, events, style)


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
        return _empty(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    names = [str(c) for c in df[category]]
    points = _points(df, value, label, suppressed, decimals, ctx)
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
    return _figure(traces, layout, ctx, what, style, legend=bool(hidden), height=height)


# -- heat map ------------------------------------------------------------------------------------
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
        return _empty(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    all_x = list(df[x]) + (list(missing[x]) if missing is not None else [])
    all_y = list(df[y].astype(str)) + (list(missing[y].astype(str)) if missing is not None
                                       else [])
    xs = ordered_quarters(all_x) if x == "kvartal" else list(dict.fromkeys(map(str, all_x)))
    ys = _order(all_y, y_order)  # top to bottom
    points = _points(df, value, label, suppressed, 0, ctx)
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
                text_c.append(_text_colour(v, zmax))
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
    return _figure(traces, layout, ctx, what, style, legend=has_missing, height=height)


# -- map ---------------------------------------------------------------------------------------
@cache
def _geojson_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@cache
def _geojson(path: str) -> dict:
    return json.loads(_geojson_text(path))


def load_geojson(path: str | None = None) -> dict:
    """The RegSO boundaries (read once per process; do not modify the returned dict)."""
    return _geojson(str(path or config.GEOJSON_FILE))


# Outlines are simplified to about 15 m and 5 decimals (1 m) before they go to the browser:
# the full file would make each map figure about 400 kB and slow to send and draw.
MAP_TOLERANCE = 0.00015


def _simplify(ring: list[list[float]], tolerance: float) -> list[list[float]]:
    """Douglas–Peucker on one closed ring (the ends kept), at least four points."""
    if len(ring) <= 5:
        return [[round(x, 5), round(y, 5)] for x, y in ring]
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    stack = [(0, len(ring) - 1)]
    while stack:
        first, last = stack.pop()
        (x0, y0), (x1, y1) = ring[first], ring[last]
        dx, dy = x1 - x0, y1 - y0
        norm = math.hypot(dx, dy) or 1e-12
        best, index = -1.0, -1
        for i in range(first + 1, last):
            x, y = ring[i]
            distance = (abs(dy * x - dx * y + x1 * y0 - y1 * x0) / norm if norm > 1e-12
                        else math.hypot(x - x0, y - y0))
            if distance > best:
                best, index = distance, i
        if index > 0 and best > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    out = [[round(x, 5), round(y, 5)] for (x, y), k in zip(ring, keep, strict=True) if k]
    if len(out) < 4:  # too small to simplify: keep it as it was
        out = [[round(x, 5), round(y, 5)] for x, y in ring]
    return out


@cache
def _simplified_features(path: str) -> dict[str, dict]:
    features = {}
    for feature in _geojson(path)["features"]:
        geometry = feature["geometry"]
        polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                    else geometry["coordinates"])
        simple = [[_simplify(ring, MAP_TOLERANCE) for ring in polygon] for polygon in polygons]
        code = feature["properties"]["regsokod"]
        features[code] = {
            "type": "Feature", "properties": {"regsokod": code},
            "geometry": ({"type": "Polygon", "coordinates": simple[0]}
                         if geometry["type"] == "Polygon"
                         else {"type": "MultiPolygon", "coordinates": simple})}
    return features


def map_geojson(codes: Iterable[str], path: str | None = None) -> dict:
    """A FeatureCollection of the given RegSO areas with simplified outlines."""
    features = _simplified_features(str(path or config.GEOJSON_FILE))
    return {"type": "FeatureCollection",
            "features": [features[c] for c in codes if c in features]}


def _ring_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        xs, ys = zip(*ring, strict=True)
        return sum(xs) / len(xs), sum(ys) / len(ys), 0.0
    return cx / (3 * area), cy / (3 * area), abs(area) / 2


@cache
def area_centroids(path: str | None = None) -> dict[str, tuple[float, float, float]]:
    """RegSO code -> (lon, lat, area in square degrees) of its largest polygon."""
    out: dict[str, tuple[float, float, float]] = {}
    for feature in load_geojson(path)["features"]:
        geometry = feature["geometry"]
        polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                    else geometry["coordinates"])
        best = max((_ring_centroid(p[0]) for p in polygons), key=lambda c: c[2])
        out[feature["properties"]["regsokod"]] = best
    return out


def district_centroids(areas: Iterable[Any]) -> dict[str, tuple[float, float]]:
    """District -> a point for its label (lon, lat): the centroid of its largest RegSO area
    (an average over a ring-shaped district such as Landsbygd would fall outside it)."""
    cents = area_centroids()
    best: dict[str, tuple[float, float, float]] = {}
    for area in areas:
        c = cents.get(area.code)
        if c is not None and (area.district not in best or c[2] > best[area.district][2]):
            best[area.district] = c
    return {d: (c[0], c[1]) for d, c in best.items()}


def area_bounds(codes: Iterable[str], path: str | None = None) \
        -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the given RegSO areas' outlines."""
    features = _simplified_features(str(path or config.GEOJSON_FILE))
    lons, lats = [], []
    for code in codes:
        feature = features.get(code)
        if feature is None:
            continue
        geometry = feature["geometry"]
        polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                    else geometry["coordinates"])
        for polygon in polygons:
            for x, y in polygon[0]:
                lons.append(x)
                lats.append(y)
    return (min(lons), min(lats), max(lons), max(lats)) if lons else None


def _label_positions(points: list[tuple[float, float]], names: Sequence[str] | None = None,
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


def _scale_colour(share: float) -> tuple[float, float, float]:
    """The colour of SEQUENTIAL at `share` (0–1), interpolated, as RGB 0–1."""
    share = min(max(share, 0.0), 1.0)
    for (a, ca), (b, cb) in zip(SEQUENTIAL, SEQUENTIAL[1:], strict=False):
        if share <= b:
            t = 0.0 if b == a else (share - a) / (b - a)
            lo = [int(ca[i:i + 2], 16) for i in (1, 3, 5)]
            hi = [int(cb[i:i + 2], 16) for i in (1, 3, 5)]
            red, green, blue = ((x + (y - x) * t) / 255 for x, y in zip(lo, hi, strict=True))
            return (red, green, blue)
    return (0.03, 0.19, 0.42)


def _luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG relative luminance."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _text_colour(value: float | None, zmax: float) -> str:
    """The number's colour on a cell of SEQUENTIAL, from the cell's actual colour: white on
    the medium and dark blues (relative luminance under 0.3), near-black on the light ones."""
    if value is None or not zmax:
        return "#111111"
    return "#FFFFFF" if _luminance(_scale_colour(value / zmax)) < 0.3 else "#111111"


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
    from lagesbild.domain.codelists import areas as all_areas

    spec = style_spec(style)
    areas = list(areas or all_areas())
    points = _points(df, value, label, suppressed, decimals, ctx)
    by_district = {str(d): p for d, p in zip(df[district], points, strict=True)}
    no_value = _Point(0.0, "0", False)
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
            colours = [_text_colour(by_district.get(n, no_value).value, zmax) for n in names]
            spots = [cents[n] for n in names]
            plot_w = (spec.width or 1100) - 2 * spec.margin_side
            plot_h = height - spec.margin_top - spec.margin_bottom
            panel = (plot_w * (x1 - x0), plot_h * 0.94)
            labels.append({
                "type": "scattergeo", "geo": geo, "lon": [c[0] for c in spots],
                "lat": [c[1] for c in spots], "mode": "text", "text": texts,
                "textposition": _label_positions(
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
    return _figure(traces + labels, layout, ctx, what, style, legend=bool(legend_done),
                   height=height)


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
        return _empty(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    groups = _order(df[group].astype(str), group_order)
    cats = _order(df[category].astype(str), category_order)
    cats = [c for c in cats if c not in UNKNOWN_VALUES] + [c for c in cats
                                                             if c in UNKNOWN_VALUES]
    colours = colour_map([c for c in cats if c not in UNKNOWN_VALUES], category)
    traces: list[Trace] = []
    for cat in cats:
        part = df[df[category].astype(str) == cat]
        count_text = dict(zip(part[group].astype(str),
                              part[label] if label and label in part else [""] * len(part),
                              strict=True))
        points, _ = _series(part, group, groups, share, None, suppressed, 0, ctx)
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
    return _figure(traces, layout, ctx, what, style, legend=True, height=height)


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
        return _empty(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    stages = _order(df[stage].astype(str), stage_order)
    groups = _order(df[group].astype(str), group_order)
    shades = ["#9ECAE1", "#08519C", "#E69F00", "#009E73"]
    traces: list[Trace] = []
    any_hidden = False
    # Horizontal groups are drawn bottom-up: add the stages in reverse so that the first
    # stage is on top, and list them in the legend in their own order.
    for i, name in reversed(list(enumerate(stages))):
        part = df[df[stage].astype(str) == name]
        points, _ = _series(part, group, groups, value, label, suppressed, 0, ctx)
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
    return _figure(traces, layout, ctx, what, style, legend=True, height=height)
