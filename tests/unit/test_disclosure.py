"""Disclosure control by the cell-key method: formatting, the perturbation tables, record and
cell keys in the store's SQL, the rule set (small counts, parents, zeros), derived sums and
periods, the output convention, and a cross-check against ONS's reference implementation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lagesbild.domain.config import Disclosure
from lagesbild.domain.formatting import SPACE, fmt_change, fmt_diff, fmt_int, fmt_pct, fmt_rate
from lagesbild.numbers import disclosure as ck
from lagesbild.numbers import indicators as ind
from lagesbild.numbers import query
from lagesbild.numbers.disclosure import (
    APPROX_MARK,
    SECONDARY_MARK,
    TOTAL,
    hide_derived,
    publish_count,
)
from lagesbild.numbers.query import Filters
from lagesbild.store import Store, schema
from tests.helpers.reports import load

D5 = Disclosure(5)
PUBLIC = Disclosure(10, 5)


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


# -- perturbation tables ----------------------------------------------------------------------
def test_internal_ptable_has_the_documented_properties():
    table = ck.table_of(D5)
    props = table.properties(60)
    assert table.distribution(0) == {0: 1.0}
    assert props.loc[1:4, "dold"].all()
    big = props.loc[5:]
    assert not big["dold"].any()
    assert (big["lagsta"] >= 5).all()
    assert (big["max_avvikelse"] <= 2).all()
    assert (big.loc[6:, "bias"].abs() < 1e-12).all()  # exactly unbiased from 6 on
    assert 0 < big.loc[5, "bias"] < 0.4  # the only biased row: nothing may go below 5
    assert big.loc[7:, "varians"].between(0.99, 1.01).all()
    assert big.loc[7:, "p_oforandrad"].between(0.37, 0.40).all()


def test_public_ptable_rounds_at_random_to_multiples_of_five():
    table = ck.table_of(PUBLIC)
    props = table.properties(60)
    assert props.loc[1:9, "dold"].all()
    big = props.loc[10:]
    assert (big["lagsta"] >= 10).all() and (big["max_avvikelse"] <= 4).all()
    assert (big["bias"].abs() < 1e-12).all()
    values = table.perturb(np.repeat(np.arange(10, 200), 50),
                           np.tile(np.arange(0, 5040, 101), 190))
    assert (values % 5 == 0).all()
    assert table.distribution(13) == {10: 0.4, 15: 0.6}


def test_check_rejects_a_table_that_publishes_a_small_count():
    good = ck.table_of(D5)
    targets = list(good.targets)
    targets[3] = (3,)  # publish 3
    bad = ck.PTable("bad", 5, 2, good.stable, good.period, tuple(targets), good.keys)
    with pytest.raises(ValueError, match="small count is published"):
        bad.check()


def test_ptable_uses_every_key_once_and_the_perturbation_follows_the_key():
    table = ck.table_of(D5)
    keys = np.arange(schema.KEY_MODULUS)
    for n in (5, 6, 7, 40, 1234):
        values = table.perturb(np.full(schema.KEY_MODULUS, n), keys)
        for v, p in table.distribution(n).items():
            assert (values == v).sum() == round(p * schema.KEY_MODULUS)
    assert (table.perturb([3, 3], [17, 4000]) == ck.HIDDEN).all()


def test_single_counts():
    assert publish_count(0, 123, D5) == (0, "0", False)
    assert publish_count(4, 123, D5) == (None, "<5", True)
    assert publish_count(1, 9, D5)[1:] == publish_count(4, 4000, D5)[1:]
    assert publish_count(3, 0, None) == (3, "3", False)
    value, shown, hidden = publish_count(1234, 77, D5)
    assert not hidden and abs(value - 1234) <= 2 and shown == fmt_int(value)
    assert publish_count(9, 5, PUBLIC)[1] == "<10"
    assert publish_count(13, 0, PUBLIC)[0] in (10, 15)


# -- record and cell keys in the store -------------------------------------------------------
ROW = ("Polis", dt.date(2026, 2, 3), "Incident", "Centrum", None, "Högerextremism",
       "Propaganda", "Man", "16–17", "Nej")


def reports(n: int, seed: int = 3) -> list[tuple]:
    """n reports over five quarters, three districts (one small) and two forms."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(0, 455)))
        area = str(rng.choice(["Centrum", "Teg", "Sävar"], p=[0.7, 0.25, 0.05]))
        form = str(rng.choice(["Högerextremism", "Vänsterextremism"]))
        kind = str(rng.choice(["Oro", "Incident"]))
        out.append((ROW[0], day, kind, area, None, form, ROW[6], str(rng.choice(
            ["Man", "Kvinna", "Annat", "Okänt"], p=[0.6, 0.3, 0.02, 0.08])), ROW[8], "Nej"))
    return out


