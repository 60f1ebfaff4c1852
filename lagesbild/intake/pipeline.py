"""The intake pipeline's front door: every kind of data comes in through the same steps.

read → privacy guard → validate → identify → preview (counts and every change) → store as one
batch → receipt; rollback and audit the same way for every kind (see lagesbild.intake.steps for
the steps, lagesbild.intake.kind for what a kind of data declares, lagesbild.intake.kinds for
the kinds). `check_file` and `import_file` take report files unless told another kind.
"""

from __future__ import annotations

import datetime as dt

from lagesbild.domain.codelists import Codelists
from lagesbild.domain.config import ImportLimits
from lagesbild.intake import steps
from lagesbild.intake.kind import Context, Kind, Validated
from lagesbild.intake.kinds import REPORT_KIND
from lagesbild.intake.reading import Source
from lagesbild.intake.steps import (
    CONFIRM_ABOVE,
    Change,
    ChangesUnconfirmed,
    CheckedFile,
    check,
    check_rows,
    outcome_details,
    problems_text,
    store_checked,
)
from lagesbild.store import Receipt, Store

__all__ = ["CONFIRM_ABOVE", "Change", "ChangesUnconfirmed", "CheckedFile", "Context", "Kind",
           "Validated", "check", "check_file", "check_rows", "import_file", "outcome_details",
           "problems_text", "store_checked"]


def check_file(source: Source, file_name: str, store: Store | None, limits: ImportLimits,
               codelists: Codelists | None = None, today: dt.date | None = None, *,
               partner: str | None = None, replace: bool = False) -> CheckedFile:
    """Check a report file (see `check`); nothing is stored."""
    return check(REPORT_KIND, source, file_name, store, limits, codelists=codelists,
                 today=today, partner=partner, replace=replace)


def import_file(source: Source, file_name: str, store: Store, limits: ImportLimits,
                imported_by: str, dry_run: bool = False, codelists: Codelists | None = None, *,
                kind: Kind | None = None, partner: str | None = None, replace: bool = False,
                confirmed: bool = False, today: dt.date | None = None,
                ) -> tuple[CheckedFile, Receipt | None]:
    """Check a file (reports unless `kind` says otherwise) and, unless refused, a dry run or
    with changes left unconfirmed, store it as one batch; log the outcome."""
    return steps.import_file(source, file_name, store, limits, imported_by, dry_run, codelists,
                             kind=kind or REPORT_KIND, partner=partner, replace=replace,
                             confirmed=confirmed, today=today)
