"""The quarter's key figures in words, the same on Översikt and in the meeting pack: each
change against an earlier quarter and the comparison with the last eight quarters."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from lagesbild.domain.formatting import fmt_change, fmt_diff
from lagesbild.numbers import signals, summary

HIDDEN_CHANGE = "jämförelsen visas inte (små tal)"
NO_CHANGE = "ingen säkerställd förändring"
EIGHT_QUARTERS = "Jämfört med de senaste åtta kvartalen"


def change_words(change: summary.Change) -> str:
    """'tydlig ökning', 'ingen säkerställd förändring', or why there is no comparison."""
    if change.p_value is None:
        return HIDDEN_CHANGE
    return f"tydlig {change.direction}" if change.significant else NO_CHANGE


def delta_text(change: summary.Change) -> str | None:
    """The size of a change: '+12 %' (from a base of at least 10), else '+3'; None if hidden."""
    if change.percent is not None:
        return fmt_change(change.percent)
    if change.difference is not None:
        return fmt_diff(change.difference)
    return None


def change_text(change: summary.Change) -> str:
    """Size and verdict together: '+12 % (tydlig ökning)'."""
    size = delta_text(change)
    return f"{size} ({change_words(change)})" if size else change_words(change)


def spc_words(spc: str, *, with_comparison: bool = True) -> str:
    """The quarter against the last eight ('ovanligt högt jämfört med de senaste åtta
    kvartalen'); `with_comparison=False` leaves out what a table's header already says."""
    if spc in (signals.HIGH, signals.LOW):
        return f"{spc} {signals.SPC_SUFFIX}" if with_comparison else spc
    if spc == signals.SHORT:
        return "för kort serie för att bedöma variationen"
    if spc == signals.WITHIN:
        return "inom normal variation"
    return "visas inte (små tal)"


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
            f"{prev_q}": fig.vs_previous.base_display,
            f"Förändring mot {prev_q}": change_text(fig.vs_previous),
            f"{year_q}": fig.vs_last_year.base_display,
            f"Förändring mot {year_q}": change_text(fig.vs_last_year),
            EIGHT_QUARTERS: spc_words(fig.spc, with_comparison=False),
        })
    return pd.DataFrame(rows, dtype=object)
