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
            "normala intervallet utifrån tidigare kvartal; en ring markerar ett ovanligt "
            "kvartal. Ovanliga kvartal bedöms för totalen, formerna och områdena.")

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
assessed = by in (None, "form", "omrade")
if notes:
    st.markdown("**Ovanliga kvartal**\n\n" + "\n".join(notes))
elif assessed:
    st.markdown("**Ovanliga kvartal:** inga i perioden – inget kvartal är ovanligt högt eller "
                "lågt (eller serien är för kort för en bedömning).")
else:
    st.markdown("**Ovanliga kvartal** bedöms för totalen, formerna och områdena, inte per "
                f"{label.lower()}.")
lasting = table[table["varaktig"].astype(str) != ""]
if len(lasting):
    st.markdown("**Varaktiga förändringar** (de fyra senaste kvartalen mot de fyra före)\n\n"
                + "\n".join(f"- **{r.kvartal}** – "
                             f"{render.plain(getattr(r, by)) + ': ' if by else ''}"
                             f"{render.plain(r.varaktig)}"
                             for r in lasting.itertuples(index=False)))
left_out = sorted({n for names in table["utan_verksamheter"] for n in str(names).split(", ")
                   if n})
if left_out:
    st.caption("Räknas inte med i jämförelserna för vissa kvartal (har inte rapporterat alla "
               "jämförda kvartal): " + render.plain_list(left_out) + ".")
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
    st.caption("Kvoten är per år: kvartalets antal gånger fyra, delat med befolkningen.")

# -- the table ------------------------------------------------------------------------------------
st.subheader("Tabell")
render.show_table(entry.display(table), f"{what} tabell", download=table)
