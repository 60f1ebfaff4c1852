"""The data contracts of the follow-up spreadsheets: trainings and the activity plan.

Each spreadsheet type has a column file in data/kodlistor (kolumner_utbildning.csv,
kolumner_aktivitet.csv: header, accepted aliases, required or not, code list). A `Contract`
offers the same header vocabulary as `Codelists` (`columns`, `header_lookup()`, `required()`,
`header(name)`), so `lagesbild.intake.reading.read_sheet` reads these files unchanged, and it knows
the code list behind each coded column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain import config
from lagesbild.domain.codelists import CodeList, Codelists, ColumnVocabulary

# The stored fields of each kind of data, in table order (lagesbild.store.schema makes the
# tables from them).
REPORT_COLUMNS = (
    "partner", "rapport_id", "datum", "rapporttyp", "omrade", "regso", "form", "handelse",
    "verksamhet", "kon", "aldersgrupp", "konsultation",
)
TRAINING_COLUMNS = (
    "insats_id", "datum", "typ", "tema", "malgrupp", "antal_deltagare", "varav_kvinnor",
    "varav_man",
)
ACTIVITY_COLUMNS = (
    "aktivitet_id", "aktivitet", "mal", "omrade", "ansvarig", "start_kvartal", "klart_kvartal",
    "status", "borttagen",
)
EVENT_COLUMNS = ("handelse_id", "datum", "kategori", "titel", "borttagen")

TRAINING = "utbildning"
ACTIVITY = "aktivitet"
# Code list behind the in-app fields that have no spreadsheet column.
EVENT_CATEGORY_LIST = "handelsekategori"
STATUS_LIST = "aktivitetsstatus"


@dataclass(frozen=True)
class Contract(ColumnVocabulary):
    """The columns of one spreadsheet type, shaped like `Codelists` for `read_sheet`."""

    kind: str  # TRAINING or ACTIVITY
    title: str  # Swedish, plural: "utbildningsinsatser"
    batch_kind: str  # batches.kind of its imports (lagesbild.store.schema.dataset_of_kind)
    stored: tuple[str, ...]  # the stored fields, in table order
    columns: tuple[dict[str, str], ...]
    codelists: Codelists
    template_name: str  # file name of the Excel template

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c["namn"] for c in self.columns)

    def list_name(self, name: str) -> str | None:
        """The code list (file name without .csv) behind a column, or None."""
        column = next(c for c in self.columns if c["namn"] == name)
        return column.get("kodlista") or None

    def codelist(self, name: str) -> CodeList:
        list_name = self.list_name(name)
        if list_name is None:
            raise KeyError(f"{name} har ingen kodlista")
        return self.codelists.lists[list_name]

    def coded_fields(self) -> list[str]:
        return [c["namn"] for c in self.columns if c.get("kodlista")]


def _read_columns(path: Path) -> tuple[dict[str, str], ...]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return tuple({k: (v or "").strip() for k, v in row.items()}
                     for row in csv.DictReader(handle))


@cache
def contract(kind: str, folder: Path | None = None) -> Contract:
    """The contract of a spreadsheet type: TRAINING ('utbildning') or ACTIVITY ('aktivitet')."""
    lists = codelist_module.load(folder) if folder else codelist_module.load()
    folder = folder or config.CODELIST_DIR
    if kind == TRAINING:
        return Contract(TRAINING, "utbildningsinsatser", "utbildningar", TRAINING_COLUMNS,
                        _read_columns(folder / "kolumner_utbildning.csv"), lists,
                        "mall_utbildningsinsatser.xlsx")
    if kind == ACTIVITY:
        return Contract(ACTIVITY, "aktiviteter", "aktivitetsplan", ACTIVITY_COLUMNS,
                        _read_columns(folder / "kolumner_aktivitet.csv"), lists,
                        "mall_aktivitetsplan.xlsx")
    raise ValueError(f"Okänd filtyp {kind!r}: välj {TRAINING!r} eller {ACTIVITY!r}.")


codelist_module.on_change(contract.cache_clear)  # the contracts hold the loaded lists


def codelist(name: str) -> CodeList:
    """A code list of the current code-list folder by file name (without .csv)."""
    return codelist_module.load().lists[name]


def event_categories() -> list[str]:
    """The categories of context events (code list `handelsekategori`)."""
    return codelist(EVENT_CATEGORY_LIST).values
