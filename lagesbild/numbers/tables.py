"""Counts and cross-tabulations over the current reports (one DuckDB query each), with disclosure
control: counts, shares, crosstab (GROUP BY CUBE), the gender and age lens, the consultation
funnel; and the helpers every indicator shares (the data's span, category order, dimensions
as SQL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.codelists import Codelists
from lagesbild.domain.config import Disclosure
from lagesbild.domain.periods import quarters_between, shift_quarter
from lagesbild.numbers.disclosure import (
    TOTAL,
    Line,
    hide_derived,
    margin_lines,
    protect,
    protect_values,
    round_count,
)
from lagesbild.numbers.query import DIMENSIONS, Filters, check_dimensions
from lagesbild.numbers.query import counts as query_counts
from lagesbild.store import Store

NOT_GIVEN = "Ej angivet"  # label of a missing RegSO code
UNKNOWN = {"kon": "Okänt", "aldersgrupp": "Okänd"}


# -- helpers ----------------------------------------------------------------------------------
def query_frame(store: Store, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    """Run one query; text columns of the (small, aggregated) result as plain Python objects,
    which are much faster to work with row by row than pandas' Arrow-backed strings."""
    frame = store.cursor().execute(sql, list(params)).df()
    for col in frame.columns:
        if frame[col].dtype == "str":
            frame[col] = frame[col].astype(object)
    return frame


