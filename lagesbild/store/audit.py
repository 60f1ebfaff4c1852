"""The audit log: who did what, when, and with what outcome (append-only).

Every sign-in, import, rollback, export and refusal is appended to the table `audit_log`
through `log()` (which wraps `Store.audit`). There is deliberately no function that changes
or deletes an entry. DuckDB has no triggers and no per-table privileges, so the database
cannot enforce this by itself; instead `Store.audit` is the only writer of the table in the
whole program, and a test reads the source of the package and fails if any module contains an
UPDATE, DELETE, TRUNCATE, DROP or ALTER of `audit_log`. Anyone with write access to the
database file can of course still change it: protect the file (and its backups) with the file
system's permissions.

Outcomes: "ok", "nekad" (refused: no permission, a refused file, a wrong password) and "fel"
(something went wrong).

Names and texts come partly from outside (a name typed at the sign-in, an identity provider's
claims, file names), so every text is stored with its control and format characters escaped
(`lagesbild.domain.text.printable`: ESC becomes the four characters "\x1b"): a stored entry
cannot move the cursor, erase or add lines, or reorder text when `lagesbild audit` prints it,
and the command escapes again what it prints (entries written before this rule).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from lagesbild.domain.formatting import LOCAL_TIME
from lagesbild.domain.text import printable
from lagesbild.store import Store

OK, NEKAD, FEL = "ok", "nekad", "fel"
OUTCOMES = (OK, NEKAD, FEL)
COLUMNS = ("logged_at", "actor", "action", "target", "outcome", "details")
# Column headings for people (the audit-log page and exports).
LABELS = {
    "logged_at": "Tid", "actor": "Vem", "action": "Händelse", "target": "Avser",
    "outcome": "Utfall", "details": "Detaljer",
}
MAX_TEXT = 500  # longer texts are cut: the log is not a place for whole files or messages



def _cut(text: object | None) -> str | None:
    """The text as stored: control characters escaped, at most MAX_TEXT characters."""
    if text is None:
        return None
    text = printable(str(text))
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def log(store: Store, actor: str, action: str, outcome: str, target: str | None = None,
        details: str | None = None) -> None:
    """Append one entry to the audit log."""
    if outcome not in OUTCOMES:
        raise ValueError(f"Okänt utfall {outcome!r} i granskningsloggen; använd {OUTCOMES}.")
    store.audit(_cut(actor) or "okänd", _cut(action) or "", outcome, _cut(target),
                _cut(details))


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Entries with every text escaped again for printing (`printable`), for output that a
    terminal or another program reads; entries from before the rule may hold raw text."""
    out = frame.copy()
    for column in ("actor", "action", "target", "outcome", "details"):
        if column in out:
            out[column] = [None if v is None or v is pd.NA else printable(str(v))
                           for v in out[column]]
    return out


def _as_instant(since: dt.date | dt.datetime) -> dt.datetime:
    """A date means the start of that day in Swedish time; a naive time is Swedish time."""
    if isinstance(since, dt.datetime):
        return since if since.tzinfo else since.replace(tzinfo=LOCAL_TIME)
    return dt.datetime(since.year, since.month, since.day, tzinfo=LOCAL_TIME)


def entries(
    store: Store,
    since: dt.date | dt.datetime | None = None,
    actor: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Entries of the audit log, newest first, optionally filtered.

    `since` includes entries at or after that time (a date: from the start of that day);
    `actor` and `action` match exactly, case-insensitively; `outcome` is ok, nekad or fel.
    """
    where: list[str] = []
    params: list[object] = []
    if since is not None:
        where.append("logged_at >= ?")
        params.append(_as_instant(since))
    if actor:
        where.append("lower(actor) = lower(?)")
        params.append(actor)
    if action:
        where.append("lower(action) = lower(?)")
        params.append(action)
    if outcome:
        where.append("outcome = ?")
        params.append(outcome)
    sql = f"SELECT {', '.join(COLUMNS)} FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY logged_at DESC, rowid DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    frame = store.cursor().execute(sql, params).df()
    if not frame.empty:
        frame["logged_at"] = pd.to_datetime(frame["logged_at"], utc=True).dt.tz_convert(
            LOCAL_TIME)
    return frame
