"""The sign-in mode of this server, without anything else of the dashboard: app.py reads it
once at start (for the request guard, lagesbild.service.guard) and ui.signin on every run."""

from __future__ import annotations

import streamlit as st

from lagesbild.access import signin
from lagesbild.access.accounts import accounts_path


def _secrets_have_auth() -> bool:
    """Whether Streamlit's secrets (.streamlit/secrets.toml or --secrets.files) hold [auth]."""
    try:
        return bool(st.secrets.get("auth"))
    except Exception:  # noqa: BLE001 - no secrets file at all, or one that cannot be read
        return False


def sign_in_mode() -> str:
    """"oidc" ([auth] in the secrets), "lokal" (an accounts file) or "localhost" (neither:
    the app serves one person on this computer)."""
    return signin.sign_in_mode(_secrets_have_auth(), accounts_path().exists())