def query_rows(store: Store, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    """Run one query with a small result and return its rows as tuples (no pandas)."""
    return store.cursor().execute(sql, list(params)).fetchall()


def data_span(store: Store) -> tuple[str | None, str | None]:
    """First and last quarter with any current report (unfiltered)."""
    row = store.cursor().execute(
        "SELECT min(kvartal), max(kvartal) FROM reports").fetchone()
    assert row is not None  # an aggregate returns one row
    first, last = row
    return first, last


def shown_quarters(store: Store, filters: Filters | None,
                   span: tuple[str | None, str | None] | None = None) -> list[str]:
    """The quarters of the filter's period; open ends default to the data's span (`span`:
    `data_span(store)` when the caller has it already)."""
    filters = filters or Filters()
    first, last = span or data_span(store)
    first = filters.from_quarter or first
    last = filters.to_quarter or last
    if not first or not last:
        return []
    return quarters_between(norm_quarter(first), norm_quarter(last))


def norm_quarter(label: str) -> str:
    return shift_quarter(label, 0)


def category_order(dimension: str, values: Sequence[str],
                   codelists: Codelists | None = None) -> list[str]:
    """Values in code-list order (unknown values after, sorted); TOTAL last."""
    known: list[str] = []
    if dimension in codelist_module.LIST_OF_FIELD:
        known = (codelists or codelist_module.load()).for_field(dimension).values
    rank = {v: i for i, v in enumerate(known)}
    present = [v for v in dict.fromkeys(values) if v != TOTAL]
    ordered = sorted(present, key=lambda v: (rank.get(v, len(rank)), str(v)))
    return ordered + ([TOTAL] if TOTAL in values else [])


def sort_by_categories(frame: pd.DataFrame, dims: Sequence[str]) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    if frame.empty or not dims:
        return frame
    keys = []
    for d in dims:
        order = category_order(d, list(frame[d]))
        rank = {v: i for i, v in enumerate(order)}
        keys.append(frame[d].map(lambda v, rank=rank: rank.get(v, len(rank))))
    sorter = pd.concat(keys, axis=1, keys=list(range(len(keys))))
    return frame.iloc[sorter.sort_values(list(range(len(keys)))).index].reset_index(drop=True)


def dimension_sql(name: str) -> str:
    """A dimension as text; a missing RegSO code as NOT_GIVEN (other fields are never NULL)."""
    if name in codelist_module.LIST_OF_FIELD or name == "kvartal":
        return DIMENSIONS[name]
    return f"coalesce(CAST({DIMENSIONS[name]} AS VARCHAR), '{NOT_GIVEN}')"


# -- 1. counts and cross-tabulations -----------------------------------------------------------
def counts(store: Store, by: Sequence[str], filters: Filters | None = None,
           disclosure: Disclosure | None = None, *, known_total: bool = True) -> pd.DataFrame:
    """Counts by any dimensions. Columns: by…, antal, undertryckt, visas.

    With a Disclosure, the grand total is taken as published (known_total) so that no single
    hidden cell can be recovered by subtracting the others from it.
    """
    table = query_counts(store, list(by), filters)
    return protect(table, disclosure, known_total=known_total)


def shares(store: Store, by: Sequence[str], filters: Filters | None = None,
           disclosure: Disclosure | None = None) -> pd.DataFrame:
    """Counts with `andel`: per cent of the total within each group of all but the last
    dimension (of the grand total for one dimension). Columns: by…, antal, andel, …"""
    by = list(by)
    if not by:
        raise ValueError("Andel kräver minst en indelning.")
    table = query_counts(store, by, filters)
    groups = by[:-1] or True
    out = protect(table, disclosure, known_total=groups)
    exact = table["antal"].astype("int64")
    totals = exact.groupby([table[g] for g in by[:-1]]).transform("sum") if by[:-1] \
        else pd.Series(exact.sum(), index=table.index)
    rounding = disclosure.rounding if disclosure else 0
    totals = totals.map(lambda t: round_count(int(t), rounding))
    out["andel"] = (out["antal"].astype("Float64") / totals.replace(0, np.nan) * 100)
    return hide_derived(out, ["andel"], out["undertryckt"])


def _cube(store: Store, dims: Sequence[str], filters: Filters | None,
          merge: Mapping[str, Mapping[str, str]] | None = None) -> pd.DataFrame:
    """Counts over every combination of `dims` and their totals (GROUP BY CUBE), zero-filled.

    `merge` {dimension: {category: merged label}} relabels categories in the query itself,
    before anything is counted: the table (and its disclosure control) only ever holds the
    merged categories.
    """
    check_dimensions(list(dims))
    merge = merge or {}
    where, params = (filters or Filters()).where()
    select: list[str] = []
    select_params: list[object] = []
    for d in dims:
        expr = dimension_sql(d)
        if merge.get(d):
            whens = " ".join("WHEN ? THEN ?" for _ in merge[d])
            expr = f"CASE {expr} {whens} ELSE {expr} END"
            select_params += [x for pair in merge[d].items() for x in pair]
        select.append(f"{expr} AS {d}")
    inner = ", ".join(select)
    outer = ", ".join(f"CASE WHEN grouping({d}) = 1 THEN '{TOTAL}' ELSE {d} END AS {d}"
                      for d in dims)
    sql = (f"SELECT {outer}, count(*)::BIGINT AS antal FROM "
           f"(SELECT {inner} FROM reports WHERE {where}) GROUP BY CUBE ({', '.join(dims)})")
    table = query_frame(store, sql, [*select_params, *params])
    levels = [_levels(store, d, list(table[d]), filters, merge.get(d)) + [TOTAL] for d in dims]
    grid = pd.MultiIndex.from_product(levels, names=list(dims)).to_frame(index=False)
    full = grid.merge(table, on=list(dims), how="left")
    full["antal"] = full["antal"].fillna(0).astype("int64")
    for d in dims:
        full[d] = full[d].astype(object)
    return full


def _levels(store: Store, dimension: str, present: list[str],
            filters: Filters | None, merge: Mapping[str, str] | None = None) -> list[str]:
    """Categories of a table axis: the code list (within the filter's selection), every
    quarter of the period for `kvartal`, plus whatever else occurs; in code-list order.
    Merged categories take the place of their first member."""
    filters = filters or Filters()
    values = [v for v in present if v != TOTAL]
    if merge:
        merged = list(dict.fromkeys(merge.get(v, v) for v in
                                    _levels(store, dimension, [], filters)))
        return merged + [v for v in dict.fromkeys(values) if v not in merged]
    if dimension in codelist_module.LIST_OF_FIELD:
        chosen = getattr(filters, dimension, ())
        values = list(chosen or codelist_module.load().for_field(dimension).values) + values
    elif dimension == "kvartal":
        values = shown_quarters(store, filters) + values
    return category_order(dimension, values)


def crosstab(store: Store, rows: str, cols: str, filters: Filters | None = None,
             disclosure: Disclosure | None = None) -> pd.DataFrame:
    """Two dimensions with row, column and grand totals (labelled "Totalt"), in long form.

    Columns: rows, cols, antal, undertryckt, visas. Every combination is present (0 if none).
    Secondary suppression covers every row and column with its total. See `wide` to pivot.
    """
    if rows == cols:
        raise ValueError("Välj två olika indelningar.")
    table = _cube(store, [rows, cols], filters)
    return protect(table, disclosure, lines=margin_lines(table, [rows, cols]))


def wide(frame: pd.DataFrame, rows: str, cols: str, values: str = "visas") -> pd.DataFrame:
    """Pivot a long table (e.g. from crosstab) for display, in code-list order, totals last."""
    table = frame.pivot(index=rows, columns=cols, values=values)
    return table.reindex(index=category_order(rows, list(table.index)),
                         columns=category_order(cols, list(table.columns)))


def period_text(quarters: Sequence[str]) -> str:
    """'2024K4–2026K3' (one quarter alone when first == last); '' without quarters."""
    if not quarters:
        return ""
    return quarters[0] if quarters[0] == quarters[-1] else f"{quarters[0]}–{quarters[-1]}"


# -- 6. gender and age lens -------------------------------------------------------------------
OTHER_OR_UNKNOWN = "Annat/okänt"
# lens(by="kon", merge=GENDER_OTHER_WITH_UNKNOWN): "Annat" (few) together with "Okänt".
GENDER_OTHER_WITH_UNKNOWN = {"Annat": OTHER_OR_UNKNOWN, "Okänt": OTHER_OR_UNKNOWN}


def lens(store: Store, dimension: str | None = None, by: str = "kon",
         filters: Filters | None = None, disclosure: Disclosure | None = None, *,
         merge: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Counts and shares by gender (by='kon') or age group (by='aldersgrupp') per category of
    `dimension` (None = all reports). Shares use the known ones as denominator; the unknown
    category (Okänt/Okänd) is its own row and never dropped. Totals are rows labelled
    "Totalt". Columns: [dimension], by, antal, kand (bool: a known category), kanda (the
    denominator), andel (per cent of kanda; NA for unknown and total rows), undertryckt, visas.
    Shares of a row are hidden when any known count in it is hidden.

    merge {category: label} combines categories of `by` into one row before anything is
    counted, e.g. GENDER_OTHER_WITH_UNKNOWN ("Annat" and "Okänt" as "Annat/okänt") or age
    bands ({"13–15": "13–17", "16–17": "13–17"}). A merged row that contains the unknown
    category is unknown (not in the denominator: shares are then of e.g. Kvinna + Man); other
    merged rows are known. Why this is safe for disclosure: the merge happens in the query,
    so suppression only ever sees the merged cells; a small "Annat" no longer forces its
    row's other cells to be hidden, and it cannot be worked out because no part of the
    merged row is published separately – as long as the same view does not also publish the
    unmerged table (a page shows one or the other, never both). The unknown count is still
    shown, as part of the merged row.
    """
    if by not in UNKNOWN:
        raise ValueError("Linsen delar upp på kon eller aldersgrupp.")
    if dimension == by:
        raise ValueError("Välj en annan indelning än linsen själv.")
    merge = dict(merge or {})
    known_values = codelist_module.load().for_field(by).values
    strange = [c for c in merge if c not in known_values]
    if strange:
        raise ValueError(f"Okänd kategori att slå ihop: {', '.join(strange)}.")
    unknown = {merge.get(UNKNOWN[by], UNKNOWN[by])}
    dims = [dimension, by] if dimension else [by]
    table = _cube(store, dims, filters, {by: merge} if merge else None)
    out = protect(table, disclosure, lines=margin_lines(table, dims))
    out["kand"] = ~out[by].isin([*unknown, TOTAL])
    group = out[dimension] if dimension else pd.Series("", index=out.index)
    known = out[out["kand"]]
    any_hidden = known["undertryckt"].groupby(group[known.index]).any()
    sums = known["antal"].astype("Float64").groupby(group[known.index]).sum()
    kanda = sums.where(~any_hidden)
    out["kanda"] = group.map(kanda).astype("Float64").round().astype("Int64")
    out["andel"] = (out["antal"].astype("Float64")
                    / out["kanda"].astype("Float64").replace(0, np.nan) * 100)
    out["andel"] = out["andel"].mask(~out["kand"])
    columns = [*dims, "antal", "kand", "kanda", "andel", "undertryckt", "visas"]
    return out[columns]


# -- 7. consultation-forum funnel -------------------------------------------------------------
def funnel(store: Store, filters: Filters | None = None,
           disclosure: Disclosure | None = None, *, per_quarter: bool = True) -> pd.DataFrame:
    """Per verksamhet (and "Totalt") and quarter: reports, of which brought to the
    consultation forum (konsultation = 'Ja'), and the share. Only partner-quarters with
    reports are listed (see `coverage` for missing submissions). Columns: verksamhet, kvartal,
    antal, konsultation, andel, undertryckt, visas, konsultation_undertryckt,
    konsultation_visas.

    per_quarter=False: the filter's whole period at once, one row per verksamhet with reports
    (and "Totalt"); `kvartal` then holds the period ('2024K4–2026K3'). Disclosure control
    runs on that table (Ja + Nej = all, per partner and over the partners), so a partner with
    few reports in each quarter can still be shown for the period.
    """
    filters = filters or Filters()
    where, params = filters.where()
    label = period_text(shown_quarters(store, filters)) if not per_quarter else ""
    quarter_sql = "kvartal" if per_quarter else "?::VARCHAR"
    rows = store.cursor().execute(
        f"SELECT {quarter_sql} AS kvartal, verksamhet, count(*)::BIGINT, "
        "count(*) FILTER (WHERE konsultation = 'Ja')::BIGINT "
        f"FROM reports WHERE {where} GROUP BY ALL",
        ([] if per_quarter else [label]) + list(params)).fetchall()
    # Cells per (quarter, partner or Totalt): Ja, Nej, Totalt, with the quarter's partner
    # total; lines: Ja + Nej = Totalt, and over the partners for each of Ja, Nej, Totalt.
    per_group: dict[str, list[tuple[str, int, int]]] = {}
    for quarter, partner, n, ja in rows:
        per_group.setdefault(quarter, []).append((partner, n, ja))
    keys: list[tuple[str, str]] = []
    values: list[int] = []
    lines: list[Line] = []
    for quarter in sorted(per_group):
        found = {p: (n, ja) for p, n, ja in per_group[quarter]}
        names = category_order("verksamhet", list(found))
        total_n, total_ja = sum(n for n, _ in found.values()), sum(j for _, j in found.values())
        start = len(values)
        for name in [*names, TOTAL]:
            n, ja = found.get(name, (total_n, total_ja))
            keys.append((quarter, name))
            values += [ja, n - ja, n]
            base = len(values) - 3
            lines.append(Line((base, base + 1), base + 2))
        last = len(values) - 3
        for k in range(3):
            lines.append(Line(tuple(range(start + k, last, 3)), last + k))
    result = protect_values(values, disclosure, lines=lines)
    shown = pd.array(result.shown, dtype="Int64")
    out = pd.DataFrame({"verksamhet": pd.Series([p for _, p in keys], dtype=object),
                        "kvartal": pd.Series([q for q, _ in keys], dtype=object)})
    out["antal"] = shown[2::3]
    out["konsultation"] = shown[0::3]
    out["andel"] = out["konsultation"].astype("Float64") / \
        out["antal"].astype("Float64").replace(0, np.nan) * 100
    out["undertryckt"] = result.hidden[2::3]
    out["visas"] = pd.Series(result.display[2::3], dtype=object)
    out["konsultation_undertryckt"] = result.hidden[0::3]
    out["konsultation_visas"] = pd.Series(result.display[0::3], dtype=object)
    return hide_derived(out, ["andel"], out["undertryckt"] | out["konsultation_undertryckt"])
