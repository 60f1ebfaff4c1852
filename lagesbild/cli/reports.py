"""Commands for the reports: import, batches, rollback, indicators, summary, template, demo."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path

from lagesbild import service as bootstrap
from lagesbild.domain import config
from lagesbild.domain.problems import Problem
from lagesbild.intake.pipeline import CheckedFile, import_file
from lagesbild.numbers.query import DIMENSIONS, Filters, counts
from lagesbild.store import Receipt, Store

MAX_PROBLEMS_SHOWN = 50


def _open(args: argparse.Namespace) -> Store:
    return Store.open(config.database_path(args.db))


def _user(args: argparse.Namespace) -> str:
    return getattr(args, "user", None) or getpass.getuser()


def _describe(checked: CheckedFile, receipt: Receipt | None, dry_run: bool) -> str:
    if not checked.accepted:
        lines = [f"NEKAD  {checked.file_name}: {len(checked.problems)} problem, "
                 "inget har sparats."]
        lines += [f"  - {p.message()}" for p in checked.problems[:MAX_PROBLEMS_SHOWN]]
        if len(checked.problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"  … och {len(checked.problems) - MAX_PROBLEMS_SHOWN} problem till "
                         "(använd --json för hela listan).")
        return "\n".join(lines)
    assert checked.reports is not None  # an accepted file has its reports
    first, last = checked.period
    counts_ = checked.counts
    status = ("REDAN IMPORTERAD" if (receipt and receipt.already_imported)
              or (dry_run and checked.already_imported) else
              "GODKÄND (provkörning, inget sparat)" if dry_run else "IMPORTERAD")
    batch = f" som import {receipt.batch_id}" if receipt and receipt.batch_id else ""
    text = (f"{status}  {checked.file_name}{batch}: {len(checked.reports)} rapporter "
            f"(nya {counts_.get('new', 0)}, ändrade {counts_.get('changed', 0)}, "
            f"oförändrade {counts_.get('unchanged', 0)}, dubbletter {checked.duplicates}), "
            f"period {first}–{last}, verksamheter: {', '.join(checked.partners)}")
    if receipt and receipt.demo_removed:
        text += "\n  Demodata fanns i databasen och har tagits bort."
    return text


def _as_json(checked: CheckedFile, receipt: Receipt | None) -> dict[str, object]:
    first, last = checked.period
    return {
        "fil": checked.file_name, "sha256": checked.sha256, "godkand": checked.accepted,
        "redan_importerad": bool(receipt and receipt.already_imported)
        or checked.already_imported,
        "batch_id": receipt.batch_id if receipt else None,
        "rapporter": len(checked.reports) if checked.reports is not None else 0,
        "nya": checked.counts.get("new", 0), "andrade": checked.counts.get("changed", 0),
        "oforandrade": checked.counts.get("unchanged", 0), "dubbletter": checked.duplicates,
        "fran": first.isoformat() if first else None, "till": last.isoformat() if last else None,
        "problem": [p.as_dict() for p in checked.problems],
    }


def cmd_import(args: argparse.Namespace) -> int:
    store = _open(args)
    limits = config.settings().cli_limits
    results: list[dict[str, object]] = []
    lines: list[str] = []
    all_ok = True
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            missing = Problem(path.name, "Filen finns inte", f"Kontrollera sökvägen {path}.")
            checked = CheckedFile(path.name, "", [missing])
            receipt = None
        else:
            checked, receipt = import_file(path, path.name, store, limits, _user(args),
                                           dry_run=args.dry_run)
        all_ok &= checked.accepted
        if args.json:
            results.append(_as_json(checked, receipt))
        else:
            lines.append(_describe(checked, receipt, args.dry_run))
    print(json.dumps(results, ensure_ascii=False, indent=2) if args.json else "\n".join(lines))
    return 0 if all_ok else 1


def cmd_batches(args: argparse.Namespace) -> int:
    rows = _open(args).batches()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return 0
    if not rows:
        print("Inga importer ännu.")
    for b in rows:
        state = f"ÅTERSTÄLLD {b['rolled_back_at']:%Y-%m-%d %H:%M}" if b["rolled_back_at"] else ""
        demo = " [demodata]" if b["is_demo"] else ""
        print(f"{b['batch_id']:>5}  {b['imported_at']:%Y-%m-%d %H:%M}  {b['kind']:<10} "
              f"{b['file_name']}{demo}  rader {b['rows_total']} (nya {b['rows_new']}, "
              f"ändrade {b['rows_changed']})  av {b['imported_by']}  {state}")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    store = _open(args)
    affected = store.rollback(args.batch_id, _user(args))
    store.audit(_user(args), "återställning", "ok", target=f"batch {args.batch_id}",
                details=f"{affected} rapporter påverkade")
    print(f"Import {args.batch_id} är återställd; {affected} rapporter har fått tillbaka "
          "sitt tidigare innehåll eller tagits bort.")
    return 0


def cmd_indicators(args: argparse.Namespace) -> int:
    from lagesbild.domain.formatting import table_csv, table_json
    from lagesbild.numbers import indicators
    from lagesbild.numbers.disclosure import protect

    by = [b.strip() for b in args.by.split(",") if b.strip()]
    store = _open(args)
    filters = Filters(args.from_quarter, args.to_quarter)
    rule = config.settings().disclosure
    min_cell = rule.threshold if args.min_cell is None else args.min_cell
    if min_cell < 0:
        raise ValueError("--min-cell ska vara 0 (exakta antal) eller större.")
    disclosure = None if min_cell == 0 else config.Disclosure(min_cell, rule.rounding)
    if args.compare:
        quarter = args.to_quarter or indicators.data_span(store)[1]
        if quarter is None:
            raise ValueError("Det finns inga rapporter att jämföra.")
        groups = [b for b in by if b != "kvartal"]
        table = indicators.change(store, quarter, groups, args.compare, filters, disclosure)
        columns = [*groups, "kvartal", "antal", "jamforelse", "bas", "forandring", "procent",
                   "p_varde", "signifikant"]
    elif args.measure == "per10k":
        levels = [b for b in by if b in ("omrade", "regso")]
        periods = [b for b in by if b in ("ar", "kvartal")]
        if len(levels) != 1 or len(periods) > 1 or len(by) != len(levels) + len(periods):
            raise ValueError("--measure per10k kräver --by med omrade eller regso, och "
                             "eventuellt ar eller kvartal.")
        from lagesbild.intake.population import ensure_population

        ensure_population(store)
        period = periods[0] if periods else "ar"
        table = indicators.rates(store, levels[0], period, filters, disclosure)
        columns = [levels[0], period, "antal", "befolkning", "befolkning_ar", "per10k",
                   "befolkning_anm"]
    elif args.measure == "andel":
        table = indicators.shares(store, by, filters, disclosure)
        columns = [*by, "antal", "andel"]
    else:
        table = protect(counts(store, by, filters), disclosure, known_total=True)
        columns = [*by, "antal"]
    if args.format == "json":
        print(table_json(table if disclosure else table.drop(columns="undertryckt"), columns))
    else:
        sys.stdout.write(table_csv(table, columns))
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from lagesbild.numbers.indicators import data_span
    from lagesbild.numbers.summary import summarize

    store = _open(args)
    quarter = args.quarter or data_span(store)[1]
    if quarter is None:
        print("Det finns inga rapporter ännu.")
        return 0
    rule = config.settings().disclosure
    min_cell = rule.threshold if args.min_cell is None else args.min_cell
    disclosure = None if min_cell == 0 else config.Disclosure(min_cell, rule.rounding)
    sentences = summarize(store, quarter, Filters(), disclosure)
    if args.json:
        print(json.dumps([{"text": s.text, "typ": s.kind, "underlag": s.figures}
                          for s in sentences], ensure_ascii=False, indent=2, default=str))
    else:
        print("\n".join(s.text for s in sentences))
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from lagesbild.intake.template import write_template

    write_template(args.out)
    print(f"Mallen är sparad i {args.out}.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    store = _open(args)
    if args.remove:
        removed = bootstrap.remove_demo(store, _user(args))
        print(f"Demodata borttagna ({removed} import)." if removed else "Inga demodata fanns.")
        return 0
    try:
        receipt = bootstrap.seed_demo(store)
    except bootstrap.RealDataPresent as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Syntetiska demodata inlästa: {receipt.rows_total} rapporter "
          f"{receipt.period_from}–{receipt.period_to}. Ta bort med `lagesbild demo --remove`.")
    return 0


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 command: Callable) -> None:
    """Register the report commands on the `lagesbild` parser."""
    command("import")(cmd_import)
    command("batches")(cmd_batches)
    command("rollback")(cmd_rollback)
    command("indicators")(cmd_indicators)
    command("summary")(cmd_summary)
    command("template")(cmd_template)
    command("demo")(cmd_demo)

    p = sub.add_parser("import", parents=[common], help="importera kalkylark med rapporter")
    p.add_argument("files", nargs="+", metavar="FIL")
    p.add_argument("--dry-run", action="store_true", help="kontrollera utan att spara")
    p.add_argument("--json", action="store_true", help="resultat som JSON")

    p = sub.add_parser("batches", parents=[common], help="lista importer")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("rollback", parents=[common], help="återställ en import")
    p.add_argument("batch_id", type=int, metavar="BATCH_ID")

    p = sub.add_parser("indicators", parents=[common], help="antal rapporter per indelning")
    p.add_argument("--by", required=True,
                   help=f"indelningar, kommaseparerade: {', '.join(DIMENSIONS)}")
    p.add_argument("--from", dest="from_quarter", help="första kvartal, t.ex. 2025K1")
    p.add_argument("--to", dest="to_quarter", help="sista kvartal, t.ex. 2026K3")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--min-cell", type=int, default=None, metavar="N",
                   help="dölj antal 1..N-1 (standard: tröskeln i installningar.toml; "
                        "0 = exakta antal, bara för analytiker)")
    p.add_argument("--measure", choices=["antal", "per10k", "andel"], default="antal",
                   help="antal, per 10 000 invånare (per omrade/regso) eller andel i procent")
    p.add_argument("--compare", choices=["foregaende", "fjol", "snitt4"],
                   help="jämför kvartalet --to (standard: det senaste) med föregående "
                        "kvartal, samma kvartal i fjol eller snittet av fyra kvartal")

    p = sub.add_parser("summary", parents=[common],
                       help="sammanfattning av ett kvartal i klartext")
    p.add_argument("--quarter", help="kvartal, t.ex. 2026K3 (standard: det senaste)")
    p.add_argument("--min-cell", type=int, default=None, metavar="N",
                   help="dölj antal 1..N-1 (standard: tröskeln; 0 = exakta antal)")
    p.add_argument("--json", action="store_true", help="meningarna och underlaget som JSON")

    p = sub.add_parser("template", help="skriv Excelmallen som partner fyller i")
    p.add_argument("--out", required=True, metavar="FIL")

    p = sub.add_parser("demo", parents=[common], help="läs in eller ta bort syntetiska demodata")
    p.add_argument("--remove", action="store_true", help="ta bort demodata")
