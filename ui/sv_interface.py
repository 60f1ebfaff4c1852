"""Swedish and keyboard-friendly chrome around every page: `install()`, called once per run in
dashboard.py right after set_page_config.

* the focus style (a11y.css) as a style-only st.html: Streamlit sends style-only HTML to the
  event container, so it takes no space on the page;
* the Swedish layer for Streamlit's own texts (sv_interface.js) as
  st.html(..., unsafe_allow_javascript=True) in a keyed container that a11y.css hides
  (display: none: no space, no flex gap, the script still runs; not in the sidebar, which
  would give the sign-in page a sidebar). The script is ours (no user data in it), runs once
  per browser tab (guarded) and keeps translating after every render. It is tied to
  Streamlit's English strings: tests/browser/test_accessibility.py fails on any English left
  after a Streamlit upgrade. `<html lang="sv">` is served by the request guard
  (lagesbild.service.guard.HtmlLang); the script sets it too, as a fallback.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
CSS = HERE / "a11y.css"
SCRIPT_KEY = "lb_sv_script"  # a11y.css hides .st-key-lb_sv_script
JS = (HERE / "sv_interface.js").read_text()
# Streamlit sanitises st.html with DOMPurify, which drops a <script> whose text has "<" + a
# letter, "/" or "!" (its mXSS guard): keep the script free of that.
if re.search(r"<[A-Za-z/!]", JS):
    raise RuntimeError("sv_interface.js: no '<' before a letter, '/' or '!' (DOMPurify)")


def install() -> None:
    """The focus style and the Swedish layer (see the module's docstring)."""
    st.html(CSS)  # a .css Path: wrapped in <style>, sent to the event container
    # On a tab's first page the script runs a moment after the page has drawn (the front end
    # loads st.html's script-running code on demand): tests wait for lang="sv".
    with st.container(key=SCRIPT_KEY):
        st.html(f"<script>{JS}</script>", unsafe_allow_javascript=True)
