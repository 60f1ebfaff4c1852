"""Målgrupper: gender and age of the people concerned, and the consultation-forum funnel."""

from __future__ import annotations

import streamlit as st

from lagesbild.views import Funnel, Lens
from ui import render, selection, state, view

state.ensure_entrypoint()

filters = selection.current_filters()

LENSES = {"Kön": "kon", "Åldersgrupp": "aldersgrupp"}
GROUPS = {"per form av extremism": "form", "per händelsetyp": "handelse"}

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

coarse = False
if by == "aldersgrupp":
    exact = view.exact()
    coarse = st.toggle(
        "Slå ihop åldersgrupper (0–17, 18–24, 25+)", key="mal_grova_aldrar",
        disabled=not exact,
        help="Med exakta antal (analytiker) kan åldersgrupperna slås ihop." if exact else
             "Finns bara med exakta antal: skyddade siffror har en indelning per uppgift, "
             "annars kunde en dold åldersgrupp räknas fram ur skillnaden mellan två.") \
        and exact
lens = Lens(by=by, group=group, coarse_ages=coarse)
table = render.show_view(lens, filters)
if table is None:
    st.stop()
with st.expander("Tabell: antal och andel"):
    render.show_table(lens.display(table), f"{lens.what()} tabell", download=table)

# -- the consultation forum ------------------------------------------------------------------
st.subheader("Konsultationsforum per verksamhet")
st.markdown("Hur många av varje verksamhets rapporter under perioden som togs upp i "
            "konsultationsforum.")
render.show_view(Funnel(), filters)
