"""Plotly figures for the dashboard and the exports. No Streamlit here.

Every builder takes a disclosure-controlled DataFrame (from `lagesbild.numbers`, shaped by a
`lagesbild.views` entry) and returns a `plotly.graph_objects.Figure` that follows the same
conventions:

* a title that says what and when ("Rapporter per form av extremism, 2025K1–2026K3"), a
  subtitle with the active filters and n, and a source line at the bottom with the date of
  the data and the disclosure rule (`context`);
* hidden values (column `undertryckt`; shown as "<5", or ".." when hidden to protect another
  cell) are never drawn as 0: bars are grey and hatched, cells and map areas grey, points
  left out of the line with a grey "<5" mark below the threshold line (`points`);
* one colour per form of extremism everywhere (`FORM_COLOURS`, Okabe–Ito, colour-blind safe,
  grey for "Ej bedömd"), Swedish number formats and quarters written 2026K3 (`theme`);
* `style="screen"` for the dashboard, `style="slide"` (16:9, large type) for presentations;
  `apply_slide_style(fig)` turns a finished figure into a slide figure (`figure`).

The builders assemble plain dicts and construct the Figure once (building it trace by trace
with `add_trace`/`update_*` is several times slower). One module per job:

    theme      colours, template, fonts, the screen and slide styles
    context    ChartContext, field labels, subtitle and source line
    points     protected tables read into points; quarter axis, breaks, hidden marks
    figure     assembling a figure; the slide style
    events     context events on trend charts
    geo        the RegSO outlines (shapely): simplified shapes, label points, bounds
    trend      trend_chart            multiples  small_multiples
    bars       ranked_bar, stacked_shares, funnel_chart, paired_bars
    heatmap    heatmap                maps       district_map

Every builder takes the protected table's columns by the same keywords (`value="antal"`,
`label="visas"`, `suppressed="undertryckt"`) and a `style`: their signatures look alike on
purpose (the `duplicates` tool lists them as pairs; they are the convention, not copies).
"""

from lagesbild.charts.bars import Bars, funnel_chart, paired_bars, ranked_bar, stacked_shares
from lagesbild.charts.context import (
    FIELD_LABELS,
    ActiveFilters,
    ChartContext,
    describe_filters,
    period_label,
    shown_count,
    source_line,
    subtitle,
)
from lagesbild.charts.events import EVENT_KEY, EVENT_MARK, add_events
from lagesbild.charts.figure import apply_slide_style
from lagesbild.charts.heatmap import heatmap
from lagesbild.charts.maps import district_map
from lagesbild.charts.multiples import small_multiples
from lagesbild.charts.points import ordered_quarters, quarter_axis
from lagesbild.charts.theme import (
    CATEGORY_PALETTE,
    DARK_TEXT,
    FORM_COLOURS,
    GREY,
    OKABE_ITO,
    SEQUENTIAL,
    STYLES,
    SUPPRESSED_COLOUR,
    SUPPRESSED_LINE,
    UNASSESSED_GREY,
    UNKNOWN_VALUES,
    Style,
    StyleSpec,
    colour_map,
    style_spec,
    text_colour,
)
from lagesbild.charts.trend import trend_chart

__all__ = [
    "CATEGORY_PALETTE", "DARK_TEXT", "UNASSESSED_GREY", "Bars", "EVENT_KEY", "EVENT_MARK",
    "FIELD_LABELS", "FORM_COLOURS", "GREY",
    "OKABE_ITO", "SEQUENTIAL", "STYLES", "SUPPRESSED_COLOUR", "SUPPRESSED_LINE",
    "UNKNOWN_VALUES", "ActiveFilters", "ChartContext", "Style", "StyleSpec", "add_events",
    "apply_slide_style", "colour_map", "describe_filters", "district_map", "funnel_chart",
    "heatmap", "ordered_quarters", "paired_bars", "period_label", "quarter_axis", "ranked_bar",
    "shown_count", "small_multiples", "source_line", "stacked_shares", "style_spec",
    "subtitle", "text_colour", "trend_chart",
]
