"""Reports per quarter and per year of a period, with the period's total, as one protected
table: the quarters of a year add up to the year and the years to the total, so a published
year or total never gives away a hidden quarter (the public variant publishes all three).
"""

from __future__ import annotations

import pandas as pd

from lagesbild.domain.config import Disclosure
from lagesbild.numbers.disclosure import TOTAL, Line, protect_values
from lagesbild.numbers.query import Filters
from lagesbild.numbers.query import counts as query_counts
from lagesbild.numbers.tables import shown_quarters
from lagesbild.store import Store

COLUMNS = ["ar", "kvartal", "antal", "undertryckt", "visas"]


def quarters_and_years(store: Store, filters: Filters | None = None,
                       disclosure: Disclosure | None = None) -> pd.DataFrame:
    """Per quarter of the filter's period (0 where none), per year and in total. Columns: ar
    (the year as text; TOTAL on the total row), kvartal (TOTAL on a year's row and on the
    total row), antal, undertryckt, visas. A year counts only the period's quarters in it.
    """
    filters = filters or Filters()
    quarters = shown_quarters(store, filters)
    if not quarters:
        return pd.DataFrame(columns=COLUMNS).astype({"antal": "Int64", "undertryckt": bool})
    counted = query_counts(store, ["kvartal"], filters.with_period(quarters[0], quarters[-1]))
    found = dict(zip(counted["kvartal"], counted["antal"], strict=True))
    keys: list[tuple[str, str]] = []
    values: list[int] = []
    lines: list[Line] = []
    years: list[int] = []
    for year in dict.fromkeys(q[:4] for q in quarters):
        members = []
        for quarter in (q for q in quarters if q.startswith(year)):
            members.append(len(values))
            keys.append((year, quarter))
            values.append(int(found.get(quarter, 0)))
        lines.append(Line(tuple(members), len(values)))
        years.append(len(values))
        keys.append((year, TOTAL))
        values.append(sum(values[i] for i in members))
    lines.append(Line(tuple(years), len(values)))
    keys.append((TOTAL, TOTAL))
    values.append(sum(values[i] for i in years))
    result = protect_values(values, disclosure, lines=lines)
    return pd.DataFrame({
        "ar": pd.Series([y for y, _ in keys], dtype=object),
        "kvartal": pd.Series([q for _, q in keys], dtype=object),
        "antal": pd.array(result.shown, dtype="Int64"),
        "undertryckt": result.hidden,
        "visas": pd.Series(result.display, dtype=object),
    })
