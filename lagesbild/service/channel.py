"""The local channel between the command line and the running app: a Unix socket beside the
database (`socket_for`), one JSON line each way, no network port.

The running app serves it (`ChannelServer`, started in the lifespan); its handlers run in a
worker thread on the app's own Store (a cursor per query). A command calls `ask`:
`ChannelUnavailable` means no app answers there (none runs, or a socket left by one that died),
so the command may open the database file itself; `ChannelForbidden` means an app runs but the
caller may not use its socket.

Who may connect: the socket is 0660, so the file system admits only the service's user and
group (an administrator joins the group); the server checks the peer's credentials again
(SO_PEERCRED) and hands them to the handler for the audit log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOG = logging.getLogger("lagesbild.channel")
SUN_PATH_MAX = 107  # sockaddr_un.sun_path is 108 bytes with the terminating NUL
MAX_REQUEST = 400 * 2**20  # a forwarded import carries its file
READ_TIMEOUT = 60.0


class ChannelUnavailable(Exception):
    """No app answers on this socket (none running, or a stale socket file)."""


class ChannelForbidden(Exception):
    """An app answers, but this user may not use its socket (not in the service's group)."""


class ChannelError(Exception):
    """The app answered, but not with a usable reply."""


@dataclass(frozen=True)
class Peer:
    """Who is on the other end of a connection (from the kernel, not from the request)."""

    pid: int
    uid: int
    gid: int

    def describe(self) -> str:
        return f"uid={self.uid} pid={self.pid}"


def socket_for(db: str | os.PathLike[str]) -> Path:
    """The socket of the app that serves the database file `db`: beside it, `.sock`."""
    return Path(os.path.abspath(db)).with_suffix(".sock")


def _check_length(path: Path) -> None:
    if len(os.fsencode(path)) > SUN_PATH_MAX:
        raise ValueError(f"Sökvägen {path} är för lång för en lokal kanal (högst "
                         f"{SUN_PATH_MAX} byte). Lägg databasen i en katalog med kortare namn.")


def ask(path: Path, request: dict[str, Any], timeout: float = 120.0) -> dict[str, Any]:
    """Send one request to the running app and return its reply."""
    _check_length(path)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(os.fspath(path))
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as exc:
            raise ChannelUnavailable(str(exc)) from exc
        except PermissionError as exc:
            raise ChannelForbidden(str(exc)) from exc
        sock.sendall(json.dumps(request, ensure_ascii=False).encode("utf-8") + b"\n")
        buffer = bytearray()
        while not buffer.endswith(b"\n"):
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            buffer += chunk
    try:
        reply = json.loads(buffer)
    except ValueError as exc:
        raise ChannelError(f"oläsligt svar: {bytes(buffer[:200])!r}") from exc
    if not isinstance(reply, dict):
        raise ChannelError("svaret är inget objekt")
    return reply


def answers(path: Path, timeout: float = 10.0) -> dict[str, Any] | None:
    """The app's reply to "ping" (pid, database), or None when no app answers on `path`."""
    try:
        if not stat.S_ISSOCK(path.lstat().st_mode):
            return None
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        return ask(path, {"cmd": "ping"}, timeout)
    except ChannelUnavailable:
        return None


def clear_stale(path: Path) -> None:
    """Remove a socket file left by an app that died; refuse if an app still answers."""
    _check_length(path)
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise RuntimeError(f"{path} finns och är ingen socket; den rörs inte")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        try:
            sock.connect(os.fspath(path))
        except ConnectionRefusedError:
            LOG.info("removing stale socket %s", path)
            path.unlink()
            return
    raise RuntimeError(f"ett annat program svarar redan på {path}")


def _peer(writer: asyncio.StreamWriter) -> Peer:
    sock = writer.get_extra_info("socket")
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", creds)
    return Peer(pid, uid, gid)


def _groups(pid: int) -> set[int]:
    """The supplementary groups of a process (Linux /proc), empty when unknown."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return set()
    for line in status.splitlines():
        if line.startswith("Groups:"):
            return {int(g) for g in line.split()[1:]}
    return set()


Handler = Callable[[dict[str, Any], Peer], dict[str, Any]]


class ChannelServer:
    """Serves `handlers[request["cmd"]](request, peer)` (in a worker thread) on a Unix socket.

    A peer that is neither the app's own user, root, nor a member of the socket's group is
    refused (`on_refused(peer, request)` is told, for the audit log)."""

    def __init__(self, path: Path, handlers: dict[str, Handler], *, mode: int = 0o660,
                 group: int | None = None,
                 on_refused: Callable[[Peer, str], None] | None = None) -> None:
        self.path = path
        self.handlers = handlers
        self.mode = mode
        self.group = group
        self.on_refused = on_refused
        self._server: asyncio.base_events.Server | None = None
        self._inode: int | None = None

    async def start(self) -> None:
        clear_stale(self.path)
        self._server = await asyncio.start_unix_server(
            self._serve, path=os.fspath(self.path), limit=MAX_REQUEST)
        if self.group is not None:
            os.chown(self.path, -1, self.group)
        os.chmod(self.path, self.mode)
        self._inode = self.path.lstat().st_ino

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        try:  # remove it only if it is still ours (Python 3.11 leaves the file behind)
            if self.path.lstat().st_ino == self._inode:
                self.path.unlink()
        except FileNotFoundError:
            pass

    def allowed(self, peer: Peer) -> bool:
        """The app's own user, root, or a member of the socket's group."""
        if peer.uid in (os.getuid(), 0):
            return True
        group = self.path.stat().st_gid
        return peer.gid == group or group in _groups(peer.pid)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            peer = _peer(writer)
            try:
                line = await asyncio.wait_for(reader.readline(), timeout=READ_TIMEOUT)
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise ValueError("request is not an object")
                command = str(request.get("cmd"))
                handler = self.handlers.get(command)
                if not self.allowed(peer):
                    LOG.warning("channel: refused %s from %s", command, peer.describe())
                    if self.on_refused is not None:
                        await asyncio.to_thread(self.on_refused, peer, command)
                    reply: dict[str, Any] = {"ok": False, "error": "Du får inte använda "
                                             "tjänstens kanal (inte med i dess grupp)."}
                elif handler is None:
                    reply = {"ok": False, "error": f"okänt kommando {command!r}"}
                else:
                    reply = await asyncio.to_thread(handler, request, peer)
            except (TimeoutError, ValueError, asyncio.LimitOverrunError,
                    asyncio.IncompleteReadError) as exc:
                reply = {"ok": False, "error": f"felaktig begäran: {type(exc).__name__}"}
            except Exception as exc:  # the reply says what failed; the app stays up
                LOG.exception("channel command failed")
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            writer.write(json.dumps(reply, ensure_ascii=False, default=str).encode("utf-8")
                         + b"\n")
            await writer.drain()
        except (ConnectionError, OSError):  # the caller went away
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
