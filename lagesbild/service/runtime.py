"""The dashboard process's resources, opened once when the app starts.

`lifespan` is the app's start-up and shutdown (app.py hands it to `st.App`): it makes every file
the process creates private (umask 0077) and opens the database before the first visitor
(migrated, seeded with demo data when new, population filled in). A database that cannot be
opened stops the start (st.App exits with code 3), so a broken service is seen at once rather
than by its first user.

Pages reach the store through `store()`: the one the lifespan opened, or - when the dashboard
runs without st.App (AppTest, `streamlit run dashboard.py`) - one opened on first use. One
Store per database file and process (DuckDB allows one read-write process per file; the Store
gives each query its own cursor).
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from lagesbild.domain import config
from lagesbild.intake.population import ensure_population
from lagesbild.service import open_for_app
from lagesbild.store import Store

_stores: dict[Path, Store] = {}
_lock = threading.Lock()


def store(path: str | os.PathLike[str] | None = None) -> Store:
    """The process's Store for the database file (default: `config.database_path()`)."""
    target = Path(config.database_path(path)).resolve()
    with _lock:
        if target not in _stores:
            opened = open_for_app(str(target))
            ensure_population(opened)
            _stores[target] = opened
        return _stores[target]


def close_all() -> None:
    """Close every store this process opened (at shutdown; tests between runs)."""
    with _lock:
        for opened in _stores.values():
            opened.close()
        _stores.clear()


@asynccontextmanager
async def lifespan(app: object) -> AsyncIterator[dict[str, object]]:
    """Start-up and shutdown of the app (`st.App(..., lifespan=lifespan)`)."""
    os.umask(0o077)  # the database, its WAL, backups and exports are the service user's only
    opened = store()
    try:
        yield {"store": opened}
    finally:
        close_all()
