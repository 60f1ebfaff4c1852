"""The AppTest tier: one way to run the dashboard in-process, with nothing left over between
tests (caches, throttles) and cheap password hashes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from argon2 import PasswordHasher
from streamlit.runtime.pages_manager import PagesManager

from lagesbild.access import accounts, roles
from lagesbild.service import runtime
from tests.helpers.apptest import PASSWORD


@pytest.fixture(autouse=True)
def fresh_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No cache or open store survives a test, and AppTest runs dashboard.py on every rerun.

    AppTest resets Streamlit's "pages/ folder" detection before every run, so with our
    pages/ folder a rerun would run the current page file alone instead of dashboard.py (a real
    server leaves that mode for good once st.navigation has been called). Keep it off.
    Password checks are cheap and the sign-in throttle starts empty.
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=8,
                                                           parallelism=1))
    monkeypatch.setattr(accounts, "THROTTLE", accounts.Throttle())
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    runtime.close_all()


@pytest.fixture
def local_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two local accounts: anna (analytiker) and bo (beredningsgrupp)."""
    path = tmp_path / "konton.json"
    accounts.add_user(path, "anna", roles.ANALYTIKER, PASSWORD)
    accounts.add_user(path, "bo", roles.BEREDNINGSGRUPP, PASSWORD)
    monkeypatch.setenv(accounts.ACCOUNTS_ENV, str(path))
    return path
