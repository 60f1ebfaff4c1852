"""Indicators over the current reports, each one DuckDB query over `reports` plus light
post-processing in pandas on the (small) aggregated result.

Every function takes `Filters` (None = everything) and a `Disclosure` (None = exact counts,
for the analyst role only; otherwise `lagesbild.numbers.disclosure` hides small counts). Results are
pandas DataFrames in long form; counts are in `antal` (Int64), with `undertryckt` and `visas`.
Totals in tables are rows labelled "Totalt". Significance and control limits come from
`lagesbild.numbers.signals`, population from `lagesbild.numbers.population`.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.codelists import Codelists
from lagesbild.domain.config import Disclosure
from lagesbild.domain.periods import quarters_between, shift_quarter
from lagesbild.numbers import population as pop
from lagesbild.numbers import signals
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
TREND_DIMENSIONS = ("form", "handelse", "verksamhet", "rapporttyp", "omrade", "kon",
                    "aldersgrupp")
UNKNOWN = {"kon": "Okänt", "aldersgrupp": "Okänd"}
NO_POPULATION = ("Digitalt", "Okänt")
COVERAGE_LOOKBACK = 4
# Coverage status of a partner in a quarter.
DELIVERED, MISSING, NOT_EXPECTED = "levererat", "saknas", "ingen leverans"
COMPARISONS = {
    "foregaende": "föregående kvartal",
    "fjol": "samma kvartal i fjol",
    "snitt4": "snittet av de fyra föregående kvartalen",
}


# -- helpers ----------------------------------------------------------------------------------
def _df(store: Store, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    """Run one query; text columns of the (small, aggregated) result as plain Python objects,
    which are much faster to work with row by row than pandas' Arrow-backed strings."""
    frame = store.cursor().execute(sql, list(params)).df()
    for col in frame.columns:
        if frame[col].dtype == "str":
            frame[col] = frame[col].astype(object)
    return frame


def _rows(store: Store, sql: str, params: Sequence[object] = ()) -> list[tuple]:
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
    return quarters_between(_norm(first), _norm(last))


def _norm(label: str) -> str:
    return shift_quarter(label, 0)


def baseline_quarters(quarter: str, compare: str) -> list[str]:
    """The quarters a comparison is made against."""
    if compare == "foregaende":
        return [shift_quarter(quarter, -1)]
    if compare == "fjol":
        return [shift_quarter(quarter, -4)]
    if compare == "snitt4":
        return [shift_quarter(quarter, -k) for k in range(4, 0, -1)]
    raise ValueError(f"Okänd jämförelse {compare!r}. Välj bland: {', '.join(COMPARISONS)}.")


def baseline_label(quarter: str, compare: str) -> str:
    quarters = baseline_quarters(quarter, compare)
    return quarters[0] if len(quarters) == 1 else f"snitt {quarters[0]}–{quarters[-1]}"


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


def _sort(frame: pd.DataFrame, dims: Sequence[str]) -> pd.DataFrame:
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


def _dim_sql(name: str) -> str:
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
        expr = _dim_sql(d)
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
    table = _df(store, sql, [*select_params, *params])
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


# -- 2. rates per 10 000 inhabitants ----------------------------------------------------------
PERIOD = "period"  # rates(period=PERIOD): the filter's whole period as one


def period_text(quarters: Sequence[str]) -> str:
    """'2024K4–2026K3' (one quarter alone when first == last); '' without quarters."""
    if not quarters:
        return ""
    return quarters[0] if quarters[0] == quarters[-1] else f"{quarters[0]}–{quarters[-1]}"


