"""Like-for-like comparisons and rates in words, for the sentences beside the signals: the
counts of an 'x mot y' comparison over the partners that delivered both, a count against an
earlier one (Change: numbers only, no verdict), and reports per 10 000 inhabitants and year.

The signals (lagesbild.numbers.signals) re-export these names, where callers find them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lagesbild.domain.formatting import fmt_change, fmt_int

MIN_BASE_FOR_PERCENT = 10  # a change is given in per cent only from this base on

def comparable(counts: np.ndarray, delivered: np.ndarray | None,
               columns: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Counts (S, len(columns)) over the partners that delivered every one of `columns`, and
    that partner mask (P,). For 'x mot y' sentences that must compare like with like."""
    y = np.asarray(counts)
    if y.ndim == 2:
        y = y[:, None, :]
        delivered = None if delivered is None else np.asarray(delivered, bool)[None]
    dl = np.ones(y.shape[1:], bool) if delivered is None else np.asarray(delivered, bool)
    cols = list(columns)
    inc = dl[:, cols].all(axis=1)
    return y[:, inc][:, :, cols].sum(axis=1).astype(int), np.asarray(inc, bool)


@dataclass(frozen=True)
class Change:
    """A count against one earlier count: numbers only, no verdict."""

    current: int
    base: int
    base_label: str

    @property
    def difference(self) -> int:
        return self.current - self.base

    @property
    def percent(self) -> float | None:
        """None when the base is below MIN_BASE_FOR_PERCENT."""
        if self.base < MIN_BASE_FOR_PERCENT:
            return None
        return (self.current - self.base) / self.base * 100

    def text(self) -> str:
        """'20 fler än 2026K2 (+16 %)', '3 färre än 2026K2', 'lika många som 2026K2'."""
        if self.difference == 0:
            return f"lika många som {self.base_label}"
        word = "fler" if self.difference > 0 else "färre"
        pct = self.percent
        tail = f" ({fmt_change(pct)})" if pct is not None else ""
        return f"{fmt_int(abs(self.difference))} {word} än {self.base_label}{tail}"

    def arrow(self) -> str:
        """'95 → 102'."""
        return f"{fmt_int(self.base)} → {fmt_int(self.current)}"


def no_change_text(change: Change) -> str:
    """'ingen säkerställd förändring (95 → 102)': the words when nothing is flagged."""
    return f"ingen säkerställd förändring ({change.arrow()})"


RATE_UNIT = "per 10 000 invånare och år"


def annual_rate(count: float, population: float | None, quarters: int) -> float:
    """Reports per 10 000 inhabitants and year from `quarters` quarters of counts (NaN when
    the population is unknown or there are no quarters)."""
    if population is None or not population > 0 or quarters <= 0:
        return math.nan
    return count / population * 1e4 * 4 / quarters


def year_label(year: int, quarters: int) -> str:
    """'2025', or '2026 (3 av 4 kvartal, uppräknat till helår)' for a partial year."""
    if quarters >= 4:
        return str(year)
    return f"{year} ({quarters} av 4 kvartal, uppräknat till helår)"
