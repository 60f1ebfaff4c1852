"""Faults: a process killed in the middle of an import, a damaged database file, and the
way back from a backup."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from lagesbild.store import Store, StoreCorrupt, backup

PROJECT = Path(__file__).resolve().parents[2]
BIG = 100_000  # rows in the import that is killed

# The child: a big import into a database that already has one, killed part of the way.
# With PAUSE it stops inside the import transaction, right after its first write of the rows
# (and prints MITT_I); without it, the parent kills it as soon as the database file
# starts to grow (DuckDB writes large uncommitted inserts to the file before the commit).
CHILD = textwrap.dedent("""
    import contextlib, sys, time
    import pyarrow.parquet as pq
    from lagesbild.store import Store

    db, source, pause = sys.argv[1], sys.argv[2], sys.argv[3] == "pause"
    big = pq.read_table(source)
    store = Store.open(db)
    if pause:
        real = store.transaction

        class Pausing:
            def __init__(self, cur):
                self._cur = cur
            def __getattr__(self, name):
                return getattr(self._cur, name)
            def execute(self, sql, *args):
                result = self._cur.execute(sql, *args)
                text = " ".join(sql.split()).upper()
                if text.startswith("INSERT") and "INCOMING" in text:
                    print("MITT_I", flush=True)
                    time.sleep(600)
                return result

        @contextlib.contextmanager
        def pausing(*args, **kwargs):
            with real(*args, **kwargs) as tx:
                yield Pausing(tx)

        store.transaction = pausing
    print("START", flush=True)
    store.import_reports(big, file_name="stor.csv", sha256="b" * 64, imported_by="test")
    print("KLAR", flush=True)
""")


def state(path: Path) -> dict[str, object]:
    """What the database holds: batches, counts and a checksum over every current report."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            # batch 0 holds the defaults a database starts from, not an import
            "batches": con.execute("SELECT batch_id, file_name, rows_total FROM batches "
                                   "WHERE batch_id > 0 ORDER BY batch_id").fetchall(),
            "reports": con.execute("SELECT count(*) FROM reports").fetchone()[0],
            "versions": con.execute("SELECT count(*) FROM report_versions").fetchone()[0],
            "checksum": con.execute("SELECT sum(hash(r))::VARCHAR FROM reports r").fetchone()[0],
            "by_form": con.execute("SELECT form, count(*) FROM reports GROUP BY form "
                                   "ORDER BY form").fetchall(),
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The big import's reports as Parquet (made once), and their number."""
    import pyarrow.parquet as pq

    from tests.helpers.reports import generated_reports

    table = generated_reports(BIG, "STOR", seed=2)
    path = tmp_path_factory.mktemp("stor") / "stor.parquet"
    pq.write_table(table, path)
    return path, len(table)


def start_child(db: Path, source: Path, pause: bool) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(source), "pause" if pause else "nopause"],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(child: subprocess.Popen, word: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if line.strip() == word:
            return
        if not line and child.poll() is not None:
            break
    child.kill()
    pytest.fail(f"the child never printed {word}: {child.stderr.read()[-2000:]}")


def prepared(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """A database with one real import; returns the path and its state."""
    from tests.helpers.reports import generated_reports

    db = tmp_path / "fel.duckdb"
    store = Store.open(db)
    store.import_reports(generated_reports(3000, "FORE", seed=1), file_name="fore.csv",
                         sha256="a" * 64, imported_by="test")
    store.close()
    before = state(db)
    assert before["reports"] > 2000 and len(before["batches"]) == 1
    return db, before


def test_sigkill_inside_the_import_transaction_leaves_the_earlier_state(
        tmp_path: Path, big_file: tuple[Path, int]) -> None:
    db, before = prepared(tmp_path)
    child = start_child(db, big_file[0], pause=True)
    wait_for(child, "MITT_I")  # the batch row and 100 000 versions are written, not committed
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    assert state(db) == before
    store = Store.open(db)  # the app and the command line open it as usual
    try:
        assert [b["file_name"] for b in store.batches()] == ["fore.csv"]
        assert store.report_count() == before["reports"]
    finally:
        store.close()


def test_sigkill_while_the_file_grows_is_all_or_nothing(tmp_path: Path,
                                                        big_file: tuple[Path, int]) -> None:
    db, before = prepared(tmp_path)
    wal = db.with_name(db.name + ".wal")

    def wal_size() -> int:
        return wal.stat().st_size if wal.exists() else 0

    child = start_child(db, big_file[0], pause=False)
    wait_for(child, "START")
    size = db.stat().st_size
    deadline = time.monotonic() + 120
    while db.stat().st_size <= size and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    # Until the commit the WAL holds at most its header (about 100 bytes); the commit writes
    # the transaction to it.
    committing = wal_size() > 1024
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    after = state(db)
    if not committing and child.returncode == -signal.SIGKILL:
        assert after == before  # killed before the commit began: nothing of the batch
    else:  # (a very slow machine) the commit had started: then all of it
        assert after == before or (len(after["batches"]) == 2
                                   and after["reports"] == before["reports"] + big_file[1])


# -- a damaged database file ------------------------------------------------------------
def test_a_file_that_is_not_a_database_gives_restore_advice(tmp_path: Path) -> None:
    db = tmp_path / "lagesbild.duckdb"
    db.write_bytes("det här är ingen databas\n".encode() * 1000)
    with pytest.raises(StoreCorrupt) as error:
        Store.open(db)
    message = str(error.value)
    assert "skadad" in message and f"lagesbild restore KATALOG --db {db}" in message


def corrupt_blocks(path: Path) -> None:
    """Keep the file header, overwrite the data blocks (as a failing disk would)."""
    data = bytearray(path.read_bytes())
    data[12288:] = bytes((i * 7 + 3) % 256 for i in range(len(data) - 12288))
    path.write_bytes(bytes(data))


def test_damaged_blocks_give_restore_advice(demo_db_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "lagesbild.duckdb"
    db.write_bytes(demo_db_file.read_bytes())
    corrupt_blocks(db)
    with pytest.raises(StoreCorrupt, match="lagesbild restore"):  # not "locked" ("block")
        Store.open(db)


def all_tables(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}
    finally:
        con.close()


def test_backup_then_damage_then_restore_gives_identical_tables(demo_store: Store,
                                                                tmp_path: Path) -> None:
    from lagesbild.store import audit

    store = demo_store
    audit.log(store, "anna", "import", "ok", "x.xlsx", "batch 2")
    store.rollback(1, "anna")
    db = store.path
    copy = tmp_path / "kopia"
    backup.backup(store, copy, by="anna")
    store.close()
    before = all_tables(db)
    backup_log = before["audit_log"][:-1]  # the backup's own entry comes after the snapshot
    assert len(before["report_versions"]) > 1000

    corrupt_blocks(db)
    assert backup.database_state(db) == "skadad"
    result = backup.restore(copy, db)
    assert result.previous_state == "skadad"
    assert result.moved_aside.name.startswith("demo.duckdb.trasig-")
    restored = all_tables(db)
    assert restored.keys() == before.keys()
    for table in before:
        if table != "audit_log":
            assert restored[table] == before[table], table
    log = restored["audit_log"]
    assert len(log) == len(backup_log) + 1
    assert set(backup_log) <= set(log)
    assert [r[2] for r in log if r not in backup_log] == ["återställning från säkerhetskopia"]
    reopened = Store.open(db)
    try:
        assert reopened.report_count() == len(before["reports"])
    finally:
        reopened.close()
