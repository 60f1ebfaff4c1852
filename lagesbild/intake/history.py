"""The import history: every batch, newest first, in one vocabulary for the pages and the CLI.

A batch is an import of a file or an edit made in the app. Its status is "Gäller" or
"Ångrad <tid> av <vem>"; demo batches are typed "Demodata". File names are shown as stored
(already made safe at import: a name with personal data is stored as a placeholder).
Reference data (code lists, the partner register, population) are batches like the others and
are rolled back the same way.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from lagesbild.domain.formatting import LOCAL_TIME
from lagesbild.store import Store

ACTIVE = "Gäller"
KIND_LABELS = {
    "rapporter": "Rapporter", "befolkning": "Befolkning", "kodlista": "Kodlista",
    "utbildningar": "Utbildningar", "aktivitetsplan": "Aktivitetsplan",
    "omvarld": "Omvärldshändelser", "partner": "Partnerregister",
    "inga rapporter": "Inga rapporter",
}
COUNT_COLUMNS = ("Rader", "Nya", "Ändrade", "Oförändrade", "Dubbletter", "Återkallade",
                 "Dolda rader")


def _count(value: object) -> int:
    return int(value) if isinstance(value, int) else 0


def when(value: object) -> str:
    """A time as 'ÅÅÅÅ-MM-DD HH:MM' in Swedish local time; a date as ÅÅÅÅ-MM-DD."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def status(batch: dict[str, object], names: bool = True) -> str:
    """'Gäller', or 'Ångrad 2026-11-30 14:02 av anna' (the role instead of the name when
    `names` is False)."""
    if batch["rolled_back_at"] is None:
        return ACTIVE
    who = f" av {batch['rolled_back_by']}" if names and batch.get("rolled_back_by") else ""
    return f"Ångrad {when(batch['rolled_back_at'])}{who}"


def kind_label(batch: dict[str, object]) -> str:
    if batch.get("is_demo"):
        return "Demodata"
    kind = str(batch["kind"])
    label = KIND_LABELS.get(kind, kind.capitalize())
    return label + (f" {batch['partners']}" if kind == "kodlista" and batch["partners"] else "")


def import_history(store: Store, *, names: bool = True, role_label: str = "") -> pd.DataFrame:
    """The history as a table with Swedish headers. `names=False` shows `role_label` instead
    of who imported or rolled back (for readers who must not see analysts' names)."""
    rows = [{
        "Import": str(b["batch_id"]),
        "Status": status(b, names),
        "Typ": kind_label(b),
        "Fil": str(b["file_name"]),
        "Importerad": when(b["imported_at"]),
        "Av": str(b["imported_by"]) if names else role_label,
        "Period": (f"{when(b['period_from'])} – {when(b['period_to'])}"
                   if b["period_from"] or b["period_to"] else ""),
        "Partner": str(b["partners"] or "") if b["kind"] != "kodlista" else "",
        "Rader": _count(b["rows_total"]),
        "Nya": _count(b["rows_new"]),
        "Ändrade": _count(b["rows_changed"]),
        "Oförändrade": _count(b["rows_unchanged"]),
        "Dubbletter": _count(b["rows_duplicate"]),
        "Återkallade": _count(b.get("rows_withdrawn")),
        "Dolda rader": _count(b.get("rows_hidden")),
        "Blad som inte lästes": str(b.get("sheets_not_read") or ""),
        "Anmärkning": (f"ersätter import {b['reassigned_from']} (annan partner)"
                       if b.get("reassigned_from") is not None else ""),
        "SHA-256": str(b["sha256"])[:12],
    } for b in store.batches()]
    return pd.DataFrame(rows, columns=["Import", "Status", "Typ", "Fil", "Importerad", "Av",
                                       "Period", "Partner", *COUNT_COLUMNS,
                                       "Blad som inte lästes", "Anmärkning", "SHA-256"])


def undoable(store: Store) -> dict[int, str]:
    """Batches that can be rolled back, newest first: {batch id: 'Import 7 – fil (tid)'}."""
    return {_count(b["batch_id"]): f"Import {b['batch_id']} – {b['file_name']} "
            f"({when(b['imported_at'])})"
            for b in store.batches()
            if b["rolled_back_at"] is None}


def report_batches(store: Store) -> dict[int, str]:
    """Report batches that may be given to another partner: {batch id: label with partners}."""
    return {_count(b["batch_id"]): f"Import {b['batch_id']} – {b['file_name']} "
            f"({b['partners'] or '–'}, {_count(b['rows_total'])} rader, "
            f"{when(b['imported_at'])})"
            for b in store.batches()
            if b["rolled_back_at"] is None and b["kind"] == "rapporter" and not b["is_demo"]}
