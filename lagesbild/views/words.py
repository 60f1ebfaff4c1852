"""Sentences about a published table, the same on screen, in speaker notes and in the report:
lists of published counts, the top of a ranking, unusual quarters, series breaks, events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from lagesbild.charts.events import event_legend
from lagesbild.views.base import Event

BAND = "Grått band: det normala intervallet utifrån tidigare kvartal."
RING = "Ring: ovanligt kvartal."


def gap_text(threshold: int) -> str:
    """Why a line has a gap: a hidden value (protected numbers) or a missing one."""
    if threshold <= 0:  # exact counts (analysts): nothing is hidden
        return "Avbrott i linjen: värdet saknas."
    return f"Avbrott i linjen: värdet är under {threshold} eller kan inte visas."


def hidden_cells_text(threshold: int) -> str:
    return (f"Grå rutor: färre än {threshold} rapporter (<{threshold}) eller dolda för att "
            "skydda ett litet tal i samma rad eller kolumn (..).")


def listing(frame: pd.DataFrame, label: str, value: str = "visas") -> str:
    """'Centrum 70, Teg 50, …': each row's label and published value."""
    return ", ".join(f"{getattr(r, label)} {getattr(r, value)}"
                     for r in frame.itertuples(index=False))


def ranked_notes(frame: pd.DataFrame, label: str, threshold: int, top: int = 5) -> list[str]:
    """The largest published counts, and the categories that are not shown."""
    shown = frame[~frame["undertryckt"].astype(bool)].copy()
    shown["_v"] = shown["antal"].astype("Float64")
    shown = shown.sort_values("_v", ascending=False)
    notes = [f"Flest rapporter: {listing(shown.head(top), label)}."]
    hidden = frame[frame["undertryckt"].astype(bool)]
    if len(hidden):
        notes.append(f"Visas inte (under {threshold} eller dolt för att skydda ett litet tal): "
                     + ", ".join(map(str, hidden[label])) + ".")
    return notes


def breaks(table: pd.DataFrame) -> list[str]:
    """The quarters where a series break starts."""
    if "serieavbrott" not in table:
        return []
    return sorted({q for q, note in zip(table["kvartal"], table["serieavbrott"], strict=True)
                   if note})


def signal_notes(table: pd.DataFrame, by: str | None, quarters: Sequence[str]) -> list[str]:
    """'2026K3 – Högerextremism: 60, ovanligt högt …' for the flagged quarters, then the
    lasting changes ('varaktig')."""
    if "signal" not in table:
        return []
    inside = table[table["kvartal"].isin(quarters)]
    flagged = inside[inside["signal"].astype(bool)]

    def who(row: Any) -> str:
        return f"{row.kvartal}{' – ' + str(getattr(row, by)) if by else ''}"

    notes = [f"{who(r)}: {r.visas}, {r.signal_text}." for r in flagged.itertuples(index=False)]
    lasting = inside[inside["varaktig"].astype(str) != ""] if "varaktig" in inside else inside[:0]
    return notes + [f"{who(r)}: {r.varaktig}." for r in lasting.itertuples(index=False)]


def event_notes(events: Sequence[Event]) -> list[str]:
    """The context events marked on a trend chart, numbered as in the chart."""
    if not events:
        return []
    return ["Omvärldshändelser (numren i diagrammet): " + "; ".join(event_legend(events)) + "."]


def extremes(frame: pd.DataFrame, label: str, value: str = "antal",
             shown: str = "visas") -> str:
    """'flest 2025K4 (152), färst 2025K1 (98)' over the published values (hidden ones are
    never compared: they are not published)."""
    visible = frame[~frame["undertryckt"].astype(bool)] if "undertryckt" in frame else frame
    visible = visible[visible[value].notna()]
    if visible.empty:
        return "inga värden kan visas (små tal)"
    numbers = visible[value].astype("Float64")
    top, low = visible.loc[numbers.idxmax()], visible.loc[numbers.idxmin()]
    text = f"flest {top[label]} ({top[shown]})"
    if low[label] != top[label]:
        text += f", färst {low[label]} ({low[shown]})"
    return text


def protected_text(frame: pd.DataFrame, threshold: int) -> str:
    """' 3 värden är skyddade (visas som <5 eller ..).' for a table's hidden cells, or ''."""
    hidden = int(frame["undertryckt"].astype(bool).sum()) if "undertryckt" in frame else 0
    if not hidden:
        return ""
    marks = f"visas som <{threshold} eller .."
    return (f" {hidden} värden är skyddade ({marks})." if hidden > 1
            else f" 1 värde är skyddat ({marks}).")


def wide(frame: pd.DataFrame, rows: str, columns: str, heading: str,
         value: str = "visas") -> pd.DataFrame:
    """A long table as rows × columns of its published values, in the order they come."""
    out = frame.pivot(index=rows, columns=columns, values=value)
    out = out.reindex(index=list(dict.fromkeys(frame[rows])),
                      columns=list(dict.fromkeys(frame[columns]))).fillna("")
    out.index.name = heading
    out.columns.name = None
    return out.reset_index()