@pytest.fixture
def keyed():
    store = Store.open(":memory:")
    load(store, reports(400))
    yield store
    store.close()


def test_record_key_follows_the_identity_not_the_content(keyed):
    first = keyed.cursor().execute("SELECT rapport_id, rkey FROM reports ORDER BY 1").df()
    assert first["rkey"].between(0, schema.KEY_MODULUS - 1).all()
    corrected = [(*r[:5], "Vänsterextremism", *r[6:]) for r in reports(400)]
    load(keyed, corrected)  # a re-import with corrections: same identities, new content
    again = keyed.cursor().execute("SELECT rapport_id, rkey FROM reports ORDER BY 1").df()
    assert first.equals(again)
    batch = max(b["batch_id"] for b in keyed.batches())
    keyed.rollback(batch, "test")  # the rebuild keeps the keys too
    back = keyed.cursor().execute("SELECT rapport_id, rkey FROM reports ORDER BY 1").df()
    assert first.equals(back)


def test_another_secret_gives_other_keys(monkeypatch):
    rows = reports(200)
    stores = []
    for secret in ("ab" * 32, "cd" * 32):
        monkeypatch.setattr(schema, "new_secret", lambda secret=secret: secret)
        store = Store.open(":memory:")
        load(store, rows)
        stores.append(store.cursor().execute(
            "SELECT rapport_id, rkey FROM reports ORDER BY 1").df())
    assert (stores[0]["rkey"] != stores[1]["rkey"]).mean() > 0.99


def test_migration_backfills_existing_reports_with_the_same_key(tmp_path):
    """A database from before migration 4 gets the secret and every report its key."""
    path = tmp_path / "old.duckdb"
    store = Store.open(path)
    load(store, reports(60))
    keys = store.cursor().execute("SELECT rapport_id, rkey FROM reports ORDER BY 1").df()
    cur = store.cursor()
    cur.execute("ALTER TABLE reports DROP COLUMN rkey")
    cur.execute(f"DROP TABLE {schema.SECRET_TABLE}")
    for table in ("editions", "edition_texts", "edition_comments", "edition_parts"):
        cur.execute(f"DROP TABLE {table}")  # migration 5, which runs again after 4
    cur.execute("DELETE FROM schema_version WHERE version >= 4")
    store.close()
    again = Store.open(path)
    assert again.schema_version == schema.LATEST_VERSION
    backfilled = again.cursor().execute("SELECT rapport_id, rkey FROM reports ORDER BY 1").df()
    assert backfilled.equals(keys)  # the test secret: the same keys as at import
    again.close()


def test_the_secret_is_checked_before_it_is_stored(monkeypatch):
    monkeypatch.setattr(schema, "new_secret", lambda: "x'; DROP TABLE reports; --")
    with pytest.raises(ValueError, match="secret"):
        Store.open(":memory:")


def test_a_cell_key_is_the_sum_of_its_record_keys(keyed):
    raw = keyed.cursor().execute("SELECT omrade, form, kvartal, rkey FROM reports").df()
    cube = query.cube(keyed, [query.CubeDim("omrade", "omrade"),
                              query.CubeDim("form", "form")], ["2024", "2025"])
    labels = [dict(enumerate(axis)) for axis in cube.labels]
    for index in np.ndindex(cube.counts.shape):
        area, form, time = (labels[a][i] for a, i in enumerate(index))
        sel = raw
        if area != TOTAL:
            sel = sel[sel["omrade"] == area]
        if form != TOTAL:
            sel = sel[sel["form"] == form]
        if time != TOTAL:
            sel = sel[sel["kvartal"].str.startswith(str(time))]
        assert cube.counts[index] == len(sel)
        assert cube.keys[index] == sel["rkey"].sum() % schema.KEY_MODULUS


# -- the rule set ------------------------------------------------------------------------------
def cube_of(matrix: list[list[int]], seed: int = 7) -> ck.Cube:
    """A 2-dimensional cube with totals (last label) and random cell keys."""
    body = np.array(matrix, dtype=np.int64)
    full = np.zeros((body.shape[0] + 1, body.shape[1] + 1), dtype=np.int64)
    full[:-1, :-1] = body
    full[-1, :-1] = body.sum(axis=0)
    full[:-1, -1] = body.sum(axis=1)
    full[-1, -1] = body.sum()
    keys = np.random.default_rng(seed).integers(0, schema.KEY_MODULUS, full.shape)
    keys[full == 0] = 0
    rows = (*(f"r{i}" for i in range(body.shape[0])), TOTAL)
    cols = (*(f"c{j}" for j in range(body.shape[1])), TOTAL)
    parents = tuple(np.array([len(axis) - 1] * (len(axis) - 1) + [-1]) for axis in (rows, cols))
    return ck.Cube(("r", "c"), (rows, cols), parents, full, keys)


