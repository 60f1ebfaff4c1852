"""Filters shared by every page, export and command, and plain grouped counts in DuckDB SQL."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import pandas as pd

from lagesbild.domain.periods import parse_quarter, quarter_end, quarter_start
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
