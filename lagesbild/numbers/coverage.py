"""Reporting coverage: which partner delivered for which quarter, and which are missing.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import pandas as pd

from lagesbild.domain.config import Disclosure
from lagesbild.domain.periods import quarters_between, shift_quarter
from lagesbild.numbers.disclosure import MISSING as NOT_A_COUNT
from lagesbild.numbers.query import Filters
from lagesbild.numbers.tables import (
    category_order,
    norm_quarter,
    published,
    shown_quarters,
    sort_by_categories,
)
from lagesbild.store import Store

COVERAGE_LOOKBACK = 4
# Coverage status of a partner in a quarter.
DELIVERED, MISSING, NOT_EXPECTED = "levererat", "saknas", "ingen leverans"


# -- 8. reporting coverage --------------------------------------------------------------------
_DELIVERIES: weakref.WeakKeyDictionary[Store, tuple[tuple[int, ...], frozenset]] = \
    weakref.WeakKeyDictionary()


def deliveries(store: Store) -> frozenset[tuple[str, str]]:
    """Every (verksamhet, kvartal) for which a batch that is not rolled back has rows from the
    partner. One scan of `report_versions`, cached per store until the data change."""
    # (*store.data_version(), store.report_count()) in one query
    row = store.cursor().execute(
        "SELECT coalesce(max(batch_id), 0)::BIGINT, count(rolled_back_at)::BIGINT, "
        "(SELECT count(*) FROM reports)::BIGINT FROM batches").fetchone()
    assert row is not None  # an aggregate returns one row
    version = tuple(row)
    hit = _DELIVERIES.get(store)
    if hit is not None and hit[0] == version:
        return hit[1]
    rows = store.cursor().execute(
        "SELECT v.partner, year(v.datum), quarter(v.datum) FROM report_versions v "
        "JOIN batches b USING (batch_id) WHERE b.rolled_back_at IS NULL "
        "AND b.kind = 'rapporter' GROUP BY ALL").fetchall()
    found = frozenset((partner, f"{y}K{q}") for partner, y, q in rows)
    _DELIVERIES[store] = (version, found)
    return found


def _delivery_status(store: Store, shown: Sequence[str], partners: Sequence[str],
                     lookback: int) -> list[tuple[str, str, bool, str]]:
    """(verksamhet, kvartal, levererat, status) for each shown quarter and each partner that
    is expected in at least one of them (delivered, or delivered in the `lookback` before)."""
    window = quarters_between(shift_quarter(shown[0], -lookback), shown[-1])
    inside = set(window)
    found = {(p, q) for p, q in deliveries(store) if q in inside
             and (not partners or p in partners)}
    rows = []
    for name in category_order("verksamhet", [p for p, _ in found]):
        flags = [(name, q) in found for q in window]
        mine = []
        for k in range(lookback, len(window)):
            status = (DELIVERED if flags[k] else MISSING if any(flags[k - lookback:k])
                      else NOT_EXPECTED)
            mine.append((name, window[k], flags[k], status))
        if any(status != NOT_EXPECTED for *_, status in mine):
            rows += mine
    return rows


def coverage(store: Store, filters: Filters | None = None,
             disclosure: Disclosure | None = None,
             lookback: int = COVERAGE_LOOKBACK) -> pd.DataFrame:
    """Per verksamhet (partner) and quarter: reports and whether the partner delivered.

    Delivered = a batch that is not rolled back has rows from the partner for the quarter.
    status: 'levererat'; 'saknas' when the partner delivered in one of the previous `lookback`
    quarters but not this one (antal is then NA, never 0); 'ingen leverans' otherwise.
    Dimension filters narrow the counts, not the deliveries. The counts are the published
    cells (partner, quarter), whose parents are the partner's year and the quarter's total.
    Columns: verksamhet, kvartal, antal, levererat, status, undertryckt, visas.
    """
    filters = filters or Filters()
    shown = shown_quarters(store, filters)
    columns = ["verksamhet", "kvartal", "antal", "levererat", "status", "undertryckt", "visas"]
    if not shown:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame(_delivery_status(store, shown, filters.verksamhet, lookback),
                         columns=["verksamhet", "kvartal", "levererat", "status"], dtype=object)
    table["levererat"] = table["levererat"].astype(bool)
    counted = published(store, ["partner", "kvartal"],
                        filters.with_period(shown[0], shown[-1]), disclosure,
                        listed={"partner": list(dict.fromkeys(table["verksamhet"]))},
                        expressions={"partner": "partner"})
    counted = counted.rename(columns={"partner": "verksamhet"})
    out = table.merge(counted, on=["verksamhet", "kvartal"], how="left")
    not_delivered = ~out["levererat"].to_numpy(dtype=bool)
    out["antal"] = out["antal"].astype("Int64").mask(not_delivered)
    out["undertryckt"] = out["undertryckt"].astype(bool) & ~not_delivered
    out.loc[not_delivered, "visas"] = NOT_A_COUNT
    out.loc[out["status"] == MISSING, "visas"] = MISSING
    return sort_by_categories(out[columns], ["kvartal", "verksamhet"])


def missing_by_quarter(store: Store, quarters: Sequence[str], filters: Filters | None = None,
                       lookback: int = COVERAGE_LOOKBACK) -> dict[str, list[str]]:
    """{quarter: partners that delivered in one of the previous quarters but not this one}."""
    if not quarters:
        return {}
    missing: dict[str, list[str]] = {}
    for name, quarter, _, status in _delivery_status(
            store, list(quarters), (filters or Filters()).verksamhet, lookback):
        if status == MISSING:
            missing.setdefault(quarter, []).append(name)
    return missing


def missing_partners(store: Store, quarter: str, filters: Filters | None = None,
                     lookback: int = COVERAGE_LOOKBACK) -> list[str]:
    """Partners with nothing for `quarter` that delivered in one of the previous `lookback`."""
    quarter = norm_quarter(quarter)
    return missing_by_quarter(store, [quarter], filters, lookback).get(quarter, [])
