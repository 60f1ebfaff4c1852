"""Significance of changes and c-chart control limits on known cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lagesbild.numbers import signals


def test_known_cases_of_the_binomial_test():
    assert not signals.is_significant(5, 2)  # 2 -> 5 is noise
    assert signals.p_two_counts(5, 2) == pytest.approx(0.453125)
    assert signals.is_significant(45, 20)  # 20 -> 45 is real
    assert signals.p_two_counts(45, 20) < 0.01
    assert signals.is_significant(20, 45), "a decrease is tested the same way"
    assert signals.p_two_counts(0, 0) == 1.0


def test_comparison_against_previous_count():
    comp = signals.compare(45, [20])
    assert comp.significant and comp.direction == "ökning"
    assert comp.difference == 25 and comp.percent == pytest.approx(125.0)
    small = signals.compare(5, [2])
    assert not small.significant and small.direction == ""
    assert small.percent is None, "percent hidden when the base is below 10"


def test_comparison_against_the_mean_of_four_quarters():
    comp = signals.compare(30, [10, 12, 8, 10])
    assert comp.base == 10 and comp.periods == 4
    # x given x + S ~ Binomial(x + S, 1/5) under an unchanged rate
    from scipy.stats import binomtest

    assert comp.p_value == pytest.approx(binomtest(30, 70, 0.2).pvalue)
    assert comp.significant
    assert not signals.compare(12, [10, 12, 8, 10]).significant
    with pytest.raises(ValueError):
        signals.compare(3, [])


def test_percent_change_needs_a_base_of_at_least_ten():
    assert signals.MIN_BASE_FOR_PERCENT == 10
    assert signals.percent_change(12, 9) is None
    assert signals.percent_change(12, 10) == pytest.approx(20.0)
    assert signals.percent_change(5, None) is None
    assert signals.percent_change(5, float("nan")) is None


def test_c_chart_limits_on_a_known_series():
    history = [16] * 8
    limits = signals.control_limits(history)
    assert (limits.centre, limits.lower, limits.upper) == (16, 4, 28)
    assert signals.spc_signal(29, history) == signals.HIGH
    assert signals.spc_signal(3, history) == signals.LOW
    assert signals.spc_signal(28, history) == signals.WITHIN
    low = signals.control_limits([4, 6, 5, 5, 4, 6, 5, 5])
    assert low.lower == 0 and low.upper == pytest.approx(5 + 3 * math.sqrt(5))
    assert signals.spc_signal(12, [4, 6, 5, 5, 4, 6, 5, 5]) == signals.HIGH


def test_c_chart_uses_only_the_last_eight_and_needs_eight():
    assert signals.spc_signal(100, [5] * 7) == signals.SHORT
    assert signals.control_limits([100, 100] + [16] * 8).centre == 16


def test_rolling_limits_match_the_scalar_rule():
    counts = np.array([3, 4, 16, 16, 16, 16, 16, 16, 16, 16, 30, 12])
    available = np.array([False, False] + [True] * 10)
    centre, lower, upper = signals.rolling_limits(counts, available)
    assert np.isnan(centre[:10]).all(), "fewer than eight quarters inside the data span"
    assert centre[10] == 16 and lower[10] == 4 and upper[10] == 28
    assert centre[11] == pytest.approx(np.mean(counts[3:11]))


def test_method_text_is_swedish_and_names_the_rules():
    text = signals.METHOD_TEXT
    assert "p < 0,05" in text and "från 2 till 5" in text and "från 20 till 45" in text
    assert "åtta" in text and "minst 10" in text
