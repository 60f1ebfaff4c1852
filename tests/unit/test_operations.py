"""Scheduled backups (on their own, verified, kept N), the backup record analysts see, what a
backup holds besides the database, and reading a backup back."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from lagesbild import cli
from lagesbild.domain import config
from lagesbild.service import operations
from lagesbild.service.scheduler import BackupScheduler, next_time_of_day
from lagesbild.store import Store, audit, backup
from lagesbild.store.backup import BackupError, verify_backup, verify_readable

UTC = dt.UTC
T0 = dt.datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def autos(store: Store) -> list[Path]:
    return sorted(operations.backup_root(store.path).glob(f"{operations.AUTO_PREFIX}*"))


def test_scheduled_backups_appear_on_their_own_verified_and_restorable(
        demo_store: Store, tmp_path: Path) -> None:
    scheduler = BackupScheduler(demo_store, config.Backups("02:30", 3, None, 0.05))
    scheduler.start()
    try:
        deadline = time.monotonic() + 60
        while operations.backup_status(demo_store.path).latest_ok is None:
            assert time.monotonic() < deadline, "no scheduled backup appeared"
            time.sleep(0.1)
    finally:
        assert scheduler.stop()  # lets the run in progress finish
    status = operations.backup_status(demo_store.path)
    assert status.latest_ok.kind == operations.AUTOMATIC and status.problem() is None
    assert status.latest_ok.reports == demo_store.report_count()
    [folder] = autos(demo_store)
    assert status.latest_ok.directory == str(folder)
    verify_readable(folder)
    local = scheduler.next_run.astimezone(operations.LOCAL_TIME)
    assert (local.hour, local.minute) == (2, 30)  # then at the time of day
    backup.restore(folder, tmp_path / "ny.duckdb")
    restored = Store.open(tmp_path / "ny.duckdb")
    try:
        assert restored.report_count() == demo_store.report_count() > 1000
    finally:
        restored.close()


def test_only_the_newest_verified_are_kept_and_a_failure_removes_no_good_one(
        demo_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    root = operations.backup_root(demo_store.path)
    for day in range(4):
        operations.scheduled_backup(demo_store, keep=2, now=T0 + dt.timedelta(days=day))
    kept = autos(demo_store)
    assert [p.name for p in kept] == ["auto-20260506-120000", "auto-20260507-120000"]
    (root / "auto-20260101-000000").mkdir()  # an old attempt cut short (no manifest)
    (root / "auto-20270101-000000").mkdir()  # newer than all: perhaps under way; left alone

    def broken(directory: Path) -> dict:
        raise BackupError("Säkerhetskopian går inte att läsa tillbaka (test).")

    monkeypatch.setattr(backup, "verify_readable", broken)
    scheduler = BackupScheduler(demo_store, config.Backups("02:30", 2),
                                clock=lambda: T0 + dt.timedelta(days=9))
    scheduler.run_once()  # does not raise: the schedule goes on
    assert scheduler.failures == 1 and scheduler.runs == 0
    assert set(autos(demo_store)) == {*kept, root / "auto-20260101-000000",
                                      root / "auto-20270101-000000"}
    status = operations.backup_status(demo_store.path)
    assert status.latest.ok is False and "läsa tillbaka" in status.latest.message
    assert status.latest_ok.directory == str(kept[-1])  # the good one is still named
    assert "misslyckades" in status.problem()
    assert audit.entries(demo_store, action="säkerhetskopia", outcome=audit.FEL).shape[0] == 1

    monkeypatch.undo()
    operations.scheduled_backup(demo_store, keep=2, now=T0 + dt.timedelta(days=10))
    assert [p.name for p in autos(demo_store)] == [
        "auto-20260507-120000", "auto-20260514-120000", "auto-20270101-000000"]
    assert operations.backup_status(demo_store.path).problem() is None


def test_reading_back_catches_what_checksums_cannot(demo_store: Store, tmp_path: Path) -> None:
    copy = tmp_path / "kopia"
    manifest = backup.backup(demo_store, copy)
    reports = copy / manifest["tables"]["reports"]["file"]
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_parquet('{reports}') LIMIT 10) TO "
                f"'{tmp_path / 'kort.parquet'}' (FORMAT parquet)")
    shutil.copyfile(tmp_path / "kort.parquet", reports)  # fewer rows, checksum updated
    manifest["files"][reports.name] = backup._sha256(reports)
    (copy / backup.MANIFEST).write_text(json.dumps(manifest), "utf-8")
    verify_backup(copy)  # the checksums agree
    with pytest.raises(BackupError, match="fick 10 rader"):
        verify_readable(copy)
    reports.write_bytes(reports.read_bytes()[:200])  # cut short, checksum updated
    manifest["files"][reports.name] = backup._sha256(reports)
    (copy / backup.MANIFEST).write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(BackupError, match="läsa tillbaka"):
        verify_readable(copy)


def record(hours_ago: float, ok: bool = True) -> operations.BackupRecord:
    return operations.BackupRecord((T0 - dt.timedelta(hours=hours_ago)).isoformat(),
                                   operations.AUTOMATIC, ok, "/x", "kontrollerad")


def test_analysts_are_warned_when_the_newest_backup_is_over_two_days_old() -> None:
    assert operations.BackupStatus(record(47), record(47)).problem(T0) is None
    stale = operations.BackupStatus(record(49), record(49)).problem(T0)
    assert "mer än två dygn" in stale and "2026-05-02 11:00" in stale  # Swedish time
    assert "ingen säkerhetskopia" in operations.BackupStatus(None, None).problem(T0)
    failed = operations.BackupStatus(record(1, ok=False), record(20)).problem(T0)
    assert "misslyckades" in failed


def test_the_time_of_day_is_swedish_time_and_a_late_start_catches_up(
        demo_store: Store) -> None:
    assert next_time_of_day("02:30", dt.datetime(2026, 1, 10, 0, 0, tzinfo=UTC)) == \
        dt.datetime(2026, 1, 10, 1, 30, tzinfo=UTC)  # 02:30 CET
    assert next_time_of_day("02:30", dt.datetime(2026, 7, 10, 1, 0, tzinfo=UTC)) == \
        dt.datetime(2026, 7, 11, 0, 30, tzinfo=UTC)  # already past: tomorrow, CEST
    spring = next_time_of_day("02:30", dt.datetime(2026, 3, 28, 23, 0, tzinfo=UTC))
    assert dt.datetime(2026, 3, 29, 0, 0, tzinfo=UTC) < spring < \
        dt.datetime(2026, 3, 29, 2, 0, tzinfo=UTC)  # a time that does not exist that night
    settings = config.Backups("02:30", 3, None, 60)
    fresh = BackupScheduler(demo_store, settings, clock=lambda: T0)
    assert fresh.first_run() == T0 + dt.timedelta(seconds=60)  # none yet: soon after start
    operations.scheduled_backup(demo_store, keep=3, now=T0)  # recorded as made now
    soon, next_day = (dt.datetime.now(UTC) + dt.timedelta(hours=h) for h in (2, 30))
    later = BackupScheduler(demo_store, settings, clock=lambda: soon)
    assert later.first_run() == next_time_of_day("02:30", soon)
    late = BackupScheduler(demo_store, settings, clock=lambda: next_day)
    assert late.first_run() == next_day + dt.timedelta(seconds=60)
    assert BackupScheduler(demo_store, config.Backups(None)).first_run() is None


@pytest.fixture
def own_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Settings, code lists, accounts and roles of their own, in a temporary folder."""
    data = tmp_path / "data"
    shutil.copytree(config.CODELIST_DIR, data / "kodlistor")
    shutil.copyfile(config.SETTINGS_FILE, data / "installningar.toml")
    (data / "konton.json").write_text('{"anna": {}}', "utf-8")
    (data / "roller.toml").write_text("[roller]\n", "utf-8")
    monkeypatch.setattr(config, "SETTINGS_FILE", data / "installningar.toml")
    monkeypatch.setattr(config, "CODELIST_DIR", data / "kodlistor")
    monkeypatch.setenv("LAGESBILD_ACCOUNTS", str(data / "konton.json"))
    monkeypatch.setenv("LAGESBILD_ROLES", str(data / "roller.toml"))
    return {p.name: p for p in data.iterdir()}


