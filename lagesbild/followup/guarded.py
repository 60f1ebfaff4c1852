"""Guarded entry points of the follow-up for the web app (like `lagesbild.auth.guarded_*`).

Importing trainings or activity-plan files and editing the activity plan or context events
change data, so they need the analyst's permission ("upload"); reading needs "view". A
refusal is logged in the audit log and raises `auth.AccessDenied` (Swedish); every change is
logged with who, what and the batch.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lagesbild import audit, auth, config
from lagesbild.auth import User
from lagesbild.followup import activities, events
from lagesbild.followup.contracts import contract
from lagesbild.followup.imports import CheckedFollowup, check_followup_file, store_followup
from lagesbild.store import Receipt, Store

EDIT = "upload"  # the permission that changes data (analysts only)


def can_edit(user: User | None) -> bool:
    return auth.can(user, EDIT)


def _safe_name(file_name: str) -> str:
    try:
        from lagesbild.problem_report import safe_file_name
    except ImportError:  # pragma: no cover - arrives with the upload page
        return Path(str(file_name)).name or "fil"
    return safe_file_name(file_name)


def _log(store: Store, user: User, action: str, target: str, receipt: Receipt | None,
         details: str = "") -> None:
    batch = (f"batch {receipt.batch_id}" if receipt is not None and receipt.batch_id
             else "ingen ändring")
    audit.log(store, user.name, action, audit.OK, target, f"{batch}{details}")


def guarded_check(store: Store, user: User | None, kind: str, data: bytes, file_name: str,
                  today: dt.date | None = None) -> CheckedFollowup:
    """Check an uploaded trainings or activity-plan file (nothing is stored)."""
    name = _safe_name(file_name)
    require_edit = auth.require(user, EDIT, store, name)
    checked = check_followup_file(kind, data, name, store, config.settings().web_limits,
                                  today)
    if not checked.accepted:
        audit.log(store, require_edit.name, f"import {contract(kind).title}", audit.NEKAD,
                  name, f"{len(checked.problems)} problem")
    return checked


def guarded_import(store: Store, user: User | None, checked: CheckedFollowup) -> Receipt:
    """Store a checked, accepted file as one batch and log it."""
    who = auth.require(user, EDIT, store, checked.file_name)
    action = f"import {contract(checked.kind).title}"
    try:
        receipt = store_followup(store, checked, who.name)
    except Exception as exc:
        audit.log(store, who.name, action, audit.FEL, checked.file_name, type(exc).__name__)
        raise
    audit.log(store, who.name, action, audit.OK, checked.file_name,
              f"batch {receipt.batch_id}, {receipt.rows_total} rader" if receipt.batch_id
              else "redan importerad")
    return receipt


def save_activity(store: Store, user: User | None, values: dict[str, object],
                  today: dt.date | None = None) -> tuple[str, Receipt]:
    who = auth.require(user, EDIT, store, "aktivitetsplanen")
    aktivitet_id, receipt = activities.save_activity(store, values, who.name, today)
    _log(store, who, "aktivitetsplan ändrad", aktivitet_id, receipt)
    return aktivitet_id, receipt


def remove_activity(store: Store, user: User | None, aktivitet_id: str) -> Receipt:
    who = auth.require(user, EDIT, store, aktivitet_id)
    receipt = activities.remove_activity(store, aktivitet_id, who.name)
    _log(store, who, "aktivitet borttagen", aktivitet_id, receipt)
    return receipt


def add_event(store: Store, user: User | None, datum: object, kategori: object,
              titel: object, today: dt.date | None = None) -> str:
    who = auth.require(user, EDIT, store, "omvärldshändelser")
    handelse_id = events.add_event(store, datum, kategori, titel, who.name, today)
    audit.log(store, who.name, "omvärldshändelse tillagd", audit.OK, handelse_id)
    return handelse_id


def edit_event(store: Store, user: User | None, handelse_id: str, datum: object,
               kategori: object, titel: object, today: dt.date | None = None) -> Receipt:
    who = auth.require(user, EDIT, store, handelse_id)
    receipt = events.edit_event(store, handelse_id, datum, kategori, titel, who.name, today)
    _log(store, who, "omvärldshändelse ändrad", handelse_id, receipt)
    return receipt


def remove_event(store: Store, user: User | None, handelse_id: str) -> Receipt:
    who = auth.require(user, EDIT, store, handelse_id)
    receipt = events.remove_event(store, handelse_id, who.name)
    _log(store, who, "omvärldshändelse borttagen", handelse_id, receipt)
    return receipt


def rollback(store: Store, user: User | None, batch_id: int) -> int:
    """Undo an import or an edit of the follow-up (any batch, like the report imports)."""
    return auth.guarded_rollback(store, user, batch_id)
