"""Where in the municipality: the district map, the ranking of districts and the district ×
quarter grid (Områden, the meeting pack). Counts come from one district × quarter table, so
the three show the same protected numbers; rates from one rate per district over the period.
Districts that are no place (`codelists.no_place()`: Digitalt, Okänt) are not on the map and
have no rate."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from lagesbild import charts
from lagesbild.charts import ChartContext
from lagesbild.domain import codelists
from lagesbild.domain.formatting import fmt_number
from lagesbild.numbers import indicators as ind
from lagesbild.numbers.disclosure import TOTAL
from lagesbild.numbers.query import Filters
from lagesbild.views import words
from lagesbild.views.base import Context, Entry, Protection, Source, source

RATE_LABEL = "_rate"  # the display column of a rate (hidden ones as their count's text)


@dataclass(frozen=True)
class _Districts(Entry):
    """One value per district: reports (`antal`) or reports per 10 000 inhabitants."""

    measure: str = "antal"  # or "per10k"

    @property
    def per10k(self) -> bool:
        return self.measure == "per10k"

    def source(self, filters: Filters, protection: Protection) -> Source:
        if self.per10k:
            return source(ind.rates, "omrade", ind.PERIOD, filters, protection.disclosure)
        return source(ind.crosstab, "omrade", "kvartal", filters, protection.disclosure)

    def shape(self, raw: pd.DataFrame) -> pd.DataFrame:
        if self.per10k:
            return raw.reset_index(drop=True)
        totals = raw[(raw["kvartal"] == TOTAL) & (raw["omrade"] != TOTAL)]
        return totals.drop(columns="kvartal").reset_index(drop=True)

    def is_empty(self, table: pd.DataFrame) -> bool:
        return not (table["undertryckt"].astype(bool).any()
                    or table["antal"].fillna(0).astype(int).sum() > 0)

    def what(self) -> str:
        return ("Rapporter per 10 000 invånare och år per stadsdel" if self.per10k
                else "Rapporter per stadsdel")

    def _drawn(self, table: pd.DataFrame) -> tuple[pd.DataFrame, str, str, int]:
        """The table with its display column, the value and label columns, the decimals."""
        if not self.per10k:
            return table, "antal", "visas", 0
        shown = [text if hidden else ("–" if pd.isna(value) else fmt_number(value, 1))
                 for value, hidden, text in zip(table["per10k"], table["undertryckt"],
                                                table["visas"], strict=True)]
        return table.assign(**{RATE_LABEL: shown}), "per10k", RATE_LABEL, 1

    def _population_notes(self, table: pd.DataFrame, chart: ChartContext) -> ChartContext:
        """The population's notes, and how many quarters a rate per year averages."""
        if not self.per10k:
            return chart
        places = table[~table["omrade"].isin(codelists.no_place())]
        notes = sorted({str(n) for n in places.loc[~places["befolkning_saknas"].astype(bool),
                                                   "befolkning_anm"] if str(n)})
        quarters = int(table["antal_kvartal"].iloc[0]) \
            if len(table) and "antal_kvartal" in table else 0
        return chart.with_extra(*(n[:1].upper() + n[1:] for n in notes),
                                *([f"Per år: snittet av {quarters} kvartal"] if quarters
                                  else []))

    def notes(self, table: pd.DataFrame, context: Context) -> list[str]:
        return words.ranked_notes(table, "omrade", context.threshold)

    def summary(self, table: pd.DataFrame, context: Context) -> str:
        drawn, value, label, _ = self._drawn(table)
        if "befolkning_saknas" in drawn:  # no rate without a population (nor for no place)
            drawn = drawn[drawn[value].notna() | drawn["undertryckt"].astype(bool)]
        what = "per 10 000 invånare och år" if self.per10k else "rapporter"
        return (f"{context.chart.period}, {what}: {words.extremes(drawn, 'omrade', value, label)}."
                + words.protected_text(table, context.threshold))

    def alt_table(self, table: pd.DataFrame) -> pd.DataFrame:
        drawn, _, label, _ = self._drawn(table)
        columns = {"Område": drawn["omrade"], "Antal rapporter": drawn["visas"]}
        if self.per10k:
            columns["Per 10 000 invånare och år"] = drawn[label]
        return pd.DataFrame(columns)


