"""The access policy: every guarded action and every audit entry of an action goes through here.

Hiding a button is not security. The web app and the command line call the engine through the
`guarded_*` functions below (and `require` for anything else); they refuse an action the
user's role does not allow, log the refusal in the audit log (outcome "nekad") and raise
`AccessDenied` with a Swedish message. Exports are recorded with `record_export`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lagesbild.access.roles import (
    ACTIONS,
    ANALYTIKER,
    AUDIT_ACTIONS,
    ROLE_LABELS,
    AccessDenied,
    User,
    can,
)
from lagesbild.domain import config
from lagesbild.domain.contracts import contract
from lagesbild.domain.problems import Problem
from lagesbild.intake import codelists as codelist_import
from lagesbild.intake import history
from lagesbild.intake.codelists import CodelistImport
from lagesbild.intake.followup import activities as activity_edits
from lagesbild.intake.followup import events as event_edits
from lagesbild.intake.followup.imports import CheckedFollowup, check_followup_file, store_followup
from lagesbild.intake.pipeline import CheckedFile, check_file, store_checked
from lagesbild.intake.population import PopulationImport, import_population
from lagesbild.intake.problem_report import safe_file_name
from lagesbild.intake.reading import Cell
from lagesbild.numbers.disclosure import SECONDARY_MARK, publish_count
from lagesbild.store import Receipt, Store, StoreError, audit
from lagesbild.store.schema import REPORTS

# The audit log's vocabulary, for pages that show it.
AUDIT_OUTCOMES = audit.OUTCOMES
AUDIT_COLUMNS = audit.COLUMNS
AUDIT_LABELS = audit.LABELS


def require(user: User | None, action: str, store: Store | None = None,
            target: str | None = None) -> User:
    """Return the user if the role allows the action; otherwise log the refusal in the audit
    log (when a store is given) and raise AccessDenied."""
    if can(user, action):
        assert user is not None
        return user
    who = user.name if user is not None else "okänd"
    reason = (f"saknar behörighet (roll {user.role})" if user is not None
              else "inte inloggad")
    if store is not None:
        audit.log(store, who, AUDIT_ACTIONS[action], audit.NEKAD, target, reason)
    if user is None:
        raise AccessDenied(f"Du måste logga in för att {ACTIONS[action]}.")
    raise AccessDenied(
        f"Rollen {user.role_label} får inte {ACTIONS[action]}. Kontakta en analytiker om du "
        "behöver det."
    )


# -- guarded engine entry points (the web app calls these, never the store directly) ---------
def guarded_check(store: Store, user: User | None, data: bytes, file_name: str,
                  limits: config.ImportLimits | None = None, codelists: Any = None) \
        -> CheckedFile:
    """Check an uploaded file (nothing is stored). The file name is sanitised first; a
    refused file is logged as a refused import."""
    name = safe_file_name(file_name)
    who = require(user, "upload", store, name)
    checked = check_file(data, name, store, limits or config.settings().web_limits, codelists)
    if not checked.accepted:
        audit.log(store, who.name, "import", audit.NEKAD, name,
                  f"{len(checked.problems)} problem")
    return checked


def guarded_import(store: Store, user: User | None, checked: CheckedFile) -> Receipt:
    """Store a checked, accepted file as one batch and log it."""
    require(user, "upload", store, checked.file_name)
    assert user is not None
    if not checked.accepted:
        raise ValueError("Filen har problem och kan inte importeras. Rätta filen och ladda "
                         "upp den igen.")
    try:
        receipt = store_checked(store, checked, user.name)
    except Exception as exc:
        audit.log(store, user.name, "import", audit.FEL, checked.file_name,
                  type(exc).__name__)
        raise
    details = (f"batch {receipt.batch_id}, {receipt.rows_total} rader" if receipt.batch_id
               else "redan importerad")
    audit.log(store, user.name, "import", audit.OK, checked.file_name, details)
    return receipt


def guarded_rollback(store: Store, user: User | None, batch_id: int) -> int:
    """Roll back an import; returns the number of reports affected."""
    target = f"batch {batch_id}"
    require(user, "rollback", store, target)
    assert user is not None
    try:
        affected = store.rollback(batch_id, user.name)
    except StoreError as exc:
        audit.log(store, user.name, "återställning", audit.FEL, target, str(exc))
        raise
    audit.log(store, user.name, "återställning", audit.OK, target,
              f"{affected} rapporter påverkade")
    return affected


def audit_entries(store: Store, user: User | None, since: Any = None, actor: str | None = None,
                  action: str | None = None, outcome: str | None = None,
                  limit: int | None = None) -> pd.DataFrame:
    """The audit log, newest first (analysts only)."""
    require(user, "audit_log", store)
    return audit.entries(store, since=since, actor=actor, action=action, outcome=outcome,
                         limit=limit)


def disclosure_for(user: User | None, exact: bool = False, store: Store | None = None) \
        -> config.Disclosure | None:
    """The disclosure rule for a user's view: None (exact counts) only when asked for and
    allowed; the preparation group always gets the rule."""
    if not exact:
        require(user, "view", store)
        return config.settings().disclosure
    require(user, "exact_counts", store)
    return None


def sees_exact_counts(user: User | None) -> bool:
    """Whether the user's role may see exact counts (analysts)."""
    return can(user, "exact_counts")


