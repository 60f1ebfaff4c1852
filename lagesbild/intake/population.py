"""Importing population figures per RegSO area and year (kind 'befolkning').

Population files (`regsokod,ar,befolkning`, e.g. data/befolkning.csv) are imported as batches
of kind 'befolkning' into `population_versions`; `ensure_population` seeds a new database
from data/befolkning.csv. Reading the figures is `lagesbild.numbers.population`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lagesbild.domain import config
from lagesbild.domain.codelists import areas
from lagesbild.domain.problems import Problem
from lagesbild.domain.text import match_key
from lagesbild.store import Store
from lagesbild.store.schema import POPULATION_KIND

FIRST_YEAR = 1968
_HEADERS = {"regsokod": "regsokod", "regso": "regsokod", "kod": "regsokod", "ar": "ar",
            "befolkning": "befolkning", "folkmangd": "befolkning", "antal": "befolkning"}


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


def _read(data: bytes, file_name: str) -> tuple[list[tuple[str, int, int]], list[Problem]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    # Lines end at \n (or at \r in old Mac files); a stray \r inside a line (as in the
    # shipped data/befolkning.csv) counts as white space around a cell.
    lines = ([line.replace("\r", " ") for line in text.split("\n")] if "\n" in text
             else text.split("\r"))
    reader = csv.reader(lines, delimiter=delimiter)
    header = next(reader, None)
    if not header:
        return [], [Problem(file_name, "Filen är tom",
                            "Filen ska ha rubrikraden regsokod,ar,befolkning och en rad per "
                            "område och år.")]
    names = [_HEADERS.get(match_key(h).replace(" ", ""), "") for h in header]
    missing = [n for n in ("regsokod", "ar", "befolkning") if n not in names]
    if missing:
        return [], [Problem(file_name, f"Kolumn saknas: {', '.join(missing)}",
                            "Rubrikraden ska vara regsokod,ar,befolkning.", row=1)]
    pos = {n: names.index(n) for n in ("regsokod", "ar", "befolkning")}
    col = {n: header[pos[n]] for n in pos}
    known = {a.code for a in areas()}
    this_year = dt.date.today().year
    rows: list[tuple[str, int, int]] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, int], int] = {}
    for line_no, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        cells = {n: (raw[p].strip() if p < len(raw) else "") for n, p in pos.items()}
        code = cells["regsokod"].upper()
        ok = True
        if code not in known:
            problems.append(Problem(file_name, "Okänd RegSO-kod", "Använd en av kommunens "
                                    "RegSO-koder 2480R001–2480R042 (se data/omraden_umea.csv).",
                                    row=line_no, column=col["regsokod"], value=cells["regsokod"]))
            ok = False
        year = cells["ar"]
        if not (year.isdigit() and FIRST_YEAR <= int(year) <= this_year + 1):
            problems.append(Problem(file_name, "Ogiltigt år", f"Skriv året med fyra siffror, "
                                    f"{FIRST_YEAR}–{this_year + 1}.", row=line_no,
                                    column=col["ar"], value=year))
            ok = False
        number = cells["befolkning"].replace(" ", "").replace("\u00a0", "")
        if not number.isdigit():
            reason = ("Befolkningen är negativ" if number.startswith("-")
                      and number[1:].isdigit() else "Befolkningen är inte ett heltal")
            problems.append(Problem(file_name, reason, "Skriv antalet invånare som ett heltal "
                                    "0 eller större, utan decimaler.", row=line_no,
                                    column=col["befolkning"], value=cells["befolkning"]))
            ok = False
        if ok:
            key = (code, int(year))
            if key in seen:
                problems.append(Problem(file_name, f"{code} {year} finns på flera rader",
                                        f"Behåll en av raderna (den första är rad {seen[key]}).",
                                        row=line_no))
                continue
            seen[key] = line_no
            rows.append((code, int(year), int(number)))
    if not rows and not problems:
        problems.append(Problem(file_name, "Filen innehåller inga rader",
                                "Lägg till en rad per område och år."))
    return rows, problems


def import_population(store: Store, source: bytes | str | os.PathLike[str], file_name: str,
                      imported_by: str) -> PopulationImport:
    """Validate a population file and store it as one batch; nothing is stored on problems."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    result = PopulationImport(file_name, digest)
    rows, result.problems = _read(data, file_name)
    result.rows = len(rows)
    if result.problems:
        return result
    existing = store.find_import(digest, kind=POPULATION_KIND)
    if existing is not None:
        result.batch_id, result.already_imported = existing, True
        return result
    incoming = pd.DataFrame(rows, columns=["regsokod", "ar", "befolkning"])
    current = store.current_population()
    merged = incoming.merge(current, on=["regsokod", "ar"], how="left", suffixes=("", "_nu"))
    new = int(merged["befolkning_nu"].isna().sum())
    same = int((merged["befolkning_nu"] == merged["befolkning"]).sum())
    years = incoming["ar"]
    with store.transaction() as tx:
        row = tx.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM batches").fetchone()
        assert row is not None  # an aggregate returns one row
        batch_id = row[0]
        tx.execute(
            "INSERT INTO batches (batch_id, kind, file_name, sha256, imported_at, imported_by, "
            "period_from, period_to, rows_total, rows_new, rows_changed, rows_unchanged) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [batch_id, POPULATION_KIND, file_name, digest, dt.datetime.now(dt.UTC), imported_by,
             dt.date(int(years.min()), 1, 1), dt.date(int(years.max()), 12, 31), len(rows),
             new, len(rows) - new - same, same],
        )
        tx.register("incoming_population", incoming)
        tx.execute(f"INSERT INTO population_versions SELECT {batch_id}, regsokod, ar, "
                   "befolkning FROM incoming_population")
        tx.unregister("incoming_population")
    result.batch_id = batch_id
    return result


def ensure_population(store: Store, path: Path | None = None) -> int | None:
    """Seed population from data/befolkning.csv when the database has no population batch
    (not even a rolled-back one). Returns the new batch id, or None."""
    row = store.cursor().execute("SELECT count(*) FROM batches WHERE kind = ?",
                                 [POPULATION_KIND]).fetchone()
    assert row is not None  # an aggregate returns one row
    has = row[0]
    source = path or config.POPULATION_FILE
    if has or not Path(source).exists():
        return None
    result = import_population(store, source, Path(source).name, "system")
    return result.batch_id if result.accepted else None
