"""Lägesbild: the dashboard's server. Run with `streamlit run app.py` (or `make run`).

`streamlit run` finds the `st.App` below (it must stay a literal `app = st.App(...)`) and
serves it with uvicorn. This file owns the request path: the middleware checks every request
and websocket (Host, Origin, proxy headers; lagesbild.service.guard) and serves the page as
Swedish, and the lifespan opens the database when the server starts
(lagesbild.service.runtime). The Streamlit script every visitor runs is dashboard.py (sign-in,
navigation, sidebar, banners); the pages live in pages/.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from lagesbild.service.guard import HtmlLang, RequestGuard, guard_policy
from lagesbild.service.runtime import lifespan
from ui.mode import sign_in_mode

app = st.App(
    Path(__file__).with_name("dashboard.py"),
    lifespan=lifespan,
    middleware=[Middleware(RequestGuard, policy=guard_policy(sign_in_mode())),
                Middleware(HtmlLang, lang="sv")],
)
