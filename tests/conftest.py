"""Fixtures every tier shares: every data file isolated for every test, stores on temporary
files, and the synthetic demo database built once per session (copy it to write)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lagesbild.access import accounts, signin
from lagesbild.intake.population import ensure_population
from lagesbild.service import seed_demo
from lagesbild.store import Store, schema
from tests.helpers.reports import TEST_SECRET


@pytest.fixture(autouse=True)
def fixed_cell_key_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every database a test makes gets the same cell-key secret (a real one gets 256 random
    bits), so protected numbers are the same in every run."""
    monkeypatch.setattr(schema, "new_secret", lambda: TEST_SECRET)
    return TEST_SECRET


@pytest.fixture(autouse=True)
def isolated_data_files(tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the developer's own files: the database, the local accounts,
    the role mapping and the secrets all point into an empty temporary folder (a test that
    needs one sets its own)."""
    folder = tmp_path_factory.mktemp("egna_filer")
    monkeypatch.setenv("LAGESBILD_DB", str(folder / "lagesbild.duckdb"))
    monkeypatch.setenv(accounts.ACCOUNTS_ENV, str(folder / "konton.json"))
    monkeypatch.setenv(signin.ROLES_ENV, str(folder / "roller.toml"))
    monkeypatch.setattr(signin, "SECRETS_FILE", folder / "secrets.toml")
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty store in a temporary DuckDB file."""
    db = Store.open(tmp_path / "test.duckdb")
    yield db
    db.close()


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file with the demo data and the default population, built once per session."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "new_secret", lambda: TEST_SECRET)
        db = Store.open(path)
    seed_demo(db)
    ensure_population(db)
    db.close()
    return path


@pytest.fixture
def demo_store(demo_db_file: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the demo database, open for reading and writing."""
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db_file.read_bytes())
    db = Store.open(copy)
    yield db
    db.close()


@pytest.fixture
def demo_db(demo_db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo database as the app's and the command line's database
    ($LAGESBILD_DB)."""
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db_file.read_bytes())
    monkeypatch.setenv("LAGESBILD_DB", str(copy))
    return copy
