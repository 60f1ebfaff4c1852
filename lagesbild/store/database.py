"""The DuckDB store: one file, versioned schema, append-only batches of versioned data.

One `Store` per process holds the only connection to the file (DuckDB allows one read-write
process per file); every query runs on its own `cursor()`, so threads can share the store.
Every import (and every edit made in the app) is a batch with provenance. The data are
`schema.Dataset`s – reports, trainings, the activity plan, context events – and the same code
serves them all: versions are never deleted (only demo data are removed for good); rolling back
a batch marks it rolled back and rebuilds the current state of the keys it touched from the
versions that remain.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from lagesbild.domain.text import printable
from lagesbild.store.schema import (
    DATASETS,
    KEY_MODULUS,
    LATEST_VERSION,
    MIGRATIONS,
    POPULATION_KIND,
    REPORTS,
    Dataset,
    dataset_of_kind,
    record_key_sql,
)

QUARTER_SQL = "(year(datum)::VARCHAR || 'K' || quarter(datum)::VARCHAR)"
# The file name of a batch made by editing in the app rather than importing a file.
EDITED_IN_APP = "redigerad i appen"


class StoreError(Exception):
    """A problem with the database file itself; the message is Swedish and says what to do."""


class StoreLocked(StoreError):
    pass


class StoreCorrupt(StoreError):
    pass


@dataclass(frozen=True)
class Receipt:
    """What an import did (or, for a dry run, would do)."""

    file_name: str
    sha256: str
    batch_id: int | None  # None: nothing stored (dry run or already imported)
    rows_total: int
    rows_new: int
    rows_changed: int
    rows_unchanged: int
    rows_duplicate: int
    period_from: dt.date | None
    period_to: dt.date | None
    partners: tuple[str, ...]
    already_imported: bool = False
    demo_removed: bool = False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Store:
    """The project's database. Open with `Store.open(path)`; close with `close()`."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path | None):
        self._con = connection
        self.path = path
        self._write_lock = threading.Lock()

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path | None) -> Store:
        """Open (and create or migrate) the database file; None or ':memory:' for memory."""
        target = None if path in (None, ":memory:") else Path(path)
        try:
            if target is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(target) if target else ":memory:")
        except duckdb.Error as exc:  # locked (IOException), or damaged (e.g. a checksum)
            raise _explain_open_error(target, exc) from None
        if target is not None:
            make_private(target)
        store = cls(con, target)
        try:
            store._migrate()
        except (StoreError, duckdb.Error) as exc:
            con.close()
            if isinstance(exc, StoreError):
                raise
            raise _explain_open_error(target, exc) from None
        return store

    def close(self) -> None:
        self._con.close()

    def shared(self) -> Store:
        """The same store for code that closes what it opens (a command run inside the app):
        the same connection and write lock, but `close()` leaves the connection open."""
        return _SharedStore(self)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one query (safe to use from the calling thread)."""
        return self._con.cursor()

    def _migrate(self) -> None:
        cur = self.cursor()
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMPTZ)"
        )
        row = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        assert row is not None  # an aggregate returns one row
        current = row[0]
        if current > LATEST_VERSION:
            raise StoreError(
                f"Databasen har schemaversion {current}, men programmet känner bara till "
                f"version {LATEST_VERSION}. Uppdatera programmet."
            )
        for version, description, statements in MIGRATIONS:
            if version <= current:
                continue
            with self.transaction() as tx:
                for statement in statements:
                    tx.execute(statement() if callable(statement) else statement)
                tx.execute(
                    "INSERT INTO schema_version VALUES (?, ?, ?)", [version, description, _now()]
                )

    @property
    def schema_version(self) -> int:
        row = self.cursor().execute("SELECT max(version) FROM schema_version").fetchone()
        assert row is not None  # an aggregate returns one row
        return row[0]

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside one transaction: committed on success, rolled back on any error."""
        with self._write_lock:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    # -- reading -------------------------------------------------------------------------
    def data_version(self) -> tuple[int, int]:
        """Changes whenever the data change: (latest batch id, rolled-back batches). Cache key."""
        row = self.cursor().execute(
            "SELECT coalesce(max(batch_id), 0), count(rolled_back_at) FROM batches"
        ).fetchone()
        assert row is not None  # an aggregate returns one row
        return int(row[0]), int(row[1])

    def report_count(self) -> int:
        row = self.cursor().execute("SELECT count(*) FROM reports").fetchone()
        assert row is not None  # an aggregate returns one row
        return row[0]

    def has_demo_data(self) -> bool:
        row = self.cursor().execute(
            "SELECT count(*) FROM batches WHERE is_demo AND rolled_back_at IS NULL"
        ).fetchone()
        assert row is not None  # an aggregate returns one row
        return bool(row[0])

    def has_real_data(self) -> bool:
        row = self.cursor().execute(
            "SELECT count(*) FROM batches WHERE kind = 'rapporter' AND NOT is_demo "
            "AND rolled_back_at IS NULL"
        ).fetchone()
        assert row is not None  # an aggregate returns one row
        return bool(row[0])

    def batches(self) -> list[dict[str, object]]:
        """Every batch, newest first."""
        cur = self.cursor().execute("SELECT * FROM batches ORDER BY batch_id DESC")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def batch_report_cells(self) -> dict[int, tuple[int, int]]:
        """{batch id: (reports in the batch, their cell key)} of every batch of reports: the
        key is the sum of the reports' record keys modulo KEY_MODULUS (cell-key method)."""
        rows = self.cursor().execute(
            f"SELECT batch_id, count(*)::BIGINT, (sum({record_key_sql()}) % {KEY_MODULUS})"
            "::INTEGER FROM report_versions GROUP BY batch_id").fetchall()
        return {int(b): (int(n), int(k)) for b, n, k in rows}

    def find_import(self, sha256: str, kind: str = "rapporter") -> int | None:
        row = self.cursor().execute(
            "SELECT max(batch_id) FROM batches WHERE sha256 = ? AND kind = ? "
            "AND rolled_back_at IS NULL",
            [sha256, kind],
        ).fetchone()
        assert row is not None  # an aggregate returns one row
        return row[0]

    def data_as_of(self) -> dt.datetime | None:
        """When the current data were last changed (import or rollback)."""
        row = self.cursor().execute(
            "SELECT max(greatest(imported_at, coalesce(rolled_back_at, imported_at))) "
            "FROM batches WHERE kind = 'rapporter'"
        ).fetchone()
        assert row is not None  # an aggregate returns one row
        return row[0]

    # -- writing any dataset ---------------------------------------------------------------
    def classify(self, reports: pa.Table, dataset: Dataset = REPORTS) -> dict[str, int]:
        """How incoming canonical rows compare with the current state (read-only)."""
        cur = self.cursor()
        cur.register("incoming", reports)
        try:
            return _classify(cur, dataset)
        finally:
            cur.unregister("incoming")

    def import_reports(
        self,
        reports: pa.Table,
        *,
        file_name: str,
        sha256: str,
        imported_by: str,
        rows_duplicate: int = 0,
        codelist_version: str | None = None,
        is_demo: bool = False,
    ) -> Receipt:
        """Store validated canonical reports as one batch, in one transaction."""
        return self.import_rows(
            REPORTS, reports, file_name=file_name, sha256=sha256, imported_by=imported_by,
            rows_duplicate=rows_duplicate, codelist_version=codelist_version, is_demo=is_demo,
        )

    def import_rows(
        self,
        dataset: Dataset,
        rows: pa.Table,
        *,
        file_name: str,
        sha256: str,
        imported_by: str,
        rows_duplicate: int = 0,
        codelist_version: str | None = None,
        is_demo: bool = False,
        dedupe: bool = True,
        remove_demo: bool = True,
    ) -> Receipt:
        """Store validated canonical rows of a dataset as one batch, in one transaction.

        `dedupe`: a file whose sha256 is already imported (and not rolled back) is not stored
        again. `remove_demo`: a real batch removes all demo data first.
        """
        partners = (tuple(sorted(set(rows.column(dataset.partners).to_pylist())))
                    if dataset.partners else ())
        period = _period(rows, dataset.date)
        total = len(rows) + rows_duplicate
        if dedupe and self.find_import(sha256, dataset.kind) is not None:
            return Receipt(file_name, sha256, None, total, 0, 0, len(rows), rows_duplicate,
                           *period, partners, already_imported=True)
        with self.transaction() as tx:
            demo_removed = False
            if remove_demo and not is_demo and _has_demo(tx):
                _remove_demo(tx)
                demo_removed = True
            tx.register("incoming", rows)
            try:
                counts = _classify(tx, dataset)
                batch_id = _insert_batch(
                    tx, dataset.kind, file_name, sha256, imported_by, partners, period,
                    (total, counts["new"], counts["changed"], counts["unchanged"],
                     rows_duplicate), codelist_version, is_demo)
                _store_versions(tx, dataset, batch_id)
            finally:  # after an error the transaction is aborted: unregistering fails too
                with contextlib.suppress(duckdb.Error):
                    tx.unregister("incoming")
        return Receipt(file_name, sha256, batch_id, total, counts["new"], counts["changed"],
                       counts["unchanged"], rows_duplicate, *period, partners,
                       demo_removed=demo_removed)

    def edit_rows(self, dataset: Dataset, rows: pa.Table, *, edited_by: str,
                  file_name: str = EDITED_IN_APP) -> Receipt:
        """Store an edit made in the app (new or changed rows) as one batch.

        The batch's sha256 is that of the content; nothing is stored when nothing changes.
        An edit of a row that currently comes from demo data is demo data too (so that
        removing the demo data removes it); an edit never removes demo data.
        """
        sha256 = content_sha256(rows)
        with self.transaction() as tx:
            tx.register("incoming", rows)
            try:
                counts = _classify(tx, dataset)
                period = _period(rows, dataset.date)
                if not counts["new"] and not counts["changed"]:
                    return Receipt(file_name, sha256, None, len(rows), 0, 0,
                                   counts["unchanged"], 0, *period, ())
                on = " AND ".join(f"c.{k} = i.{k}" for k in dataset.key)
                is_demo = bool(tx.execute(
                    f"SELECT count(*) FROM incoming i JOIN {dataset.current} c ON {on} "
                    "JOIN batches b ON b.batch_id = c.batch_id WHERE b.is_demo"
                ).fetchall()[0][0])
                batch_id = _insert_batch(
                    tx, dataset.kind, file_name, sha256, edited_by, (), period,
                    (len(rows), counts["new"], counts["changed"], counts["unchanged"], 0),
                    None, is_demo)
                _store_versions(tx, dataset, batch_id)
            finally:  # after an error the transaction is aborted: unregistering fails too
                with contextlib.suppress(duckdb.Error):
                    tx.unregister("incoming")
        return Receipt(file_name, sha256, batch_id, len(rows), counts["new"], counts["changed"],
                       counts["unchanged"], 0, *period, ())

    def history(self, dataset: Dataset, key: dict[str, object] | None = None) \
            -> pd.DataFrame:
        """Every version of a dataset's rows (of one key, if given), newest first, with who
        stored it, when, from which file, and whether its batch is rolled back."""
        where, params = "true", []
        if key:
            where = " AND ".join(f"v.{k} = ?" for k in key)
            params = list(key.values())
        return self.cursor().execute(
            f"""SELECT v.*, b.imported_at AS andrad, b.imported_by AS andrad_av,
                       b.file_name AS kalla, b.rolled_back_at AS aterstalld,
                       b.is_demo AS demo
                FROM {dataset.versions} v JOIN batches b USING (batch_id)
                WHERE {where}
                ORDER BY v.batch_id DESC, {", ".join("v." + k for k in dataset.key)}""",
            params,
        ).df()

    def current_rows(self, dataset: Dataset, include_removed: bool = False) -> pd.DataFrame:
        """The current rows of a dataset with when, by whom and from where they were last
        changed (andrad, andrad_av, kalla, demo); removed rows only when asked for."""
        where = "true" if include_removed or not dataset.deletable else "NOT c.borttagen"
        return self.cursor().execute(
            f"""SELECT c.*, b.imported_at AS andrad, b.imported_by AS andrad_av,
                       b.file_name AS kalla, b.is_demo AS demo
                FROM {dataset.current} c JOIN batches b USING (batch_id)
                WHERE {where} ORDER BY {", ".join("c." + k for k in dataset.key)}"""
        ).df()

    def rollback(self, batch_id: int, by: str) -> int:
        """Undo a batch: its rows return to their newest version from any other batch
        that is not rolled back (or disappear). Returns the number of rows affected."""
        row = self.cursor().execute(
            "SELECT kind, rolled_back_at FROM batches WHERE batch_id = ?", [batch_id]
        ).fetchone()
        if row is None:
            raise StoreError(f"Det finns ingen import med nummer {batch_id}. "
                             "Se `lagesbild batches` för en lista.")
        if row[1] is not None:
            raise StoreError(f"Import {batch_id} är redan återställd.")
        with self.transaction() as tx:
            tx.execute("UPDATE batches SET rolled_back_at = ?, rolled_back_by = ? "
                       "WHERE batch_id = ?", [_now(), by, batch_id])
            if row[0] == "befolkning":
                count = tx.execute("SELECT count(*) FROM population_versions WHERE batch_id = ?",
                                   [batch_id]).fetchone()
                assert count is not None  # an aggregate returns one row
                return count[0]
            dataset = dataset_of_kind(row[0])
            if dataset is None:
                return 0
            return _rebuild(tx, dataset, f"batch_id = {int(batch_id)}")

    def remove_demo(self) -> int:
        """Delete the synthetic demo data entirely. Returns the number of demo batches."""
        with self.transaction() as tx:
            return _remove_demo(tx)

    def current_population(self) -> pd.DataFrame:
        """Columns regsokod, ar, befolkning, batch_id: the newest non-rolled-back figure."""
        return self.cursor().execute(
            """SELECT v.regsokod, v.ar, v.befolkning, v.batch_id
               FROM population_versions v JOIN batches b USING (batch_id)
               WHERE b.rolled_back_at IS NULL AND b.kind = ?
               QUALIFY row_number() OVER (PARTITION BY v.regsokod, v.ar
                                          ORDER BY v.batch_id DESC) = 1
               ORDER BY v.regsokod, v.ar""", [POPULATION_KIND]
        ).df()

    # -- audit ---------------------------------------------------------------------------
    def audit(self, actor: str, action: str, outcome: str, target: str | None = None,
              details: str | None = None) -> None:
        """Append one entry to the audit log (there is no way to change or delete entries).
        Texts are stored with control characters escaped (see store.audit)."""
        texts = [None if t is None else printable(str(t))
                 for t in (actor, action, target, outcome, details)]
        self.cursor().execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)",
                              [_now(), *texts])


