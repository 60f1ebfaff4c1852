"""Importing the follow-up spreadsheets (trainings, the activity plan) through the one intake
pipeline (lagesbild.intake.pipeline): the same reading, privacy guard, Swedish problems with
file, row, column, value, reason and fix, one batch with provenance and rollback.
"""

from __future__ import annotations

import datetime as dt

from lagesbild.domain.config import ImportLimits
from lagesbild.domain.contracts import ACTIVITY, TRAINING, Contract, contract
from lagesbild.intake import steps
from lagesbild.intake.followup.kinds import ACTIVITY_KIND, TRAINING_KIND
from lagesbild.intake.kind import Kind
from lagesbild.intake.reading import Source
from lagesbild.intake.steps import CheckedFile
from lagesbild.store import Receipt, Store

NO_HEADER = "Hittar ingen rubrikrad i filen"
# A trainings or activity-plan file that has been read and validated (the pipeline's
# CheckedFile: its `rows` are the canonical rows, `kind` the kind's name).
CheckedFollowup = CheckedFile
_KINDS = {TRAINING: TRAINING_KIND, ACTIVITY: ACTIVITY_KIND}


def kind_of(followup: str) -> Kind:
    """The intake kind of a follow-up spreadsheet type (TRAINING or ACTIVITY)."""
    return _KINDS[followup]


def contract_of(checked: CheckedFile) -> Contract:
    """The contract of a checked follow-up file."""
    return contract(next(k for k, v in _KINDS.items() if v.name == checked.kind))


def check_followup_file(kind: str, source: Source, file_name: str, store: Store | None,
                        limits: ImportLimits, today: dt.date | None = None) -> CheckedFile:
    """Read, scan for personal data and validate a trainings or activity-plan file, and
    compare it with the store. Nothing is stored."""
    return steps.check(kind_of(kind), source, file_name, store, limits, today=today)


def store_followup(store: Store, checked: CheckedFile, imported_by: str) -> Receipt:
    """Store an accepted follow-up file as one batch (all or nothing)."""
    return steps.store_checked(store, checked, imported_by, confirmed=True)


def import_followup_file(kind: str, source: Source, file_name: str, store: Store,
                         limits: ImportLimits, imported_by: str, dry_run: bool = False,
                         today: dt.date | None = None) -> tuple[CheckedFile, Receipt | None]:
    """Check a file and, unless refused or a dry run, store it; log the outcome."""
    return steps.import_file(source, file_name, store, limits, imported_by, dry_run,
                             kind=kind_of(kind), today=today, confirmed=True)


def describe(checked: CheckedFile, receipt: Receipt | None = None) -> str:
    """One Swedish sentence about the outcome (for the page and the command line)."""
    title = checked.declared.title if checked.declared else "rader"
    if not checked.accepted:
        return (f"{checked.file_name} nekades: {len(checked.problems)} problem, inget har "
                "sparats.")
    if (receipt and receipt.already_imported) or (receipt is None and checked.already_imported):
        return f"{checked.file_name} är redan importerad; inget har ändrats."
    c = checked.counts
    n = len(checked.rows) if checked.rows is not None else 0
    what = (f"{n} {title} (nya {c.get('new', 0)}, ändrade {c.get('changed', 0)}, oförändrade "
            f"{c.get('unchanged', 0)}, dubbletter {checked.duplicates})")
    if receipt and receipt.batch_id:
        return f"{checked.file_name} är importerad som import {receipt.batch_id}: {what}."
    return f"{checked.file_name} är godkänd: {what}."
