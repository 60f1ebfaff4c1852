"""Commands that print numbers: indicators, the quarter's summary and its signals."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from lagesbild.cli.common import add_filter_options, filters_from_args, open_store
from lagesbild.domain import config
from lagesbild.numbers.query import DIMENSIONS
from lagesbild.store import Store

MAX_PROBLEMS_SHOWN = 50


def disclosure_of(args: argparse.Namespace) -> config.Disclosure | None:
    """The preparation group's protected numbers, unless --min-cell 0 asks for exact ones."""
    return None if args.min_cell == 0 else config.settings().disclosure


def cmd_indicators(args: argparse.Namespace) -> int:
    from lagesbild.domain.formatting import table_csv, table_json
    from lagesbild.numbers import indicators
    from lagesbild.numbers.disclosure import NOTE

    by = [b.strip() for b in args.by.split(",") if b.strip()]
    store = open_store(args)
    filters = filters_from_args(args)
    disclosure = disclosure_of(args)
    if args.compare:
        quarter = args.to_quarter or indicators.data_span(store)[1]
        if quarter is None:
            raise ValueError("Det finns inga rapporter att jämföra.")
        groups = [b for b in by if b != "kvartal"]
        table = indicators.change(store, quarter, groups, args.compare, filters, disclosure)
        columns = [*groups, "kvartal", "antal", "jamforelse", "bas", "forandring", "procent",
                   "jamfort_antal", "anmarkning"]
    elif args.measure == "per10k":
        levels = [b for b in by if b in ("omrade", "regso")]
        periods = [b for b in by if b in ("ar", "kvartal")]
        if len(levels) != 1 or len(periods) > 1 or len(by) != len(levels) + len(periods):
            raise ValueError("--measure per10k kräver --by med omrade eller regso, och "
                             "eventuellt ar eller kvartal.")
        from lagesbild.intake.population import ensure_population

        ensure_population(store)
        period = periods[0] if periods else indicators.PERIOD
        table = indicators.rates(store, levels[0], period, filters, disclosure)
        columns = [*by, "antal", "befolkning", "befolkning_ar", "per10k", "befolkning_anm"]
    elif args.measure == "andel":
        table = indicators.shares(store, by, filters, disclosure)
        columns = [*by, "antal", "andel"]
    else:
        table = indicators.counts(store, by, filters, disclosure)
        columns = [*by, "antal"]
    if args.format == "json":
        print(table_json(table if disclosure else table.drop(columns="undertryckt"), columns))
    else:
        sys.stdout.write(table_csv(table, columns))
    if disclosure is not None:
        print(NOTE, file=sys.stderr)
    return 0


def _quarter_view(args: argparse.Namespace) -> tuple[Store, str | None,
                                                     config.Disclosure | None]:
    """The store, the quarter asked for (default the latest with reports; None without
    reports) and the protection (the preparation group's, unless --min-cell 0)."""
    from lagesbild.numbers.indicators import data_span

    store = open_store(args)
    quarter = args.quarter or data_span(store)[1]
    return store, quarter, disclosure_of(args)


def cmd_summary(args: argparse.Namespace) -> int:
    from lagesbild.numbers.summary import summarize

    store, quarter, disclosure = _quarter_view(args)
    if quarter is None:
        print("Det finns inga rapporter ännu.")
        return 0
    sentences = summarize(store, quarter, filters_from_args(args), disclosure)
    if args.json:
        print(json.dumps([{"text": s.text, "typ": s.kind, "underlag": s.figures}
                          for s in sentences], ensure_ascii=False, indent=2, default=str))
    else:
        print("\n".join(s.text for s in sentences))
    return 0


def cmd_signals(args: argparse.Namespace) -> int:
    from lagesbild.domain.formatting import table_csv, table_json
    from lagesbild.numbers.summary import SIGNAL_COLUMNS, signal_table

    store, quarter, disclosure = _quarter_view(args)
    if quarter is None:
        print("Det finns inga rapporter ännu.")
        return 0
    table = signal_table(store, quarter, filters_from_args(args), disclosure)
    if args.format == "json":
        print(table_json(table if disclosure else table.drop(columns="undertryckt"),
                         SIGNAL_COLUMNS))
    else:
        sys.stdout.write(table_csv(table, SIGNAL_COLUMNS))
    return 0


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 command: Callable) -> None:
    """Register these commands on the `lagesbild` parser."""
    command("indicators")(cmd_indicators)
    command("summary")(cmd_summary)
    command("signals")(cmd_signals)

    p = sub.add_parser("indicators", parents=[common], help="antal rapporter per indelning")
    p.add_argument("--by", required=True,
                   help=f"indelningar, kommaseparerade: {', '.join(DIMENSIONS)}")
    p.add_argument("--from", dest="from_quarter", help="första kvartal, t.ex. 2025K1")
    p.add_argument("--to", dest="to_quarter", help="sista kvartal, t.ex. 2026K3")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    add_filter_options(p)
    add_min_cell(p)
    p.add_argument("--measure", choices=["antal", "per10k", "andel"], default="antal",
                   help="antal, per 10 000 invånare (per omrade/regso) eller andel i procent")
    p.add_argument("--compare", choices=["foregaende", "fjol", "snitt4"],
                   help="jämför kvartalet --to (standard: det senaste) med föregående "
                        "kvartal, samma kvartal i fjol eller snittet av fyra kvartal")

    p = sub.add_parser("summary", parents=[common],
                       help="sammanfattning av ett kvartal i klartext")
    p.add_argument("--quarter", help="kvartal, t.ex. 2026K3 (standard: det senaste)")
    add_filter_options(p)
    add_min_cell(p)
    p.add_argument("--json", action="store_true", help="meningarna och underlaget som JSON")

    p = sub.add_parser("signals", parents=[common],
                       help="ovanliga kvartal och varaktiga förändringar, som på sidorna")
    p.add_argument("--quarter", help="kvartal, t.ex. 2026K3 (standard: det senaste)")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    add_filter_options(p)
    add_min_cell(p)


def add_min_cell(p: argparse.ArgumentParser) -> None:
    p.add_argument("--min-cell", type=int, choices=[0], default=None, metavar="0",
                   help="0 = exakta antal (bara för analytiker). Utan den skrivs "
                        "beredningsgruppens skyddade siffror: antal 1..tröskeln-1 som <5, "
                        "dolda som .., övriga med små avvikelser (tröskeln ställs in i "
                        "installningar.toml)")
