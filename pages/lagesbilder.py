"""Lägesbilder: the quarter's lägesbild as a draft, a review and approved editions.

Thin: every step goes through the access policy (which checks the role and logs it); the
texts are shown as plain text, never as Markdown.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from lagesbild import editions
from lagesbild.access import policy
from lagesbild.access.roles import AccessDenied
from lagesbild.domain.formatting import LOCAL_TIME
from lagesbild.domain.periods import shift_quarter
from lagesbild.editions.sections import chart_def
from lagesbild.numbers.query import Filters
from ui import render, selection, signin, state

state.ensure_entrypoint()

FLASH = "lagesbilder_meddelande"
REMINDER = ("Skriv bara avidentifierade uppgifter: inga namn, personnummer, e-postadresser, "
            "telefonnummer eller annat som pekar ut en person. Varje text kontrolleras när du "
            "sparar, och den visas som vanlig text (ingen formatering).")

store = state.get_store()
user = signin.current_user()
can_write = user is not None and user.can("draft")
can_comment = user is not None and user.can("comment")
can_approve = user is not None and user.can("approve")

st.title("Lägesbilder")
st.markdown("Kvartalets lägesbild: analytikernas bedömning bredvid diagrammen, "
            "beredningsgruppens kommentarer och den fastställda versionen, vars siffror och "
            "texter inte ändras av senare importer.")
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))

listing = policy.edition_list(store, user)
if not listing.empty:
    st.dataframe(listing, hide_index=True, width="stretch")

quarters = list(reversed(selection.quarter_options(state.store_facts()["quarters"])))
wanted = selection.current_filters().to_quarter
quarter = st.selectbox("Kvartal", quarters,
                       index=quarters.index(wanted) if wanted in quarters else 0,
                       key="lagesbild_kvartal")


VERSION_CHOICE = f"lagesbild_version_{quarter}"


def act(step, message: str, new_version: bool = False) -> None:  # noqa: ANN001 - a step
    """Run a step; on success rerun with `message` (showing the newest version when the step
    made one), else show why (Swedish, no values)."""
    try:
        step()
    except (editions.EditionError, AccessDenied) as exc:
        st.error(render.plain(str(exc)))
        return
    st.session_state[FLASH] = message
    if new_version:
        st.session_state.pop(VERSION_CHOICE, None)
    st.rerun()


found = policy.edition_versions(store, user, quarter)
draft = next((v for v in found if not v.approved), None)
approved = [v for v in found if v.approved]

if draft is None and can_write:
    label = (f"Påbörja version {approved[0].version + 1} (revidering)" if approved
             else f"Påbörja utkast för {quarter}")
    if st.button(label, icon=":material/edit_note:", key="lagesbild_start"):
        act(lambda: policy.start_edition_draft(store, user, quarter),
            f"Utkastet för {quarter} är påbörjat.", new_version=True)
if not found:
    st.info(f"Det finns ingen lägesbild för {quarter} ännu."
            + ("" if can_write else " Analytikerna påbörjar och delar utkastet."))
    st.stop()

names = {(f"Utkast, version {v.version}" if not v.approved else
          f"Version {v.version}, fastställd {v.approved_on}"): v for v in found}
shown = names[st.radio("Version", list(names), horizontal=True, key=VERSION_CHOICE)]
texts = policy.edition_texts(store, user, quarter, shown.version)
notes = policy.edition_comments(store, user, quarter, shown.version)
# An approved version never changes: its charts are drawn once (cached).
frozen = state.call(editions.frozen_charts, quarter, shown.version) if shown.approved else {}
writing = not shown.approved and can_write
commenting = not shown.approved and shown.status == "delad" and can_comment

if shown.approved:
    st.success(f"{shown.stamp()}, av rollen {policy.role_label(shown.approved_role)}. "
               "Siffrorna är beredningsgruppens skyddade, frysta vid fastställandet.",
               icon=":material/verified:")
    if shown.revision_note:
        st.caption("Revisionsanteckning: " + render.plain(shown.revision_note))
    revision = policy.edition_revision(store, user, quarter, shown.version)
    if revision is not None and revision.revised:
        st.warning("**Reviderad sedan fastställandet.** Senare uppgifter har ändrat "
                   "kvartalets siffror (skyddade siffror, fastställt → nu):\n\n"
                   + "\n".join(f"- {render.plain(line)}" for line in revision.lines()),
                   icon=":material/change_circle:")
else:
    st.info(f"{shown.status_label}. Siffrorna i diagrammen är dagens och kan ändras tills "
            "lägesbilden fastställs.", icon=":material/edit_note:")
    if writing:
        st.caption(":material/privacy_tip: " + REMINDER)


def live_filters(key: str) -> Filters:
    """The edition's period (eight quarters to the quarter), or the quarter alone."""
    if chart_def(key).quarter:
        return Filters(quarter, quarter)
    return Filters(max(shift_quarter(quarter, -7), quarters[-1]), quarter)


