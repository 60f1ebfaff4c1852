"""What every command shares: the database it works on and who runs it.

Every command opens the database through `open_store` (one place: this is where a command
learns that the dashboard holds the file) and names its user through `user_name`. Commands
that select reports take the dashboard's sidebar filters (`add_filter_options`,
`filters_from_args`).

While the dashboard runs it holds the database file (DuckDB allows one process per file), and
it answers on a local socket beside the file (lagesbild.service.channel). `open_store` then
raises `ForwardToApp`, and `lagesbild.cli.main` sends the whole command line to the app, which
runs the same command on its own store (lagesbild.cli.forward) and sends back what it printed,
the files it wrote and its exit code. So every command works whether or not the dashboard
runs, with no code of its own for it. For that, a command's path arguments must be
recognisable: give them the metavar FIL, KATALOG, MAPP or SÖKVÄG (or `type=Path`).
"""

from __future__ import annotations

import argparse
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from lagesbild.access.signin import command_line_user
from lagesbild.domain import codelists, config
from lagesbild.domain.text import match_key
from lagesbild.numbers.query import Filters
from lagesbild.service.channel import ChannelForbidden, answers, socket_for
from lagesbild.store import Store, StoreError, StoreLocked

PATH_METAVARS = frozenset({"FIL", "KATALOG", "MAPP", "SÖKVÄG"})


class ForwardToApp(Exception):  # not an error: "run this in the app instead"
    """The running app holds the database and answers on `socket`: forward the command."""

    def __init__(self, socket: Path, db: Path, pid: int | None) -> None:
        super().__init__(f"forward to the app (pid {pid}) on {socket}")
        self.socket = socket
        self.db = db
        self.pid = pid


_in_app = threading.local()  # set while a forwarded command runs inside the app


@contextmanager
def running_in_app(store: Store, stand_ins: Mapping[str, tuple[str, str]]) -> Iterator[None]:
    """Inside: `open_store` gives `store` (which closing does not close), and `shown_path`
    and `caller_path` name a stand-in path ({stand-in: (as typed, the caller's absolute
    path)}) as the caller knows it (used by lagesbild.cli.forward)."""
    _in_app.store, _in_app.paths = store, dict(stand_ins)
    try:
        yield
    finally:
        _in_app.store = _in_app.paths = None


def in_app() -> bool:
    """Whether this command runs inside the dashboard (forwarded to it)."""
    return getattr(_in_app, "store", None) is not None


def shown_path(path: str | Path) -> str:
    """The path as the user typed it (a forwarded command works on stand-ins)."""
    found = (getattr(_in_app, "paths", None) or {}).get(str(path))
    return found[0] if found else str(path)


def caller_path(path: str | Path) -> str:
    """The absolute path as the user's own process sees it."""
    found = (getattr(_in_app, "paths", None) or {}).get(str(path))
    return found[1] if found else os.path.abspath(path)


def _forward_if_served(db: Path) -> None:
    """Raise ForwardToApp when a running app answers for `db`."""
    sock = socket_for(db)
    try:
        reply = answers(sock)
    except ChannelForbidden:
        raise StoreError(
            f"Dashboarden kör och använder databasen {db}, men du får inte fråga den via "
            f"{sock}. Gå med i tjänstens grupp (t.ex. `sudo adduser $USER lagesbild`, logga "
            "sedan in på nytt) eller kör kommandot som tjänstens användare.") from None
    if reply is not None and reply.get("ok"):
        raise ForwardToApp(sock, db, reply.get("pid"))


def open_store(args: argparse.Namespace) -> Store:
    """The database of `--db` (default $LAGESBILD_DB or data/lagesbild.duckdb).

    Raises ForwardToApp when the running dashboard holds it (see the module text), and
    StoreLocked when another program holds it and does not answer."""
    borrowed = getattr(_in_app, "store", None)
    if borrowed is not None:
        return borrowed.shared()
    db = Path(config.database_path(getattr(args, "db", None))).resolve()
    _forward_if_served(db)
    try:
        return Store.open(db)
    except StoreLocked as exc:
        _forward_if_served(db)  # the app may have started meanwhile
        raise StoreLocked(f"{exc} Inget program svarar på {socket_for(db)}, så kommandot "
                          "kan inte heller be dashboarden göra det.") from None


def user_name(args: argparse.Namespace) -> str:
    """Who runs the command: `--user`, else the login name."""
    return command_line_user(getattr(args, "user", None)).name


def path_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) \
        -> list[argparse.Action]:
    """The arguments of the chosen (sub)command that name files or folders."""
    found: list[argparse.Action] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(getattr(args, action.dest, None) or "")
            if chosen is not None:
                found += path_arguments(chosen, args)
        elif action.dest != "db" and (action.metavar in PATH_METAVARS or action.type is Path):
            found.append(action)
    return found


FILTER_OPTIONS = {  # option -> (Filters field, help)
    "omrade": ("omrade", "områden, kommaseparerade (t.ex. Centrum,Teg)"),
    "form": ("form", "former av extremism, kommaseparerade"),
    "verksamhet": ("verksamhet", "rapporterande verksamheter, kommaseparerade"),
    "rapporttyp": ("rapporttyp", "rapporttyp: Oro och/eller Incident"),
}


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """The sidebar's filters as options (values comma-separated, as in a dashboard link)."""
    for option, (_field, text) in FILTER_OPTIONS.items():
        parser.add_argument(f"--{option}", metavar="VÄRDEN", help=text)


def _values(field: str, raw: str | None) -> tuple[str, ...]:
    """Code-list values for a comma-separated option; ValueError for unknown ones. Values
    are matched as in the dashboard's links (case and diacritics do not matter)."""
    if not raw:
        return ()
    valid = codelists.load().for_field(field).values
    by_key = {match_key(v): v for v in valid}
    chosen: list[str] = []
    unknown: list[str] = []
    for item in (p.strip() for p in raw.split(",")):
        if not item:
            continue
        hit = by_key.get(match_key(item))
        if hit is None:
            unknown.append(item)
        elif hit not in chosen:
            chosen.append(hit)
    if unknown:
        raise ValueError(f"Okänt värde för --{field}: {', '.join(unknown)}. Välj bland: "
                         f"{', '.join(valid)}.")
    return tuple(chosen)


def filters_from_args(args: argparse.Namespace) -> Filters:
    """The period (--from, --to) and the sidebar's filters of a command."""
    return Filters(from_quarter=getattr(args, "from_quarter", None),
                   to_quarter=getattr(args, "to_quarter", None),
                   **{field: _values(field, getattr(args, option, None))
                      for option, (field, _help) in FILTER_OPTIONS.items()})
