"""Unit tests of the signal method (issue 13): each finding of the issue, the statistics
against statsmodels/scipy, missing data, multiplicity and wording."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats

from lagesbild.numbers import signals as sg


def flat(level: float, quarters: int, last: int | None = None) -> list[int]:
    """A constant series, optionally with another count in the last quarter."""
    series = [int(level)] * quarters
    if last is not None:
        series[-1] = last
    return series


# -- the c-chart findings -----------------------------------------------------------------------
def test_one_report_after_eight_zeros_is_not_unusually_high() -> None:
    res = sg.assess(np.array([[0] * 8 + [1]]))
    assert res.unusual[0, -1] == ""
    assert res.reason[0, -1] == sg.SMALL  # neither tail can be tested
    assert res.upper[0, -1] >= sg.MIN_HIGH_COUNT - 1


def test_a_high_needs_at_least_five_reports() -> None:
    for last in range(sg.MIN_HIGH_COUNT):
        assert sg.assess(np.array([[0] * 8 + [last]])).unusual[0, -1] == ""
    assert sg.assess(np.array([[0] * 8 + [8]])).unusual[0, -1] == sg.HIGH


def test_a_low_can_be_flagged_when_five_or_more_were_expected() -> None:
    # Today's c-chart can never flag a low below a mean of 9.
    res = sg.assess(np.array([flat(6, 8) + [0]]))
    assert res.expected[0, -1] == pytest.approx(6)
    assert res.unusual[0, -1] == sg.LOW


def test_no_low_when_fewer_than_five_were_expected() -> None:
    res = sg.assess(np.array([flat(4, 8) + [0]]))
    assert res.unusual[0, -1] == ""
    assert np.isnan(res.p_low[0, -1]) and res.reason[0, -1] == sg.SMALL


def test_ordinary_variation_is_not_flagged() -> None:
    res = sg.assess(np.array([[9, 12, 10, 11, 8, 13, 10, 9, 14]]))
    assert res.unusual[0, -1] == "" and res.reason[0, -1] == ""
    assert res.lower[0, -1] <= 14 <= res.upper[0, -1]


# -- data span, running quarters, short series --------------------------------------------------
def test_quarters_before_the_data_are_missing_not_zero() -> None:
    """A database starting in 2025K1 showed 'tydlig ökning' in 2025K4 against zeros."""
    counts = np.array([[0, 0, 0, 0, 30, 31, 29, 30, 32, 28, 30, 31, 30, 29, 33]])
    delivered = np.array([False] * 4 + [True] * 11)
    res = sg.assess(counts, delivered)
    assert list(res.reason[0, :4]) == [sg.BEFORE_DATA] * 4
    assert list(res.reason[0, 4:12]) == [sg.SHORT] * 8  # fewer than 8 earlier quarters
    assert (res.unusual[0] == "").all() and (res.sustained[0] == "").all()
    trimmed = sg.assess(counts[:, 4:])
    np.testing.assert_allclose(res.expected[0, 4:], trimmed.expected[0], equal_nan=True)
    assert list(res.reason[0, 4:]) == list(trimmed.reason[0])


def test_a_running_quarter_is_withheld() -> None:
    counts = np.array([flat(10, 9, last=40)])
    complete = np.array([True] * 8 + [False])
    res = sg.assess(counts, None, complete=complete)
    assert res.reason[0, -1] == sg.PENDING and res.withheld[0, -1]
    assert res.unusual[0, -1] == "" and np.isnan(res.expected[0, -1])
    with pytest.raises(ValueError, match="sista"):
        sg.assess(counts, None, complete=np.array([True, False] + [True] * 7))


def test_the_reason_names_a_short_series() -> None:
    res = sg.assess(np.array([flat(10, 8)]))
    assert (res.reason[0] == sg.SHORT).all() and res.withheld.all()


def test_a_series_break_restarts_the_history() -> None:
    """A code-list category that starts later: its zeros before the start are not data."""
    counts = np.array([[20] * 15 + [21, 19, 20], [0] * 9 + [12] * 9])
    valid = np.array([[True] * 18, [False] * 9 + [True] * 9])
    res = sg.assess(counts, None, valid=valid)
    assert sg.assess(counts).unusual[1, 9] == sg.HIGH  # what zeros before the start would say
    assert list(res.reason[1, :9]) == [sg.BREAK] * 9
    assert list(res.reason[1, 9:17]) == [sg.SHORT] * 8 and res.withheld[1, :17].all()
    assert (res.unusual[1] == "").all() and res.reason[1, 17] == ""
    assert res.expected[1, 17] == pytest.approx(12)
    assert res.reason[0, 17] == "" and "trend" not in res.model[0, 17]


# -- missing deliveries ---------------------------------------------------------------------
def _two_partners(rng: np.random.Generator, quarters: int = 21) -> np.ndarray:
    """Three series, partners (others, police 23 %)."""
    return np.stack([rng.poisson(m, (3, quarters)) for m in (40, 12)], axis=1)


def test_a_missing_partner_is_left_out_of_the_whole_comparison() -> None:
    counts = _two_partners(np.random.default_rng(1))
    delivered = np.ones((2, 21), bool)
    delivered[1, -1] = False  # the police have not delivered the latest quarter
    res = sg.assess(counts, delivered)
    without = sg.assess(counts[:, :1])  # as if the police had never reported
    assert not res.included[-1, 1] and res.included[-1, 0]
    np.testing.assert_allclose(res.expected[:, -1], without.expected[:, -1])
    np.testing.assert_array_equal(res.compared[:, -1], counts[:, 0, -1])
    assert list(res.unusual[:, -1]) == list(without.unusual[:, -1])
    assert (res.unusual[:, -1] != sg.LOW).all() and (res.sustained[:, -1] != sg.DOWN).all()


def test_a_gap_in_the_history_leaves_the_partner_out_only_where_used() -> None:
    counts = _two_partners(np.random.default_rng(2))
    delivered = np.ones((2, 21), bool)
    delivered[1, 3] = False
    res = sg.assess(counts, delivered)
    assert not res.included[11, 1]  # the 8 quarters before quarter 11 include quarter 3
    assert res.included[12, 1]  # quarter 12's window (4-11) does not
    assert not res.sustained_included[10, 1] and res.sustained_included[11, 1]
    assert not res.included[16:, 1].any()  # from 16 quarters the window reaches back to 3


def test_the_drop_when_a_big_partner_is_missing_is_never_a_decrease() -> None:
    rng = np.random.default_rng(3)
    counts = np.stack([rng.poisson(230, (1, 21)), rng.poisson(70, (1, 21))], axis=1)
    delivered = np.ones((2, 21), bool)
    delivered[1, -4:] = False  # missing for four quarters
    res = sg.assess(counts, delivered)
    naive = sg.assess(np.where(delivered[None], counts, 0).sum(1))
    assert naive.unusual[0, -4] == sg.LOW  # what reading the gap as zeros would say
    assert (res.unusual[0, -4:] != sg.LOW).all() and (res.sustained[0, -4:] != sg.DOWN).all()


def test_nil_returns_are_real_zeros() -> None:
    counts = np.array([[[12, 9, 11, 10, 13, 8, 10, 12, 0]]])
    res = sg.assess(counts, np.ones((1, 9), bool))  # a nil return for the last quarter
    assert res.unusual[0, -1] == sg.LOW
    no_delivery = sg.assess(counts, np.array([[True] * 8 + [False]]))
    assert no_delivery.reason[0, -1] == sg.NO_PARTNERS and no_delivery.unusual[0, -1] == ""


def test_counts_of_undelivered_quarters_are_ignored() -> None:
    counts = np.array([[[10] * 8 + [50], [5] * 8 + [90]]])
    delivered = np.array([[True] * 9, [True] * 8 + [False]])
    res = sg.assess(counts, delivered)
    assert res.compared[0, -1] == 50


def test_comparable_counts_for_sentences() -> None:
    counts = np.array([[[70, 75], [25, 0]]])  # (S, P, T): the police missing in the second
    now, included = sg.comparable(counts, np.array([[True, True], [True, False]]), [0, 1])
    assert list(now[0]) == [70, 75] and list(included) == [True, False]


# -- seasonality, trend, dispersion -------------------------------------------------------------
SEASON = np.array([1.042, 0.908, 0.857, 1.193])


def test_a_seasonal_fourth_quarter_is_expected_from_sixteen_quarters() -> None:
    quarters = np.arange(17) + 8000  # 8000 % 4 == 0: the first is a K1, the last a K1 too
    quarters = quarters + 3  # ... so shift: the last column is a K4
    level = 100 * SEASON[quarters % 4]
    counts = np.round(level)[None].astype(int)
    res = sg.assess(counts, None, quarters, columns=[16])
    assert "säsong" in res.model[0, 16]
    assert res.expected[0, 16] == pytest.approx(level[-1], rel=0.02)
    assert res.unusual[0, 16] == ""


def test_season_from_the_panel_total_applies_to_small_series() -> None:
    quarters = np.arange(9) + 3
    big = np.round(300 * SEASON[quarters % 4]).astype(int)
    small = np.array([12, 9, 9, 10, 12, 9, 8, 10, 12])  # no clear season of its own
    res = sg.assess(np.stack([big, small]), None, quarters, columns=[8])
    assert res.model[1, 8] == "samma kvartal de två föregående åren"
    assert res.expected[1, 8] == pytest.approx(12)  # K4 two and one year ago, not 9.9


def test_trend_is_used_only_where_supported() -> None:
    t = np.arange(21)
    rising = np.round(20 * 1.05 ** t).astype(int)
    res = sg.assess(rising[None], columns=[20])
    assert "trend" in res.model[0, 20] and res.unusual[0, 20] == ""
    noise = np.random.default_rng(4).poisson(20, (200, 1, 1, 21))  # 200 panels of one
    models = sg.assess(noise, np.ones((200, 1, 21), bool), columns=[20]).model[:, 0, 20]
    assert np.mean(["trend" in m for m in models]) < 0.1  # chosen by chance at most ~5 %


def test_glm_matches_statsmodels() -> None:
    glm = pytest.importorskip("statsmodels.genmod.generalized_linear_model")
    families = pytest.importorskip("statsmodels.genmod.families")
    rng = np.random.default_rng(5)
    y = rng.poisson(np.exp(2.5 + 0.03 * np.arange(20) + np.tile([0, 0.3, -0.2, 0.1], 5)))
    time = np.arange(-20, 0, dtype=float)
    rel = np.arange(-20, 0) % 4
    x = np.column_stack([np.ones(20), time] + [(rel == d).astype(float) for d in (1, 2, 3)])
    fit = glm.GLM(y, x, family=families.Poisson()).fit()
    ours = sg._irls(y[None, None].astype(float), np.ones((1, 1, 20)), x[None],
                    np.full((1, 1, 20), y.mean()))
    assert ours["mu0"][0, 0] == pytest.approx(np.exp(fit.params[0]), rel=1e-6)
    assert ours["var0"][0, 0] == pytest.approx(fit.cov_params()[0, 0], rel=1e-5)
    assert ours["beta_t"][0, 0] == pytest.approx(fit.params[1], rel=1e-6)
    assert ours["deviance"][0, 0] == pytest.approx(fit.deviance, rel=1e-6)
    assert ours["pearson"][0, 0] == pytest.approx(fit.pearson_chi2, rel=1e-6)


def test_interval_limits_are_negative_binomial_quantiles() -> None:
    rng = np.random.default_rng(12)
    r, p = rng.uniform(0.05, 300, 3000), rng.uniform(0.02, 0.99, 3000)
    np.testing.assert_array_equal(sg._nb_quantile(r, p, 0.005, upper=True),
                                  stats.nbinom.isf(0.005, r, p))
    np.testing.assert_array_equal(sg._nb_quantile(r, p, 0.005, upper=False),
                                  stats.nbinom.ppf(0.005, r, p))


def test_dispersion_is_pooled_and_at_least_one() -> None:
    rng = np.random.default_rng(6)
    calm = sg.assess(np.full((5, 9), 20))
    assert calm.phi[-1] == 1.0
    lumpy = rng.negative_binomial(20 / 3, 0.25, (15, 21))  # variance 4 x mean
    phi = sg.assess(lumpy, columns=[20]).phi[20]
    assert 2.5 < phi < 6.5


def test_overdispersion_widens_the_interval() -> None:
    rng = np.random.default_rng(7)
    poisson = rng.poisson(30, (9, 9))
    lumpy = np.round(30 + (poisson - 30) * 2).clip(0).astype(int)  # the same, spread 2x
    narrow, wide = sg.assess(poisson, columns=[8]), sg.assess(lumpy, columns=[8])
    assert wide.phi[8] > narrow.phi[8]
    assert (wide.upper[:, 8] - wide.expected[:, 8]).mean() > \
        (narrow.upper[:, 8] - narrow.expected[:, 8]).mean()


# -- multiplicity -------------------------------------------------------------------------------
def test_bh_matches_statsmodels_and_ignores_untested() -> None:
    multi = pytest.importorskip("statsmodels.stats.multitest")
    rng = np.random.default_rng(8)
    p = np.concatenate([rng.uniform(0, 0.02, 5), rng.uniform(0, 1, 10)])
    expected = multi.multipletests(p, 0.05, "fdr_bh")[0]
    np.testing.assert_array_equal(sg.bh_reject(p), expected)
    with_gaps = np.concatenate([p, [np.nan] * 4])
    np.testing.assert_array_equal(sg.bh_reject(with_gaps)[:15], expected)
    assert not sg.bh_reject(with_gaps)[15:].any()


def test_a_borderline_quarter_is_flagged_alone_but_not_among_fifteen() -> None:
    alone = np.array([flat(30, 8) + [48]])
    res = sg.assess(alone)
    assert res.unusual[0, -1] == sg.HIGH and 0.0005 < res.p_high[0, -1] < sg.ALPHA_TAIL
    rng = np.random.default_rng(9)
    panel = np.vstack([alone, np.column_stack([np.full((14, 8), 30), rng.poisson(30, 14)])])
    among = sg.assess(panel)
    assert among.p_high[0, -1] == pytest.approx(res.p_high[0, -1])
    assert among.unusual[0, -1] == ""


def test_panels_shown_together_share_the_dispersion_but_not_bh() -> None:
    rng = np.random.default_rng(13)
    key = np.vstack([flat(30, 8) + [48], rng.poisson(30, (3, 9))])
    forms = np.column_stack([rng.poisson(30, (15, 8)), rng.poisson(30, 15)])
    res = sg.assess_panels({"nyckeltal": key, "former": forms}, references={"nyckeltal": 0})
    assert res["nyckeltal"].expected.shape == (4, 9) and res["former"].expected.shape == (15, 9)
    np.testing.assert_array_equal(res["nyckeltal"].phi, res["former"].phi)
    assert res["nyckeltal"].unusual[0, -1] == sg.HIGH  # BH among 4, not among 19
    one = sg.assess(np.vstack([key, forms]))
    assert one.unusual[0, -1] == ""  # one panel of 19: the same count does not pass BH
    with pytest.raises(ValueError, match="reference"):
        sg.assess(np.vstack([key, forms]), reference=[0, 1], panels=[0] * 4 + [1] * 15)


def test_false_alarms_stay_rare_with_overdispersed_data() -> None:
    rng = np.random.default_rng(10)
    counts = rng.negative_binomial(30, 0.5, (200, 9, 1, 13))  # mean 30, variance 2x
    res = sg.assess(counts, np.ones((200, 1, 13), bool), columns=[12])
    assert (res.unusual[..., 12] != "").mean() < 0.02
    assert (res.sustained[..., 12] != "").mean() < 0.02


# -- sustained ----------------------------------------------------------------------------------
def test_sustained_increase_after_a_step() -> None:
    counts = np.array([[30, 29, 31, 30, 30, 31, 29, 30, 60, 58, 62, 61]])
    res = sg.assess(counts)
    assert res.sustained[0, -1] == sg.UP
    assert (res.last4[0, -1], res.prev4[0, -1]) == (241, 120)


def test_sustained_needs_twenty_reports() -> None:
    counts = np.array([[1, 2, 1, 2, 1, 1, 2, 1, 3, 4, 3, 4]])  # 6 against 14
    res = sg.assess(counts)
    assert res.sustained[0, -1] == "" and res.sustained_reason[0, -1] == sg.SMALL


def test_scaled_binomial_is_the_exact_test_without_overdispersion() -> None:
    for a, b in ((20, 45), (2, 5), (0, 7), (30, 30)):
        exact = stats.binomtest(a, a + b, 0.5).pvalue
        assert sg.scaled_binomial_p(a, b) == pytest.approx(exact, rel=1e-9)
    assert sg.scaled_binomial_p(20, 45, 2.0) > sg.scaled_binomial_p(20, 45)


# -- batches, inputs ----------------------------------------------------------------------------
def test_a_batch_gives_the_same_as_one_panel_at_a_time() -> None:
    rng = np.random.default_rng(11)
    counts = rng.poisson(12, (3, 4, 2, 22))
    delivered = np.ones((3, 2, 22), bool)
    delivered[1, 0, 20] = False
    batch = sg.assess(counts, delivered)
    for g in range(3):
        one = sg.assess(counts[g], delivered[g])
        np.testing.assert_allclose(batch.expected[g], one.expected, equal_nan=True)
        assert (batch.unusual[g] == one.unusual).all()
        assert (batch.sustained[g] == one.sustained).all()


def test_lookback_quarters_are_enough() -> None:
    counts = np.random.default_rng(14).poisson(15, (5, 40))
    full = sg.assess(counts, columns=[39])
    cut = sg.assess(counts[:, -(sg.LOOKBACK + 1):], columns=[sg.LOOKBACK])
    np.testing.assert_allclose(full.expected[:, 39], cut.expected[:, -1])
    np.testing.assert_allclose(full.p_sustained[:, 39], cut.p_sustained[:, -1])
    assert list(full.unusual[:, 39]) == list(cut.unusual[:, -1])


def test_inputs_are_checked_in_swedish() -> None:
    with pytest.raises(ValueError, match="hela tal"):
        sg.assess(np.array([[1.5, 2.0]]))
    with pytest.raises(ValueError, match="i följd"):
        sg.assess(np.zeros((1, 3), int), None, ["2026K1", "2026K3", "2026K4"])
    with pytest.raises(ValueError, match="formen"):
        sg.assess(np.zeros((1, 2, 3), int), np.ones((3, 3), bool))
    assert sg.quarter_index("2026K3") - sg.quarter_index("2025K4") == 3


# -- wording and rates --------------------------------------------------------------------------
def test_changes_are_numbers_not_verdicts() -> None:
    up = sg.Change(142, 122, "2026K2")
    assert up.text() == "20 fler än 2026K2 (+16\u00a0%)"
    assert sg.no_change_text(up) == "ingen säkerställd förändring (122 → 142)"
    assert sg.Change(5, 8, "2025K3").text() == "3 färre än 2025K3"  # base < 10: no percent
    assert sg.Change(8, 8, "2025K3").text() == "lika många som 2025K3"
    assert "ungefär" not in sg.METHOD_TEXT


def test_rates_are_annualised_and_partial_years_marked() -> None:
    # Centrum: 2026 has three quarters; per year it is +26 %, not a fall.
    full = sg.annual_rate(54, 13903, 4)
    partial = sg.annual_rate(51, 13903, 3)
    assert partial / full == pytest.approx(68 / 54)
    assert sg.annual_rate(100, 10_000, 8) == pytest.approx(50)  # 8 quarters = 2 years
    assert np.isnan(sg.annual_rate(5, None, 4))
    assert sg.year_label(2026, 3) == "2026 (3 av 4 kvartal, uppräknat till helår)"
    assert sg.year_label(2025, 4) == "2025" and sg.RATE_UNIT.endswith("invånare och år")


def test_the_method_text_states_the_parameters_the_code_uses() -> None:
    text = sg.METHOD_TEXT
    assert f"de {sg.SHORT_WINDOW} föregående kvartalen" in text
    assert f"minst {sg.GLM_FROM} tidigare" in text and f"upp till {sg.MAX_WINDOW}" in text
    assert f"en gång på {round(1 / sg.ALPHA_TAIL)} kvartal" in text
    assert f"en gång på {round(1 / sg.SUSTAINED_ALPHA)}" in text
    assert f"minst {sg.MIN_HIGH_COUNT} rapporter" in text
    assert f"minst {int(sg.MIN_LOW_EXPECTED)} var att vänta" in text
    assert f"minst {sg.SUSTAINED_MIN_TOTAL}." in text
    assert f"högst {round(sg.FDR * 100)} %" in text
    assert f"minst {sg.MIN_BASE_FOR_PERCENT})" in text
    assert re.search(r"fyra senaste kvartalen", text) and sg.SUSTAINED_QUARTERS == 4


# -- kept from the tests of the method before issue 13 ---------------------------------------
def test_known_cases_of_the_exact_two_count_test():
    """The exact conditional test itself was correct: it stays the core of 'varaktig'."""
    assert sg.scaled_binomial_p(5, 2) == pytest.approx(0.453125)  # 2 -> 5 is noise
    assert sg.scaled_binomial_p(45, 20) < 0.01  # 20 -> 45 is real
    assert sg.scaled_binomial_p(20, 45) == pytest.approx(sg.scaled_binomial_p(45, 20))
    assert sg.scaled_binomial_p(0, 0) == 1.0


def test_percent_change_needs_a_base_of_at_least_ten():
    assert sg.MIN_BASE_FOR_PERCENT == 10
    assert sg.Change(12, 9, "2026K2").percent is None
    assert sg.Change(12, 10, "2026K2").percent == pytest.approx(20.0)
    assert sg.Change(45, 20, "2026K2").percent == pytest.approx(125.0)
    assert sg.Change(45, 20, "2026K2").difference == 25


def test_the_method_summary_states_the_same_parameters() -> None:
    text = sg.METHOD_SUMMARY
    assert f"de {sg.SHORT_WINDOW} föregående kvartalen" in text
    assert f"från {sg.GLM_FROM} tidigare kvartal upp till {sg.MAX_WINDOW}" in text
    assert f"en gång på {round(1 / sg.ALPHA_TAIL)} kvartal" in text
    assert f"en gång på {round(1 / sg.SUSTAINED_ALPHA)}." in text
    assert f"högst {round(sg.FDR * 100)} %" in text and "fyra senaste kvartalen" in text
    assert "ungefär" not in text and "p < 0,05" not in text
