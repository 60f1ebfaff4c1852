"""The DuckDB store: one file, versioned schema, append-only batches of versioned data.

One `Store` per process holds the only connection to the file (DuckDB allows one read-write
process per file); every query runs on its own `cursor()`, so threads can share the store.
Every import (and every edit made in the app) is a batch with provenance. The data are
`schema.Dataset`s – reports, trainings, the activity plan, context events, nil returns, and the
reference data (population, partner register, code lists) – and the same code serves them all:
versions are never deleted (only demo data are removed for good); a withdrawal is a version
too; a batch may write several datasets (reports that replace a nil return); rolling back a
batch marks it rolled back and rebuilds the current state of the keys it touched, in every
dataset, from the versions that remain.

Every version is stored once: the newest live version of a key is its current row (the
dataset's current table), every other version – older ones, withdrawals, versions of rolled-back
batches – is in the versions table (`all_versions` is the union). An import of new rows so
writes each row once; a row moves to the versions table when a later batch replaces it.

A new or migrated database starts from the defaults in batch 0 (not listed in the history):
the code lists of data/kodlistor and one partner per sector value. The database's code lists
are the ones in use (`lagesbild.domain.codelists.activate`).

Over 500 lines as one cohesive job: the `Store` class, the only code that writes the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from lagesbild.domain import codelists as codelist_defaults
from lagesbild.domain.codelists import Code
from lagesbild.domain.text import printable
from lagesbild.store.schema import (
    CODELISTS,
    DATASETS,
    DEFAULTS_BATCH,
    DEFAULTS_KIND,
    KEY_MODULUS,
    LATEST_VERSION,
    MIGRATIONS,
    PARTNERS,
    POPULATION,
    REPORTS,
    SEED_DEFAULTS,
    Dataset,
    record_key_sql,
)

QUARTER_SQL = "(year(datum)::VARCHAR || 'K' || quarter(datum)::VARCHAR)"
# An import of more rows than this is written on one thread (see Store.transaction).
BULK_ROWS = 10_000
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
    rows_withdrawn: int = 0  # current rows this batch withdrew
    rows_hidden: int = 0  # rows hidden in the file (imported like the others)
    sheets_not_read: tuple[str, ...] = ()  # "Blad (varför)"


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
            store._activate_codelists()
        except (StoreError, duckdb.Error) as exc:
            con.close()
            if isinstance(exc, StoreError):
                raise
            raise _explain_open_error(target, exc) from None
        return store

    def close(self) -> None:
        codelist_defaults.deactivate(self._con)
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
                    if statement == SEED_DEFAULTS:
                        _seed_defaults(tx)
                    else:
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
    def transaction(self, bulk: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside one transaction: committed on success, rolled back on any error.

        `bulk`: a large write (an import) runs on one thread, so that it never takes every
        core from the readers (DuckDB's parallel insert and checkpoint also cost more CPU time
        in all than one thread does); the setting is restored afterwards."""
        with self._write_lock:
            cur = self.cursor()
            threads = None
            if bulk:
                threads = cur.execute("SELECT current_setting('threads')").fetchall()[0][0]
                cur.execute("SET threads = 1")
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            finally:
                if threads is not None:
                    cur.execute(f"SET threads = {int(threads)}")

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
        """Every batch, newest first (not the defaults a database starts from)."""
        cur = self.cursor().execute(
            "SELECT * FROM batches WHERE batch_id <> ? ORDER BY batch_id DESC", [DEFAULTS_BATCH])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def batch_report_cells(self) -> dict[int, tuple[int, int]]:
        """{batch id: (reports in the batch, their cell key)} of every batch of reports: the
        key is the sum of the reports' record keys modulo KEY_MODULUS (cell-key method)."""
        rows = self.cursor().execute(
            f"SELECT batch_id, count(*)::BIGINT, (sum({record_key_sql()}) % {KEY_MODULUS})"
            f"::INTEGER FROM {all_versions(REPORTS)} WHERE NOT coalesce(borttagen, false) "
            "GROUP BY batch_id").fetchall()
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

    # -- reading any dataset ----------------------------------------------------------------
    def classify(self, reports: pa.Table, dataset: Dataset = REPORTS) -> dict[str, int]:
        """How incoming canonical rows compare with the current state (read-only): new,
        changed, unchanged, and withdrawn (rows of the withdrawn flag that remove a current
        row)."""
        cur = self.cursor()
        cur.register("incoming", reports)
        try:
            return _classify(cur, dataset, reports.column_names)
        finally:
            cur.unregister("incoming")

    def changes(self, rows: pa.Table, dataset: Dataset = REPORTS) -> pa.Table:
        """The incoming rows that change a current row: the key, then `<column>` (new) and
        `<column>__fran` (current) for every compared column (read-only)."""
        present = rows.column_names
        compared = [c for c in dataset.columns if c not in dataset.key and c in present]
        same = " AND ".join(f"i.{c} IS NOT DISTINCT FROM r.{c}" for c in compared) or "true"
        on = " AND ".join(f"r.{k} = {_incoming(dataset, k, present, 'i')}" for k in dataset.key)
        keys = ", ".join(f"{_incoming(dataset, k, present, 'i')} AS {k}" for k in dataset.key)
        values = ", ".join(f"i.{c} AS {c}, r.{c} AS {c}__fran" for c in compared)
        live = f"AND NOT coalesce(i.{dataset.withdrawn}, false)" if (
            dataset.withdrawn in present) else ""
        cur = self.cursor()
        cur.register("incoming", rows)
        try:
            return cur.sql(
                f"SELECT {keys}{', ' + values if values else ''} FROM incoming i "
                f"JOIN {dataset.current} r ON {on} WHERE NOT ({same}) {live} "
                f"ORDER BY ALL").to_arrow_table()
        finally:
            cur.unregister("incoming")

    def select_current(self, dataset: Dataset, where: str = "true",
                       params: Sequence[object] | None = None) -> pa.Table:
        """Current rows of a dataset (its columns and derived columns) that match `where`."""
        return self.cursor().sql(
            f"SELECT * EXCLUDE (batch_id) FROM {dataset.current} WHERE {where}",
            params=list(params) if params else None).to_arrow_table()

    def batch_rows(self, dataset: Dataset, batch_id: int) -> pa.Table:
        """The versions a batch stored in a dataset."""
        return self.cursor().sql(
            f"SELECT * EXCLUDE (batch_id) FROM {all_versions(dataset)} WHERE batch_id = ?",
            params=[batch_id]).to_arrow_table()

    def keys_ever(self, dataset: Dataset) -> list[tuple[object, ...]]:
        """Every key the dataset has ever had (current, older, withdrawn or rolled back)."""
        keys = ", ".join(dataset.key)
        return self.cursor().execute(
            f"SELECT DISTINCT {keys} FROM {all_versions(dataset)}").fetchall()

    def batch(self, batch_id: int) -> dict[str, object] | None:
        """One batch (the row of `batches`), or None."""
        cur = self.cursor().execute("SELECT * FROM batches WHERE batch_id = ?", [batch_id])
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
        return dict(zip(names, row, strict=True)) if row else None

    def reference_versions(self) -> dict[str, int]:
        """The batch each kind of reference data is at (0: the defaults), e.g. for an edition
        to name the code lists, partner register and population it used."""
        found = {}
        for dataset in (CODELISTS, PARTNERS, POPULATION):
            row = self.cursor().execute(
                f"SELECT coalesce(max(batch_id), 0) FROM {dataset.current}").fetchone()
            assert row is not None  # an aggregate returns one row
            found[dataset.kind] = int(row[0])
        return found

    # -- writing any dataset ---------------------------------------------------------------
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
        also: tuple[tuple[Dataset, pa.Table], ...] = (),
        rows_hidden: int = 0,
        sheets_not_read: tuple[str, ...] = (),
    ) -> Receipt:
        """Store validated canonical rows of a dataset as one batch, in one transaction.

        `rows` may hold withdrawals (the dataset's withdrawn flag true). `also`: rows of other
        datasets that the same batch stores (e.g. the nil returns that reports replace).
        `dedupe`: a file whose sha256 is already imported (and not rolled back) is not stored
        again. `remove_demo`: a real batch removes all demo data first.
        """
        partners = _partners(rows, dataset)
        period = _period(rows, dataset.date)
        live = _live(rows, dataset)
        total = live + rows_duplicate
        if dedupe and self.find_import(sha256, dataset.kind) is not None:
            return Receipt(file_name, sha256, None, total, 0, 0, live, rows_duplicate,
                           *period, partners, already_imported=True)
        with self.transaction(bulk=len(rows) > BULK_ROWS) as tx:
            demo_removed = False
            if remove_demo and not is_demo and _has_demo(tx):
                _remove_demo(tx)
                demo_removed = True
            with _registered(tx, rows):
                counts = _classify(tx, dataset, rows.column_names)
                batch_id = _insert_batch(
                    tx, dataset.kind, file_name, sha256, imported_by, partners, period,
                    (total, counts["new"], counts["changed"], counts["unchanged"],
                     rows_duplicate), codelist_version, is_demo,
                    (counts.get("withdrawn", 0), rows_hidden, "; ".join(sheets_not_read) or None,
                     None))
                _store_versions(tx, dataset, batch_id, rows.column_names)
            for other, table in also:
                if len(table):
                    with _registered(tx, table):
                        _store_versions(tx, other, batch_id, table.column_names)
            touched = {dataset, *(d for d, _ in also)}
        self._after_change(touched)
        return Receipt(file_name, sha256, batch_id, total, counts["new"], counts["changed"],
                       counts["unchanged"], rows_duplicate, *period, partners,
                       demo_removed=demo_removed, rows_withdrawn=counts.get("withdrawn", 0),
                       rows_hidden=rows_hidden, sheets_not_read=sheets_not_read)

    def edit_rows(self, dataset: Dataset, rows: pa.Table, *, edited_by: str,
                  file_name: str = EDITED_IN_APP) -> Receipt:
        """Store an edit made in the app (new, changed or withdrawn rows) as one batch.

        The batch's sha256 is that of the content; nothing is stored when nothing changes.
        An edit of a row that currently comes from demo data is demo data too (so that
        removing the demo data removes it); an edit never removes demo data.
        """
        sha256 = content_sha256(rows)
        present = rows.column_names
        partners = _partners(rows, dataset)
        with self.transaction() as tx, _registered(tx, rows):
            counts = _classify(tx, dataset, present)
            period = _period(rows, dataset.date)
            live = _live(rows, dataset)
            if not counts["new"] and not counts["changed"] and not counts.get("withdrawn"):
                return Receipt(file_name, sha256, None, live, 0, 0,
                               counts["unchanged"], 0, *period, partners)
            on = " AND ".join(f"c.{k} = {_incoming(dataset, k, present, 'i')}"
                              for k in dataset.key)
            is_demo = bool(tx.execute(
                f"SELECT count(*) FROM incoming i JOIN {dataset.current} c ON {on} "
                "JOIN batches b ON b.batch_id = c.batch_id WHERE b.is_demo"
            ).fetchall()[0][0])
            batch_id = _insert_batch(
                tx, dataset.kind, file_name, sha256, edited_by, partners, period,
                (live, counts["new"], counts["changed"], counts["unchanged"], 0),
                None, is_demo, (counts.get("withdrawn", 0), 0, None, None))
            _store_versions(tx, dataset, batch_id, present)
        self._after_change({dataset})
        return Receipt(file_name, sha256, batch_id, live, counts["new"], counts["changed"],
                       counts["unchanged"], 0, *period, partners,
                       rows_withdrawn=counts.get("withdrawn", 0))

    def reassign_batch(self, batch_id: int, rows: pa.Table, by: str) -> Receipt:
        """Give the reports of a past batch to another partner: `rows` are its versions with
        the new partner (and the identity that partner's numbering gives). A new batch stores
        them, except for a report that a later batch has changed since; the old batch is
        rolled back, so that reports it had overwritten come back. Rolling back the new batch
        restores the old one."""
        old = self.batch(batch_id)
        if old is None or old["kind"] != REPORTS.kind:
            raise StoreError(f"Det finns ingen import av rapporter med nummer {batch_id}.")
        if old["rolled_back_at"] is not None:
            raise StoreError(f"Import {batch_id} är ångrad och kan inte få en annan partner. "
                             "Importera filen igen med rätt partner.")
        keys = ", ".join(REPORTS.key)
        present = rows.column_names
        with self.transaction() as tx, _registered(tx, rows):
            tx.execute(f"CREATE OR REPLACE TEMP TABLE reassigned AS SELECT * FROM incoming "
                       f"WHERE ({keys}) NOT IN (SELECT ({keys}) FROM {all_versions(REPORTS)} v "
                       "JOIN batches b USING (batch_id) WHERE v.batch_id > ? "
                       "AND b.rolled_back_at IS NULL)", [batch_id])
            try:
                kept = tx.sql("SELECT * FROM reassigned").to_arrow_table()
                partners = _partners(kept, REPORTS)
                new_id = _insert_batch(
                    tx, REPORTS.kind, str(old["file_name"]), str(old["sha256"]), by, partners,
                    _period(kept, REPORTS.date),
                    (len(kept), 0, 0, 0, 0), _text(old["codelist_version"]),
                    bool(old["is_demo"]), (0, _int(old["rows_hidden"]),
                                           _text(old["sheets_not_read"]), batch_id))
                tx.execute("UPDATE batches SET rolled_back_at = ?, rolled_back_by = ? "
                           "WHERE batch_id = ?", [_now(), by, batch_id])
                tx.execute(f"INSERT INTO {REPORTS.versions} (batch_id, {_names(REPORTS)}) "
                           f"SELECT {int(new_id)}, {_values(REPORTS, present, 'reassigned')} "
                           "FROM reassigned")
                _rebuild(tx, REPORTS, f"batch_id IN ({int(batch_id)}, {int(new_id)})")
                for other in DATASETS:
                    if other is not REPORTS and _has_versions(tx, other, batch_id):
                        _rebuild(tx, other, f"batch_id = {int(batch_id)}")
                counts = tx.execute(
                    f"SELECT count(*) FROM {REPORTS.current} WHERE batch_id = ?",
                    [new_id]).fetchall()[0][0]
                tx.execute("UPDATE batches SET rows_new = ? WHERE batch_id = ?",
                           [counts, new_id])
            finally:
                tx.execute("DROP TABLE IF EXISTS reassigned")
        self._after_change(set(DATASETS))
        return Receipt(str(old["file_name"]), str(old["sha256"]), new_id, len(kept), counts,
                       0, 0, 0, *_period(kept, REPORTS.date), partners)

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
                FROM {all_versions(dataset)} v JOIN batches b USING (batch_id)
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
        """Undo a batch: the rows it touched, in every dataset, return to their newest version
        from any other batch that is not rolled back (or disappear). Undoing a reassignment
        brings back the batch it replaced. Returns the number of rows affected."""
        row = self.cursor().execute(
            "SELECT kind, rolled_back_at, reassigned_from FROM batches WHERE batch_id = ?",
            [batch_id]).fetchone()
        if row is None or batch_id == DEFAULTS_BATCH:
            raise StoreError(f"Det finns ingen import med nummer {batch_id}. "
                             "Se `lagesbild batches` för en lista.")
        if row[1] is not None:
            raise StoreError(f"Import {batch_id} är redan återställd.")
        touched: set[Dataset] = set()
        with self.transaction() as tx:
            tx.execute("UPDATE batches SET rolled_back_at = ?, rolled_back_by = ? "
                       "WHERE batch_id = ?", [_now(), by, batch_id])
            batches = [int(batch_id)]
            if row[2] is not None:  # a reassignment: the batch it replaced counts again
                tx.execute("UPDATE batches SET rolled_back_at = NULL, rolled_back_by = NULL "
                           "WHERE batch_id = ?", [row[2]])
                batches.append(int(row[2]))
            affected = 0
            marks = ", ".join(map(str, batches))
            for dataset in DATASETS:
                if any(_has_versions(tx, dataset, b) for b in batches):
                    count = _rebuild(tx, dataset, f"batch_id IN ({marks})")
                    touched.add(dataset)
                    if dataset.kind == row[0]:
                        affected += count
        self._after_change(touched)
        return affected

    def remove_demo(self) -> int:
        """Delete the synthetic demo data entirely. Returns the number of demo batches."""
        with self.transaction() as tx:
            removed = _remove_demo(tx)
        self._after_change(set(DATASETS))
        return removed

    def current_population(self) -> pd.DataFrame:
        """Columns regsokod, ar, befolkning, batch_id: the newest non-rolled-back figure."""
        return self.cursor().execute(
            "SELECT regsokod, ar, befolkning, batch_id FROM population ORDER BY regsokod, ar"
        ).df()

    def _after_change(self, touched: set[Dataset]) -> None:
        if CODELISTS in touched:
            self._activate_codelists()

    def _activate_codelists(self) -> None:
        """Make this database's code lists the ones in use in this process."""
        rows = self.cursor().execute(
            "SELECT lista, varde, alias, giltig_fran, giltig_till, ersatts_av, beskrivning, "
            "plats FROM codelists ORDER BY lista, ordning, varde").fetchall()
        lists: dict[str, list[Code]] = {}
        for name, value, aliases, first, last, replaced, description, place in rows:
            lists.setdefault(name, []).append(Code(
                value, tuple(a for a in aliases.split("|") if a), first, last, replaced,
                description, place=codelist_defaults.is_place(place)))
        codelist_defaults.activate(self._con, lists)  # shared views of the store alike

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


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object) -> int:
    return int(value) if isinstance(value, int) else 0


