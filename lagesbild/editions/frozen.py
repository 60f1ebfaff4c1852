"""A meeting pack as stored parts and back: a JSON manifest and the published tables as
Parquet (`views.serial`), so that an approved edition exports the same numbers and words
years later; the figures are drawn again from the tables by their catalogue entries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from lagesbild import views
from lagesbild.domain.config import Disclosure
from lagesbild.export.pack import ChartItem, Pack
from lagesbild.export.public import SupportLine
from lagesbild.numbers import summary
from lagesbild.numbers.query import Filters
from lagesbild.views import serial

Parts = dict[str, bytes]


def _when(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def freeze(pack: Pack, prefix: str) -> Parts:
    """The pack as parts named '<prefix>/manifest' and '<prefix>/table/<n>'."""
    tables: Parts = {}

    def put(frame: pd.DataFrame) -> str:
        name = f"{prefix}/table/{len(tables)}"
        tables[name] = serial.table_bytes(frame)
        return name

    charts = []
    for item in pack.charts:
        assert item.entry is not None and item.context is not None  # every pack chart has them
        charts.append({"key": item.key, "title": item.title, "sheet": item.sheet,
                       "file_stem": item.file_stem, "notes": list(item.notes),
                       "alt_text": item.alt_text, "entry": item.entry.spec(),
                       "context": item.context.to_dict(), "data": put(item.data)})
    manifest = {
        "title": pack.title, "quarter": pack.quarter, "period": pack.period,
        "filters": dataclasses.asdict(pack.filters), "filters_text": pack.filters_text,
        "disclosure": dataclasses.asdict(pack.disclosure) if pack.disclosure else None,
        "public": pack.public, "data_as_of": _when(pack.data_as_of),
        "created": _when(pack.created), "demo": pack.demo,
        "missing_partners": list(pack.key_figures.missing_partners),
        "key_table": put(pack.key_table), "summary": list(pack.summary), "charts": charts,
        "tables": {sheet: put(frame) for sheet, frame in pack.tables.items()},
        "method": list(pack.method),
        "support": [dataclasses.asdict(line) for line in pack.support],
        "events": [[d.isoformat(), kind, title] for d, kind, title in pack.events],
    }
    return {f"{prefix}/manifest": json.dumps(manifest, ensure_ascii=False).encode(), **tables}


def manifest_of(parts: Mapping[str, bytes], prefix: str) -> dict[str, Any]:
    return json.loads(parts[f"{prefix}/manifest"])


def thaw(manifest: Mapping[str, Any], table: Any, *, edition: str,
         assessment: list[tuple[str, str]], style: str = "slide",
         figures: bool = True) -> Pack:
    """The pack a manifest describes; `table(name)` gives a stored table. `style`: the
    figures' style ('slide' for the files, 'screen' for a page); `figures=False`: the tables
    and words only (an empty figure per chart: for the workbook, which has no images)."""
    charts = []
    for c in manifest["charts"]:
        entry = views.from_spec(c["entry"])
        context = views.Context.from_dict(c["context"])
        context = dataclasses.replace(context, style=style)  # type: ignore[arg-type]
        data = table(c["data"])
        figure = entry.figure(data, context) if figures else go.Figure()
        charts.append(ChartItem(c["key"], c["title"], figure, data,
                                list(c["notes"]), c["sheet"], c["file_stem"], entry, context,
                                c["alt_text"]))
    filters = Filters(**{k: tuple(v) if isinstance(v, list) else v  # type: ignore[arg-type]
                         for k, v in manifest["filters"].items()})
    rule = manifest["disclosure"]
    when = manifest["data_as_of"]
    return Pack(
        title=manifest["title"], quarter=manifest["quarter"], period=manifest["period"],
        filters=filters, filters_text=manifest["filters_text"],
        disclosure=Disclosure(**rule) if rule else None, public=manifest["public"],
        data_as_of=dt.datetime.fromisoformat(when) if when else None,
        created=dt.date.fromisoformat(manifest["created"]), demo=manifest["demo"],
        key_figures=summary.KeyFigures(manifest["quarter"], (),
                                       tuple(manifest["missing_partners"])),
        key_table=table(manifest["key_table"]), summary=list(manifest["summary"]),
        charts=charts, tables={s: table(n) for s, n in manifest["tables"].items()},
        method=list(manifest["method"]),
        support=[SupportLine(**line) for line in manifest["support"]],
        events=[(dt.date.fromisoformat(d), kind, title) for d, kind, title in manifest["events"]],
        edition=edition, assessment=assessment)
