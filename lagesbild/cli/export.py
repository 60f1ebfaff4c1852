"""`lagesbild export`: the meeting pack (or its public variant) from the command line.

    lagesbild export --from 2025K4 --to 2026K3 --format pptx --out motet.pptx
    lagesbild export --format png --out bilder/ --omrade Centrum,Teg --public

The filters are the dashboard's (a `query.Filters`); values are matched against the code
lists the same way as in the dashboard's links (case and diacritics do not matter). Every
export is written to the audit log.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from lagesbild.access import policy
from lagesbild.access.signin import command_line_user
from lagesbild.cli.common import add_filter_options, filters_from_args, open_store
from lagesbild.numbers.query import Filters


def _describe(fmt: str, filters: Filters, public: bool, charts: tuple[str, ...]) -> str:
    period = (f"{filters.from_quarter or 'början'}–{filters.to_quarter or 'senaste'}"
              if filters.from_quarter or filters.to_quarter else "standard")
    parts = [fmt, f"period {period}"]
    parts += [f"{k}={','.join(v)}" for k, v in filters.active().items()]
    parts.append(f"diagram={','.join(charts)}")
    if public:
        parts.append("publik")
    return "; ".join(parts)


def cmd_export(args: argparse.Namespace) -> int:
    from lagesbild.export import ExportError, PackRequest, build_pack, images, write_pack
    from lagesbild.export.pack import resolve

    user = command_line_user(getattr(args, "user", None))
    charts = tuple(c.strip() for c in args.charts.split(",") if c.strip()) \
        if args.charts else None
    filters = filters_from_args(args)
    store = open_store(args)
    out = Path(args.out)
    try:
        request = resolve(store, PackRequest(filters, charts, args.public, args.exact))
    except ExportError as exc:  # nothing to export at all
        print(f"Fel: {exc}", file=sys.stderr)
        return 1
    try:
        with policy.exporting(store, user, out.name, exact=request.exact) as record:
            if args.format != "xlsx":
                images.start()  # the browser starts while the indicators are computed
            pack = build_pack(store, request)
            record.details = _describe(args.format, pack.filters, pack.public,
                                       tuple(item.key for item in pack.charts))
            written = write_pack(pack, args.format, out)
            record.target = (written[0].name if len(written) == 1
                             else f"{out.name}/ ({len(written)} filer)")
    except ExportError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"Sparad: {path}")
    kind = ("publik variant, " if pack.public else
            "exakta antal (internt), " if pack.disclosure is None else "")
    print(f"Export klar: {args.format}, {kind}kvartal {pack.quarter}, period {pack.period}, "
          f"{len(pack.charts)} diagram. Urval: {pack.selection}.")
    return 0


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 command: Callable) -> None:
    """Register `export` on the `lagesbild` parser."""
    from lagesbild.export.pack import CHARTS, DEFAULT_CHARTS, FORMATS, PUBLIC_CHARTS

    p = sub.add_parser(
        "export", parents=[common], help="mötesunderlag: PowerPoint, PDF, Excel eller bilder",
        description="Mötesunderlaget för ett kvartal (periodens sista) med samma urval och "
                    "röjandekontroll som i dashboarden.")
    p.add_argument("--from", dest="from_quarter", metavar="KVARTAL",
                   help="första kvartal, t.ex. 2025K4 (standard: åtta kvartal bakåt)")
    p.add_argument("--to", dest="to_quarter", metavar="KVARTAL",
                   help="sista kvartal, mötets kvartal (standard: senaste hela kvartalet)")
    p.add_argument("--format", choices=FORMATS, default="pptx",
                   help="pptx, pdf, xlsx, eller png (en bild per diagram i mappen --out)")
    p.add_argument("--out", default=".", metavar="SÖKVÄG",
                   help="fil, eller mapp (standardnamn används; för png alltid en mapp)")
    add_filter_options(p)
    p.add_argument("--charts", metavar="DIAGRAM",
                   help=f"diagram, kommaseparerade (standard: {','.join(DEFAULT_CHARTS)}; "
                        f"publik: {','.join(PUBLIC_CHARTS)}). Finns: {', '.join(CHARTS)}")
    p.add_argument("--public", action="store_true",
                   help="publik variant för kommunens webbplats (grova indikatorer, "
                        "strängare röjandekontroll, stödlinjer)")
    p.add_argument("--exact", action="store_true",
                   help="exakta antal utan röjandekontroll: intern export för analytiker "
                        "(loggas); utan den har underlaget beredningsgruppens skyddade siffror")
    command("export")(cmd_export)
