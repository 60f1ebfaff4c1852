"""The editions' tables (schema version 5): the only SQL of the quarter's approved lägesbild.

`lagesbild.editions` decides what a draft, a comment or an approval is; this module only reads
and writes the rows. Texts and comments are appended (the newest text of a section is the
current one, the older ones stay); an approved version's frozen parts are written once, in the
same transaction as its approval, and never changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from lagesbild.store.database import Store

UTKAST, DELAD, FASTSTALLD = "utkast", "delad", "fastställd"
COLUMNS = ("kvartal", "version", "status", "created_at", "created_by", "shared_at",
           "shared_by", "approved_at", "approved_on", "approved_by", "approved_role",
           "revision_note", "data_version", "reference_versions")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _rows(store: Store, where: str, params: list[object]) -> list[dict[str, Any]]:
    cur = store.cursor().execute(
        f"SELECT {', '.join(COLUMNS)} FROM editions WHERE {where} "
        "ORDER BY kvartal DESC, version DESC", params)
    return [dict(zip(COLUMNS, row, strict=True)) for row in cur.fetchall()]


def editions(store: Store, quarter: str | None = None) -> list[dict[str, Any]]:
    """Every edition row (of one quarter), newest quarter and version first."""
    if quarter is None:
        return _rows(store, "true", [])
    return _rows(store, "kvartal = ?", [quarter])


def create(store: Store, quarter: str, version: int, by: str,
           texts: Mapping[str, str]) -> None:
    """A new draft with its first texts (in one transaction)."""
    now = _now()
    with store.transaction() as tx:
        tx.execute("INSERT INTO editions (kvartal, version, status, created_at, created_by) "
                   "VALUES (?, ?, ?, ?, ?)", [quarter, version, UTKAST, now, by])
        for section, text in texts.items():
            tx.execute("INSERT INTO edition_texts VALUES (?, ?, ?, ?, ?, ?)",
                       [quarter, version, section, text, now, by])


def add_texts(store: Store, quarter: str, version: int, texts: Mapping[str, str],
              by: str) -> None:
    """Append new texts of sections (the older ones stay)."""
    now = _now()
    with store.transaction() as tx:
        for section, text in texts.items():
            tx.execute("INSERT INTO edition_texts VALUES (?, ?, ?, ?, ?, ?)",
                       [quarter, version, section, text, now, by])


def texts(store: Store, quarter: str, version: int) -> dict[str, str]:
    """{section: its newest text} of a version."""
    rows = store.cursor().execute(
        "SELECT section, text FROM edition_texts WHERE kvartal = ? AND version = ? "
        "QUALIFY row_number() OVER (PARTITION BY section ORDER BY written_at DESC, "
        "rowid DESC) = 1", [quarter, version]).fetchall()
    return {str(s): str(t) for s, t in rows}


def text_history(store: Store, quarter: str, version: int) -> list[dict[str, Any]]:
    """Every text written for a version, newest first."""
    cur = store.cursor().execute(
        "SELECT section, text, written_at, written_by FROM edition_texts "
        "WHERE kvartal = ? AND version = ? ORDER BY written_at DESC, rowid DESC",
        [quarter, version])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def add_comment(store: Store, quarter: str, version: int, section: str, comment: str,
                by: str, role: str) -> None:
    with store.transaction() as tx:
        tx.execute("INSERT INTO edition_comments VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [quarter, version, section, comment, _now(), by, role])


def comments(store: Store, quarter: str, version: int) -> list[dict[str, Any]]:
    """The comments on a version, oldest first."""
    cur = store.cursor().execute(
        "SELECT section, comment, written_at, written_by, role FROM edition_comments "
        "WHERE kvartal = ? AND version = ? ORDER BY written_at, rowid", [quarter, version])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def share(store: Store, quarter: str, version: int, by: str) -> None:
    with store.transaction() as tx:
        tx.execute("UPDATE editions SET status = ?, shared_at = ?, shared_by = ? "
                   "WHERE kvartal = ? AND version = ? AND status = ?",
                   [DELAD, _now(), by, quarter, version, UTKAST])


def approve(store: Store, quarter: str, version: int, *, on: dt.date, by: str, role: str,
            note: str | None, data_version: str, reference_versions: str,
            parts: Mapping[str, bytes]) -> None:
    """Mark a draft approved and store its frozen parts, in one transaction."""
    with store.transaction() as tx:
        tx.execute(
            "UPDATE editions SET status = ?, approved_at = ?, approved_on = ?, "
            "approved_by = ?, approved_role = ?, revision_note = ?, data_version = ?, "
            "reference_versions = ? WHERE kvartal = ? AND version = ? AND status <> ?",
            [FASTSTALLD, _now(), on, by, role, note, data_version, reference_versions,
             quarter, version, FASTSTALLD])
        for name, content in parts.items():
            tx.execute("INSERT INTO edition_parts VALUES (?, ?, ?, ?)",
                       [quarter, version, name, content])


def part(store: Store, quarter: str, version: int, name: str) -> bytes | None:
    """One frozen part of an approved version, or None."""
    row = store.cursor().execute(
        "SELECT content FROM edition_parts WHERE kvartal = ? AND version = ? AND part = ?",
        [quarter, version, name]).fetchone()
    return bytes(row[0]) if row else None
