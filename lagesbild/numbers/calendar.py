"""Reports per quarter and per year of a period, with the period's total, as one table of
published cells: every quarter, year and total is a cell of the cell-key method (a year only
partly in the period is the derived sum of its quarters), so each has the same value here as
in any other table and no difference of them isolates a hidden quarter (the public variant
publishes all three).
"""

from __future__ import annotations

import pandas as pd

from lagesbild.domain.config import Disclosure
from lagesbild.numbers.disclosure import TOTAL
from lagesbild.numbers.query import Filters
from lagesbild.numbers.tables import published
from lagesbild.store import Store

COLUMNS = ["ar", "kvartal", "antal", "undertryckt", "visas"]


def quarters_and_years(store: Store, filters: Filters | None = None,
                       disclosure: Disclosure | None = None) -> pd.DataFrame:
    """Per quarter of the filter's period (0 where none), per year and in total. Columns: ar
    (the year as text; TOTAL on the total row), kvartal (TOTAL on a year's row and on the
    total row), antal, undertryckt, visas. A year counts only the period's quarters in it.
    """
    filters = filters or Filters()
    quarters = published(store, ["kvartal"], filters, disclosure, margins=["kvartal"])
    if quarters.empty:
        return pd.DataFrame(columns=COLUMNS).astype({"antal": "Int64", "undertryckt": bool})
    years = published(store, ["ar"], filters, disclosure)
    years = years.assign(ar=years["ar"].astype(str), kvartal=TOTAL)
    per_quarter = quarters[quarters["kvartal"] != TOTAL]
    per_quarter = per_quarter.assign(ar=per_quarter["kvartal"].str[:4])
    total = quarters[quarters["kvartal"] == TOTAL].assign(ar=TOTAL)
    parts = [frame for year in years["ar"] for frame in
             (per_quarter[per_quarter["ar"] == year], years[years["ar"] == year])]
    out = pd.concat([*parts, total], ignore_index=True)[COLUMNS]
    out["ar"] = out["ar"].astype(object)
    out["kvartal"] = out["kvartal"].astype(object)
    return out