@dataclass
class ExportRecord:
    """What an export wrote, for its audit entry (the caller may refine it while exporting)."""

    target: str
    details: str | None = None


EXACT_EXPORT = "exakta antal, internt"


@contextmanager
def exporting(store: Store, user: User | None, target: str,
              details: str | None = None, *, exact: bool = False) -> Iterator[ExportRecord]:
    """Check that the user may export, then log the export made inside the block: "ok" with
    the record's target and details, or "fel" with the reason (the error is raised again).

    Exports have protected numbers. `exact=True` is an internal export with exact counts: the
    role must be allowed to see exact counts (refused and logged otherwise), and the entry
    says so."""
    who = require(user, "export", store, target)
    if exact:
        require(user, "exact_counts", store, target)
    record = ExportRecord(target, details)

    def said() -> str | None:
        if not exact:
            return record.details
        return f"{EXACT_EXPORT}; {record.details}" if record.details else EXACT_EXPORT

    try:
        yield record
    except Exception as exc:
        audit.log(store, who.name, "export", audit.FEL, record.target,
                  f"{said()}: {exc}" if said() else str(exc))
        raise
    audit.log(store, who.name, "export", audit.OK, record.target, said())


def record_export(store: Store, user: User | None, target: str,
                  details: str | None = None, *, exact: bool = False) -> None:
    """Check that the user may export and log an export that is already made."""
    with exporting(store, user, target, details, exact=exact):
        pass


def import_history(store: Store, user: User | None) -> pd.DataFrame:
    """The import history for a reader: analysts see who imported and exact row counts; the
    preparation group sees the role instead of names and, for batches of reports, the
    number of reports in the batch as a protected cell (cell-key method: its key is that of
    the batch's reports) and the other row counts hidden (".."); they have no record set of
    their own to be protected by."""
    require(user, "view", store)
    assert user is not None
    if can(user, "exact_counts"):
        return history.import_history(store)
    frame = history.import_history(store, names=False, role_label=ROLE_LABELS[ANALYTIKER])
    rule = config.settings().disclosure
    cells = store.batch_report_cells()
    kinds = {str(b["batch_id"]): b["kind"] for b in store.batches()}
    first, *others = history.COUNT_COLUMNS
    reports = frame["Import"].map(kinds) == REPORTS.kind
    frame[list(history.COUNT_COLUMNS)] = frame[list(history.COUNT_COLUMNS)].astype(object)
    for i in np.flatnonzero(reports.to_numpy()):
        rows, key = cells.get(int(frame.at[i, "Import"]), (0, 0))
        frame.at[i, first] = publish_count(rows, key, rule)[1]
        for column in others:
            frame.at[i, column] = SECONDARY_MARK
    return frame


def undoable_batches(store: Store, user: User | None) -> dict[int, str]:
    """The batches the user may roll back: {batch id: label} (analysts only)."""
    require(user, "rollback", store)
    return history.undoable(store)


def guarded_import_population(store: Store, user: User | None, data: bytes,
                              file_name: str) -> PopulationImport:
    """Import a population table (reference data) and log the outcome."""
    name = safe_file_name(file_name)
    who = require(user, "reference_data", store, name)
    limits = config.settings().web_limits
    if len(data) > limits.max_bytes:
        result = PopulationImport(name, "")
        result.problems.append(Problem(
            name, "Filen är för stor",
            f"Största tillåtna storlek är {limits.max_bytes // 2**20} MB."))
        return result
    result = import_population(store, data, name, who.name)
    if result.accepted and not result.already_imported:
        audit.log(store, who.name, "referensdata", audit.OK, name,
                  f"befolkning, batch {result.batch_id}, {result.rows} rader")
    elif not result.accepted:
        audit.log(store, who.name, "referensdata", audit.NEKAD, name,
                  f"{len(result.problems)} problem")
    return result