@contextmanager
def _registered(cur: duckdb.DuckDBPyConnection, rows: pa.Table) -> Iterator[None]:
    """The table as `incoming` for the block."""
    cur.register("incoming", rows)
    try:
        yield
    finally:  # after an error the transaction is aborted: unregistering fails too
        with contextlib.suppress(duckdb.Error):
            cur.unregister("incoming")


def _partners(rows: pa.Table, dataset: Dataset) -> tuple[str, ...]:
    if not dataset.partners or dataset.partners not in rows.column_names:
        return ()
    return tuple(sorted(v for v in pa.compute.unique(rows.column(dataset.partners)).to_pylist()
                        if v))


def _live(rows: pa.Table, dataset: Dataset) -> int:
    """The rows that are not withdrawals."""
    if dataset.withdrawn is None or dataset.withdrawn not in rows.column_names:
        return len(rows)
    flags = rows.column(dataset.withdrawn)
    return len(rows) - (pa.compute.sum(flags.fill_null(False)).as_py() or 0)


def _period(rows: pa.Table, column: str | None) -> tuple[dt.date | None, dt.date | None]:
    if column is None or not len(rows) or column not in rows.column_names:
        return None, None
    dates = rows.column(column)
    return pa.compute.min(dates).as_py(), pa.compute.max(dates).as_py()


