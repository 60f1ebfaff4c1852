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
from lagesbild.numbers.disclosure import CELL_KEY_SQL, TOTAL, Cube, period_parent
from lagesbild.store import Store

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
        clauses: list[str] = []
        params: list[object] = []
        if self.from_quarter:
            clauses.append("datum >= ?")
            params.append(quarter_start(self.from_quarter))
        if self.to_quarter:
            clauses.append("datum <= ?")
            params.append(quarter_end(self.to_quarter))
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
    """Counts and cell keys of every combination of `dims` and their totals (GROUP BY CUBE),
    for every quarter (and month) of `years`, each of those years and all time (ROLLUP over
    the period), in one query over all current reports; zero-filled (key 0 where empty).

    The last axis is the period (`kvartal`: 'YYYYKq', 'YYYY', TOTAL, with months 'YYYY-MM').
    Nothing is filtered in SQL: a filtered dimension is a dimension of the cube whose total
    is the parent of its values. Reports of other years count only in the total.
    """
    params: list[object] = []
    inner: list[str] = []
    for d in dims:
        expr = d.sql
        if d.merge:
            whens = " ".join("WHEN ? THEN ?" for _ in d.merge)
            params += [x for pair in d.merge.items() for x in pair]
            expr = f"(CASE {expr} {whens} ELSE {expr} END)"
        if d.keep is not None:
            marks = ", ".join("?" * len(d.keep)) or "NULL"
            params += list(d.keep)
            inner.append(f"CASE WHEN {expr} IN ({marks}) THEN {expr} ELSE '{OTHER}' END "
                         f"AS {d.name}")
        else:
            inner.append(f"CAST({expr} AS VARCHAR) AS {d.name}")
    year_marks = ", ".join("?" * len(years)) or "NULL"
    in_scope = f"left(kvartal, 4) IN ({year_marks})"
    time = [f"CASE WHEN {in_scope} THEN left(kvartal, 4) ELSE '{OTHER}' END AS _ar",
            f"CASE WHEN {in_scope} THEN kvartal ELSE '{OTHER}' END AS _kv"]
    params += list(years) * 2
    if months:
        time.append(f"CASE WHEN {in_scope} THEN strftime(datum, '%Y-%m') ELSE '{OTHER}' END "
                    "AS _mn")
        params += list(years)
    names = [d.name for d in dims]
    outer = [f"CASE WHEN grouping({n}) = 1 THEN '{TOTAL}' ELSE {n} END AS {n}" for n in names]
    finest = "_mn" if months else "_kv"
    period = ("CASE WHEN grouping(_ar) = 1 THEN '{t}' WHEN grouping(_kv) = 1 THEN _ar "
              + ("WHEN grouping(_mn) = 1 THEN _kv " if months else "")
              + f"ELSE {finest} END AS kvartal").format(t=TOTAL)
    rollup = "ROLLUP (_ar, _kv, _mn)" if months else "ROLLUP (_ar, _kv)"
    groups = ([f"CUBE ({', '.join(names)})"] if names else []) + [rollup]
    sql = (f"SELECT {', '.join([*outer, period])}, count(*)::BIGINT AS antal, "
           f"{CELL_KEY_SQL} AS ckey FROM (SELECT {', '.join([*inner, 'rkey', *time])} "
           f"FROM reports) GROUP BY {', '.join(groups)}")
    found = store.cursor().execute(sql, params).df()
    found = found[found["kvartal"] != OTHER]
    labels: list[tuple[object, ...]] = []
    for d in dims:
        kept = list(d.keep) if d.keep is not None else list(dict.fromkeys(d.listed))
        present = [v for v in dict.fromkeys(found[d.name].astype(object))
                   if v not in (TOTAL, OTHER) and v not in kept]
        extra = [OTHER] if d.keep is not None else []
        labels.append((*kept, *sorted(present, key=str), *extra, TOTAL))
    quarters = [f"{y}K{k}" for y in years for k in range(1, 5)]
    month_labels = [f"{y}-{m:02d}" for y in years for m in range(1, 13)] if months else []
    labels.append((*month_labels, *quarters, *years, TOTAL))
    shape = tuple(len(axis) for axis in labels)
    counts = np.zeros(shape, dtype=np.int64)
    keys = np.zeros(shape, dtype=np.int64)
    columns = [*names, "kvartal"]
    index = tuple(pd.Categorical(found[c].astype(object), categories=list(axis)).codes
                  for c, axis in zip(columns, labels, strict=True))
    if any((codes < 0).any() for codes in index):
        raise ValueError("A cube cell has a label outside its axes (a NULL dimension?).")
    counts[index] = found["antal"].to_numpy(dtype=np.int64)
    keys[index] = found["ckey"].to_numpy(dtype=np.int64)
    parents = []
    for axis_labels, name in zip(labels, columns, strict=True):
        position = {label: i for i, label in enumerate(axis_labels)}
        up = period_parent if name == "kvartal" else _to_total
        parents.append(np.array([position.get(up(label), -1) if up(label) is not None else -1
                                 for label in axis_labels], dtype=np.int64))
    return Cube(tuple(columns), tuple(labels), tuple(parents), counts, keys)


def _to_total(label: object) -> object:
    return None if label == TOTAL else TOTAL
