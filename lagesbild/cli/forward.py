"""Forwarding a command line to the running dashboard, and running it there.

The caller's side (`forward_to_app`, called by `lagesbild.cli.main` when `open_store` raised
ForwardToApp) sends the command line, its working folder, its user name and the content of
every existing file named by a path argument (see common.path_arguments) over the local
channel. The app's side (`run_in_app`, handed to the lifespan by app.py) parses the same
command line, points each path argument at a stand-in in a private scratch folder (the caller's
input files are written there; a folder becomes an empty folder with the same names in it),
runs the same command function on the app's own store, and sends back the exit code, what the
command printed (stand-in paths shown as the caller typed them) and every file it wrote, which
the caller then writes where it asked, checked against their sha256. The app process may not
even be allowed to read or write the caller's folders (another user, ProtectHome), which is
why files travel with the request and the reply.

Refused this way: `restore` (it replaces the file the app holds: stop the app first) and
`user` (accounts are changed as the service's user, in its files). Every forwarded command is
written in the audit log with the caller's uid and pid from the kernel (SO_PEERCRED).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import io
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from lagesbild.cli.common import ForwardToApp, path_arguments, running_in_app, user_name
from lagesbild.service.channel import ChannelError, ChannelUnavailable, Peer, ask
from lagesbild.store import Store, StoreError, audit

REFUSED = {
    "restore": "Återställning kan inte göras medan dashboarden körs, eftersom den håller "
               "databasfilen öppen. Stoppa tjänsten först (`sudo systemctl stop lagesbild`, "
               "eller Ctrl+C där `make run` körs), återställ, och starta den igen (`sudo "
               "systemctl start lagesbild`).",
    "user": "Konton ändras inte via dashboarden. Kör `lagesbild user …` som tjänstens "
            "användare (t.ex. `sudo -u lagesbild lagesbild user …`).",
}
MAX_FILES = 300 * 2**20  # bytes of input files one forwarded command may carry
TIMEOUT = 30 * 60.0  # a long export; the app answers when the command is done
AUDIT_ACTION = "kommandorad via dashboarden"


# -- the caller's side ---------------------------------------------------------------------
def _values(args: argparse.Namespace, action: argparse.Action) -> list[str]:
    value = getattr(args, action.dest, None)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def forward_to_app(parser: argparse.ArgumentParser, args: argparse.Namespace,
                   argv: list[str], forward: ForwardToApp) -> int:
    """Run the command in the app that holds the database; returns its exit code."""
    files: dict[str, str] = {}
    folders: dict[str, list[str]] = {}
    size = 0
    for action in path_arguments(parser, args):
        for value in _values(args, action):
            path = os.path.abspath(value)
            if os.path.isfile(path):
                size += os.path.getsize(path)
                if size > MAX_FILES:
                    print(f"Fel: Filerna är för stora för att skickas till dashboarden (mer "
                          f"än {MAX_FILES // 2**20} MB). Stoppa dashboarden och kör kommandot "
                          "igen.", file=sys.stderr)
                    return 1
                files[path] = base64.b64encode(Path(path).read_bytes()).decode("ascii")
            elif os.path.isdir(path):
                folders[path] = sorted(os.listdir(path))
    request = {"cmd": "cli", "db": str(forward.db), "argv": argv, "cwd": os.getcwd(),
               "user": user_name(args), "files": files, "folders": folders}
    try:
        reply = ask(forward.socket, request, timeout=TIMEOUT)
    except (ChannelUnavailable, ChannelError, OSError) as exc:
        print(f"Fel: Dashboarden (process {forward.pid}) svarade inte på {forward.socket}: "
              f"{exc}. Försök igen, eller stoppa dashboarden och kör kommandot direkt.",
              file=sys.stderr)
        return 1
    if "exit" not in reply:
        print(f"Fel: Dashboarden kunde inte köra kommandot: {reply.get('error')}",
              file=sys.stderr)
        return 1
    allowed = [os.path.abspath(v) for a in path_arguments(parser, args) for v in _values(args, a)]
    try:
        _write_files(reply.get("files") or {}, allowed)
    except (OSError, ValueError) as exc:
        print(f"Fel: Filerna från dashboarden kunde inte sparas: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(reply.get("stdout", ""))
    sys.stderr.write(reply.get("stderr", ""))
    return int(reply["exit"])


def _write_files(files: dict[str, dict[str, str]], allowed: list[str]) -> None:
    """Write the files the app sent back: only at or under a path the command named."""
    for path, item in sorted(files.items()):
        if not any(path == root or path.startswith(root.rstrip(os.sep) + os.sep)
                   for root in allowed):
            raise ValueError(f"{path} ligger utanför sökvägarna i kommandot")
        data = base64.b64decode(item["data"])
        if hashlib.sha256(data).hexdigest() != item["sha256"]:
            raise ValueError(f"{path} kom fram skadad")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        target.write_bytes(data)
        target.chmod(0o600)  # also a file that was there before


# -- the app's side --------------------------------------------------------------------------
class _Output:
    """sys.stdout/sys.stderr while forwarded commands run: each thread that runs one writes
    into its own buffer, every other thread to the stream that was there before."""

    def __init__(self, fallback: Any) -> None:
        self.fallback = fallback
        self.local = threading.local()

    def _target(self) -> Any:
        return getattr(self.local, "buffer", None) or self.fallback

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)


_routing = threading.Lock()
_running = 0


@contextlib.contextmanager
def _captured() -> Any:
    """(stdout, stderr) buffers of this thread while inside."""
    global _running
    with _routing:
        if _running == 0:
            sys.stdout, sys.stderr = _Output(sys.stdout), _Output(sys.stderr)
        _running += 1
        out, err = sys.stdout, sys.stderr
    assert isinstance(out, _Output) and isinstance(err, _Output)
    buffers = io.StringIO(), io.StringIO()
    out.local.buffer, err.local.buffer = buffers
    try:
        yield buffers
    finally:
        out.local.buffer = err.local.buffer = None
        with _routing:
            _running -= 1
            if _running == 0:
                sys.stdout, sys.stderr = out.fallback, err.fallback


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _StandIns:
    """The scratch folder: a stand-in for every path argument, and what changed in it."""

    def __init__(self, work: Path, request: dict[str, Any]) -> None:
        self.work = work
        self.cwd = str(request["cwd"])
        self.files: dict[str, str] = request.get("files") or {}
        self.folders: dict[str, list[str]] = request.get("folders") or {}
        self.slots: list[tuple[Path, str]] = []  # (stand-in, the caller's path)
        self.before: dict[Path, str] = {}  # stand-in files as they were: sha256
        self.shown: dict[str, tuple[str, str]] = {}  # stand-in -> (as typed, caller's path)

    def stand_in(self, typed: str) -> str:
        path = os.path.normpath(os.path.join(self.cwd, typed))
        slot = self.work / str(len(self.slots))
        slot.mkdir()
        if path in self.files:
            local = slot / os.path.basename(path)
            local.write_bytes(base64.b64decode(self.files[path]))
            self.before[local] = _digest(local)
        elif path in self.folders:
            local = slot
            for name in self.folders[path]:  # so that "not an empty folder" still holds
                (slot / name).touch()
                self.before[slot / name] = _digest(slot / name)
        else:
            local = slot / os.path.basename(path)
        self.slots.append((local, path))
        self.shown[str(local)] = (typed, path)
        return str(local)

    def written(self) -> dict[str, dict[str, str]]:
        """Every file the command wrote or changed, by the caller's path."""
        out: dict[str, dict[str, str]] = {}
        for local, path in self.slots:
            members = [local] if local.is_file() else sorted(
                p for p in local.rglob("*") if p.is_file()) if local.is_dir() else []
            for member in members:
                digest = _digest(member)
                if self.before.get(member) == digest:
                    continue
                target = path if member == local else os.path.join(
                    path, *member.relative_to(local).parts)
                out[target] = {"data": base64.b64encode(member.read_bytes()).decode("ascii"),
                               "sha256": digest}
        return out

    def as_typed(self, text: str) -> str:
        for local in sorted(self.shown, key=len, reverse=True):
            text = text.replace(local, self.shown[local][0])
        return text


