"""Shared fixtures: stores on temporary files, with or without the synthetic demo data."""

from __future__ import annotations

from pathlib import Path

import pytest

from lagesbild.store import Store


@pytest.fixture
def store(tmp_path: Path):
    """An empty store in a temporary DuckDB file."""
    db = Store.open(tmp_path / "test.duckdb")
    yield db
    db.close()


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file with the demo data, built once per test session (copy it to write)."""
    from lagesbild.service import seed_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    db = Store.open(path)
    seed_demo(db)
    try:
        from lagesbild.intake.population import ensure_population
    except ImportError:  # the population module arrives with the indicator engine
        pass
    else:
        ensure_population(db)
    db.close()
    return path


@pytest.fixture
def demo_store(demo_db_file: Path, tmp_path: Path):
    """A private copy of the demo database, open for reading and writing."""
    copy = tmp_path / "demo.duckdb"
    copy.write_bytes(demo_db_file.read_bytes())
    db = Store.open(copy)
    yield db
    db.close()
