"""Disclosure control: primary and secondary suppression, rounding, formatting, and property
tests that no hidden cell can be recovered from a published table with totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from lagesbild.domain.config import Disclosure
from lagesbild.domain.formatting import SPACE, fmt_change, fmt_diff, fmt_int, fmt_pct, fmt_rate
from lagesbild.numbers.disclosure import (
    SECONDARY_MARK,
    TOTAL,
    Line,
    add_margins,
    hide_derived,
    margin_lines,
    protect,
    publish_count,
    round_count,
)

D5 = Disclosure(5)


def table(matrix: list[list[int]]) -> pd.DataFrame:
    rows = [(f"r{i}", f"c{j}", v) for i, line in enumerate(matrix) for j, v in enumerate(line)]
    return add_margins(pd.DataFrame(rows, columns=["r", "c", "antal"]), ["r", "c"])


def protected(matrix: list[list[int]], disclosure: Disclosure = D5) -> pd.DataFrame:
    frame = table(matrix)
    return protect(frame, disclosure, lines=margin_lines(frame, ["r", "c"]))


def grid(frame: pd.DataFrame, column: str = "visas") -> list[list[object]]:
    rows = sorted(set(frame["r"]) - {TOTAL}) + [TOTAL]
    cols = sorted(set(frame["c"]) - {TOTAL}) + [TOTAL]
    wide = frame.pivot(index="r", columns="c", values=column)
    return [[wide.loc[r, c] for c in cols] for r in rows]


# -- formatting ---------------------------------------------------------------------------------
def test_formatting_is_swedish_with_no_break_spaces():
    assert SPACE == "\u00a0"
    assert fmt_int(1234) == "1\u00a0234"
    assert fmt_int(1234567) == "1\u00a0234\u00a0567"
    assert fmt_int(7) == "7"
    assert fmt_pct(12.5) == "12,5\u00a0%"
    assert fmt_pct(12.54, 0) == "13\u00a0%"
    assert fmt_rate(3.456) == "3,5"
    assert fmt_change(14) == "+14\u00a0%"
    assert fmt_change(-3.2) == "-3\u00a0%"
    assert fmt_change(0.2) == "±0\u00a0%"
    assert fmt_diff(-1200) == "-1\u00a0200"
    assert fmt_int(None) == fmt_pct(float("nan")) == fmt_change(pd.NA) == "–"


# -- single counts and rounding -----------------------------------------------------------------
def test_primary_suppression_of_single_counts():
    assert publish_count(0, D5).display == "0"
    assert publish_count(1, D5) == publish_count(4, D5)
    assert publish_count(4, D5).display == "<5" and publish_count(4, D5).value is None
    assert publish_count(5, D5).display == "5"
    assert publish_count(3, None).display == "3"
    assert publish_count(1234, D5).display == "1\u00a0234"


def test_rounding_half_up_to_a_multiple():
    assert [round_count(v, 5) for v in (0, 2, 3, 10, 12, 13, 17)] == [0, 0, 5, 10, 10, 15, 15]
    assert round_count(13, 0) == 13
    public = Disclosure(10, 5)
    assert publish_count(9, public).display == "<10"
    assert publish_count(13, public).value == 15


def test_long_table_without_totals_gets_primary_only_and_convention():
    frame = pd.DataFrame({"x": list("abcd"), "antal": [0, 3, 12, 40]})
    out = protect(frame, D5)
    assert str(out["antal"].dtype) == "Int64"
    assert out["antal"].isna().tolist() == [False, True, False, False]
    assert out["undertryckt"].tolist() == [False, True, False, False]
    assert out["visas"].tolist() == ["0", "<5", "12", "40"]


def test_known_total_hides_a_second_cell():
    frame = pd.DataFrame({"x": list("abcd"), "antal": [0, 3, 12, 40]})
    out = protect(frame, D5, known_total=True)
    # 3 alone could be recovered from the published grand total 55: hide the next smallest
    # non-zero cell (12), shown as '..' because it is not small.
    assert out["visas"].tolist() == ["0", "<5", SECONDARY_MARK, "40"]


def test_exact_output_has_the_same_columns():
    frame = pd.DataFrame({"x": list("ab"), "antal": [1, 2000]})
    out = protect(frame, None, known_total=True)
    assert out["visas"].tolist() == ["1", "2\u00a0000"]
    assert not out["undertryckt"].any()
    assert str(out["antal"].dtype) == "Int64"


# -- secondary suppression by hand ---------------------------------------------------------------
def test_secondary_suppression_hand_case():
    #        c0  c1  c2 | T
    # r0      3  10  12 | 25
    # r1      8   9  20 | 37
    # r2     15  11   7 | 33
    # T      26  30  39 | 95
    out = grid(protected([[3, 10, 12], [8, 9, 20], [15, 11, 7]]))
    assert out == [
        ["<5", "..", "12", "25"],   # 3 primary; row r0 → next smallest 10
        ["..", "..", "20", "37"],   # column c0 → 8; column c1 → 9
        ["15", "11", "7", "33"],
        ["26", "30", "39", "95"],
    ]


def test_a_line_with_only_zeros_beside_the_small_cell_hides_the_total():
    # r0 = [2, 0, 0 | 2]: the row total is small itself (primary). Column c0 [2,10,9|21] →
    # hide 9; total column [2,23,29|54] → hide 23; row r1 [10,6,7|23] → hide 6;
    # column c1 [0,6,8|14] → hide 8; row r2 [9,8,12|29] now has two. Zeros are never used.
    out = grid(protected([[2, 0, 0], [10, 6, 7], [9, 8, 12]]))
    assert out == [
        ["<5", "0", "0", "<5"],
        ["10", "..", "7", ".."],
        ["..", "..", "12", "29"],
        ["21", "14", "19", "54"],
    ]


def test_all_ones_with_a_published_total_are_protected():
    # r0 = [1, 1, 30 | 32]: two hidden cells, but both must be 1 since the total is known.
    out = grid(protected([[1, 1, 30], [20, 20, 20], [20, 20, 20]]))
    assert out[0][:3] == ["<5", "<5", ".."]


def test_zero_stays_zero_and_is_never_the_complement_when_avoidable():
    out = grid(protected([[0, 2, 9], [0, 7, 9], [6, 8, 9]]))
    assert out[0][0] == "0" and out[1][0] == "0"


def test_derived_values_hidden_with_their_count():
    frame = protect(pd.DataFrame({"x": list("ab"), "antal": [3, 50]}), D5)
    frame["andel"] = [6.0, 94.0]
    out = hide_derived(frame, ["andel"], frame["undertryckt"])
    assert out["andel"].isna().tolist() == [True, False]


# -- property tests -------------------------------------------------------------------------------
def _constraints(frame: pd.DataFrame) -> list[Line]:
    return margin_lines(frame, ["r", "c"])


def _audit_lp(frame: pd.DataFrame, exact: np.ndarray, threshold: int) -> None:
    """For every hidden non-zero cell, min and max given the published cells, the additive
    constraints and what the reader knows (primary cells are 1..threshold-1, every cell is
    non-negative) differ. (A hidden zero may turn out to be 0: zeros are not sensitive.)"""
    lines = _constraints(frame)
    hidden = frame["undertryckt"].to_numpy()
    primary = (frame["visas"] == f"<{threshold}").to_numpy()
    idx = np.flatnonzero(hidden)
    pos = {c: k for k, c in enumerate(idx)}
    a_eq, b_eq = [], []
    for line in lines:
        row = np.zeros(len(idx))
        rhs = 0.0
        for m, sign in [(m, 1) for m in line.cells] + [(line.total, -1)]:
            if hidden[m]:
                row[pos[m]] += sign
            else:
                rhs -= sign * exact[m]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    bounds = [(1, threshold - 1) if primary[c] else (0, None) for c in idx]
    for k in range(len(idx)):
        if exact[idx[k]] == 0:
            continue
        goal = np.zeros(len(idx))
        goal[k] = 1
        low = linprog(goal, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds,
                      method="highs")
        high = linprog(-goal, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds,
                       method="highs")
        assert low.status == 0
        top = np.inf if high.status == 3 else -high.fun
        if top - low.fun < 0.5:
            # Only acceptable when nothing is left to hide, e.g. [[1, 1], [1, 1]]: every cell
            # is "<5" yet the reader knows each is at least 1 and the total at most 4.
            touched = [m for line in lines if any(hidden[c] for c in line.members)
                       for m in line.members]
            assert hidden[touched].all(), f"cell {frame.iloc[idx[k]].to_dict()} is disclosed"


matrices = st.integers(2, 4).flatmap(lambda r: st.integers(2, 5).flatmap(
    lambda c: st.lists(st.lists(st.one_of(st.integers(0, 6), st.integers(0, 40)),
                                min_size=c, max_size=c), min_size=r, max_size=r)))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices)
def test_no_hidden_cell_can_be_recovered(matrix):
    frame = table(matrix)
    exact = frame["antal"].to_numpy(dtype=np.int64)
    out = protect(frame, D5, lines=margin_lines(frame, ["r", "c"]))
    hidden = out["undertryckt"].to_numpy()
    # primary: every 1..4 hidden and shown as "<5"; zeros never shown as "<5"
    small = (exact >= 1) & (exact < 5)
    assert hidden[small].all()
    assert (out.loc[small, "visas"] == "<5").all()
    assert (out.loc[exact == 0, "visas"].isin(["0", SECONDARY_MARK])).all()
    # standard audit: no line (row, column, totals row/column) has exactly one hidden cell
    for line in _constraints(frame):
        assert sum(hidden[m] for m in line.members) != 1
    # published totals agree with published cells
    for line in _constraints(frame):
        if not any(hidden[m] for m in line.members):
            assert out["antal"][list(line.cells)].sum() == out["antal"][line.total]
    # the published counts are the exact ones (no rounding) and NA where hidden
    assert out["antal"].isna().tolist() == hidden.tolist()
    assert (out["antal"].dropna().to_numpy() == exact[~hidden]).all()
    if hidden.any():
        _audit_lp(out, exact, 5)


@settings(max_examples=20, deadline=None)
@given(matrices)
def test_rounding_keeps_suppression_and_rounds_every_published_count(matrix):
    frame = table(matrix)
    out = protect(frame, Disclosure(5, 5), lines=margin_lines(frame, ["r", "c"]))
    published = out["antal"].dropna().to_numpy()
    assert (published % 5 == 0).all()
    for line in _constraints(frame):
        assert sum(out["undertryckt"][m] for m in line.members) != 1


@pytest.mark.parametrize("threshold", [3, 10])
def test_other_thresholds(threshold):
    out = grid(protected([[2, 9, 30], [12, 14, 40], [30, 20, 11]], Disclosure(threshold)))
    if threshold == 3:
        assert out[0][0] == "<3"
    else:
        assert out[0][0] == "<10" and out[0][1] == "<10"