def shown(matrix: list[list[int]], disclosure: Disclosure | None = D5) -> pd.DataFrame:
    cube = cube_of(matrix)
    axes = [ck.Axis(d, tuple((label, (label,)) for label in cube.labels[a]))
            for a, d in enumerate(cube.dims)]
    out = ck.select(cube, ck.protect_cube(cube, disclosure), axes, disclosure)
    return out.pivot(index="r", columns="c", values="visas")


def test_output_convention_and_small_counts():
    cube = cube_of([[1234, 3], [0, 40]])
    axes = [ck.Axis(d, tuple((label, (label,)) for label in cube.labels[a]))
            for a, d in enumerate(cube.dims)]
    out = ck.select(cube, ck.protect_cube(cube, D5), axes, D5).set_index(["r", "c"])
    assert str(out["antal"].dtype) == "Int64" and out["undertryckt"].dtype == bool
    assert out.loc[("r0", "c1"), "visas"] == "<5" and pd.isna(out.loc[("r0", "c1"), "antal"])
    assert out.loc[("r1", "c0"), "visas"] == "0" and out.loc[("r1", "c0"), "antal"] == 0
    big = int(out.loc[("r0", "c0"), "antal"])
    assert abs(big - 1234) <= 2 and out.loc[("r0", "c0"), "visas"] == fmt_int(big)
    exact = ck.select(cube, ck.protect_cube(cube, None), axes, None).set_index(["r", "c"])
    assert exact.loc[("r0", "c1"), "antal"] == 3 and not exact["undertryckt"].any()
    assert exact.loc[(TOTAL, TOTAL), "visas"] == "1\u00a0277"


def test_a_small_total_hides_every_cell_of_its_line_zeros_too():
    out = shown([[1, 0, 2], [30, 25, 0], [10, 0, 0]])
    assert out.loc["r0", TOTAL] == "<5"
    assert [out.loc["r0", c] for c in ("c0", "c1", "c2")] == ["..", "..", ".."]
    assert out.loc[TOTAL, "c2"] == "<5"
    assert out.loc["r1", "c2"] == ".."  # its column total is "<5"
    assert out.loc["r2", "c1"] == "0"  # both its totals are published


def test_a_zero_under_a_published_zero_is_shown():
    out = shown([[3, 0], [2, 0]])
    assert out.loc[TOTAL, "c1"] == "0"
    assert out.loc["r0", "c1"] == "0" and out.loc["r1", "c1"] == "0"
    assert out.loc["r0", "c0"] == ".."  # under the small row total


def test_an_approximate_sum_never_looks_like_a_small_count():
    """Published parts below the threshold: the sum stays hidden (≈ 3 would read as a count)."""
    store = Store.open(":memory:")
    rows = [(*ROW[:1], dt.date(2024, 11, 1), *ROW[2:])] * 2  # 2024K4: 2 reports
    rows += [(*ROW[:1], dt.date(2025, 2, d), *ROW[2:]) for d in range(1, 4)]  # 2025K1: 3
    rows += [(*ROW[:1], dt.date(2025, 5, d), *ROW[2:]) for d in range(1, 21)]  # 2025K2: 20
    rows += [(*ROW[:1], dt.date(2025, 8, d), *ROW[2:]) for d in range(1, 11)]  # 2025K3: 10
    load(store, rows)
    small = ind.counts(store, [], Filters("2024K4", "2025K1"), D5).iloc[0]
    assert small["undertryckt"] and small["visas"] == SECONDARY_MARK
    larger = ind.counts(store, [], Filters("2024K4", "2025K2"), D5).iloc[0]
    assert larger["visas"].startswith(APPROX_MARK) and not larger["undertryckt"]
    store.close()


def test_a_year_of_four_small_quarters():
    """Four "<5" quarters in a "<5" year would each be 1: they are ".." instead."""
    store = Store.open(":memory:")
    rows = [(*ROW[:1], dt.date(2024, m, 1), *ROW[2:]) for m in (1, 4, 7, 10)]
    rows += [(*ROW[:1], dt.date(2025, 1, d), *ROW[2:]) for d in range(1, 21)]
    load(store, rows)
    out = ind.counts(store, ["kvartal"], Filters("2024K1", "2025K1"), D5).set_index("kvartal")
    assert set(out.loc[["2024K1", "2024K2", "2024K3", "2024K4"], "visas"]) == {".."}
    years = ind.counts(store, ["ar"], Filters("2024K1", "2025K1"), D5).set_index("ar")
    assert years.loc[2024, "visas"] == "<5"
    store.close()


