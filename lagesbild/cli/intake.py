"""Commands that bring data in: import (files, or --nil), partner, batches, rollback, template,
demo.

    lagesbild import FIL … [--partner NAMN] [--replace] [--confirm-changes] [--dry-run] [--json]
    lagesbild import --nil --partner NAMN --quarter 2026K3
    lagesbild partner add NAMN --sector VERKSAMHET [--numbering löpande|per-år|per-kvartal]
    lagesbild partner list
    lagesbild partner reassign BATCH_ID NAMN

Exit codes: 0 every file accepted; 1 a file refused, or changes left unconfirmed; 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from lagesbild import service as bootstrap
from lagesbild.cli.common import open_store, user_name
from lagesbild.domain import config
from lagesbild.domain.problems import Problem
from lagesbild.intake import history
from lagesbild.intake.pipeline import CheckedFile, import_file, problems_text
from lagesbild.intake.privacy import masked_name
from lagesbild.store import Receipt
from lagesbild.store.schema import NUMBERINGS

MAX_PROBLEMS_SHOWN = 50
MAX_CHANGES_SHOWN = 20


def _describe(checked: CheckedFile, receipt: Receipt | None, dry_run: bool,
              confirmed: bool) -> str:
    if not checked.accepted:
        lines = [f"NEKAD  {checked.file_name}: {len(checked.problems)} problem, "
                 "inget har sparats."]
        lines += problems_text(checked.problems, MAX_PROBLEMS_SHOWN)
        return "\n".join(lines)
    assert checked.reports is not None  # an accepted file has its reports
    first, last = checked.period
    counts_ = checked.counts
    waiting = checked.needs_confirmation and not confirmed
    status = ("REDAN IMPORTERAD" if (receipt and receipt.already_imported)
              or (dry_run and checked.already_imported) else
              "VÄNTAR PÅ BEKRÄFTELSE (inget sparat)" if waiting else
              "GODKÄND (provkörning, inget sparat)" if dry_run else "IMPORTERAD")
    batch = f" som import {receipt.batch_id}" if receipt and receipt.batch_id else ""
    withdrawn = counts_.get("withdrawn", 0)
    text = (f"{status}  {checked.file_name}{batch}: {len(checked.reports)} rapporter "
            f"(nya {counts_.get('new', 0)}, ändrade {counts_.get('changed', 0)}, "
            f"oförändrade {counts_.get('unchanged', 0)}, dubbletter {checked.duplicates}"
            + (f", återkallade {withdrawn}" if checked.replace else "")
            + f"), period {first}–{last}, partner: {', '.join(checked.partners)}")
    lines = [text]
    if checked.hidden_rows:
        lines.append(f"  {checked.hidden_rows} " + ("rad är dold" if checked.hidden_rows == 1
                                                     else "rader är dolda")
                     + " i filen (t.ex. av ett filter) och räknas med.")
    if checked.sheets_read and len(checked.sheets_read) > 1:
        lines.append(f"  Lästa blad: {', '.join(checked.sheets_read)}.")
    if checked.sheets_not_read:
        lines.append("  Blad som inte lästes: " + "; ".join(
            f"{name} ({why})" for name, why in checked.sheets_not_read) + ".")
    if waiting:
        lines.append(f"  {checked.warning()} Kör igen med --confirm-changes för att spara.")
    if checked.changes and (waiting or dry_run):
        lines += [f"  ändras: {c.as_dict().get('partner', '')} {c.as_dict().get('rapport_id', '')}"
                  f" {c.field}: {c.old!r} → {c.new!r}" for c in checked.changes[:MAX_CHANGES_SHOWN]]
        if len(checked.changes) > MAX_CHANGES_SHOWN:
            lines.append(f"  … och {len(checked.changes) - MAX_CHANGES_SHOWN} ändringar till "
                         "(använd --json för hela listan).")
    if receipt and receipt.demo_removed:
        lines.append("  Demodata fanns i databasen och har tagits bort.")
    return "\n".join(lines)


def _as_json(checked: CheckedFile, receipt: Receipt | None, confirmed: bool = False) \
        -> dict[str, object]:
    first, last = checked.period
    return {
        "fil": checked.file_name, "sha256": checked.sha256, "godkand": checked.accepted,
        "redan_importerad": bool(receipt and receipt.already_imported)
        or checked.already_imported,
        "batch_id": receipt.batch_id if receipt else None,
        "partner": checked.partners,
        "rapporter": len(checked.reports) if checked.reports is not None else 0,
        "nya": checked.counts.get("new", 0), "andrade": checked.counts.get("changed", 0),
        "oforandrade": checked.counts.get("unchanged", 0), "dubbletter": checked.duplicates,
        "aterkallade": checked.counts.get("withdrawn", 0),
        "dolda_rader": checked.hidden_rows,
        "blad": checked.sheets_read,
        "blad_som_inte_lastes": [{"blad": n, "varfor": w} for n, w in checked.sheets_not_read],
        "fran": first.isoformat() if first else None, "till": last.isoformat() if last else None,
        "behover_bekraftelse": checked.needs_confirmation,
        "bekraftad": confirmed and checked.needs_confirmation,
        "varning": checked.warning(),
        "flyttas_till_annat_kvartal": checked.moved,
        "andringar": [{"partner": dict(c.key).get("partner", ""),
                       "rapport_id": dict(c.key).get("rapport_id", ""),
                       "falt": c.field, "fran": c.old, "till": c.new} for c in checked.changes],
        "problem": [p.as_dict() for p in checked.problems],
    }


def _usage(text: str) -> NoReturn:
    print(f"Fel: {text}", file=sys.stderr)
    raise SystemExit(2)


def cmd_import(args: argparse.Namespace) -> int:
    if args.nil:
        if args.files or not args.partner or not args.quarter:
            _usage("--nil registrerar en leverans utan rapporter och tar ingen fil: ange "
                   "--partner NAMN och --quarter KVARTAL (t.ex. 2026K3).")
        return _import_nil(args)
    if not args.files:
        _usage("ange minst en fil (lagesbild import FIL …), eller --nil --partner NAMN "
               "--quarter KVARTAL för ett kvartal utan rapporter.")
    if args.quarter:
        _usage("--quarter gäller bara --nil.")
    store = open_store(args)
    limits = config.settings().cli_limits
    results: list[dict[str, object]] = []
    lines: list[str] = []
    all_ok = True
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            shown = masked_name(path.name)
            missing = Problem(shown, "Filen finns inte",
                              "Kontrollera sökvägen." if shown != path.name
                              else f"Kontrollera sökvägen {path}.")
            checked = CheckedFile(shown, "", [missing])
            receipt = None
        else:
            checked, receipt = import_file(path, path.name, store, limits, user_name(args),
                                           dry_run=args.dry_run, partner=args.partner,
                                           replace=args.replace,
                                           confirmed=args.confirm_changes)
        waiting = checked.needs_confirmation and not args.confirm_changes
        all_ok &= checked.accepted and not waiting
        if args.json:
            results.append(_as_json(checked, receipt, args.confirm_changes))
        else:
            lines.append(_describe(checked, receipt, args.dry_run, args.confirm_changes))
    print(json.dumps(results, ensure_ascii=False, indent=2) if args.json else "\n".join(lines))
    return 0 if all_ok else 1


def _import_nil(args: argparse.Namespace) -> int:
    from lagesbild.intake.deliveries import register_nil

    store = open_store(args)
    checked, receipt = register_nil(store, args.partner, args.quarter, user_name(args))
    if args.json:
        print(json.dumps([{"partner": args.partner, "kvartal": args.quarter,
                           "godkand": checked.accepted,
                           "batch_id": receipt.batch_id if receipt else None,
                           "problem": [p.as_dict() for p in checked.problems]}],
                         ensure_ascii=False, indent=2))
    elif not checked.accepted:
        print(f"NEKAD  inga rapporter {args.partner} {args.quarter}: "
              f"{len(checked.problems)} problem, inget har sparats.")
        print("\n".join(problems_text(checked.problems, MAX_PROBLEMS_SHOWN)))
    elif receipt is not None and receipt.batch_id is None:
        print(f"REDAN REGISTRERAD  {args.partner} har inga rapporter {args.quarter}.")
    else:
        assert receipt is not None and checked.rows is not None
        partner, quarter = checked.rows.column("partner")[0], checked.rows.column("kvartal")[0]
        print(f"REGISTRERAD  {partner} har inga rapporter {quarter} (import "
              f"{receipt.batch_id}); täckningen visar kvartalet som levererat, 0 rapporter.")
    return 0 if checked.accepted else 1


def cmd_partner(args: argparse.Namespace) -> int:
    from lagesbild.intake import partners
    from lagesbild.intake.partners_edit import save_partner

    store = open_store(args)
    if args.partner_command == "list":
        register = partners.register(store)
        if args.json:
            print(json.dumps([p.__dict__ for p in register], ensure_ascii=False, indent=2))
            return 0
        for p in register:
            extra = f", efterträder {p.predecessor}" if p.predecessor else ""
            print(f"{p.name:<34} {p.sector:<24} {p.numbering:<12} {p.period()}{extra}")
        return 0
    if args.partner_command == "reassign":
        try:
            moved = partners.reassign(store, args.batch_id, args.name, user_name(args))
        except ValueError as exc:
            print(f"Fel: {exc}", file=sys.stderr)
            return 1
        store.audit(user_name(args), "partner ändrad för import", "ok",
                    target=f"batch {args.batch_id}",
                    details=f"till {args.name}: batch {moved.batch_id}")
        print(f"Import {args.batch_id} tillhör nu {args.name} (som import {moved.batch_id}, "
              f"{moved.rows_total} rapporter). Ångra med `lagesbild rollback "
              f"{moved.batch_id}`.")
        return 0
    checked, receipt = save_partner(store, args.name, args.sector, args.numbering,
                                    args.active_from, args.active_to, args.predecessor,
                                    user_name(args))
    if receipt is None:
        print(f"NEKAD  partnern {masked_name(args.name)}: {len(checked.problems)} problem, "
              "inget har sparats.")
        print("\n".join(problems_text(checked.problems, MAX_PROBLEMS_SHOWN)))
        return 1
    if receipt.batch_id is None:
        print(f"Partnern {args.name} finns redan med de uppgifterna; inget ändrades.")
        return 0
    verb = "ändrad" if receipt.rows_changed else "tillagd"
    print(f"Partnern {args.name} är {verb} (import {receipt.batch_id}).")
    return 0


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
                details=f"{affected} rader påverkade")
    print(f"Import {args.batch_id} är återställd; {affected} rader har fått tillbaka "
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
    command("partner")(cmd_partner)

    p = sub.add_parser("import", parents=[common], help="importera kalkylark med rapporter")
    p.add_argument("files", nargs="*", metavar="FIL")
    p.add_argument("--partner", metavar="NAMN",
                   help="partnern som har skickat filen (se `lagesbild partner list`)")
    p.add_argument("--replace", action="store_true",
                   help="filen är partnerns fullständiga leverans för kvartalen den omfattar: "
                        "rapporter som saknas i filen återkallas")
    p.add_argument("--confirm-changes", action="store_true",
                   help="bekräfta att befintliga rapporter får ändras")
    p.add_argument("--dry-run", action="store_true", help="kontrollera utan att spara")
    p.add_argument("--json", action="store_true", help="resultat som JSON")
    p.add_argument("--nil", action="store_true",
                   help="inga rapporter: registrera en leverans utan rapporter (utan fil)")
    p.add_argument("--quarter", metavar="KVARTAL", help="kvartalet för --nil, t.ex. 2026K3")

    p = sub.add_parser("partner", help="partnerregistret")
    partner_sub = p.add_subparsers(dest="partner_command", required=True)
    q = partner_sub.add_parser("add", parents=[common],
                               help="lägg till eller ändra en partner (en organisation)")
    q.add_argument("name", metavar="NAMN")
    q.add_argument("--sector", required=True, metavar="VERKSAMHET",
                   help="partnerns verksamhet, t.ex. Grundskola")
    q.add_argument("--numbering", default="löpande", choices=list(NUMBERINGS),
                   help="när partnerns numrering av rapporter börjar om (standard: löpande)")
    q.add_argument("--from", dest="active_from", metavar="KVARTAL",
                   help="första kvartal partnern rapporterar för")
    q.add_argument("--to", dest="active_to", metavar="KVARTAL",
                   help="sista kvartal partnern rapporterar för")
    q.add_argument("--predecessor", metavar="NAMN",
                   help="partnern som den här tar över efter (täckningen ser ingen lucka)")
    q = partner_sub.add_parser("list", parents=[common], help="lista partnerregistret")
    q.add_argument("--json", action="store_true")
    q = partner_sub.add_parser("reassign", parents=[common],
                               help="ge en tidigare import till en annan partner")
    q.add_argument("batch_id", type=int, metavar="BATCH_ID")
    q.add_argument("name", metavar="NAMN")

    p = sub.add_parser("batches", parents=[common], help="lista importer")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("rollback", parents=[common], help="återställ en import")
    p.add_argument("batch_id", type=int, metavar="BATCH_ID")

    p = sub.add_parser("template", help="skriv Excelmallen som partner fyller i")
    p.add_argument("--out", required=True, metavar="FIL")

    p = sub.add_parser("demo", parents=[common], help="läs in eller ta bort syntetiska demodata")
    p.add_argument("--remove", action="store_true", help="ta bort demodata")
