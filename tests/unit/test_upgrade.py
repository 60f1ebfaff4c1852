"""Upgrade path: a database (and a backup) written by the first released schema opens with the
current code; the migrations run, nothing is lost, the counts are equal and the program works
on it. The old database is made here by code from the migrations' first version."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from lagesbild.numbers.query import Filters, counts
from lagesbild.store import Store, backup
from lagesbild.store.schema import LATEST_VERSION, MIGRATIONS

FIRST_VERSION, FIRST_DESCRIPTION, FIRST_STATEMENTS = MIGRATIONS[0]
REPORTS = 600
FORMS = ["Högerextremism", "Vänsterextremism", "Våldsbejakande islamism", "Annan"]


def first_release_database(path: Path) -> None:
    """A database exactly as the first release left it, with two imports (one rolled back),
    population figures and an audit log."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version "
                "(version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMPTZ)")
    for statement in FIRST_STATEMENTS:
        con.execute(statement)
    con.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                [FIRST_VERSION, FIRST_DESCRIPTION, dt.datetime(2025, 1, 1, tzinfo=dt.UTC)])
    con.execute("""INSERT INTO batches (batch_id, kind, file_name, sha256, imported_at,
                   imported_by, partners, period_from, period_to, rows_total, rows_new,
                   rolled_back_at, rolled_back_by) VALUES
        (1, 'rapporter', 'polis_2025K1.xlsx', 'a1', '2025-04-02 08:00+00', 'anna', 'Polis',
         '2025-01-01', '2025-03-31', 600, 600, NULL, NULL),
        (2, 'rapporter', 'fel_fil.xlsx', 'b2', '2025-04-03 08:00+00', 'anna', 'Polis',
         '2025-01-01', '2025-03-31', 10, 0, '2025-04-03 09:00+00', 'anna'),
        (3, 'befolkning', 'befolkning.csv', 'c3', '2025-04-01 08:00+00', 'system', NULL,
         NULL, NULL, 2, 2, NULL, NULL)""")
    forms = "', '".join(FORMS)
    rows = f"""SELECT 1 AS batch_id, 'Polis' AS partner, 'P-' || i AS rapport_id,
                      DATE '2025-01-01' + CAST(i % 90 AS INTEGER) AS datum,
                      CASE WHEN i % 3 = 0 THEN 'Oro' ELSE 'Incident' END AS rapporttyp,
                      CASE WHEN i % 2 = 0 THEN 'Centrum' ELSE 'Ålidhem' END AS omrade,
                      NULL AS regso, (['{forms}'])[1 + i % 4] AS form,
                      'Propaganda' AS handelse, 'Polis' AS verksamhet, 'Man' AS kon,
                      '16–17' AS aldersgrupp, 'Nej' AS konsultation
               FROM range({REPORTS}) t(i)"""
    con.execute(f"INSERT INTO report_versions {rows}")
    con.execute("""INSERT INTO report_versions SELECT 2, partner, rapport_id, datum,
                   rapporttyp, omrade, regso, 'Annan', handelse, verksamhet, kon, aldersgrupp,
                   konsultation FROM report_versions WHERE batch_id = 1 LIMIT 10""")
    con.execute(f"INSERT INTO reports SELECT *, year(datum)::VARCHAR || 'K' || "
                f"quarter(datum)::VARCHAR FROM ({rows})")
    con.execute("INSERT INTO population_versions VALUES (3, '2480R001', 2024, 1200), "
                "(3, '2480R002', 2024, 3400)")
    con.execute("""INSERT INTO audit_log VALUES
        ('2025-04-02 08:00+00', 'anna', 'import', 'polis_2025K1.xlsx', 'ok', NULL),
        ('2025-04-03 09:00+00', 'anna', 'återställning', 'batch 2', 'ok', NULL)""")
    con.close()


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall():
        columns.setdefault(table, []).append(f'"{column}"')
    return columns


def first_release_contents(path: Path, columns_from: Path | None = None) \
        -> dict[str, list[tuple]]:
    """Every table and column, as sorted rows; with `columns_from`, only the tables and
    columns of that (first-release) database (later columns, such as the record key
    `reports.rkey` of migration 4, left out)."""
    if columns_from is not None:
        reference = duckdb.connect(str(columns_from), read_only=True)
        try:
            wanted = _columns(reference)
        finally:
            reference.close()
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = _columns(con)
        if columns_from is not None:  # the first release's columns, and the current tables
            # that now hold the current versions (STORED_ONCE) in the first release's width
            columns = wanted | {t: columns[t][:FIRST_WIDTH[v]] for v, t in STORED_ONCE.items()
                                if t not in wanted and t in columns}
        return {t: con.execute(f'SELECT {", ".join(c)} FROM "{t}" ORDER BY ALL').fetchall()
                for t, c in columns.items()}
    finally:
        con.close()


