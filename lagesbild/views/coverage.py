"""Which sectors have reported for which quarter (Rapportering): the number of reports each
delivered, and the deliveries that are missing."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from lagesbild import charts
from lagesbild.numbers import indicators as ind
from lagesbild.numbers.query import Filters
from lagesbild.views.base import Context, Entry, Protection, Source, source


@dataclass(frozen=True)
class Coverage(Entry):
    """A sector × quarter grid of delivered reports; missing deliveries framed orange."""

    key = "tackning"

    def source(self, filters: Filters, protection: Protection) -> Source:
        return source(ind.coverage, filters, protection.disclosure)

    def what(self) -> str:
        return "Rapporter per verksamhet och kvartal"

    def figure(self, table: pd.DataFrame, context: Context) -> go.Figure:
        gaps = table[table["status"] == ind.MISSING][["kvartal", "verksamhet"]]
        grid = table[table["status"] == ind.DELIVERED]
        return charts.heatmap(
            grid, context.chart, what=self.title(context), x="kvartal", y="verksamhet",
            y_order=list(dict.fromkeys(table["verksamhet"])), colour_title="Rapporter",
            missing=gaps, missing_text="saknas", style=context.style)

    def caption(self, table: pd.DataFrame, context: Context) -> str:
        return ("Siffran är antalet rapporter (rader) verksamheten har lämnat för kvartalet. "
                "Tom ruta: verksamheten har inte rapporterat under de senaste fyra kvartalen, "
                "så inget väntas.")

    def summary(self, table: pd.DataFrame, context: Context) -> str:
        missing = table[table["status"] == ind.MISSING]
        sectors = table["verksamhet"].nunique()
        which = ", ".join(f"{r.verksamhet} {r.kvartal}" for r in missing.itertuples())
        gaps = ("Inga väntade leveranser saknas." if missing.empty else
                f"1 väntad leverans saknas: {which}." if len(missing) == 1 else
                f"{len(missing)} väntade leveranser saknas: {which}.")
        return f"{context.chart.period}, {sectors} verksamheter. {gaps}"

    def display(self, table: pd.DataFrame) -> pd.DataFrame:
        """Delivered reports per sector (rows) and quarter (columns)."""
        wide = table.pivot(index="verksamhet", columns="kvartal", values="visas")
        wide = wide.reindex(index=list(dict.fromkeys(table["verksamhet"]))).fillna("")
        wide.index.name = "Verksamhet"
        return wide.reset_index()
