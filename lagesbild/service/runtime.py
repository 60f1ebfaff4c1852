"""The dashboard process's resources, opened once when the app starts.

`serving(run_command)` is the app's start-up and shutdown (app.py hands it to `st.App`): it
makes every file the process creates private (umask 0077), opens the database before the first
visitor (migrated, seeded with demo data when new, population filled in), starts the scheduled
backups (`scheduler`) and the local channel (`channel`: a Unix socket beside the database,
0660) through which the command line reaches the app while it holds the file. `run_command` is
how the channel runs a forwarded command line in this process (the cli package provides it;
the service layer does not import the command line). A database that cannot be opened stops
the start (st.App exits with code 3), so a broken service is seen at once rather than by its
first user.

Pages reach the store through `store()`: the one the lifespan opened, or - when the dashboard
runs without st.App (AppTest, `streamlit run dashboard.py`) - one opened on first use. One
Store per database file and process (DuckDB allows one read-write process per file; the Store
gives each query its own cursor). `ROUTES` are extra HTTP routes (`/healthz`).
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lagesbild.domain import config
from lagesbild.intake.population import ensure_population
from lagesbild.service import open_for_app, operations
from lagesbild.service.channel import ChannelServer, Peer, socket_for
from lagesbild.service.scheduler import BackupScheduler
from lagesbild.store import Store, audit

# (the app's store, the request, who sent it) -> reply: runs a forwarded command line.
CommandRunner = Callable[[Store, dict[str, Any], Peer], dict[str, Any]]
Lifespan = Callable[[Any], AbstractAsyncContextManager[dict[str, object]]]

_stores: dict[Path, Store] = {}
_lock = threading.Lock()


@dataclass
class Resources:
    """What the lifespan started."""

    store: Store
    db: Path
    scheduler: BackupScheduler
    channel: ChannelServer | None
    started_at: float = field(default_factory=time.time)


_current: Resources | None = None


def current() -> Resources | None:
    """What the lifespan started, or None outside st.App (and in the command line)."""
    return _current


def store(path: str | os.PathLike[str] | None = None) -> Store:
    """The process's Store for the database file (default: `config.database_path()`)."""
    target = Path(config.database_path(path)).resolve()
    with _lock:
        if target not in _stores:
            opened = open_for_app(str(target))
            ensure_population(opened)
            _stores[target] = opened
        return _stores[target]


def close_all() -> None:
    """Close every store this process opened (at shutdown; tests between runs)."""
    with _lock:
        for opened in _stores.values():
            opened.close()
        _stores.clear()


def _say(text: str) -> None:
    """A start-up or shutdown line for the journal (stderr)."""
    print(f"lagesbild: {text}", file=sys.stderr, flush=True)


def _handlers(opened: Store, db: Path, run_command: CommandRunner | None) -> dict:
    def ping(_request: dict[str, Any], _peer: Peer) -> dict[str, Any]:
        return {"ok": True, "pid": os.getpid(), "db": str(db)}

    def command(request: dict[str, Any], peer: Peer) -> dict[str, Any]:
        if run_command is None:
            return {"ok": False, "error": "Den här dashboarden kör inga kommandon åt "
                    "kommandoraden. Stoppa den och kör kommandot igen."}
        if Path(str(request.get("db"))) != db:
            return {"ok": False, "error": f"Dashboarden här använder databasen {db}."}
        return run_command(opened, request, peer)

    return {"ping": ping, "cli": command}


def _refused(opened: Store) -> Callable[[Peer, str], None]:
    def log(peer: Peer, command: str) -> None:
        audit.log(opened, f"uid {peer.uid}", "lokal kanal", audit.NEKAD, command,
                  f"{peer.describe()}: inte med i tjänstens grupp")
    return log


async def _start_channel(opened: Store, db: Path,
                         run_command: CommandRunner | None) -> ChannelServer | None:
    """The channel, or None (logged) when it cannot start: the dashboard serves anyway."""
    channel = ChannelServer(socket_for(db), _handlers(opened, db, run_command),
                            on_refused=_refused(opened))
    try:
        await channel.start()
    except (OSError, ValueError, RuntimeError) as exc:
        _say(f"VARNING: den lokala kanalen kunde inte startas ({exc}); kommandoraden kan inte "
             "nå dashboarden medan den körs.")
        return None
    _say(f"lokal kanal {channel.path}")
    return channel


def serving(run_command: CommandRunner | None = None) -> Lifespan:
    """The app's lifespan (`st.App(..., lifespan=serving(...))`), see the module text."""

    @asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[dict[str, object]]:
        global _current
        os.umask(0o077)  # the database, its WAL, backups and exports are the service's only
        opened = store()
        assert opened.path is not None
        db = opened.path.resolve()
        _say(f"databasen öppnad {db}")
        scheduler = BackupScheduler(opened, config.settings().backups)
        scheduler.start()
        channel = await _start_channel(opened, db, run_command)
        _current = Resources(opened, db, scheduler, channel)
        try:
            yield {"store": opened}
        finally:
            _current = None
            if channel is not None:
                await channel.stop()
            stopped = await asyncio.to_thread(scheduler.stop)
            close_all()
            _say(f"stoppad (schemaläggaren {'stoppad' if stopped else 'svarade inte'}, "
                 "databasen stängd)")

    return lifespan


lifespan = serving()  # without a command runner: the channel answers ping only


async def healthz(request: Request) -> JSONResponse:
    """GET /healthz: database, latest backup and disk as JSON; 503 when something is wrong.
    Says nothing about the data (no counts, no paths): it needs no sign-in."""
    res = _current
    if res is None:
        return JSONResponse({"ok": False}, status_code=503)
    report = await asyncio.to_thread(operations.health, res.store, res.db)
    latest = report.backups.latest_ok
    body = {"ok": not report.problems, "schemaversion": report.schema_version,
            "senaste_sakerhetskopia": latest.at if latest else None,
            "sakerhetskopior_ok": report.backups.problem() is None,
            "utrymme_ok": report.disk_free >= operations.MIN_FREE_BYTES}
    return JSONResponse(body, status_code=200 if body["ok"] else 503)


ROUTES = [Route("/healthz", healthz, methods=["GET"])]
