"""Ladda upp (analysts): the quarterly round in one place.

Template → upload → the check of every file BEFORE anything is stored → confirm → one
transaction per file → receipt; the import history with rollback behind a confirmation; and
reference data (the population table). Every engine call goes through lagesbild.access.policy's
guarded functions, which refuse other roles and write the audit log.

Uploaded bytes are never rendered as HTML: file names are shown through safe_file_name, and
cell values only inside data tables (and never a value the privacy guard flagged).
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from lagesbild.access import policy, roles
from lagesbild.domain import config
from lagesbild.intake.history import when
from lagesbild.intake.pipeline import CheckedFile
from lagesbild.intake.problem_report import problem_workbook, report_file_name, safe_file_name
from ui import render, signin, state

state.ensure_entrypoint()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = ["xlsx", "xls", "ods", "csv"]
CHECKS = "_upload_checks"  # (file name, sha256, data version) -> CheckedFile
GENERATION = "_upload_generation"  # a new uploader after an import (empties it)
FLASH = "_upload_flash"  # messages to show after the rerun: (kind, text)

store = state.get_store()
user = signin.current_user()
if not roles.can(user, "upload"):
    try:
        policy.require(user, "upload", store, "sidan Ladda upp")
    except roles.AccessDenied as denied:
        st.error(str(denied), icon=":material/block:")
    st.stop()

limits = config.settings().web_limits
max_mb = limits.max_bytes // 2**20
ss = st.session_state
ss.setdefault(CHECKS, {})
ss.setdefault(GENERATION, 0)


def flash(kind: str, text: str) -> None:
    ss.setdefault(FLASH, []).append((kind, text))


@st.cache_data(show_spinner=False, max_entries=2)
def _template(codelist_version: str) -> bytes:
    from lagesbild.intake.template import template_bytes

    return template_bytes()


def _codelist_version() -> str:
    from lagesbild.domain import codelists

    return codelists.load().version


def _period(first: object, last: object) -> str:
    return f"{when(first)} – {when(last)}" if first or last else ""


def check(name: str, data: bytes) -> CheckedFile:
    """The check of one uploaded file, once per file content and data version (a refused file
    is logged once, not on every rerun)."""
    key = (name, hashlib.sha256(data).hexdigest(), state.data_version())
    checks = ss[CHECKS]
    if key not in checks:
        checks[key] = policy.guarded_check(store, user, data, name, limits)
    return checks[key]


def _personal_reasons() -> set[str]:
    from lagesbild.intake import privacy

    return set(getattr(privacy, "REASONS", {}).values())


def problems_table(checked: CheckedFile) -> pd.DataFrame:
    """Every problem: where, the value (never a value flagged as personal data), what, fix."""
    personal = _personal_reasons()
    rows = []
    for p in checked.problems:
        hidden = p.value is None or p.reason in personal
        rows.append({"Blad": p.sheet or "", "Rad": "" if p.row is None else str(p.row),
                     "Kolumn": p.column or "", "Värde": "" if hidden else str(p.value),
                     "Problem": p.reason, "Så rättar du": p.fix})
    frame = pd.DataFrame(rows, columns=["Blad", "Rad", "Kolumn", "Värde", "Problem",
                                        "Så rättar du"])
    if not frame["Blad"].str.len().any():
        frame = frame.drop(columns="Blad")
    return frame


def _is_personal(checked: CheckedFile) -> bool:
    reasons = _personal_reasons()
    return any(p.reason in reasons for p in checked.problems)


def show_check(index: int, name: str, data: bytes, checked: CheckedFile) -> None:
    with st.container(border=True):
        st.markdown(f"**{index}. `{name}`**")
        if checked.accepted:
            first, last = checked.period
            rows = len(checked.reports) if checked.reports is not None else 0
            counts = checked.counts
            if checked.already_imported:
                st.info("Den här filen är redan importerad (samma innehåll). Den importeras "
                        "inte igen.", icon=":material/content_copy:")
            else:
                st.success("Filen är godkänd. Inget är sparat ännu.",
                           icon=":material/check_circle:")
            cols = st.columns(5)
            cols[0].metric("Godkända rader", f"{rows:,}".replace(",", " "))
            cols[1].metric("Nya", counts.get("new", 0))
            cols[2].metric("Ändrade", counts.get("changed", 0))
            cols[3].metric("Oförändrade", counts.get("unchanged", 0))
            cols[4].metric("Dubbletter i filen", checked.duplicates)
            st.markdown(f"**Period:** {_period(first, last)}  \n"
                        f"**Verksamheter:** {render.plain_list(checked.partners) or '–'}")
            return
        if _is_personal(checked):
            st.error("**Filen tas inte emot: den verkar innehålla personuppgifter.** "
                     "Lägesbilden får inte innehålla uppgifter om enskilda personer. Cellerna "
                     "anges nedan; värdena visas inte. Ta bort uppgifterna i filen och ladda "
                     "upp den igen.", icon=":material/privacy_tip:")
        else:
            st.error(f"**Filen har {len(checked.problems)} problem och kan inte importeras.** "
                     "Rätta filen och ladda upp den igen. Inget är sparat.",
                     icon=":material/error:")
        st.dataframe(problems_table(checked), hide_index=True, width="stretch")
        st.download_button(
            "Ladda ned problemrapport (Excel)", problem_workbook(data, name, checked.problems),
            file_name=report_file_name(name), mime=XLSX, icon=":material/download:",
            key=f"problemrapport_{index}_{checked.sha256[:12]}")


def import_all(files: list[tuple[str, CheckedFile]]) -> None:
    for name, checked in files:
        try:
            receipt = policy.guarded_import(store, user, checked)
        except roles.AccessDenied as denied:
            flash("error", str(denied))
            continue
        except Exception as exc:  # noqa: BLE001 - shown, logged by guarded_import
            flash("error", f"`{name}` kunde inte importeras: {exc}. Inget från filen "
                           "sparades.")
            continue
        if receipt.batch_id is None:
            flash("info", f"`{name}` var redan importerad; inget ändrades.")
            continue
        text = (f"**`{name}` är importerad som import {receipt.batch_id}.** "
                f"{receipt.rows_total} rader: {receipt.rows_new} nya, "
                f"{receipt.rows_changed} ändrade, {receipt.rows_unchanged} oförändrade, "
                f"{receipt.rows_duplicate} dubbletter. Period "
                f"{_period(receipt.period_from, receipt.period_to)}.")
        if receipt.demo_removed:
            text += " Demodata är borttagna."
        flash("success", text)
    ss[CHECKS] = {}
    ss[GENERATION] += 1
    state.data_changed()


# -- the page ------------------------------------------------------------------------------------
st.title("Ladda upp")
st.markdown("Kvartalets rapporter från verksamheterna: ladda ned mallen, ladda upp filerna, "
            "granska kontrollen och bekräfta. **Inget sparas förrän du bekräftar**, och varje "
            "import går att ångra i importhistoriken nedan.")

for kind, text in ss.pop(FLASH, []):
    getattr(st, kind)(text, icon={"success": ":material/task_alt:", "info": ":material/info:",
                                  "error": ":material/error:"}[kind])

with st.container(border=True):
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.markdown("**Mallen** – Excel med rätt kolumner, rullistor med kodlistorna och "
                  "instruktioner. Skicka den till verksamheterna.")
    right.download_button("Ladda ned mallen", _template(_codelist_version()),
                          file_name="lagesbild_mall.xlsx", mime=XLSX,
                          icon=":material/download:", width="stretch", key="mall")

st.subheader("1. Ladda upp filer")
uploaded = st.file_uploader(
    "Rapportfiler (Excel, OpenDocument eller CSV)", type=TYPES, accept_multiple_files=True,
    key=f"uppladdning_{ss[GENERATION]}", max_upload_size=max_mb,
    help=f"Högst {max_mb} MB och {limits.max_rows:,} rader per fil.".replace(",", " "))

ready: list[tuple[str, CheckedFile]] = []
if uploaded:
    st.subheader("2. Kontroll")
    for index, item in enumerate(uploaded, start=1):
        name = safe_file_name(item.name)
        data = item.getvalue()
        if len(data) > limits.max_bytes:
            st.error(f"**`{name}` är för stor** ({len(data) / 2**20:.0f} MB). Största "
                     f"tillåtna storlek är {max_mb} MB. Dela upp filen, eller importera den "
                     "med kommandot `lagesbild import`.", icon=":material/error:")
            continue
        try:
            checked = check(name, data)
        except roles.AccessDenied as denied:
            st.error(str(denied), icon=":material/block:")
            st.stop()
        show_check(index, name, data, checked)
        if checked.accepted and not checked.already_imported:
            ready.append((name, checked))
    st.subheader("3. Bekräfta")
    refused = sum(1 for item in uploaded) - len(ready)
    if ready:
        if refused:
            st.caption(f"{refused} fil(er) importeras inte (se ovan). De godkända kan "
                       "importeras ändå.")
        st.button(f"Importera {len(ready)} godkänd{'a' if len(ready) > 1 else ''} "
                  f"fil{'er' if len(ready) > 1 else ''}", type="primary",
                  icon=":material/upload:", on_click=import_all, args=(ready,),
                  key="bekrafta_import")
    else:
        st.caption("Det finns ingen godkänd fil att importera.")

# -- history and rollback -------------------------------------------------------------------
st.subheader("Importhistorik")
history = policy.import_history(store, user)
if history.empty:
    st.caption("Inga importer ännu.")
else:
    st.dataframe(history, hide_index=True, width="stretch")

    labels = policy.undoable_batches(store, user)
    if labels:
        with st.container(border=True):
            st.markdown("**:material/undo: Ångra en import** – raderna från importen tas bort "
                        "ur lägesbilden; rader som en tidigare import också innehöll får "
                        "tillbaka sina tidigare värden. Importen finns kvar i historiken som "
                        "ångrad.")
            chosen = st.selectbox("Import", list(labels), format_func=labels.__getitem__,
                                  key=f"rollback_batch_{ss[GENERATION]}")
            sure = st.checkbox("Jag förstår att importen tas bort ur lägesbilden.",
                               key=f"rollback_sure_{ss[GENERATION]}")
            if st.button("Ångra importen", icon=":material/undo:", disabled=not sure,
                         key="rollback_go"):
                try:
                    affected = policy.guarded_rollback(store, user, int(chosen))
                except roles.AccessDenied as denied:
                    st.error(str(denied), icon=":material/block:")
                except Exception as exc:  # noqa: BLE001 - StoreError: already rolled back …
                    st.error(f"Importen kunde inte ångras: {exc}", icon=":material/error:")
                else:
                    flash("success", f"**Import {chosen} är ångrad.** {affected} rader "
                                     "påverkades.")
                    ss[GENERATION] += 1
                    ss[CHECKS] = {}
                    state.data_changed()
                    st.rerun()

# -- reference data -------------------------------------------------------------------------
st.subheader("Referensdata: befolkning")
if not roles.can(user, "reference_data"):
    st.caption("Din roll får inte ändra referensdata.")
else:
    st.markdown("Befolkning per RegSO-område och år (kolumnerna **regsokod**, **ar** och "
                "**befolkning**), för antal per 10 000 invånare. En ny tabell ersätter "
                "värdena för de områden och år den innehåller och syns i importhistoriken.")
    population_file = st.file_uploader(
        "Befolkningstabell (CSV eller Excel)", type=["csv", "xlsx"],
        key=f"befolkning_{ss[GENERATION]}", max_upload_size=max_mb)
    if population_file is not None and st.button("Importera befolkningstabellen",
                                                 icon=":material/upload:", key="befolkning_go"):
        name = safe_file_name(population_file.name)
        try:
            result = policy.guarded_import_population(store, user, population_file.getvalue(),
                                                      name)
        except roles.AccessDenied as denied:
            st.error(str(denied), icon=":material/block:")
            st.stop()
        if result.accepted and not result.already_imported:
            flash("success", f"**Befolkningstabellen `{name}` är importerad som import "
                             f"{result.batch_id}** ({result.rows} rader).")
            ss[GENERATION] += 1
            state.data_changed()
            st.rerun()
        elif result.accepted:
            st.info(f"`{name}` är redan importerad (import {result.batch_id}); inget "
                    "ändrades.", icon=":material/content_copy:")
        else:
            st.error(f"**Befolkningstabellen har {len(result.problems)} problem** och "
                     "importerades inte.", icon=":material/error:")
            st.dataframe(pd.DataFrame([{
                "Rad": "" if p.row is None else str(p.row), "Kolumn": p.column or "",
                "Värde": "" if p.value is None else str(p.value), "Problem": p.reason,
                "Så rättar du": p.fix} for p in result.problems]),
                hide_index=True, width="stretch")

# -- reference data: code lists -------------------------------------------------------------
st.subheader("Referensdata: kodlista")
if not roles.can(user, "reference_data"):
    st.caption("Din roll får inte ändra referensdata.")
else:
    from lagesbild.intake import codelists as codelist_upload

    st.markdown("Ladda ned den nuvarande kodlistan, ändra den (kolumnerna **varde**, **alias**, "
                "**giltig_fran**, **giltig_till**, **ersatts_av** och **beskrivning**) och "
                "ladda upp den igen. Den nya versionen kontrolleras innan den används; den "
                "tidigare sparas och bytet syns i importhistoriken.")
    folder = config.CODELIST_DIR
    names = codelist_upload.list_names(folder)
    list_name = st.selectbox("Kodlista", names, key="kodlista_namn")
    current = folder / f"{list_name}.csv"
    if current.exists():
        st.download_button("Ladda ned nuvarande kodlista", current.read_bytes(),
                           file_name=f"{list_name}.csv", mime="text/csv",
                           icon=":material/download:", key="kodlista_ned")
    codelist_file = st.file_uploader(
        "Ny version av kodlistan (CSV)", type=["csv"],
        key=f"kodlista_{ss[GENERATION]}", max_upload_size=max_mb)
    if codelist_file is not None:
        name = safe_file_name(codelist_file.name)
        data = codelist_file.getvalue()
        if len(data) > limits.max_bytes:
            st.error(f"`{name}` är för stor. Största tillåtna storlek är {max_mb} MB.",
                     icon=":material/error:")
            st.stop()
        try:
            checked_list = policy.guarded_check_codelist(store, user, data, name,
                                                                  list_name, folder)
        except roles.AccessDenied as denied:
            st.error(str(denied), icon=":material/block:")
            st.stop()
        if not checked_list.accepted:
            st.error(f"**Kodlistan har {len(checked_list.problems)} problem** och kan inte "
                     "användas.", icon=":material/error:")
            st.dataframe(pd.DataFrame([{
                "Rad": "" if p.row is None else str(p.row), "Kolumn": p.column or "",
                "Värde": "" if p.value is None else str(p.value), "Problem": p.reason,
                "Så rättar du": p.fix} for p in checked_list.problems],
                columns=["Rad", "Kolumn", "Värde", "Problem", "Så rättar du"]),
                hide_index=True, width="stretch")
        else:
            change = checked_list.change
            cols = st.columns(3)
            cols[0].metric("Nya värden", len(change.added))
            cols[1].metric("Borttagna värden", len(change.removed))
            cols[2].metric("Ändrade värden", len(change.changed))
            st.dataframe(pd.DataFrame(
                [{"Ändring": "Nytt", "Värde": v} for v in change.added]
                + [{"Ändring": "Borttaget", "Värde": v} for v in change.removed]
                + [{"Ändring": "Ändrat", "Värde": v} for v in change.changed],
                columns=["Ändring", "Värde"]), hide_index=True, width="stretch")
            if st.button(f"Ersätt kodlistan {list_name}", icon=":material/upload:",
                         key="kodlista_go"):
                try:
                    result = policy.guarded_import_codelist(store, user, data, name,
                                                                     list_name, folder)
                except roles.AccessDenied as denied:
                    st.error(str(denied), icon=":material/block:")
                    st.stop()
                if result.accepted:
                    flash("success", f"**Kodlistan {list_name} är ersatt (import "
                                     f"{result.batch_id}).** Den tidigare versionen är sparad "
                                     f"som `{result.history_file.name}`.")
                    ss[GENERATION] += 1
                    st.cache_data.clear()
                    state.data_changed()
                    st.rerun()
                else:
                    st.error("Kodlistan kunde inte ersättas: "
                             + "; ".join(p.reason for p in result.problems),
                             icon=":material/error:")