for group in editions.groups(texts):
    st.header(group.heading)
    charts, words = st.columns([3, 2])
    with charts:
        for key in group.charts:
            if shown.approved:
                item = frozen.get(key)
                if item is not None:
                    entry, context = item.entry, item.context
                    render.show_chart(
                        item.figure, item.data, item.title,
                        alt_table=entry.alt_table(item.data) if entry else item.data,
                        summary=entry.summary(item.data, context)
                        if entry and context else " ".join(item.notes[:1]),
                        alt=item.alt_text or None,
                        key=f"utgava_{quarter}_{shown.version}_{key}")
            else:
                render.show_view(chart_def(key).entry, live_filters(key),
                                 key=f"utkast_{quarter}_{key}")
    with words:
        for section in group.sections:
            st.subheader(section.heading)
            text = texts.get(section.key, "")
            if writing:
                st.text_area(section.heading, value=text, height=180,
                             key=f"text_{quarter}_{shown.version}_{section.key}",
                             label_visibility="collapsed")
            elif text.strip():
                for paragraph in text.split("\n"):
                    if paragraph.strip():
                        st.markdown(render.plain(paragraph))
            else:
                st.caption("Ingen text.")
            for note in (n for n in notes if n["section"] == section.key):
                st.caption(f"Kommentar ({policy.role_label(note['role'])}): "
                           + render.plain(note["comment"]))
            if commenting:
                field = f"kommentar_{quarter}_{section.key}"
                st.text_input("Kommentar", key=field, placeholder="Skriv en kommentar …")
                if st.button("Kommentera", key=f"skicka_{field}"):
                    act(lambda s=section.key, f=field: policy.comment_edition(
                        store, user, quarter, s, st.session_state.get(f, "")),
                        "Kommentaren är sparad.")

history = policy.edition_text_history(store, user, quarter, shown.version)
if len(history) > len(texts):
    with st.expander("Tidigare texter i den här versionen"):
        for entry in history:
            when = entry["written_at"].astimezone(LOCAL_TIME)
            st.caption(f"{editions.heading_of(entry['section'])}, {when:%Y-%m-%d %H:%M}: "
                       + render.plain(entry["text"]))

if writing:
    st.divider()
    left, right = st.columns(2)
    if left.button("Spara texterna", type="primary", icon=":material/save:",
                   key="lagesbild_spara"):
        typed = {k.split("_", 3)[3]: str(v) for k, v in st.session_state.items()
                 if isinstance(k, str) and k.startswith(f"text_{quarter}_{shown.version}_")}
        act(lambda: policy.save_edition_texts(store, user, quarter, typed),
            "Texterna är sparade.")
    if shown.status == "utkast" and right.button("Dela med beredningsgruppen",
                                                 icon=":material/share:",
                                                 key="lagesbild_dela"):
        act(lambda: policy.share_edition(store, user, quarter),
            "Utkastet är delat med beredningsgruppen.")

if not shown.approved and can_approve:
    st.divider()
    st.subheader("Fastställ")
    on = st.date_input("Beslutsdatum", value=dt.date.today(), key="lagesbild_datum",
                       format="YYYY-MM-DD")
    note = (st.text_area("Revisionsanteckning (varför en ny version)",
                         key="lagesbild_revision") if shown.version > 1 else None)
    st.caption("Spara texterna först: det som är sparat fastställs, med dagens siffror.")
    if st.button(f"Fastställ version {shown.version}", type="primary",
                 icon=":material/verified:", key="lagesbild_faststall"):
        act(lambda: policy.approve_edition(store, user, quarter, on, note),
            f"Lägesbilden {quarter} version {shown.version} är fastställd.", new_version=True)

if shown.approved:
    st.divider()
    st.subheader("Exportera den fastställda versionen")
    formats = {"pptx": "PowerPoint", "pdf": "PDF", "xlsx": "Excel"}
    for public in (False, True):
        columns = st.columns(len(formats))
        for column, (fmt, label) in zip(columns, formats.items(), strict=True):
            name = (f"{quarter}_lagesbild{'_publik' if public else ''}_v{shown.version}"
                    f".{fmt}")
            column.download_button(
                f"{label}{' (publik)' if public else ''}",
                data=lambda f=fmt, p=public: policy.edition_file(
                    store, user, quarter, f, shown.version, p)[0],
                file_name=name, on_click="ignore", icon=":material/download:",
                key=f"utgava_fil_{fmt}_{public}_{shown.version}")
    st.caption("Filerna har versionens frysta siffror och texter och anger version och "
               "beslutsdatum. Den publika varianten har bara texten för den publika varianten.")
