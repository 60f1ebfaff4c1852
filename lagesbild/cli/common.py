"""What every command shares: the database it works on and who runs it.

Every command opens the database through `open_store` (one place: this is where a command
learns that the dashboard holds the file, see lagesbild.service) and names its user through
`user_name`.
"""

from __future__ import annotations

import argparse

from lagesbild.access.signin import command_line_user
from lagesbild.domain import config
from lagesbild.store import Store


def open_store(args: argparse.Namespace) -> Store:
    """The database of `--db` (default $LAGESBILD_DB or data/lagesbild.duckdb)."""
    return Store.open(config.database_path(getattr(args, "db", None)))


def user_name(args: argparse.Namespace) -> str:
    """Who runs the command: `--user`, else the login name."""
    return command_line_user(getattr(args, "user", None)).name
