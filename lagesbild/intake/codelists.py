"""A new version of a code list, uploaded in the browser and validated before it is used.

`check_codelist` reads an uploaded CSV (UTF-8 with or without BOM, or cp1252; ',' or ';') and
validates it the same way everywhere: a `varde` column; every value non-empty and unique; no
alias pointing at two values; `giltig_fran`/`giltig_till` empty or a quarter (2024K1);
`ersatts_av` empty or one of the values; no personal data in any cell (never repeated in a
message); and every value stored data use for the list's field must still be a value or an
alias. It also describes the change (added, removed and changed values).

`import_codelist` stores an accepted file: one batch of kind 'kodlista' (partners = the list
name) in one transaction, the previous file kept as data/kodlistor/historik/<list>-<batch>.csv,
the list replaced atomically (temp file + os.replace), the code-list cache cleared and the
change logged in the audit log. The web app calls the `guarded_*` wrappers, which require the
'reference_data' permission.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from lagesbild.domain import codelists, config
from lagesbild.domain.periods import parse_quarter
from lagesbild.domain.problems import Problem
from lagesbild.domain.text import match_key
from lagesbild.intake.privacy import looks_personal
from lagesbild.store import Store, audit

KIND = "kodlista"
HISTORY = "historik"
COLUMNS = ("varde", "alias", "giltig_fran", "giltig_till", "ersatts_av", "beskrivning")
# Stored data whose columns hold values of a code list, besides the ones the column files name.
_FIXED_USES = tuple(("reports", f, name) for f, name in codelists.LIST_OF_FIELD.items())
_EXTRA_USES = (("events", "kategori", "handelsekategori"),
               ("activities", "status", "aktivitetsstatus"))
_FOLLOWUP_COLUMN_FILES = (("trainings", "kolumner_utbildning.csv"),
                          ("activities", "kolumner_aktivitet.csv"))


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
    header: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    change: CodelistChange = field(default_factory=CodelistChange)
    batch_id: int | None = None
    history_file: Path | None = None

    @property
    def accepted(self) -> bool:
        return not self.problems


def list_names(folder: Path | None = None) -> list[str]:
    """The code lists that may be replaced (every list file except kolumner*.csv)."""
    folder = Path(folder or config.CODELIST_DIR)
    return sorted(p.stem for p in folder.glob("*.csv") if not p.stem.startswith("kolumner"))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _header_name(text: str) -> str:
    return match_key(text).replace(" ", "_").replace("-", "_")


def _parse(data: bytes, file_name: str) -> tuple[list[str], list[tuple[int, dict[str, str]]],
                                                list[Problem]]:
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        return [], [], [Problem(file_name, "Filen är tom", "Ladda ned den nuvarande kodlistan, "
                                "ändra den och ladda upp den igen.")]
    problems: list[Problem] = []
    names: list[str] = []
    for j, raw in enumerate(header, start=1):
        if looks_personal(raw.strip()):
            problems.append(Problem(file_name, "Rubrikraden ser ut att innehålla "
                                    "personuppgifter", "Ta bort personuppgiften.", row=1,
                                    column=f"kolumn {j}"))
            names.append(f"kolumn_{j}")
        else:
            names.append(_header_name(raw) or f"kolumn_{j}")
    if "varde" not in names:
        problems.append(Problem(file_name, "Kolumn saknas: varde", "Rubrikraden ska vara "
                                f"{','.join(COLUMNS)}.", row=1))
        return names, [], problems
    rows: list[tuple[int, dict[str, str]]] = []
    line = 1
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        rows.append((line, {n: (record[j].strip() if j < len(record) else "")
                            for j, n in enumerate(names)}))
    return names, rows, problems


def _uses(folder: Path) -> list[tuple[str, str, str]]:
    """(table, column, list name) of every stored column checked against a code list."""
    uses = list(_FIXED_USES) + list(_EXTRA_USES)
    for table, file in _FOLLOWUP_COLUMN_FILES:
        path = folder / file
        if path.exists():
            with path.open(encoding="utf-8-sig", newline="") as handle:
                for col in csv.DictReader(handle):
                    if (col.get("kodlista") or "").strip():
                        uses.append((table, col["namn"].strip(), col["kodlista"].strip()))
    return list(dict.fromkeys(uses))


def values_in_use(store: Store, list_name: str, folder: Path | None = None) -> list[str]:
    """The distinct values stored data hold for the fields behind a code list."""
    folder = Path(folder or config.CODELIST_DIR)
    found: set[str] = set()
    for table, column, name in _uses(folder):
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
               row.get("ersatts_av", ""), row.get("beskrivning", ""))
        if new != (code.value, code.aliases, code.valid_from, code.valid_to, code.replaced_by,
                   code.description):
            change.changed.append(row["varde"])
    change.removed = [c.value for k, c in before.items() if k not in after]
    return change


def check_codelist(store: Store, data: bytes, file_name: str, list_name: str,
                   folder: Path | None = None) -> CodelistImport:
    """Validate a new version of a code list; nothing is stored."""
    folder = Path(folder or config.CODELIST_DIR)
    result = CodelistImport(file_name, list_name, hashlib.sha256(data).hexdigest())
    if list_name not in list_names(folder):
        result.problems.append(Problem(file_name, f"Okänd kodlista: {list_name}",
                                       f"Välj en av {', '.join(list_names(folder))}."))
        return result
    header, numbered, problems = _parse(data, file_name)
    result.header, result.problems = header, problems
    if not numbered and not problems:
        problems.append(Problem(file_name, "Kodlistan har inga värden",
                                "Lägg till en rad per värde."))
    if problems:
        return result

    for line, row in numbered:
        for name, cell in row.items():
            if cell and looks_personal(cell):
                problems.append(Problem(file_name, "Cellen ser ut att innehålla "
                                        "personuppgifter", "Ta bort personuppgiften; en "
                                        "kodlista får aldrig innehålla uppgifter om personer.",
                                        row=line, column=name))
                row[name] = ""  # never compared, shown or stored below
    for line, row in numbered:  # values become chart labels: no markup, no control characters
        for name in ("varde", "alias", "ersatts_av"):
            cell = row.get(name) or ""
            if any(ch in cell for ch in "<>") or not cell.isprintable():
                problems.append(Problem(file_name, "Otillåtet tecken i kodlistan",
                                        "Skriv värdet utan < och > och utan styrtecken "
                                        "(tabb, radbrytning).", row=line, column=name))
    seen: dict[str, int] = {}
    alias_of: dict[str, tuple[str, int]] = {}
    for line, row in numbered:
        value = row["varde"]
        if not value:
            problems.append(Problem(file_name, "Värdet är tomt", "Fyll i värdet eller ta bort "
                                    "raden.", row=line, column="varde"))
            continue
        key = match_key(value)
        if key in seen:
            problems.append(Problem(file_name, "Värdet finns på flera rader",
                                    f"Behåll en av raderna (den första är rad {seen[key]}); "
                                    "stavningar som betyder samma sak skrivs som alias.",
                                    row=line, column="varde", value=value))
            continue
        seen[key] = line
    values = {match_key(r["varde"]): r["varde"] for _, r in numbered if r["varde"]}
    for line, row in numbered:
        value = row["varde"]
        for alias in (a.strip() for a in row.get("alias", "").split("|")):
            if not alias or not value:
                continue
            key = match_key(alias)
            other = values.get(key)
            if other is not None and match_key(other) != match_key(value):
                problems.append(Problem(file_name, f"Aliaset är också värdet {other!r}",
                                        "Ta bort aliaset eller slå ihop värdena med "
                                        "ersatts_av.", row=line, column="alias", value=alias))
            elif key in alias_of and match_key(alias_of[key][0]) != match_key(value):
                first, first_line = alias_of[key]
                problems.append(Problem(file_name, f"Aliaset pekar på två värden: {first!r} "
                                        f"(rad {first_line}) och {value!r}",
                                        "Ett alias får bara höra till ett värde. Ta bort det "
                                        "från den ena raden.", row=line, column="alias",
                                        value=alias))
            else:
                alias_of.setdefault(key, (value, line))
        for column in ("giltig_fran", "giltig_till"):
            text = row.get(column, "")
            if text:
                try:
                    parse_quarter(text)
                except ValueError:
                    problems.append(Problem(file_name, "Ogiltigt kvartal", "Skriv kvartalet "
                                            "som 2024K1, eller lämna cellen tom.", row=line,
                                            column=column, value=text))
        replaced = row.get("ersatts_av", "")
        if replaced and match_key(replaced) not in values:
            problems.append(Problem(file_name, "ersatts_av är inte ett av listans värden",
                                    "Skriv ett värde som finns i kolumnen varde, eller lämna "
                                    "cellen tom.", row=line, column="ersatts_av",
                                    value=replaced))
    result.rows = [row for _, row in numbered]
    if problems:
        return result

    known = set(values) | set(alias_of)
    missing = [v for v in values_in_use(store, list_name, folder) if match_key(v) not in known]
    if missing:
        shown = ", ".join(repr(v) for v in missing[:20]) + (" …" if len(missing) > 20 else "")
        problems.append(Problem(file_name, f"Värden som används i lagrade data saknas: {shown}",
                                "Behåll värdena, eller lägg till dem som alias till det värde "
                                "de ska räknas som (eller behåll raden med giltig_till och "
                                "ersatts_av ifyllda).", column="varde"))
        return result
    old_path = folder / f"{list_name}.csv"
    old = codelists.read_codelist(old_path) if old_path.exists() else None
    result.change = _change(old, result.rows)
    if result.change.empty:
        problems.append(Problem(file_name, "Filen ändrar ingenting i kodlistan",
                                "Ladda ned kodlistan, gör ändringarna och ladda upp den igen."))
    return result


def _csv_text(header: list[str], rows: list[dict[str, str]]) -> str:
    columns = list(COLUMNS) + [h for h in header if h not in COLUMNS]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def import_codelist(store: Store, data: bytes, file_name: str, list_name: str,
                    imported_by: str, folder: Path | None = None) -> CodelistImport:
    """Validate a code-list file and, when accepted, make it the list's new version."""
    folder = Path(folder or config.CODELIST_DIR)
    result = check_codelist(store, data, file_name, list_name, folder)
    if not result.accepted:
        return result
    target = folder / f"{list_name}.csv"
    history = folder / HISTORY
    history.mkdir(exist_ok=True)
    previous = target.read_bytes() if target.exists() else b""
    handle, temp = tempfile.mkstemp(prefix=f".{list_name}-", suffix=".csv", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(_csv_text(result.header, result.rows))
        change = result.change
        with store.transaction() as tx:
            row = tx.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM batches").fetchone()
            assert row is not None  # an aggregate returns one row
            batch_id = row[0]
            tx.execute(
                "INSERT INTO batches (batch_id, kind, file_name, sha256, imported_at, "
                "imported_by, partners, rows_total, rows_new, rows_changed, rows_unchanged) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [batch_id, KIND, file_name, result.sha256, dt.datetime.now(dt.UTC),
                 imported_by, list_name, len(result.rows), len(change.added),
                 len(change.changed),
                 len(result.rows) - len(change.added) - len(change.changed)])
            kept = history / f"{list_name}-{batch_id}.csv"
            kept.write_bytes(previous)
            os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    codelists.load.cache_clear()
    from lagesbild.domain import contracts  # holds the loaded lists too

    contracts.contract.cache_clear()
    result.batch_id, result.history_file = batch_id, kept
    removed = f", {len(change.removed)} borttagna" if change.removed else ""
    store.audit(imported_by, KIND, audit.OK, target=list_name,
                details=f"batch {batch_id}: {len(change.added)} nya, {len(change.changed)} "
                        f"ändrade{removed}")
    return result
