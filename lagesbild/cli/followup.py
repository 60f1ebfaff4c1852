"""Command-line commands of the follow-up (a `lagesbild.cli` extension module).

    lagesbild utbildningar FIL …      import trainings files (like `lagesbild import`)
    lagesbild aktivitetsplan FIL …    import activity-plan files
    lagesbild uppfoljningsmallar --out MAPP   write both Excel templates
    lagesbild omvarld [--from 2025K1] [--to 2026K3]   list the context events
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from lagesbild.cli.common import open_store, user_name
from lagesbild.domain import config
from lagesbild.domain.contracts import ACTIVITY, TRAINING, contract
from lagesbild.domain.problems import Problem
from lagesbild.intake.followup.imports import CheckedFollowup, describe, import_followup_file

MAX_PROBLEMS_SHOWN = 50




def _import(kind: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        store = open_store(args)
        limits = config.settings().cli_limits
        all_ok = True
        records: list[dict[str, object]] = []
        out: list[str] = []
        for name in args.files:
            path = Path(name)
            if not path.is_file():
                checked = CheckedFollowup(path.name, "", [Problem(
                    path.name, "Filen finns inte", f"Kontrollera sökvägen {path}.")], kind=kind)
                receipt = None
            else:
                checked, receipt = import_followup_file(kind, path, path.name, store, limits,
                                                        user_name(args), dry_run=args.dry_run)
            all_ok &= checked.accepted
            if args.json:
                records.append({"fil": checked.file_name, "godkand": checked.accepted,
                                "batch_id": receipt.batch_id if receipt else None,
                                "redan_importerad": checked.already_imported,
                                "problem": [p.as_dict() for p in checked.problems]})
                continue
            out.append(("NEKAD  " if not checked.accepted else "")
                       + describe(checked, receipt)
                       + (" (provkörning, inget sparat)" if args.dry_run and checked.accepted
                          else ""))
            out += [f"  - {p.message()}" for p in checked.problems[:MAX_PROBLEMS_SHOWN]]
        print(json.dumps(records, ensure_ascii=False, indent=2) if args.json else "\n".join(out))
        return 0 if all_ok else 1
    return run


def _templates(args: argparse.Namespace) -> int:
    from lagesbild.intake.followup.templates import template_bytes

    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    for kind in (TRAINING, ACTIVITY):
        target = folder / contract(kind).template_name
        target.write_bytes(template_bytes(kind))
        print(f"Mallen för {contract(kind).title} är sparad i {target}.")
    return 0


def _events(args: argparse.Namespace) -> int:
    from lagesbild.numbers.events import events_for_period

    events = events_for_period(open_store(args), args.from_quarter, args.to_quarter)
    if not events:
        print("Inga omvärldshändelser.")
    for day, category, title in events:
        print(f"{day.isoformat()}  {category:<34} {title}")
    return 0


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 command: Callable) -> None:
    """Register this module's commands on the `lagesbild` parser."""
    for name, kind, text in (("utbildningar", TRAINING, "importera kalkylark med "
                                                        "utbildningsinsatser"),
                             ("aktivitetsplan", ACTIVITY, "importera aktivitetsplanen")):
        p = sub.add_parser(name, parents=[common], help=text)
        p.add_argument("files", nargs="+", metavar="FIL")
        p.add_argument("--dry-run", action="store_true", help="kontrollera utan att spara")
        p.add_argument("--json", action="store_true", help="resultat som JSON")
        command(name)(_import(kind))
    p = sub.add_parser("uppfoljningsmallar",
                       help="skriv Excelmallarna för utbildningsinsatser och aktivitetsplan")
    p.add_argument("--out", required=True, metavar="MAPP")
    command("uppfoljningsmallar")(_templates)
    p = sub.add_parser("omvarld", parents=[common], help="lista omvärldshändelser")
    p.add_argument("--from", dest="from_quarter", help="första kvartal, t.ex. 2025K1")
    p.add_argument("--to", dest="to_quarter", help="sista kvartal, t.ex. 2026K3")
    command("omvarld")(_events)