def test_a_backup_holds_the_files_a_restore_needs_and_puts_them_back_carefully(
        demo_db: Path, own_files: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "kopia"
    assert cli.main(["backup", str(copy)]) == 0
    manifest = verify_backup(copy)
    for name in ("konton.json", "roller.toml", "installningar.toml", "kodlistor/former.csv"):
        assert name in manifest["extra_files"], name
    assert (copy / "filer" / "konton.json").read_text("utf-8") == '{"anna": {}}'

    own_files["konton.json"].unlink()  # lost
    settings = own_files["installningar.toml"]
    settings.write_text(settings.read_text("utf-8") + "\n# ändrad\n", "utf-8")  # changed since
    capsys.readouterr()
    assert cli.main(["restore", str(copy), "--db", str(tmp_path / "ny.duckdb"), "--files"]) == 0
    out = capsys.readouterr().out
    assert own_files["konton.json"].read_text("utf-8") == '{"anna": {}}'
    assert "behölls (ändrad)" in out and "# ändrad" in settings.read_text("utf-8")
    assert "återställd" in out and "--force" in out
    assert "oförändrad" in out  # the code lists were the same
    assert cli.main(["restore", str(copy), "--db", str(tmp_path / "ny.duckdb"), "--files",
                     "--force"]) == 0
    assert "# ändrad" not in settings.read_text("utf-8")
    [aside] = settings.parent.glob("installningar.toml.ersatt-*")
    assert "# ändrad" in aside.read_text("utf-8")  # the changed one is kept beside


def test_a_backup_cannot_name_files_outside_its_folder(demo_store: Store,
                                                       tmp_path: Path) -> None:
    copy = tmp_path / "kopia"
    manifest = backup.backup(demo_store, copy)
    for bad in ("../../etc/x", "/etc/x"):
        (copy / backup.MANIFEST).write_text(
            json.dumps({**manifest, "extra_files": {bad: "0" * 64}}), "utf-8")
        with pytest.raises(BackupError, match="otillåten"):
            backup.restore_files(copy, {"..": tmp_path, "/etc": tmp_path})
