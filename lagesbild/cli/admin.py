"""Command-line commands for administration: local accounts, backup and restore, audit log.

    lagesbild user add NAMN --role analytiker|beredningsgrupp|godkannare [--password-stdin]
    lagesbild user password NAMN [--password-stdin]
    lagesbild user role NAMN --role ROLL
    lagesbild user lock NAMN   # spärra (kan inte logga in; öppna sessioner avslutas)
    lagesbild user unlock NAMN
    lagesbild user list
    lagesbild user remove NAMN
    lagesbild backup KATALOG   # also while the dashboard runs (it writes the backup then)
    lagesbild restore KATALOG [--db FIL] [--force] [--files]   # not while it runs
    lagesbild health [--json]  # database, latest backup, schema version, disk; exit 1: problem
    lagesbild audit [--since 2026-01-01] [--actor NAMN] [--action import] [--outcome nekad]
    lagesbild address          # the value for `streamlit run app.py --server.address …`:
                               # 127.0.0.1, with sign-in $LAGESBILD_ADDRESS when it is set
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from lagesbild.access import signin
from lagesbild.cli.common import caller_path, in_app, open_store, user_name
from lagesbild.domain import config
from lagesbild.service import operations
from lagesbild.service.channel import ChannelForbidden, answers, socket_for
from lagesbild.store import Store, StoreError


def _read_password(args: argparse.Namespace) -> str:
    """From standard input (one line) with --password-stdin, else asked for twice."""
    if args.password_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    first = getpass.getpass("Lösenord: ")
    if getpass.getpass("Samma lösenord igen: ") != first:
        raise ValueError("Lösenorden var inte likadana. Försök igen.")
    return first


def _log_account_change(args: argparse.Namespace, action: str, name: str,
                        details: str | None = None) -> None:
    """Log a change of an account in the audit log when the database is available."""
    from lagesbild.store import audit

    path = config.database_path(args.db)
    if not path.exists():
        return
    try:
        store = Store.open(path)
    except StoreError:
        print("Obs: ändringen kunde inte skrivas i granskningsloggen eftersom databasen inte "
              "gick att öppna (dashboarden är kanske igång).", file=sys.stderr)
        return
    try:
        audit.log(store, user_name(args), action, audit.OK, name, details)
    finally:
        store.close()


def cmd_user(args: argparse.Namespace) -> int:
    from lagesbild.access import accounts

    path = accounts.accounts_path(args.accounts)
    try:
        if args.user_command == "add":
            account = accounts.add_user(path, args.name, args.role, _read_password(args))
            _log_account_change(args, "konto skapat", account.name, f"roll {account.role}")
            print(f"Kontot {account.name} ({account.role}) är skapat i {path}.")
        elif args.user_command == "password":
            account = accounts.set_password(path, args.name, _read_password(args))
            _log_account_change(args, "lösenord bytt", account.name)
            print(f"Kontot {account.name} har fått ett nytt lösenord.")
        elif args.user_command == "role":
            account = accounts.set_role(path, args.name, args.role)
            _log_account_change(args, "roll ändrad", account.name, f"roll {account.role}")
            print(f"Kontot {account.name} har nu rollen {account.role}.")
        elif args.user_command in ("lock", "unlock"):
            locked = args.user_command == "lock"
            account = accounts.set_locked(path, args.name, locked)
            _log_account_change(args, "konto spärrat" if locked else "konto öppnat",
                                account.name)
            print(f"Kontot {account.name} är {'spärrat' if locked else 'öppnat igen'}.")
        elif args.user_command == "remove":
            account = accounts.remove_user(path, args.name)
            _log_account_change(args, "konto borttaget", account.name)
            print(f"Kontot {account.name} är borttaget.")
        else:
            users = accounts.list_users(path)
            if args.json:
                print(json.dumps([{"namn": u.name, "roll": u.role, "skapad": u.created_at,
                                   "andrad": u.changed_at, "sparrad": u.locked}
                                  for u in users],
                                 ensure_ascii=False, indent=2))
            elif not users:
                print(f"Inga lokala konton i {path}.")
            for u in users if not args.json else ():
                print(f"{u.name:<32} {u.role:<16} skapad {u.created_at[:10]}"
                      + ("  SPÄRRAT" if u.locked else ""))
    except accounts.AccountError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        manifest = operations.make_backup(store, args.directory, by=user_name(args),
                                          shown_as=caller_path(args.directory))
    finally:
        store.close()
    tables = manifest["tables"]
    extra = len(manifest.get("extra_files", {}))
    print(f"Säkerhetskopian är sparad och kontrollerad i {args.directory}: {len(tables)} "
          f"tabeller, {tables.get('reports', {}).get('rows', 0)} rapporter, {extra} filer "
          f"utanför databasen, schemaversion {manifest['schema_version']}. Återställ med "
          f"`lagesbild restore {args.directory} --db FIL` (med --files även konton, "
          "inställningar och kodlistor).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from lagesbild.cli.forward import REFUSED
    from lagesbild.store.backup import restore, restore_files

    db = config.database_path(args.db)
    try:
        running = answers(socket_for(db))
    except ChannelForbidden:  # it runs; this user may not ask it anything
        running = {"pid": "?"}
    if running is not None:
        print(f"Fel: Dashboarden kör (process {running.get('pid')}) och använder {db}. "
              f"{REFUSED['restore']}", file=sys.stderr)
        return 1
    result = restore(args.directory, db, force=args.force, by=user_name(args))
    print(f"Databasen {result.path} är återställd från {args.directory} "
          f"({result.tables.get('reports', 0)} rapporter, schemaversion "
          f"{result.schema_version}).")
    if result.moved_aside is not None:
        what = "skadade" if result.previous_state == "skadad" else "tidigare"
        print(f"Den {what} databasfilen ligger kvar som {result.moved_aside}.")
    if args.files:
        kept = False
        for path, outcome in restore_files(args.directory, operations.extra_files(),
                                           force=args.force).items():
            print(f"  {outcome:<17} {path}")
            kept |= outcome.startswith("behölls")
        if kept:
            print("Filer som har ändrats sedan säkerhetskopian behölls; ersätt dem med "
                  "--force (de nuvarande sparas bredvid som .ersatt-<tid>).")
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    from lagesbild.service import runtime

    db = config.database_path(args.db)
    store, problem = None, None
    if not in_app() and not db.exists():
        problem = f"Databasfilen {db} finns inte."
    else:
        try:
            store = open_store(args)  # forwarded to the dashboard when it runs
        except StoreError as exc:
            problem = str(exc)
    try:
        report = operations.health(store, store.path if store and store.path else db)
    finally:
        if store is not None:
            store.close()
    problems = ([problem] if problem else []) + list(report.problems)
    served = runtime.current()
    answered = (f"dashboarden (process {os.getpid()})" if in_app()
                else "databasfilen (ingen dashboard kör)" if store is not None
                else "ingen")
    if args.json:
        body = {**report.as_dict(), "ok": not problems, "problem": problems,
                "svarar": "dashboarden" if in_app() else "databasfilen" if store else None,
                "pid": os.getpid() if in_app() else None,
                "nasta_schemalagda": (served.scheduler.next_run.isoformat()
                                      if served and served.scheduler.next_run else None)}
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return 0 if not problems else 1
    latest = report.backups.latest_ok
    lines = [f"Lägesbild: {'ok' if not problems else 'PROBLEM'}",
             f"Svarar:          {answered}",
             f"Databas:         {report.database}"
             + (f", {report.reports} rapporter" if report.reports is not None else ""),
             f"Schemaversion:   {report.schema_version} (programmet: "
             f"{operations.LATEST_VERSION})",
             "Säkerhetskopia:  " + (f"{operations.shown_time(latest.when)} ({latest.kind}, "
                                    f"kontrollerad)" if latest else "ingen"),
             f"Ledigt utrymme:  {report.disk_free / 2**30:.1f} GB"]
    if served is not None and served.scheduler.next_run is not None:
        lines.append("Nästa schemalagda: "
                     f"{operations.shown_time(served.scheduler.next_run)}")
    lines += [f"  - {p}" for p in problems]
    print("\n".join(lines))
    return 0 if not problems else 1


def cmd_audit(args: argparse.Namespace) -> int:
    from lagesbild.store import audit

    since = dt.date.fromisoformat(args.since) if args.since else None
    frame = audit.shown(audit.entries(open_store(args), since=since, actor=args.actor,
                                      action=args.action, outcome=args.outcome,
                                      limit=args.limit))
    if args.json:
        print(frame.to_json(orient="records", force_ascii=False, date_format="iso"))  # escaped
        return 0
    if frame.empty:
        print("Inga händelser i granskningsloggen för det urvalet.")
    for row in frame.itertuples(index=False):
        extra = " ".join(str(v) for v in (row.target, row.details) if v)
        print(f"{row.logged_at:%Y-%m-%d %H:%M:%S}  {row.outcome:<6} {row.actor:<24} "
              f"{row.action:<16} {extra}")
    return 0


def cmd_address(args: argparse.Namespace) -> int:

    mode = signin.detect_sign_in_mode(accounts_file=args.accounts)
    print(signin.bind_address(mode))
    if args.verbose:
        print(f"inloggning: {mode}", file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 command: Callable) -> None:
    """Register this module's commands on the `lagesbild` parser."""
    from lagesbild.access.roles import ROLES

    command("user")(cmd_user)
    command("backup")(cmd_backup)
    command("restore")(cmd_restore)
    command("audit")(cmd_audit)
    command("address")(cmd_address)
    command("health")(cmd_health)

    accounts_file = argparse.ArgumentParser(add_help=False)
    accounts_file.add_argument("--accounts", metavar="FIL",
                               help="kontofilen (standard: $LAGESBILD_ACCOUNTS eller "
                                    "data/konton.json)")
    p = sub.add_parser("user", help="lokala konton (när ingen OIDC-inloggning används)")
    users = p.add_subparsers(dest="user_command", required=True)
    q = users.add_parser("add", parents=[common, accounts_file], help="lägg till ett konto")
    q.add_argument("name", metavar="NAMN")
    q.add_argument("--role", required=True, choices=ROLES)
    q.add_argument("--password-stdin", action="store_true",
                   help="läs lösenordet från standard in (för skript)")
    q = users.add_parser("password", parents=[common, accounts_file],
                         help="byt lösenord för ett konto")
    q.add_argument("name", metavar="NAMN")
    q.add_argument("--password-stdin", action="store_true")
    q = users.add_parser("role", parents=[common, accounts_file], help="byt roll för ett konto")
    q.add_argument("name", metavar="NAMN")
    q.add_argument("--role", required=True, choices=ROLES)
    q = users.add_parser("lock", parents=[common, accounts_file],
                         help="spärra ett konto: det kan inte logga in och öppna sessioner "
                              "avslutas vid nästa klick")
    q.add_argument("name", metavar="NAMN")
    q = users.add_parser("unlock", parents=[common, accounts_file],
                         help="öppna ett spärrat konto igen")
    q.add_argument("name", metavar="NAMN")
    q = users.add_parser("list", parents=[common, accounts_file], help="lista konton")
    q.add_argument("--json", action="store_true")
    q = users.add_parser("remove", parents=[common, accounts_file], help="ta bort ett konto")
    q.add_argument("name", metavar="NAMN")

    p = sub.add_parser("backup", parents=[common],
                       help="säkerhetskopiera databasen till en ny katalog (Parquet)")
    p.add_argument("directory", metavar="KATALOG", type=Path)
    p = sub.add_parser("restore", parents=[common],
                       help="återställ databasen (--db) från en säkerhetskopia")
    p.add_argument("directory", metavar="KATALOG", type=Path)
    p.add_argument("--force", action="store_true",
                   help="ersätt en fungerande databas och ändrade filer (de gamla sparas som "
                        ".ersatt-<tid>)")
    p.add_argument("--files", action="store_true",
                   help="återställ även konton, roller, inställningar och kodlistor")

    p = sub.add_parser("health", parents=[common],
                       help="databas, senaste säkerhetskopia, schemaversion och ledigt "
                            "utrymme; avslutskod 1 när något är fel")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("address", parents=[accounts_file],
                       help="adressen som dashboarden ska lyssna på: 127.0.0.1 (med inloggning "
                            "$LAGESBILD_ADDRESS om den är satt; annars når användarna den via "
                            "en omvänd proxy med TLS)")
    p.add_argument("--verbose", action="store_true", help="skriv också inloggningssättet")

    p = sub.add_parser("audit", parents=[common], help="visa granskningsloggen, nyast först")
    p.add_argument("--since", metavar="DATUM", help="från och med datum, ÅÅÅÅ-MM-DD")
    p.add_argument("--actor", metavar="NAMN")
    p.add_argument("--action", metavar="HÄNDELSE", help="t.ex. import, inloggning, export")
    p.add_argument("--outcome", choices=["ok", "nekad", "fel"])
    p.add_argument("--limit", type=int, default=200, metavar="N")
    p.add_argument("--json", action="store_true")
