"""The database, its WAL, backups and exports are readable by their owner only, whatever the
umask of the shell that ran the command, and files made by older releases are tightened."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from lagesbild.store import Store
from tests.helpers.files import HEADERS, make_xlsx, report_rows

PROJECT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def lagesbild(*argv: str) -> subprocess.CompletedProcess[str]:
    """The command line from a typical login shell (umask 022)."""
    return subprocess.run([sys.executable, "-m", "lagesbild", *argv], cwd=PROJECT, umask=0o022,
                          capture_output=True, text=True, timeout=300)


def test_commands_make_private_files_under_a_loose_umask(tmp_path: Path) -> None:
    db = tmp_path / "data" / "lagesbild.duckdb"
    file = make_xlsx([HEADERS, *report_rows(5)], tmp_path / "a.xlsx")
    result = lagesbild("import", str(file), "--db", str(db))
    assert result.returncode == 0, result.stderr
    made = [p for p in db.parent.iterdir() if p.name.startswith("lagesbild.duckdb")]
    assert made and all(mode(p) == 0o600 for p in made), {p.name: oct(mode(p)) for p in made}
    result = lagesbild("backup", str(tmp_path / "kopia"), "--db", str(db))
    assert result.returncode == 0, result.stderr
    inside = list((tmp_path / "kopia").rglob("*"))
    assert mode(tmp_path / "kopia") == 0o700 and len(inside) > 10
    assert all(mode(p) == (0o700 if p.is_dir() else 0o600) for p in inside)
    result = lagesbild("export", "--format", "xlsx", "--out", str(tmp_path / "ut.xlsx"),
                       "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert mode(tmp_path / "ut.xlsx") == 0o600


def test_a_database_and_wal_left_readable_by_an_older_release_are_tightened_on_open(
        tmp_path: Path) -> None:
    db = tmp_path / "gammal.duckdb"
    crash = ("import duckdb, os, sys; c = duckdb.connect(sys.argv[1]); "
             "c.execute('CREATE TABLE t AS SELECT 1 AS x'); os._exit(0)")  # no checkpoint
    subprocess.run([sys.executable, "-c", crash, str(db)], umask=0o022, check=True,
                   timeout=60)
    wal = db.with_name(db.name + ".wal")
    assert mode(db) == mode(wal) == 0o644  # as an older release under a login shell left them
    store = Store.open(db)
    try:
        assert mode(db) == 0o600 and (not wal.exists() or mode(wal) == 0o600)
        assert store.cursor().execute("SELECT x FROM t").fetchall() == [(1,)]  # replayed
    finally:
        store.close()