def _incoming(dataset: Dataset, column: str, present: list[str], alias: str = "incoming") \
        -> str:
    """The SQL of a stored column in the incoming rows: the column, or its default."""
    if column in present:
        return f"{alias}.{column}"
    defaults = dict(dataset.defaults)
    if column in defaults:
        return defaults[column]
    return "NULL"


def _names(dataset: Dataset, withdrawn: bool = True) -> str:
    """The column list of an INSERT into a dataset's versions (or current table)."""
    names = list(dataset.columns)
    if withdrawn and dataset.withdrawn:
        names.append(dataset.withdrawn)
    return ", ".join(names)


def _values(dataset: Dataset, present: list[str], alias: str = "incoming",
            withdrawn: bool = True) -> str:
    values = [_incoming(dataset, c, present, alias) for c in dataset.columns]
    if withdrawn and dataset.withdrawn:
        values.append(f"coalesce({_incoming(dataset, dataset.withdrawn, present, alias)}, "
                      "false)")
    return ", ".join(values)


def _classify(cur: duckdb.DuckDBPyConnection, dataset: Dataset = REPORTS,
              present: list[str] | None = None) -> dict[str, int]:
    """New, changed, unchanged and withdrawn rows of the registered table `incoming`."""
    present = list(dataset.columns) if present is None else present
    same = " AND ".join(f"{_incoming(dataset, c, present, 'i')} IS NOT DISTINCT FROM r.{c}"
                        for c in dataset.columns)
    on = " AND ".join(f"r.{k} = {_incoming(dataset, k, present, 'i')}" for k in dataset.key)
    probe = f"r.{dataset.key[-1]}"
    gone = (f"coalesce(i.{dataset.withdrawn}, false)"
            if dataset.withdrawn and dataset.withdrawn in present else "false")
    row = cur.execute(
        f"""SELECT count(*) FILTER (WHERE {probe} IS NULL AND NOT {gone}),
                   count(*) FILTER (WHERE {probe} IS NOT NULL AND NOT ({same}) AND NOT {gone}),
                   count(*) FILTER (WHERE {probe} IS NOT NULL AND ({same}) AND NOT {gone}),
                   count(*) FILTER (WHERE {probe} IS NOT NULL AND {gone})
            FROM incoming i LEFT JOIN {dataset.current} r ON {on}"""
    ).fetchall()[0]
    counts = {"new": row[0], "changed": row[1], "unchanged": row[2]}
    if gone != "false":  # the rows carry withdrawals
        counts["withdrawn"] = row[3]
    return counts