class _SharedStore(Store):
    """A borrowed view of a Store: closing it closes nothing (see `Store.shared`)."""

    def __init__(self, owner: Store) -> None:
        super().__init__(owner._con, owner.path)
        self._write_lock = owner._write_lock

    def close(self) -> None:
        pass


def make_private(path: Path) -> None:
    """Make an existing database file and its WAL readable by their owner only (0600).

    The process umask makes new files private (the app and every command set it); this also
    tightens files made by older releases under a looser umask. A file owned by someone else
    is left as it is."""
    for file in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if file.stat().st_mode & 0o077:
                os.chmod(file, 0o600)


def content_sha256(rows: pa.Table) -> str:
    """A fingerprint of a table's content (for batches made in the app)."""
    text = json.dumps(rows.to_pylist(), ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _period(rows: pa.Table, column: str | None) -> tuple[dt.date | None, dt.date | None]:
    if column is None or not len(rows):
        return None, None
    dates = rows.column(column)
    return pa.compute.min(dates).as_py(), pa.compute.max(dates).as_py()


def _classify(cur: duckdb.DuckDBPyConnection, dataset: Dataset = REPORTS) -> dict[str, int]:
    """New, changed and unchanged rows of the registered table `incoming`."""
    same = " AND ".join(f"i.{c} IS NOT DISTINCT FROM r.{c}" for c in dataset.columns)
    on = " AND ".join(f"r.{k} = i.{k}" for k in dataset.key)
    probe = f"r.{dataset.key[-1]}"
    row = cur.execute(
        f"""SELECT count(*) FILTER (WHERE {probe} IS NULL),
                   count(*) FILTER (WHERE {probe} IS NOT NULL AND NOT ({same})),
                   count(*) FILTER (WHERE {probe} IS NOT NULL AND ({same}))
            FROM incoming i LEFT JOIN {dataset.current} r ON {on}"""
    ).fetchall()[0]
    return {"new": row[0], "changed": row[1], "unchanged": row[2]}


def _insert_batch(cur: duckdb.DuckDBPyConnection, kind: str, file_name: str, sha256: str,
                  by: str, partners: tuple[str, ...], period: tuple[object, object],
                  rows: tuple[int, int, int, int, int], codelist_version: str | None,
                  is_demo: bool) -> int:
    """A new batch row; returns its id. `rows`: total, new, changed, unchanged, duplicate."""
    batch_id = cur.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM batches").fetchall()[0][0]
    cur.execute(
        "INSERT INTO batches (batch_id, kind, file_name, sha256, imported_at, "
        "imported_by, partners, period_from, period_to, rows_total, rows_new, "
        "rows_changed, rows_unchanged, rows_duplicate, codelist_version, is_demo) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [batch_id, kind, file_name, sha256, _now(), by, "; ".join(partners) or None,
         *period, *rows, codelist_version, is_demo],
    )
    return batch_id