def rates(store: Store, level: str = "omrade", period: str = "ar",
          filters: Filters | None = None, disclosure: Disclosure | None = None) -> pd.DataFrame:
    """Reports per 10 000 inhabitants per area (`omrade` or `regso`) and `ar`, `kvartal` or
    `period` (all quarters of the filter's period together: one row per area, the column
    `period` holding e.g. '2024K4–2026K3').

    Every area of the level is listed (0 where no reports); Digitalt, Okänt and reports without
    a RegSO code are listed when they have reports, without population. Columns: level,
    period, antal, befolkning, befolkning_ar (the year the population is from; for `period`
    text naming the years, e.g. '2025'), per10k (NA when the population is unknown or the
    count hidden), befolkning_saknas, befolkning_anm, undertryckt, visas.

    Population (see `lagesbild.numbers.population`): each year's own figure, else the nearest year
    at most one year away, named in befolkning_anm ("befolkning 2025 används för 2024"); else
    unknown. For `period` the population is the mean over the period's years weighted by their
    quarters (`population.period_population`); unknown if any of its years is unknown.
    """
    if level not in ("omrade", "regso") or period not in ("ar", "kvartal", PERIOD):
        raise ValueError("Tal per 10 000 invånare finns per omrade eller regso och ar, "
                         "kvartal eller period.")
    filters = filters or Filters()
    quarters = shown_quarters(store, filters)
    columns = [level, period, "antal", "befolkning", "befolkning_ar", "per10k",
               "befolkning_saknas", "befolkning_anm"]
    if not quarters:
        return protect(pd.DataFrame(columns=columns).astype({"antal": "int64"}), disclosure)
    where, params = filters.with_period(quarters[0], quarters[-1]).where()
    by_period = "" if period == PERIOD else f", {DIMENSIONS[period]} AS {period}"
    counted = _df(store, f"SELECT {_dim_sql(level)} AS {level}{by_period}, "
                  f"count(*)::BIGINT AS antal FROM reports WHERE {where} GROUP BY ALL", params)
    label = period_text(quarters)
    if period == PERIOD:
        counted[PERIOD] = label
        periods: list[str] | list[int] = [label]
    else:
        periods = (quarters if period == "kvartal"
                   else sorted({int(q[:4]) for q in quarters}))
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
    extra = [n for n in dict.fromkeys(counted[level]) if n not in names]
    grid = pd.MultiIndex.from_product([names + extra, periods],
                                      names=[level, period]).to_frame(index=False)
    table = grid.merge(counted, on=[level, period], how="left")
    table["antal"] = table["antal"].fillna(0).astype("int64")
    if period != PERIOD:
        table[on[1]] = [int(str(p)[:4]) for p in table[period]]
    table = table.merge(population.rename(columns={"ar": on[1]}), on=on, how="left")
    no_pop = table[level].isin(extra)
    table.loc[no_pop, "befolkning_saknas"] = True
    table.loc[no_pop, "befolkning_anm"] = [
        pop.NO_REGSO if n == NOT_GIVEN and level == "regso" else pop.NOT_APPLICABLE
        if n in NO_POPULATION else pop.MISSING for n in table.loc[no_pop, level]]
    table["befolkning_saknas"] = table["befolkning_saknas"].astype(bool)
    if period == PERIOD:
        table["befolkning_ar"] = table["befolkning_ar"].fillna("").astype(object)
    out = protect(table, disclosure, known_total=[period])
    out["per10k"] = out["antal"].astype("Float64") / out["befolkning"].astype("Float64") * 1e4
    out = hide_derived(out, ["per10k"], out["undertryckt"])
    return _sort(out[[*columns, "undertryckt", "visas"]], [period, level])


# -- 3. change against a baseline, with significance ------------------------------------------
def change(store: Store, quarter: str, by: Sequence[str] = (), compare: str = "foregaende",
           filters: Filters | None = None, disclosure: Disclosure | None = None) -> pd.DataFrame:
    """The count of `quarter` against a baseline, per group of `by`.

    compare: 'foregaende' (previous quarter), 'fjol' (same quarter last year) or 'snitt4'
    (mean of the previous four quarters). The filter's period is ignored. Columns: by…,
    kvartal, antal, jamforelse (label of the baseline), bas (count or mean), forandring,
    procent (NA when bas < MIN_BASE_FOR_PERCENT), p_varde, signifikant, riktning ('ökning',
    'minskning' or ''), undertryckt, visas. Derived columns are NA where a count is hidden.
    """
    by = list(by)
    check_dimensions(by)
    if "kvartal" in by:
        raise ValueError("Jämförelsen gäller ett kvartal; dela inte upp på kvartal.")
    quarter = _norm(quarter)
    bases = baseline_quarters(quarter, compare)
    where, params = (filters or Filters()).with_period(None, None).where()
    select = "".join(f"{DIMENSIONS[b]} AS {b}, " for b in by)
    base_cols = ", ".join(f"count(*) FILTER (WHERE kvartal = ?)::BIGINT AS bas_{k}"
                          for k in range(len(bases)))
    marks = ", ".join("?" * (len(bases) + 1))
    sql = (f"SELECT {select}count(*) FILTER (WHERE kvartal = ?)::BIGINT AS antal, {base_cols} "
           f"FROM reports WHERE kvartal IN ({marks}) AND {where}"
           + (" GROUP BY ALL" if by else ""))
    table = _df(store, sql, [quarter, *bases, quarter, *bases, *params])
    table.insert(len(by), "kvartal", quarter)
    base_names = [f"bas_{k}" for k in range(len(bases))]
    return _sort(_with_change(table, by, base_names, baseline_label(quarter, compare),
                              disclosure), by)


