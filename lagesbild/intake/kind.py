"""What a kind of data is for the intake pipeline: the declaration (`Kind`), the context a check
runs in, and what a validator returns. The kinds themselves are lagesbild.intake.kinds (and
lagesbild.intake.followup.kinds, lagesbild.intake.codelists); the steps are
lagesbild.intake.steps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.codelists import Codelists, ColumnVocabulary
from lagesbild.domain.config import ImportLimits
from lagesbild.domain.problems import FileRefused, Problem
from lagesbild.intake.reading import Sheet, read_sheet
from lagesbild.store import Store
from lagesbild.store.schema import Dataset

NO_HEADER = "Hittar ingen rubrikrad i filen"
# Every kind declared (a kind registers itself): a file refused as one kind may be another.
KNOWN: list[Kind] = []


@dataclass
class Context:
    """What a check needs beyond the file: the store, the code lists, today, and the
    analyst's choices (the file's partner, whether it is a complete delivery)."""

    store: Store | None
    codelists: Codelists
    today: dt.date
    limits: ImportLimits
    partner: str | None = None
    replace: bool = False
    target: str | None = None  # what the file replaces, when a kind needs it (a code list)


@dataclass
class Validated:
    """The canonical rows of one sheet (or of all), the problems, and left-out repeats.

    `numbers`: the Excel row of each row, when the validator keeps them (for messages about
    repeats across sheets)."""

    rows: pa.Table
    problems: list[Problem]
    duplicates: int = 0
    numbers: pa.Array | None = None

    @property
    def reports(self) -> pa.Table:  # the name the report validator has always used
        return self.rows


def quarters_of(dates: pa.Array) -> pa.Array:
    """'2026K3' for each date."""
    return pc.binary_join_element_wise(pc.cast(pc.year(dates), pa.string()),
                                       pc.cast(pc.quarter(dates), pa.string()), "K")


@dataclass(frozen=True)
class Kind:
    """One kind of data (see the module text)."""

    name: str  # also the batches' kind (the dataset's)
    title: str  # Swedish, plural, for messages: "rapporter"
    dataset: Dataset
    vocabulary: Callable[[Context], ColumnVocabulary]
    validate: Callable[[Sheet, Context], Validated]
    audit_action: str = "import"
    identify: Callable[[Sheet, pa.Table, Context], tuple[pa.Table, list[Problem]]] | None = None
    before_preview: Callable[[pa.Table, Context, str], list[Problem]] | None = None
    also: Callable[[pa.Table, Context], tuple[tuple[Dataset, pa.Table], ...]] | None = None
    scope: tuple[str, ...] = ()  # the columns a complete delivery covers (derived allowed)
    always_complete: bool = False  # every file is the whole of its scope (a code list)
    key_column: str = ""  # the key column the analyst types (Rapport-ID, …)
    shown_key: tuple[str, ...] = ()  # the key columns that name a changed row
    moved_by: str | None = None  # a date column: changes that move to another quarter
    different_if: tuple[str, ...] = ()  # all of these changed: looks like another row
    template_hint: str = ""  # where the template is, for a file without header row
    confirms: bool = False  # many changes (CONFIRM_ABOVE) must be confirmed before storing
    file_label: str = ""  # "en rapportfil": what a file of this kind is called
    removes_demo: bool = False  # the first real batch of it removes the demo data

    @property
    def label(self) -> str:
        return self.file_label or f"en fil med {self.title}"

    @property
    def key_label(self) -> str:
        return self.key_header()

    def key_header(self) -> str:
        vocabulary = self.vocabulary(bare_context())
        try:
            return vocabulary.header(self.key_column or self.dataset.key[-1])
        except StopIteration:
            return self.key_column or self.dataset.key[-1]

    def header_of(self, context: Context) -> Callable[[str], str]:
        vocabulary = self.vocabulary(context)

        def header(column: str) -> str:
            try:
                return vocabulary.header(column)
            except StopIteration:
                return {"regso": "RegSO", "id_period": "Numreringsperiod",
                        "partner": "Partner"}.get(column, column)
        return header

    def scope_of(self, rows: pa.Table) -> pa.Table:
        """The distinct scope values (e.g. partner and quarter) of the rows."""
        columns = {}
        for name in self.scope:
            if name == "kvartal" and "kvartal" not in rows.column_names:
                columns[name] = quarters_of(rows.column("datum").combine_chunks())
            else:
                columns[name] = rows.column(name)
        return pa.table(columns).group_by(list(self.scope)).aggregate([])

    def explain_refusal(self, problem: Problem, data: bytes, context: Context,
                        others: Sequence[Kind] = ()) -> Problem:
        """A reading problem, with this kind's advice for a file without header row (and,
        when the file is one of the `others` kinds, which)."""
        if problem.reason != NO_HEADER or not self.template_hint:
            return problem
        required = ", ".join(self.vocabulary(context).header(n)
                             for n in self.vocabulary(context).required())
        fix = (_other_kind_hint(self, data, problem.file, context, others)
               + f"Rubrikraden ska stå bland de 20 första raderna och ha kolumnerna {required}. "
               + self.template_hint)
        return Problem(problem.file, problem.reason, fix, problem.sheet, problem.row,
                       problem.column, problem.value)


def bare_context() -> Context:
    """A context without a store, file or choices (for a kind's headers)."""
    return Context(None, codelist_module.load(), dt.date.today(), ImportLimits())


def declare(kind: Kind) -> Kind:
    """Register a kind (so that a file of it offered as another kind is recognised)."""
    KNOWN.append(kind)
    return kind


def _other_kind_hint(kind: Kind, data: bytes, file_name: str, context: Context,
                     others: Sequence[Kind]) -> str:
    """Advice when the file has no header row of this kind: is it another kind of file?"""
    for other in others:
        if other.name == kind.name or not other.file_label:
            continue
        try:
            read_sheet(data, file_name, other.vocabulary(context), context.limits)
        except FileRefused:
            continue
        return f"Filen ser ut att vara {other.label}; importera den på rätt ställe. "
    return ""


