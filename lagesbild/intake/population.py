"""Importing population figures per RegSO area and year (kind 'befolkning').

Population files (`regsokod,ar,befolkning`, e.g. data/befolkning.csv, as CSV or a workbook) go
through the one intake pipeline (kind `POPULATION_KIND`) into the dataset `population`;
`ensure_population` seeds a new database from data/befolkning.csv. Reading the figures is
`lagesbild.numbers.population`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from lagesbild.domain import config
from lagesbild.domain.problems import Problem
from lagesbild.intake import pipeline
from lagesbild.intake.kinds import POPULATION_KIND
from lagesbild.intake.pipeline import CheckedFile
from lagesbild.store import Receipt, Store

FIRST_YEAR = 1968


@dataclass
class PopulationImport:
    """The outcome of a population import: stored as `batch_id`, or refused with problems."""

    file_name: str
    sha256: str
    rows: int = 0
    batch_id: int | None = None
    problems: list[Problem] = field(default_factory=list)
    already_imported: bool = False

    @property
    def accepted(self) -> bool:
        return not self.problems

    @classmethod
    def of(cls, store: Store, checked: CheckedFile, receipt: Receipt | None) \
            -> PopulationImport:
        result = cls(checked.file_name, checked.sha256,
                     len(checked.rows) if checked.rows is not None else 0,
                     receipt.batch_id if receipt else None, checked.problems)
        if checked.accepted and (receipt is None or receipt.already_imported):
            result.already_imported = True
            result.batch_id = store.find_import(checked.sha256, POPULATION_KIND.name)
        return result


def import_population(store: Store, source: bytes | str | os.PathLike[str], file_name: str,
                      imported_by: str) -> PopulationImport:
    """Check a population file and store it as one batch; nothing is stored on problems."""
    checked, receipt = pipeline.import_file(
        source, file_name, store, config.settings().cli_limits, imported_by,
        kind=POPULATION_KIND, confirmed=True)
    return PopulationImport.of(store, checked, receipt)


def ensure_population(store: Store, path: Path | None = None) -> int | None:
    """Seed population from data/befolkning.csv when the database has no population batch
    (not even a rolled-back one). Returns the new batch id, or None."""
    row = store.cursor().execute("SELECT count(*) FROM batches WHERE kind = ?",
                                 [POPULATION_KIND.name]).fetchone()
    assert row is not None  # an aggregate returns one row
    source = path or config.POPULATION_FILE
    if row[0] or not Path(source).exists():
        return None
    result = import_population(store, source, Path(source).name, "system")
    return result.batch_id if result.accepted else None
