"""Reports per category of one dimension over the period, ranked (the meeting pack's forms
and sectors)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from lagesbild import charts
from lagesbild.charts.context import FIELD_LABELS
from lagesbild.numbers import indicators as ind
from lagesbild.numbers.query import Filters
from lagesbild.views import words
from lagesbild.views.base import Context, Entry, Protection, Source, source

TITLES = {"form": "Rapporter per form av extremism",
          "verksamhet": "Rapporter per rapporterande verksamhet"}
TOP = {"form": 9, "verksamhet": 12}  # categories named in the notes


@dataclass(frozen=True)
class Ranking(Entry):
    """Counts per category, largest on top, hidden ones last."""

    key = "rangordning"
    dimension: str = "form"

    def source(self, filters: Filters, protection: Protection) -> Source:
        return source(ind.counts, (self.dimension,), filters, protection.disclosure)

    def what(self) -> str:
        return TITLES[self.dimension]

    def figure(self, table: pd.DataFrame, context: Context) -> go.Figure:
        return charts.ranked_bar(table, context.chart, what=self.title(context),
                                 category=self.dimension, style=context.style)

    def notes(self, table: pd.DataFrame, context: Context) -> list[str]:
        return words.ranked_notes(table, self.dimension, context.threshold,
                                  top=TOP.get(self.dimension, 5))

    def alt_table(self, table: pd.DataFrame) -> pd.DataFrame:
        """Largest first, hidden ones last, as the bars."""
        ranked = table.assign(_n=table["antal"].astype("Float64")).sort_values(
            "_n", ascending=False, na_position="last", kind="stable")
        return pd.DataFrame({FIELD_LABELS[self.dimension]: ranked[self.dimension],
                             "Antal rapporter": ranked["visas"]}).reset_index(drop=True)
