"""The quarter's key figures as a table, the same on Översikt and in the meeting pack: each
change against an earlier quarter as numbers, and the verdict of the quarter's flags (the
words themselves are `numbers.summary`'s: `Change.numbers`, `verdict`)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from lagesbild.domain.formatting import fmt_change, fmt_diff
from lagesbild.numbers import summary

VERDICT = "Bedömning"


def delta_text(change: summary.Change) -> str | None:
    """The size of a change for a metric's delta: '+12 %' (from a base of at least 10),
    else '+3'; None when hidden."""
    if change.percent is not None:
        return fmt_change(change.percent)
    if change.difference is not None:
        return fmt_diff(change.difference)
    return None


def key_table(figures: summary.KeyFigures, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """The key figures as a table of display strings with Swedish headers (all figures, or
    those in `keys`)."""
    rows = []
    first = figures.figures[0]
    prev_q, year_q = first.vs_previous.base_quarter, first.vs_last_year.base_quarter
    for fig in figures.figures:
        if keys is not None and fig.key not in keys:
            continue
        rows.append({
            "Nyckeltal": fig.label,
            figures.quarter: fig.display,
            f"Mot {prev_q}": fig.vs_previous.numbers(),
            f"Mot {year_q}": fig.vs_last_year.numbers(),
            VERDICT: summary.verdict(fig),
        })
    return pd.DataFrame(rows, dtype=object)