def _insert_batch(cur: duckdb.DuckDBPyConnection, kind: str, file_name: str, sha256: str,
                  by: str, partners: tuple[str, ...], period: tuple[object, object],
                  rows: tuple[int, int, int, int, int], codelist_version: str | None,
                  is_demo: bool,
                  more: tuple[int, int, str | None, int | None] = (0, 0, None, None)) -> int:
    """A new batch row; returns its id. `rows`: total, new, changed, unchanged, duplicate;
    `more`: withdrawn, hidden, sheets not read, the batch it reassigns."""
    batch_id = cur.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM batches").fetchall()[0][0]
    cur.execute(
        "INSERT INTO batches (batch_id, kind, file_name, sha256, imported_at, "
        "imported_by, partners, period_from, period_to, rows_total, rows_new, "
        "rows_changed, rows_unchanged, rows_duplicate, codelist_version, is_demo, "
        "rows_withdrawn, rows_hidden, sheets_not_read, reassigned_from) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [batch_id, kind, file_name, sha256, _now(), by, "; ".join(partners) or None,
         *period, *rows, codelist_version, is_demo, *more],
    )
    return batch_id


def _derived_excluded(dataset: Dataset) -> str:
    names = [name for name, _ in dataset.derived]
    return f" EXCLUDE ({', '.join(names)})" if names else ""


