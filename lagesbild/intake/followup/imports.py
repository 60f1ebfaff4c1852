"""Importing the follow-up spreadsheets (trainings, the activity plan) like report files:
read → privacy guard → validate → (confirm) → one transaction, with the same `read_sheet`,
the same privacy guard, Swedish problems with file, row, column, value, reason and fix, a batch
with provenance (sha256, who, when) and rollback through `Store.rollback`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.codelists import ColumnVocabulary
from lagesbild.domain.config import ImportLimits
from lagesbild.domain.contracts import ACTIVITY, TRAINING, Contract, contract
from lagesbild.domain.problems import FileRefused, Problem
from lagesbild.intake import privacy
from lagesbild.intake.followup.validation import VALIDATORS
from lagesbild.intake.pipeline import CheckedFile
from lagesbild.intake.reading import read_sheet
from lagesbild.store import Receipt, Store
from lagesbild.store.schema import dataset_named

NO_HEADER = "Hittar ingen rubrikrad i filen"


@dataclass
class CheckedFollowup(CheckedFile):
    """A trainings or activity-plan file that has been read and validated but not stored."""

    kind: str = ""  # TRAINING or ACTIVITY

    @property
    def rows(self) -> pa.Table | None:
        """The validated rows (named `reports` in the shared base class)."""
        return self.reports

    @rows.setter
    def rows(self, table: pa.Table | None) -> None:
        self.reports = table


def _other_kind_hint(data: bytes, file_name: str, wanted: Contract,
                     limits: ImportLimits) -> str:
    """Advice when the file has no header row of this kind: is it another kind of file?"""
    others: list[tuple[str, ColumnVocabulary]] = [("en rapportfil", codelist_module.load())]
    others += [(f"en fil med {contract(k).title}", contract(k))
               for k in (TRAINING, ACTIVITY) if k != wanted.kind]
    for label, vocabulary in others:
        try:
            read_sheet(data, file_name, vocabulary, limits)
        except FileRefused:
            continue
        return f"Filen ser ut att vara {label}; importera den på rätt ställe. "
    return ""


def _no_header_fix(contract_: Contract) -> str:
    required = ", ".join(contract_.header(n) for n in contract_.required())
    return (f"Rubrikraden ska stå bland de 20 första raderna och ha kolumnerna {required}. "
            f"Utgå från mallen för {contract_.title} ({contract_.template_name}).")


def check_followup_file(
    kind: str,
    source: str | os.PathLike[str] | bytes,
    file_name: str,
    store: Store | None,
    limits: ImportLimits,
    today: dt.date | None = None,
    contract_: Contract | None = None,
) -> CheckedFollowup:
    """Read, scan for personal data and validate a trainings or activity-plan file, and
    compare it with the store. Nothing is stored."""
    spec = contract_ or contract(kind)
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    checked = CheckedFollowup(file_name, hashlib.sha256(data).hexdigest(), kind=kind,
                              codelist_version=spec.codelists.version)
    try:
        sheet = read_sheet(data, file_name, spec, limits)
    except FileRefused as refused:
        checked.problems = [
            Problem(p.file, p.reason, _other_kind_hint(data, file_name, spec, limits)
                    + _no_header_fix(spec), p.sheet, p.row, p.column, p.value)
            if p.reason == NO_HEADER else p
            for p in refused.problems
        ]
        return checked
    checked.problems = privacy.scan_sheet(sheet)
    if checked.problems:  # never validate further: messages could echo personal data
        return checked
    validated = VALIDATORS[kind](sheet, spec, today)
    checked.problems = validated.problems
    if not checked.problems and not len(validated.rows):
        checked.problems = [Problem(
            file_name, f"Filen innehåller inga {spec.title}",
            "Fyll i minst en rad under rubrikraden och importera igen.",
            sheet=sheet.sheet_name, row=sheet.header_row + 1,
        )]
    if checked.problems:
        return checked
    checked.rows = validated.rows
    checked.duplicates = validated.duplicates
    if store is not None:
        checked.already_imported = store.find_import(checked.sha256,
                                                     spec.batch_kind) is not None
        checked.counts = store.classify(validated.rows, dataset_named(spec.batch_kind))
    return checked


def store_followup(store: Store, checked: CheckedFollowup, imported_by: str) -> Receipt:
    """Store an accepted follow-up file as one batch (all or nothing)."""
    if not checked.accepted or checked.rows is None:
        raise ValueError("Bara en godkänd fil kan lagras.")
    return store.import_rows(
        dataset_named(contract(checked.kind).batch_kind), checked.rows, file_name=checked.file_name,
        sha256=checked.sha256, imported_by=imported_by, rows_duplicate=checked.duplicates,
        codelist_version=checked.codelist_version,
    )


def import_followup_file(
    kind: str,
    source: str | os.PathLike[str] | bytes,
    file_name: str,
    store: Store,
    limits: ImportLimits,
    imported_by: str,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> tuple[CheckedFollowup, Receipt | None]:
    """Check a file and, unless refused or a dry run, store it; log the outcome."""
    checked = check_followup_file(kind, source, file_name, store, limits, today)
    receipt = None
    if checked.accepted and not dry_run:
        receipt = store_followup(store, checked, imported_by)
    if not dry_run:
        outcome = "ok" if checked.accepted else "nekad"
        detail = (f"batch {receipt.batch_id}" if receipt and receipt.batch_id
                  else "redan importerad" if receipt else f"{len(checked.problems)} problem")
        store.audit(imported_by, f"import {contract(kind).title}", outcome, target=file_name,
                    details=detail)
    return checked, receipt


def describe(checked: CheckedFollowup, receipt: Receipt | None = None) -> str:
    """One Swedish sentence about the outcome (for the page and the command line)."""
    title = contract(checked.kind).title
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
