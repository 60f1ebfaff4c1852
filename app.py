"""Lägesbild: the dashboard's server. Run with `streamlit run app.py` (or `make run`).

`streamlit run` finds the `st.App` below (it must stay a literal `app = st.App(...)`) and
serves it with uvicorn. This file owns the request path: the middleware checks every request
and websocket (Host, Origin, proxy headers; lagesbild.service.guard) and serves the page as
Swedish; the lifespan opens the database when the server starts, schedules the backups and
serves the local channel through which the command line runs its commands in this process
while the dashboard holds the database (lagesbild.service.runtime, lagesbild.cli.forward). The
Streamlit script every visitor runs is dashboard.py (sign-in, navigation, sidebar, banners);
the pages live in pages/.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from lagesbild.cli.forward import run_in_app
from lagesbild.service import runtime
from lagesbild.service.guard import HtmlLang, RequestGuard, guard_policy
from ui.mode import sign_in_mode

app = st.App(
    Path(__file__).with_name("dashboard.py"),
    lifespan=runtime.serving(run_in_app),
    routes=runtime.ROUTES,
    middleware=[Middleware(RequestGuard, policy=guard_policy(sign_in_mode())),
                Middleware(HtmlLang, lang="sv")],
)
