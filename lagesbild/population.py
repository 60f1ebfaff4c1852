"""Population per RegSO area and year, for rates per 10 000 inhabitants.

Population files (`regsokod,ar,befolkning`, e.g. data/befolkning.csv) are imported as batches
of kind 'befolkning' into `population_versions`; the current figure for an area and year comes
from the newest batch that is not rolled back. A district's population is the sum of its RegSO
areas (data/omraden_umea.csv).

When a year has no figure, the nearest year at most `MAX_YEARS_AWAY` (1) before or after is
used instead, the earlier one first on a tie, and named: `befolkning_ar` is the year the figure
is from and `befolkning_anm` says e.g. "befolkning 2025 används för 2024". A year further away
is never used: the population is then unknown (`befolkning_saknas`, "befolkning saknas") and no
rate is computed. A district uses one year for all its RegSO areas; if one area lacks that
year, the district's population is unknown. No figure is ever estimated or extrapolated: a
rate always divides by a real SCB figure, at most a year off. Digitalt and Okänt have no
population.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lagesbild import config
from lagesbild.codelists import areas
from lagesbild.problems import Problem
from lagesbild.store import Store
from lagesbild.text import match_key

KIND = "befolkning"
MAX_YEARS_AWAY = 1
MISSING = "befolkning saknas"
NOT_APPLICABLE = "ingen befolkning (inte ett geografiskt område)"
NO_REGSO = "RegSO ej angivet"
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
    existing = store.find_import(digest, kind=KIND)
    if existing is not None:
        result.batch_id, result.already_imported = existing, True
        return result
    incoming = pd.DataFrame(rows, columns=["regsokod", "ar", "befolkning"])
    current = current_population(store)
    merged = incoming.merge(current, on=["regsokod", "ar"], how="left", suffixes=("", "_nu"))
    new = int(merged["befolkning_nu"].isna().sum())
    same = int((merged["befolkning_nu"] == merged["befolkning"]).sum())
    years = incoming["ar"]
    with store.transaction() as tx:
        batch_id = tx.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM batches").fetchone()[0]
        tx.execute(
            "INSERT INTO batches (batch_id, kind, file_name, sha256, imported_at, imported_by, "
            "period_from, period_to, rows_total, rows_new, rows_changed, rows_unchanged) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [batch_id, KIND, file_name, digest, dt.datetime.now(dt.UTC), imported_by,
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
    has = store.cursor().execute("SELECT count(*) FROM batches WHERE kind = ?",
                                 [KIND]).fetchone()[0]
    source = path or config.POPULATION_FILE
    if has or not Path(source).exists():
        return None
    result = import_population(store, source, Path(source).name, "system")
    return result.batch_id if result.accepted else None


def current_population(store: Store) -> pd.DataFrame:
    """Columns regsokod, ar, befolkning, batch_id: the newest non-rolled-back figure."""
    return store.cursor().execute(
        """SELECT v.regsokod, v.ar, v.befolkning, v.batch_id
           FROM population_versions v JOIN batches b USING (batch_id)
           WHERE b.rolled_back_at IS NULL AND b.kind = ?
           QUALIFY row_number() OVER (PARTITION BY v.regsokod, v.ar
                                      ORDER BY v.batch_id DESC) = 1
           ORDER BY v.regsokod, v.ar""", [KIND]
    ).df()


def population_table(store: Store, level: str, years: Iterable[int],
                     current: pd.DataFrame | None = None) -> pd.DataFrame:
    """Population of every area of `level` ('omrade' or 'regso') for each year.

    Columns: the level, ar, befolkning (Int64), befolkning_ar (Int64: the year the figure is
    from), befolkning_saknas (bool), befolkning_anm (Swedish note, '' when all is well).
    """
    if level not in ("omrade", "regso"):
        raise ValueError("Befolkning finns per omrade eller regso.")
    current = current_population(store) if current is None else current
    figures = {(r, int(a)): int(b) for r, a, b in
               current[["regsokod", "ar", "befolkning"]].itertuples(index=False)}
    members: dict[str, list[str]] = {}
    for area in areas():
        key = area.district if level == "omrade" else area.code
        members.setdefault(key, []).append(area.code)
    rows = []
    for name, codes in members.items():
        for year in sorted(set(years)):
            rows.append((name, year, *_lookup(figures, codes, year)))
    return pd.DataFrame(rows, columns=[level, "ar", "befolkning", "befolkning_ar",
                                       "befolkning_saknas", "befolkning_anm"]).astype(
        {"befolkning": "Int64", "befolkning_ar": "Int64"})


def substitute_note(used: int, year: int) -> str:
    """The note for a population figure from another year than the one it stands for."""
    return "" if used == year else f"befolkning {used} används för {year}"


def _lookup(figures: dict[tuple[str, int], int], codes: list[str], year: int) \
        -> tuple[int | None, int | None, bool, str]:
    """The figure for `year`, else the nearest year within MAX_YEARS_AWAY (earlier first)."""
    candidates = [year] + [y for k in range(1, MAX_YEARS_AWAY + 1) for y in (year - k, year + k)]
    for used in candidates:
        if all((c, used) in figures for c in codes):
            return sum(figures[(c, used)] for c in codes), used, False, substitute_note(used, year)
    return None, None, True, MISSING


def total_population(store: Store, years: Iterable[int], districts: Iterable[str] = (),
                     current: pd.DataFrame | None = None) -> pd.DataFrame:
    """Population of the whole municipality (or of the given districts) per year.

    Columns: ar, befolkning, befolkning_ar, befolkning_saknas, befolkning_anm.
    """
    chosen = set(districts)
    codes = [a.code for a in areas() if not chosen or a.district in chosen]
    current = current_population(store) if current is None else current
    figures = {(r, int(a)): int(b) for r, a, b in
               current[["regsokod", "ar", "befolkning"]].itertuples(index=False)}
    rows = [(y, *_lookup(figures, codes, y)) if codes else (y, None, None, True, NOT_APPLICABLE)
            for y in sorted(set(years))]
    return pd.DataFrame(rows, columns=["ar", "befolkning", "befolkning_ar", "befolkning_saknas",
                                       "befolkning_anm"]).astype(
        {"befolkning": "Int64", "befolkning_ar": "Int64"})


def _years_text(years: Iterable[int]) -> str:
    """2024, 2025, 2026 -> '2024–2026'; 2022, 2024 -> '2022, 2024'."""
    ys = sorted(set(years))
    if len(ys) > 1 and ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}–{ys[-1]}"
    return ", ".join(str(y) for y in ys)


def period_population(yearly: pd.DataFrame, key: str, quarters: Iterable[str]) -> pd.DataFrame:
    """One population per area for a whole period, from `population_table` rows per year.

    The period's population is the mean of its years' populations, each year weighted by its
    number of quarters in the period (2024K4–2026K3: 2024 × 1, 2025 × 4, 2026 × 3), rounded
    half up to a whole number (the rate divides by that number). Each year's figure follows
    the ±1 year rule of `_lookup`; if any year of the period has no figure, the period's
    population is unknown (NA, befolkning_saknas) and befolkning_anm names the years without
    one – never a mean of the years that happen to be known. Columns:
    key, befolkning (Int64), befolkning_ar (text: the years the figures are from, e.g. '2025'),
    befolkning_saknas, befolkning_anm.
    """
    weights: dict[int, int] = {}
    for q in quarters:
        weights[int(q[:4])] = weights.get(int(q[:4]), 0) + 1
    rows = []
    for name, part in yearly[yearly["ar"].isin(list(weights))].groupby(key, sort=False):
        lacking = [int(y) for y, s in zip(part["ar"], part["befolkning_saknas"], strict=True)
                   if s]
        if lacking or len(part) < len(weights):
            rows.append((name, None, "", True,
                         f"{MISSING} för {_years_text(lacking or weights)}"))
            continue
        mean = sum(int(b) * weights[int(y)] for y, b in zip(part["ar"], part["befolkning"],
                                                            strict=True)) / sum(weights.values())
        used = [int(u) for u in part["befolkning_ar"]]
        notes = []
        if len(set(used)) > 1:
            notes.append(f"medelbefolkning {_years_text(weights)}, vägd efter antal kvartal")
        stand_in: dict[int, list[int]] = {}
        for year, source in zip(part["ar"], used, strict=True):
            if int(year) != source:
                stand_in.setdefault(source, []).append(int(year))
        notes += [f"befolkning {s} används för {_years_text(ys)}"
                  for s, ys in sorted(stand_in.items())]
        rows.append((name, int(mean + 0.5), _years_text(used), False, "; ".join(notes)))
    out = pd.DataFrame(rows, columns=[key, "befolkning", "befolkning_ar", "befolkning_saknas",
                                      "befolkning_anm"])
    out["befolkning"] = out["befolkning"].astype("Int64")
    out["befolkning_ar"] = out["befolkning_ar"].astype(object)
    return out
