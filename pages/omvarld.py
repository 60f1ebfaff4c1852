"""Omvärld: context events that help explain the curves (drawn on every trend chart).

Both roles see the events; only analysts add, change or remove them (the engine refuses
others, see lagesbild.access.policy). Every change is kept in the history and can be undone.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lagesbild.access import policy
from lagesbild.charts.events import EVENT_COLOUR
from lagesbild.domain.contracts import event_categories
from lagesbild.domain.periods import quarter_end, quarter_start
from lagesbild.domain.text import literal_html
from lagesbild.intake.followup.edits import EditRefused
from lagesbild.intake.followup.events import MAX_TITLE
from lagesbild.numbers.events import current_events, event_history
from ui import render, selection, signin, state

state.ensure_entrypoint()

TODAY = dt.date.today()
FLASH = "_omvarld_meddelande"


def flash(text: str) -> None:
    st.session_state[FLASH] = text
    st.rerun()


store = state.get_store()
user = signin.current_user()
editor = policy.can_edit(user)
first, last = selection.current_period(TODAY)

st.title("Omvärldshändelser")
st.markdown("Händelser i omvärlden som hjälper till att förstå kurvorna: ändrad nationell "
            "hotnivå, attacker och andra händelser, lokala kampanjer och insatser, ändrad "
            "rapportering hos en partner. De markeras med en prickad linje och ett nummer i "
            "trenddiagrammen och i exporterna för perioden.")
if st.session_state.get(FLASH):
    st.success(st.session_state.pop(FLASH), icon=":material/task_alt:")

show_all = st.toggle("Visa alla händelser (inte bara perioden)", key="omvarld_alla")
everything = state.call(current_events, False)
if show_all or everything.empty:
    shown = everything
    heading = "Alla händelser"
else:
    days = pd.to_datetime(everything["datum"]).dt.date
    shown = everything[(days >= quarter_start(first)) & (days <= quarter_end(last))]
    heading = f"Händelser {first}–{last}"

st.subheader(heading)
if shown.empty:
    st.info("Inga omvärldshändelser är registrerade" + ("" if show_all else " för perioden")
            + ".")
else:
    oldest_first = shown.sort_values(["datum", "handelse_id"]).reset_index(drop=True)
    fig = go.Figure(go.Scatter(
        x=pd.to_datetime(oldest_first["datum"]), y=oldest_first["kategori"],
        mode="markers+text", text=[str(i) for i in range(1, len(oldest_first) + 1)],
        textposition="top center", marker=dict(size=12, color=EVENT_COLOUR),
        hovertext=[f"{d:%Y-%m-%d}<br>{literal_html(t)}" for d, t in zip(
            pd.to_datetime(oldest_first["datum"]), oldest_first["titel"], strict=True)],
        hoverinfo="text"))
    fig.update_layout(template="plotly_white", height=140 + 45 * oldest_first["kategori"]
                      .nunique(), margin=dict(l=16, r=16, t=50, b=40),
                      title=dict(text=heading + ("" if show_all else
                                                 " (numrerade som i trenddiagrammen)"), x=0),
                      xaxis=dict(tickformat="%Y-%m", title=None),
                      yaxis=dict(categoryorder="array",
                                 categoryarray=[c for c in event_categories()[::-1]
                                                if c in set(oldest_first["kategori"])]))
    table = pd.DataFrame({
        "Nr": range(1, len(oldest_first) + 1),
        "Datum": pd.to_datetime(oldest_first["datum"]).dt.strftime("%Y-%m-%d"),
        "Kvartal": oldest_first["kvartal"], "Kategori": oldest_first["kategori"],
        "Titel": oldest_first["titel"],
        "Senast ändrad": [f"{t:%Y-%m-%d} av {w}" for t, w in zip(
            oldest_first["andrad"], oldest_first["andrad_av"], strict=True)]})
    render.show_chart(fig, None, "Omvärldshändelser", key="chart_omvarld",
                      alt_table=table.drop(columns="Senast ändrad"),
                      summary=f"{len(table)} händelser, den senaste {table['Datum'].iloc[-1]}.")
    render.show_table(table, "Omvärldshändelser tabell", download=table, key="tabell_omvarld")

if editor:
    st.subheader("Lägg till eller ändra en händelse")
    st.caption("Skriv en kort, allmän rubrik – aldrig namn eller andra uppgifter om enskilda "
               "personer. Rubriken visas i diagrammen och exporterna.")
    options = ["Ny händelse"] + [f"{r.handelse_id} – {r.datum:%Y-%m-%d} {r.titel}"
                                 for r in everything.itertuples()]
    choice = st.selectbox("Händelse", options, key="omvarld_val")
    current = ({} if choice == "Ny händelse" else
               everything[everything["handelse_id"] == choice.split(" – ")[0]].iloc[0]
               .to_dict())
    kinds = event_categories()
    with st.form(f"omvarld_form_{choice}", border=True):
        c1, c2 = st.columns([1, 2])
        day = c1.date_input("Datum", current.get("datum", TODAY), max_value=TODAY,
                            format="YYYY-MM-DD")
        kind = c2.selectbox("Kategori", kinds, index=kinds.index(current["kategori"])
                            if current.get("kategori") in kinds else 0)
        title = st.text_input("Titel", current.get("titel", ""), max_chars=MAX_TITLE,
                              placeholder="T.ex. Nationell hotnivå sänkt till 3")
        saved = st.form_submit_button("Spara", type="primary", icon=":material/save:")
    if saved:
        try:
            if current:
                receipt = policy.edit_event(store, user, current["handelse_id"], day, kind,
                                             title, TODAY)
                message = (f"{current['handelse_id']} är ändrad." if receipt.batch_id
                           else "Inget ändrades.")
            else:
                message = f"{policy.add_event(store, user, day, kind, title, TODAY)} är " \
                          "tillagd."
            if not quarter_start(first) <= day <= quarter_end(last):
                message += (f" Datumet ligger utanför perioden {first}–{last}; slå på Visa "
                            "alla händelser för att se den.")
        except EditRefused as refused:
            st.error(str(refused), icon=":material/error:")
        else:
            flash(message)
    if current and st.button("Ta bort händelsen", key="omvarld_ta_bort",
                             icon=":material/delete:",
                             help="Händelsen försvinner ur diagrammen men finns kvar i "
                                  "historiken; borttagningen kan ångras."):
        policy.remove_event(store, user, current["handelse_id"])
        flash(f"{current['handelse_id']} är borttagen.")
else:
    st.caption("Händelser läggs till och ändras av en analytiker.")

with st.expander("Historik: alla ändringar", icon=":material/history:"):
    history = state.call(event_history, None)
    if history.empty:
        st.caption("Inga ändringar ännu.")
    else:
        table = pd.DataFrame({
            "Ändring": history["batch_id"], "ID": history["handelse_id"],
            "Datum": pd.to_datetime(history["datum"]).dt.strftime("%Y-%m-%d"),
            "Kategori": history["kategori"],
            "Titel": history["titel"],
            "Borttagen": history["borttagen"].map({True: "ja", False: ""}),
            "Ändrad": [f"{t:%Y-%m-%d %H:%M}" for t in history["andrad"]],
            "Av": history["andrad_av"],
            "Ångrad": [f"{t:%Y-%m-%d}" if pd.notna(t) else "" for t in history["aterstalld"]]})
        render.show_table(table, "Omvärldshändelser historik", key="tabell_omvarld_historik")
        if editor:
            undoable = sorted({int(b) for b, r in zip(history["batch_id"],
                                                      history["aterstalld"], strict=True)
                               if pd.isna(r)}, reverse=True)
            left, right = st.columns([1, 2])
            chosen = left.selectbox("Ångra ändring nummer", undoable, key="omvarld_angra")
            if right.button("Ångra ändringen", key="omvarld_angra_knapp",
                            icon=":material/undo:") and chosen is not None:
                policy.guarded_rollback(store, user, int(chosen))
                flash(f"Ändring {chosen} är ångrad.")
