"""Filters shared by every page, export and command; plain grouped counts, and the one query of
every protected table (`cube`: counts and cell keys of a CUBE over its dimensions and a ROLLUP
over quarters, years and all time) in DuckDB SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.periods import parse_quarter, quarter_end, quarter_start
from lagesbild.numbers.disclosure import TOTAL, Cube, period_parent
from lagesbild.store import Store
from lagesbild.store.schema import KEY_MODULUS

# Dimensions a count can be grouped by, and their SQL over the `reports` table.
DIMENSIONS: dict[str, str] = {
    "kvartal": "kvartal",
    "ar": "year(datum)",
    "manad": "strftime(datum, '%Y-%m')",
    "omrade": "omrade",
    "regso": "regso",
    "form": "form",
    "handelse": "handelse",
    "verksamhet": "verksamhet",
    "rapporttyp": "rapporttyp",
    "kon": "kon",
    "aldersgrupp": "aldersgrupp",
    "konsultation": "konsultation",
}
# Dimensions of the period: they are the cube's period axis, not dimensions of their own.
PERIOD_DIMENSIONS = ("kvartal", "ar", "manad")
NOT_GIVEN = "Ej angivet"  # label of a missing RegSO code
# Filterable code-list dimensions (every field of Filters except the period).
FILTER_FIELDS = ("omrade", "form", "verksamhet", "rapporttyp", "handelse", "kon",
                 "aldersgrupp", "konsultation")


@dataclass(frozen=True)
class Filters:
    """A selection of reports: a quarter range and allowed values per dimension (empty = all)."""

    from_quarter: str | None = None
    to_quarter: str | None = None
    omrade: tuple[str, ...] = ()
    form: tuple[str, ...] = ()
    verksamhet: tuple[str, ...] = ()
    rapporttyp: tuple[str, ...] = ()
    handelse: tuple[str, ...] = ()
    kon: tuple[str, ...] = ()
    aldersgrupp: tuple[str, ...] = ()
    konsultation: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for label in (self.from_quarter, self.to_quarter):
            if label:
                parse_quarter(label)

    def where(self) -> tuple[str, list[object]]:
        """A SQL condition over `reports` and its parameters."""
        clauses, params = period_clauses(self.from_quarter, self.to_quarter)
        for name in FILTER_FIELDS:
            chosen = getattr(self, name)
            if chosen:
                clauses.append(f"{name} IN ({', '.join('?' * len(chosen))})")
                params.extend(chosen)
        return (" AND ".join(clauses) or "true"), params

    def with_period(self, first: str | None, last: str | None) -> Filters:
        return replace(self, from_quarter=first, to_quarter=last)

    def active(self) -> dict[str, tuple[str, ...]]:
        """The dimension filters in use (for subtitles and file names)."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name in FILTER_FIELDS and getattr(self, f.name)}


def period_clauses(first: str | None, last: str | None) -> tuple[list[str], list[object]]:
    """The SQL conditions on `datum` from the start of quarter `first` to the end of `last`
    (None: open end) and their parameters; every period filter is made of these."""
    clauses: list[str] = []
    params: list[object] = []
    if first:
        clauses.append("datum >= ?")
        params.append(quarter_start(first))
    if last:
        clauses.append("datum <= ?")
        params.append(quarter_end(last))
    return clauses, params


def check_dimensions(by: list[str]) -> None:
    unknown = [b for b in by if b not in DIMENSIONS]
    if unknown:
        raise ValueError(
            f"Okänd indelning: {', '.join(unknown)}. Välj bland: {', '.join(DIMENSIONS)}."
        )


def counts(store: Store, by: list[str], filters: Filters | None = None) -> pd.DataFrame:
    """Exact counts of current reports grouped by `by`, columns `by` + `antal`, sorted."""
    check_dimensions(by)
    where, params = (filters or Filters()).where()
    select = ", ".join(f"{DIMENSIONS[b]} AS {b}" for b in by)
    group = "GROUP BY ALL ORDER BY ALL" if by else ""
    sql = f"SELECT {select + ', ' if by else ''}count(*)::BIGINT AS antal FROM reports " \
          f"WHERE {where} {group}"
    return store.cursor().execute(sql, params).df()


def dimension_sql(name: str) -> str:
    """A dimension as text; a missing RegSO code as NOT_GIVEN (other fields are never NULL)."""
    if name in codelist_module.LIST_OF_FIELD or name == "kvartal":
        return DIMENSIONS[name]
    return f"coalesce(CAST({DIMENSIONS[name]} AS VARCHAR), '{NOT_GIVEN}')"


# -- the cube of a protected table ------------------------------------------------------------
OTHER = "\x1f"  # the label of every value outside a dimension's kept values (never shown)


@dataclass(frozen=True)
class CubeDim:
    """One dimension of a cube: its SQL, the merged categories, and the values kept apart
    (None: every value; otherwise the rest is counted together under OTHER)."""

    name: str
    sql: str
    merge: Mapping[str, str] | None = None
    keep: tuple[str, ...] | None = None
    listed: tuple[str, ...] = ()  # values that are axis labels even without reports


