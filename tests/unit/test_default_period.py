"""The default period, one rule for the dashboard and the exports: the last eight complete
quarters that have data."""

from __future__ import annotations

import datetime as dt

from lagesbild.domain.periods import default_period

AUTUMN = dt.date(2026, 11, 15)  # 2026K3 is the latest complete quarter


def test_eight_complete_quarters_up_to_the_latest_complete_one():
    assert default_period("2022K1", "2026K4", AUTUMN) == ("2024K4", "2026K3")
    assert default_period("2022K1", "2026K2", AUTUMN) == ("2024K3", "2026K2")


def test_never_before_the_first_quarter_with_data():
    assert default_period("2025K4", "2026K4", AUTUMN) == ("2025K4", "2026K3")


def test_only_a_running_quarter_gives_that_quarter_and_no_data_gives_none():
    assert default_period("2026K4", "2026K4", AUTUMN) == ("2026K4", "2026K4")
    assert default_period(None, None, AUTUMN) is None


def test_the_export_and_the_sidebar_agree(demo_store):
    from lagesbild.domain.periods import quarters_between
    from lagesbild.export.pack import default_period as pack_default
    from lagesbild.numbers.indicators import data_span
    from ui.selection import default_period as sidebar_default

    first, last = data_span(demo_store)
    assert pack_default(demo_store, AUTUMN) == sidebar_default(
        quarters_between(first, last), AUTUMN) == default_period(first, last, AUTUMN)
