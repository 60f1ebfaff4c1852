"""The latest backup in the sidebar, for analysts: when, and a warning when it failed, is
missing or is more than two days old (lagesbild.service.operations keeps the record)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lagesbild.access.roles import ANALYTIKER
from lagesbild.domain import config
from lagesbild.service import operations


def backup_sidebar(user: Any) -> None:
    """Show analysts the state of the backups; nobody else sees anything."""
    if user is None or user.role != ANALYTIKER:
        return
    status = operations.backup_status(config.database_path())
    latest = status.latest_ok
    if latest is not None:
        st.sidebar.caption(f":material/backup: Senaste säkerhetskopia "
                           f"{operations.shown_time(latest.when)} ({latest.kind}, kontrollerad)")
    problem = status.problem()
    if problem:
        st.sidebar.warning(f"**Säkerhetskopia:** {problem}", icon=":material/warning:")
