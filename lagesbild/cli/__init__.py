"""Command line: `lagesbild COMMAND …` or `python -m lagesbild COMMAND …`.

Exit codes: 0 success, 1 a file was refused or the database could not be used, 2 usage error.

One module per command group (`intake`, `numbers`, `export`, `admin`, `followup`); each has
`add_commands(subparsers, common_parent, command_decorator)`. While the dashboard runs, a
command that needs the database runs inside it (see lagesbild.cli.common and .forward).
Every command makes the files it creates private to its user (umask 0077).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable

from lagesbild.cli.common import ForwardToApp
from lagesbild.store import StoreError

# Modules with `add_commands(subparsers, common_parent, command_decorator)`.
EXTENSIONS: tuple[str, ...] = (
    "lagesbild.cli.intake", "lagesbild.cli.numbers", "lagesbild.cli.export", "lagesbild.cli.admin",
    "lagesbild.cli.followup", "lagesbild.cli.editions",
)
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str) -> Callable:
    def register(func: Callable[[argparse.Namespace], int]) -> Callable:
        COMMANDS[name] = func
        return func
    return register


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lagesbild", description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="databasfil (standard: $LAGESBILD_DB eller "
                        "data/lagesbild.duckdb)")
    common.add_argument("--user", help="vem som gör ändringen (standard: inloggad användare)")
    sub = parser.add_subparsers(dest="command", required=True)

    for module_name in EXTENSIONS:  # one module per command group
        importlib.import_module(module_name).add_commands(sub, common, command)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the parsed command (here or, forwarded, inside the dashboard)."""
    try:
        return COMMANDS[args.command](args)
    except ValueError as exc:  # bad --by, bad quarter, …
        print(f"Fel: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # the database, its WAL, backups and exports: the user's only
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ForwardToApp as forward:  # the running dashboard holds the database
        from lagesbild.cli.forward import forward_to_app

        return forward_to_app(parser, args, argv, forward)