def all_versions(dataset: Dataset) -> str:
    """SQL for every version of a dataset: the versions table and the current rows (a current
    row is never withdrawn)."""
    live = f", false AS {dataset.withdrawn}" if dataset.withdrawn else ""
    return (f"(SELECT * FROM {dataset.versions} UNION ALL BY NAME "
            f"SELECT *{_derived_excluded(dataset)}{live} FROM {dataset.current})")


def _store_versions(cur: duckdb.DuckDBPyConnection, dataset: Dataset, batch_id: int,
                    present: list[str] | None = None) -> None:
    """Store `incoming` as the batch's versions: the current rows it replaces move to the
    versions table, its live rows become the current rows and its withdrawals go to the
    versions table (their keys then have no current row)."""
    present = list(dataset.columns) if present is None else present
    derived = "".join(f", {sql}" for _, sql in dataset.derived)
    derived_names = "".join(f", {name}" for name, _ in dataset.derived)
    on = " AND ".join(f"{dataset.current}.{k} = {_incoming(dataset, k, present)}"
                      for k in dataset.key)
    cur.execute(f"INSERT INTO {dataset.versions} BY NAME SELECT "
                f"{dataset.current}.*{_derived_excluded(dataset)} FROM {dataset.current} "
                f"SEMI JOIN incoming ON {on}")
    cur.execute(f"DELETE FROM {dataset.current} USING incoming WHERE {on}")
    flagged = dataset.withdrawn is not None and dataset.withdrawn in present
    if flagged:
        cur.execute(f"INSERT INTO {dataset.versions} (batch_id, {_names(dataset)}) "
                    f"SELECT {int(batch_id)}, {_values(dataset, present)} FROM incoming "
                    f"WHERE coalesce(incoming.{dataset.withdrawn}, false)")
    live = f" WHERE NOT coalesce(incoming.{dataset.withdrawn}, false)" if flagged else ""
    columns = ", ".join(f"{value} AS {name}" for name, value in zip(
        dataset.columns, _values(dataset, present, withdrawn=False).split(", "), strict=True))
    cur.execute(f"INSERT INTO {dataset.current} (batch_id, {_names(dataset, False)}"
                f"{derived_names}) SELECT {int(batch_id)}, *{derived} FROM (SELECT {columns} "
                f"FROM incoming{live})")


