"""Reports per 10 000 inhabitants and year per area, for a year, a quarter or a period.
"""

from __future__ import annotations

import pandas as pd

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.config import Disclosure
from lagesbild.numbers import population as pop
from lagesbild.numbers import signals
from lagesbild.numbers.disclosure import hide_derived
from lagesbild.numbers.query import Filters
from lagesbild.numbers.tables import (
    NOT_GIVEN,
    period_text,
    published,
    published_zero,
    shown_quarters,
    sort_by_categories,
)
from lagesbild.store import Store

# -- 2. rates per 10 000 inhabitants ----------------------------------------------------------
PERIOD = "period"  # rates(period=PERIOD): the filter's whole period as one


def rates(store: Store, level: str = "omrade", period: str = "ar",
          filters: Filters | None = None, disclosure: Disclosure | None = None) -> pd.DataFrame:
    """Reports per 10 000 inhabitants and year (`signals.RATE_UNIT`) per area (`omrade` or
    `regso`) and `ar`, `kvartal` or `period` (all quarters of the filter's period together:
    one row per area, the column `period` holding e.g. '2024K4–2026K3').

    Every rate is annualised from the quarters it counts (`antal_kvartal`): a quarter times
    four, a year of the period with fewer than four quarters scaled up to a whole year, the
    period divided by its number of years; `omfattning` says so ("2026 (3 av 4 kvartal,
    uppräknat till helår)").

    Every area of the level is listed (0 where no reports); the districts that are no place
    (`codelists.no_place()`: Digitalt, Okänt) and reports without a RegSO code are listed when
    they have reports, without population. Columns: level, period, antal, befolkning,
    befolkning_ar (the year the population is from; for `period` text naming the years, e.g.
    '2025'), per10k (per year; NA when the population is unknown or the count hidden),
    befolkning_saknas, befolkning_anm, antal_kvartal, omfattning, undertryckt, visas.

    Population (see `lagesbild.numbers.population`): each year's own figure, else the nearest year
    at most one year away, named in befolkning_anm ("befolkning 2025 används för 2024"); else
    unknown. For `period` the population is the mean over the period's years weighted by their
    quarters (`population.period_population`); unknown if any of its years is unknown.

    The counts are published cells (a quarter, a year, or the period as the sum of its
    units); per10k is computed from the published count.
    """
    if level not in ("omrade", "regso") or period not in ("ar", "kvartal", PERIOD):
        raise ValueError("Tal per 10 000 invånare finns per omrade eller regso och ar, "
                         "kvartal eller period.")
    filters = filters or Filters()
    quarters = shown_quarters(store, filters)
    columns = [level, period, "antal", "befolkning", "befolkning_ar", "per10k",
               "befolkning_saknas", "befolkning_anm", "antal_kvartal", "omfattning"]
    if not quarters:
        empty = pd.DataFrame(columns=[*columns, "undertryckt", "visas"])
        return empty.astype({"antal": "Int64", "undertryckt": bool})
    filters = filters.with_period(quarters[0], quarters[-1])
    label = period_text(quarters)
    years = sorted({int(q[:4]) for q in quarters})
    population = pop.population_table(store, level, years)
    if filters.omrade:
        members = {a.code for a in codelist_module.areas() if a.district in filters.omrade}
        keep = population[level].isin(filters.omrade if level == "omrade" else members)
        population = population[keep]
    if period == PERIOD:
        population = pop.period_population(population, level, quarters).assign(
            **{PERIOD: label})
        on = [level, PERIOD]
    else:
        on = [level, "ar" if period == "ar" else "_ar"]
    names = list(dict.fromkeys(population[level]))
    counted = published(store, [level] if period == PERIOD else [level, period], filters,
                        disclosure, listed={level: names})
    if period == PERIOD:
        counted[PERIOD] = label
    # Areas outside the population table are listed when their published count is not 0.
    outside = counted[~counted[level].isin(names)]
    extra = list(dict.fromkeys(outside.loc[~published_zero(outside), level]))
    table = counted[counted[level].isin(names + extra)].reset_index(drop=True)
    if period != PERIOD:
        table[on[1]] = [int(str(p)[:4]) for p in table[period]]
    table = table.merge(population.rename(columns={"ar": on[1]}), on=on, how="left")
    no_pop = table[level].isin(extra)
    table.loc[no_pop, "befolkning_saknas"] = True
    table.loc[no_pop, "befolkning_anm"] = [
        pop.NO_REGSO if n == NOT_GIVEN and level == "regso" else pop.NOT_APPLICABLE
        if n in codelist_module.no_place() else pop.MISSING for n in table.loc[no_pop, level]]
    table["befolkning_saknas"] = table["befolkning_saknas"].astype(bool)
    if period == PERIOD:
        table["befolkning_ar"] = table["befolkning_ar"].fillna("").astype(object)
    out = table
    n_quarters, scope = _coverage_of(period, [str(p) for p in out[period]], quarters)
    out["antal_kvartal"], out["omfattning"] = n_quarters, scope
    out["per10k"] = (out["antal"].astype("Float64") / out["befolkning"].astype("Float64") * 1e4
                     * 4 / out["antal_kvartal"])
    out = hide_derived(out, ["per10k"], out["undertryckt"])
    return sort_by_categories(out[[*columns, "undertryckt", "visas"]], [period, level])


def _coverage_of(period: str, values: list[str], quarters: list[str]) \
        -> tuple[list[int], list[str]]:
    """Per row: the quarters a rate counts and the words saying what it covers."""
    if period == "kvartal":
        return [1] * len(values), [f"{v} (uppräknat till helår)" for v in values]
    if period == PERIOD:
        n = len(quarters)
        text = f"{period_text(quarters)} ({n} kvartal, per år)"
        return [n] * len(values), [text] * len(values)
    per_year = {y: sum(q.startswith(y) for q in quarters) for y in dict.fromkeys(values)}
    return ([per_year[v] for v in values],
            [signals.year_label(int(v), per_year[v]) for v in values])