def record_sign_in(store: Store, user: User) -> None:
    audit.log(store, user.name, "inloggning", audit.OK, None,
              f"{user.source}, roll {user.role}")


def record_sign_in_refused(store: Store, identity: str, reason: str) -> None:
    audit.log(store, identity or "okänd", "inloggning", audit.NEKAD, None, reason)


# -- follow-up: trainings, the activity plan, context events ----------------------------------
EDIT = "upload"  # the permission that changes data (analysts only)


def can_edit(user: User | None) -> bool:
    return can(user, EDIT)


def _log(store: Store, user: User, action: str, target: str, receipt: Receipt | None,
         details: str = "") -> None:
    batch = (f"batch {receipt.batch_id}" if receipt is not None and receipt.batch_id
             else "ingen ändring")
    audit.log(store, user.name, action, audit.OK, target, f"{batch}{details}")


def guarded_followup_check(store: Store, user: User | None, kind: str, data: bytes, file_name: str,
                  today: dt.date | None = None) -> CheckedFollowup:
    """Check an uploaded trainings or activity-plan file (nothing is stored)."""
    name = safe_file_name(file_name)
    require_edit = require(user, EDIT, store, name)
    checked = check_followup_file(kind, data, name, store, config.settings().web_limits,
                                  today)
    if not checked.accepted:
        audit.log(store, require_edit.name, f"import {contract(kind).title}", audit.NEKAD,
                  name, f"{len(checked.problems)} problem")
    return checked


def guarded_followup_import(store: Store, user: User | None, checked: CheckedFollowup) -> Receipt:
    """Store a checked, accepted file as one batch and log it."""
    who = require(user, EDIT, store, checked.file_name)
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


def save_activity(store: Store, user: User | None, values: Mapping[str, Cell],
                  today: dt.date | None = None) -> tuple[str, Receipt]:
    who = require(user, EDIT, store, "aktivitetsplanen")
    aktivitet_id, receipt = activity_edits.save_activity(store, values, who.name, today)
    _log(store, who, "aktivitetsplan ändrad", aktivitet_id, receipt)
    return aktivitet_id, receipt


def remove_activity(store: Store, user: User | None, aktivitet_id: str) -> Receipt:
    who = require(user, EDIT, store, aktivitet_id)
    receipt = activity_edits.remove_activity(store, aktivitet_id, who.name)
    _log(store, who, "aktivitet borttagen", aktivitet_id, receipt)
    return receipt


def add_event(store: Store, user: User | None, datum: Cell, kategori: object,
              titel: object, today: dt.date | None = None) -> str:
    who = require(user, EDIT, store, "omvärldshändelser")
    handelse_id = event_edits.add_event(store, datum, kategori, titel, who.name, today)
    audit.log(store, who.name, "omvärldshändelse tillagd", audit.OK, handelse_id)
    return handelse_id


def edit_event(store: Store, user: User | None, handelse_id: str, datum: Cell,
               kategori: object, titel: object, today: dt.date | None = None) -> Receipt:
    who = require(user, EDIT, store, handelse_id)
    receipt = event_edits.edit_event(store, handelse_id, datum, kategori, titel, who.name, today)
    _log(store, who, "omvärldshändelse ändrad", handelse_id, receipt)
    return receipt


def remove_event(store: Store, user: User | None, handelse_id: str) -> Receipt:
    who = require(user, EDIT, store, handelse_id)
    receipt = event_edits.remove_event(store, handelse_id, who.name)
    _log(store, who, "omvärldshändelse borttagen", handelse_id, receipt)
    return receipt


# -- reference data: code lists ----------------------------------------------------------------
def guarded_check_codelist(store: Store, user: User | None, data: bytes, file_name: str,
                           list_name: str, folder: Path | None = None) -> CodelistImport:
    require(user, "reference_data", store, list_name)
    return codelist_import.check_codelist(store, data, file_name, list_name, folder)


def guarded_import_codelist(store: Store, user: User | None, data: bytes, file_name: str,
                            list_name: str, folder: Path | None = None) -> CodelistImport:
    """Replace a code list for a user allowed to change reference data; a refused file is
    logged as refused."""
    checked = require(user, "reference_data", store, list_name)
    result = codelist_import.import_codelist(store, data, file_name, list_name, checked.name,
                                             folder)
    if not result.accepted:
        store.audit(checked.name, codelist_import.KIND, audit.NEKAD, target=list_name,
                    details=f"{file_name}: {len(result.problems)} problem")
    return result
