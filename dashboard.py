"""Lägesbild: the Streamlit script every visitor runs (app.py serves it; `make run`).

This file only sets up what every page shares: the page config, the sign-in (ui/signin.py),
the navigation (ui/navigation.py holds the one list of pages, filtered by the user's role), the
global filters in the sidebar (ui/selection.py) and the banners. The store is opened when the
server starts (lagesbild.service.runtime). The pages live in pages/.
"""

from __future__ import annotations

import streamlit as st

from lagesbild.store import StoreError
from ui import backups, selection, signin, state, sv_interface, view
from ui.navigation import pages_for

st.set_page_config(page_title="Lägesbild", page_icon="🧭",
                   layout="wide", initial_sidebar_state="expanded")
sv_interface.install()  # focus ring, Swedish for Streamlit's own texts (ui/sv_interface.py)

try:
    has_data = state.has_reports()
except StoreError as problem:  # locked by another program, damaged, too new a schema
    st.error(f"**Databasen kan inte öppnas.** {problem}", icon=":material/database:")
    st.stop()

user = signin.signed_in_user()
if user is None:  # nobody signed in: the sign-in is the only page
    st.navigation([st.Page(signin.sign_in_page, title="Logga in", url_path="logga-in",
                           default=True)], position="hidden").run()
    st.stop()

specs = pages_for(has_data, user.role)
navigation = st.navigation([
    st.Page(spec.path, title=spec.title, icon=spec.icon, default=spec.default,
            url_path=spec.url_path)
    for spec in specs
])

if has_data:
    selection.sidebar_filters()
    view.protected_view_toggle()
signin.signed_in_sidebar(user)
backups.backup_sidebar(user)

if state.has_demo_data():
    st.warning(
        "**Demodata – syntetiska uppgifter, inte verkliga rapporter.** Allt som visas är "
        "påhittat för att visa hur lägesbilden fungerar. Demodata tas bort automatiskt när "
        "den första riktiga filen importeras (eller med `lagesbild demo --remove`).",
        icon=":material/science:",
    )

if navigation.url_path == "":  # the start page
    signin.start_page_note()

view.note()
navigation.run()