def _with_change(table: pd.DataFrame, by: list[str], base_names: list[str], label: str,
                 disclosure: Disclosure | None) -> pd.DataFrame:
    exact_now = table["antal"].astype("int64").to_numpy()
    exact_base = table[base_names].astype("int64").to_numpy()
    out = protect(table.drop(columns=base_names), disclosure, known_total=True)
    rounding = disclosure.rounding if disclosure else 0
    threshold = disclosure.threshold if disclosure else 0
    base_hidden = ((exact_base >= 1) & (exact_base < threshold)).any(axis=1)
    base_pub = np.vectorize(lambda v: round_count(int(v), rounding))(exact_base) \
        if exact_base.size else exact_base
    comps = [signals.compare(int(n), list(b)) for n, b in zip(exact_now, exact_base,
                                                               strict=True)]
    out["jamforelse"] = label
    out["bas"] = pd.array(base_pub.mean(axis=1) if len(base_names) else [], dtype="Float64")
    now = out["antal"].astype("Float64")
    out["forandring"] = now - out["bas"]
    out["procent"] = pd.array([signals.percent_change(n, b) if pd.notna(n) and pd.notna(b)
                               else None for n, b in zip(now, out["bas"], strict=True)],
                              dtype="Float64")
    out["p_varde"] = pd.array([c.p_value for c in comps], dtype="Float64")
    out["signifikant"] = pd.array([c.significant for c in comps], dtype="boolean")
    out["riktning"] = [c.direction for c in comps]
    hidden = out["undertryckt"].to_numpy() | base_hidden
    out = hide_derived(out, ["bas", "forandring", "procent", "p_varde"], hidden)
    out["signifikant"] = out["signifikant"].mask(hidden)
    out.loc[hidden, "riktning"] = ""
    return out[[*by, "kvartal", "antal", "jamforelse", "bas", "forandring", "procent",
                "p_varde", "signifikant", "riktning", "undertryckt", "visas"]]


# -- 5. trend with control limits and series breaks -------------------------------------------
def series_breaks(codelists: Codelists, quarters: Sequence[str],
                  fields: Sequence[str] | None = None) -> list[tuple[str, str, str]]:
    """(quarter, category, Swedish note) for code-list changes inside the shown quarters:
    a category that starts after the first shown quarter, one that ends before the last
    (marked at the first quarter without it), and the category that replaces it."""
    shown = list(quarters)
    if not shown:
        return []
    inside = set(shown[1:])
    breaks: list[tuple[str, str, str]] = []
    for name in fields or TREND_DIMENSIONS:
        for code in codelists.for_field(name).codes:
            if code.valid_from and _norm(code.valid_from) in inside:
                breaks.append((_norm(code.valid_from), code.value,
                               f"Serieavbrott: {code.value} används från "
                               f"{_norm(code.valid_from)}."))
            if code.valid_to and shift_quarter(code.valid_to, 1) in inside:
                start = shift_quarter(code.valid_to, 1)
                tail = f"; ersätts av {code.replaced_by}" if code.replaced_by else ""
                breaks.append((start, code.value, f"Serieavbrott: {code.value} används inte "
                               f"efter {_norm(code.valid_to)}{tail}."))
                if code.replaced_by:
                    breaks.append((start, code.replaced_by,
                                   f"Serieavbrott: {code.replaced_by} omfattar från {start} "
                                   f"även {code.value}."))
    return sorted(set(breaks), key=lambda b: (shown.index(b[0]), b[1], b[2]))