def run_in_app(store: Store, request: dict[str, Any], peer: Peer) -> dict[str, Any]:
    """Run a forwarded command line on the app's `store` (see the module text)."""
    from lagesbild import cli

    parser = cli.build_parser()
    argv = [str(a) for a in request.get("argv") or []]
    user = str(request.get("user") or f"uid {peer.uid}")
    with _captured() as (out, err):
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # the caller parsed it already; only a changed program
            return {"ok": True, "exit": int(exc.code or 0), "stdout": out.getvalue(),
                    "stderr": err.getvalue()}
    command = str(args.command)
    if command in REFUSED:
        audit.log(store, user, AUDIT_ACTION, audit.NEKAD, command, peer.describe())
        return {"ok": True, "exit": 1, "stdout": "", "stderr": f"Fel: {REFUSED[command]}\n"}
    if getattr(args, "user", "") is None:
        args.user = user
    with tempfile.TemporaryDirectory(prefix="lagesbild-kommando-") as scratch:
        stand_ins = _StandIns(Path(scratch), request)
        for action in path_arguments(parser, args):
            value = getattr(args, action.dest, None)
            if isinstance(value, list):
                setattr(args, action.dest, [type(v)(stand_ins.stand_in(str(v))) for v in value])
            elif value is not None:
                setattr(args, action.dest, type(value)(stand_ins.stand_in(str(value))))
        with _captured() as (out, err), running_in_app(store, stand_ins.shown):
            code = _run(cli, args)
        files = stand_ins.written()
    audit.log(store, user, AUDIT_ACTION, audit.OK if code == 0 else audit.FEL, command,
              f"{peer.describe()}, avslutskod {code}")
    return {"ok": True, "exit": code, "stdout": stand_ins.as_typed(out.getvalue()),
            "stderr": stand_ins.as_typed(err.getvalue()), "files": files}


def _run(cli: Any, args: argparse.Namespace) -> int:
    """The command, with the exit codes `lagesbild` gives (and any other failure as 1)."""
    try:
        return int(cli.run(args))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except ForwardToApp:  # cannot happen: open_store gives the app's store here
        print("Fel: kommandot försökte nå dashboarden inifrån den.", file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the app stays up; the caller learns what failed
        print(f"Fel: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
