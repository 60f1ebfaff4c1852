"""Who the reports concern and where they lead: gender and age (Målgrupper, the meeting pack)
and the consultation-forum funnel per sector. Gender is broken down the one way the role's
`Protection` says (views.breakdowns), in the page's shares and in the pack's grid alike."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from lagesbild import charts
from lagesbild.domain.formatting import fmt_pct
from lagesbild.numbers import indicators as ind
from lagesbild.numbers.disclosure import TOTAL
from lagesbild.numbers.query import Filters
from lagesbild.views import words
from lagesbild.views.base import Context, Entry, Protection, Source, source

LENSES = {"kon": "Kön", "aldersgrupp": "Åldersgrupp"}
GROUPS = {"form": "form av extremism", "handelse": "händelsetyp"}
# Coarser age groups (children, young adults, adults), for exact tables only: protected
# numbers have one breakdown per dimension (views.breakdowns), and the coarse and the fine
# bands side by side would let a reader subtract a hidden band.
COARSE_AGES = {"0–12": "0–17", "13–15": "0–17", "16–17": "0–17", "25–39": "25+", "40+": "25+"}
UNKNOWN_WORD = {"kon": "annat kön eller okänt", "aldersgrupp": "ålder okänd"}
X_TITLE = {"kon": "Andel av kvinnor och män (%)",
           "aldersgrupp": "Andel av dem där åldern är känd (%)"}
ALL = "Alla rapporter"


@dataclass(frozen=True)
class Lens(Entry):
    """The shares of gender (or age groups) per form (or event type), of those where it is
    known; how many are unknown beside each bar."""

    key = "malgrupp"
    by: str = "kon"
    group: str = "form"
    coarse_ages: bool = False  # age groups merged (COARSE_AGES): exact counts only

    def source(self, filters: Filters, protection: Protection) -> Source:
        merge = protection.merge(self.by)
        if self.coarse_ages and self.by == "aldersgrupp" and protection.disclosure is None:
            merge = COARSE_AGES
        return source(ind.lens, self.group, self.by, filters, protection.disclosure,
                      merge=merge)

    def what(self) -> str:
        return f"{LENSES[self.by]} per {GROUPS[self.group]}"

    def _rows(self, table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        """The rows of the groups with reports ("Alla rapporter" first), their totals, and
        the groups in order."""
        rows = table.assign(**{self.group: table[self.group].replace(TOTAL, ALL)})
        totals = rows[rows[self.by] == TOTAL].set_index(self.group)
        present = [g for g in totals.index
                   if totals.loc[g, "undertryckt"] or int(totals.loc[g, "antal"] or 0) > 0]
        present = [ALL] + [g for g in present if g != ALL] if ALL in present else present
        return rows[rows[self.group].isin(present) & (rows[self.by] != TOTAL)], totals, present

    def is_empty(self, table: pd.DataFrame) -> bool:
        return not self._rows(table)[2]

    def figure(self, table: pd.DataFrame, context: Context) -> go.Figure:
        rows, totals, present = self._rows(table)
        known = rows[rows["kand"].astype(bool)]
        unknown = rows[~rows["kand"].astype(bool)].set_index(self.group)
        notes: dict[str, str] = {}
        for g in present:
            unknown_text = unknown.loc[g, "visas"] if g in unknown.index else "0"
            note = f"{UNKNOWN_WORD[self.by]}: {unknown_text} av {totals.loc[g, 'visas']}"
            if known[known[self.group] == g]["andel"].isna().all():
                note += " · andelar visas inte (små tal)"
            notes[g] = note
        return charts.stacked_shares(
            known, context.chart, what=self.title(context), group=self.group,
            category=self.by, share="andel", label="visas", group_order=present,
            category_order=list(dict.fromkeys(known[self.by])), unknown_note=notes,
            x_title=X_TITLE[self.by], style=context.style)

    def caption(self, table: pd.DataFrame, context: Context) -> str:
        return ("Andelar där uppgiften är känd. Okända redovisas separat och ingår inte i "
                "nämnaren (för kön: annat kön och okänt tillsammans). En stapel utan andelar "
                "har ett för litet tal för att visas.")

    def summary(self, table: pd.DataFrame, context: Context) -> str:
        rows, totals, present = self._rows(table)
        first = present[0] if present else ALL
        known = rows[rows["kand"].astype(bool) & (rows[self.group] == first)]
        shares = ", ".join(f"{getattr(r, self.by)} "
                           f"{'visas inte' if pd.isna(r.andel) else fmt_pct(r.andel, 0)}"
                           for r in known.itertuples(index=False))
        unknown = rows[~rows["kand"].astype(bool) & (rows[self.group] == first)]
        unknown_text = unknown["visas"].iloc[0] if len(unknown) else "0"
        return (f"{context.chart.period}, {first}: {shares} (av dem där uppgiften är känd); "
                f"{UNKNOWN_WORD[self.by]}: {unknown_text} av {totals.loc[first, 'visas']}."
                + words.protected_text(rows, context.threshold))

    def display(self, table: pd.DataFrame) -> pd.DataFrame:
        """Counts and shares per group, one column per category."""
        rows, _, present = self._rows(table)
        rows = rows.assign(andel_text=[("–" if pd.isna(a) else fmt_pct(a, 0))
                                       for a in rows["andel"]])
        wide = rows.pivot(index=self.group, columns=self.by, values="visas")
        wide = wide.reindex(index=[g for g in present if g in wide.index],
                            columns=list(dict.fromkeys(rows[self.by])))
        shares = rows[rows["kand"].astype(bool)].pivot(index=self.group, columns=self.by,
                                                       values="andel_text")
        shares.columns = [f"{c} (andel)" for c in shares.columns]
        return wide.join(shares).reset_index().rename(
            columns={self.group: GROUPS[self.group].capitalize()})


@dataclass(frozen=True)
class AgeGender(Entry):
    """Reports by age group and gender, with the totals of each."""

    key = "alder_kon"

    def source(self, filters: Filters, protection: Protection) -> Source:
        return source(ind.lens, "aldersgrupp", "kon", filters, protection.disclosure,
                      merge=protection.merge("kon"))

    def shape(self, raw: pd.DataFrame) -> pd.DataFrame:
        return raw[["aldersgrupp", "kon", "antal", "undertryckt", "visas"]]

    def what(self) -> str:
        return "Rapporter efter ålder och kön"

    def figure(self, table: pd.DataFrame, context: Context) -> go.Figure:
        grid = table[(table["aldersgrupp"] != TOTAL) & (table["kon"] != TOTAL)]
        return charts.heatmap(grid, context.chart, what=self.title(context), x="kon",
                              y="aldersgrupp", y_order=list(dict.fromkeys(grid["aldersgrupp"])),
                              style=context.style)

    def summary(self, table: pd.DataFrame, context: Context) -> str:
        return " ".join(self.notes(table, context)[:2])

    def alt_table(self, table: pd.DataFrame) -> pd.DataFrame:
        grid = table[(table["aldersgrupp"] != TOTAL) & (table["kon"] != TOTAL)]
        return words.wide(grid, "aldersgrupp", "kon", "Åldersgrupp")

    def notes(self, table: pd.DataFrame, context: Context) -> list[str]:
        by_gender = table[(table["aldersgrupp"] == TOTAL) & (table["kon"] != TOTAL)]
        by_age = table[(table["kon"] == TOTAL) & (table["aldersgrupp"] != TOTAL)]
        return [f"Per kön: {words.listing(by_gender, 'kon')}.",
                f"Per åldersgrupp: {words.listing(by_age, 'aldersgrupp')}.",
                "Grå rutor: under tröskeln (<) eller dolda för att skydda ett litet tal (..)."]


@dataclass(frozen=True)
class Funnel(Entry):
    """Per sector, its reports and how many of them were brought to the consultation forum,
    over the whole period given (the pack gives it the quarter)."""

    key = "konsultation"
    STAGES = ("Alla rapporter", "Till konsultationsforum")

    def source(self, filters: Filters, protection: Protection) -> Source:
        return source(ind.funnel, filters, protection.disclosure, per_quarter=False)

    @staticmethod
    def partners(table: pd.DataFrame) -> pd.DataFrame:
        return table[table["verksamhet"] != TOTAL]  # only partners with reports

    def is_empty(self, table: pd.DataFrame) -> bool:
        return self.partners(table).empty

    def what(self) -> str:
        return "Rapporter och ärenden i konsultationsforum per verksamhet"

    def download_name(self, context: Context) -> str:
        return "Konsultationsforum per verksamhet"

    def figure(self, table: pd.DataFrame, context: Context) -> go.Figure:
        partners = self.partners(table)
        columns = ["verksamhet", "steg", "antal", "visas", "undertryckt"]
        stages = pd.concat([
            partners.assign(steg=self.STAGES[0])[columns],
            partners.assign(steg=self.STAGES[1], antal=partners["konsultation"],
                            visas=partners["konsultation_visas"],
                            undertryckt=partners["konsultation_undertryckt"])[columns],
        ], ignore_index=True)
        order = (partners.sort_values("antal", ascending=False, na_position="last")
                 ["verksamhet"].tolist())
        return charts.funnel_chart(stages, context.chart, what=self.title(context),
                                   stage="steg", group="verksamhet",
                                   stage_order=list(self.STAGES), group_order=order,
                                   style=context.style)

    def alt_table(self, table: pd.DataFrame) -> pd.DataFrame:
        partners = self.partners(table)
        return pd.DataFrame({"Verksamhet": partners["verksamhet"],
                             self.STAGES[0]: partners["visas"],
                             self.STAGES[1]: partners["konsultation_visas"]})

    def notes(self, table: pd.DataFrame, context: Context) -> list[str]:
        notes = []
        total = table[table["verksamhet"] == TOTAL]
        if len(total):
            row = total.iloc[0]
            share = "" if pd.isna(row["andel"]) else f" ({fmt_pct(float(row['andel']), 0)})"
            notes.append(f"{context.chart.period}: {row['konsultation_visas']} av "
                         f"{row['visas']} rapporter togs upp i konsultationsforum{share}.")
        notes.append("Till konsultationsforum per verksamhet: "
                     + words.listing(self.partners(table), "verksamhet", "konsultation_visas")
                     + ".")
        return notes
