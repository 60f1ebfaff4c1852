"""Lägesbild: the dashboard's server. Run with `streamlit run app.py` (or `make run`).

`streamlit run` finds the `st.App` below (it must stay a literal `app = st.App(...)`) and
serves it with uvicorn. This file owns the request path: the lifespan opens the database when
the server starts, schedules the backups and serves the local channel through which the
command line runs its commands in this process while the dashboard holds the database
(lagesbild.service.runtime, lagesbild.cli.forward). The Streamlit script every visitor runs is
dashboard.py (sign-in, navigation, sidebar, banners); the pages live in pages/.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lagesbild.cli.forward import run_in_app
from lagesbild.service import runtime

app = st.App(Path(__file__).with_name("dashboard.py"), lifespan=runtime.serving(run_in_app),
             routes=runtime.ROUTES)
