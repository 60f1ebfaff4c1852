"""Målgrupper: gender and age of the people concerned, and the consultation-forum funnel."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild import charts
from lagesbild import indicators as ind
from lagesbild.disclosure import TOTAL
from lagesbild.formatting import fmt_pct
from ui import render, state

state.ensure_entrypoint()

filters = state.current_filters()
disclosure = state.disclosure()

LENSES = {"Kön": "kon", "Åldersgrupp": "aldersgrupp"}
GROUPS = {"per form av extremism": "form", "per händelsetyp": "handelse"}
UNKNOWN_WORD = {"kon": "kön okänt", "aldersgrupp": "ålder okänd"}

st.title("Målgrupper")
st.markdown("Kön och ålder hos de personer rapporterna gäller. Andelarna räknas på dem där "
            "uppgiften är känd; hur många som är okända står till höger om varje stapel.")

left, right = st.columns(2)
lens_label = left.segmented_control("Uppgift", list(LENSES), default="Kön",
                                    key="mal_lens") or "Kön"
group_label = right.segmented_control("Dela upp", list(GROUPS),
                                      default="per form av extremism",
                                      key="mal_group") or "per form av extremism"
by, group = LENSES[lens_label], GROUPS[group_label]

ALL = "Alla rapporter"
table = state.call(ind.lens, group, by, filters, disclosure)
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
ctx = state.chart_context(filters)
fig = charts.stacked_shares(
    known, ctx, what=what, group=group, category=by, share="andel", label="visas",
    group_order=present, category_order=ind.category_order(by, list(known[by])),
    unknown_note=notes, x_title="Andel av dem där uppgiften är känd (%)",
)
render.show_chart(fig, table, what,
                  caption="Andelar där uppgiften är känd. Okända redovisas separat och ingår "
                          "inte i nämnaren. En stapel utan andelar har ett för litet tal för "
                          "att visas.")

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
forum = state.call(ind.crosstab, "verksamhet", "konsultation", filters, disclosure)
stages = {TOTAL: "Alla rapporter", "Ja": "Till konsultationsforum"}
funnel = forum[forum["konsultation"].isin(list(stages)) & (forum["verksamhet"] != TOTAL)]
funnel = funnel.assign(steg=funnel["konsultation"].map(stages))
active = funnel[(funnel["steg"] == "Alla rapporter")
                & (funnel["undertryckt"] | (funnel["antal"].fillna(0) > 0))]["verksamhet"]
funnel = funnel[funnel["verksamhet"].isin(list(active))]
if funnel.empty:
    st.info("Inga rapporter i urvalet.")
else:
    order = (funnel[funnel["steg"] == "Alla rapporter"]
             .sort_values("antal", ascending=False, na_position="last")["verksamhet"].tolist())
    fig = charts.funnel_chart(
        funnel, ctx, what="Rapporter och ärenden i konsultationsforum per verksamhet",
        stage="steg", group="verksamhet", stage_order=list(stages.values()),
        group_order=order)
    render.show_chart(fig, forum, "Konsultationsforum per verksamhet")
