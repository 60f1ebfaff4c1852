"""The follow-up of the action plan (Uppföljning): training participants per target group
over the period, and each sector's share of the concern reports beside its share of the
training participants. Training figures concern professionals and are shown exactly; the
concern reports are protected like every other count."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import plotly.graph_objects as go

from lagesbild import charts
from lagesbild.domain.formatting import fmt_int, fmt_number
from lagesbild.numbers import followup as fi
from lagesbild.numbers.query import Filters
from lagesbild.views import words
from lagesbild.views.base import Context, Entry, Protection, Source, source

TRAINING_SOURCE = ("Källa: UmeBrå, registrerade utbildningsinsatser. Antal deltagare gäller "
                   "yrkesverksamma och visas exakt.")


@dataclass(frozen=True)
class Trainings(Entry):
    """Participants per target group and quarter, as bars, with the context events."""

    key = "deltagare"
    uses_events = True

    def source(self, filters: Filters, protection: Protection) -> Source:
        return source(fi.trainings_per_quarter, filters.from_quarter, filters.to_quarter,
                      "malgrupp")

    def is_empty(self, table: pd.DataFrame) -> bool:
        return table.empty or int(table["insatser"].sum()) == 0

    def what(self) -> str:
        return "Deltagare per målgrupp"

    def figure(self, table: pd.DataFrame, context: Context) -> go.Figure:
        efforts = int(table["insatser"].sum())
        chart = replace(context.chart, filters="Alla utbildningsinsatser", n=None,
                        extra=(f"{fmt_int(efforts)} insatser",), source=TRAINING_SOURCE)
        shown = table[table.groupby("malgrupp")["deltagare"].transform("sum") > 0]
        return charts.trend_chart(shown, chart, what=self.title(context), series="malgrupp",
                                  value="deltagare", label=None, suppressed=None, kind="bar",
                                  y_title="Deltagare", events=context.events,
                                  style=context.style)


    def summary(self, table: pd.DataFrame, context: Context) -> str:
        per_group = table.groupby("malgrupp", sort=False)["deltagare"].sum()
        per_group = per_group[per_group > 0].sort_values(ascending=False)
        listing = ", ".join(f"{g} {fmt_int(n)}" for g, n in per_group.items())
        return (f"{context.chart.period}: {fmt_int(int(table['deltagare'].sum()))} deltagare "
                f"i {fmt_int(int(table['insatser'].sum()))} insatser; {listing}.")

    def alt_table(self, table: pd.DataFrame) -> pd.DataFrame:
        shown = table[table.groupby("malgrupp")["deltagare"].transform("sum") > 0]
        return words.wide(shown.assign(_v=[fmt_int(n) for n in shown["deltagare"]]),
                          "malgrupp", "kvartal", "Målgrupp", value="_v")


def _decimals(values: pd.Series) -> list[str]:
    return [fmt_number(v, 1) if pd.notna(v) else "–" for v in values]


@dataclass(frozen=True)
class ConcernsAndTraining(Entry):
    """Per sector, its share of the concern reports beside its share of the training
    participants; sectors with many concerns and little training are flagged."""

    key = "oro_utbildning"

    def source(self, filters: Filters, protection: Protection) -> Source:
        return source(fi.concern_vs_training, filters.from_quarter, filters.to_quarter,
                      protection.disclosure)

    def what(self) -> str:
        return "Orosrapporter och utbildningsdeltagare per verksamhet"

    def download_name(self, context: Context) -> str:
        return "Orosrapporter och utbildning per verksamhet"

    def figure(self, table: pd.DataFrame, context: Context) -> go.Figure:
        chart = replace(context.chart, filters="Orosrapporter och utbildningsinsatser",
                        n=None)
        concerns = [f"{fmt_number(v, 1)} % ({n} rapporter)" if pd.notna(v)
                    else f"visas inte ({n} rapporter)"
                    for v, n in zip(table["oro_andel"], table["oro_visas"], strict=True)]
        reached = [f"{fmt_number(v, 1)} % ({fmt_int(n)} deltagare)"
                   for v, n in zip(table["deltagar_andel"], table["deltagare"], strict=True)]
        return charts.paired_bars(
            table, chart, what=self.title(context), category="verksamhet", bars=[
                charts.Bars("oro_andel", "Andel av orosrapporterna (%)",
                            charts.OKABE_ITO["vermillion"], concerns),
                charts.Bars("deltagar_andel", "Andel av deltagarna (%)",
                            charts.OKABE_ITO["blue"], reached)],
            x_title="Procent", style=context.style)

    def caption(self, table: pd.DataFrame, context: Context) -> str:
        return (f"Markering: minst {fi.MANY_CONCERNS_SHARE:.0f} % av orosrapporterna och "
                "mindre än hälften så stor andel av utbildningsdeltagarna."
                + (f" Antal orosrapporter under {context.threshold} visas inte."
                   if context.threshold else ""))

    def summary(self, table: pd.DataFrame, context: Context) -> str:
        flagged = table[table["lite_utbildning"].astype(bool)]["verksamhet"].tolist()
        return (f"{context.chart.period}: " + (
            "många orosrapporter men lite utbildning: " + ", ".join(map(str, flagged)) + "."
            if flagged else "ingen verksamhet har många orosrapporter och lite utbildning."))

    def display(self, table: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({
            "Verksamhet": table["verksamhet"], "Orosrapporter": table["oro_visas"],
            "Andel av orosrapporterna (%)": _decimals(table["oro_andel"]),
            "Insatser": table["insatser"], "Deltagare": table["deltagare"],
            "Andel av deltagarna (%)": _decimals(table["deltagar_andel"]),
            "Deltagare per orosrapport": _decimals(table["deltagare_per_oro"]),
            "Bedömning": table["bedomning"]})