def trend(store: Store, filters: Filters | None = None, by: str | None = None,
          measure: str = "antal", disclosure: Disclosure | None = None,
          codelists: Codelists | None = None) -> pd.DataFrame:
    """Per quarter (and per category of `by`), quarters without reports as 0.

    measure 'antal' or 'per10k' (per 10 000 inhabitants of the area for by='omrade', else of
    the municipality or the filtered districts). Columns: kvartal, [by], antal, varde (the
    measure), baslinje (mean of the previous eight quarters), nedre_grans, ovre_grans,
    signal (bool), signal_text, serieavbrott, ofullstandig (a partner has not delivered),
    saknade_verksamheter, [befolkning, befolkning_ar, befolkning_anm], undertryckt, visas.
    Limits are computed on counts; for per10k they are scaled by the same population. With a
    Disclosure, limits come from published counts and are hidden when one of the eight is.
    """
    if by is not None and by not in TREND_DIMENSIONS:
        raise ValueError(f"Trend kan delas upp på: {', '.join(TREND_DIMENSIONS)}.")
    if measure not in ("antal", "per10k"):
        raise ValueError("Mått för trend: antal eller per10k.")
    filters = filters or Filters()
    span = data_span(store)
    shown = shown_quarters(store, filters, span)
    dims = [by] if by else []
    if not shown:
        return pd.DataFrame(columns=["kvartal", *dims, "antal", "varde", "undertryckt", "visas"])
    data_first = span[0] or shown[0]
    window = quarters_between(shift_quarter(shown[0], -signals.SPC_WINDOW), shown[-1])
    where, params = filters.with_period(window[0], window[-1]).where()
    select = f"{_dim_sql(by)} AS {by}, " if by else ""
    counted = _rows(store, f"SELECT kvartal, {select}count(*)::BIGINT FROM reports "
                    f"WHERE {where} GROUP BY ALL", params)
    if not by:
        counted = [(q, None, n) for q, n in counted]
    categories = category_order(by, [k for _, k, _ in counted]) if by else [None]
    if not categories:
        return pd.DataFrame(columns=["kvartal", *dims, "antal", "varde", "undertryckt", "visas"])
    row_of = {c: i for i, c in enumerate(categories)}
    col_of = {q: j for j, q in enumerate(window)}
    exact = np.zeros((len(categories), len(window)), dtype=np.int64)
    for quarter, key, n in counted:
        exact[row_of[key], col_of[quarter]] = n
    # Disclosure control over the whole window (each quarter's total is published).
    groups = [np.arange(j, exact.size, len(window)) for j in range(len(window))] if by else []
    result = protect_values(exact.ravel().tolist(), disclosure, groups=groups)
    hidden = result.hidden.reshape(exact.shape)
    published = np.array([0 if v is None else v for v in result.shown],
                         dtype=float).reshape(exact.shape)
    available = np.array([q >= data_first for q in window])
    _, exact_low, exact_up = signals.rolling_limits(exact, available)
    centre, lower, upper = signals.rolling_limits(published, available)
    hidden_before = signals.rolling_limits(hidden.astype(float), available)[0] > 0
    for limit in (centre, lower, upper):
        limit[hidden_before] = np.nan
    text = np.where(np.isnan(exact_up), signals.SHORT,
                    np.where(exact > exact_up, signals.HIGH,
                             np.where(exact < exact_low, signals.LOW, "")))
    text = np.where(hidden, "", text).astype(object)
    flagged = (text == signals.HIGH) | (text == signals.LOW)
    text[flagged] = [f"{t} {signals.SPC_SUFFIX}" for t in text[flagged]]
    keep = np.array([q in set(shown) for q in window])
    take = np.flatnonzero(np.tile(keep, len(categories)))
    flat_q = np.tile(np.array(window, dtype=object), len(categories))[take]
    shown_counts = pd.array(result.shown, dtype="Int64")[take]
    flat_c = np.repeat(np.array(categories, dtype=object), len(window))[take] if by else None
    marks = {(q, c): note for q, c, note in
             series_breaks(codelists or codelist_module.load(), shown, dims)} if by else {}
    missing = missing_by_quarter(store, shown, filters)
    # All columns at once: one DataFrame constructor instead of a column insert each.
    data: dict[str, object] = {"kvartal": flat_q}
    if by:
        data[by] = flat_c
    data.update({
        "antal": shown_counts,
        "varde": shown_counts.astype("Float64"),
        "baslinje": centre.ravel()[take],
        "nedre_grans": lower.ravel()[take],
        "ovre_grans": upper.ravel()[take],
        "signal": flagged.ravel()[take],
        "signal_text": text.ravel()[take],
        "serieavbrott": ([marks.get((q, c), "") for q, c in zip(flat_q, flat_c, strict=True)]
                         if flat_c is not None else [""] * len(flat_q)),
        "ofullstandig": [bool(missing.get(q)) for q in flat_q],
        "saknade_verksamheter": [", ".join(missing.get(q, [])) for q in flat_q],
        "undertryckt": result.hidden[take],
        "visas": np.array(result.display, dtype=object)[take],
    })
    out = pd.DataFrame(data)
    extra: list[str] = []
    if measure == "per10k":
        out, extra = _per10k(store, out, by, filters)
    columns = ["kvartal", *dims, "antal", "varde", "baslinje", "nedre_grans", "ovre_grans",
               "signal", "signal_text", "serieavbrott", "ofullstandig", "saknade_verksamheter",
               *extra, "undertryckt", "visas"]
    return out[columns] if extra else out  # without extra, `data` is already in this order


