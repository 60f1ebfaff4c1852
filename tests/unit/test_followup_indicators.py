"""Follow-up indicators by hand-computed numbers, and the demo data."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from lagesbild.domain import codelists
from lagesbild.domain.config import Disclosure
from lagesbild.intake.demo_followup import (
    demo_activities,
    demo_events,
    demo_trainings,
    plan_period,
    seed_followup_demo,
)
from lagesbild.intake.followup.validation import ARROW_TYPES
from lagesbild.numbers import followup as ind
from lagesbild.store import Store
from lagesbild.store.schema import REPORT_COLUMNS, TRAINING_COLUMNS, TRAININGS

UNTIL = dt.date(2026, 11, 24)


def _reports(rows: list[tuple[str, str, dt.date, int]]) -> pa.Table:
    """rows: (sector, rapporttyp, date, how many)."""
    out = []
    for sector, kind, day, n in rows:
        for _ in range(n):
            out.append({"partner": sector, "rapport_id": f"{sector}-{len(out)}", "datum": day,
                        "rapporttyp": kind, "omrade": "Centrum", "regso": None,
                        "form": "Högerextremism",
                        "handelse": "Oro för individ" if kind == "Oro" else "Propaganda",
                        "verksamhet": sector, "kon": "Okänt", "aldersgrupp": "Okänd",
                        "konsultation": "Nej"})
    schema = pa.schema([(c, pa.date32() if c == "datum" else pa.string())
                        for c in REPORT_COLUMNS])
    return pa.Table.from_pylist(out, schema=schema)


def _trainings(rows: list[tuple]) -> pa.Table:
    """rows: (id, date, sector, participants, women, men)."""
    schema = pa.schema([(c, ARROW_TYPES.get(c, pa.string())) for c in TRAINING_COLUMNS])
    return pa.Table.from_pylist([
        {"insats_id": i, "datum": d, "typ": "Utbildning", "tema": "Samtalsmetodik",
         "malgrupp": s, "antal_deltagare": n, "varav_kvinnor": w, "varav_man": m}
        for i, d, s, n, w, m in rows], schema=schema)


@pytest.fixture
def filled(store: Store) -> Store:
    k1, k2, before = dt.date(2026, 2, 1), dt.date(2026, 5, 1), dt.date(2025, 11, 1)
    store.import_reports(_reports([
        ("Grundskola", "Oro", k1, 7), ("Grundskola", "Oro", k2, 5),
        ("Grundskola", "Incident", k1, 3), ("Socialtjänst", "Oro", k2, 6),
        ("Polis", "Oro", k1, 2), ("Fritidsgård", "Oro", before, 5)]),
        file_name="r", sha256="r", imported_by="a")
    store.import_rows(TRAININGS, _trainings([
        ("U1", k1, "Socialtjänst", 30, 20, 10), ("U2", k2, "Socialtjänst", 20, None, None),
        ("U3", k2, "Grundskola", 5, 4, 1), ("U4", k1, "Fritidsgård", 45, 25, 20),
        ("U5", before, "Polis", 10, 3, 7)]), file_name="u", sha256="u", imported_by="a")
    return store


def test_participants_per_sector_and_quarter(filled: Store) -> None:
    table = ind.trainings_per_quarter(filled, "2026K1", "2026K2")
    assert table.values.tolist() == [
        ["2026K1", "Grundskola", 0, 0], ["2026K1", "Fritidsgård", 1, 45],
        ["2026K1", "Socialtjänst", 1, 30], ["2026K2", "Grundskola", 1, 5],
        ["2026K2", "Fritidsgård", 0, 0], ["2026K2", "Socialtjänst", 1, 20]]
    totals = ind.trainings_per_quarter(filled, "2025K4", "2026K2", by=None)
    assert totals.values.tolist() == [["2025K4", 1, 10], ["2026K1", 2, 75], ["2026K2", 2, 25]]
    sectors = ind.trainings(filled, None, None, ("malgrupp",))
    by_sector = {r.malgrupp: (r.insatser, r.deltagare, r.kvinnor, r.man, r.kon_angivet)
                 for r in sectors.itertuples()}
    assert by_sector["Socialtjänst"] == (2, 50, 20, 10, 30)
    assert by_sector["Polis"] == (1, 10, 3, 7, 10)
    summary = ind.quarter_summary(filled, "2026K1")
    assert summary == {"kvartal": "2026K1", "insatser": 2, "deltagare": 75,
                       "verksamheter": ["Fritidsgård", "Socialtjänst"],
                       "per_typ": {"Utbildning": 2}}
    assert ind.quarter_summary(filled, "2024K1")["insatser"] == 0
    with pytest.raises(ValueError, match="Okänd indelning"):
        ind.trainings(filled, by=("omrade",))


def test_concern_reports_beside_training_reach_exact(filled: Store) -> None:
    table = ind.concern_vs_training(filled, "2026K1", "2026K2", None)
    rows = {r.verksamhet: r for r in table.itertuples()}
    assert table["verksamhet"].tolist() == ["Grundskola", "Fritidsgård", "Socialtjänst",
                                           "Polis"]
    g, f, s, p = (rows[k] for k in ("Grundskola", "Fritidsgård", "Socialtjänst", "Polis"))
    # 20 concern reports (12 + 6 + 2), 100 participants (5 + 45 + 50) in the period
    assert (g.oro, g.oro_andel, g.insatser, g.deltagare, g.deltagar_andel,
            g.deltagare_per_oro) == (12, 60.0, 1, 5, 5.0, 0.4)
    assert g.lite_utbildning and g.bedomning == ind.GAP_TEXT
    assert (f.oro, f.oro_visas, f.oro_andel, f.deltagare, f.deltagar_andel) == (
        0, "0", 0.0, 45, 45.0)
    assert pd.isna(f.deltagare_per_oro) and not f.lite_utbildning
    assert (s.oro, s.oro_andel, s.deltagar_andel, s.deltagare_per_oro) == (6, 30.0, 50.0, 8.3)
    assert not s.lite_utbildning
    # Polis: 10 % of the concerns (the threshold for "many") and no training in the period
    assert (p.oro, p.oro_andel, p.deltagare) == (2, 10.0, 0) and p.lite_utbildning


def test_concern_reports_are_disclosure_controlled(filled: Store) -> None:
    table = ind.concern_vs_training(filled, "2026K1", "2026K2", Disclosure(5, 0))
    rows = {r.verksamhet: r for r in table.itertuples()}
    polis, social = rows["Polis"], rows["Socialtjänst"]
    # Polis's 2 concern reports are all its reports: hidden inside a small group ("..")
    assert polis.oro_visas in ("<5", "..") and polis.oro_undertryckt and pd.isna(polis.oro)
    assert pd.isna(polis.oro_andel) and not polis.lite_utbildning
    # the published counts are perturbed (within ±2): a total minus the others is no count
    assert 5 <= social.oro <= 8 and social.oro_visas == str(social.oro)
    assert social.deltagare == 50 and pd.notna(social.oro_andel)
    grundskola = rows["Grundskola"]
    assert abs(grundskola.oro - 12) <= 2 and grundskola.lite_utbildning
    # shares of published counts: Grundskola's share of the published total
    assert grundskola.oro_andel / social.oro_andel == pytest.approx(grundskola.oro / social.oro,
                                                                    rel=0.02)


def test_demo_data_are_deterministic_and_valid() -> None:
    first = demo_trainings(UNTIL)
    assert first.equals(demo_trainings(UNTIL)) and not first.equals(demo_trainings(UNTIL, 1))
    lists = codelists.load().lists
    rows = first.to_pylist()
    assert 40 <= len(rows) <= 120
    assert all(r["datum"] <= dt.date(2026, 9, 30) for r in rows)
    assert {r["typ"] for r in rows} <= set(lists["insatstyp"].values)
    assert {r["tema"] for r in rows} <= set(lists["tema"].values)
    assert {r["malgrupp"] for r in rows} <= set(lists["verksamhet"].values)
    assert all((r["varav_kvinnor"] or 0) + (r["varav_man"] or 0) <= r["antal_deltagare"]
               for r in rows)
    plan = demo_activities(UNTIL).to_pylist()
    assert plan_period(UNTIL) == ("2025K1", "2026K4") and len(plan) == 12
    assert {r["status"] for r in plan} == {"Planerad", "Pågår", "Klar", "Stoppad"}
    assert {r["ansvarig"] for r in plan} <= set(lists["enhet"].values)
    assert {r["omrade"] for r in plan} <= set(lists["handlingsplanomrade"].values)
    events = demo_events(UNTIL).to_pylist()
    assert len(events) == 6 and all("(exempel)" in e["titel"] for e in events)
    assert {e["kategori"] for e in events} <= set(lists["handelsekategori"].values)


def test_seeded_demo_is_marked_and_removed_with_the_reports(store: Store) -> None:
    from lagesbild.numbers.activities import plan_progress
    from lagesbild.service import seed_demo

    seed_demo(store)  # seeds the follow-up demo data too
    assert {b["kind"] for b in store.batches()} == {
        "rapporter", "utbildningar", "aktivitetsplan", "omvarld"}
    assert all(b["is_demo"] for b in store.batches())
    assert seed_followup_demo(store, UNTIL) == []  # already there
    assert plan_progress(store, UNTIL).overdue >= 2
    store.remove_demo()
    assert store.batches() == []
    for table in ("trainings", "activities", "events"):
        assert store.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
