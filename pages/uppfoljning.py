"""Uppföljning: trainings and competence efforts, and the two-year activity plan.

Both roles see everything; importing files and editing the plan is for analysts only (the
engine refuses others, see lagesbild.access.policy).
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lagesbild.access import policy, roles
from lagesbild.domain.contracts import ACTIVITY, TRAINING, contract
from lagesbild.domain.formatting import fmt_int
from lagesbild.domain.periods import latest_complete_quarter, shift_quarter
from lagesbild.intake.followup.edits import EditRefused
from lagesbild.intake.followup.imports import describe
from lagesbild.intake.followup.templates import template_bytes
from lagesbild.numbers import activities as act
from lagesbild.numbers import followup as fi
from lagesbild.numbers.query import Filters
from lagesbild.views import ConcernsAndTraining, Trainings
from ui import render, selection, signin, state, view

state.ensure_entrypoint()

TODAY = dt.date.today()
FLASH = "_uppfoljning_meddelande"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_TYPES = ["xlsx", "xlsm", "xls", "ods", "csv", "txt"]  # every format the engine reads


def flash(text: str) -> None:
    st.session_state[FLASH] = text
    st.rerun()


def problems_frame(problems: list) -> pd.DataFrame:
    return pd.DataFrame([{"Rad": p.row if p.row is not None else "", "Kolumn": p.column or "",
                          "Värde": p.value or "", "Problem": p.reason, "Så rättar du": p.fix}
                         for p in problems])


def upload_section(kind: str, store, user: roles.User | None) -> None:  # noqa: ANN001
    """Check and import a trainings or activity-plan file (analysts)."""
    spec = contract(kind)
    st.download_button(f"Mall för {spec.title} (Excel)", template_bytes(kind),
                       file_name=spec.template_name, mime=XLSX, key=f"mall_{kind}",
                       icon=":material/download:", on_click="ignore")
    uploaded = st.file_uploader(f"Fil med {spec.title}", type=UPLOAD_TYPES, key=f"fil_{kind}")
    if uploaded is not None:
        check_and_offer(kind, uploaded.name, uploaded.getvalue(), store, user)


def check_and_offer(kind: str, name: str, data: bytes, store,  # noqa: ANN001
                    user: roles.User | None) -> None:
    """The check of an uploaded follow-up file given as (file name, bytes), and its import."""
    cache_key = f"_kontroll_{kind}_{hashlib.sha256(data).hexdigest()}"
    if cache_key not in st.session_state:
        st.session_state[cache_key] = policy.guarded_followup_check(store, user, kind, data,
                                                                    name, TODAY)
    checked = st.session_state[cache_key]
    if not checked.accepted:
        st.error(describe(checked) + " Rätta filen och ladda upp den igen.",
                 icon=":material/error:")
        st.dataframe(problems_frame(checked.problems), hide_index=True, width="stretch")
        return
    st.info(describe(checked), icon=":material/fact_check:")
    if checked.already_imported:
        return
    if st.button("Importera", key=f"importera_{kind}", type="primary",
                 icon=":material/upload:"):
        receipt = policy.guarded_followup_import(store, user, checked)
        del st.session_state[cache_key]
        flash(describe(checked, receipt))


store = state.get_store()
user = signin.current_user()
editor = policy.can_edit(user)
first, last = selection.current_period(TODAY)

st.title("Uppföljning av handlingsplanen")
st.markdown(f"Vad som har gjorts inom handlingsplanen mot våldsbejakande extremism: "
            f"utbildningar och andra kompetensinsatser, och läget i den tvååriga "
            f"aktivitetsplanen. Period: **{first}–{last}** (välj i sidopanelen).")
if st.session_state.get(FLASH):
    st.success(st.session_state.pop(FLASH), icon=":material/task_alt:")

tab_training, tab_plan = st.tabs(["Utbildningar och kompetensinsatser", "Aktivitetsplan"])

# -- trainings ------------------------------------------------------------------------------------
with tab_training:
    quarter = last
    summary = state.call(fi.quarter_summary, quarter)
    previous = state.call(fi.quarter_summary, shift_quarter(quarter, -1))
    cols = st.columns(3)
    cols[0].metric(f"Insatser {quarter}", fmt_int(summary["insatser"]),
                   delta=summary["insatser"] - previous["insatser"], delta_color="off",
                   help="Utbildningar, studiebesök, konferenser och handledning.")
    cols[1].metric(f"Deltagare {quarter}", fmt_int(summary["deltagare"]),
                   delta=summary["deltagare"] - previous["deltagare"], delta_color="off",
                   help="Antal deltagare sammanlagt (en person som deltar två gånger räknas "
                        "två gånger).")
    cols[2].metric(f"Verksamheter som nåtts {quarter}", len(summary["verksamheter"]),
                   help=render.plain_list(summary["verksamheter"]) or "Inga")

    period = Filters(first, last)
    if render.show_view(Trainings(), period, key="chart_deltagare_malgrupp",
                        empty=f"Inga utbildningsinsatser är registrerade för {first}–{last}."
                        ) is not None:
        by_sector = state.call(fi.trainings, first, last, ("malgrupp",))
        table = by_sector.rename(columns={
            "malgrupp": "Målgrupp", "insatser": "Insatser", "deltagare": "Deltagare",
            "kvinnor": "Varav kvinnor", "man": "Varav män",
            "kon_angivet": "Deltagare med kön angivet"})
        with st.expander(f"Tabell: insatser och deltagare per målgrupp, {first}–{last}"):
            render.show_table(table, "Utbildningsinsatser per målgrupp", download=table)

    st.subheader("Orosrapporter och utbildning per verksamhet")
    st.markdown("Verksamheter som står för en stor del av orosrapporterna men har fått lite "
                "utbildning kan behöva nästa insats. Andelarna gäller perioden "
                f"{first}–{last}.")
    concerns = ConcernsAndTraining()
    gap = view.published(concerns, period)
    flagged = gap[gap["lite_utbildning"]]["verksamhet"].tolist() if len(gap) else []
    if flagged:
        st.warning(f"**{fi.GAP_TEXT}:** {render.plain_list(flagged)}.",
                   icon=":material/school:")
    if render.show_view(concerns, period, key="chart_oro_utbildning",
                        empty="Inga orosrapporter eller utbildningsinsatser i perioden."
                        ) is not None:
        render.show_table(concerns.display(gap), "Orosrapporter och utbildning per verksamhet",
                          download=gap.drop(columns=["oro"]), key="tabell_oro_utbildning")

    if editor:
        with st.expander("Importera utbildningsinsatser (analytiker)",
                         icon=":material/upload_file:"):
            st.caption("En rad per insats och målgrupp. Filen kontrolleras först; inget sparas "
                       "förrän du trycker Importera. Varje import kan ångras.")
            upload_section(TRAINING, store, user)

# -- the activity plan ----------------------------------------------------------------------------
with tab_plan:
    progress = state.call(act.plan_progress, TODAY)
    plan = state.call(act.plan_status, TODAY)
    if not progress.total:
        st.info("Aktivitetsplanen är tom. En analytiker kan lägga in den här nedanför, eller "
                "importera den från mallen.")
    else:
        st.markdown(f"**Aktivitetsplan {progress.first}–{progress.last}.** "
                    + progress.sentence())
        cols = st.columns(5)
        for col, (label, value) in zip(cols, [
            ("Klara", progress.by_status[act.DONE]), ("Pågår", progress.by_status[act.ONGOING]),
            ("Planerade", progress.by_status[act.PLANNED]),
            ("Stoppade", progress.by_status[act.STOPPED]), ("Försenade", progress.overdue),
        ], strict=True):
            col.metric(label, value)
        if progress.done_share is not None and progress.elapsed_share is not None:
            st.progress(min(progress.done_share, 1.0),
                        text=f"Klara: {round(100 * progress.done_share)} % av aktiviteterna "
                             f"(stoppade oräknade) – {round(100 * progress.elapsed_share)} % "
                             "av planperioden har gått")
        late = plan[plan["forsenad"]]
        if len(late):
            st.warning("**Försenade** (klartkvartalet har passerat men aktiviteten är inte "
                       "klar eller stoppad):\n\n" + "\n".join(
                           f"- {render.plain(r.aktivitet_id)} {render.plain(r.aktivitet)} – "
                           f"{render.plain(r.ansvarig)}, skulle vara klar "
                           f"{render.plain(r.klart_kvartal)} ({render.plain(r.status.lower())})"
                           for r in late.itertuples()), icon=":material/schedule:")
        areas = state.call(act.progress_by_area, TODAY)
        fig = go.Figure()
        colours = {act.DONE: "#009E73", act.ONGOING: "#56B4E9", act.PLANNED: "#BBBBBB",
                   act.STOPPED: "#555555"}
        for status in act.STATUSES:
            fig.add_bar(y=areas["omrade"][::-1], x=areas[status][::-1], orientation="h",
                        name=status, marker_color=colours[status])
        fig.update_layout(barmode="stack", template="plotly_white",
                          height=120 + 38 * len(areas), xaxis_title="Aktiviteter",
                          title=dict(text="Aktiviteter per område i handlingsplanen", x=0),
                          legend=dict(orientation="h", y=-0.2, traceorder="normal"),
                          margin=dict(l=16, r=16, t=60, b=70))
        render.show_chart(fig, areas, "Aktiviteter per område i handlingsplanen",
                          key="chart_plan_omraden",
                          alt_table=areas[["omrade", *act.STATUSES]].rename(
                              columns={"omrade": "Område"}),
                          summary=", ".join(f"{r.omrade} {r.aktiviteter}" for r in
                                            areas.itertuples()) + " aktiviteter.")
        table = pd.DataFrame({
            "ID": plan["aktivitet_id"], "Aktivitet": plan["aktivitet"], "Läge": plan["lage"],
            "Status": plan["status"], "Klart": plan["klart_kvartal"],
            "Ansvarig": plan["ansvarig"], "Start": plan["start_kvartal"],
            "Område": plan["omrade"], "Mål": plan["mal"],
            "Senast ändrad": [f"{t:%Y-%m-%d} av {w}" for t, w in zip(
                plan["andrad"], plan["andrad_av"], strict=True)]})
        render.show_table(table, "Aktivitetsplan", download=table, key="tabell_plan")
        st.download_button("Aktivitetsplanen som Excel (för redigering)",
                           template_bytes(ACTIVITY, plan.to_dict("records")),
                           file_name="aktivitetsplan.xlsx", mime=XLSX, key="plan_xlsx",
                           icon=":material/download:", on_click="ignore")

    with st.expander("Historik: alla ändringar i aktivitetsplanen", icon=":material/history:"):
        history = state.call(act.activity_history, None)
        if history.empty:
            st.caption("Inga ändringar ännu.")
        else:
            shown_history = pd.DataFrame({
                "Ändring": history["batch_id"], "ID": history["aktivitet_id"],
                "Aktivitet": history["aktivitet"], "Status": history["status"],
                "Klart": history["klart_kvartal"], "Ansvarig": history["ansvarig"],
                "Borttagen": history["borttagen"].map({True: "ja", False: ""}),
                "Ändrad": [f"{t:%Y-%m-%d %H:%M}" for t in history["andrad"]],
                "Av": history["andrad_av"], "Källa": history["kalla"],
                "Ångrad": [f"{t:%Y-%m-%d}" if pd.notna(t) else "" for t in
                           history["aterstalld"]]})
            render.show_table(shown_history, "Aktivitetsplan historik", key="tabell_historik")
            if editor:
                undoable = sorted({int(b) for b, r in zip(history["batch_id"],
                                                          history["aterstalld"], strict=True)
                                   if pd.isna(r)}, reverse=True)
                left, right = st.columns([1, 2])
                chosen = left.selectbox("Ångra ändring nummer", undoable, key="angra_plan")
                if right.button("Ångra ändringen", key="angra_plan_knapp",
                                icon=":material/undo:") and chosen is not None:
                    affected = policy.guarded_rollback(store, user, int(chosen))
                    flash(f"Ändring {chosen} är ångrad; {affected} aktiviteter har fått "
                          "tillbaka sitt tidigare innehåll.")

    if editor:
        st.subheader("Ändra i aktivitetsplanen")
        spec = contract(ACTIVITY)
        options = ["Ny aktivitet"] + [f"{r.aktivitet_id} – {r.aktivitet}"
                                      for r in plan.itertuples()] if len(plan) else \
            ["Ny aktivitet"]
        choice = st.selectbox("Aktivitet", options, key="plan_val")
        current = ({} if choice == "Ny aktivitet" else
                   plan[plan["aktivitet_id"] == choice.split(" – ")[0]].iloc[0].to_dict())

        def index_of(values: list[str], value: object) -> int:
            return values.index(value) if value in values else 0

        areas_list = spec.codelist("omrade").values
        units = spec.codelist("ansvarig").values
        with st.form(f"plan_form_{choice}", border=True):
            name = st.text_input("Aktivitet", current.get("aktivitet", ""), max_chars=120)
            goal = st.text_area("Mål", current.get("mal", ""), max_chars=300, height=80)
            c1, c2 = st.columns(2)
            area = c1.selectbox("Område i handlingsplanen", areas_list,
                                index=index_of(areas_list, current.get("omrade")))
            owner = c2.selectbox("Ansvarig enhet", units,
                                 index=index_of(units, current.get("ansvarig")),
                                 help="En organisatorisk enhet, aldrig en persons namn.")
            quarters = [shift_quarter(f"{TODAY.year - 3}K1", i) for i in range(28)]
            c3, c4, c5 = st.columns(3)
            start = c3.selectbox("Start (kvartal)", quarters, index=index_of(
                quarters, current.get("start_kvartal", latest_complete_quarter(TODAY))))
            due = c4.selectbox("Klart (kvartal)", quarters, index=index_of(
                quarters, current.get("klart_kvartal", shift_quarter(
                    latest_complete_quarter(TODAY), 4))))
            status = c5.selectbox("Status", list(act.STATUSES),
                                  index=index_of(list(act.STATUSES), current.get("status")))
            saved = st.form_submit_button("Spara", type="primary", icon=":material/save:")
        if saved:
            try:
                new_id, receipt = policy.save_activity(store, user, {
                    "aktivitet_id": current.get("aktivitet_id", ""), "aktivitet": name,
                    "mal": goal, "omrade": area, "ansvarig": owner, "start_kvartal": start,
                    "klart_kvartal": due, "status": status}, TODAY)
            except EditRefused as refused:
                st.error(str(refused), icon=":material/error:")
            else:
                flash(f"{new_id} är sparad." if receipt.batch_id else
                      "Inget ändrades.")
        if current and st.button("Ta bort ur planen", key="plan_ta_bort",
                                 icon=":material/delete:",
                                 help="Aktiviteten försvinner ur planen men finns kvar i "
                                      "historiken; borttagningen kan ångras."):
            policy.remove_activity(store, user, current["aktivitet_id"])
            flash(f"{current['aktivitet_id']} är borttagen ur planen.")
        with st.expander("Importera aktivitetsplanen från Excel", icon=":material/upload_file:"):
            st.caption("Rader med ett befintligt Aktivitets-ID blir nya versioner av "
                       "aktiviteten; aktiviteter som inte finns i filen lämnas orörda.")
            upload_section(ACTIVITY, store, user)
    else:
        st.caption("Aktivitetsplanen ändras av en analytiker.")
