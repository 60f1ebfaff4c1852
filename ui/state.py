"""Streamlit-side state: the store (one per process), cached indicator calls keyed on the data
version, facts about the data, and what every chart says about itself (disclosure, totals,
context). The filters are `ui.filters`, the signed-in user `ui.signin`.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from typing import Any

import streamlit as st

from lagesbild.domain import config
from lagesbild.domain.periods import (
    quarters_between,
)
from lagesbild.service import runtime
from lagesbild.store import Store


# -- the entry point -----------------------------------------------------------------------------
def ensure_entrypoint() -> None:
    """Make sure app.py (sidebar, banners, navigation) runs; call first on every page.

    With a folder called pages/ next to app.py, Streamlit starts in its old multipage mode
    until `st.navigation` has been called once in the process. A first request straight to
    a page (e.g. a bookmarked /trender after a restart) would then run the page file alone,
    without app.py. Leave that mode and run again: app.py then shows the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


# -- the store -------------------------------------------------------------------------------
def db_path() -> str:
    return str(config.database_path())


def get_store() -> Store:
    """The store of this process (opened, migrated and seeded once, at start-up)."""
    return runtime.store(db_path())


# -- cached indicator calls --------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=1024)
def _cached_call(path: str, version: tuple[int, int], module: str, name: str,
                 args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
    func = getattr(importlib.import_module(module), name)
    return func(runtime.store(path), *args, **dict(kwargs))


def call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`func(store, *args, **kwargs)` for an engine function, cached per data version.

    The cache key is the database path, `store.data_version()`, the function and its
    arguments (Filters is a frozen dataclass; pass tuples, not lists) — never a DataFrame.
    """
    store = get_store()
    return _cached_call(db_path(), store.data_version(), func.__module__, func.__name__,
                        tuple(args), tuple(sorted(kwargs.items())))


def data_version() -> tuple[int, int]:
    return get_store().data_version()


@st.cache_data(show_spinner=False, max_entries=64)
def _store_facts(path: str, version: tuple[int, int]) -> dict[str, Any]:
    from lagesbild.numbers.indicators import data_span

    store = runtime.store(path)
    first, last = data_span(store)
    return {
        "quarters": quarters_between(first, last) if first and last else [],
        "has_demo": store.has_demo_data(),
        "data_as_of": store.data_as_of(),
    }


def store_facts() -> dict[str, Any]:
    """Facts about the data for this run: quarters with reports, demo flag, data date."""
    return _store_facts(db_path(), data_version())


def has_reports() -> bool:
    return bool(store_facts()["quarters"])


def has_demo_data() -> bool:
    return bool(store_facts()["has_demo"])


def data_as_of() -> dt.datetime | None:
    return store_facts()["data_as_of"]


def data_changed() -> None:
    """After an import or a rollback: drop cached results (they key on the data version, so
    they would not be served again anyway; this frees the memory)."""
    _cached_call.clear()
    _store_facts.clear()