def _has_versions(cur: duckdb.DuckDBPyConnection, dataset: Dataset, batch_id: int) -> bool:
    return bool(cur.execute(
        f"SELECT (SELECT count(*) FROM {dataset.versions} WHERE batch_id = ?) + "
        f"(SELECT count(*) FROM {dataset.current} WHERE batch_id = ?)",
        [batch_id, batch_id]).fetchall()[0][0])


def _rebuild(cur: duckdb.DuckDBPyConnection, dataset: Dataset, batches_where: str) -> int:
    """Rebuild every key that versions of the chosen batches touch: its newest version in a
    batch that is not rolled back is its current row (unless it is a withdrawal), every other
    version goes to the versions table. Returns the number of keys."""
    keys = ", ".join(dataset.key)
    derived = "".join(f", {sql}" for _, sql in dataset.derived)
    derived_names = "".join(f", {name}" for name, _ in dataset.derived)
    touched, every = f"touched_{dataset.versions}", f"every_{dataset.versions}"
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {touched} AS SELECT DISTINCT {keys} FROM ("
                f"SELECT {keys} FROM {dataset.versions} WHERE {batches_where} UNION ALL "
                f"SELECT {keys} FROM {dataset.current} WHERE {batches_where})")
    try:
        affected = cur.execute(f"SELECT count(*) FROM {touched}").fetchall()[0][0]
        gone = f"coalesce(e.{dataset.withdrawn}, false)" if dataset.withdrawn else "false"
        cur.execute(
            f"""CREATE OR REPLACE TEMP TABLE {every} AS
                SELECT e.*, b.rolled_back_at IS NULL AND NOT {gone} AND row_number() OVER (
                           PARTITION BY {", ".join("e." + k for k in dataset.key)}
                           ORDER BY b.rolled_back_at IS NULL DESC, e.batch_id DESC) = 1
                       AS is_current__
                FROM (SELECT v.* FROM {dataset.versions} v SEMI JOIN {touched} USING ({keys})
                      UNION ALL BY NAME
                      SELECT c.*{_derived_excluded(dataset)} FROM {dataset.current} c
                      SEMI JOIN {touched} USING ({keys})) e
                JOIN batches b USING (batch_id)""")
        for table in (dataset.versions, dataset.current):
            on = " AND ".join(f"{table}.{k} = {touched}.{k}" for k in dataset.key)
            cur.execute(f"DELETE FROM {table} USING {touched} WHERE {on}")
        cur.execute(f"INSERT INTO {dataset.current} (batch_id, {_names(dataset, False)}"
                    f"{derived_names}) SELECT batch_id, {_names(dataset, False)}{derived} "
                    f"FROM {every} WHERE is_current__")
        flag = (f" REPLACE (coalesce({dataset.withdrawn}, false) AS {dataset.withdrawn})"
                if dataset.withdrawn else "")
        cur.execute(f"INSERT INTO {dataset.versions} BY NAME SELECT * EXCLUDE (is_current__)"
                    f"{flag} FROM {every} WHERE NOT is_current__")
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {touched}")
        cur.execute(f"DROP TABLE IF EXISTS {every}")
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
    cur.execute(f"UPDATE batches SET rolled_back_at = coalesce(rolled_back_at, ?) "
                f"WHERE batch_id IN ({marks})", [_now()])  # so the rebuild skips them
    for dataset in DATASETS:
        if any(_has_versions(cur, dataset, int(i)) for i in ids):
            _rebuild(cur, dataset, f"batch_id IN ({marks})")
            cur.execute(f"DELETE FROM {dataset.versions} WHERE batch_id IN ({marks})")
    cur.execute(f"DELETE FROM batches WHERE batch_id IN ({marks})")
    return len(ids)


