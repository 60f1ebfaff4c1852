"""The DuckDB store: one file, versioned schema, append-only batches of reports.

One `Store` per process holds the only connection to the file (DuckDB allows one read-write
process per file); every query runs on its own `cursor()`, so threads can share the store.
Every import is a batch with provenance. Report versions are never deleted: rolling back a
batch marks it rolled back and rebuilds the current state of the reports it touched from the
versions that remain.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from lagesbild.schema import LATEST_VERSION, MIGRATIONS, REPORT_COLUMNS

_COLS = ", ".join(REPORT_COLUMNS)
QUARTER_SQL = "(year(datum)::VARCHAR || 'K' || quarter(datum)::VARCHAR)"


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
        except duckdb.IOException as exc:
            raise _explain_open_error(target, exc) from None
        store = cls(con, target)
        store._migrate()
        return store

    def close(self) -> None:
        self._con.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one query (safe to use from the calling thread)."""
        return self._con.cursor()

    def _migrate(self) -> None:
        cur = self.cursor()
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMPTZ)"
        )
        current = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
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
                    tx.execute(statement)
                tx.execute(
                    "INSERT INTO schema_version VALUES (?, ?, ?)", [version, description, _now()]
                )

    @property
    def schema_version(self) -> int:
        return self.cursor().execute("SELECT max(version) FROM schema_version").fetchone()[0]

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
        return int(row[0]), int(row[1])

    def report_count(self) -> int:
        return self.cursor().execute("SELECT count(*) FROM reports").fetchone()[0]

    def has_demo_data(self) -> bool:
        return bool(self.cursor().execute(
            "SELECT count(*) FROM batches WHERE is_demo AND rolled_back_at IS NULL"
        ).fetchone()[0])

    def has_real_data(self) -> bool:
        return bool(self.cursor().execute(
            "SELECT count(*) FROM batches WHERE kind = 'rapporter' AND NOT is_demo "
            "AND rolled_back_at IS NULL"
        ).fetchone()[0])

    def batches(self) -> list[dict[str, object]]:
        """Every batch, newest first."""
        cur = self.cursor().execute("SELECT * FROM batches ORDER BY batch_id DESC")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def find_import(self, sha256: str, kind: str = "rapporter") -> int | None:
        row = self.cursor().execute(
            "SELECT max(batch_id) FROM batches WHERE sha256 = ? AND kind = ? "
            "AND rolled_back_at IS NULL",
            [sha256, kind],
        ).fetchone()
        return row[0]

    def data_as_of(self) -> dt.datetime | None:
        """When the current data were last changed (import or rollback)."""
        return self.cursor().execute(
            "SELECT max(greatest(imported_at, coalesce(rolled_back_at, imported_at))) "
            "FROM batches WHERE kind = 'rapporter'"
        ).fetchone()[0]

    # -- writing reports -----------------------------------------------------------------
    def classify(self, reports: pa.Table) -> dict[str, int]:
        """How incoming canonical reports compare with the current state (read-only)."""
        cur = self.cursor()
        cur.register("incoming", reports)
        try:
            return _classify(cur)
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
        partners = tuple(sorted(set(reports.column("partner").to_pylist())))
        dates = reports.column("datum")
        period = (
            (pa.compute.min(dates).as_py(), pa.compute.max(dates).as_py())
            if len(reports) else (None, None)
        )
        existing = self.find_import(sha256)
        if existing is not None:
            return Receipt(file_name, sha256, None, len(reports) + rows_duplicate, 0, 0,
                           len(reports), rows_duplicate, *period, partners, already_imported=True)
        with self.transaction() as tx:
            demo_removed = False
            if not is_demo and self.has_demo_data():
                _remove_demo(tx)
                demo_removed = True
            tx.register("incoming", reports)
            counts = _classify(tx)
            batch_id = tx.execute(
                "SELECT coalesce(max(batch_id), 0) + 1 FROM batches"
            ).fetchone()[0]
            tx.execute(
                "INSERT INTO batches (batch_id, kind, file_name, sha256, imported_at, "
                "imported_by, partners, period_from, period_to, rows_total, rows_new, "
                "rows_changed, rows_unchanged, rows_duplicate, codelist_version, is_demo) "
                "VALUES (?, 'rapporter', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [batch_id, file_name, sha256, _now(), imported_by, "; ".join(partners),
                 *period, len(reports) + rows_duplicate, counts["new"], counts["changed"],
                 counts["unchanged"], rows_duplicate, codelist_version, is_demo],
            )
            tx.execute(
                f"INSERT INTO report_versions SELECT {batch_id}, {_COLS} FROM incoming"
            )
            tx.execute(
                "DELETE FROM reports USING incoming WHERE reports.partner = incoming.partner "
                "AND reports.rapport_id = incoming.rapport_id"
            )
            tx.execute(
                f"INSERT INTO reports SELECT {batch_id}, {_COLS}, {QUARTER_SQL} FROM incoming"
            )
            tx.unregister("incoming")
        return Receipt(file_name, sha256, batch_id, len(reports) + rows_duplicate,
                       counts["new"], counts["changed"], counts["unchanged"], rows_duplicate,
                       *period, partners, demo_removed=demo_removed)

    def rollback(self, batch_id: int, by: str) -> int:
        """Undo a batch: its reports return to their newest version from any other batch
        that is not rolled back (or disappear). Returns the number of reports affected."""
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
                return tx.execute("SELECT count(*) FROM population_versions WHERE batch_id = ?",
                                  [batch_id]).fetchone()[0]
            tx.execute(
                "CREATE TEMP TABLE touched AS SELECT DISTINCT partner, rapport_id "
                "FROM report_versions WHERE batch_id = ?", [batch_id]
            )
            affected = tx.execute("SELECT count(*) FROM touched").fetchone()[0]
            tx.execute("DELETE FROM reports USING touched WHERE reports.partner = "
                       "touched.partner AND reports.rapport_id = touched.rapport_id")
            tx.execute(
                f"""INSERT INTO reports
                SELECT v.batch_id, {", ".join("v." + c for c in REPORT_COLUMNS)},
                       {QUARTER_SQL.replace("datum", "v.datum")}
                FROM report_versions v
                JOIN touched t USING (partner, rapport_id)
                JOIN batches b USING (batch_id)
                WHERE b.rolled_back_at IS NULL
                QUALIFY row_number() OVER (PARTITION BY v.partner, v.rapport_id
                                           ORDER BY v.batch_id DESC) = 1"""
            )
            tx.execute("DROP TABLE touched")
        return affected

    def remove_demo(self) -> int:
        """Delete the synthetic demo data entirely. Returns the number of demo batches."""
        with self.transaction() as tx:
            return _remove_demo(tx)

    # -- audit ---------------------------------------------------------------------------
    def audit(self, actor: str, action: str, outcome: str, target: str | None = None,
              details: str | None = None) -> None:
        """Append one entry to the audit log (there is no way to change or delete entries)."""
        self.cursor().execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)",
                              [_now(), actor, action, target, outcome, details])