def cube(store: Store, dims: Sequence[CubeDim], years: Sequence[str],
         months: bool = False) -> Cube:
    """Counts and cell keys of every combination of `dims` and their totals, for every
    quarter (and month) of `years`, each of those years and all time, zero-filled (key 0
    where empty): the cells of a CUBE over the dimensions and a ROLLUP over the period.

    One query counts the finest cells (count and sum of record keys); every total is the sum
    of its parts (keys are additive modulo KEY_MODULUS), so a cell's count and key depend
    only on its reports, whatever else the cube holds. The last axis is the period
    (`kvartal`: 'YYYYKq', 'YYYY', TOTAL, and months 'YYYY-MM'). Nothing is filtered in SQL: a
    filtered dimension is a dimension of the cube whose total is the parent of its values.
    Reports of other years count only in the total.
    """
    params: list[object] = []
    inner: list[str] = []
    for d in dims:
        expr, merged = d.sql, []
        if d.merge:
            whens = " ".join("WHEN ? THEN ?" for _ in d.merge)
            merged = [x for pair in d.merge.items() for x in pair]
            expr = f"(CASE {expr} {whens} ELSE {expr} END)"
        if d.keep is not None:
            marks = ", ".join("?" * len(d.keep)) or "NULL"
            params += [*merged, *d.keep, *merged]  # the expression is used twice
            inner.append(f"CASE WHEN {expr} IN ({marks}) THEN {expr} ELSE '{OTHER}' END "
                         f"AS {d.name}")
        else:
            params += merged
            inner.append(f"CAST({expr} AS VARCHAR) AS {d.name}")
    year_marks = ", ".join("?" * len(years)) or "NULL"
    finest = "strftime(datum, '%Y-%m')" if months else "kvartal"
    inner.append(f"CASE WHEN left(kvartal, 4) IN ({year_marks}) THEN {finest} "
                 f"ELSE '{OTHER}' END AS _tid")
    params += list(years)
    sql = (f"SELECT {', '.join(inner)}, count(*)::BIGINT AS antal, "
           f"sum(rkey)::BIGINT AS nycklar FROM reports GROUP BY ALL")
    found = store.cursor().execute(sql, params).fetchnumpy()
    names = [d.name for d in dims]
    values = {c: np.asarray(found[c], dtype=object).tolist() for c in [*names, "_tid"]}
    antal = np.asarray(found["antal"], dtype=np.int64)
    keysum = np.asarray(found["nycklar"], dtype=np.int64) if len(antal) else antal
    labels: list[tuple[object, ...]] = []
    for d in dims:
        kept = list(d.keep) if d.keep is not None else list(dict.fromkeys(d.listed))
        present = [v for v in dict.fromkeys(values[d.name])
                   if v not in (TOTAL, OTHER) and v not in kept]
        if any(v is None for v in present):
            raise ValueError(f"The dimension {d.name} has a missing value: give it a label.")
        extra = [OTHER] if d.keep is not None else []
        labels.append((*kept, *sorted(present, key=str), *extra))
    quarter_labels = [f"{y}K{k}" for y in years for k in range(1, 5)]
    month_labels = [f"{y}-{m:02d}" for y in years for m in range(1, 13)] if months else []
    finest_labels = [*(month_labels or quarter_labels), OTHER]
    # the finest cells: every label but the totals
    shape = tuple(len(axis) for axis in labels) + (len(finest_labels),)
    counts = np.zeros(shape, dtype=np.int64)
    sums = np.zeros(shape, dtype=np.int64)
    index = []
    for column, axis_labels in zip([*names, "_tid"], [*labels, finest_labels], strict=True):
        position = {label: i for i, label in enumerate(axis_labels)}
        index.append(np.fromiter((position[v] for v in values[column]), dtype=np.int64,
                                 count=len(antal)))
    np.add.at(counts, tuple(index), antal)
    np.add.at(sums, tuple(index), keysum)
    # totals of every dimension: the sum over the axis, as one more label
    for a in range(len(dims)):
        counts = np.concatenate([counts, counts.sum(axis=a, keepdims=True)], axis=a)
        sums = np.concatenate([sums, sums.sum(axis=a, keepdims=True)], axis=a)
    # the period: months -> quarters -> years -> all time (reports of other years included)
    time_axis = len(dims)
    parts = [counts, sums]
    groups: list[tuple[str, list[int]]] = []
    if months:
        groups += [(q, [month_labels.index(f"{q[:4]}-{3 * (int(q[-1]) - 1) + k:02d}")
                        for k in range(1, 4)]) for q in quarter_labels]
    blocks = [[a[..., :-1] for a in parts]]  # the finest labels (without OTHER)
    time_labels: list[object] = list(finest_labels[:-1])
    if months:
        blocks.append([np.stack([a[..., i].sum(axis=-1) for _, i in groups], axis=-1)
                       for a in parts])
        time_labels += quarter_labels
    quarter_block = blocks[-1]
    blocks.append([np.stack([q[..., 4 * y:4 * y + 4].sum(axis=-1)
                             for y in range(len(years))], axis=-1) if len(years) else
                   q[..., :0] for q in quarter_block])
    time_labels += list(years)
    blocks.append([a.sum(axis=-1, keepdims=True) for a in parts])
    time_labels.append(TOTAL)
    counts = np.concatenate([b[0] for b in blocks], axis=time_axis)
    keys = np.concatenate([b[1] for b in blocks], axis=time_axis) % KEY_MODULUS
    labels = [(*axis, TOTAL) for axis in labels] + [tuple(time_labels)]
    parents = []
    for with_total, name in zip(labels, [*names, "kvartal"], strict=True):
        position = {label: i for i, label in enumerate(with_total)}
        up = period_parent if name == "kvartal" else _to_total
        parents.append(np.array([position.get(up(label), -1) if up(label) is not None else -1
                                 for label in with_total], dtype=np.int64))
    return Cube(tuple([*names, "kvartal"]), tuple(labels), tuple(parents), counts, keys)


def _to_total(label: object) -> object:
    return None if label == TOTAL else TOTAL