@dataclass(frozen=True)
class DistrictMap(_Districts):
    """Umeå's RegSO areas coloured by their district's value; districts that are no place
    are named in the subtitle instead."""

    key = "karta"

    def figure(self, table: pd.DataFrame, context: Context) -> go.Figure:
        drawn, value, label, decimals = self._drawn(table)
        no_place = codelists.no_place()
        elsewhere = drawn["omrade"].isin(no_place)
        chart = self._population_notes(table, context.chart)
        if elsewhere.any():
            chart = chart.with_extra("Ej på kartan: " + words.listing(drawn[elsewhere],
                                                                      "omrade"))
        return charts.district_map(
            drawn[~elsewhere].reset_index(drop=True), chart, what=self.title(context),
            value=value, label=label, colour_title="Per 10 000 och år" if self.per10k else "Antal",
            decimals=decimals, style=context.style,
            areas=[a for a in codelists.areas() if a.district not in no_place])

    def caption(self, table: pd.DataFrame, context: Context) -> str:
        text = ("Färgen gäller hela stadsdelen: alla RegSO-områden i en stadsdel har samma "
                "färg. Håll muspekaren över ett område för detaljer.")
        if not self.per10k:
            return text
        places = table[~table["omrade"].isin(codelists.no_place())]
        missing = places[places["befolkning_saknas"].astype(bool)]
        if missing.empty:
            return text
        reasons = sorted({str(n) for n in missing["befolkning_anm"] if str(n)})
        return (text + " Befolkning saknas för perioden – kvot visas inte för "
                + ", ".join(missing["omrade"])
                + (f" ({'; '.join(reasons)})" if reasons else "") + ".")


@dataclass(frozen=True)
class DistrictRanking(_Districts):
    """Districts ranked by their value, largest on top; no-place districts grey (and left
    out of a ranking of rates, which they do not have)."""

    key = "stadsdelar"

    def shape(self, raw: pd.DataFrame) -> pd.DataFrame:
        table = super().shape(raw)
        if self.per10k:
            table = table[~table["omrade"].isin(codelists.no_place())].reset_index(drop=True)
        return table

    def figure(self, table: pd.DataFrame, context: Context) -> go.Figure:
        drawn, value, label, decimals = self._drawn(table)
        return charts.ranked_bar(
            drawn, self._population_notes(table, context.chart), what=self.title(context),
            category="omrade", value=value, label=label,
            x_title="Per 10 000 invånare och år" if self.per10k else "Antal rapporter",
            decimals=decimals, muted=codelists.no_place(), style=context.style)


@dataclass(frozen=True)
class DistrictQuarters(Entry):
    """Reports per district and quarter, with the totals (the same table as the counts of
    the map and the ranking)."""

    key = "stadsdel_kvartal"

    def source(self, filters: Filters, protection: Protection) -> Source:
        return source(ind.crosstab, "omrade", "kvartal", filters, protection.disclosure)

    def what(self) -> str:
        return "Rapporter per stadsdel och kvartal"

    @staticmethod
    def grid(table: pd.DataFrame) -> pd.DataFrame:
        return table[(table["omrade"] != TOTAL) & (table["kvartal"] != TOTAL)]

    def figure(self, table: pd.DataFrame, context: Context) -> go.Figure:
        grid = self.grid(table)
        return charts.heatmap(grid, context.chart, what=self.title(context), x="kvartal",
                              y="omrade", y_order=list(dict.fromkeys(grid["omrade"])),
                              style=context.style)

    def caption(self, table: pd.DataFrame, context: Context) -> str:
        return words.hidden_cells_text(context.threshold)

    def notes(self, table: pd.DataFrame, context: Context) -> list[str]:
        grid = self.grid(table)
        now = grid[grid["kvartal"] == context.about]
        return [f"{context.about} per stadsdel: {words.listing(now, 'omrade')}."]

    def summary(self, table: pd.DataFrame, context: Context) -> str:
        grid = self.grid(table)
        return (f"{context.chart.period}, en ruta per stadsdel och kvartal: "
                f"{words.extremes(grid.assign(_r=grid['omrade'] + ' ' + grid['kvartal']), '_r')}."
                + words.protected_text(grid, context.threshold))

    def alt_table(self, table: pd.DataFrame) -> pd.DataFrame:
        return words.wide(self.grid(table), "omrade", "kvartal", "Område")
