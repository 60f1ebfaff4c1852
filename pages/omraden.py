"""Områden: where in Umeå – map, district × quarter heat map, ranking."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from lagesbild.views import DistrictMap, DistrictQuarters, DistrictRanking
from ui import render, selection, state

state.ensure_entrypoint()

filters = selection.current_filters()
ALL_FORMS = "Alla former i urvalet"

st.title("Områden")
st.markdown("Var i kommunen rapporterna gäller. Kartan visar Umeås 42 RegSO-områden (SCB), "
            "färgade efter stadsdelen de hör till – hela kommunen till vänster, tätorten "
            "förstorad till höger. Grått = färre än 5 rapporter, visas inte.")

left, right = st.columns([3, 4])
form_options = [ALL_FORMS, *(filters.form or selection.filter_options()["form"])]
form = left.selectbox("Form av extremism", form_options, key="omr_form")
MEASURES = {"Antal": "antal", "Per 10 000 invånare": "per10k"}
measure = MEASURES[right.segmented_control("Mått", list(MEASURES), default="Antal",
                                           key="omr_measure") or "Antal"]
chosen = filters if form == ALL_FORMS else replace(filters, form=(form,))
focus = "" if form == ALL_FORMS else form

if render.show_view(DistrictMap(measure), chosen, key="omr_karta", focus=focus) is None:
    st.stop()

st.subheader("Stadsdelar kvartal för kvartal")
render.show_view(DistrictQuarters(), chosen, key="omr_rutnat", focus=focus)

st.subheader("Rangordning")
render.show_view(DistrictRanking(measure), chosen, key="omr_rang", focus=focus)
