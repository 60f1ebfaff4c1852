"""Showing things on a page: every chart goes through `show_chart`, every table through
`show_table`, so that the download menu (and the export issue's PNG/SVG/PDF) is in one place.
"""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lagesbild.text import ascii_slug

PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
# Columns that are never exported or shown: exact internals and helper columns.
_HIDDEN_COLUMNS = re.compile(r"^_|^p_varde$")


def export_frame(data: pd.DataFrame) -> pd.DataFrame:
    """The chart's data as it may leave the dashboard: counts that are suppressed stay
    empty (their `visas` column says '<5' or '..'), internal columns are dropped."""
    frame = data.copy()
    keep = [c for c in frame.columns if not _HIDDEN_COLUMNS.search(str(c))]
    frame = frame[keep]
    if "undertryckt" in frame and "antal" in frame:
        frame["antal"] = frame["antal"].astype("Int64").mask(frame["undertryckt"].astype(bool))
    return frame


def csv_bytes(data: pd.DataFrame) -> bytes:
    """CSV for Swedish Excel: semicolon, decimal comma, UTF-8 with BOM."""
    return export_frame(data).to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")


def show_chart(fig: go.Figure, data: pd.DataFrame | None, name: str, *,
               caption: str | None = None, key: str | None = None) -> None:
    """Draw a figure full width with its caption and a 'Ladda ner' menu with its data."""
    slug = ascii_slug(name)
    st.plotly_chart(fig, theme=None, width="stretch", config=PLOTLY_CONFIG,
                    key=key or f"chart_{slug}")
    if caption:
        st.caption(caption)
    if data is not None:
        download_menu(data, name, key=key or slug)


def download_menu(data: pd.DataFrame, name: str, *, key: str) -> None:
    """The 'Ladda ner' popover. The export issue adds PNG, SVG and PDF here."""
    with st.popover("Ladda ner", icon=":material/download:"):
        st.download_button(  # the file is made only when someone clicks
            "Data (CSV, för Excel)", data=lambda: csv_bytes(data),
            file_name=f"{ascii_slug(name)}.csv",
            mime="text/csv", key=f"dl_csv_{key}", icon=":material/table:",
            on_click="ignore",
        )
        st.caption("Värden under tröskeln är tomma i filen och markerade i kolumnen visas.")


def show_table(frame: pd.DataFrame, name: str, *, key: str | None = None,
               download: pd.DataFrame | None = None, height: int | str = "auto") -> None:
    """A display table (strings already formatted, suppression applied) with download."""
    st.dataframe(frame, hide_index=True, width="stretch", height=height)
    if download is not None:
        download_menu(download, name, key=f"table_{key or ascii_slug(name)}")