def _current_columns(dataset: Dataset) -> str:
    """The current-state table's columns by name (a migration may add columns in any order,
    e.g. `rkey` after later columns)."""
    return ", ".join(["batch_id", *dataset.columns, *(name for name, _ in dataset.derived)])


def _store_versions(cur: duckdb.DuckDBPyConnection, dataset: Dataset, batch_id: int) -> None:
    """Append `incoming` as versions of the batch and make them the current rows."""
    cols = ", ".join(dataset.columns)
    derived = "".join(f", {sql}" for _, sql in dataset.derived)
    on = " AND ".join(f"{dataset.current}.{k} = incoming.{k}" for k in dataset.key)
    cur.execute(f"INSERT INTO {dataset.versions} SELECT {int(batch_id)}, {cols} FROM incoming")
    cur.execute(f"DELETE FROM {dataset.current} USING incoming WHERE {on}")
    cur.execute(f"INSERT INTO {dataset.current} ({_current_columns(dataset)}) "
                f"SELECT {int(batch_id)}, {cols}{derived} FROM incoming")


def _rebuild(cur: duckdb.DuckDBPyConnection, dataset: Dataset, batches_where: str) -> int:
    """Rebuild the current rows of every key that versions of the chosen batches touch, from
    the newest version in a batch that is not rolled back (and still exists). Returns the
    number of keys."""
    keys = ", ".join(dataset.key)
    cols = ", ".join(dataset.columns)
    derived = "".join(f", {sql}" for _, sql in dataset.derived)
    touched = f"touched_{dataset.versions}"
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {touched} AS SELECT DISTINCT {keys} "
                f"FROM {dataset.versions} WHERE {batches_where}")
    try:
        affected = cur.execute(f"SELECT count(*) FROM {touched}").fetchall()[0][0]
        on = " AND ".join(f"{dataset.current}.{k} = {touched}.{k}" for k in dataset.key)
        cur.execute(f"DELETE FROM {dataset.current} USING {touched} WHERE {on}")
        cur.execute(
            f"""INSERT INTO {dataset.current} ({_current_columns(dataset)})
            SELECT batch_id, {cols}{derived} FROM (
                SELECT v.* FROM {dataset.versions} v
                JOIN {touched} t USING ({keys})
                JOIN batches b ON b.batch_id = v.batch_id
                WHERE b.rolled_back_at IS NULL
                QUALIFY row_number() OVER (PARTITION BY {", ".join("v." + k for k in dataset.key)}
                                           ORDER BY v.batch_id DESC) = 1)"""
        )
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {touched}")
    return affected