def _classify(cur: duckdb.DuckDBPyConnection) -> dict[str, int]:
    same = " AND ".join(f"i.{c} IS NOT DISTINCT FROM r.{c}" for c in REPORT_COLUMNS)
    row = cur.execute(
        f"""SELECT count(*) FILTER (WHERE r.rapport_id IS NULL),
                   count(*) FILTER (WHERE r.rapport_id IS NOT NULL AND NOT ({same})),
                   count(*) FILTER (WHERE r.rapport_id IS NOT NULL AND ({same}))
            FROM incoming i LEFT JOIN reports r
              ON r.partner = i.partner AND r.rapport_id = i.rapport_id"""
    ).fetchone()
    return {"new": row[0], "changed": row[1], "unchanged": row[2]}


def _remove_demo(cur: duckdb.DuckDBPyConnection) -> int:
    ids = [r[0] for r in cur.execute("SELECT batch_id FROM batches WHERE is_demo").fetchall()]
    if ids:
        marks = ", ".join("?" * len(ids))
        for table in ("reports", "report_versions", "batches"):
            cur.execute(f"DELETE FROM {table} WHERE batch_id IN ({marks})", ids)
    return len(ids)


def _explain_open_error(path: Path | None, exc: Exception) -> StoreError:
    text = str(exc)
    if "lock" in text.lower():
        return StoreLocked(
            f"Databasen {path} används redan av ett annat program (troligen dashboarden). "
            "DuckDB tillåter bara ett program i taget. Importera via sidan Ladda upp i "
            "dashboarden, eller stoppa dashboarden och försök igen."
        )
    return StoreCorrupt(
        f"Databasfilen {path} går inte att öppna: den är skadad eller inte en DuckDB-databas. "
        "Återställ den senaste säkerhetskopian med `lagesbild restore KATALOG --db "
        f"{path}`, eller flytta undan filen så skapas en ny, tom databas."
    )
