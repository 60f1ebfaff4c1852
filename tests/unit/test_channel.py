"""The local channel: a Unix socket beside the database (0660), one JSON line each way, served
by the app's lifespan; stale sockets, bad requests and strangers."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lagesbild.service.channel import (
    ChannelForbidden,
    ChannelUnavailable,
    answers,
    ask,
    clear_stale,
    socket_for,
)
from lagesbild.store import audit
from tests.helpers.service import served


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def stale_socket(path: Path) -> None:
    """A socket file nobody listens on (left by an app that was killed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()


def raw(path: Path, payload: bytes) -> dict:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(30)
        sock.connect(str(path))
        sock.sendall(payload)
        return json.loads(sock.makefile("rb").readline())


def test_the_running_app_answers_beside_its_database_and_cleans_up(demo_db: Path) -> None:
    sock = socket_for(demo_db)
    assert sock == demo_db.with_suffix(".sock")
    with served() as app:
        assert stat.S_ISSOCK(sock.lstat().st_mode) and mode(sock) == 0o660
        assert answers(sock) == {"ok": True, "pid": os.getpid(), "db": str(app.db)}
        assert app.db == demo_db.resolve()
    assert not sock.exists()  # removed on shutdown
    assert answers(sock) is None


def test_bad_requests_get_an_error_and_the_app_stays_up(demo_db: Path) -> None:
    sock = socket_for(demo_db)
    with served():
        for payload in (b"not json\n", b"[1, 2]\n", b'{"cmd": "drop"}\n',
                        b'{"cmd": "cli", "db": "/annan.duckdb", "argv": ["batches"]}\n'):
            reply = raw(sock, payload)
            assert reply["ok"] is False and reply["error"], payload
        assert answers(sock)["ok"]


def test_a_stale_socket_does_not_stop_the_app_and_a_foreign_file_is_left_alone(
        demo_db: Path) -> None:
    sock = socket_for(demo_db)
    stale_socket(sock)
    with pytest.raises(ChannelUnavailable):
        ask(sock, {"cmd": "ping"})
    assert answers(sock) is None  # the command line then opens the file itself
    with served():
        assert answers(sock)["pid"] == os.getpid()
    sock.write_text("inte en socket")
    with served() as app:  # the dashboard serves anyway, without a channel
        assert app.channel is None and app.store.report_count() > 0
    assert sock.read_text() == "inte en socket"


def test_clear_stale_refuses_a_live_socket_and_other_files(tmp_path: Path) -> None:
    stale_socket(tmp_path / "s.sock")
    clear_stale(tmp_path / "s.sock")
    assert not (tmp_path / "s.sock").exists()
    (tmp_path / "f.sock").write_text("x")
    with pytest.raises(RuntimeError, match="ingen socket"):
        clear_stale(tmp_path / "f.sock")
    live = socket.socket(socket.AF_UNIX)
    live.bind(str(tmp_path / "l.sock"))
    live.listen()  # connect() succeeds from the backlog, no accept() needed
    try:
        with pytest.raises(RuntimeError, match="svarar redan"):
            clear_stale(tmp_path / "l.sock")
    finally:
        live.close()


def test_socket_path_length_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="för lång"):
        ask(tmp_path / ("x" * 120) / "lagesbild.sock", {"cmd": "ping"})


STRANGER = """
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("EACCES")
    sys.exit()
s.sendall(b'{"cmd": "cli", "argv": ["export"]}\\n')
print(s.makefile().readline())
"""


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder others may enter (pytest's own are 0700), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="lb-kanal-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")  # one "nobody" may run


@pytest.mark.skipif(os.geteuid() != 0 or SYSTEM_PYTHON is None,
                    reason="needs root (and a system python3) to run a client as another user")
def test_only_the_services_user_and_group_may_use_the_channel(
        demo_db_file: Path, open_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = open_folder / "lagesbild.duckdb"
    db.write_bytes(demo_db_file.read_bytes())
    monkeypatch.setenv("LAGESBILD_DB", str(db))
    sock = socket_for(db)

    def as_nobody() -> str:
        return subprocess.run(
            [str(SYSTEM_PYTHON), "-c", STRANGER, str(sock)], capture_output=True, text=True,
            timeout=60, user=65534, group=65534, extra_groups=[]).stdout.strip()

    with served() as app:
        assert as_nobody() == "EACCES"  # 0660 root:root: the file system says no
        sock.chmod(0o666)  # an administrator's mistake: the app still says no
        reply = json.loads(as_nobody())
        assert reply["ok"] is False and "grupp" in reply["error"]
        refused = audit.entries(app.store, action="lokal kanal")
        assert list(refused["outcome"]) == [audit.NEKAD]
        assert "uid=65534" in refused.iloc[0]["details"]
        os.chown(sock, -1, 65534)  # the socket's group is now nobody's: admitted
        reply = json.loads(as_nobody())
        assert "grupp" not in reply["error"] and "använder databasen" in reply["error"]


def test_a_user_outside_the_group_is_told_to_join_it(
        demo_db: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from lagesbild import cli

    def no_access(self: socket.socket, address: object) -> None:
        raise PermissionError(13, "Permission denied")

    with served():
        monkeypatch.setattr(socket.socket, "connect", no_access)  # what EACCES looks like
        with pytest.raises(ChannelForbidden):
            ask(socket_for(demo_db), {"cmd": "ping"})
        assert cli.main(["batches"]) == 1
        assert "Gå med i tjänstens grupp" in capsys.readouterr().err
        assert cli.main(["restore", str(demo_db.parent), "--force"]) == 1
        assert "systemctl stop" in capsys.readouterr().err
