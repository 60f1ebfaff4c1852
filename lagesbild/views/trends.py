"""Trends over quarters: the trend with its normal band (Översikt, Trender, the meeting pack)
and the plain quarters of the public variant, which publishes years and the total too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from lagesbild import charts
from lagesbild.domain.formatting import fmt_number
from lagesbild.numbers import indicators as ind
from lagesbild.numbers.disclosure import TOTAL
from lagesbild.numbers.query import Filters
from lagesbild.views import words
from lagesbild.views.base import Context, Entry, Protection, Source, source

# Breakdown -> its words in a title ("Rapporter per form av extremism").
BREAKDOWNS: dict[str, str] = {
    "form": "form av extremism",
    "handelse": "händelsetyp",
    "verksamhet": "rapporterande verksamhet",
    "rapporttyp": "rapporttyp",
    "omrade": "område",
}
BAND_SERIES = 4  # a single chart draws the normal band per category up to this many
POPULATION = "Invånare: SCB:s befolkning per RegSO"
PER_YEAR = "Per 10 000 invånare och år"


@dataclass(frozen=True)
class Trend(Entry):
    """Reports (or reports per 10 000 inhabitants) per quarter, by a breakdown or in total,
    with the normal band, unusual quarters, series breaks and incomplete quarters; one chart,
    or one small chart per category (`multiples`)."""

    key = "trend"
    uses_events = True
    by: str | None = "form"
    measure: str = "antal"  # or "per10k"
    multiples: bool = False

    def source(self, filters: Filters, protection: Protection) -> Source:
        return source(ind.trend, filters, self.by, self.measure, protection.disclosure)

    @property
    def per10k(self) -> bool:
        return self.measure == "per10k"

    def what(self) -> str:
        what = "Rapporter per 10 000 invånare och år" if self.per10k else "Rapporter"
        return f"{what} per {BREAKDOWNS[self.by] if self.by else 'kvartal'}"

    def figure(self, table: pd.DataFrame, context: Context) -> go.Figure:
        chart = context.chart.with_extra(POPULATION) if self.per10k else context.chart
        common: dict[str, Any] = {
            "value": "varde", "label": None if self.per10k else "visas",
            "lower": "nedre_grans", "upper": "ovre_grans", "baseline": "baslinje",
            "signal": "signal", "breaks": words.breaks(table),
            "y_title": PER_YEAR if self.per10k else "Antal rapporter",
            "decimals": 1 if self.per10k else 0, "counts": not self.per10k,
            "events": context.events, "style": context.style,
        }
        if self.by and self.multiples:
            return charts.small_multiples(table, chart, what=self.title(context),
                                          facet=self.by, **common)
        incomplete = sorted(set(table.loc[table["ofullstandig"].astype(bool), "kvartal"])) \
            if "ofullstandig" in table else []
        return charts.trend_chart(table, chart, what=self.title(context), series=self.by,
                                  incomplete=incomplete, band_max_series=BAND_SERIES,
                                  **common)

    def caption(self, table: pd.DataFrame, context: Context) -> str:
        many = (self.by is not None and not self.multiples
                and table[self.by].nunique() > BAND_SERIES)
        if many:  # no band is drawn
            return ("Normalt intervall visas per kategori när kategorierna är högst fyra; välj "
                    f"'Ett per kategori' för att se det för alla. {words.RING} "
                    f"{words.gap_text(context.threshold)}")
        return f"{words.BAND} {words.RING} {words.gap_text(context.threshold)}"

    def notes(self, table: pd.DataFrame, context: Context) -> list[str]:
        quarter = context.about
        now = table[table["kvartal"] == quarter]
        if self.by:
            notes = [f"{quarter} per {BREAKDOWNS[self.by]}: {words.listing(now, self.by)}."]
            notes += words.signal_notes(table, self.by, [quarter])
        else:
            shown = now["visas"].iloc[0] if len(now) else "–"
            notes = [f"{quarter}: {shown} rapporter."]
            notes += words.signal_notes(table, None, list(table["kvartal"]))
        notes.append(self.caption(table, context))
        return notes + words.event_notes(context.events)

    def summary(self, table: pd.DataFrame, context: Context) -> str:
        quarter = context.about
        unusual = int(table["signal"].astype(bool).sum()) if "signal" in table else 0
        rings = (f" {unusual} ovanliga kvartal (ring)." if unusual > 1
                 else " 1 ovanligt kvartal (ring)." if unusual else "")
        drawn = self._drawn(table)
        if not self.by:
            now = drawn[drawn["kvartal"] == quarter]
            last = now["drawn"].iloc[0] if len(now) else "–"
            text = (f"{context.chart.period}: {words.extremes(drawn, 'kvartal', 'varde', 'drawn')}"
                    f", senast {quarter}: {last}.")
        else:
            now = drawn[drawn["kvartal"] == quarter]
            text = f"{quarter} per {BREAKDOWNS[self.by]}: {words.listing(now, self.by, 'drawn')}."
        return text + rings + words.protected_text(table, context.threshold)

    def _drawn(self, table: pd.DataFrame) -> pd.DataFrame:
        """The table with `drawn`: each value as the chart shows it (a rate with one decimal,
        a hidden one as its mark)."""
        if not self.per10k:
            return table.assign(drawn=table["visas"])
        return table.assign(drawn=[
            text if hidden else "–" if pd.isna(value) else fmt_number(value, 1)
            for value, hidden, text in zip(table["varde"], table["undertryckt"],
                                           table["visas"], strict=True)])

    def alt_table(self, table: pd.DataFrame) -> pd.DataFrame:
        if self.by:
            return self.display(table)
        drawn = self._drawn(table)
        return pd.DataFrame({"Kvartal": drawn["kvartal"],
                             PER_YEAR if self.per10k else "Antal rapporter": drawn["drawn"]})

    def display(self, table: pd.DataFrame) -> pd.DataFrame:
        """One row per category (or one row in total), one column per quarter."""
        shown, column = self._drawn(table), "drawn"
        if not self.by:
            wide = shown[["kvartal", column]].set_index("kvartal").T
            wide.insert(0, "", [PER_YEAR if self.per10k else "Antal rapporter"])
            return wide
        wide = shown.pivot(index=self.by, columns="kvartal", values=column)
        wide = wide.reindex(index=list(dict.fromkeys(table[self.by])))
        wide.index.name = BREAKDOWNS[self.by].capitalize()
        return wide.reset_index()


@dataclass(frozen=True)
class QuartersAndYears(Entry):
    """Reports per quarter as plain bars (the public variant: no band, no signals), from a
    table that also holds the years and the total, protected together."""

    key = "kvartal_och_ar"

    def source(self, filters: Filters, protection: Protection) -> Source:
        return source(ind.quarters_and_years, filters, protection.disclosure)

    def what(self) -> str:
        return "Rapporter per kvartal"

    @staticmethod
    def quarters(table: pd.DataFrame) -> pd.DataFrame:
        """The quarters' rows: kvartal, antal, undertryckt, visas."""
        rows = table[table["kvartal"] != TOTAL]
        return rows.drop(columns="ar").reset_index(drop=True)

    @staticmethod
    def years(table: pd.DataFrame) -> pd.DataFrame:
        """The years' rows: ar (a number), antal, undertryckt, visas."""
        rows = table[(table["kvartal"] == TOTAL) & (table["ar"] != TOTAL)]
        rows = rows.drop(columns="kvartal").reset_index(drop=True)
        return rows.assign(ar=rows["ar"].astype(int))

    def is_empty(self, table: pd.DataFrame) -> bool:
        return self.quarters(table).empty

    def figure(self, table: pd.DataFrame, context: Context) -> go.Figure:
        return charts.trend_chart(self.quarters(table), context.chart,
                                  what=self.title(context), kind="bar", style=context.style)

    def notes(self, table: pd.DataFrame, context: Context) -> list[str]:
        now = table[table["kvartal"] == context.about]
        return [f"{context.about}: {now['visas'].iloc[0] if len(now) else '–'} rapporter."]

    def summary(self, table: pd.DataFrame, context: Context) -> str:
        rows = self.quarters(table)
        return (f"{context.chart.period}: {words.extremes(rows, 'kvartal')}. "
                + self.notes(table, context)[0]
                + words.protected_text(rows, context.threshold))

    def alt_table(self, table: pd.DataFrame) -> pd.DataFrame:
        rows = self.quarters(table)
        return pd.DataFrame({"Kvartal": rows["kvartal"], "Antal rapporter": rows["visas"]})