# Since schema 3 every version is stored once: the current one in the current table, the
# others in the versions table (they were both in the versions table before).
STORED_ONCE = {"report_versions": "reports", "population_versions": "population"}


def every_version(contents: dict[str, list[tuple]], versions: str) -> set[tuple]:
    """Every version of a dataset, in the first release's columns (batch_id first)."""
    width = FIRST_WIDTH[versions]
    return {r[:width] for r in contents[versions] + contents.get(STORED_ONCE[versions], [])}


FIRST_WIDTH = {"report_versions": 13, "population_versions": 4}


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    path = tmp_path / "forsta_versionen.duckdb"
    first_release_database(path)
    return path


def test_a_first_release_database_migrates_and_keeps_everything(old_db: Path) -> None:
    before = first_release_contents(old_db)
    assert [v for v, *_ in before["schema_version"]] == [1]
    assert len(before["reports"]) == REPORTS

    store = Store.open(old_db)
    try:
        assert store.schema_version == LATEST_VERSION
        applied = [r[0] for r in store.cursor().execute(
            "SELECT version FROM schema_version ORDER BY version").fetchall()]
        assert applied == [v for v, *_ in MIGRATIONS]  # every migration, once
        # the program works on it: counts, rollback, the new tables
        table = counts(store, ["form"], Filters())
        assert dict(zip(table["form"], table["antal"], strict=True)) == {
            f: REPORTS // 4 for f in FORMS}
        assert store.report_count() == REPORTS
        assert store.rollback(1, "anna") == REPORTS and store.report_count() == 0
        assert store.cursor().execute("SELECT count(*) FROM trainings").fetchone() == (0,)
    finally:
        store.close()

    after = first_release_contents(old_db)
    assert "cell_key_secret" in after and len(after["cell_key_secret"]) == 1  # migration 4
    for name, rows in before.items():
        if name == "batches":  # batch 1 is rolled back above; nothing else changed
            # (batch 0 holds the defaults the migration starts the reference data from)
            assert [r[:16] for r in after[name] if r[0] != 0] == [r[:16] for r in rows]
        elif name == "reports":
            assert after[name] == []
        elif name in STORED_ONCE:  # every version kept: the current ones beside the older
            assert every_version(after, name) == every_version(before, name), name
        elif name != "schema_version":
            assert after[name] == rows, name
    assert after["schema_version"][0] == before["schema_version"][0]

    again = Store.open(old_db)  # a second start runs nothing again
    again.close()
    assert first_release_contents(old_db)["schema_version"] == after["schema_version"]


def test_a_first_release_backup_restores_into_the_current_schema(old_db: Path,
                                                                  tmp_path: Path) -> None:
    before = first_release_contents(old_db)
    old = Store(duckdb.connect(str(old_db)), old_db)  # as the first release had it: no migration
    try:
        manifest = backup.backup(old, tmp_path / "kopia", by="anna")
    finally:
        old.close()
    assert manifest["schema_version"] == 1
    result = backup.restore(tmp_path / "kopia", tmp_path / "ny.duckdb")
    assert result.schema_version == LATEST_VERSION
    after = first_release_contents(tmp_path / "ny.duckdb", columns_from=old_db)
    for name, rows in before.items():
        if name == "batches":
            assert [r[:16] for r in after[name] if r[0] != 0] == [r[:16] for r in rows]
        elif name in STORED_ONCE:
            assert every_version(after, name) == every_version(before, name), name
        elif name not in ("audit_log", "schema_version"):  # columns added later left out
            assert [r[:len(rows[0])] for r in after[name]] == rows if rows else \
                after[name] == rows, name
    assert set(before["audit_log"]) < set(after["audit_log"])  # + the backup and the restore
    store = Store.open(tmp_path / "ny.duckdb")
    try:
        assert store.report_count() == REPORTS
        assert counts(store, ["form"], Filters())["antal"].sum() == REPORTS
        # every restored report has its record key (migration 4 backfilled them)
        assert store.cursor().execute(
            "SELECT count(*) FROM reports WHERE rkey IS NULL").fetchone() == (0,)
    finally:
        store.close()
