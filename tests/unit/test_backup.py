"""Backups as Parquet with a manifest, and restoring into a new database file."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from lagesbild import cli
from lagesbild.store import Store, audit, backup

PROJECT = Path(__file__).resolve().parents[2]


def contents(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}
    finally:
        con.close()


@pytest.fixture
def backed_up(demo_store: Store, tmp_path: Path) -> tuple[Path, Path, dict]:
    """(database, backup directory, manifest) of the demo data with a rollback in it."""
    audit.log(demo_store, "anna", "export", "ok", "trender.png")
    demo_store.rollback(1, "anna")
    manifest = backup.backup(demo_store, tmp_path / "kopia", by="anna")
    demo_store.close()
    return demo_store.path, tmp_path / "kopia", manifest


def test_manifest_has_schema_version_counts_and_checksums(backed_up) -> None:
    db, copy, manifest = backed_up
    assert manifest == json.loads((copy / backup.MANIFEST).read_text("utf-8"))
    live = contents(db)
    assert manifest["schema_version"] == max(v[0] for v in live["schema_version"])
    tables = manifest["tables"]
    for name, rows in live.items():
        expected = len(rows) - (1 if name == "audit_log" else 0)  # + the backup's own entry
        assert tables[name]["rows"] == expected, name
        assert (copy / tables[name]["file"]).is_file()
    assert tables["report_versions"]["rows"] > 1000
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((copy / name).read_bytes()).hexdigest() == digest
    assert {"schema.sql", "load.sql"} <= manifest["files"].keys()
    entry = contents(db)["audit_log"]
    assert any(r[2] == "säkerhetskopia" and r[1] == "anna" for r in entry)


def test_restore_into_a_new_file_gives_the_same_tables(backed_up, tmp_path: Path) -> None:
    db, copy, _ = backed_up
    new = tmp_path / "ny" / "aterstalld.duckdb"
    result = backup.restore(copy, new)
    assert result.previous_state == "saknades" and result.moved_aside is None
    before, after = contents(db), contents(new)
    for table in before:
        if table != "audit_log":
            assert after[table] == before[table], table
    assert set(after["audit_log"]) - set(before["audit_log"]) == {
        r for r in after["audit_log"] if r[2] == "återställning från säkerhetskopia"}
    store = Store.open(new)
    try:
        assert store.report_count() == len(before["reports"])
        assert {b["batch_id"]: b for b in store.batches()}[1]["rolled_back_at"] is not None
    finally:
        store.close()


def test_a_working_database_is_only_replaced_with_force_and_is_kept(backed_up) -> None:
    db, copy, _ = backed_up
    original = db.read_bytes()
    with pytest.raises(backup.BackupError, match="finns redan och fungerar"):
        backup.restore(copy, db)
    assert db.read_bytes() == original
    result = backup.restore(copy, db, force=True)
    assert result.previous_state == "frisk"
    assert result.moved_aside.name.startswith(f"{db.name}.ersatt-")
    assert result.moved_aside.read_bytes() == original
    assert backup.database_state(db) == "frisk"


def test_a_changed_backup_is_refused_and_nothing_is_touched(backed_up, tmp_path: Path) -> None:
    _db, copy, manifest = backed_up
    target = tmp_path / "ny.duckdb"
    reports = copy / manifest["tables"]["reports"]["file"]
    data = bytearray(reports.read_bytes())
    data[len(data) // 2] ^= 0xFF
    reports.write_bytes(bytes(data))
    with pytest.raises(backup.BackupError, match="är ändrad eller skadad"):
        backup.restore(copy, target)
    assert not target.exists() and list(tmp_path.glob("ny.duckdb*")) == []
    reports.unlink()
    with pytest.raises(backup.BackupError, match="saknas"):
        backup.verify_backup(copy)


def test_incomplete_or_newer_backups_are_refused(backed_up, tmp_path: Path) -> None:
    _db, copy, manifest = backed_up
    with pytest.raises(backup.BackupError, match="ingen färdig säkerhetskopia"):
        backup.restore(tmp_path, tmp_path / "x.duckdb")
    (copy / backup.MANIFEST).write_text(json.dumps({**manifest, "schema_version": 999}),
                                        "utf-8")
    with pytest.raises(backup.BackupError, match="Uppdatera programmet"):
        backup.restore(copy, tmp_path / "x.duckdb")
    (copy / backup.MANIFEST).write_text("{", "utf-8")
    with pytest.raises(backup.BackupError, match="skadad"):
        backup.verify_backup(copy)


def test_backup_needs_a_new_or_empty_directory(store: Store, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    with pytest.raises(backup.BackupError, match="inte en tom katalog"):
        backup.backup(store, tmp_path / "full")
    (tmp_path / "tom").mkdir()
    assert backup.backup(store, tmp_path / "tom")["tables"]["reports"]["rows"] == 0


def test_restore_refuses_a_database_in_use(backed_up) -> None:
    db, copy, _ = backed_up
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, duckdb; c = duckdb.connect(sys.argv[1]); "
         "print('OPEN', flush=True); time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "OPEN"
        assert backup.database_state(db) == "upptagen"
        with pytest.raises(backup.BackupError, match="används av ett annat program"):
            backup.restore(copy, db, force=True)
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert backup.database_state(db) == "frisk"


def test_command_line_backup_and_restore(demo_db_file: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "lagesbild.duckdb"
    db.write_bytes(demo_db_file.read_bytes())
    copy = tmp_path / "kopia-2026-11-24"
    assert cli.main(["backup", str(copy), "--db", str(db), "--user", "anna"]) == 0
    assert "Säkerhetskopian är sparad" in capsys.readouterr().out
    assert cli.main(["restore", str(copy), "--db", str(db)]) == 1
    assert "--force" in capsys.readouterr().err
    db.write_bytes(b"\0" * 4096)  # damaged
    assert cli.main(["restore", str(copy), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "är återställd" in out and ".trasig-" in out
    assert contents(db)["reports"] == contents(demo_db_file)["reports"]
    assert len(list(tmp_path.glob("lagesbild.duckdb.trasig-*"))) == 1
    assert cli.main(["audit", "--db", str(db), "--action", "återställning från säkerhetskopia"]
                    ) == 0
    assert "återställning från säkerhetskopia" in capsys.readouterr().out