def _seed_defaults(cur: duckdb.DuckDBPyConnection) -> None:
    """Batch 0: the code lists of data/kodlistor and one partner per sector value (and per
    partner that reports already name), numbered löpande – so that files import as before."""
    cur.execute(
        "INSERT INTO batches (batch_id, kind, file_name, sha256, imported_at, imported_by) "
        "VALUES (?, ?, ?, '', ?, 'system')",
        [DEFAULTS_BATCH, DEFAULTS_KIND, "data/kodlistor", _now()])
    lists = codelist_defaults.defaults()
    rows = [(name, code.value, "|".join(code.aliases), code.valid_from, code.valid_to,
             code.replaced_by, code.description, "" if code.place else "nej", order)
            for name, codelist in sorted(lists.items())
            for order, code in enumerate(codelist.codes)]
    table = pa.table({name: [row[i] for row in rows]
                      for i, name in enumerate(CODELISTS.columns)},
                     schema=pa.schema([(c, pa.int32() if c == "ordning" else pa.string())
                                       for c in CODELISTS.columns]))
    with _registered(cur, table):
        _store_versions(cur, CODELISTS, DEFAULTS_BATCH, table.column_names)
    sectors = lists["verksamhet"].values if "verksamhet" in lists else []
    named = [r[0] for r in cur.execute(
        "SELECT DISTINCT partner FROM report_versions ORDER BY 1").fetchall()]
    sector_of = {r[0]: r[1] for r in cur.execute(
        "SELECT partner, any_value(verksamhet) FROM report_versions GROUP BY 1").fetchall()}
    names = list(dict.fromkeys([*sectors, *named]))
    partners = pa.table({
        "namn": names, "verksamhet": [sector_of.get(n, n) if n not in sectors else n
                                      for n in names],
        "numrering": ["löpande"] * len(names),
        "aktiv_fran": pa.nulls(len(names), pa.string()),
        "aktiv_till": pa.nulls(len(names), pa.string()),
        "foretradare": pa.nulls(len(names), pa.string())})
    with _registered(cur, partners):
        _store_versions(cur, PARTNERS, DEFAULTS_BATCH, partners.column_names)


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
