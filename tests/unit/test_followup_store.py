"""The generalised store: every dataset gets versions, batches, rollback and demo removal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from lagesbild.store import EDITED_IN_APP, Store
from lagesbild.store.schema import (
    ACTIVITIES,
    ACTIVITY_COLUMNS,
    EVENT_COLUMNS,
    EVENTS,
    LATEST_VERSION,
    MIGRATIONS,
    REPORT_COLUMNS,
    TRAINING_COLUMNS,
    TRAININGS,
)

_TYPES = {"datum": pa.date32(), "antal_deltagare": pa.int32(), "varav_kvinnor": pa.int32(),
          "varav_man": pa.int32(), "borttagen": pa.bool_()}


def table(columns: tuple[str, ...], base: dict, *rows: dict) -> pa.Table:
    full = [{**base, **row} for row in rows]
    return pa.table({c: [r[c] for r in full] for c in columns},
                    schema=pa.schema([(c, _TYPES.get(c, pa.string())) for c in columns]))


def reports(*rows: dict) -> pa.Table:
    base = {"partner": "Polis", "rapport_id": "P-1", "datum": dt.date(2026, 7, 3),
            "rapporttyp": "Incident", "omrade": "Centrum", "regso": None,
            "form": "Högerextremism", "handelse": "Propaganda", "verksamhet": "Polis",
            "kon": "Okänt", "aldersgrupp": "Okänd", "konsultation": "Nej"}
    return table(REPORT_COLUMNS, base, *rows)


def trainings(*rows: dict) -> pa.Table:
    base = {"insats_id": "U-1", "datum": dt.date(2026, 2, 3), "typ": "Utbildning",
            "tema": "Högerextremism", "malgrupp": "Grundskola", "antal_deltagare": 20,
            "varav_kvinnor": None, "varav_man": None}
    return table(TRAINING_COLUMNS, base, *rows)


def activities(*rows: dict) -> pa.Table:
    base = {"aktivitet_id": "A-1", "aktivitet": "Utbilda skolpersonal", "mal": "Kunskap",
            "omrade": "Utbildning och metodutveckling", "ansvarig": "UmeBrå",
            "start_kvartal": "2025K1", "klart_kvartal": "2025K4", "status": "Planerad",
            "borttagen": False}
    return table(ACTIVITY_COLUMNS, base, *rows)


def events(*rows: dict) -> pa.Table:
    base = {"handelse_id": "H-1", "datum": dt.date(2026, 3, 2), "kategori": "Övrigt",
            "titel": "Exempel", "borttagen": False}
    return table(EVENT_COLUMNS, base, *rows)


def current(store: Store, table_name: str, cols: str) -> list[tuple]:
    return store.cursor().execute(f"SELECT {cols} FROM {table_name} ORDER BY ALL").fetchall()


def test_schema_version_2_has_the_followup_tables(store: Store) -> None:
    assert LATEST_VERSION >= 2 and store.schema_version == LATEST_VERSION
    names = {r[0] for r in store.cursor().execute("SHOW TABLES").fetchall()}
    assert {"trainings", "training_versions", "activities", "activity_versions", "events",
            "event_versions"} <= names


def test_a_version_1_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description "
                "VARCHAR, applied_at TIMESTAMPTZ)")
    for statement in MIGRATIONS[0][2]:
        con.execute(statement)
    con.execute("INSERT INTO schema_version VALUES (1, 'v1', now())")
    con.close()
    store = Store.open(path)
    try:
        assert store.schema_version == LATEST_VERSION
        store.import_rows(TRAININGS, trainings({}), file_name="u.xlsx", sha256="u",
                          imported_by="a")
        assert current(store, "trainings", "insats_id, kvartal") == [("U-1", "2026K1")]
    finally:
        store.close()


def test_trainings_import_classify_and_rollback(store: Store) -> None:
    first = store.import_rows(TRAININGS, trainings({}, {"insats_id": "U-2"}),
                              file_name="u1.xlsx", sha256="s1", imported_by="anna")
    assert (first.rows_new, first.batch_id) == (2, 1)
    assert store.batches()[0]["kind"] == "utbildningar"
    before = current(store, "trainings", "insats_id, antal_deltagare")
    corrected = trainings({"antal_deltagare": 25}, {"insats_id": "U-3"})
    assert store.classify(corrected, TRAININGS) == {"new": 1, "changed": 1, "unchanged": 0}
    second = store.import_rows(TRAININGS, corrected, file_name="u2.xlsx", sha256="s2",
                               imported_by="anna")
    assert current(store, "trainings", "insats_id, antal_deltagare") == [
        ("U-1", 25), ("U-2", 20), ("U-3", 20)]
    again = store.import_rows(TRAININGS, corrected, file_name="u2.xlsx", sha256="s2",
                              imported_by="anna")
    assert again.already_imported and again.batch_id is None
    assert store.rollback(second.batch_id, by="bo") == 2
    assert current(store, "trainings", "insats_id, antal_deltagare") == before


def test_same_sha_of_another_kind_is_not_already_imported(store: Store) -> None:
    store.import_reports(reports({}), file_name="f", sha256="same", imported_by="a")
    receipt = store.import_rows(TRAININGS, trainings({}), file_name="f", sha256="same",
                                imported_by="a")
    assert not receipt.already_imported and receipt.batch_id == 2


def test_edits_are_batches_with_history_and_can_be_rolled_back(store: Store) -> None:
    store.edit_rows(ACTIVITIES, activities({}), edited_by="anna")
    second = store.edit_rows(ACTIVITIES, activities({"status": "Pågår"}), edited_by="bo")
    unchanged = store.edit_rows(ACTIVITIES, activities({"status": "Pågår"}), edited_by="bo")
    assert unchanged.batch_id is None and unchanged.rows_unchanged == 1
    assert current(store, "activities", "aktivitet_id, status") == [("A-1", "Pågår")]
    batch = store.batches()[0]
    assert (batch["kind"], batch["file_name"], batch["imported_by"]) == (
        "aktivitetsplan", EDITED_IN_APP, "bo")
    assert len(batch["sha256"]) == 64
    history = store.history(ACTIVITIES, {"aktivitet_id": "A-1"}).to_dict("records")
    assert [(h["status"], h["andrad_av"]) for h in history] == [("Pågår", "bo"),
                                                               ("Planerad", "anna")]
    # the same content again later (Pågår -> Planerad) is a real change, not "already imported"
    back = store.edit_rows(ACTIVITIES, activities({}), edited_by="anna")
    assert back.batch_id == 3
    store.rollback(back.batch_id, by="x")
    store.rollback(second.batch_id, by="x")
    assert current(store, "activities", "aktivitet_id, status") == [("A-1", "Planerad")]


def test_removing_an_event_is_a_new_version(store: Store) -> None:
    store.edit_rows(EVENTS, events({}), edited_by="a")
    removal = store.edit_rows(EVENTS, events({"borttagen": True}), edited_by="b")
    assert current(store, "events", "handelse_id, borttagen, kvartal") == [
        ("H-1", True, "2026K1")]
    assert len(store.history(EVENTS)) == 2  # both versions are kept
    store.rollback(removal.batch_id, by="c")
    assert current(store, "events", "handelse_id, borttagen, kvartal") == [
        ("H-1", False, "2026K1")]


def test_demo_removal_covers_every_dataset_and_demo_edits(store: Store) -> None:
    store.import_reports(reports({"rapport_id": "D"}), file_name="demo", sha256="d",
                         imported_by="system", is_demo=True)
    store.import_rows(TRAININGS, trainings({}), file_name="demo", sha256="d",
                      imported_by="system", is_demo=True)
    store.import_rows(EVENTS, events({}), file_name="demo", sha256="d", imported_by="system",
                      is_demo=True)
    edit = store.edit_rows(EVENTS, events({"titel": "Ändrad"}), edited_by="a")
    assert store.batches()[0]["is_demo"]  # editing a demo event keeps it demo
    real = store.edit_rows(EVENTS, events({"handelse_id": "H-2"}), edited_by="a")
    assert not store.batches()[0]["is_demo"] and edit.batch_id != real.batch_id
    assert store.has_demo_data() and store.remove_demo() == 4
    assert store.report_count() == 0
    assert current(store, "trainings", "insats_id") == []
    assert current(store, "events", "handelse_id") == [("H-2",)]
    assert len(store.history(EVENTS)) == 1  # the demo versions are gone for good


def test_a_real_import_of_any_kind_removes_demo_data(store: Store) -> None:
    store.import_reports(reports({"rapport_id": "D"}), file_name="demo", sha256="d",
                         imported_by="system", is_demo=True)
    receipt = store.import_rows(TRAININGS, trainings({}), file_name="u", sha256="u",
                                imported_by="a")
    assert receipt.demo_removed and store.report_count() == 0 and not store.has_demo_data()


def test_failed_edit_leaves_nothing_behind(store: Store) -> None:
    broken = events({}).set_column(1, "datum", pa.array([None], pa.date32()))
    with pytest.raises(duckdb.Error):
        store.edit_rows(EVENTS, broken, edited_by="a")
    assert store.batches() == []
