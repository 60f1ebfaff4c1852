"""Trender: counts or rates per quarter, by a breakdown of the user's choice."""

from __future__ import annotations

import streamlit as st

from lagesbild import charts
from lagesbild.charts.events import event_legend
from lagesbild.domain.formatting import fmt_number
from lagesbild.numbers import indicators as ind
from lagesbild.numbers.events import events_for_period
from ui import render, selection, state, view

state.ensure_entrypoint()

filters = selection.current_filters()
disclosure = view.disclosure()

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

table = state.call(ind.trend, filters, by, measure, disclosure)
if table.empty:
    st.info("Inga rapporter i urvalet.")
    st.stop()

per10k = measure == "per10k"
what = ("Rapporter per 10 000 invånare och år" if per10k else "Rapporter") + (
    f" per {label.lower()}" if by else "")
ctx = view.chart_context(filters)
if per10k:
    ctx = ctx.with_extra("Invånare: SCB:s befolkning per RegSO")
breaks = sorted({q for q, note in zip(table["kvartal"], table["serieavbrott"], strict=True)
                 if note})
y_title = "Per 10 000 invånare och år" if per10k else "Antal rapporter"
events = state.call(events_for_period, filters.from_quarter, filters.to_quarter)
if by and layout == "Ett per kategori":
    fig = charts.small_multiples(
        table, ctx, what=what, facet=by, value="varde", label=None if per10k else "visas",
        lower="nedre_grans", upper="ovre_grans", baseline="baslinje", signal="signal",
        breaks=breaks, y_title=y_title, decimals=1 if per10k else 0, counts=not per10k,
        events=events)
else:
    fig = charts.trend_chart(
        table, ctx, what=what, series=by, value="varde", label=None if per10k else "visas",
        lower="nedre_grans", upper="ovre_grans", baseline="baslinje", signal="signal",
        breaks=breaks, y_title=y_title, decimals=1 if per10k else 0, counts=not per10k,
        incomplete=sorted(set(table.loc[table["ofullstandig"].astype(bool), "kvartal"])),
        events=events)
many = by is not None and table[by].nunique() > 4 and layout == "Ett diagram"
render.show_chart(
    fig, table, what,
    caption=("Normalt intervall visas per kategori när kategorierna är högst fyra; välj "
             "'Ett per kategori' för att se det för alla. " if many else "")
    + "Avbrott i linjen: värdet är under 5 eller kan inte visas.",
    events=event_legend(events),
)

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
if per10k:
    shown = table.assign(_v=[
        t if h else "–" if v is None or str(v) == "<NA>" else fmt_number(v, 1)
        for v, h, t in zip(table["varde"], table["undertryckt"], table["visas"], strict=True)])
    value_column = "_v"
else:
    shown, value_column = table, "visas"
if by:
    wide = shown.pivot(index=by, columns="kvartal", values=value_column)
    wide = wide.reindex(index=ind.category_order(by, list(wide.index)))
    wide.index.name = label
    wide = wide.reset_index()
else:
    wide = shown[["kvartal", value_column]].set_index("kvartal").T
    wide.insert(0, "", [y_title])
render.show_table(wide, f"{what} tabell", download=table)
