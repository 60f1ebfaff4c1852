"""Plotly figures for the dashboard and the exports. No Streamlit here.

Every builder takes a disclosure-controlled DataFrame from `lagesbild.indicators` and returns
a `plotly.graph_objects.Figure` that follows the same conventions:

* a title that says what and when ("Rapporter per form av extremism, 2025K1–2026K3"), a
  subtitle with the active filters and n, and a source line at the bottom with the date of
  the data and the disclosure rule;
* suppressed values (column `undertryckt`) are never drawn as 0: bars are grey and hatched,
  cells and map areas grey, all labelled "<5";
* one colour per form of extremism everywhere (`FORM_COLOURS`, Okabe–Ito, colour-blind safe,
  grey for "Ej bedömd");
* Swedish number formats (`separators=", "`) and quarters written 2026K3;
* `style="screen"` for the dashboard, `style="slide"` (16:9, large type) for presentations;
  `apply_slide_style(fig)` turns a screen figure into a slide figure.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lagesbild import config
from lagesbild.formatting import fmt_int, fmt_number
from lagesbild.periods import parse_quarter

Style = Literal["screen", "slide"]

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
UNKNOWN_VALUES = frozenset({"Okänt", "Okänd", "Ej bedömd", "Uppgift saknas"})
SUPPRESSED_COLOUR = "#C8C8C8"
SUPPRESSED_LINE = "#7F7F7F"
SIGNAL_COLOUR = "#000000"
BAND_COLOUR = "rgba(0, 0, 0, 0.08)"
# Sequential scale for heat maps and maps: light to dark blue (monotone in lightness).
SEQUENTIAL = [
    [0.0, "#F7FBFF"], [0.15, "#DEEBF7"], [0.3, "#C6DBEF"], [0.45, "#9ECAE1"],
    [0.6, "#6BAED6"], [0.75, "#3182BD"], [0.9, "#08519C"], [1.0, "#08306B"],
]

FIELD_LABELS = {
    "kvartal": "Kvartal", "ar": "År", "omrade": "Område", "regso": "RegSO-område",
    "form": "Form av extremism", "handelse": "Händelsetyp", "verksamhet": "Verksamhet",
    "rapporttyp": "Rapporttyp", "kon": "Kön", "aldersgrupp": "Åldersgrupp",
    "konsultation": "Konsultationsforum", "partner": "Partner",
}

# -- styles --------------------------------------------------------------------------------
_FONT = "Source Sans Pro, Source Sans 3, DejaVu Sans, Liberation Sans, Arial, sans-serif"


@dataclass(frozen=True)
class _StyleSpec:
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


STYLES: dict[str, _StyleSpec] = {
    "screen": _StyleSpec(None, 440, 13, 18, 13, 11, 88, 92, 16, 70, 2.5, 7),
    "slide": _StyleSpec(1600, 900, 22, 34, 22, 17, 150, 150, 40, 115, 4.5, 12),
}


def style_spec(style: str) -> _StyleSpec:
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
        return ChartContext(self.period, self.filters, n, self.data_as_of, self.threshold,
                            self.extra)

    def with_extra(self, *parts: str) -> ChartContext:
        return ChartContext(self.period, self.filters, self.n, self.data_as_of,
                            self.threshold, self.extra + tuple(p for p in parts if p))


def period_label(first: str | None, last: str | None) -> str:
    """'2025K1–2026K3', or one quarter when first == last, or '' when unknown."""
    if first and last:
        return first if first == last else f"{first}–{last}"
    return first or last or ""


def describe_filters(filters: object, max_values: int = 4) -> str:
    """The active dimension filters of a `query.Filters` in words ('' when none)."""
    active = filters.active() if hasattr(filters, "active") else dict(filters or {})
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
    return (f"Källa: UmeBrå, partnernas rapporter.{when} "
            f"Värden under {ctx.threshold} visas som <{ctx.threshold}.")


def _subtitle(ctx: ChartContext) -> str:
    parts = [ctx.filters or "Alla rapporter"]
    if ctx.n is not None:
        parts.append(f"n = {shown_count(ctx.n, ctx.threshold)}")
    parts.extend(ctx.extra)
    return " · ".join(parts)


def _finish(fig: go.Figure, ctx: ChartContext, what: str, style: str, *,
            legend: bool = True, height: int | None = None) -> go.Figure:
    spec = style_spec(style)
    title = f"{what}, {ctx.period}" if ctx.period else what
    fig.update_layout(
        template="plotly_white",
        separators=", ",
        font=dict(family=_FONT, size=spec.font, color="#222222"),
        title=dict(text=title, x=0, xref="paper", xanchor="left", y=0.98, yref="container",
                   yanchor="top", font=dict(size=spec.title),
                   subtitle=dict(text=_subtitle(ctx), font=dict(size=spec.subtitle,
                                                                 color="#555555"))),
        margin=dict(t=spec.margin_top, b=spec.margin_bottom, l=spec.margin_side,
                    r=spec.margin_side),
        height=height or spec.height,
        width=spec.width,
        showlegend=legend,
        legend=dict(orientation="v", x=1.01, xanchor="left", y=1, yanchor="top",
                    font=dict(size=spec.font - 1), title=None),
        hoverlabel=dict(font=dict(family=_FONT)),
        meta={"lagesbild_style": style},
    )
    fig.add_annotation(
        name="kalla", text=source_line(ctx), showarrow=False, xref="paper", yref="paper",
        x=0, y=0, xanchor="left", yanchor="top", yshift=-spec.source_shift, align="left",
        font=dict(size=spec.source, color="#666666"),
    )
    return fig


def apply_slide_style(fig: go.Figure) -> go.Figure:
    """Restyle a finished figure for a 16:9 slide (1600×900, large type). Returns a copy."""
    out = go.Figure(fig)
    screen, slide = STYLES["screen"], STYLES["slide"]
    scale = slide.font / screen.font
    out.update_layout(
        width=slide.width, height=slide.height, font_size=slide.font,
        title_font_size=slide.title, title_subtitle_font_size=slide.subtitle,
        margin=dict(t=slide.margin_top, b=slide.margin_bottom, l=slide.margin_side,
                    r=slide.margin_side),
        legend_font_size=slide.font - 1, meta={"lagesbild_style": "slide"},
    )
    for annotation in out.layout.annotations:
        if annotation.name == "kalla":
            annotation.update(yshift=-slide.source_shift, font_size=slide.source)
        elif annotation.font and annotation.font.size:
            annotation.update(font_size=round(annotation.font.size * scale))
    out.update_traces(selector=dict(type="scatter"), line_width=slide.line)
    out.for_each_trace(
        lambda t: t.update(textfont_size=round((t.textfont.size or screen.font) * scale))
        if getattr(t, "textfont", None) is not None else None
    )
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


def _ordered_quarters(values: Iterable[object]) -> list[str]:
    return sorted({str(v) for v in values}, key=_quarter_key)


def _numeric(series: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in series]


def _suppressed(df: pd.DataFrame, column: str | None) -> pd.Series:
    if column and column in df:
        return df[column].fillna(False).astype(bool)
    return pd.Series(False, index=df.index)


def _labels(df: pd.DataFrame, value: str, label: str | None, threshold: int,
            decimals: int = 0) -> list[str]:
    if label and label in df:
        return [str(v) for v in df[label]]
    return [fmt_number(v, decimals) if not pd.isna(v) else "–" for v in df[value]]


def _order(values: Iterable[str], preferred: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(values))
    if not preferred:
        return present
    ranked = [v for v in preferred if v in present]
    return ranked + [v for v in present if v not in ranked]


def _quarter_axis(quarters: Sequence[str], every: int | None = None) -> dict[str, object]:
    """A categorical x axis of quarters; with many quarters only every n-th is labelled."""
    if every is None:
        every = 1 if len(quarters) <= 12 else 2 if len(quarters) <= 20 else 4
    ticks = quarters if every == 1 else [q for i, q in enumerate(quarters)
                                         if (len(quarters) - 1 - i) % every == 0]
    return dict(type="category", categoryorder="array", categoryarray=list(quarters),
                tickmode="array", tickvals=list(ticks), ticktext=list(ticks), tickangle=0,
                showgrid=False)


def _add_breaks(fig: go.Figure, quarters: Sequence[str], breaks: Iterable[str],
                row: int | None = None, col: int | None = None, label: bool = True) -> None:
    """A dashed vertical line before each quarter where the series changes definition."""
    for quarter in breaks:
        if quarter not in quarters:
            continue
        x = quarters.index(quarter) - 0.5
        kwargs = dict(row=row, col=col) if row else {}
        fig.add_vline(x=x, line=dict(color="#555555", width=1.5, dash="dash"), **kwargs)
        if label:
            fig.add_annotation(
                x=x, y=1, yref="paper" if not row else "y domain", text="Seriebrott",
                showarrow=False, xanchor="left", yanchor="top", xshift=3,
                font=dict(size=11, color="#555555"), **kwargs,
            )


def _empty(ctx: ChartContext, what: str, style: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper",
                       yref="paper", font=dict(size=16, color="#555555"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _finish(fig, ctx, what, style, legend=False)


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
    order: Sequence[str] | None = None,
    y_title: str = "Antal rapporter",
    decimals: int = 0,
    band_max_series: int = 4,
    style: Style = "screen",
) -> go.Figure:
    """Counts or rates per quarter, one line (or bar group) per value of `series`.

    With `lower`/`upper` a baseline band (control limits) is drawn (per series when there
    are at most `band_max_series`), `signal` marks unusual quarters with a ring, `breaks`
    lists quarters where a series break starts (dashed vertical line).
    """
    if df.empty:
        return _empty(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    quarters = _ordered_quarters(df[x])
    groups = _order(df[series].astype(str), order) if series else [None]
    colours = colour_map(groups, series) if series else {None: OKABE_ITO["blue"]}
    fig = go.Figure()
    draw_band = (lower and upper and lower in df and upper in df
                 and len(groups) <= band_max_series)
    signal_x: list[str] = []
    signal_y: list[float] = []
    signal_text: list[str] = []
    supp_x: list[str] = []
    supp_text: list[str] = []
    for group in groups:
        part = df if group is None else df[df[series].astype(str) == group]
        part = part.assign(_q=part[x].astype(str)).set_index("_q").reindex(quarters)
        hidden = _suppressed(part.reset_index(), suppressed).to_numpy()
        values = [None if h else v for v, h in zip(_numeric(part[value]), hidden, strict=True)]
        texts = _labels(part.reset_index(), value, label, ctx.threshold, decimals)
        colour = colours[group]
        name = group if group is not None else y_title
        if draw_band:
            lo, hi = _numeric(part[lower]), _numeric(part[upper])
            band = colour if len(groups) == 1 or group is None else colour
            fig.add_trace(go.Scatter(
                x=quarters, y=lo, mode="lines", line=dict(width=0), hoverinfo="skip",
                showlegend=False, legendgroup=str(name),
            ))
            fig.add_trace(go.Scatter(
                x=quarters, y=hi, mode="lines", line=dict(width=0), fill="tonexty",
                fillcolor=_with_alpha(band, 0.12 if len(groups) > 1 else 0.14),
                hoverinfo="skip", legendgroup=str(name),
                name="Normalt intervall" if len(groups) == 1 else f"{name}: normalt intervall",
                showlegend=len(groups) == 1,
            ))
            if baseline and baseline in part:
                fig.add_trace(go.Scatter(
                    x=quarters, y=_numeric(part[baseline]), mode="lines",
                    line=dict(color=colour, width=1.2, dash="dot"), hoverinfo="skip",
                    name="Baslinje" if len(groups) == 1 else f"{name}: baslinje",
                    showlegend=len(groups) == 1, legendgroup=str(name),
                ))
        hover = [f"{name}<br>{q}: {t}" for q, t in zip(quarters, texts, strict=True)]
        if kind == "bar":
            fig.add_trace(go.Bar(
                x=quarters, y=values, name=str(name), marker_color=colour,
                hovertext=hover, hoverinfo="text", legendgroup=str(name),
            ))
        else:
            fig.add_trace(go.Scatter(
                x=quarters, y=values, mode="lines+markers", name=str(name),
                line=dict(color=colour, width=spec.line), marker=dict(size=spec.marker - 2),
                hovertext=hover, hoverinfo="text", connectgaps=False, legendgroup=str(name),
            ))
        for q, h, t in zip(quarters, hidden, texts, strict=True):
            if h:
                supp_x.append(q)
                supp_text.append(f"{name}<br>{q}: {t}")
        if signal and signal in part:
            flags = part[signal].fillna(False).astype(bool).to_numpy()
            for q, f, v, t in zip(quarters, flags, values, texts, strict=True):
                if f and v is not None:
                    signal_x.append(q)
                    signal_y.append(v)
                    signal_text.append(f"{name}<br>{q}: {t} – ovanligt högt")
    if supp_x:
        _suppressed_markers(fig, supp_x, supp_text, ctx.threshold, kind, value, spec)
    if signal_x:
        fig.add_trace(go.Scatter(
            x=signal_x, y=signal_y, mode="markers", name="Ovanligt kvartal",
            marker=dict(symbol="circle-open", size=spec.marker + 9, color=SIGNAL_COLOUR,
                        line=dict(width=2.5)),
            hovertext=signal_text, hoverinfo="text",
        ))
    _add_breaks(fig, quarters, breaks)
    fig.update_xaxes(**_quarter_axis(quarters))
    fig.update_yaxes(title=y_title, rangemode="tozero", tickformat=",d" if not decimals else None)
    if kind == "bar":
        fig.update_layout(barmode="group" if len(groups) <= 3 else "stack", bargap=0.15)
    show_legend = series is not None or bool(signal_x) or bool(draw_band) or bool(supp_x)
    return _finish(fig, ctx, what, style, legend=show_legend)


def _with_alpha(colour: str, alpha: float) -> str:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _suppressed_markers(fig: go.Figure, xs: list[str], texts: list[str], threshold: int,
                        kind: str, value: str, spec: _StyleSpec, row: int | None = None,
                        col: int | None = None, legend: bool = True) -> None:
    """Grey '<5' markers for suppressed points: placed halfway below the threshold for
    counts (somewhere between 1 and threshold-1), never at zero."""
    y = threshold / 2 if value == "antal" else None
    trace_kwargs = dict(row=row, col=col) if row else {}
    if y is None:
        return
    fig.add_trace(go.Scatter(
        x=xs, y=[y] * len(xs), mode="markers+text", text=[f"<{threshold}"] * len(xs),
        textposition="top center", textfont=dict(color=SUPPRESSED_LINE, size=spec.font - 2),
        marker=dict(symbol="line-ew-open", size=spec.marker + 6, color=SUPPRESSED_LINE,
                    line=dict(width=2)),
        name=f"Under {threshold} (visas inte)", hovertext=texts, hoverinfo="text",
        showlegend=legend, legendgroup="undertryckt",
    ), **trace_kwargs)


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
    style: Style = "screen",
) -> go.Figure:
    """One small line chart per value of `facet` (e.g. per form), each with its own scale."""
    if df.empty:
        return _empty(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    facets = _order(df[facet].astype(str), order)
    quarters = _ordered_quarters(df[x])
    rows = math.ceil(len(facets) / columns)
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=facets, shared_xaxes=True,
                        vertical_spacing=0.16 / max(rows - 1, 1) + 0.04,
                        horizontal_spacing=0.06)
    colours = colour_map(facets, facet)
    shown_legend: set[str] = set()
    for i, name in enumerate(facets):
        row, col = i // columns + 1, i % columns + 1
        part = df[df[facet].astype(str) == name]
        part = part.assign(_q=part[x].astype(str)).set_index("_q").reindex(quarters)
        flat = part.reset_index()
        hidden = _suppressed(flat, suppressed).to_numpy()
        values = [None if h else v for v, h in zip(_numeric(part[value]), hidden, strict=True)]
        texts = _labels(flat, value, label, ctx.threshold)
        if lower and upper and lower in part and upper in part:
            fig.add_trace(go.Scatter(x=quarters, y=_numeric(part[lower]), mode="lines",
                                     line=dict(width=0), hoverinfo="skip", showlegend=False),
                          row=row, col=col)
            fig.add_trace(go.Scatter(
                x=quarters, y=_numeric(part[upper]), mode="lines", line=dict(width=0),
                fill="tonexty", fillcolor=BAND_COLOUR, hoverinfo="skip",
                name="Normalt intervall", legendgroup="band",
                showlegend="band" not in shown_legend), row=row, col=col)
            shown_legend.add("band")
        if baseline and baseline in part:
            fig.add_trace(go.Scatter(
                x=quarters, y=_numeric(part[baseline]), mode="lines",
                line=dict(color="#777777", width=1, dash="dot"), hoverinfo="skip",
                name="Baslinje", legendgroup="baslinje",
                showlegend="baslinje" not in shown_legend), row=row, col=col)
            shown_legend.add("baslinje")
        fig.add_trace(go.Scatter(
            x=quarters, y=values, mode="lines", name=name, showlegend=False,
            line=dict(color=colours[name], width=spec.line * 0.8),
            hovertext=[f"{name}<br>{q}: {t}" for q, t in zip(quarters, texts, strict=True)],
            hoverinfo="text", connectgaps=False), row=row, col=col)
        supp = [(q, f"{name}<br>{q}: {t}") for q, h, t in zip(quarters, hidden, texts,
                                                               strict=True) if h]
        if supp:
            _suppressed_markers(fig, [s[0] for s in supp], [s[1] for s in supp],
                                ctx.threshold, "line", value, spec, row=row, col=col,
                                legend="supp" not in shown_legend)
            shown_legend.add("supp")
        if signal and signal in part:
            flags = part[signal].fillna(False).astype(bool).to_numpy()
            pts = [(q, v) for q, f, v in zip(quarters, flags, values, strict=True)
                   if f and v is not None]
            if pts:
                fig.add_trace(go.Scatter(
                    x=[p[0] for p in pts], y=[p[1] for p in pts], mode="markers",
                    name="Ovanligt kvartal", legendgroup="signal",
                    showlegend="signal" not in shown_legend,
                    marker=dict(symbol="circle-open", size=spec.marker + 5,
                                color=SIGNAL_COLOUR, line=dict(width=2)),
                    hovertext=[f"{name}<br>{p[0]}: ovanligt högt" for p in pts],
                    hoverinfo="text"), row=row, col=col)
                shown_legend.add("signal")
        _add_breaks(fig, quarters, breaks, row=row, col=col, label=False)
    first_quarters = [q for q in quarters if q.endswith("K1")] or quarters[:1]
    every = max(1, math.ceil(len(first_quarters) / 4))
    ticks = first_quarters[::every]
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=quarters,
                     tickmode="array", tickvals=ticks, ticktext=ticks, tickangle=0,
                     showgrid=False, tickfont=dict(size=spec.font - 2))
    fig.update_yaxes(rangemode="tozero", tickformat=",d", nticks=4,
                     tickfont=dict(size=spec.font - 2))
    fig.update_annotations(selector=dict(text=None), font_size=spec.font)
    for annotation in fig.layout.annotations:  # the subplot titles
        annotation.update(font=dict(size=spec.font, color="#222222"))
    height = max(spec.height, 110 + 190 * rows) if style == "screen" else spec.height
    ctx = ctx.with_extra("Skalan skiljer sig mellan delarna")
    return _finish(fig, ctx, what, style, legend=bool(shown_legend), height=height)


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
    style: Style = "screen",
) -> go.Figure:
    """Categories ranked by value, largest on top; suppressed categories last, grey, '<5'."""
    if df.empty:
        return _empty(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    flat = df.reset_index(drop=True)
    hidden = _suppressed(flat, suppressed)
    texts = _labels(flat, value, label, ctx.threshold, decimals)
    flat = flat.assign(_hidden=hidden.to_numpy(), _text=texts,
                       _v=pd.to_numeric(flat[value], errors="coerce").astype("Float64"))
    shown = flat[~flat["_hidden"]].sort_values("_v", ascending=True, na_position="first")
    hid = flat[flat["_hidden"]].sort_values(category, ascending=False)
    # Plotly draws the first category at the bottom: suppressed first, then ascending.
    order = list(hid[category].astype(str)) + list(shown[category].astype(str))
    colours = colour_map(order, category)
    bar_colours = [colour or (colours[c] if category == "form" else OKABE_ITO["blue"])
                   for c in shown[category].astype(str)]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=shown[category].astype(str), x=_numeric(shown["_v"]), orientation="h",
        marker_color=bar_colours, text=list(shown["_text"]), textposition="outside",
        cliponaxis=False, name="", showlegend=False,
        hovertext=[f"{c}: {t}" for c, t in zip(shown[category], shown["_text"], strict=True)],
        hoverinfo="text",
    ))
    if len(hid):
        length = ctx.threshold if value == "antal" else None
        fig.add_trace(go.Bar(
            y=hid[category].astype(str),
            x=[length] * len(hid) if length else [0] * len(hid),
            orientation="h", name=f"Under {ctx.threshold} (visas inte)",
            marker=dict(color=SUPPRESSED_COLOUR, line=dict(color=SUPPRESSED_LINE, width=1),
                        pattern=dict(shape="/", fgcolor=SUPPRESSED_LINE, size=6)),
            text=[f"<{ctx.threshold}"] * len(hid), textposition="outside", cliponaxis=False,
            hovertext=[f"{c}: <{ctx.threshold} (visas inte)" for c in hid[category]],
            hoverinfo="text",
        ))
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=order,
                     automargin=True, ticksuffix=" ")
    fig.update_xaxes(title=x_title, rangemode="tozero", showgrid=True,
                     tickformat=",d" if not decimals else None)
    height = max(spec.height, 120 + 28 * len(order)) if style == "screen" else spec.height
    fig.update_layout(bargap=0.25, uniformtext=dict(minsize=spec.font - 3, mode="show"))
    return _finish(fig, ctx, what, style, legend=bool(len(hid)), height=height)


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
    """A y × quarter grid of counts; suppressed cells grey with '<5'.

    `missing` (columns x, y) marks cells where a value is expected but absent (e.g. a
    partner that has not reported): drawn in vermillion outline with `missing_text`.
    """
    if df.empty:
        return _empty(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    flat = df.reset_index(drop=True)
    xs = _ordered_quarters(flat[x]) if x == "kvartal" else list(dict.fromkeys(flat[x]))
    ys = _order(flat[y].astype(str), y_order)
    ys = list(reversed(ys))  # first on top
    flat = flat.assign(_hidden=_suppressed(flat, suppressed).to_numpy(),
                       _text=_labels(flat, value, label, ctx.threshold),
                       _x=flat[x].astype(str), _y=flat[y].astype(str))
    cell = {(r._x, r._y): r for r in flat.itertuples()}
    z, z_hidden, text, hover = [], [], [], []
    for yy in ys:
        row_z, row_h, row_t, row_hover = [], [], [], []
        for xx in xs:
            r = cell.get((xx, yy))
            if r is None:
                row_z.append(None)
                row_h.append(None)
                row_t.append("")
                row_hover.append(f"{yy}, {xx}: –")
            elif r._hidden:
                row_z.append(None)
                row_h.append(1)
                row_t.append(f"<{ctx.threshold}")
                row_hover.append(f"{yy}, {xx}: <{ctx.threshold} (visas inte)")
            else:
                v = getattr(r, value) if value.isidentifier() else None
                row_z.append(None if pd.isna(v) else float(v))
                row_h.append(None)
                row_t.append(r._text)
                row_hover.append(f"{yy}, {xx}: {r._text}")
        z.append(row_z)
        z_hidden.append(row_h)
        text.append(row_t)
        hover.append(row_hover)
    fig = go.Figure()
    fig.add_trace(go.Heatmap(
        x=xs, y=ys, z=z, text=text, texttemplate="%{text}", hovertext=hover,
        hoverinfo="text", colorscale=SEQUENTIAL, xgap=2, ygap=2, zmin=0,
        colorbar=dict(title=dict(text=colour_title), thickness=12, len=0.8),
        textfont=dict(size=spec.font - 2), name="",
    ))
    if any(v for row in z_hidden for v in row):
        fig.add_trace(go.Heatmap(
            x=xs, y=ys, z=z_hidden, text=text, texttemplate="%{text}", hovertext=hover,
            hoverinfo="text", colorscale=[[0, SUPPRESSED_COLOUR], [1, SUPPRESSED_COLOUR]],
            showscale=False, xgap=2, ygap=2, textfont=dict(size=spec.font - 2,
                                                           color="#333333"),
            name=f"Under {ctx.threshold}",
        ))
    if missing is not None and len(missing):
        mx = [str(v) for v in missing[x]]
        my = [str(v) for v in missing[y]]
        keep = [(a, b) for a, b in zip(mx, my, strict=True) if a in xs and b in ys]
        if keep:
            fig.add_trace(go.Scatter(
                x=[k[0] for k in keep], y=[k[1] for k in keep], mode="markers+text",
                text=[missing_text] * len(keep), textfont=dict(color=OKABE_ITO["vermillion"],
                                                                size=spec.font - 3),
                marker=dict(symbol="square-open", size=spec.marker + 16,
                            color=OKABE_ITO["vermillion"], line=dict(width=2)),
                name="Rapport saknas", hoverinfo="text",
                hovertext=[f"{b}, {a}: {missing_text}" for a, b in keep],
            ))
    axis = _quarter_axis(xs) if x == "kvartal" else dict(type="category")
    axis.update(side="bottom", showgrid=False)
    fig.update_xaxes(**axis)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=ys,
                     automargin=True, ticksuffix=" ", showgrid=False)
    height = max(spec.height, 140 + 26 * len(ys)) if style == "screen" else spec.height
    fig.update_layout(plot_bgcolor="white")
    return _finish(fig, ctx, what, style,
                   legend=missing is not None and len(missing) > 0, height=height)


# -- map ---------------------------------------------------------------------------------------
@cache
def _geojson_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def load_geojson(path: str | None = None) -> dict:
    """The RegSO boundaries (a fresh dict each time; the file is read once)."""
    return json.loads(_geojson_text(str(path or config.GEOJSON_FILE)))


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


def district_centroids(areas: Iterable[object]) -> dict[str, tuple[float, float]]:
    """District -> area-weighted centroid (lon, lat) of its RegSO areas."""
    cents = area_centroids()
    sums: dict[str, list[float]] = {}
    for area in areas:
        c = cents.get(area.code)
        if c is None:
            continue
        s = sums.setdefault(area.district, [0.0, 0.0, 0.0])
        w = c[2] or 1e-9
        s[0] += c[0] * w
        s[1] += c[1] * w
        s[2] += w
    return {d: (s[0] / s[2], s[1] / s[2]) for d, s in sums.items()}


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
    areas: Sequence[object] | None = None,
    show_labels: bool = True,
    focus: Literal["kommunen", "tatorten"] = "kommunen",
    style: Style = "screen",
) -> go.Figure:
    """Umeå's 42 RegSO areas, each coloured by its district's value.

    Offline: no tile server, only the GeoJSON outlines (`geo.visible=False`). Districts whose
    value is suppressed are grey and labelled '<5'; districts not in `df` have no reports (0).
    `focus="tatorten"` zooms to the town (everything but the rural districts).
    """
    from lagesbild.codelists import areas as all_areas

    spec = style_spec(style)
    areas = list(areas or all_areas())
    flat = df.reset_index(drop=True)
    flat = flat.assign(_hidden=_suppressed(flat, suppressed).to_numpy(),
                       _text=_labels(flat, value, label, ctx.threshold, decimals))
    by_district = {str(r[district]): r for _, r in flat.iterrows()}
    geojson = load_geojson()
    shown_codes, shown_z, shown_hover = [], [], []
    hidden_codes, hidden_hover = [], []
    for area in areas:
        row = by_district.get(area.district)
        if row is not None and row["_hidden"]:
            hidden_codes.append(area.code)
            hidden_hover.append(f"<b>{area.district}</b><br>{area.name} ({area.code})<br>"
                                f"{colour_title}: <{ctx.threshold} (visas inte)")
            continue
        v = None if row is None else row[value]
        v = 0.0 if row is None or pd.isna(v) else float(v)
        text = "0" if row is None else row["_text"]
        shown_codes.append(area.code)
        shown_z.append(v)
        shown_hover.append(f"<b>{area.district}</b><br>{area.name} ({area.code})<br>"
                           f"{colour_title}: {text}")
    fig = go.Figure()
    zmax = max(shown_z) if shown_z and max(shown_z) > 0 else 1
    fig.add_trace(go.Choropleth(
        geojson=geojson, featureidkey="properties.regsokod", locations=shown_codes,
        z=shown_z, zmin=0, zmax=zmax, colorscale=SEQUENTIAL, marker_line_color="white",
        marker_line_width=0.6, hovertext=shown_hover, hoverinfo="text", name="",
        colorbar=dict(title=dict(text=colour_title), thickness=12, len=0.75,
                      tickformat=",d" if not decimals else None),
    ))
    if hidden_codes:
        fig.add_trace(go.Choropleth(
            geojson=geojson, featureidkey="properties.regsokod", locations=hidden_codes,
            z=[1] * len(hidden_codes), colorscale=[[0, SUPPRESSED_COLOUR],
                                                   [1, SUPPRESSED_COLOUR]],
            showscale=False, marker_line_color="white", marker_line_width=0.6,
            hovertext=hidden_hover, hoverinfo="text", name=f"Under {ctx.threshold}",
            showlegend=True,
        ))
    if show_labels:
        rural = {"Landsbygd", "Holmsund", "Hörnefors", "Sävar"}
        cents = district_centroids(a for a in areas
                                   if focus == "kommunen" or a.district not in rural)
        names, lons, lats, texts = [], [], [], []
        for name, (lon, lat) in cents.items():
            row = by_district.get(name)
            shown = "0" if row is None else (f"<{ctx.threshold}" if row["_hidden"]
                                             else row["_text"])
            names.append(name)
            lons.append(lon)
            lats.append(lat)
            texts.append(f"{name}<br><b>{shown}</b>")
        fig.add_trace(go.Scattergeo(
            lon=lons, lat=lats, text=texts, mode="text", hoverinfo="skip", showlegend=False,
            textfont=dict(size=spec.font - 2, color="#111111"),
        ))
    codes = [a.code for a in areas if focus == "kommunen"
             or a.district not in {"Landsbygd", "Holmsund", "Hörnefors", "Sävar"}]
    fig.update_geos(visible=False, projection_type="mercator", fitbounds="locations",
                    bgcolor="rgba(0,0,0,0)")
    if focus != "kommunen":
        cents = area_centroids()
        lons = [cents[c][0] for c in codes if c in cents]
        lats = [cents[c][1] for c in codes if c in cents]
        if lons:
            fig.update_geos(fitbounds=False, center=dict(lon=sum(lons) / len(lons),
                                                         lat=sum(lats) / len(lats)),
                            lonaxis_range=[min(lons) - 0.03, max(lons) + 0.03],
                            lataxis_range=[min(lats) - 0.012, max(lats) + 0.012])
    height = 620 if style == "screen" else spec.height
    fig.update_layout(legend=dict(orientation="h", x=0, y=0, yanchor="bottom"))
    return _finish(fig, ctx, what, style, legend=bool(hidden_codes), height=height)


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
    """Horizontal 100 % bars: per `group`, the share of each `category` (in per cent).

    Unknown categories (Okänt/Okänd) are drawn grey and hatched at the end of the bar, so
    the reader sees how much is unknown. Suppressed shares are not drawn; the bar says '<5'.
    `unknown_note` maps a group to a text shown after its bar (e.g. 'okänt: 12 %').
    """
    if df.empty:
        return _empty(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    flat = df.reset_index(drop=True)
    flat = flat.assign(_hidden=_suppressed(flat, suppressed).to_numpy(),
                       _text=_labels(flat, share, label, ctx.threshold, 1),
                       _g=flat[group].astype(str), _c=flat[category].astype(str))
    groups = _order(flat["_g"], group_order)
    cats = _order(flat["_c"], category_order)
    cats = [c for c in cats if c not in UNKNOWN_VALUES] + [c for c in cats
                                                             if c in UNKNOWN_VALUES]
    colours = colour_map([c for c in cats if c not in UNKNOWN_VALUES], category)
    fig = go.Figure()
    for cat in cats:
        part = flat[flat["_c"] == cat].set_index("_g").reindex(groups)
        hidden = part["_hidden"].fillna(False).astype(bool).to_numpy()
        xs = [None if h else v for v, h in zip(_numeric(part[share]), hidden, strict=True)]
        pct = [None if v is None else fmt_number(v, 0) + " %" for v in xs]
        texts = [f"<{ctx.threshold}" if h else (p or "") for h, p in zip(hidden, pct,
                                                                         strict=True)]
        unknown = cat in UNKNOWN_VALUES
        fig.add_trace(go.Bar(
            y=groups, x=xs, orientation="h", name=cat,
            marker=dict(color=GREY if unknown else colours[cat],
                        pattern=dict(shape="/", fgcolor="#666666", size=6) if unknown
                        else None, line=dict(color="white", width=0.5)),
            text=texts, textposition="inside", insidetextanchor="middle",
            hovertext=[f"{g} – {cat}: {t}" for g, t in zip(groups, part["_text"].fillna("–"),
                                                           strict=True)],
            hoverinfo="text",
        ))
    if unknown_note:
        for g in groups:
            if g in unknown_note:
                fig.add_annotation(x=1, xref="paper", y=g, yref="y", text=unknown_note[g],
                                   showarrow=False, xanchor="left", xshift=6,
                                   font=dict(size=spec.font - 2, color="#555555"))
    fig.update_layout(barmode="stack", bargap=0.3,
                      uniformtext=dict(minsize=spec.font - 3, mode="hide"),
                      legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom",
                                  traceorder="normal"))
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=list(reversed(groups)),
                     automargin=True, ticksuffix=" ")
    fig.update_xaxes(title=x_title, ticksuffix=" %", showgrid=True)
    if unknown_note:
        fig.update_layout(margin_r=150 if style == "screen" else 260)
    height = max(spec.height, 150 + 34 * len(groups)) if style == "screen" else spec.height
    fig = _finish(fig, ctx, what, style, legend=True, height=height)
    fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=1.0,
                                  yanchor="bottom"))
    if unknown_note:
        fig.update_layout(margin_r=150 if style == "screen" else 260)
    return fig


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
    (reports → concerns → consultation forum), as grouped horizontal bars."""
    if df.empty:
        return _empty(ctx, what, style, "Inga rapporter för urvalet.")
    spec = style_spec(style)
    flat = df.reset_index(drop=True)
    flat = flat.assign(_hidden=_suppressed(flat, suppressed).to_numpy(),
                       _text=_labels(flat, value, label, ctx.threshold),
                       _g=flat[group].astype(str), _s=flat[stage].astype(str))
    stages = _order(flat["_s"], stage_order)
    groups = _order(flat["_g"], group_order)
    shades = ["#9ECAE1", "#3182BD", "#08306B", "#E69F00", "#009E73"]
    fig = go.Figure()
    for i, st_name in enumerate(stages):
        part = flat[flat["_s"] == st_name].set_index("_g").reindex(groups)
        hidden = part["_hidden"].fillna(False).astype(bool).to_numpy()
        xs = [None if h else v for v, h in zip(_numeric(part[value]), hidden, strict=True)]
        texts = list(part["_text"].fillna("0"))
        fig.add_trace(go.Bar(
            y=groups, x=xs, orientation="h", name=st_name,
            marker_color=shades[i % len(shades)], text=texts, textposition="outside",
            cliponaxis=False, hovertext=[f"{g} – {st_name}: {t}"
                                         for g, t in zip(groups, texts, strict=True)],
            hoverinfo="text",
        ))
        if hidden.any():
            hg = [g for g, h in zip(groups, hidden, strict=True) if h]
            fig.add_trace(go.Bar(
                y=hg, x=[ctx.threshold] * len(hg), orientation="h",
                name=f"Under {ctx.threshold}", showlegend=False, offsetgroup=st_name,
                marker=dict(color=SUPPRESSED_COLOUR,
                            pattern=dict(shape="/", fgcolor=SUPPRESSED_LINE, size=5)),
                hovertext=[f"{g} – {st_name}: <{ctx.threshold}" for g in hg],
                hoverinfo="text",
            ))
    for trace in fig.data:
        if trace.offsetgroup is None:
            trace.offsetgroup = trace.name
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05,
                      legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"))
    fig.update_yaxes(type="category", categoryorder="array",
                     categoryarray=list(reversed(groups)), automargin=True, ticksuffix=" ")
    fig.update_xaxes(title=x_title, rangemode="tozero", tickformat=",d")
    height = max(spec.height, 140 + 22 * len(groups) * max(len(stages), 1)) \
        if style == "screen" else spec.height
    fig = _finish(fig, ctx, what, style, legend=True, height=height)
    fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=1.0,
                                  yanchor="bottom"))
    return fig