def _per10k(store: Store, out: pd.DataFrame, by: str | None, filters: Filters) \
        -> tuple[pd.DataFrame, list[str]]:
    out["ar"] = out["kvartal"].str[:4].astype(int)
    years = sorted(out["ar"].unique())
    if by == "omrade":
        population = pop.population_table(store, "omrade", years)
        out = out.merge(population, on=["omrade", "ar"], how="left", sort=False)
        lacking = out["befolkning"].isna()
        out.loc[lacking, "befolkning_anm"] = [
            pop.NOT_APPLICABLE if o in NO_POPULATION else pop.MISSING
            for o in out.loc[lacking, "omrade"]]
    else:
        districts = [d for d in filters.omrade if d not in NO_POPULATION]
        if filters.omrade and not districts:
            population = pd.DataFrame({"ar": years, "befolkning": pd.NA, "befolkning_ar": pd.NA,
                                       "befolkning_anm": pop.NOT_APPLICABLE})
        else:
            population = pop.total_population(store, years, districts)
        out = out.merge(population.drop(columns="befolkning_saknas"), on="ar", how="left",
                        sort=False)
    factor = 1e4 / out["befolkning"].astype("Float64")
    for col in ("varde", "baslinje", "nedre_grans", "ovre_grans"):
        out[col] = out[col].astype("Float64") * factor
    out["befolkning_ar"] = out["befolkning_ar"].astype("Int64")
    out["befolkning"] = out["befolkning"].astype("Int64")
    return out, ["befolkning", "befolkning_ar", "befolkning_anm"]


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
    Dimension filters narrow the counts, not the deliveries. Columns: verksamhet, kvartal,
    antal, levererat, status, undertryckt, visas.
    """
    filters = filters or Filters()
    shown = shown_quarters(store, filters)
    columns = ["verksamhet", "kvartal", "antal", "levererat", "status", "undertryckt", "visas"]
    if not shown:
        return pd.DataFrame(columns=columns)
    where, params = filters.with_period(shown[0], shown[-1]).where()
    counted = _df(store, "SELECT partner AS verksamhet, kvartal, count(*)::BIGINT AS antal "
                  f"FROM reports WHERE {where} GROUP BY ALL", params)
    table = pd.DataFrame(_delivery_status(store, shown, filters.verksamhet, lookback),
                         columns=["verksamhet", "kvartal", "levererat", "status"], dtype=object)
    table["levererat"] = table["levererat"].astype(bool)
    table = table.merge(counted, on=["verksamhet", "kvartal"], how="left")
    not_delivered = ~table["levererat"].to_numpy(dtype=bool)
    table["antal"] = table["antal"].fillna(0).astype("Int64").mask(not_delivered)
    out = protect(table, disclosure, known_total=["kvartal"], fixed=not_delivered)
    out.loc[out["status"] == MISSING, "visas"] = MISSING
    return _sort(out[columns], ["kvartal", "verksamhet"])


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
    quarter = _norm(quarter)
    return missing_by_quarter(store, [quarter], filters, lookback).get(quarter, [])
