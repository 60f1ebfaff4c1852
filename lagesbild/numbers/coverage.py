"""Reporting coverage: which partner delivered for which quarter, and which are missing.

A partner (an organisation of the partner register) delivered for a quarter when a batch that is
not rolled back holds its reports for the quarter, or when it has a nil return for it ("inga
rapporter": delivered, 0 reports). A partner that took over from another (the register's
"föregångare") carries on its predecessor's deliveries, so that a migration to a new partner
is not seen as a gap; the predecessor is not expected once a successor has delivered. The
tables keep the column name `verksamhet` for the partner; a sector filter narrows the
partners to those of the chosen sectors.
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
from lagesbild.store import Store, all_versions
from lagesbild.store.schema import REPORTS

COVERAGE_LOOKBACK = 4
# Coverage status of a partner in a quarter.
DELIVERED, MISSING, NOT_EXPECTED = "levererat", "saknas", "ingen leverans"


# -- 8. reporting coverage --------------------------------------------------------------------
_DELIVERIES: weakref.WeakKeyDictionary[Store, tuple[tuple[int, ...], frozenset]] = \
    weakref.WeakKeyDictionary()


def deliveries(store: Store) -> frozenset[tuple[str, str]]:
    """Every (partner, kvartal) for which a batch that is not rolled back has reports from the
    partner, or the partner has a nil return. Cached per store until the data change."""
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
        f"SELECT v.partner, year(v.datum), quarter(v.datum) FROM {all_versions(REPORTS)} v "
        "JOIN batches b USING (batch_id) WHERE b.rolled_back_at IS NULL "
        "AND b.kind = 'rapporter' AND NOT coalesce(v.borttagen, false) GROUP BY ALL").fetchall()
    found = {(partner, f"{y}K{q}") for partner, y, q in rows}
    found |= {(partner, quarter) for partner, quarter in store.cursor().execute(
        "SELECT partner, kvartal FROM nil_returns").fetchall()}
    _DELIVERIES[store] = (version, frozenset(found))
    return _DELIVERIES[store][1]


def _register(store: Store) -> tuple[dict[str, str], dict[str, str]]:
    """({partner: sector}, {partner: predecessor}) of the partner register."""
    rows = store.cursor().execute(
        "SELECT namn, verksamhet, foretradare FROM partners").fetchall()
    return ({n: s for n, s, _ in rows}, {n: p for n, _, p in rows if p})


def _delivery_status(store: Store, shown: Sequence[str], sectors: Sequence[str],
                     lookback: int) -> list[tuple[str, str, bool, str]]:
    """(partner, kvartal, levererat, status) for each shown quarter and each partner that
    is expected in at least one of them (delivered, or delivered in the `lookback` before;
    a successor also when its predecessor delivered)."""
    window = quarters_between(shift_quarter(shown[0], -lookback), shown[-1])
    inside = set(window)
    sector_of, predecessor_of = _register(store)
    found = {(p, q) for p, q in deliveries(store) if q in inside}
    names = {p for p, _ in found} | {n for n, p in predecessor_of.items()
                                     if any(x == p for x, _ in found)}
    if sectors:
        names = {n for n in names if sector_of.get(n, n) in sectors}
    first_own: dict[str, int] = {}
    for name in names:
        own = [k for k, q in enumerate(window) if (name, q) in found]
        if own:
            first_own[name] = own[0]
    rows = []
    for name in category_order("verksamhet", sorted(names)):
        before = predecessor_of.get(name)
        flags = [(name, q) in found for q in window]
        # a successor carries on its predecessor's deliveries before its own first one
        inherited = [before is not None and (before, q) in found
                     and k < first_own.get(name, len(window)) for k, q in enumerate(window)]
        # a predecessor is not expected once one of its successors has delivered
        taken_over = min((first_own[s] for s, p in predecessor_of.items()
                          if p == name and s in first_own), default=len(window))
        mine = []
        for k in range(lookback, len(window)):
            history = [a or b for a, b in zip(flags[k - lookback:k],
                                              inherited[k - lookback:k], strict=True)]
            if flags[k]:
                status = DELIVERED
            elif k >= taken_over or not any(history):
                status = NOT_EXPECTED
            else:
                status = MISSING
            mine.append((name, window[k], flags[k], status))
        if any(status != NOT_EXPECTED for *_, status in mine):
            rows += mine
    return rows


def coverage(store: Store, filters: Filters | None = None,
             disclosure: Disclosure | None = None,
             lookback: int = COVERAGE_LOOKBACK) -> pd.DataFrame:
    """Per verksamhet (partner) and quarter: reports and whether the partner delivered.

    Delivered = a batch that is not rolled back has rows from the partner for the quarter, or
    the partner has a nil return for it (antal 0). status: 'levererat'; 'saknas' when the
    partner delivered in one of the previous `lookback` quarters but not this one (antal is
    then NA, never 0); 'ingen leverans' otherwise.
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
