"""The store: batches with provenance, versions, rollback to the exact earlier state."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from lagesbild.store import Store, StoreCorrupt, StoreLocked
from lagesbild.store.schema import LATEST_VERSION, REPORT_COLUMNS, REPORTS


def reports(*rows: dict) -> pa.Table:
    base = {"partner": "Polis", "rapport_id": "P-1", "datum": dt.date(2026, 7, 3),
            "rapporttyp": "Incident", "omrade": "Centrum", "regso": None,
            "form": "Högerextremism", "handelse": "Propaganda", "verksamhet": "Polis",
            "kon": "Okänt", "aldersgrupp": "Okänd", "konsultation": "Nej"}
    full = [{**base, **row} for row in rows]
    return pa.table({c: [r[c] for r in full] for c in REPORT_COLUMNS},
                    schema=pa.schema([(c, pa.date32() if c == "datum" else pa.string())
                                      for c in REPORT_COLUMNS]))


def current(store: Store) -> list[tuple]:
    return store.cursor().execute(
        "SELECT partner, rapport_id, form, kvartal FROM reports ORDER BY ALL").fetchall()


def test_new_database_is_migrated_to_latest_schema(store: Store) -> None:
    assert store.schema_version == LATEST_VERSION
    assert store.report_count() == 0


def test_import_records_provenance_and_quarter(store: Store) -> None:
    receipt = store.import_reports(reports({"rapport_id": "P-1"}, {"rapport_id": "P-2"}),
                                   file_name="polis.xlsx", sha256="a" * 64, imported_by="anna")
    assert (receipt.batch_id, receipt.rows_new, receipt.rows_total) == (1, 2, 2)
    batch = store.batches()[0]
    assert batch["file_name"] == "polis.xlsx" and batch["imported_by"] == "anna"
    assert batch["sha256"] == "a" * 64 and batch["partners"] == "Polis"
    assert batch["period_from"] == dt.date(2026, 7, 3)
    assert current(store) == [("Polis", "P-1", "Högerextremism", "2026K3"),
                              ("Polis", "P-2", "Högerextremism", "2026K3")]


def test_same_file_twice_changes_nothing(store: Store) -> None:
    table = reports({"rapport_id": "P-1"})
    store.import_reports(table, file_name="f.xlsx", sha256="s1", imported_by="a")
    again = store.import_reports(table, file_name="f.xlsx", sha256="s1", imported_by="a")
    assert again.already_imported and again.batch_id is None
    assert len(store.batches()) == 1 and store.report_count() == 1


def test_same_report_again_is_not_counted_twice_and_changes_become_current(store) -> None:
    store.import_reports(reports({"rapport_id": "P-1"}, {"rapport_id": "P-2"}),
                         file_name="q3.xlsx", sha256="s1", imported_by="a")
    second = store.import_reports(
        reports({"rapport_id": "P-1"}, {"rapport_id": "P-2", "form": "Vänsterextremism"},
                {"rapport_id": "P-3"}),
        file_name="q3-rättad.xlsx", sha256="s2", imported_by="a")
    assert (second.rows_new, second.rows_changed, second.rows_unchanged) == (1, 1, 1)
    assert current(store) == [("Polis", "P-1", "Högerextremism", "2026K3"),
                              ("Polis", "P-2", "Vänsterextremism", "2026K3"),
                              ("Polis", "P-3", "Högerextremism", "2026K3")]


def test_same_id_from_another_partner_is_another_report(store: Store) -> None:
    store.import_reports(reports({"rapport_id": "1"}, {"rapport_id": "1", "partner": "Grundskola",
                                                       "verksamhet": "Grundskola"}),
                         file_name="f", sha256="s", imported_by="a")
    assert store.report_count() == 2


def test_rollback_restores_exactly_the_state_before(store: Store) -> None:
    store.import_reports(reports({"rapport_id": "P-1"}, {"rapport_id": "P-2"}),
                         file_name="q3.xlsx", sha256="s1", imported_by="a")
    before = current(store)
    second = store.import_reports(
        reports({"rapport_id": "P-2", "form": "Vänsterextremism"}, {"rapport_id": "P-9"}),
        file_name="q3b.xlsx", sha256="s2", imported_by="a")
    assert current(store) != before
    assert store.rollback(second.batch_id, by="b") == 2
    assert current(store) == before
    assert store.batches()[0]["rolled_back_by"] == "b"
    # the rolled-back file may be imported again
    again = store.import_reports(
        reports({"rapport_id": "P-2", "form": "Vänsterextremism"}, {"rapport_id": "P-9"}),
        file_name="q3b.xlsx", sha256="s2", imported_by="a")
    assert again.batch_id == 3 and store.report_count() == 3


def test_rolling_back_an_older_batch_keeps_later_changes(store: Store) -> None:
    first = store.import_reports(reports({"rapport_id": "P-1"}), file_name="a", sha256="1",
                                 imported_by="x")
    store.import_reports(reports({"rapport_id": "P-1", "form": "Annan"}), file_name="b",
                         sha256="2", imported_by="x")
    store.rollback(first.batch_id, by="x")
    assert current(store) == [("Polis", "P-1", "Annan", "2026K3")]


def test_rollback_twice_or_unknown_batch_is_refused(store: Store) -> None:
    receipt = store.import_reports(reports({}), file_name="a", sha256="1", imported_by="x")
    store.rollback(receipt.batch_id, by="x")
    with pytest.raises(Exception, match="redan återställd"):
        store.rollback(receipt.batch_id, by="x")
    with pytest.raises(Exception, match="ingen import med nummer 99"):
        store.rollback(99, by="x")


def test_failed_import_leaves_database_unchanged(store: Store) -> None:
    store.import_reports(reports({"rapport_id": "P-1"}), file_name="a", sha256="1",
                         imported_by="x")
    broken = reports({"rapport_id": "P-2"}).set_column(
        2, "datum", pa.array([None], pa.date32()))  # violates NOT NULL mid-transaction
    with pytest.raises(duckdb.ConstraintException):
        store.import_reports(broken, file_name="b", sha256="2", imported_by="x")
    assert len(store.batches()) == 1 and current(store)[0][1] == "P-1"
    assert len(store.history(REPORTS)) == 1  # every version: the one from the first import


def test_real_import_removes_demo_data(store: Store) -> None:
    store.import_reports(reports({"rapport_id": "D-1"}), file_name="demo", sha256="d",
                         imported_by="system", is_demo=True)
    assert store.has_demo_data()
    receipt = store.import_reports(reports({"rapport_id": "P-1"}), file_name="a", sha256="1",
                                   imported_by="x")
    assert receipt.demo_removed and not store.has_demo_data()
    assert [r[1] for r in current(store)] == ["P-1"]


def test_data_version_changes_with_import_and_rollback(store: Store) -> None:
    v0 = store.data_version()
    receipt = store.import_reports(reports({}), file_name="a", sha256="1", imported_by="x")
    v1 = store.data_version()
    store.rollback(receipt.batch_id, by="x")
    assert len({v0, v1, store.data_version()}) == 3


def test_second_process_gets_a_clear_lock_message(tmp_path: Path) -> None:
    path = tmp_path / "l.duckdb"
    held = Store.open(path)
    try:
        code = ("from lagesbild.store import Store, StoreLocked\n"
                f"try:\n    Store.open({str(path)!r})\n"
                "except StoreLocked as e:\n    print(e)\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=60)
        assert "används redan av ett annat program" in out.stdout
    finally:
        held.close()
    assert StoreLocked  # the class is the public contract


def test_corrupt_file_gives_restore_advice(tmp_path: Path) -> None:
    path = tmp_path / "trasig.duckdb"
    path.write_bytes(b"not a database" * 500)
    with pytest.raises(StoreCorrupt, match="lagesbild restore"):
        Store.open(path)