def _from_displays(parts: pd.DataFrame, threshold: int = 5) -> int:
    """What a reader works out from the parts' displays: the published parts plus the middle
    of each hidden part's range (1..4 for "<5", 0..4 for ".."), rounded half up."""
    shown = parts.loc[~parts["undertryckt"], "antal"].sum()
    small = (parts["visas"] == f"<{threshold}").sum()
    secondary = (parts["visas"] == SECONDARY_MARK).sum()
    return int(np.floor(shown + small * threshold / 2 + secondary * (threshold - 1) / 2 + 0.5))


def test_derived_sums_with_a_hidden_part_are_approximate(keyed):
    first, last = "2024K2", "2025K1"  # not the whole span: 2024K2 + 2024K3 + 2024K4 + 2025
    quarters = ind.counts(keyed, ["kvartal"], Filters(first, last, omrade=("Sävar",)), D5)
    assert quarters["undertryckt"].any()  # Sävar is small in some quarter
    parts = ind.counts(keyed, ["omrade"], Filters(first, last), D5).set_index("omrade")
    savar = parts.loc["Sävar"]
    # the period is a sum with a hidden part: approximate, and only from what the parts show
    assert not savar["undertryckt"] and savar["visas"].startswith(APPROX_MARK)
    assert savar["antal"] == _from_displays(quarters)
    assert savar["visas"] == APPROX_MARK + fmt_int(savar["antal"])
    exact = ind.counts(keyed, ["omrade"], Filters(first, last)).set_index("omrade")
    hidden = quarters["undertryckt"].sum()
    assert abs(savar["antal"] - exact.loc["Sävar", "antal"]) <= 2 * len(quarters) + hidden
    both = ind.counts(keyed, [], Filters(first, last, omrade=("Centrum", "Sävar")), D5)
    assert both.iloc[0]["visas"].startswith(APPROX_MARK)
    # Centrum has no hidden part: the two together are Centrum plus Sävar's estimate
    assert both.iloc[0]["antal"] == parts.loc["Centrum", "antal"] + savar["antal"]
    two = ind.counts(keyed, [], Filters(first, last, omrade=("Centrum", "Teg")), D5).iloc[0]
    assert two["antal"] == parts.loc["Centrum", "antal"] + parts.loc["Teg", "antal"]
    every = Filters(first, last, omrade=("Centrum", "Teg", "Sävar"))
    total = ind.counts(keyed, [], Filters(first, last), D5).iloc[0]
    assert ind.counts(keyed, [], every, D5).iloc[0].equals(total)  # every value: the total
    cells = ind.counts(keyed, ["kvartal"], Filters(first, last), D5)
    assert total["antal"] == cells.set_index("kvartal").loc[
        ["2024K2", "2024K3", "2024K4", "2025K1"], "antal"].sum()  # 2025 is 2025K1 here
    frame = pd.DataFrame({"antal": pd.array([3, 50]), "undertryckt": [True, False]})
    frame["andel"] = [6.0, 94.0]
    assert hide_derived(frame, ["andel"], frame["undertryckt"])["andel"].isna().tolist() \
        == [True, False]
    assert ck.share(pd.Series([5, pd.NA], dtype="Int64"), pd.Series([10, 10])).isna() \
        .tolist() == [False, True]


def test_period_units():
    qs = [f"{y}K{k}" for y in (2024, 2025) for k in range(1, 5)]
    assert ck.period_units(qs, qs) == [TOTAL]
    assert ck.period_units(qs[3:], qs) == ["2024K4", "2025"]
    assert ck.period_units(qs[1:3], qs) == ["2024K2", "2024K3"]
    assert ck.period_units(qs[2:], qs[2:]) == [TOTAL]
    assert ck.period_units(["2024K3", "2024K4"], qs[2:]) == ["2024"]  # the year of the data
    assert ck.period_parent("2025-03") == "2025K1"
    assert [ck.period_parent(x) for x in ("2025K1", "2025", TOTAL)] == ["2025", TOTAL, None]


