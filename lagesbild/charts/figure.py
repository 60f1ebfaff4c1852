"""Assembling a figure once from plain dicts: title, subtitle, source line, fonts and Swedish
separators (`assemble`), the figure that says there is nothing to show (`empty_figure`), and a
finished screen figure restyled for a slide (`apply_slide_style`)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from lagesbild.charts.context import ChartContext, source_line, subtitle
from lagesbild.charts.events import EVENT_KEY, EVENT_MARK, event_key, scale_events
from lagesbild.charts.theme import FONT, STYLES, TEMPLATE, Trace, style_spec


def assemble(traces: list[Trace], layout: dict[str, Any], ctx: ChartContext, what: str,
            style: str, *, legend: bool = True, height: int | None = None,
            source_shift: int | None = None) -> go.Figure:
    """Put title, subtitle, source line, fonts and Swedish separators on; build once."""
    spec = style_spec(style)
    title = f"{what}, {ctx.period}" if ctx.period else what
    base: dict[str, Any] = {
        "template": TEMPLATE,
        "separators": ", ",
        "font": {"family": FONT, "size": spec.font, "color": "#222222"},
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
        "hoverlabel": {"font": {"family": FONT}},
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
    scale_events(out, scale)
    if not any(a.name == EVENT_KEY for a in out.layout.annotations):
        event_key(out)
    return out


def empty_figure(ctx: ChartContext, what: str, style: str, message: str) -> go.Figure:
    layout = {"xaxis": {"visible": False}, "yaxis": {"visible": False},
              "annotations": [{"text": message, "showarrow": False, "x": 0.5, "y": 0.5,
                               "xref": "paper", "yref": "paper",
                               "font": {"size": 16, "color": "#555555"}}]}
    return assemble([], layout, ctx, what, style, legend=False)


