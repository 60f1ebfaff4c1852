"""Commands that bring data in: import, batches, rollback, template, demo."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from lagesbild import service as bootstrap
from lagesbild.cli.common import open_store, user_name
from lagesbild.domain import config
from lagesbild.domain.problems import Problem
from lagesbild.intake import history
from lagesbild.intake.pipeline import CheckedFile, import_file
from lagesbild.store import Receipt

MAX_PROBLEMS_SHOWN = 50





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
    store = open_store(args)
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
            checked, receipt = import_file(path, path.name, store, limits, user_name(args),
                                           dry_run=args.dry_run)
        all_ok &= checked.accepted
        if args.json:
            results.append(_as_json(checked, receipt))
        else:
            lines.append(_describe(checked, receipt, args.dry_run))
    print(json.dumps(results, ensure_ascii=False, indent=2) if args.json else "\n".join(lines))
    return 0 if all_ok else 1


def cmd_batches(args: argparse.Namespace) -> int:
    store = open_store(args)
    if args.json:
        print(json.dumps(store.batches(), ensure_ascii=False, indent=2, default=str))
        return 0
    table = history.import_history(store)
    if table.empty:
        print("Inga importer ännu.")
    for row in table.to_dict("records"):
        print(f"{row['Import']:>5}  {row['Importerad']}  {row['Typ']:<12} {row['Fil']}  "
              f"rader {row['Rader']} (nya {row['Nya']}, ändrade {row['Ändrade']})  "
              f"av {row['Av']}  {row['Status']}")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    store = open_store(args)
    affected = store.rollback(args.batch_id, user_name(args))
    store.audit(user_name(args), "återställning", "ok", target=f"batch {args.batch_id}",
                details=f"{affected} rapporter påverkade")
    print(f"Import {args.batch_id} är återställd; {affected} rapporter har fått tillbaka "
          "sitt tidigare innehåll eller tagits bort.")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from lagesbild.intake.template import write_template

    write_template(args.out)
    print(f"Mallen är sparad i {args.out}.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    store = open_store(args)
    if args.remove:
        removed = bootstrap.remove_demo(store, user_name(args))
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
    """Register these commands on the `lagesbild` parser."""
    command("import")(cmd_import)
    command("batches")(cmd_batches)
    command("rollback")(cmd_rollback)
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

    p = sub.add_parser("template", help="skriv Excelmallen som partner fyller i")
    p.add_argument("--out", required=True, metavar="FIL")

    p = sub.add_parser("demo", parents=[common], help="läs in eller ta bort syntetiska demodata")
    p.add_argument("--remove", action="store_true", help="ta bort demodata")
