"""Operations against the real server (`streamlit run app.py`, one start for the module): the
dashboard holds the database, and the command line still backs it up, imports and reports
through the local channel; scheduled backups appear on their own; restore is refused; health
answers; after SIGTERM the socket is gone and the file opens again.

The command line runs here as another process would: a `lagesbild` subprocess, or `cli.main`
in this test process (also another process than the server's), always with `--db`.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from lagesbild import cli
from lagesbild.domain import config
from lagesbild.service import operations
from lagesbild.service.channel import answers, socket_for
from lagesbild.store import Store
from lagesbild.store.backup import verify_readable
from tests.helpers.browser import CHROMIUM_ARGS, PROJECT, need_chromium, streamlit_server
from tests.helpers.files import HEADERS, make_xlsx, report_rows

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Running:
    url: str
    db: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def running(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    folder = tmp_path_factory.mktemp("drift")
    db = folder / "lagesbild.duckdb"
    db.write_bytes(demo_db_file.read_bytes())
    settings = folder / "installningar.toml"
    shutil.copyfile(config.SETTINGS_FILE, settings)
    text = settings.read_text("utf-8").replace("vid_start_efter_sekunder = 60",
                                               "vid_start_efter_sekunder = 1")
    assert "vid_start_efter_sekunder = 1" in text
    settings.write_text(text, "utf-8")
    env = {"LAGESBILD_SETTINGS": str(settings)}
    with streamlit_server(db, env=env) as url:
        yield Running(url, db, {**os.environ, "LAGESBILD_DB": str(db), **env})
    # after SIGTERM: the lifespan closed the channel and the database
    assert not socket_for(db).exists()
    Store.open(db).close()


def lagesbild(running: Running, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lagesbild", *argv], cwd=PROJECT,
                          env=running.env, capture_output=True, text=True, timeout=300)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_app_holds_the_file_and_listens_on_no_other_port(running: Running) -> None:
    with pytest.raises(duckdb.IOException, match="lock"):
        duckdb.connect(str(running.db), read_only=True)
    sock = socket_for(running.db)
    assert stat.S_ISSOCK(sock.lstat().st_mode) and mode(sock) == 0o660
    assert mode(running.db) == 0o600
    wal = running.db.with_name(running.db.name + ".wal")
    assert not wal.exists() or mode(wal) == 0o600
    pid = answers(sock)["pid"]
    port = int(running.url.rsplit(":", 1)[1])
    assert listening_ports(pid) == [port]


def listening_ports(pid: int) -> list[int]:
    """The TCP ports a process listens on (from /proc)."""
    inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")
              if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")}
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if parts[3] == "0A" and parts[9] in inodes:  # 0A: LISTEN
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return sorted(ports)


def test_scheduled_backups_appear_on_their_own_and_are_verified(running: Running) -> None:
    root = operations.backup_root(running.db)
    deadline = time.monotonic() + 90
    while not list(root.glob(f"{operations.AUTO_PREFIX}*/manifest.json")):
        assert time.monotonic() < deadline, "no scheduled backup within 90 s"
        time.sleep(0.5)
    while operations.backup_status(running.db).latest_ok is None:  # recorded once read back
        assert time.monotonic() < deadline
        time.sleep(0.2)
    [folder] = [p.parent for p in root.glob(f"{operations.AUTO_PREFIX}*/manifest.json")]
    status = operations.backup_status(running.db)
    assert any(r and r.kind == operations.AUTOMATIC and r.directory == str(folder)
               for r in (status.latest, status.latest_ok))
    assert mode(folder) == 0o700
    verify_readable(folder)


def test_backup_while_the_dashboard_runs_restores_to_the_live_indicators(
        running: Running, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "kopia"
    result = lagesbild(running, "backup", str(copy))
    assert result.returncode == 0, result.stderr
    assert "sparad och kontrollerad" in result.stdout
    new = tmp_path / "aterstalld.duckdb"
    assert run(capsys, "restore", str(copy), "--db", str(new))[0] == 0
    by = ["indicators", "--by", "kvartal,form,omrade", "--min-cell", "0"]
    live = run(capsys, *by, "--db", str(running.db))
    restored = run(capsys, *by, "--db", str(new))
    assert live[0] == restored[0] == 0
    assert restored[1] == live[1] and live[1].count("\n") > 50


def test_imports_and_the_audit_log_work_while_the_dashboard_runs(
        running: Running, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = make_xlsx([HEADERS, *report_rows(9)], tmp_path / "soc_2026K1.xlsx")
    code, out, err = run(capsys, "import", str(file), "--db", str(running.db))
    assert code == 0, err
    assert out.startswith("IMPORTERAD  soc_2026K1.xlsx")
    code, out, _ = run(capsys, "batches", "--json", "--db", str(running.db))
    assert json.loads(out)[0]["file_name"] == "soc_2026K1.xlsx"
    code, out, _ = run(capsys, "audit", "--action", "kommandorad via dashboarden", "--json",
                       "--db", str(running.db))
    entries = json.loads(out)
    assert {"import", "batches"} <= {e["target"] for e in entries}
    assert all(f"uid={os.getuid()}" in e["details"] for e in entries)


def test_restore_is_refused_while_the_dashboard_runs(
        running: Running, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "backup", str(tmp_path / "k"), "--db", str(running.db))[0] == 0
    before = running.db.stat().st_ino
    code, _, err = run(capsys, "restore", str(tmp_path / "k"), "--db", str(running.db),
                       "--force")
    assert code == 1 and "sudo systemctl stop lagesbild" in err
    assert running.db.stat().st_ino == before


def test_health_from_the_command_line_the_http_route_and_the_analysts_sidebar(
        running: Running, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "backup", str(tmp_path / "k"), "--db", str(running.db))[0] == 0
    code, out, _ = run(capsys, "health", "--json", "--db", str(running.db))
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["svarar"] == "dashboarden", report
    assert report["pid"] == answers(socket_for(running.db))["pid"]
    with urllib.request.urlopen(f"{running.url}/healthz", timeout=30) as answer:
        body = json.loads(answer.read())
    assert body["ok"] and body["sakerhetskopior_ok"] and "rapporter" not in body
    with urllib.request.urlopen(f"{running.url}/_stcore/health", timeout=30) as answer:
        assert answer.read() == b"ok"

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=need_chromium(),
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(running.url)
            sidebar = page.get_by_test_id("stSidebar")
            sidebar.get_by_text("Senaste säkerhetskopia").wait_for(timeout=60_000)
            assert "kontrollerad" in sidebar.inner_text()
        finally:
            browser.close()
