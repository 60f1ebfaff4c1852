"""Områden: where in Umeå – map, district × quarter heat map, ranking."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from lagesbild import charts
from lagesbild.domain.formatting import fmt_number
from lagesbild.numbers import indicators as ind
from lagesbild.numbers.disclosure import TOTAL
from ui import render, selection, state, view

state.ensure_entrypoint()

filters = selection.current_filters()
disclosure = view.disclosure()
ALL_FORMS = "Alla former i urvalet"
NO_PLACE = ("Digitalt", "Okänt")

st.title("Områden")
st.markdown("Var i kommunen rapporterna gäller. Kartan visar Umeås 42 RegSO-områden (SCB), "
            "färgade efter stadsdelen de hör till – hela kommunen till vänster, tätorten "
            "förstorad till höger. Grått = färre än 5 rapporter, visas inte.")

left, right = st.columns([3, 4])
form_options = [ALL_FORMS, *(filters.form or selection.filter_options()["form"])]
form = left.selectbox("Form av extremism", form_options, key="omr_form")
measure = right.segmented_control("Mått", ["Antal", "Per 10 000 invånare"], default="Antal",
                                  key="omr_measure") or "Antal"
chosen = filters if form == ALL_FORMS else replace(filters, form=(form,))
per10k = measure != "Antal"

table = state.call(ind.crosstab, "omrade", "kvartal", chosen, disclosure)
totals = table[table["kvartal"] == TOTAL]
per_district = totals[totals["omrade"] != TOTAL].reset_index(drop=True)
grand = totals[totals["omrade"] == TOTAL]
if grand.empty or (not grand["undertryckt"].iloc[0] and int(grand["antal"].iloc[0]) == 0):
    st.info("Inga rapporter i urvalet.")
    st.stop()
ctx = view.chart_context(chosen)
what_form = "" if form == ALL_FORMS else f" – {form}"

if per10k:
    # One rate per district over the whole chosen period (population: see ind.rates).
    rates = state.call(ind.rates, "omrade", ind.PERIOD, chosen, disclosure)
    map_data = rates.reset_index(drop=True)
    places = map_data[~map_data["omrade"].isin(NO_PLACE)]
    notes = sorted({str(n) for n in places.loc[~places["befolkning_saknas"].astype(bool),
                                               "befolkning_anm"] if str(n)})
    n_quarters = int(map_data["antal_kvartal"].iloc[0]) if len(map_data) else 0
    map_ctx = ctx.with_extra(*(n[:1].upper() + n[1:] for n in notes),
                             *([f"Per år: snittet av {n_quarters} kvartal"] if n_quarters
                               else []))
    rank_ctx = map_ctx
    value, colour_title, decimals = "per10k", "Per 10 000 och år", 1
    what_map = f"Rapporter per 10 000 invånare och år per stadsdel{what_form}"
    missing = places[places["befolkning_saknas"].astype(bool)]
    if len(missing):
        reasons = sorted({str(n) for n in missing["befolkning_anm"] if str(n)})
        st.caption("Befolkning saknas för perioden – kvot visas inte för "
                   + ", ".join(missing["omrade"]) + (f" ({'; '.join(reasons)})" if reasons
                                                      else "") + ".")
    map_data = map_data.assign(_rate=[
        vis if h else ("–" if pd.isna(v) else fmt_number(v, 1))
        for v, h, vis in zip(map_data["per10k"], map_data["undertryckt"], map_data["visas"],
                             strict=True)])
    map_label = "_rate"
else:
    map_data, map_ctx = per_district, ctx
    rank_ctx = ctx
    value, colour_title, decimals, map_label = "antal", "Antal", 0, "visas"
    what_map = f"Rapporter per stadsdel{what_form}"

on_map = map_data[~map_data["omrade"].isin(NO_PLACE)].reset_index(drop=True)
elsewhere = per_district[per_district["omrade"].isin(NO_PLACE)]
if len(elsewhere):
    map_ctx = map_ctx.with_extra("Ej på kartan: " + ", ".join(
        f"{r.omrade} {r.visas}" for r in elsewhere.itertuples(index=False)))
fig = charts.district_map(
    on_map, map_ctx, what=what_map, value=value, label=map_label, colour_title=colour_title,
    decimals=decimals,
)
render.show_chart(fig, map_data, what_map, key="omr_karta",
                  caption="Färgen gäller hela stadsdelen: alla RegSO-områden i en stadsdel har "
                          "samma färg. Håll muspekaren över ett område för detaljer.")

st.subheader("Stadsdelar kvartal för kvartal")
grid = table[(table["omrade"] != TOTAL) & (table["kvartal"] != TOTAL)]
fig = charts.heatmap(grid, ctx, what=f"Rapporter per stadsdel och kvartal{what_form}",
                     x="kvartal", y="omrade",
                     y_order=ind.category_order("omrade", list(grid["omrade"])))
render.show_chart(fig, table, f"Rapporter per stadsdel och kvartal{what_form}", key="omr_rutnat",
                  caption="Grå rutor: färre än 5 rapporter (<5) eller dolda för att skydda "
                          "ett litet tal i samma rad eller kolumn (..).")

st.subheader("Rangordning")
rank_data = map_data if per10k else per_district
rank_what = (f"Rapporter per 10 000 invånare och år per stadsdel{what_form}" if per10k
             else f"Rapporter per stadsdel{what_form}")
rank_data = rank_data[~(rank_data["omrade"].isin(NO_PLACE) & per10k)]
fig = charts.ranked_bar(rank_data, rank_ctx, what=rank_what,
                        category="omrade", value=value, label=map_label,
                        x_title="Per 10 000 invånare och år" if per10k else "Antal rapporter",
                        decimals=decimals, muted=NO_PLACE)
render.show_chart(fig, rank_data, rank_what, key="omr_rang")
