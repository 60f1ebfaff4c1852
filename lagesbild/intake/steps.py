"""The steps of the one intake pipeline: read → privacy guard → validate → identify → preview →
store → receipt (lagesbild.intake.pipeline is the front door).

Every kind of data comes in through the same steps (`check`, then `store_checked`; `import_file`
does both and logs the outcome): reports, trainings, the activity plan, population figures, code
lists and the partner register as files, and the app's edits and nil returns as one-row tables.
A kind of data is a declaration (`Kind`, see lagesbild.intake.kinds): its contract (the header
vocabulary), its stored dataset (table and key), how a sheet is validated and, for reports, how
each row gets its partner. Nothing here knows one kind from another.

What every kind gets:
- the file name and the sheet names are checked for personal data first; a name that looks
  personal is never shown or stored (a placeholder is), and the file is refused;
- every sheet with the kind's headers is read; sheets not read are named in the receipt; hidden
  rows are imported and counted;
- all or nothing: any problem refuses the whole file, with every problem listed;
- the preview: counts, and every stored row that would change, field by field (old → new);
  a file that would change more than `CONFIRM_ABOVE` rows, or change a row so much that it looks
  like another one under the same key, must be confirmed (`ChangesUnconfirmed` otherwise);
- a complete delivery (`replace`) withdraws the rows of its scope that the file no longer has,
  as versions that rollback undoes;
- one batch per file, one transaction, rollback and audit the same way for every kind.

Over 500 lines as one cohesive job: the pipeline's steps in their order, each the next one's
input (CheckedFile), for every kind alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.codelists import Codelists
from lagesbild.domain.config import ImportLimits
from lagesbild.domain.periods import quarter_label
from lagesbild.domain.problems import FileRefused, Problem
from lagesbild.intake import privacy
from lagesbild.intake.kind import KNOWN, Context, Kind
from lagesbild.intake.phases import phase
from lagesbild.intake.reading import ReadFile, Sheet, Source, read_file
from lagesbild.store import Receipt, Store, audit
from lagesbild.store.schema import Dataset

# More changed (or withdrawn) rows than this must be confirmed before they are stored.
CONFIRM_ABOVE = 5
MAX_CHANGES_SHOWN = 200  # the preview lists at most this many changed fields (JSON: all)
ROW = "__rad"  # the Excel row of each validated row, while the file is checked
SHEET = "__blad"  # the sheet it came from


class ChangesUnconfirmed(ValueError):
    """A file that changes many stored rows was to be stored without confirmation."""


@dataclass(frozen=True)
class Change:
    """One field of one stored row that the file would change."""

    key: tuple[tuple[str, str], ...]  # (column, value) of the row's key
    field: str  # the column's header, as the analyst knows it
    old: str
    new: str

    def as_dict(self) -> dict[str, str]:
        return {**dict(self.key), "falt": self.field, "fran": self.old, "till": self.new}


@dataclass
class CheckedFile:
    """A file (or an edit) that has been read and validated but not stored."""

    file_name: str
    sha256: str
    problems: list[Problem] = field(default_factory=list)
    reports: pa.Table | None = None  # the canonical rows (of any kind; `rows` is the same)
    duplicates: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # new / changed / unchanged / withdrawn
    already_imported: bool = False
    codelist_version: str = ""
    kind: str = "rapporter"  # the Kind's name
    declared: Kind | None = None  # the Kind itself
    changes: list[Change] = field(default_factory=list)
    withdrawals: pa.Table | None = None  # current rows a complete delivery withdraws
    also: tuple[tuple[Dataset, pa.Table], ...] = ()  # rows of other datasets (nil returns)
    moved: int = 0  # changed rows that move to another quarter
    different: int = 0  # changed rows that look like other rows under the same key
    sheets_read: list[str] = field(default_factory=list)
    sheets_not_read: list[tuple[str, str]] = field(default_factory=list)
    hidden_rows: int = 0
    replace: bool = False
    partner: str | None = None  # the partner chosen for the file
    confirms: bool = False  # the kind asks for confirmation of many changes

    @property
    def rows(self) -> pa.Table | None:
        return self.reports

    @rows.setter
    def rows(self, table: pa.Table | None) -> None:
        self.reports = table

    @property
    def accepted(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> int:
        """Stored rows the file would change or withdraw."""
        return self.counts.get("changed", 0) + self.counts.get("withdrawn", 0)

    @property
    def needs_confirmation(self) -> bool:
        return self.confirms and self.accepted and not self.already_imported and (
            self.changed > CONFIRM_ABOVE or self.different > 0)

    def warning(self) -> str:
        """The plain warning shown before a file that needs confirmation is stored."""
        if not self.needs_confirmation:
            return ""
        parts = [f"Filen ändrar {self.counts.get('changed', 0)} befintliga rader"]
        if self.moved:
            parts.append(f"varav {self.moved} flyttas till ett annat kvartal")
        text = ", ".join(parts)
        withdrawn = self.counts.get("withdrawn", 0)
        if withdrawn:
            text += f", och {withdrawn} återkallas (finns inte i filen)"
        text += "."
        if self.different:
            text += (f" {self.different} av dem ser ut att vara en annan rad under samma id "
                     "(datum, område, form och händelsetyp är alla olika).")
        if self.moved or self.different:
            text += " Numreringen verkar ha börjat om? Kontrollera partnerns numrering " \
                    "(löpande, per år eller per kvartal) innan du bekräftar."
        return text

    @property
    def period(self) -> tuple[dt.date | None, dt.date | None]:
        if (self.reports is None or not len(self.reports)
                or "datum" not in self.reports.column_names):
            return None, None
        dates = self.reports.column("datum")
        return pc.min(dates).as_py(), pc.max(dates).as_py()

    @property
    def partners(self) -> list[str]:
        if self.reports is None or "partner" not in self.reports.column_names:
            return []
        return sorted(set(self.reports.column("partner").to_pylist()))


def file_bytes(source: Source) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def _too_large(source: Source, name: str,
               limits: ImportLimits) -> Problem | None:
    size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    if size <= limits.max_bytes:
        return None
    return Problem(name, f"Filen är för stor ({size / 2**20:.0f} MB)",
                   f"Största tillåtna storlek är {limits.max_bytes // 2**20} MB. Dela upp filen.")


# -- the steps -----------------------------------------------------------------------------------
def check(
    kind: Kind,
    source: Source,
    file_name: str,
    store: Store | None,
    limits: ImportLimits,
    *,
    codelists: Codelists | None = None,
    today: dt.date | None = None,
    partner: str | None = None,
    replace: bool = False,
    target: str | None = None,
) -> CheckedFile:
    """Read, guard, validate, identify and preview a file; nothing is stored."""
    name = privacy.masked_name(file_name)
    lists = codelists or codelist_module.load()
    checked = CheckedFile(name, "", kind=kind.name, declared=kind,
                          codelist_version=lists.version,
                          replace=replace or kind.always_complete, partner=partner,
                          confirms=kind.confirms)
    big = _too_large(source, name, limits)
    if big is not None:
        checked.problems = [big]
        return checked
    data = file_bytes(source)
    checked.sha256 = hashlib.sha256(data).hexdigest()
    checked.problems = privacy.name_problems(name)
    if checked.problems:  # never read further: the name is not shown anywhere
        return checked
    context = Context(store, lists, today or dt.date.today(), limits, partner,
                      checked.replace, target)
    try:
        found = read_file(data, name, kind.vocabulary(context), limits,
                          name_check=_refuse_personal_sheet_names(name))
    except FileRefused as refused:
        checked.problems = [kind.explain_refusal(p, data, context, KNOWN)
                            for p in refused.problems]
        return checked
    return check_read(kind, found, checked, context)


def check_read(kind: Kind, found: ReadFile, checked: CheckedFile,
               context: Context) -> CheckedFile:
    """The steps after reading: privacy guard, validation, identity, preview."""
    checked.sheets_read = [s.sheet_name for s in found.sheets if s.sheet_name]
    checked.sheets_not_read = found.not_read
    checked.hidden_rows = found.hidden_rows
    with phase("integritetskontroll"):
        problems = [p for sheet in found.sheets for p in privacy.scan_sheet(sheet)]
    if problems:  # never validate further: messages could echo personal data
        checked.problems = problems
        return checked
    parts: list[pa.Table] = []
    for sheet in found.sheets:
        with phase("validering"):
            validated = kind.validate(sheet, context)
        problems += validated.problems
        checked.duplicates += validated.duplicates
        rows = validated.rows
        if kind.identify is not None and not validated.problems:
            with phase("partner och identitet"):
                rows, found_problems = kind.identify(sheet, rows, context)
            problems += found_problems
        numbers = validated.numbers if validated.numbers is not None else sheet.numbers
        if not validated.problems and len(numbers) == len(rows):
            rows = rows.append_column(ROW, numbers).append_column(
                SHEET, pa.repeat(pa.scalar(sheet.sheet_name or "", pa.string()), len(rows)))
        parts.append(rows)
    if problems:
        checked.problems = problems
        return checked
    table = pa.concat_tables(parts, promote_options="permissive") if len(parts) > 1 else parts[0]
    with phase("partner och identitet"):
        table, repeats, problems = _distinct(kind, table, found.file_name)
    checked.duplicates += repeats
    if not problems and not len(table):
        first = found.sheets[0]
        problems = [Problem(found.file_name, f"Filen innehåller inga {kind.title}",
                            "Fyll i minst en rad under rubrikraden och importera igen.",
                            sheet=first.sheet_name, row=first.header_row + 1)]
    if not problems and kind.before_preview is not None:
        problems = kind.before_preview(table, context, found.file_name)
    if problems:
        checked.problems = problems
        return checked
    checked.reports = table.drop_columns([c for c in (ROW, SHEET) if c in table.column_names])
    with phase("förhandsvisning av ändringar"):
        preview(kind, checked, context)
    return checked


def _refuse_personal_sheet_names(file_name: str) -> Callable[[list[str]], None]:
    def check_names(names: list[str]) -> None:
        problems = privacy.name_problems(file_name, names)
        if problems:
            raise FileRefused(problems)
    return check_names


def _distinct(kind: Kind, table: pa.Table, file_name: str) \
        -> tuple[pa.Table, int, list[Problem]]:
    """Identical repeats of a key left out (counted), conflicting repeats refused."""
    key = list(kind.dataset.key)
    present = [k for k in key if k in table.column_names]
    if len(table) < 2 or not present:
        return table, 0, []
    typed = kind.key_column if kind.key_column in present else present[-1]
    if pc.count_distinct(table.column(typed), mode="all").as_py() == len(table) or \
            table.select(present).group_by(present).aggregate([]).num_rows == len(table):
        return table, 0, []  # the usual case: every id once
    stored = [c for c in table.column_names if c not in (ROW, SHEET)]
    values = table.select(stored).to_pylist()
    numbers = table.column(ROW).to_pylist() if ROW in table.column_names else [None] * len(table)
    sheets = (table.column(SHEET).to_pylist() if SHEET in table.column_names
              else [None] * len(table))
    seen: dict[tuple[object, ...], int] = {}
    keep: list[int] = []
    repeats = 0
    problems = []
    label = kind.key_label
    for i, row in enumerate(values):
        k = tuple(row[c] for c in present)
        first = seen.get(k)
        if first is None:
            seen[k] = i
            keep.append(i)
        elif row == values[first]:
            repeats += 1
        else:
            where = f"rad {numbers[first]}" + (
                f" på bladet {sheets[first]}" if sheets[first] and sheets[first] != sheets[i]
                else "")
            problems.append(Problem(
                file_name, f"Samma {label} finns redan på {where} med annat innehåll",
                f"Ge varje rad ett eget {label}, eller ta bort den rad som är fel.",
                sheet=sheets[i] or None, row=numbers[i], column=kind.key_header(),
                value=str(row.get(kind.key_column, "")) or None))
    return table.take(keep), repeats, problems


def preview(kind: Kind, checked: CheckedFile, context: Context) -> None:
    """Counts and changes against the store (and the withdrawals of a complete delivery)."""
    store = context.store
    rows = checked.reports
    if store is None or rows is None:
        return
    dataset = kind.dataset
    if checked.replace and kind.scope:
        checked.withdrawals = _withdrawals(store, kind, rows)
    if kind.also is not None:
        checked.also = kind.also(rows, context)
    incoming = _with_withdrawals(dataset, rows, checked.withdrawals)
    checked.counts = store.classify(incoming, dataset)
    changed = store.changes(rows, dataset) if checked.counts.get("changed") else None
    if changed is not None and len(changed):
        checked.changes = _changes(kind, changed, context)
        checked.moved, checked.different = _moves(kind, changed)
    # the same file again is already imported – unless it would now change something (it is
    # imported for another partner, as a complete delivery, or after a rollback)
    nothing = not any(checked.counts.get(k) for k in ("new", "changed", "withdrawn")) and not (
        checked.also)
    checked.already_imported = nothing and store.find_import(checked.sha256,
                                                             dataset.kind) is not None


def _with_withdrawals(dataset: Dataset, rows: pa.Table, withdrawals: pa.Table | None) \
        -> pa.Table:
    if dataset.withdrawn is None:
        return rows
    flagged = rows.append_column(dataset.withdrawn, pa.repeat(pa.scalar(False), len(rows)))
    if withdrawals is None or not len(withdrawals):
        return flagged
    return pa.concat_tables([flagged, withdrawals.select(flagged.column_names).cast(
        flagged.schema)])


def _withdrawals(store: Store, kind: Kind, rows: pa.Table) -> pa.Table:
    """The current rows inside the file's scope (e.g. the partner's quarters) that the file
    does not have, as withdrawals."""
    dataset = kind.dataset
    scope = kind.scope_of(rows)
    if not len(scope):
        return pa.table({})
    columns = scope.column_names
    marks = ", ".join("(" + ", ".join("?" * len(columns)) + ")" for _ in range(len(scope)))
    params = [v for row in scope.to_pylist() for v in row.values()]
    current = store.select_current(dataset, f"({', '.join(columns)}) IN ({marks})", params)
    if not len(current):
        return pa.table({})
    keys = list(dataset.key)
    present = [k for k in keys if k in rows.column_names]
    incoming = {tuple(r) for r in zip(*(rows.column(k).to_pylist() for k in present),
                                      strict=True)}
    mine = list(zip(*(current.column(k).to_pylist() for k in present), strict=True))
    gone = [i for i, k in enumerate(mine) if k not in incoming]
    if not gone:
        return pa.table({})
    kept = current.take(gone).select([c for c in dataset.columns
                                      if c in current.column_names])
    assert dataset.withdrawn is not None
    return kept.append_column(dataset.withdrawn, pa.repeat(pa.scalar(True), len(kept)))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _changes(kind: Kind, changed: pa.Table, context: Context) -> list[Change]:
    """Every changed field of every changed row, old → new."""
    dataset = kind.dataset
    compared = [c for c in dataset.columns if c not in dataset.key
                and c + "__fran" in changed.column_names]
    header = kind.header_of(context)
    found = []
    for row in changed.to_pylist():
        key = tuple((k, _text(row[k])) for k in kind.shown_key)
        for column in compared:
            if row[column] != row[column + "__fran"]:
                found.append(Change(key, header(column), _text(row[column + "__fran"]),
                                    _text(row[column])))
    return found


def _moves(kind: Kind, changed: pa.Table) -> tuple[int, int]:
    """(rows moved to another quarter, rows that look like other rows) among the changes."""
    moved = different = 0
    if kind.moved_by and kind.moved_by in changed.column_names:
        new, old = changed.column(kind.moved_by), changed.column(kind.moved_by + "__fran")
        moved = pc.sum(pc.or_(pc.not_equal(pc.year(new), pc.year(old)),
                              pc.not_equal(pc.quarter(new), pc.quarter(old)))).as_py() or 0
    if kind.different_if and all(c in changed.column_names for c in kind.different_if):
        masks = [pc.not_equal(changed.column(c), changed.column(c + "__fran"))
                 for c in kind.different_if]
        every = masks[0]
        for mask in masks[1:]:
            every = pc.and_(every, mask)
        different = pc.sum(every).as_py() or 0
    return moved, different


def store_checked(store: Store, checked: CheckedFile, imported_by: str,
                  confirmed: bool = False) -> Receipt:
    """Store an accepted file as one batch (all or nothing). A file that needs confirmation
    (see `CheckedFile.needs_confirmation`) is stored only when `confirmed`."""
    if not checked.accepted or checked.reports is None or checked.declared is None:
        raise ValueError("Bara en godkänd fil kan lagras.")
    if checked.needs_confirmation and not confirmed:
        raise ChangesUnconfirmed(checked.warning() + " Bekräfta ändringarna för att spara.")
    kind = checked.declared
    if checked.already_imported:
        first, last = checked.period
        return Receipt(checked.file_name, checked.sha256, None, len(checked.reports), 0, 0,
                       len(checked.reports), checked.duplicates, first, last,
                       tuple(checked.partners), already_imported=True)
    rows = _with_withdrawals(kind.dataset, checked.reports, checked.withdrawals)
    with phase("lagring (en transaktion)"):
        receipt = store.import_rows(
            kind.dataset, rows, file_name=checked.file_name, sha256=checked.sha256,
            imported_by=imported_by, rows_duplicate=checked.duplicates,
            codelist_version=checked.codelist_version, also=checked.also,
            remove_demo=kind.removes_demo, dedupe=False,
            rows_hidden=checked.hidden_rows,
            sheets_not_read=tuple(f"{name} ({why})" for name, why in checked.sheets_not_read))
    return receipt


def outcome_details(checked: CheckedFile, receipt: Receipt | None) -> str:
    """The audit log's details of an import."""
    if not checked.accepted:
        return f"{len(checked.problems)} problem"
    if receipt is None or receipt.batch_id is None:
        return "redan importerad"
    return f"batch {receipt.batch_id}, {receipt.rows_total} rader"


