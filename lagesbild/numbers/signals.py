"""Is a change real? Significance of changes in counts and SPC control limits.

Counts of reports per quarter are treated as Poisson counts.

* Two quarters (previous quarter, or the same quarter last year): exact conditional binomial
  test. If x1 and x2 are Poisson with equal rates, x1 given x1 + x2 is Binomial(x1 + x2, 1/2);
  the change is flagged when the two-sided p-value is below 0.05 (`ALPHA`). So 2 -> 5 is not
  flagged (p = 0.45), 20 -> 45 is (p = 0.003).
* Against the mean of the previous four quarters: the same test with the four quarters summed,
  x given x + S4 ~ Binomial(x + S4, 1/5) under an unchanged rate. Unlike a Poisson test of x
  against the mean, this also accounts for the randomness of the mean itself.
* Control chart (c-chart): from the counts of the previous eight quarters, centre line = their
  mean c, limits c ± 3·sqrt(c), lower limit at least 0. A quarter above the upper (below the
  lower) limit is "ovanligt högt (lågt) jämfört med de senaste åtta kvartalen". With fewer
  than eight earlier quarters there is no limit ("för kort serie").
* Percent changes are only shown when the base is at least `MIN_BASE_FOR_PERCENT`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest

ALPHA = 0.05
MIN_BASE_FOR_PERCENT = 10
SPC_WINDOW = 8
SPC_SIGMAS = 3.0

HIGH = "ovanligt högt"
LOW = "ovanligt lågt"
SHORT = "för kort serie"
WITHIN = "inom kontrollgränserna"
SPC_SUFFIX = "jämfört med de senaste åtta kvartalen"

METHOD_TEXT = (
    "Hur vi avgör om en förändring är verklig: antalet rapporter varierar slumpmässigt från "
    "kvartal till kvartal, särskilt när antalen är små. En förändring mot föregående kvartal "
    "eller samma kvartal i fjol kallas tydlig (statistiskt säkerställd) bara om den är så stor "
    "att den sällan uppstår av en slump: vi använder ett exakt binomialtest av de två antalen "
    "och kräver p < 0,05. En ökning från 2 till 5 rapporter räcker därför inte, men en ökning "
    "från 20 till 45 gör det. Mot snittet av de fyra föregående kvartalen jämförs antalet med "
    "summan av de fyra kvartalen på samma sätt. Procentuell förändring visas bara när "
    f"jämförelsetalet är minst {MIN_BASE_FOR_PERCENT}. I trenddiagrammen visar en mittlinje "
    "snittet av de åtta föregående kvartalen och två kontrollgränser (snittet ± 3 gånger "
    "roten ur snittet). Ett kvartal utanför gränserna markeras som ovanligt högt eller "
    "ovanligt lågt jämfört med de senaste åtta kvartalen; med färre än åtta tidigare kvartal "
    "är serien för kort för en bedömning. Ett utslag betyder att något troligen har ändrats "
    "– i verkligheten eller i hur verksamheterna rapporterar – inte varför."
)


@dataclass(frozen=True)
class Comparison:
    """A count compared with a base (a count, or a mean over `periods` quarters)."""

    current: int
    base: float
    periods: int
    p_value: float

    @property
    def difference(self) -> float:
        return self.current - self.base

    @property
    def percent(self) -> float | None:
        return percent_change(self.current, self.base)

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA

    @property
    def direction(self) -> str:
        """'ökning', 'minskning' or '' (no significant change)."""
        if not self.significant or self.difference == 0:
            return ""
        return "ökning" if self.difference > 0 else "minskning"


def percent_change(current: float, base: float | None) -> float | None:
    """Change in per cent, or None when the base is missing or below MIN_BASE_FOR_PERCENT."""
    if base is None or (isinstance(base, float) and math.isnan(base)):
        return None
    if base < MIN_BASE_FOR_PERCENT:
        return None
    return (current - base) / base * 100


def p_two_counts(current: int, previous: int) -> float:
    """Two-sided exact conditional binomial test of two Poisson counts with equal exposure."""
    return p_against_periods(current, previous, 1)


def p_against_periods(current: int, base_total: int, periods: int) -> float:
    """Two-sided test of a count against the total of `periods` earlier quarters."""
    n = int(current) + int(base_total)
    if n == 0:
        return 1.0
    return float(binomtest(int(current), n, 1.0 / (1 + periods)).pvalue)


def compare(current: int, base_counts: Sequence[int]) -> Comparison:
    """Compare a count with one earlier count, or with the mean of several."""
    total = int(sum(base_counts))
    periods = len(base_counts)
    if periods == 0:
        raise ValueError("Inget jämförelseunderlag.")
    return Comparison(int(current), total / periods, periods,
                      p_against_periods(current, total, periods))


def is_significant(current: int, previous: int) -> bool:
    """2 -> 5: False; 20 -> 45: True."""
    return p_two_counts(current, previous) < ALPHA


@dataclass(frozen=True)
class ControlLimits:
    centre: float
    lower: float
    upper: float

    def classify(self, count: float) -> str:
        if count > self.upper:
            return HIGH
        if count < self.lower:
            return LOW
        return WITHIN


def control_limits(history: Sequence[float]) -> ControlLimits | None:
    """c-chart limits from the last SPC_WINDOW counts of `history`; None if too short."""
    if len(history) < SPC_WINDOW:
        return None
    centre = float(np.mean(history[-SPC_WINDOW:]))
    spread = SPC_SIGMAS * math.sqrt(centre)
    return ControlLimits(centre, max(0.0, centre - spread), centre + spread)


def spc_signal(count: float, history: Sequence[float]) -> str:
    """HIGH, LOW, WITHIN, or SHORT when there are fewer than eight earlier quarters."""
    limits = control_limits(history)
    return SHORT if limits is None else limits.classify(count)


def rolling_limits(counts: np.ndarray, available: np.ndarray) -> tuple[np.ndarray, ...]:
    """Vectorised c-chart over series along the last axis (one series, or one per row): for
    each position the centre, lower and upper limit from the eight previous positions (NaN
    where fewer than eight earlier positions are `available`, i.e. inside the data's span)."""
    counts = np.asarray(counts, dtype=float)
    n = counts.shape[-1]
    pad = np.zeros((*counts.shape[:-1], 1))
    csum = np.concatenate([pad, np.cumsum(counts, axis=-1)], axis=-1)
    prior = np.concatenate([[0], np.cumsum(np.asarray(available, dtype=int))])
    centre = np.full(counts.shape, np.nan)
    idx = np.arange(SPC_WINDOW, n)
    full = idx[prior[idx] - prior[idx - SPC_WINDOW] == SPC_WINDOW]
    centre[..., full] = (csum[..., full] - csum[..., full - SPC_WINDOW]) / SPC_WINDOW
    spread = SPC_SIGMAS * np.sqrt(centre)
    return centre, np.maximum(0.0, centre - spread), centre + spread
