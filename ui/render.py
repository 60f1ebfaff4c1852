"""Showing things on a page: every chart goes through `show_chart`, every table through
`show_table`, so that the 'Ladda ner' menu (PNG, SVG, PDF of the figure; Excel and CSV of its
data, see ui.downloads) is in one place.

Every text that did not come from the code (URL values, file names, code-list values and
descriptions, event titles, activity texts, user names) goes through `plain` before it is put in
Markdown (st.markdown, captions, alerts, help texts): it then shows as itself, never as bold
text, a link or an image. Tables (st.dataframe) show text as it is anyway.

The images are drawn only when someone clicks (and cached), so a rerun of a page costs
nothing extra. The data files go through lagesbild.export.workbook (export_table + safe_cell):
the same disclosure control as on screen, suppressed counts as "<5", formula-safe cells.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lagesbild import views
from lagesbild.charts import describe_filters
from lagesbild.charts.events import event_legend
from lagesbild.domain.text import ascii_slug, literal_markdown
from lagesbild.numbers.query import Filters
from ui import selection, view
from ui.chart_alt import chart_alternative
from ui.downloads import download_menu as export_menu
from ui.plotly_sv import PLOTLY_CONFIG_SV


def plain(value: object) -> str:
    """A text from outside the code, for Markdown: shown literally (see the module's
    docstring and lagesbild.domain.text.literal_markdown)."""
    return literal_markdown(value)


def plain_list(values: Sequence[object], separator: str = ", ") -> str:
    return separator.join(plain(v) for v in values)


PLOTLY_CONFIG = PLOTLY_CONFIG_SV  # Swedish mode bar, decimal comma (ui.plotly_sv)


def _figure_period(fig: go.Figure | None) -> str | None:
    """The period the figure itself shows (charts put it in layout.meta), if any."""
    meta = fig.layout.meta if fig is not None else None
    if isinstance(meta, dict) and meta.get("lagesbild_period"):
        return str(meta["lagesbild_period"])
    return None


def figure_title(fig: go.Figure) -> str:
    """The figure's title as plain text (its markup and line breaks removed)."""
    text = str(fig.layout.title.text or "") if fig.layout.title else ""
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def show_chart(fig: go.Figure, data: pd.DataFrame | None, name: str, *,
               alt_table: pd.DataFrame, summary: str = "", alt: str | None = None,
               caption: str | None = None, key: str | None = None,
               events: Sequence[str] = ()) -> None:
    """Draw a figure full width with its text alternative (`summary`: the key figures in a
    sentence, `alt_table`: its data as shown, in "Visa som tabell"; ui.chart_alt), its
    caption, the numbered list of context events marked on it (`events`, from
    followup.events.event_legend) and one 'Ladda ner' menu. `alt` names the figure for
    screen readers (default: its title)."""
    slug = ascii_slug(name)
    title = figure_title(fig) or name
    st.plotly_chart(fig, theme=None, width="stretch", config=PLOTLY_CONFIG,
                    key=key or f"chart_{slug}", alt=alt or title)
    chart_alternative(title, summary, alt_table)
    if caption:
        st.caption(caption)
    if events:
        show_events(events)
    export_menu(fig, data, name, describe_filters(selection.current_filters()),
                key=key or slug, period=_figure_period(fig))


def show_view(entry: views.Entry, filters: Filters, *, key: str | None = None,
              focus: str = "", empty: str = "Inga rapporter i urvalet.") \
        -> pd.DataFrame | None:
    """A catalogue entry as the user may see it: its published table drawn, with its text
    alternative, caption, context events and 'Ladda ner' menu. Returns the table (None and
    a note when there is nothing to draw)."""
    table = view.published(entry, filters)
    if entry.is_empty(table):
        st.info(empty)
        return None
    context = view.context(filters, events=entry.uses_events, focus=focus)
    caption = entry.caption(table, context)  # plain text that may name categories
    figure = entry.figure(table, context)
    show_chart(figure, table, entry.download_name(context),
               alt_table=entry.alt_table(table), summary=entry.summary(table, context),
               alt=entry.alt_text(table, context, figure),
               caption=plain(caption) if caption else None, key=key,
               events=event_legend(context.events))
    return table


def show_events(lines: Sequence[str]) -> None:
    """The context events of a chart as a small numbered caption list under it (the titles
    are the analysts' free text: shown as plain text, never read as Markdown)."""
    items = []
    for line in lines:
        number, _, text = line.partition(". ")
        items.append(number + ". " + plain(text))
    st.caption("**Omvärldshändelser** (numren i diagrammet)\n\n" + "\n".join(items))


def show_table(frame: pd.DataFrame, name: str, *, key: str | None = None,
               download: pd.DataFrame | None = None, height: int | str = "auto") -> None:
    """A display table (strings already formatted, suppression applied) with download."""
    st.dataframe(frame, hide_index=True, width="stretch", height=height)
    if download is not None:
        export_menu(None, download, name, describe_filters(selection.current_filters()),
                    key=f"table_{key or ascii_slug(name)}")
