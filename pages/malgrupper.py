"""Målgrupper: gender and age of the people concerned, and the consultation-forum funnel."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild import charts
from lagesbild.domain.formatting import fmt_pct
from lagesbild.numbers import indicators as ind
from lagesbild.numbers.disclosure import TOTAL
from ui import render, selection, state, view

state.ensure_entrypoint()

filters = selection.current_filters()
disclosure = view.disclosure()

LENSES = {"Kön": "kon", "Åldersgrupp": "aldersgrupp"}
GROUPS = {"per form av extremism": "form", "per händelsetyp": "handelse"}
UNKNOWN_WORD = {"kon": "annat kön eller okänt", "aldersgrupp": "ålder okänd"}
# Gender "Annat" is almost always a small count: shown together with "Okänt" so that the
# shares of women and men can be published (see ind.lens). Only the merged table is shown.
MERGE = {"kon": ind.GENDER_OTHER_WITH_UNKNOWN, "aldersgrupp": None}
X_TITLE = {"kon": "Andel av kvinnor och män (%)",
           "aldersgrupp": "Andel av dem där åldern är känd (%)"}

st.title("Målgrupper")
st.markdown("Kön och ålder hos de personer rapporterna gäller. Andelarna räknas på dem där "
            "uppgiften är känd; hur många som är okända står till höger om varje stapel. "
            "Annat kön redovisas tillsammans med okänt kön (Annat/okänt), eftersom det "
            "nästan alltid är för få för att visas för sig.")

left, right = st.columns(2)
lens_label = left.segmented_control("Uppgift", list(LENSES), default="Kön",
                                    key="mal_lens") or "Kön"
group_label = right.segmented_control("Dela upp", list(GROUPS),
                                      default="per form av extremism",
                                      key="mal_group") or "per form av extremism"
by, group = LENSES[lens_label], GROUPS[group_label]

ALL = "Alla rapporter"
table = state.call(ind.lens, group, by, filters, disclosure, merge=MERGE[by])
rows = table.assign(**{group: table[group].replace(TOTAL, ALL)})
totals = rows[rows[by] == TOTAL].set_index(group)
present = [g for g in totals.index
           if totals.loc[g, "undertryckt"] or int(totals.loc[g, "antal"] or 0) > 0]
present = [ALL] + [g for g in present if g != ALL] if ALL in present else present
if not present:
    st.info("Inga rapporter i urvalet.")
    st.stop()
rows = rows[rows[group].isin(present) & (rows[by] != TOTAL)]
known = rows[rows["kand"].astype(bool)]
unknown = rows[~rows["kand"].astype(bool)].set_index(group)

notes: dict[str, str] = {}
for g in present:
    total_text = totals.loc[g, "visas"]
    unknown_text = unknown.loc[g, "visas"] if g in unknown.index else "0"
    hidden_shares = known[(known[group] == g)]["andel"].isna().all()
    note = f"{UNKNOWN_WORD[by]}: {unknown_text} av {total_text}"
    if hidden_shares:
        note += " · andelar visas inte (små tal)"
    notes[g] = note

what = f"{lens_label} {group_label}"
ctx = view.chart_context(filters)
fig = charts.stacked_shares(
    known, ctx, what=what, group=group, category=by, share="andel", label="visas",
    group_order=present, category_order=ind.category_order(by, list(known[by])),
    unknown_note=notes, x_title=X_TITLE[by],
)
render.show_chart(fig, table, what,
                  caption="Andelar där uppgiften är känd. Okända redovisas separat och ingår "
                          "inte i nämnaren (för kön: annat kön och okänt tillsammans). En "
                          "stapel utan andelar har ett för litet tal för att visas.")

with st.expander("Tabell: antal och andel"):
    display = rows.assign(
        andel_text=[("–" if pd.isna(a) else fmt_pct(a, 0)) for a in rows["andel"]],
    )
    wide = display.pivot(index=group, columns=by, values="visas")
    wide = wide.reindex(index=[g for g in present if g in wide.index],
                        columns=ind.category_order(by, list(wide.columns)))
    shares_wide = display[display["kand"].astype(bool)].pivot(index=group, columns=by,
                                                              values="andel_text")
    shares_wide.columns = [f"{c} (andel)" for c in shares_wide.columns]
    combined = wide.join(shares_wide).reset_index().rename(columns={group: group_label[4:]
                                                                    .capitalize()})
    render.show_table(combined, f"{what} tabell", download=table)

# -- the consultation forum ------------------------------------------------------------------
st.subheader("Konsultationsforum per verksamhet")
st.markdown("Hur många av varje verksamhets rapporter under perioden som togs upp i "
            "konsultationsforum.")
forum = state.call(ind.funnel, filters, disclosure, per_quarter=False)
partners = forum[forum["verksamhet"] != TOTAL]  # only partners with reports in the period
columns = ["verksamhet", "steg", "antal", "visas", "undertryckt"]
funnel = pd.concat([
    partners.assign(steg="Alla rapporter")[columns],
    partners.assign(steg="Till konsultationsforum", antal=partners["konsultation"],
                    visas=partners["konsultation_visas"],
                    undertryckt=partners["konsultation_undertryckt"])[columns],
], ignore_index=True)
if funnel.empty:
    st.info("Inga rapporter i urvalet.")
else:
    order = (partners.sort_values("antal", ascending=False, na_position="last")
             ["verksamhet"].tolist())
    fig = charts.funnel_chart(
        funnel, ctx, what="Rapporter och ärenden i konsultationsforum per verksamhet",
        stage="steg", group="verksamhet",
        stage_order=["Alla rapporter", "Till konsultationsforum"], group_order=order)
    render.show_chart(fig, forum, "Konsultationsforum per verksamhet")
