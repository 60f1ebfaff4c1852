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

from collections.abc import Iterable

import pandas as pd

from lagesbild.domain.codelists import areas
from lagesbild.store import Store

MAX_YEARS_AWAY = 1
MISSING = "befolkning saknas"
NOT_APPLICABLE = "ingen befolkning (inte ett geografiskt område)"
NO_REGSO = "RegSO ej angivet"


def current_population(store: Store) -> pd.DataFrame:
    """Columns regsokod, ar, befolkning, batch_id: the newest non-rolled-back figure."""
    return store.current_population()


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
    rows: list[tuple[object, int | None, str, bool, str]] = []
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
