"""The import pipeline: read → privacy guard → validate → (confirm) → one transaction.

`check_file` does everything except storing, so a caller can show the result first;
`store_checked` stores a checked file as one batch. `import_file` does both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.codelists import Codelists
from lagesbild.domain.config import ImportLimits
from lagesbild.domain.problems import FileRefused, Problem
from lagesbild.intake import privacy
from lagesbild.intake.reading import read_sheet
from lagesbild.intake.validate import validate_sheet
from lagesbild.store import Receipt, Store


@dataclass
class CheckedFile:
    """A file that has been read and validated but not stored."""

    file_name: str
    sha256: str
    problems: list[Problem] = field(default_factory=list)
    reports: pa.Table | None = None
    duplicates: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # new / changed / unchanged
    already_imported: bool = False
    codelist_version: str = ""

    @property
    def accepted(self) -> bool:
        return not self.problems

    @property
    def period(self) -> tuple[dt.date | None, dt.date | None]:
        if (self.reports is None or not len(self.reports)
                or "datum" not in self.reports.column_names):
            return None, None
        dates = self.reports.column("datum")
        return pa.compute.min(dates).as_py(), pa.compute.max(dates).as_py()

    @property
    def partners(self) -> list[str]:
        if self.reports is None or "partner" not in self.reports.column_names:
            return []
        return sorted(set(self.reports.column("partner").to_pylist()))


def _bytes_of(source: str | os.PathLike[str] | bytes) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def check_file(
    source: str | os.PathLike[str] | bytes,
    file_name: str,
    store: Store | None,
    limits: ImportLimits,
    codelists: Codelists | None = None,
    today: dt.date | None = None,
) -> CheckedFile:
    """Read, scan for personal data and validate a file; compare it with the store."""
    codelists = codelists or codelist_module.load()
    if not isinstance(source, bytes) and Path(source).stat().st_size > limits.max_bytes:
        size_mb = Path(source).stat().st_size / 2**20
        return CheckedFile(file_name, "", [Problem(
            file_name, f"Filen är för stor ({size_mb:.0f} MB)",
            f"Största tillåtna storlek är {limits.max_bytes // 2**20} MB. Dela upp filen.",
        )])
    data = _bytes_of(source)
    checked = CheckedFile(file_name, hashlib.sha256(data).hexdigest(),
                          codelist_version=codelists.version)
    try:
        sheet = read_sheet(data, file_name, codelists, limits)
    except FileRefused as refused:
        checked.problems = refused.problems
        return checked
    checked.problems = privacy.scan_sheet(sheet)
    if checked.problems:  # never validate further: messages could echo personal data
        return checked
    validated = validate_sheet(sheet, codelists, today)
    checked.problems = validated.problems
    if not checked.problems and not len(validated.reports):
        checked.problems = [Problem(
            file_name, "Filen innehåller inga rapporter",
            "Fyll i minst en rad under rubrikraden och importera igen.",
            sheet=sheet.sheet_name, row=sheet.header_row + 1,
        )]
    if checked.problems:
        return checked
    checked.reports = validated.reports
    checked.duplicates = validated.duplicates
    if store is not None:
        checked.already_imported = store.find_import(checked.sha256) is not None
        checked.counts = store.classify(validated.reports)
    return checked


def store_checked(store: Store, checked: CheckedFile, imported_by: str) -> Receipt:
    """Store an accepted file as one batch (all or nothing)."""
    if not checked.accepted or checked.reports is None:
        raise ValueError("Bara en godkänd fil kan lagras.")
    return store.import_reports(
        checked.reports, file_name=checked.file_name, sha256=checked.sha256,
        imported_by=imported_by, rows_duplicate=checked.duplicates,
        codelist_version=checked.codelist_version,
    )


def import_file(
    source: str | os.PathLike[str] | bytes,
    file_name: str,
    store: Store,
    limits: ImportLimits,
    imported_by: str,
    dry_run: bool = False,
    codelists: Codelists | None = None,
) -> tuple[CheckedFile, Receipt | None]:
    """Check a file and, unless refused or a dry run, store it; log the outcome."""
    checked = check_file(source, file_name, store, limits, codelists)
    receipt = None
    if checked.accepted and not dry_run:
        receipt = store_checked(store, checked, imported_by)
    if not dry_run:
        outcome = "ok" if checked.accepted else "nekad"
        detail = (f"batch {receipt.batch_id}" if receipt and receipt.batch_id
                  else "redan importerad" if receipt else f"{len(checked.problems)} problem")
        store.audit(imported_by, "import", outcome, target=file_name, details=detail)
    return checked, receipt
