"""Synthetic demo data: valid, deterministic and with the patterns the dashboard should show."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest

from lagesbild.domain import codelists as cl
from lagesbild.intake.demo import (
    COLUMNS,
    DEMO_FILE_NAME,
    MISSING_SECTOR,
    demo_reports,
    latest_full_quarter_end,
    quarter_start,
)

UNTIL = dt.date(2026, 11, 24)  # latest full quarter: 2026K3


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return demo_reports(UNTIL).to_pylist()


def quarter(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def test_latest_full_quarter_end() -> None:
    assert latest_full_quarter_end(dt.date(2026, 11, 24)) == dt.date(2026, 9, 30)
    assert latest_full_quarter_end(dt.date(2026, 10, 1)) == dt.date(2026, 9, 30)
    assert latest_full_quarter_end(dt.date(2026, 9, 30)) == dt.date(2026, 6, 30)
    assert latest_full_quarter_end(dt.date(2026, 1, 1)) == dt.date(2025, 12, 31)
    assert quarter_start(dt.date(2026, 8, 17)) == dt.date(2026, 7, 1)
    assert DEMO_FILE_NAME == "demodata (syntetisk)"


def test_deterministic_and_fast() -> None:
    demo_reports(UNTIL)  # warm up pyarrow
    start = time.perf_counter()
    first = demo_reports(UNTIL)
    assert time.perf_counter() - start < 0.5
    assert first.equals(demo_reports(UNTIL))
    assert not first.equals(demo_reports(UNTIL, seed=1))


def test_columns_and_size(rows: list[dict]) -> None:
    table = demo_reports(UNTIL)
    assert tuple(table.column_names) == COLUMNS
    assert str(table.schema.field("datum").type) == "date32[day]"
    assert 1800 <= len(rows) <= 2200
    assert 450 <= demo_reports(UNTIL, n_target=500).num_rows <= 550


def test_values_in_code_lists(rows: list[dict]) -> None:
    lists = cl.load()
    for name in cl.LIST_OF_FIELD:
        valid = set(lists.for_field(name).values)
        assert {r[name] for r in rows} <= valid, name
    district_of = {a.code: a.district for a in cl.areas()}
    for r in rows:
        assert r["partner"] == r["verksamhet"]
        if r["regso"] is not None:
            assert district_of[r["regso"]] == r["omrade"]
        else:
            assert r["omrade"] in lists.for_field("omrade").values
        assert (r["handelse"] == "Oro för individ") == (r["rapporttyp"] == "Oro")
        assert all(r[f] not in (None, "") for f in COLUMNS if f != "regso")


def test_regso_share(rows: list[dict]) -> None:
    physical = [r for r in rows if r["omrade"] not in ("Digitalt", "Okänt")]
    share = sum(r["regso"] is not None for r in physical) / len(physical)
    assert 0.5 < share < 0.7
    assert all(r["regso"] is None for r in rows if r["omrade"] in ("Digitalt", "Okänt"))


def test_ids_unique_per_partner(rows: list[dict]) -> None:
    keys = [(r["partner"], r["rapport_id"]) for r in rows]
    assert len(set(keys)) == len(keys)
    assert all(r["rapport_id"].startswith("DEMO-") for r in rows)


def test_dates_in_range(rows: list[dict]) -> None:
    dates = [r["datum"] for r in rows]
    assert min(dates) >= dt.date(2022, 1, 1)
    assert max(dates) <= dt.date(2026, 9, 30)
    assert max(dates) >= dt.date(2026, 9, 1)
    today = demo_reports(n_target=300).column("datum").to_pylist()
    assert max(today) <= latest_full_quarter_end(dt.date.today()) < dt.date.today()


def test_missing_sector_in_latest_quarter(rows: list[dict]) -> None:
    per_sector: dict[str, set] = {}
    for r in rows:
        per_sector.setdefault(r["verksamhet"], set()).add(quarter(r["datum"]))
    quarters = sorted({quarter(r["datum"]) for r in rows})
    latest, earlier = quarters[-1], quarters[:-1]
    assert latest not in per_sector[MISSING_SECTOR]
    assert len(per_sector) == len(cl.load().for_field("verksamhet").values)
    for sector, seen in per_sector.items():
        assert len(seen & set(earlier)) >= 0.75 * len(earlier), sector
        if sector != MISSING_SECTOR:
            assert latest in seen, sector


def test_upward_trend(rows: list[dict]) -> None:
    per_year = Counter(r["datum"].year for r in rows)
    full_years = [per_year[y] for y in (2022, 2023, 2024, 2025)]
    assert full_years == sorted(full_years)
    growth = (full_years[-1] / full_years[0]) ** (1 / 3)
    assert 1.08 < growth < 1.25
    per_form_year = Counter((r["form"], r["datum"].year) for r in rows)
    assert per_form_year["Högerextremism", 2025] > per_form_year["Högerextremism", 2022]
    assert per_form_year["Islamistisk extremism", 2025] <= per_form_year[
        "Islamistisk extremism", 2022]


def test_seasonality(rows: list[dict]) -> None:
    per_month = Counter(r["datum"].month for r in rows if r["datum"].year <= 2025)
    mean = sum(per_month.values()) / 12
    assert per_month[7] == min(per_month.values())
    assert per_month[7] < 0.7 * mean
    autumn = (per_month[9] + per_month[10] + per_month[11]) / 3
    assert autumn > 1.2 * mean


def test_shares(rows: list[dict]) -> None:
    n = len(rows)
    share = {f: Counter(r[f] for r in rows) for f in ("rapporttyp", "kon", "aldersgrupp")}
    assert 0.5 < share["rapporttyp"]["Oro"] / n < 0.6
    assert 0.06 < share["kon"]["Okänt"] / n < 0.14
    assert 0.08 < share["aldersgrupp"]["Okänd"] / n < 0.16
    forms = Counter(r["form"] for r in rows)
    assert forms.most_common(1)[0][0] == "Högerextremism"
    oro = [r for r in rows if r["rapporttyp"] == "Oro"]
    incidents = [r for r in rows if r["rapporttyp"] == "Incident"]
    ja_oro = sum(r["konsultation"] == "Ja" for r in oro) / len(oro)
    ja_inc = sum(r["konsultation"] == "Ja" for r in incidents) / len(incidents)
    assert 0.18 < ja_oro < 0.32 and ja_inc < ja_oro / 2


def test_sectors_and_places_fit_the_event(rows: list[dict]) -> None:
    def share(rows_: list[dict], field: str, value: str) -> float:
        return sum(r[field] == value for r in rows_) / len(rows_)

    propaganda = [r for r in rows if r["handelse"] == "Propaganda"]
    digital = [r for r in rows if r["handelse"] == "Digital aktivitet"]
    assert share(digital, "omrade", "Digitalt") > 0.6
    assert share(propaganda, "omrade", "Centrum") > 1.5 * share(rows, "omrade", "Centrum")
    assert share(propaganda, "verksamhet", "Bostadsbolag") > 0.15
    assert all(r["rapporttyp"] == "Incident" for r in rows if r["verksamhet"] == "Bostadsbolag")
    school = [r for r in rows if r["verksamhet"] in ("Grundskola", "Gymnasieskola")]
    assert share(school, "rapporttyp", "Oro") > 0.6
    assert share([r for r in rows if r["verksamhet"] == "Socialtjänst"], "rapporttyp", "Oro") == 1
    assert share([r for r in rows if r["verksamhet"] == "Polis"], "rapporttyp", "Incident") > 0.6


def test_gender_pattern_differs_by_form(rows: list[dict]) -> None:
    def men(form: str) -> float:
        known = [r for r in rows if r["form"] == form and r["kon"] in ("Man", "Kvinna", "Annat")]
        return sum(r["kon"] == "Man" for r in known) / len(known)

    assert men("Misogyn extremism") > 0.9
    assert men("Vänsterextremism") < 0.8
    fix = [r for r in rows if r["form"] == "Våldsfixering utan ideologi"]
    teens = sum(r["aldersgrupp"] in ("13–15", "16–17") for r in fix) / len(fix)
    assert teens > 0.6


@pytest.mark.parametrize("seed", [2026, 1, 7])
def test_rising_form_signal(seed: int) -> None:
    rows = demo_reports(UNTIL, seed=seed).to_pylist()
    quarters = sorted({quarter(r["datum"]) for r in rows})
    latest, previous = quarters[-1], quarters[-9:-1]
    per_quarter = Counter((r["form"], quarter(r["datum"])) for r in rows)
    signals = []
    for form in ("Våldsfixering utan ideologi", "Misogyn extremism"):
        mean = sum(per_quarter[form, q] for q in previous) / 8
        last = per_quarter[form, latest]
        signals.append(last > 1.5 * mean and last - mean > 2 * mean**0.5)
    assert any(signals)
    # A flat form gives no signal.
    mean = sum(per_quarter["Vänsterextremism", q] for q in previous) / 8
    assert per_quarter["Vänsterextremism", latest] < 2 * mean + 3
