"""The browser tier: the dashboard served by `streamlit run` on a copy of the demo database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.browser import streamlit_server


@pytest.fixture(scope="module")
def server(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One dashboard per test module (localhost mode: the analyst on this computer)."""
    db = tmp_path_factory.mktemp("browser") / "demo.duckdb"
    db.write_bytes(demo_db_file.read_bytes())
    with streamlit_server(db) as url:
        yield url


@pytest.fixture
def db(demo_db_file: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database for a test that starts its own server."""
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db_file.read_bytes())
    return copy
