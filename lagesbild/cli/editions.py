"""`lagesbild edition`: the quarter's approved lägesbild outside the browser.

    lagesbild edition list
    lagesbild edition show --quarter 2026K3
    lagesbild edition approve --quarter 2026K3 --user gunnel [--date 2026-10-15] [--note TEXT]
    lagesbild edition export --quarter 2026K3 --format pdf --out K3.pdf [--public] [--version 2]
    lagesbild edition diff --quarter 2026K3

`approve` checks the user against the local accounts and the role mapping (role godkannare,
or analytiker unless the settings say otherwise); it approves the quarter's draft, or, when
there is none, a new draft from the latest approved version's texts (a new version; the first
from the generated summary). Exit codes: 0 approved, 1 refused, 2 usage. `export` writes the
latest approved version by default. `diff` prints one line per figure that later data changed
(protected numbers) and exits 0 either way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

from lagesbild.access import policy
from lagesbild.access.roles import AccessDenied
from lagesbild.access.signin import command_line_user, named_user
from lagesbild.cli.common import open_store, shown_path
from lagesbild.editions import EditionError, built_from, heading_of

DEFAULT_NOTE = "Ny version fastställd från kommandoraden: uppgifterna har reviderats."


def _list(store, args: argparse.Namespace) -> int:  # noqa: ANN001 - a Store
    frame = policy.edition_list(store, command_line_user(args.user))
    if frame.empty:
        print("Inga lägesbilder ännu. Påbörja ett utkast på sidan Lägesbilder.")
        return 0
    for row in frame.itertuples(index=False):
        status = (f"fastställd {row.Fastställd} av rollen {row[4]}" if row.Fastställd
                  else row.Status)
        revised = f" ({row.Revidering})" if row.Revidering else ""
        print(f"{row.Kvartal} version {row.Version}: {status}{revised}")
    return 0


def _show(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    user = command_line_user(args.user)
    found = policy.edition_versions(store, user, args.quarter)
    if not found:
        print(f"Ingen lägesbild för {args.quarter} ännu.")
        return 0
    for version in found:
        print(f"{version.quarter} version {version.version}: {version.status_label}")
        if version.approved:
            print(f"  Fastställd {version.approved_on} av rollen "
                  f"{policy.role_label(version.approved_role)}")
            if version.revision_note:
                print(f"  Revisionsanteckning: {version.revision_note}")
            frozen = built_from(version)
            print("  Byggd på: " + ", ".join(f"{k} {v}" for k, v in frozen.items()))
            revision = policy.edition_revision(store, user, version.quarter, version.version)
            if revision is not None and revision.revised:
                print("  Reviderad sedan fastställandet:")
                for line in revision.lines():
                    print(f"    {line}")
        texts = policy.edition_texts(store, user, version.quarter, version.version)
        for section, text in texts.items():
            if text.strip():
                print(f"  [{heading_of(section)}]")
                for line in text.splitlines():
                    print(f"    {line}")
        for comment in policy.edition_comments(store, user, version.quarter, version.version):
            print(f"  Kommentar ({heading_of(comment['section'])}, "
                  f"{policy.role_label(comment['role'])}): {comment['comment']}")
    return 0


def _approve(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    try:
        user = named_user(args.user)
        on = dt.date.fromisoformat(args.date) if args.date else None
        drafts = [v for v in policy.edition_versions(store, user, args.quarter)
                  if not v.approved]
        if not drafts:
            policy.require(user, "approve", store, args.quarter)
            policy.start_edition_draft(store, command_line_user(user.name), args.quarter)
        previous = [v for v in policy.edition_versions(store, user, args.quarter) if v.approved]
        note = args.note or (DEFAULT_NOTE if previous else None)
        version = policy.approve_edition(store, user, args.quarter, on, note)
    except (AccessDenied, EditionError) as exc:
        print(f"Nekad: {exc}", file=sys.stderr)
        return 1
    print(f"Fastställd: {version.quarter} version {version.version}, beslutsdatum "
          f"{version.approved_on}, av rollen {policy.role_label(version.approved_role)}.")
    return 0


def _export(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    from lagesbild.export import images
    from lagesbild.export.files import write_private

    user = command_line_user(args.user)
    if args.format != "xlsx":
        images.start()
    data, name = policy.edition_file(store, user, args.quarter, args.format, args.version,
                                     args.public)
    out = Path(args.out)
    path = out / name if out.is_dir() else out
    write_private(path, data)
    print(f"Sparad: {shown_path(path) if path == out else path}")
    return 0


def _diff(store, args: argparse.Namespace) -> int:  # noqa: ANN001
    user = command_line_user(args.user)
    revision = policy.edition_revision(store, user, args.quarter)
    if revision is None:
        raise EditionError(f"Det finns ingen fastställd lägesbild för {args.quarter}.")
    version = revision.version
    if not revision.revised:
        print(f"{version.quarter} version {version.version}: oförändrad sedan fastställandet "
              f"{version.approved_on}.")
        return 0
    print(f"{version.quarter} version {version.version}: reviderad sedan fastställandet "
          f"{version.approved_on} (skyddade siffror, fastställt → nu):")
    for line in revision.lines():
        print(line)
    return 0


ACTIONS = {"list": _list, "show": _show, "approve": _approve, "export": _export,
           "diff": _diff}


def cmd_edition(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        return ACTIONS[args.edition_command](store, args)
    except (AccessDenied, EditionError) as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 command: Callable) -> None:
    """Register `edition` on the `lagesbild` parser."""
    p = sub.add_parser("edition", help="fastställda lägesbilder: lista, visa, fastställ, "
                                       "exportera, jämför med nuvarande data")
    actions = p.add_subparsers(dest="edition_command", required=True)
    actions.add_parser("list", parents=[common], help="alla kvartal och versioner")
    q = actions.add_parser("show", parents=[common], help="ett kvartals versioner och texter")
    q.add_argument("--quarter", required=True, metavar="KVARTAL")
    q = actions.add_parser("approve", parents=[common],
                           help="fastställ kvartalets utkast (eller en ny version)")
    q.add_argument("--quarter", required=True, metavar="KVARTAL")
    q.add_argument("--date", metavar="ÅÅÅÅ-MM-DD", help="beslutsdatum (standard: i dag)")
    q.add_argument("--note", help="revisionsanteckning (för en ny version)")
    q = actions.add_parser("export", parents=[common],
                           help="mötesunderlaget från en fastställd version")
    q.add_argument("--quarter", required=True, metavar="KVARTAL")
    q.add_argument("--format", required=True, choices=("pptx", "pdf", "xlsx"))
    q.add_argument("--out", required=True, metavar="FIL")
    q.add_argument("--public", action="store_true", help="den publika varianten")
    q.add_argument("--version", type=int, metavar="N",
                   help="version (standard: den senaste fastställda)")
    q = actions.add_parser("diff", parents=[common],
                           help="senaste fastställda versionen mot nuvarande data")
    q.add_argument("--quarter", required=True, metavar="KVARTAL")
    command("edition")(cmd_edition)
