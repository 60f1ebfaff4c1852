"""The activity plan: edits in the app are versions, overdue logic, progress."""

from __future__ import annotations

import datetime as dt

import pytest

from lagesbild.intake.followup import activities as activity_edits
from lagesbild.intake.followup.edits import EditRefused
from lagesbild.numbers import activities
from lagesbild.store import EDITED_IN_APP, Store

TODAY = dt.date(2026, 5, 10)  # in 2026K2


def values(**changes: object) -> dict[str, object]:
    return {"aktivitet": "Grundutbildning för skolpersonal", "mal": "All elevhälsa utbildad",
            "omrade": "Utbildning och metodutveckling", "ansvarig": "UmeBrå",
            "start_kvartal": "2025K1", "klart_kvartal": "2025K4", "status": "Pågår",
            **changes}


def test_overdue_and_time_status() -> None:
    assert activities.is_overdue("2026K1", "Pågår", TODAY)  # 2026K1 ended 2026-03-31
    assert activities.is_overdue("2026K1", "Planerad", dt.date(2026, 4, 1))
    assert not activities.is_overdue("2026K1", "Pågår", dt.date(2026, 3, 31))  # last day of K1
    assert not activities.is_overdue("2026K2", "Pågår", TODAY)  # the running quarter
    assert not activities.is_overdue("2025K1", "Klar", TODAY)
    assert not activities.is_overdue("2025K1", "Stoppad", TODAY)
    row = {"status": "Planerad", "start_kvartal": "2026K1", "klart_kvartal": "2026K4"}
    assert activities.time_status(row, TODAY) == activities.LATE_START
    assert activities.time_status({**row, "status": "Pågår"}, TODAY) == activities.ON_TRACK
    assert activities.time_status({**row, "klart_kvartal": "2026K1"}, TODAY) == activities.OVERDUE


def test_add_and_edit_make_versions_with_who_and_when(store: Store) -> None:
    new_id, first = activity_edits.save_activity(store, values(ansvarig="socialtjänsten"), "anna")
    assert new_id == "A-01" and first.rows_new == 1
    assert activities.current_activities(store)["ansvarig"].tolist() == ["Socialtjänst"]
    second_id, _ = activity_edits.save_activity(store, values(aktivitet="Annat"), "anna")
    assert second_id == "A-02"
    activity_edits.set_status(store, "A-01", "Klar", "bo")
    unchanged = activity_edits.set_status(store, "A-01", "Klar", "bo")
    assert unchanged.batch_id is None
    history = activities.activity_history(store, "A-01")
    assert history["status"].tolist() == ["Klar", "Pågår"]
    assert history["andrad_av"].tolist() == ["bo", "anna"]
    assert set(history["kalla"]) == {EDITED_IN_APP}
    assert history["andrad"].notna().all()
    batch = store.batches()[0]
    assert (batch["kind"], batch["imported_by"]) == ("aktivitetsplan", "bo")


def test_rollback_of_an_edit_restores_the_previous_version(store: Store) -> None:
    activity_edits.save_activity(store, values(), "anna")
    receipt = activity_edits.set_status(store, "A-01", "Stoppad", "bo")
    store.rollback(receipt.batch_id, by="cecilia")
    assert activities.current_activities(store)["status"].tolist() == ["Pågår"]


def test_remove_is_a_version_and_hides_the_activity(store: Store) -> None:
    activity_edits.save_activity(store, values(), "anna")
    activity_edits.remove_activity(store, "A-01", "bo")
    assert activities.current_activities(store).empty
    removed = activities.current_activities(store, include_removed=True)
    assert removed["borttagen"].tolist() == [True]
    assert activities.activity_history(store, "A-01")["borttagen"].tolist() == [True, False]
    with pytest.raises(EditRefused, match="ingen aktivitet med ID A-01"):
        activity_edits.set_status(store, "A-01", "Klar", "bo")


def test_edits_are_checked_like_spreadsheet_rows(store: Store) -> None:
    with pytest.raises(EditRefused) as refused:
        activity_edits.save_activity(store, values(ansvarig="Anna Svensson", klart_kvartal="2024K4",
                                        status="Snart"), "anna")
    text = str(refused.value)
    assert "Ansvarig enhet: Okänt värde i Ansvarig enhet" in text
    assert "aldrig en persons namn" in text
    assert "Klart-kvartalet ligger före startkvartalet" in text
    assert "Okänt värde i Status" in text
    with pytest.raises(EditRefused, match="telefonnummer"):
        activity_edits.save_activity(store, values(mal="Ring 070-123 45 67"), "anna")
    assert store.batches() == []


def test_plan_progress_against_a_given_today(store: Store) -> None:
    plan = [  # (start, due, status)
        ("2025K1", "2025K2", "Klar"),      # due, done
        ("2025K1", "2025K4", "Pågår"),     # due, overdue
        ("2025K2", "2026K1", "Planerad"),  # due, overdue
        ("2025K3", "2026K1", "Stoppad"),   # due, stopped
        ("2026K1", "2026K4", "Planerad"),  # not due, late start
        ("2026K2", "2026K4", "Pågår"),     # not due, on track
    ]
    for start, due, status in plan:
        activity_edits.save_activity(store, values(start_kvartal=start, klart_kvartal=due,
                                        status=status), "anna")
    status = activities.plan_status(store, TODAY)
    assert status["lage"].tolist() == ["Klar", "Försenad", "Försenad", "Stoppad",
                                       "Borde ha startat", "Enligt plan"]
    assert activities.overdue(store, TODAY)["aktivitet_id"].tolist() == ["A-02", "A-03"]
    progress = activities.plan_progress(store, TODAY)
    assert (progress.first, progress.last, progress.total) == ("2025K1", "2026K4", 6)
    assert progress.by_status == {"Planerad": 2, "Pågår": 2, "Klar": 1, "Stoppad": 1}
    assert (progress.due_by_now, progress.done_of_due, progress.overdue,
            progress.late_start) == (4, 1, 2, 1)
    assert progress.elapsed_share == 5 / 8  # 2025K1–2026K1 of 2025K1–2026K4 have ended
    assert progress.done_share == 1 / 5
    assert progress.sentence() == (
        "1 av 6 aktiviteter är klara, 1 stoppade. 4 skulle enligt planen vara klara nu, och "
        "av dem är 1 klara. 2 är försenade. 63 % av planperioden 2025K1–2026K4 har gått.")
    by_area = activities.progress_by_area(store, TODAY)
    assert by_area[["omrade", "aktiviteter", "Försenad"]].values.tolist() == [
        ["Utbildning och metodutveckling", 6, 2]]


def test_empty_plan() -> None:
    from lagesbild.store import Store as S

    store = S.open(None)
    try:
        progress = activities.plan_progress(store, TODAY)
        assert progress.total == 0 and progress.sentence() == "Aktivitetsplanen är tom."
        assert activities.plan_status(store, TODAY).empty
    finally:
        store.close()
