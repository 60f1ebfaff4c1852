"""Trender: counts or rates per quarter, by a breakdown of the user's choice."""

from __future__ import annotations

import streamlit as st

from lagesbild.views import Trend
from ui import render, selection, state

state.ensure_entrypoint()

filters = selection.current_filters()

BREAKDOWNS = {
    "Form av extremism": "form",
    "Händelsetyp": "handelse",
    "Rapporterande verksamhet": "verksamhet",
    "Rapporttyp": "rapporttyp",
    "Område": "omrade",
    "Ingen uppdelning (totalt)": None,
}
MEASURES = {"Antal rapporter": "antal", "Per 10 000 invånare": "per10k"}

st.title("Trender")
st.markdown("Hur antalet rapporter har utvecklats kvartal för kvartal. Bandet visar det "
            "normala intervallet utifrån de åtta föregående kvartalen; en ring markerar ett "
            "ovanligt kvartal.")

left, middle, right = st.columns([2, 2, 2])
label = left.selectbox("Dela upp efter", list(BREAKDOWNS), key="trend_by")
measure_label = middle.segmented_control("Mått", list(MEASURES), default="Antal rapporter",
                                         key="trend_measure") or "Antal rapporter"
by, measure = BREAKDOWNS[label], MEASURES[measure_label]
layout = right.segmented_control(
    "Visa som", ["Ett diagram", "Ett per kategori"], default="Ett diagram",
    key="trend_layout", disabled=by is None) or "Ett diagram"

per10k = measure == "per10k"
entry = Trend(by=by, measure=measure, multiples=bool(by) and layout == "Ett per kategori")
table = render.show_view(entry, filters)
if table is None:
    st.stop()
what = entry.what()

# -- what stands out ---------------------------------------------------------------------------
flagged = table[table["signal"].astype(bool)]
notes = []
for row in flagged.itertuples(index=False):
    who = f"{render.plain(getattr(row, by))}: " if by else ""
    notes.append(f"- **{row.kvartal}** – {who}{render.plain(row.signal_text)}")
if notes:
    st.markdown("**Ovanliga kvartal**\n\n" + "\n".join(notes))
else:
    st.markdown("**Ovanliga kvartal:** inga i perioden – alla kvartal ligger inom det normala "
                "intervallet (eller serien är för kort för en bedömning).")
incomplete = (table[table["ofullstandig"].astype(bool)][["kvartal", "saknade_verksamheter"]]
              .drop_duplicates())
if len(incomplete):
    st.caption("Ofullständiga kvartal (verksamheter som inte har rapporterat): " + "; ".join(
        f"{r.kvartal}: {render.plain(r.saknade_verksamheter)}"
        for r in incomplete.itertuples(index=False)))
break_notes = sorted({note for note in table["serieavbrott"] if note})
if break_notes:
    st.caption("Serieavbrott: " + render.plain_list(break_notes, " "))
if per10k and "befolkning_anm" in table:
    remarks = sorted({str(n) for n in table["befolkning_anm"].dropna() if str(n)})
    if remarks:
        st.caption("Befolkning: " + render.plain_list(remarks, "; ") + ". Där befolkningen "
                   "saknas visas "
                   "ingen kvot.")

# -- the table ------------------------------------------------------------------------------------
st.subheader("Tabell")
render.show_table(entry.display(table), f"{what} tabell", download=table)
