"""What every command shares: the database it works on and who runs it.

Every command opens the database through `open_store` (one place: this is where a command
learns that the dashboard holds the file, see lagesbild.service) and names its user through
`user_name`. Commands that select reports take the dashboard's sidebar filters
(`add_filter_options`, `filters_from_args`).
"""

from __future__ import annotations

import argparse

from lagesbild.access.signin import command_line_user
from lagesbild.domain import codelists, config
from lagesbild.domain.text import match_key
from lagesbild.numbers.query import Filters
from lagesbild.store import Store


def open_store(args: argparse.Namespace) -> Store:
    """The database of `--db` (default $LAGESBILD_DB or data/lagesbild.duckdb)."""
    return Store.open(config.database_path(getattr(args, "db", None)))


def user_name(args: argparse.Namespace) -> str:
    """Who runs the command: `--user`, else the login name."""
    return command_line_user(getattr(args, "user", None)).name


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
