"""A new version of a code list, uploaded in the browser and checked before it is used.

Code lists live in the database (dataset `codelists`, versioned like every other kind; the files
in data/kodlistor are the defaults a new database starts from). A code-list file goes through
the one intake pipeline (kind `CODELIST_KIND`): it is read like any spreadsheet (CSV in UTF-8
with or without BOM, or cp1252, ',' or ';', or a workbook), every cell goes through the privacy
guard (a value is never repeated), and it is validated: a `varde` column; every value non-empty
and unique; no alias pointing at two values; `giltig_fran`/`giltig_till` empty or a quarter
(2024K1); `ersatts_av` empty or one of the values; every value stored data use for the list's
field still a value or an alias. A file is the whole list: values it no longer has are
withdrawn. Rolling back the batch restores the previous version exactly.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from lagesbild.domain import codelists
from lagesbild.domain.codelists import ColumnVocabulary
from lagesbild.domain.config import ImportLimits, settings
from lagesbild.domain.periods import parse_quarter
from lagesbild.domain.problems import Problem
from lagesbild.domain.text import match_key
from lagesbild.intake import steps as pipeline
from lagesbild.intake.kind import Context, Kind, Validated, declare
from lagesbild.intake.reading import Sheet
from lagesbild.intake.steps import CheckedFile
from lagesbild.intake.validate import as_text
from lagesbild.store import Store
from lagesbild.store.schema import CODELISTS

# plats (ja/nej) says whether a district is a place in the municipality (omrade only).
COLUMNS = ("varde", "alias", "giltig_fran", "giltig_till", "ersatts_av", "beskrivning", "plats")
# Stored data whose columns hold values of a code list, besides the ones the column files name.
_FIXED_USES = tuple(("reports", f, name) for f, name in codelists.LIST_OF_FIELD.items())
_EXTRA_USES = (("events", "kategori", "handelsekategori"),
               ("activities", "status", "aktivitetsstatus"),
               ("partners", "verksamhet", "verksamhet"))
_FOLLOWUP_COLUMNS = (("trainings", "utbildning"), ("activities", "aktivitet"))


@dataclass
class CodelistChange:
    """What a new version changes, by value."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass
