"""Counts and cross-tabulations over the current reports, protected by the cell-key method:
`published` (every protected table: one cube query, the rule set, published cells and
derived sums), counts, shares, crosstab, the gender and age lens, the consultation funnel;
and the helpers every indicator shares (the data's span, category order, dimensions as SQL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import pandas as pd

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.codelists import Codelists
from lagesbild.domain.config import Disclosure
from lagesbild.domain.periods import quarters_between, shift_quarter
from lagesbild.numbers import query
from lagesbild.numbers.disclosure import (
    GENDER_OTHER_WITH_UNKNOWN,
    OTHER_OR_UNKNOWN,
    TOTAL,
    Axis,
    Group,
    classification,
    period_units,
    protect_cube,
    select,
    share,
)
from lagesbild.numbers.query import (
    FILTER_FIELDS,
    NOT_GIVEN,
    PERIOD_DIMENSIONS,
    Filters,
    check_dimensions,
    dimension_sql,
)
from lagesbild.store import Store

UNKNOWN = {"kon": "Okänt", "aldersgrupp": "Okänd"}
__all__ = ["GENDER_OTHER_WITH_UNKNOWN", "NOT_GIVEN", "OTHER_OR_UNKNOWN", "dimension_sql"]


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


# -- 0. every protected table -------------------------------------------------------------------
def _merges(disclosure: Disclosure | None,
            merge: Mapping[str, Mapping[str, str]] | None) -> dict[str, Mapping[str, str]]:
    """The categories merged per dimension: the role's classification wherever numbers are
    protected (one breakdown per role: a table may not ask for another), else `merge`."""
    role = dict(classification(disclosure))
    if disclosure is None:
        return {d: m for d, m in (merge or {}).items() if m}
    for dim, wanted in (merge or {}).items():
        if wanted and dict(wanted) != dict(role.get(dim, {})):
            raise ValueError(f"Skyddade tabeller delar upp {dim} på ett enda sätt; "
                             "en annan sammanslagning går inte att visa.")
    return role


def _axis_levels(dimension: str, labels: Sequence[object], keep: Sequence[str] | None,
                 merge: Mapping[str, str] | None) -> list[str]:
    """The rows of a breakdown: the selected values, else the code list (merged categories
    in place of their first member) and whatever else has reports, in code-list order."""
    if keep is not None:
        return category_order(dimension, list(keep))
    present = [str(v) for v in labels if v not in (TOTAL, query.OTHER)]
    values: list[str] = []
    if dimension in codelist_module.LIST_OF_FIELD:
        values = list(codelist_module.load().for_field(dimension).values)
    if merge:
        merged = list(dict.fromkeys(merge.get(v, v) for v in values))
        return merged + sorted(v for v in dict.fromkeys(present) if v not in merged)
    return category_order(dimension, values + present)


def published(store: Store, by: Sequence[str], filters: Filters | None = None,
              disclosure: Disclosure | None = None, *, margins: Sequence[str] = (),
              merge: Mapping[str, Mapping[str, str]] | None = None,
              listed: Mapping[str, Sequence[str]] | None = None,
              expressions: Mapping[str, str] | None = None,
              with_exact: bool = False) -> pd.DataFrame:
    """The published table of `by` (in that order; at most one of kvartal, ar, manad) for the
    reports of `filters`, one row per combination, zero-filled, with a TOTAL row per
    dimension in `margins`.

    Every table is read from the published cells of one cube (`query.cube`): single values
    or the total of each breakdown and filtered dimension, by quarter, calendar year or all
    time, protected once with all their parents (`disclosure.protect_cube`). A filter of one
    value selects that value's cells; of several, their derived sum (of all values, the
    total); a period is the sum of its units (`disclosure.period_units`). So the same cell
    has the same value in every table, and no difference of published numbers isolates a
    hidden one. With disclosure=None the same table holds exact counts (analysts).

    `merge` {dimension: {category: label}} merges categories in the query (exact tables
    only; protected tables always use the role's classification). `listed` names values
    listed even without reports; `expressions` gives the SQL of dimensions not in
    query.DIMENSIONS. Columns: by…, antal, undertryckt, visas (and _exakt with `with_exact`,
    the true counts: for the engine's signals, never to be shown).
    """
    by = list(by)
    sql_of = dict(expressions or {})
    check_dimensions([b for b in by if b not in sql_of])
    times = [b for b in by if b in PERIOD_DIMENSIONS]
    if len(times) > 1:
        raise ValueError("Dela upp på högst en av kvartal, ar och manad.")
    filters = filters or Filters()
    span = data_span(store)
    quarters = shown_quarters(store, filters, span)
    columns = [*by, "antal", "undertryckt", "visas", *(["_exakt"] if with_exact else [])]
    if not quarters:
        empty = pd.DataFrame(columns=columns).astype({"antal": "Int64", "undertryckt": bool})
        return empty
    merges = _merges(disclosure, merge)
    names = [b for b in by if b not in PERIOD_DIMENSIONS]
    names += [f for f in FILTER_FIELDS if getattr(filters, f) and f not in names]
    dims = []
    for name in names:
        chosen: tuple[str, ...] = getattr(filters, name, ()) if name in FILTER_FIELDS else ()
        mapping = merges.get(name)
        if chosen and mapping:
            chosen = tuple(dict.fromkeys(mapping.get(v, v) for v in chosen))
        rows = list((listed or {}).get(name, ()))
        if name in by and name in codelist_module.LIST_OF_FIELD:
            values = codelist_module.load().for_field(name).values
            rows += [(mapping or {}).get(v, v) for v in values]
        dims.append(query.CubeDim(name, sql_of.get(name) or dimension_sql(name), mapping,
                                  chosen or None, tuple(dict.fromkeys(rows))))
    years = sorted({q[:4] for q in quarters})
    cells = query.cube(store, dims, years, months="manad" in by)
    protected = protect_cube(cells, disclosure)
    axes = []
    for axis, dim in enumerate(dims):
        whole: tuple[object, ...] = (TOTAL,)
        if dim.keep is not None:
            other = cells.index(axis)[query.OTHER]
            at = tuple(other if a == axis else len(cells.labels[a]) - 1
                       for a in range(len(dims) + 1))
            if cells.counts[at] > 0:  # reports outside the selection: a derived sum
                whole = dim.keep
        if dim.name not in by:
            axes.append(Axis(dim.name, ((None, whole),)))
            continue
        levels = _axis_levels(dim.name, cells.labels[axis], dim.keep, dim.merge)
        groups: list[Group] = [(v, (v,)) for v in levels]
        if dim.name in margins:
            groups.append((TOTAL, whole))
        axes.append(Axis(dim.name, tuple(groups)))
    axes.append(_period_axis(times[0] if times else None, quarters, span,
                             "kvartal" in margins or bool(set(times) & set(margins))))
    out = select(cells, protected, axes, disclosure)
    if times and times[0] != "kvartal":
        out = out.rename(columns={"kvartal": times[0]})
    if times and len(by) > 1 and by[-1] not in PERIOD_DIMENSIONS:  # rows in the order of `by`
        ranks = {a.name if a.name != "kvartal" else times[0]:
                 {label: i for i, (label, _) in enumerate(a.groups)} for a in axes}
        keys = pd.DataFrame({b: out[b].map(ranks[b]) for b in by})
        out = out.iloc[keys.sort_values(by, kind="stable").index].reset_index(drop=True)
    return out[columns]


def _period_axis(by: str | None, quarters: list[str], span: tuple[str | None, str | None],
                 margin: bool) -> Axis:
    """The period axis of a table: one row per quarter, year or month of the period (a year
    that is only partly in the period is the sum of its quarters), or the period as one."""
    first, last = span
    inside = quarters_between(first, last) if first and last else []

    def units(qs: Sequence[str]) -> tuple[object, ...]:
        return tuple(period_units(qs, inside))

    whole: list[Group] = [(TOTAL, units(quarters))] if margin else []
    rows: list[Group]
    if by == "kvartal":
        rows = [(q, (q,)) for q in quarters]
    elif by == "ar":
        years = list(dict.fromkeys(q[:4] for q in quarters))
        rows = [(int(y), units([q for q in quarters if q[:4] == y])) for y in years]
    elif by == "manad":
        rows = [(m, (m,)) for q in quarters for m in
                (f"{q[:4]}-{3 * (int(q[-1]) - 1) + k:02d}" for k in range(1, 4))]
    else:
        return Axis("kvartal", ((None, units(quarters)),))
    return Axis("kvartal", tuple(rows + whole))


def role_filters(filters: Filters, disclosure: Disclosure | None) -> Filters:
    """The filters as the role's classification reads them, for queries outside the cube: a
    value of a merged category selects every member (for protected numbers, gender Annat
    means Annat/okänt: Annat and Okänt)."""
    merges = classification(disclosure)
    changed: dict[str, tuple[str, ...]] = {}
    for dim, mapping in merges.items():
        chosen = getattr(filters, dim, ())
        if chosen:
            labels = {mapping.get(v, v) for v in chosen}
            changed[dim] = tuple(sorted({v for v, m in mapping.items() if m in labels}
                                        | {v for v in chosen if v not in mapping}))
    return replace(filters, **changed) if changed else filters  # type: ignore[arg-type]


def merged_label(dimension: str, value: object, disclosure: Disclosure | None) -> object:
    """A category as the role's classification shows it."""
    return classification(disclosure).get(dimension, {}).get(value, value)  # type: ignore


def published_zero(frame: pd.DataFrame) -> pd.Series:
    """Rows whose published count is 0 (a hidden count is never a published 0)."""
    return (~frame["undertryckt"].astype(bool)) & (frame["antal"].fillna(-1) == 0)


# -- 1. counts and cross-tabulations -----------------------------------------------------------
def counts(store: Store, by: Sequence[str], filters: Filters | None = None,
           disclosure: Disclosure | None = None) -> pd.DataFrame:
    """Counts by any dimensions, without totals; combinations whose published count is 0 are
    left out (one row for no dimension). Columns: by…, antal, undertryckt, visas."""
    by = list(by)
    out = published(store, by, filters, disclosure)
    if by:
        out = out[~published_zero(out)]
        out = out.sort_values(by, kind="stable") if len(out) else out
    return out.reset_index(drop=True)


def shares(store: Store, by: Sequence[str], filters: Filters | None = None,
           disclosure: Disclosure | None = None) -> pd.DataFrame:
    """Counts with `andel`: per cent of the total within each group of all but the last
    dimension (of the grand total for one dimension), both published counts. Columns: by…,
    antal, andel, undertryckt, visas."""
    by = list(by)
    if not by:
        raise ValueError("Andel kräver minst en indelning.")
    last = by[-1]
    table = published(store, by, filters, disclosure, margins=[last])
    totals = table[table[last] == TOTAL].drop(columns=[last, "undertryckt", "visas"])
    out = table[table[last] != TOTAL]
    keys = by[:-1]
    whole = (out[keys].merge(totals.rename(columns={"antal": "_whole"}), on=keys,
                             how="left")["_whole"] if keys
             else pd.Series([totals["antal"].iloc[0]] * len(out), dtype="Int64"))
    out = out.assign(andel=share(out["antal"], whole.set_axis(out.index)).to_numpy())
    out = out[~published_zero(out)].sort_values(by, kind="stable")
    return out[[*by, "antal", "andel", "undertryckt", "visas"]].reset_index(drop=True)


def crosstab(store: Store, rows: str, cols: str, filters: Filters | None = None,
             disclosure: Disclosure | None = None) -> pd.DataFrame:
    """Two dimensions with row, column and grand totals (labelled "Totalt"), in long form.

    Columns: rows, cols, antal, undertryckt, visas. Every combination is present (0 if none).
    """
    if rows == cols:
        raise ValueError("Välj två olika indelningar.")
    return published(store, [rows, cols], filters, disclosure, margins=[rows, cols])


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
def lens(store: Store, dimension: str | None = None, by: str = "kon",
         filters: Filters | None = None, disclosure: Disclosure | None = None, *,
         merge: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Counts and shares by gender (by='kon') or age group (by='aldersgrupp') per category of
    `dimension` (None = all reports). Shares use the known ones as denominator; the unknown
    category (Okänt/Okänd) is its own row and never dropped. Totals are rows labelled
    "Totalt". Columns: [dimension], by, antal, kand (bool: a known category), kanda (the
    denominator: the sum of the published known counts, hidden when one of them is), andel
    (per cent of kanda; NA for unknown and total rows), undertryckt, visas.

    merge {category: label} combines categories of `by` into one row before anything is
    counted, e.g. GENDER_OTHER_WITH_UNKNOWN ("Annat" and "Okänt" as "Annat/okänt") or age
    bands ({"13–15": "13–17", "16–17": "13–17"}). A merged row that contains the unknown
    category is unknown (not in the denominator). Protected tables always use the role's
    one classification (gender merged, see `disclosure.classification`), in every view and
    export, so no route publishes the unmerged table; another merge is refused.
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
    mapping = _merges(disclosure, {by: merge} if merge else None).get(by, {})
    unknown = {mapping.get(UNKNOWN[by], UNKNOWN[by])}
    dims = [dimension, by] if dimension else [by]
    out = published(store, dims, filters, disclosure, margins=dims,
                    merge={by: merge} if merge else None)
    out["kand"] = ~out[by].isin([*unknown, TOTAL])
    group = out[dimension] if dimension else pd.Series("", index=out.index)
    known = out[out["kand"]]
    any_hidden = known["undertryckt"].groupby(group[known.index]).any()
    sums = known["antal"].astype("Float64").groupby(group[known.index]).sum()
    kanda = sums.where(~any_hidden)
    out["kanda"] = group.map(kanda).astype("Float64").round().astype("Int64")
    out["andel"] = share(out["antal"], out["kanda"])
    out["andel"] = out["andel"].mask(~out["kand"])
    columns = [*dims, "antal", "kand", "kanda", "andel", "undertryckt", "visas"]
    return out[columns]


# -- 7. consultation-forum funnel -------------------------------------------------------------
def funnel(store: Store, filters: Filters | None = None,
           disclosure: Disclosure | None = None, *, per_quarter: bool = True) -> pd.DataFrame:
    """Per verksamhet (and "Totalt") and quarter: reports, of which brought to the
    consultation forum (konsultation = 'Ja'), and the share. Only partner-quarters whose
    published count is not 0 are listed (see `coverage` for missing submissions). Columns:
    verksamhet, kvartal, antal, konsultation, andel, undertryckt, visas,
    konsultation_undertryckt, konsultation_visas.

    per_quarter=False: the filter's whole period at once, one row per verksamhet (and
    "Totalt"); `kvartal` then holds the period ('2024K4–2026K3'). The counts are published
    cells (or sums of them): "Ja" is a cell of its own, the total is the verksamhet margin.
    """
    filters = filters or Filters()
    by = ["verksamhet", "konsultation", *(["kvartal"] if per_quarter else [])]
    table = published(store, by, filters, disclosure, margins=["verksamhet", "konsultation"])
    columns = ["verksamhet", "kvartal", "antal", "konsultation", "andel", "undertryckt",
               "visas", "konsultation_undertryckt", "konsultation_visas"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    if not per_quarter:
        table["kvartal"] = period_text(shown_quarters(store, filters))
    keys = ["verksamhet", "kvartal"]
    total = table[table["konsultation"] == TOTAL].drop(columns="konsultation")
    yes = table[table["konsultation"] == "Ja"][[*keys, "antal", "undertryckt", "visas"]]
    yes = yes.rename(columns={"antal": "konsultation", "undertryckt": "konsultation_undertryckt",
                              "visas": "konsultation_visas"})
    out = total.merge(yes, on=keys, how="left")
    out = out[~published_zero(out)]
    out["andel"] = share(out["konsultation"], out["antal"])
    rank = {v: i for i, v in enumerate(category_order("verksamhet", list(out["verksamhet"])))}
    out = out.assign(_rank=out["verksamhet"].map(rank)).sort_values(["kvartal", "_rank"],
                                                                    kind="stable")
    return out[columns].reset_index(drop=True)