def test_the_same_cell_has_the_same_value_whatever_the_table(keyed):
    period = Filters("2024K1", "2025K1")
    area, form, quarter = "Centrum", "Högerextremism", "2024K3"
    routes = [
        ind.crosstab(keyed, "omrade", "kvartal", Filters("2024K1", "2025K1", form=(form,)), D5)
        .set_index(["omrade", "kvartal"]).loc[(area, quarter)],
        ind.crosstab(keyed, "omrade", "form", Filters(quarter, quarter), D5)
        .set_index(["omrade", "form"]).loc[(area, form)],
        ind.trend(keyed, Filters("2024K1", "2025K1", omrade=(area,), form=(form,)),
                  disclosure=D5).set_index("kvartal").loc[quarter],
        ind.counts(keyed, ["form"], Filters(quarter, quarter, omrade=(area,)), D5)
        .set_index("form").loc[form],
        ind.counts(keyed, [], Filters(quarter, quarter, omrade=(area,), form=(form,)),
                   D5).iloc[0],
    ]
    assert len({(r["visas"], r["antal"]) for r in routes}) == 1
    assert ind.counts(keyed, ["omrade"], period, D5)["antal"].notna().any()


# -- property: the rule set on any table --------------------------------------------------------
matrices = st.integers(2, 4).flatmap(lambda r: st.integers(2, 5).flatmap(
    lambda c: st.lists(st.lists(st.one_of(st.integers(0, 6), st.integers(0, 40)),
                                min_size=c, max_size=c), min_size=r, max_size=r)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices, st.sampled_from([D5, PUBLIC, Disclosure(3)]))
def test_every_published_cell_is_within_the_bound(matrix, disclosure):
    cube = cube_of(matrix)
    axes = [ck.Axis(d, tuple((label, (label,)) for label in cube.labels[a]))
            for a, d in enumerate(cube.dims)]
    out = ck.select(cube, ck.protect_cube(cube, disclosure), axes, disclosure)
    exact = out["_exakt"].to_numpy()
    t, bound = disclosure.threshold, ck.table_of(disclosure).max_deviation
    small = (exact >= 1) & (exact < t)
    assert out["undertryckt"][small].all()
    assert out["visas"][small].isin([f"<{t}", SECONDARY_MARK]).all()  # never a number
    assert out["visas"][exact == 0].isin(["0", SECONDARY_MARK]).all()  # a 0 is never "<t"
    shown_rows = ~out["undertryckt"].to_numpy()
    value = out["antal"][shown_rows].astype("int64").to_numpy()
    assert (np.abs(value - exact[shown_rows]) <= bound).all()
    assert ((value >= t) | (exact[shown_rows] == 0)).all()
    assert (value[exact[shown_rows] == 0] == 0).all()
    if disclosure.rounding > 1:
        assert (value % disclosure.rounding == 0).all()
    # no line pins its cells: a small total hides every cell under it, and no "<t" lies
    # inside a small cell
    grid = out.set_index(["r", "c"])["visas"]
    exact_grid = out.set_index(["r", "c"])["_exakt"]
    # (a zero whose other total is a published 0 is shown: every route says so already)
    for r in cube.labels[0][:-1]:
        if grid[(r, TOTAL)] == f"<{t}":
            assert all(grid[(r, c)] == SECONDARY_MARK or grid[(TOTAL, c)] == "0"
                       for c in cube.labels[1][:-1])
    for c in cube.labels[1][:-1]:
        if grid[(TOTAL, c)] == f"<{t}":
            assert all(grid[(r, c)] == SECONDARY_MARK or grid[(r, TOTAL)] == "0"
                       for r in cube.labels[0][:-1])
    for (r, c), text in grid.items():
        if text == f"<{t}" and r != TOTAL and c != TOTAL:
            assert exact_grid[(r, TOTAL)] >= t and exact_grid[(TOTAL, c)] >= t


# -- the reference implementation -------------------------------------------------------------
def test_same_values_as_the_ons_package(keyed):
    create = pytest.importorskip("cell_key_perturbation.create_perturbed_table")
    micro = keyed.cursor().execute(
        "SELECT omrade, form, rkey::INTEGER AS rkey FROM reports").df()
    for disclosure in (D5, PUBLIC):
        table = ck.table_of(disclosure)
        theirs = create.create_perturbed_table(micro, table.as_ons(400), [], ["omrade", "form"],
                                               "rkey", threshold=disclosure.threshold)
        ours = ind.crosstab(keyed, "omrade", "form", None, disclosure)
        both = theirs.merge(ours, on=["omrade", "form"])
        assert len(both) == 6
        published = ~both["undertryckt"]
        assert (both.loc[published, "count"] == both.loc[published, "antal"]).all()
        assert both.loc[~published, "count"].isna().all()
