"""The indicators: every number the dashboard and the exports show comes from these functions.

Each is one DuckDB query over the current reports plus light shaping in pandas on the (small)
aggregated result. Every function takes `Filters` (None = everything) and a `Disclosure`
(None = exact counts, for the analyst role only; otherwise `lagesbild.numbers.disclosure`
protects the counts). Results are pandas DataFrames in long form; counts are in `antal`
(Int64), with `undertryckt` and `visas`. Totals in tables are rows labelled "Totalt".

This module is the public face of the families that implement them: `tables` (counts,
shares, cross-tabulations, the gender and age lens, the consultation funnel), `rates` (per
10 000 inhabitants), `trend` (series, changes, control limits), `coverage` (deliveries) and
`calendar` (quarters, years and total as one table).
"""

from lagesbild.numbers.calendar import quarters_and_years
from lagesbild.numbers.coverage import (
    DELIVERED,
    MISSING,
    coverage,
    missing_partners,
)
from lagesbild.numbers.rates import (
    PERIOD,
    rates,
)
from lagesbild.numbers.tables import (
    GENDER_OTHER_WITH_UNKNOWN,
    category_order,
    counts,
    crosstab,
    data_span,
    funnel,
    lens,
    shares,
    wide,
)
from lagesbild.numbers.trend import (
    change,
    series_breaks,
    trend,
)

__all__ = [
    "DELIVERED",
    "GENDER_OTHER_WITH_UNKNOWN",
    "MISSING",
    "PERIOD",
    "category_order",
    "change",
    "counts",
    "coverage",
    "crosstab",
    "data_span",
    "funnel",
    "lens",
    "missing_partners",
    "quarters_and_years",
    "rates",
    "series_breaks",
    "shares",
    "trend",
    "wide",
]