class CodelistImport:
    """The outcome of checking (and perhaps storing) a code-list file."""

    file_name: str
    list_name: str
    sha256: str
    rows: list[dict[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    change: CodelistChange = field(default_factory=CodelistChange)
    batch_id: int | None = None
    checked: CheckedFile | None = None

    @property
    def accepted(self) -> bool:
        return not self.problems


# -- code lists ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _CodelistVocabulary(ColumnVocabulary):
    columns: tuple[dict[str, str], ...] = tuple(
        {"namn": name, "rubrik": name, "alias": alias, "obligatorisk": "ja" if name == "varde"
         else "nej"}
        for name, alias in (("varde", "värde|Value"), ("alias", "alias|Alias"),
                            ("giltig_fran", "giltig från|giltig_från"),
                            ("giltig_till", "giltig till"), ("ersatts_av", "ersätts av"),
                            ("beskrivning", "Beskrivning"), ("plats", "på kartan|Plats")))
    min_header_matches: int = 1


CODELIST_VOCABULARY = _CodelistVocabulary()
_FIELDS = COLUMNS
_PLACE_VALUES = ("", "ja", "j", "yes", *codelists.NOT_A_PLACE)


def _validate_codelist(sheet: Sheet, context: Context) -> Validated:
    """The rows of a code-list file (for the list named in `context.partner`'s place: the
    list is the file's scope, see CODELIST_KIND)."""
    name = context.target or ""
    column_of = {f: j for j, f in enumerate(sheet.fields) if f}
    header = {f: sheet.headers[j] for f, j in column_of.items()}
    problems: list[Problem] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in zip(sheet.row_numbers, sheet.rows, strict=True):
        rows.append((number, {f: as_text(cells[j]).strip() if j < len(cells) else ""
                              for f, j in column_of.items()} | {
            f: "" for f in _FIELDS if f not in column_of}))

    def problem(number: int | None, field: str, reason: str, fix: str,
                value: str | None = None) -> None:
        problems.append(Problem(sheet.file_name, reason, fix, sheet=sheet.sheet_name,
                                row=number, column=header.get(field, field), value=value))

    for number, row in rows:  # values become chart labels: no markup, no control characters
        for column in ("varde", "alias", "ersatts_av"):
            cell = row.get(column) or ""
            if any(ch in cell for ch in "<>") or not cell.isprintable():
                problem(number, column, "Otillåtet tecken i kodlistan", "Skriv värdet utan < "
                        "och > och utan styrtecken (tabb, radbrytning).")
    seen: dict[str, int] = {}
    for number, row in rows:
        value = row["varde"]
        if not value:
            problem(number, "varde", "Värdet är tomt", "Fyll i värdet eller ta bort raden.")
            continue
        key = match_key(value)
        if key in seen:
            problem(number, "varde", "Värdet finns på flera rader", f"Behåll en av raderna "
                    f"(den första är rad {seen[key]}); stavningar som betyder samma sak skrivs "
                    "som alias.", value)
            continue
        seen[key] = number
    values = {match_key(r["varde"]): r["varde"] for _, r in rows if r["varde"]}
    alias_of: dict[str, tuple[str, int]] = {}
    for number, row in rows:
        value = row["varde"]
        for alias in (a.strip() for a in row["alias"].split("|")):
            if not alias or not value:
                continue
            key = match_key(alias)
            other = values.get(key)
            if other is not None and match_key(other) != match_key(value):
                problem(number, "alias", f"Aliaset är också värdet {other!r}", "Ta bort aliaset "
                        "eller slå ihop värdena med ersatts_av.", alias)
            elif key in alias_of and match_key(alias_of[key][0]) != match_key(value):
                first, first_line = alias_of[key]
                problem(number, "alias", f"Aliaset pekar på två värden: {first!r} (rad "
                        f"{first_line}) och {value!r}", "Ett alias får bara höra till ett "
                        "värde. Ta bort det från den ena raden.", alias)
            else:
                alias_of.setdefault(key, (value, number))
        for column in ("giltig_fran", "giltig_till"):
            text = row[column]
            if text:
                try:
                    parse_quarter(text)
                except ValueError:
                    problem(number, column, "Ogiltigt kvartal", "Skriv kvartalet som 2024K1, "
                            "eller lämna cellen tom.", text)
        if row["plats"].lower() not in _PLACE_VALUES:
            problem(number, "plats", "Ogiltigt värde i kolumnen plats", "Skriv ja (en plats i "
                    "kommunen, på kartan och med befolkning) eller nej (t.ex. Digitalt, Okänt), "
                    "eller lämna cellen tom.", row["plats"])
        replaced = row["ersatts_av"]
        if replaced and match_key(replaced) not in values:
            problem(number, "ersatts_av", "ersatts_av är inte ett av listans värden",
                    "Skriv ett värde som finns i kolumnen varde, eller lämna cellen tom.",
                    replaced)
    kept = [(n, r) for n, r in rows if r["varde"]]
    table = pa.table({
        "lista": pa.array([name] * len(kept), pa.string()),
        **{f: pa.array([r[f] for _, r in kept], pa.string()) for f in _FIELDS},
        "ordning": pa.array(range(len(kept)), pa.int32())})
    return Validated(table, problems, 0, pa.array([n for n, _ in kept], pa.int64()))


def _codelist_in_use(table: pa.Table, context: Context, file_name: str) -> list[Problem]:
    """Every value stored data use must stay a value or an alias; the file must change
    something."""
    name = context.target or ""
    known = {match_key(v) for v in table.column("varde").to_pylist()}
    for aliases in table.column("alias").to_pylist():
        known.update(match_key(a) for a in aliases.split("|") if a.strip())
    problems = []
    if context.store is not None:
        missing = [v for v in values_in_use(context.store, name) if match_key(v) not in known]
        if missing:
            shown = ", ".join(repr(v) for v in missing[:20]) + (" …" if len(missing) > 20
                                                                else "")
            problems.append(Problem(file_name, f"Värden som används i lagrade data saknas: "
                                    f"{shown}", "Behåll värdena, eller lägg till dem som alias "
                                    "till det värde de ska räknas som (eller behåll raden med "
                                    "giltig_till och ersatts_av ifyllda).", column="varde"))
            return problems
    current = context.codelists.lists.get(name)
    if current is not None and _codes(table) == [
            (c.value, "|".join(c.aliases), c.valid_from, c.valid_to, c.replaced_by,
             c.description, _place_text(c, name)) for c in current.codes]:
        problems.append(Problem(file_name, "Filen ändrar ingenting i kodlistan",
                                "Ladda ned kodlistan, gör ändringarna och ladda upp den igen."))
    return problems


def _codes(table: pa.Table) -> list[tuple[str, ...]]:
    def cell(row: dict[str, str], name: str) -> str:
        if name == "alias":
            return "|".join(a.strip() for a in row["alias"].split("|") if a.strip())
        if name == "plats":
            return _place_text(codelists.Code(row["varde"], place=codelists.is_place(
                row["plats"])), row["lista"])
        return row[name]

    return [tuple(cell(r, f) for f in _FIELDS) for r in table.to_pylist()]


CODELIST_KIND = declare(Kind(
    CODELISTS.kind, "kodvärden", CODELISTS, lambda context: CODELIST_VOCABULARY,
    _validate_codelist, audit_action="kodlista", before_preview=_codelist_in_use,
    scope=("lista",), always_complete=True, key_column="varde", shown_key=("lista", "varde"),
    template_hint="Rubrikraden ska vara varde,alias,giltig_fran,giltig_till,ersatts_av,"
                  "beskrivning. Ladda ned den nuvarande kodlistan och utgå från den."))



KIND = CODELIST_KIND.name


def _place_text(code: codelists.Code, list_name: str) -> str:
    """The plats cell of a code as a file writes it: ja/nej for districts, else empty."""
    if list_name != "omrade":
        return ""
    return "ja" if code.place else "nej"


def list_names() -> list[str]:
    """The code lists that may be replaced (those of the database)."""
    return sorted(codelists.load().lists)


def csv_bytes(list_name: str) -> bytes:
    """The current version of a code list as a CSV file to edit and upload again."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for code in codelists.load().lists[list_name].codes:
        writer.writerow([code.value, "|".join(code.aliases), code.valid_from, code.valid_to,
                         code.replaced_by, code.description, _place_text(code, list_name)])
    return out.getvalue().encode("utf-8")


def _uses() -> list[tuple[str, str, str]]:
    """(table, column, list name) of every stored column checked against a code list."""
    from lagesbild.domain.contracts import contract

    uses = list(_FIXED_USES) + list(_EXTRA_USES)
    for table, kind in _FOLLOWUP_COLUMNS:
        spec = contract(kind)
        uses += [(table, name, list_name) for name in spec.coded_fields()
                 if (list_name := spec.list_name(name))]
    return list(dict.fromkeys(uses))


def values_in_use(store: Store, list_name: str) -> list[str]:
    """The distinct values stored data hold for the fields behind a code list."""
    found: set[str] = set()
    for table, column, name in _uses():
        if name != list_name:
            continue
        try:
            rows = store.cursor().execute(
                f'SELECT DISTINCT "{column}" FROM {table} WHERE "{column}" IS NOT NULL'
            ).fetchall()
        except duckdb.Error:  # a table or column this database does not have
            continue
        found.update(str(r[0]) for r in rows if str(r[0]).strip())
    return sorted(found)


def _change(old: codelists.CodeList | None, rows: list[dict[str, str]]) -> CodelistChange:
    before = {match_key(c.value): c for c in old.codes} if old else {}
    after = {match_key(r["varde"]): r for r in rows}
    change = CodelistChange()
    for key, row in after.items():
        code = before.get(key)
        if code is None:
            change.added.append(row["varde"])
            continue
        new = (row["varde"], tuple(a.strip() for a in row.get("alias", "").split("|")
                                   if a.strip()),
               row.get("giltig_fran", ""), row.get("giltig_till", ""),
               row.get("ersatts_av", ""), row.get("beskrivning", ""),
               codelists.is_place(row.get("plats", "")))
        if new != (code.value, code.aliases, code.valid_from, code.valid_to, code.replaced_by,
                   code.description, code.place):
            change.changed.append(row["varde"])
    change.removed = [c.value for k, c in before.items() if k not in after]
    return change


def check_codelist(store: Store, data: bytes, file_name: str, list_name: str,
                   limits: ImportLimits | None = None) -> CodelistImport:
    """Check a new version of a code list; nothing is stored."""
    result = CodelistImport(file_name, list_name, "")
    if list_name not in list_names():
        result.problems.append(Problem(file_name, f"Okänd kodlista: {list_name}",
                                       f"Välj en av {', '.join(list_names())}."))
        return result
    checked = pipeline.check(CODELIST_KIND, data, file_name, store,
                             limits or settings().web_limits, target=list_name)
    result.file_name, result.sha256, result.checked = checked.file_name, checked.sha256, checked
    result.problems = checked.problems
    if checked.rows is not None:
        result.rows = [{c: r[c] for c in COLUMNS} for r in checked.rows.to_pylist()]
        result.change = _change(codelists.load().lists.get(list_name), result.rows)
    return result


def import_codelist(store: Store, data: bytes, file_name: str, list_name: str,
                    imported_by: str, limits: ImportLimits | None = None) -> CodelistImport:
    """Check a code-list file and, when accepted, make it the list's new version (one batch,
    logged in the audit log; a refused file is logged as refused)."""
    result = check_codelist(store, data, file_name, list_name, limits)
    checked = result.checked
    if checked is None:
        return result
    receipt = None
    if result.accepted:
        receipt = pipeline.store_checked(store, checked, imported_by, confirmed=True)
        result.batch_id = receipt.batch_id
    change = result.change
    removed = f", {len(change.removed)} borttagna" if change.removed else ""
    store.audit(imported_by, KIND, "ok" if result.accepted else "nekad", target=list_name,
                details=(f"batch {result.batch_id}: {len(change.added)} nya, "
                         f"{len(change.changed)} ändrade{removed}" if receipt
                         else f"{result.file_name}: {len(result.problems)} problem"))
    return result