def import_file(
    source: Source,
    file_name: str,
    store: Store,
    limits: ImportLimits,
    imported_by: str,
    dry_run: bool = False,
    codelists: Codelists | None = None,
    *,
    kind: Kind,
    partner: str | None = None,
    replace: bool = False,
    confirmed: bool = False,
    today: dt.date | None = None,
) -> tuple[CheckedFile, Receipt | None]:
    """Check a file and, unless refused, a dry run or unconfirmed changes, store it; log the
    outcome (a refused or unconfirmed file as refused)."""
    checked = check(kind, source, file_name, store, limits, codelists=codelists, today=today,
                    partner=partner, replace=replace)
    receipt = None
    waiting = checked.needs_confirmation and not confirmed
    if checked.accepted and not dry_run and not waiting:
        receipt = store_checked(store, checked, imported_by, confirmed=confirmed)
    if not dry_run:
        if waiting:
            audit.log(store, imported_by, kind.audit_action, audit.NEKAD, checked.file_name,
                      f"{checked.changed} ändrade rader inte bekräftade")
        else:
            audit.log(store, imported_by, kind.audit_action,
                      audit.OK if checked.accepted else audit.NEKAD, checked.file_name,
                      outcome_details(checked, receipt))
    return checked, receipt


# -- one-row tables: edits in the app, the partner register, nil returns ---------------------------
def check_rows(kind: Kind, sheet: Sheet, store: Store | None,
               today: dt.date | None = None, *, replace: bool = False) -> CheckedFile:
    """Check rows an analyst entered in the app (a Sheet made from the form) like a file."""
    lists = codelist_module.load()
    checked = CheckedFile(sheet.file_name, "", kind=kind.name, declared=kind,
                          codelist_version=lists.version, replace=replace)
    context = Context(store, lists, today or dt.date.today(), ImportLimits(), None, replace)
    checked = check_read(kind, ReadFile(sheet.file_name, [sheet]), checked, context)
    if checked.reports is not None:
        from lagesbild.store import content_sha256

        checked.sha256 = content_sha256(checked.reports)
    return checked


def quarter_text(date: dt.date) -> str:
    return quarter_label(date.year, (date.month - 1) // 3 + 1)


def problems_text(problems: Sequence[Problem], limit: int = 50) -> list[str]:
    """The problems as lines for a terminal, at most `limit` (and how many more)."""
    lines = [f"  - {p.message()}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  … och {len(problems) - limit} problem till (använd --json för hela "
                     "listan).")
    return lines
