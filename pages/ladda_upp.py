"""Ladda upp (analysts): the quarterly round in one place.

Template → upload → the check of every file BEFORE anything is stored (counts, every report that
would change, the sheets read and not read, hidden rows) → confirm (and, when a file would change
many reports, confirm the changes) → one transaction per file → receipt; deliveries without
reports; withdrawing a report; the import history with rollback behind a confirmation; the
partner register (and giving a past import to another partner); reference data (population
table, code lists). Every engine call goes through lagesbild.access.policy's guarded functions,
which refuse other roles and write the audit log.

The page logic takes (file name, bytes): `check_uploads` and the reference-data functions do not
depend on the uploader widget, so it can be swapped. Uploaded bytes are never rendered as HTML:
file names are shown through safe_file_name (a name with personal data as a placeholder), and
cell values only inside data tables (never a value the privacy guard flagged).
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import streamlit as st

from lagesbild.access import policy, roles
from lagesbild.domain import config
from lagesbild.domain.periods import quarter_of, shift_quarter
from lagesbild.intake import privacy
from lagesbild.intake.history import when
from lagesbild.intake.partners import NUMBERING_TEXT, NUMBERINGS
from lagesbild.intake.pipeline import CheckedFile
from lagesbild.intake.problem_report import problem_workbook, report_file_name, safe_file_name
from ui import render, signin, state

state.ensure_entrypoint()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Every format the engine reads (the content decides, never the name).
TYPES = ["xlsx", "xlsm", "xls", "ods", "csv", "txt"]
CHECKS = "_upload_checks"  # (file name, sha256, options, data version) -> CheckedFile
GENERATION = "_upload_generation"  # a new uploader after an import (empties it)
FLASH = "_upload_flash"  # messages to show after the rerun: (kind, text)
FROM_FILE = "Avgörs av filen"
MAX_CHANGES_SHOWN = 200

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


def changed() -> None:
    """After anything was stored: fresh uploaders, fresh checks, fresh numbers."""
    ss[GENERATION] += 1
    ss[CHECKS] = {}
    state.data_changed()


@st.cache_data(show_spinner=False, max_entries=2)
def _template(codelist_version: str) -> bytes:
    from lagesbild.intake.template import template_bytes

    return template_bytes()


def _codelist_version() -> str:
    from lagesbild.domain import codelists

    return codelists.load().version


def _period(first: object, last: object) -> str:
    return f"{when(first)} – {when(last)}" if first or last else ""


def partner_names() -> list[str]:
    return [p.name for p in policy.partner_register(store, user)]


def check(name: str, data: bytes, partner: str | None = None, replace: bool = False) \
        -> CheckedFile:
    """The check of one uploaded file, once per file content, choices and data version (a
    refused file is logged once, not on every rerun)."""
    key = (name, hashlib.sha256(data).hexdigest(), partner, replace, state.data_version())
    checks = ss[CHECKS]
    if key not in checks:
        checks[key] = policy.guarded_check(store, user, data, name, limits, partner=partner,
                                           replace=replace)
    return checks[key]


def problems_table(checked: CheckedFile) -> pd.DataFrame:
    """Every problem: where, the value (never a value flagged as personal data), what, fix."""
    personal = privacy.PERSONAL_REASONS
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


def changes_table(checked: CheckedFile) -> pd.DataFrame:
    """Every stored report the file would change, field by field, old → new."""
    rows = [{"Partner": dict(c.key).get("partner", ""),
             "Rapport-ID": dict(c.key).get("rapport_id", ""), "Fält": c.field,
             "Från": c.old, "Till": c.new} for c in checked.changes[:MAX_CHANGES_SHOWN]]
    return pd.DataFrame(rows, columns=["Partner", "Rapport-ID", "Fält", "Från", "Till"])


def _is_personal(checked: CheckedFile) -> bool:
    return any(p.reason in privacy.PERSONAL_REASONS for p in checked.problems)


def show_check(index: int, name: str, data: bytes, checked: CheckedFile) -> None:
    with st.container(border=True):
        st.markdown(f"**{index}. `{checked.file_name or name}`**")
        if checked.accepted:
            show_accepted(index, checked)
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
        if not any(p.reason in (privacy.NAME_REASON, privacy.SHEET_REASON)
                   for p in checked.problems):
            st.download_button(
                "Ladda ned problemrapport (Excel)",
                problem_workbook(data, checked.file_name, checked.problems),
                file_name=report_file_name(checked.file_name), mime=XLSX,
                icon=":material/download:", key=f"problemrapport_{index}_{checked.sha256[:12]}")


def show_accepted(index: int, checked: CheckedFile) -> None:
    first, last = checked.period
    rows = len(checked.reports) if checked.reports is not None else 0
    counts = checked.counts
    if checked.already_imported:
        st.info("Den här filen är redan importerad (samma innehåll). Den importeras "
                "inte igen.", icon=":material/content_copy:")
    else:
        st.success("Filen är godkänd. Inget är sparat ännu.", icon=":material/check_circle:")
    cols = st.columns(6 if checked.replace else 5)
    cols[0].metric("Godkända rader", f"{rows:,}".replace(",", " "))
    cols[1].metric("Nya", counts.get("new", 0))
    cols[2].metric("Ändrade", counts.get("changed", 0))
    cols[3].metric("Oförändrade", counts.get("unchanged", 0))
    cols[4].metric("Dubbletter i filen", checked.duplicates)
    if checked.replace:
        cols[5].metric("Återkallas", counts.get("withdrawn", 0),
                       help="Partnerns rapporter för kvartalen i filen som inte finns i filen.")
    lines = [f"**Period:** {_period(first, last)}",
             f"**Partner:** {render.plain_list(checked.partners) or '–'}"]
    if len(checked.sheets_read) > 1:
        lines.append(f"**Lästa blad:** {render.plain_list(checked.sheets_read)}")
    if checked.sheets_not_read:
        lines.append("**Blad som inte lästes:** " + "; ".join(
            f"{render.plain(n)} ({why})" for n, why in checked.sheets_not_read))
    if checked.hidden_rows:
        lines.append(f"**Dolda rader:** {checked.hidden_rows} (t.ex. bortfiltrerade i Excel) "
                     "– de importeras som alla andra.")
    st.markdown("  \n".join(lines))
    if checked.changes:
        with st.expander(f"Ändringar av befintliga rapporter ({checked.counts.get('changed')} "
                         "rapporter)", expanded=checked.needs_confirmation,
                         icon=":material/difference:"):
            st.dataframe(changes_table(checked), hide_index=True, width="stretch")
            if len(checked.changes) > MAX_CHANGES_SHOWN:
                st.caption(f"De första {MAX_CHANGES_SHOWN} av {len(checked.changes)} ändrade "
                           "fält visas. Hela listan: `lagesbild import FIL --dry-run --json`.")
    if checked.withdrawals is not None and len(checked.withdrawals):
        with st.expander(f"Återkallas: {len(checked.withdrawals)} rapporter som inte finns i "
                         "filen", icon=":material/remove_circle:"):
            st.dataframe(checked.withdrawals.select(["partner", "rapport_id", "datum"])
                         .to_pandas().rename(columns={"partner": "Partner", "rapport_id":
                                                      "Rapport-ID", "datum": "Datum"}),
                         hide_index=True, width="stretch")
    if checked.needs_confirmation:
        st.warning(checked.warning(), icon=":material/warning:")
        st.checkbox("Jag har granskat ändringarna och vill att de sparas.",
                    key=f"bekrafta_andringar_{ss[GENERATION]}_{index}")


def confirmed_changes(index: int) -> bool:
    return bool(ss.get(f"bekrafta_andringar_{ss[GENERATION]}_{index}"))


def import_all(files: list[tuple[str, CheckedFile, bool]]) -> None:
    for name, checked, confirmed in files:
        try:
            receipt = policy.guarded_import(store, user, checked, confirmed=confirmed)
        except roles.AccessDenied as denied:
            flash("error", str(denied))
            continue
        except Exception as exc:  # noqa: BLE001 - shown, logged by guarded_import
            flash("error", f"`{name}` kunde inte importeras: {render.plain(exc)}. Inget från "
                           "filen sparades.")
            continue
        if receipt.batch_id is None:
            flash("info", f"`{name}` var redan importerad; inget ändrades.")
            continue
        text = (f"**`{name}` är importerad som import {receipt.batch_id}.** "
                f"{receipt.rows_total} rader: {receipt.rows_new} nya, "
                f"{receipt.rows_changed} ändrade, {receipt.rows_unchanged} oförändrade, "
                f"{receipt.rows_duplicate} dubbletter")
        if checked.replace:
            text += f", {receipt.rows_withdrawn} återkallade"
        text += f". Period {_period(receipt.period_from, receipt.period_to)}."
        if receipt.rows_hidden:
            text += f" {receipt.rows_hidden} av raderna var dolda i filen."
        if receipt.sheets_not_read:
            text += f" Blad som inte lästes: {render.plain_list(receipt.sheets_not_read, '; ')}."
        if receipt.demo_removed:
            text += " Demodata är borttagna."
        flash("success", text)
    changed()


def check_uploads(files: list[tuple[str, bytes]]) -> None:
    """Steps 2 and 3 for the uploaded files, each given as (file name, bytes)."""
    st.subheader("2. Kontroll")
    names = partner_names()
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Avsändare (partner)", [FROM_FILE, *names], key=f"avsandare_{ss[GENERATION]}",
        help="Välj partnern när alla filer kommer från samma organisation. Annars avgörs "
             "den av filens kolumn Partner, eller av verksamheten när bara en aktiv partner "
             "har den.")
    replace = right.checkbox(
        "Fullständig leverans: partnerns rapporter för kvartalen i filen som inte finns i "
        "filen återkallas", key=f"ersatt_{ss[GENERATION]}")
    partner = None if chosen == FROM_FILE else chosen
    ready: list[tuple[str, CheckedFile, bool]] = []
    waiting = 0
    for index, (raw_name, data) in enumerate(files, start=1):
        name = safe_file_name(raw_name)
        if len(data) > limits.max_bytes:
            st.error(f"**`{name}` är för stor** ({len(data) / 2**20:.0f} MB). Största "
                     f"tillåtna storlek är {max_mb} MB. Dela upp filen, eller importera den "
                     "med kommandot `lagesbild import`.", icon=":material/error:")
            continue
        try:
            checked = check(name, data, partner, replace)
        except roles.AccessDenied as denied:
            st.error(str(denied), icon=":material/block:")
            st.stop()
        show_check(index, name, data, checked)
        if not checked.accepted or checked.already_imported:
            continue
        if checked.needs_confirmation and not confirmed_changes(index):
            waiting += 1
            continue
        ready.append((checked.file_name, checked, checked.needs_confirmation))
    st.subheader("3. Bekräfta")
    refused = len(files) - len(ready) - waiting
    if waiting:
        st.caption(f"{waiting} fil(er) väntar på att du bekräftar ändringarna (se ovan).")
    if ready:
        if refused:
            st.caption(f"{refused} fil(er) importeras inte (se ovan). De godkända kan "
                       "importeras ändå.")
        st.button(f"Importera {len(ready)} godkänd{'a' if len(ready) > 1 else ''} "
                  f"fil{'er' if len(ready) > 1 else ''}", type="primary",
                  icon=":material/upload:", on_click=import_all, args=(ready,),
                  key="bekrafta_import")
    elif not waiting:
        st.caption("Det finns ingen godkänd fil att importera.")


def show_problems(problems: list) -> None:
    st.dataframe(pd.DataFrame([{
        "Rad": "" if p.row is None else str(p.row), "Kolumn": p.column or "",
        "Värde": "" if p.value is None or p.reason in privacy.PERSONAL_REASONS
        else str(p.value), "Problem": p.reason, "Så rättar du": p.fix} for p in problems],
        columns=["Rad", "Kolumn", "Värde", "Problem", "Så rättar du"]),
        hide_index=True, width="stretch")


# -- deliveries without reports, withdrawals -----------------------------------------------------
def nil_return_section() -> None:
    st.subheader("Leverans utan rapporter")
    st.markdown("En partner som inte har något att rapportera för ett kvartal lämnar "
                "**inga rapporter**. Då räknas kvartalet som levererat med 0 rapporter i "
                "stället för att saknas. Rapporter som kommer senare ersätter beskedet.")
    names = partner_names()
    this = quarter_of(dt.date.today())
    quarters = [shift_quarter(this, -i) for i in range(8)]
    left, middle, right = st.columns([3, 2, 2], vertical_alignment="bottom")
    partner = left.selectbox("Partner", names, key="inga_rapporter_partner")
    quarter = middle.selectbox("Kvartal", quarters, index=1, key="inga_rapporter_kvartal")
    if right.button("Registrera: inga rapporter", icon=":material/block:",
                    key="inga_rapporter_go") and partner:
        register_nil(partner, quarter)


def register_nil(partner: str, quarter: str) -> None:
    checked, receipt = policy.guarded_nil_return(store, user, partner, quarter)
    if receipt is None:
        st.error("Beskedet kunde inte registreras: " + render.plain(" ".join(
            f"{p.reason}. {p.fix}" for p in checked.problems)), icon=":material/error:")
    elif receipt.batch_id is None:
        st.info(f"{render.plain(partner)} har redan lämnat beskedet inga rapporter för "
                f"{quarter}.", icon=":material/info:")
    else:
        flash("success", f"**{render.plain(partner)}: inga rapporter {quarter}** är "
                         f"registrerat (import "
                         f"{receipt.batch_id}). Täckningen visar kvartalet som levererat.")
        changed()
        st.rerun()


def withdraw_section() -> None:
    with st.expander("Återkalla en enskild rapport", icon=":material/remove_circle:"):
        st.caption("Rapporten försvinner ur lägesbilden men finns kvar i historiken; "
                   "återkallelsen kan ångras i importhistoriken.")
        names = partner_names()
        partner = st.selectbox("Partner", names, key="aterkalla_partner")
        if not partner:
            return
        current = policy.current_reports(store, user, partner)
        if current.empty:
            st.caption(f"{render.plain(partner)} har inga rapporter.")
            return
        labels = {i: f"{r.rapport_id} – {r.datum:%Y-%m-%d} – {r.handelse} ({r.omrade})"
                  for i, r in enumerate(current.itertuples())}
        chosen = st.selectbox("Rapport", list(labels), format_func=labels.__getitem__,
                              key="aterkalla_rapport")
        sure = st.checkbox("Jag förstår att rapporten återkallas.", key="aterkalla_saker")
        if st.button("Återkalla rapporten", disabled=not sure, key="aterkalla_go",
                     icon=":material/remove_circle:") and chosen is not None:
            row = current.iloc[int(chosen)]
            try:
                receipt = policy.guarded_withdraw_report(store, user, row["partner"],
                                                         row["rapport_id"], row["id_period"])
            except ValueError as exc:
                st.error(render.plain(exc), icon=":material/error:")
                return
            flash("success", f"**Rapport {render.plain(row['rapport_id'])} från "
                             f"{render.plain(partner)} är återkallad** (import "
                             f"{receipt.batch_id}).")
            changed()
            st.rerun()


# -- the partner register ---------------------------------------------------------------------
def partner_section() -> None:
    st.subheader("Partnerregister")
    st.markdown("Partner är **organisationer** (en skola, polisen, en förvaltning), aldrig "
                "personer. En rapport identifieras av partnern och dess Rapport-ID, och av "
                "året eller kvartalet när partnerns numrering börjar om.")
    register = policy.partner_register(store, user)
    st.dataframe(pd.DataFrame([{
        "Partner": p.name, "Verksamhet": p.sector, "Numrering": p.numbering,
        "Aktiv": p.period(), "Föregångare": p.predecessor or ""} for p in register],
        columns=["Partner", "Verksamhet", "Numrering", "Aktiv", "Föregångare"]),
        hide_index=True, width="stretch")
    can_edit = roles.can(user, "reference_data")
    if can_edit:
        partner_form(register)
    reassign_section()


def partner_form(register: list) -> None:  # noqa: ANN001 - list of Partner
    from lagesbild.domain import codelists

    sectors = codelists.load().for_field("verksamhet").values
    by_name = {p.name: p for p in register}
    choice = st.selectbox("Lägg till eller ändra", ["Ny partner", *by_name],
                          key="partner_val")
    current = by_name.get(choice)
    with st.form(f"partner_form_{choice}_{ss[GENERATION]}", border=True):
        name = st.text_input("Namn", current.name if current else "", max_chars=80,
                             disabled=current is not None,
                             placeholder="T.ex. Ersboda skola")
        c1, c2 = st.columns(2)
        sector = c1.selectbox("Verksamhet", sectors, index=sectors.index(current.sector)
                              if current and current.sector in sectors else 0)
        numbering = c2.selectbox("Numrering", list(NUMBERINGS), format_func=NUMBERING_TEXT.get,
                                 index=list(NUMBERINGS).index(current.numbering)
                                 if current else 0)
        c3, c4, c5 = st.columns(3)
        active_from = c3.text_input("Aktiv från (kvartal)", current.active_from or ""
                                    if current else "", placeholder="t.ex. 2026K1")
        active_to = c4.text_input("Aktiv till (kvartal)", current.active_to or ""
                                  if current else "", placeholder="tomt = fortfarande")
        others = ["–", *[n for n in by_name if n != choice]]
        before = c5.selectbox("Föregångare", others,
                              index=others.index(current.predecessor)
                              if current and current.predecessor in others else 0,
                              help="Partnern som den här tar över efter: täckningen ser då "
                                   "ingen lucka vid bytet.")
        saved = st.form_submit_button("Spara partnern", type="primary", icon=":material/save:")
    if saved:
        checked, receipt = policy.guarded_save_partner(
            store, user, current.name if current else name, sector, numbering,
            active_from.strip() or None, active_to.strip() or None,
            None if before == "–" else before)
        if receipt is None:
            st.error("Partnern kunde inte sparas.", icon=":material/error:")
            show_problems(checked.problems)
        elif receipt.batch_id is None:
            st.info("Inget ändrades.", icon=":material/info:")
        else:
            flash("success", f"**Partnern {render.plain(current.name if current else name)} "
                             f"är sparad** (import {receipt.batch_id}).")
            changed()
            st.rerun()


def reassign_section() -> None:
    batches = policy.report_batches(store, user)
    if not batches:
        return
    with st.expander("Ge en tidigare import till en annan partner",
                     icon=":material/swap_horiz:"):
        st.caption("Importen byggs om från de sparade versionerna med den nya partnern; "
                   "rapporter som importen en gång skrev över kommer tillbaka. Ändringen "
                   "syns i importhistoriken och kan ångras.")
        chosen = st.selectbox("Import att flytta", list(batches),
                              format_func=batches.__getitem__, key="flytta_import")
        partner = st.selectbox("Ny partner", partner_names(), key="flytta_partner")
        sure = st.checkbox("Jag förstår att importens rapporter byter partner.",
                           key="flytta_saker")
        if st.button("Byt partner för importen", disabled=not sure, key="flytta_go",
                     icon=":material/swap_horiz:") and chosen is not None and partner:
            try:
                receipt = policy.guarded_reassign_batch(store, user, int(chosen), partner)
            except Exception as exc:  # noqa: BLE001 - StoreError, EditRefused: Swedish texts
                st.error(render.plain(exc), icon=":material/error:")
                return
            flash("success", f"**Import {chosen} tillhör nu {render.plain(partner)}** (som "
                             f"import {receipt.batch_id}, {receipt.rows_total} rapporter).")
            changed()
            st.rerun()


# -- reference data ---------------------------------------------------------------------------
def population_upload(name: str, data: bytes) -> None:
    """Check and import a population table given as (file name, bytes)."""
    try:
        result = policy.guarded_import_population(store, user, data, name)
    except roles.AccessDenied as denied:
        st.error(str(denied), icon=":material/block:")
        st.stop()
    shown = result.file_name
    if result.accepted and not result.already_imported:
        flash("success", f"**Befolkningstabellen `{shown}` är importerad som import "
                         f"{result.batch_id}** ({result.rows} rader).")
        changed()
        st.rerun()
    elif result.accepted:
        st.info(f"`{shown}` är redan importerad (import {result.batch_id}); inget "
                "ändrades.", icon=":material/content_copy:")
    else:
        st.error(f"**Befolkningstabellen har {len(result.problems)} problem** och "
                 "importerades inte.", icon=":material/error:")
        show_problems(result.problems)


def codelist_upload(name: str, data: bytes, list_name: str) -> None:
    """Check a new version of a code list given as (file name, bytes); offer to store it."""
    try:
        checked_list = policy.guarded_check_codelist(store, user, data, name, list_name)
    except roles.AccessDenied as denied:
        st.error(str(denied), icon=":material/block:")
        st.stop()
    if not checked_list.accepted:
        st.error(f"**Kodlistan har {len(checked_list.problems)} problem** och kan inte "
                 "användas.", icon=":material/error:")
        show_problems(checked_list.problems)
        return
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
    if st.button(f"Ersätt kodlistan {list_name}", icon=":material/upload:", key="kodlista_go"):
        try:
            result = policy.guarded_import_codelist(store, user, data, name, list_name)
        except roles.AccessDenied as denied:
            st.error(str(denied), icon=":material/block:")
            st.stop()
        if result.accepted:
            flash("success", f"**Kodlistan {list_name} är ersatt (import {result.batch_id}).** "
                             "Den tidigare versionen finns kvar: ångra importen i "
                             "importhistoriken för att återställa den.")
            changed()
            st.cache_data.clear()
            st.rerun()
        else:
            st.error("Kodlistan kunde inte ersättas: "
                     + render.plain("; ".join(p.reason for p in result.problems)),
                     icon=":material/error:")


# -- the page ------------------------------------------------------------------------------------
st.title("Ladda upp")
st.markdown("Kvartalets rapporter från partnerna: ladda ned mallen, ladda upp filerna, "
            "granska kontrollen och bekräfta. **Inget sparas förrän du bekräftar**, och varje "
            "import går att ångra i importhistoriken nedan.")

for kind, text in ss.pop(FLASH, []):
    getattr(st, kind)(text, icon={"success": ":material/task_alt:", "info": ":material/info:",
                                  "error": ":material/error:"}[kind])

with st.container(border=True):
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.markdown("**Mallen** – Excel med rätt kolumner, rullistor med kodlistorna och "
                  "instruktioner. Skicka den till partnerna.")
    right.download_button("Ladda ned mallen", _template(_codelist_version()),
                          file_name="lagesbild_mall.xlsx", mime=XLSX,
                          icon=":material/download:", width="stretch", key="mall")

st.subheader("1. Ladda upp filer")
uploaded = st.file_uploader(
    "Rapportfiler (Excel, OpenDocument, CSV eller Unicode-text)", type=TYPES,
    accept_multiple_files=True, key=f"uppladdning_{ss[GENERATION]}", max_upload_size=max_mb,
    help=f"Högst {max_mb} MB och {limits.max_rows:,} rader per fil. Alla blad med "
         "rapportrubrikerna läses.".replace(",", " "))
if uploaded:
    check_uploads([(item.name, item.getvalue()) for item in uploaded])

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
                        "ångrad. Det gäller också partnerregistret, kodlistor och "
                        "befolkning: den tidigare versionen gäller igen.")
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
                    st.error(f"Importen kunde inte ångras: {render.plain(exc)}",
                             icon=":material/error:")
                else:
                    flash("success", f"**Import {chosen} är ångrad.** {affected} rader "
                                     "påverkades.")
                    changed()
                    st.cache_data.clear()
                    st.rerun()

nil_return_section()
withdraw_section()
partner_section()

st.subheader("Referensdata: befolkning")
if not roles.can(user, "reference_data"):
    st.caption("Din roll får inte ändra referensdata.")
else:
    st.markdown("Befolkning per RegSO-område och år (kolumnerna **regsokod**, **ar** och "
                "**befolkning**), för antal per 10 000 invånare. En ny tabell ersätter "
                "värdena för de områden och år den innehåller och syns i importhistoriken.")
    population_file = st.file_uploader(
        "Befolkningstabell (CSV eller Excel)", type=TYPES,
        key=f"befolkning_{ss[GENERATION]}", max_upload_size=max_mb)
    if population_file is not None and st.button("Importera befolkningstabellen",
                                                 icon=":material/upload:", key="befolkning_go"):
        population_upload(population_file.name, population_file.getvalue())

st.subheader("Referensdata: kodlista")
if not roles.can(user, "reference_data"):
    st.caption("Din roll får inte ändra referensdata.")
else:
    st.markdown("Ladda ned den nuvarande kodlistan, ändra den (kolumnerna **varde**, **alias**, "
                "**giltig_fran**, **giltig_till**, **ersatts_av** och **beskrivning**) och "
                "ladda upp den igen. Den nya versionen kontrolleras innan den används; den "
                "tidigare finns kvar i databasen och bytet syns i importhistoriken (och kan "
                "ångras där).")
    names = policy.codelist_names(store, user)
    list_name = st.selectbox("Kodlista", names, key="kodlista_namn")
    st.download_button("Ladda ned nuvarande kodlista",
                       policy.codelist_file(store, user, list_name),
                       file_name=f"{list_name}.csv", mime="text/csv",
                       icon=":material/download:", key="kodlista_ned")
    codelist_file = st.file_uploader(
        "Ny version av kodlistan (CSV eller Excel)", type=TYPES,
        key=f"kodlista_{ss[GENERATION]}", max_upload_size=max_mb)
    if codelist_file is not None:
        codelist_upload(codelist_file.name, codelist_file.getvalue(), list_name)