def _has_demo(cur: duckdb.DuckDBPyConnection) -> bool:
    return bool(cur.execute(
        "SELECT count(*) FROM batches WHERE is_demo AND rolled_back_at IS NULL").fetchall()[0][0])


def _remove_demo(cur: duckdb.DuckDBPyConnection) -> int:
    """Delete every demo batch and its versions; the rows they touched fall back to the
    newest remaining version (or disappear)."""
    ids = [r[0] for r in cur.execute("SELECT batch_id FROM batches WHERE is_demo").fetchall()]
    if not ids:
        return 0
    marks = ", ".join(str(int(i)) for i in ids)
    kinds = {r[0] for r in cur.execute(
        f"SELECT DISTINCT kind FROM batches WHERE batch_id IN ({marks})").fetchall()}
    cur.execute(f"UPDATE batches SET rolled_back_at = coalesce(rolled_back_at, ?) "
                f"WHERE batch_id IN ({marks})", [_now()])  # so the rebuild skips them
    for dataset in DATASETS:
        if dataset.kind in kinds:
            _rebuild(cur, dataset, f"batch_id IN ({marks})")
            cur.execute(f"DELETE FROM {dataset.versions} WHERE batch_id IN ({marks})")
    cur.execute(f"DELETE FROM batches WHERE batch_id IN ({marks})")
    return len(ids)


def _explain_open_error(path: Path | None, exc: Exception) -> StoreError:
    text = str(exc)
    if isinstance(exc, duckdb.IOException) and re.search(r"\block\b", text, re.IGNORECASE):
        return StoreLocked(
            f"Databasen {path} används redan av ett annat program (troligen dashboarden). "
            "DuckDB tillåter bara ett program i taget. Importera via sidan Ladda upp i "
            "dashboarden, eller stoppa dashboarden och försök igen."
        )
    if isinstance(exc, duckdb.IOException) and "permission denied" in text.lower():
        return StoreError(
            f"Du har inte behörighet att öppna databasfilen {path}. Kör kommandot som "
            "tjänstens användare (t.ex. `sudo -u lagesbild lagesbild …`), eller gå med i "
            "tjänstens grupp så att kommandot kan fråga den körande dashboarden."
        )
    return StoreCorrupt(
        f"Databasfilen {path} går inte att öppna: den är skadad eller inte en DuckDB-databas. "
        "Återställ den senaste säkerhetskopian med `lagesbild restore KATALOG --db "
        f"{path}`, eller flytta undan filen så skapas en ny, tom databas."
    )
