"""Context events: edits keep history, events_for_period, annotations on trend charts."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from lagesbild.charts import events as event_marks
from lagesbild.intake.followup import events as event_edits
from lagesbild.intake.followup.edits import EditRefused
from lagesbild.numbers import events
from lagesbild.store import Store

TODAY = dt.date(2026, 11, 24)


def add(store: Store, day: dt.date, title: str, category: str = "Övrigt") -> str:
    return event_edits.add_event(store, day, category, title, "anna", today=TODAY)


def test_add_edit_remove_keep_history(store: Store) -> None:
    first = add(store, dt.date(2026, 3, 2), "Nationell hotnivå sänkt", "hotnivå")
    assert first == "H-001"
    assert add(store, dt.date(2026, 8, 1), "Kampanj", "Kampanj") == "H-002"
    current = events.current_events(store)
    assert current[["handelse_id", "kategori"]].values.tolist() == [
        ["H-002", "Lokal kampanj eller insats"], ["H-001", "Nationell hotnivå"]]
    event_edits.edit_event(store, first, "2026-03-03", "Nationell hotnivå", "Hotnivån sänkt till 3",
                  "bo", today=TODAY)
    assert event_edits.edit_event(store, first, "2026-03-03", "Nationell hotnivå",
                         "Hotnivån sänkt till 3", "bo", today=TODAY).batch_id is None
    event_edits.remove_event(store, "H-002", "cecilia")
    assert events.current_events(store)["handelse_id"].tolist() == ["H-001"]
    history = events.event_history(store)
    assert history[["handelse_id", "titel", "borttagen", "andrad_av"]].values.tolist() == [
        ["H-002", "Kampanj", True, "cecilia"],
        ["H-001", "Hotnivån sänkt till 3", False, "bo"],
        ["H-002", "Kampanj", False, "anna"],
        ["H-001", "Nationell hotnivå sänkt", False, "anna"],
    ]
    assert {b["kind"] for b in store.batches()} == {"omvarld"}
    with pytest.raises(EditRefused, match="ingen omvärldshändelse"):
        event_edits.remove_event(store, "H-002", "cecilia")


def test_removal_can_be_rolled_back(store: Store) -> None:
    add(store, dt.date(2026, 3, 2), "Händelse")
    receipt = event_edits.remove_event(store, "H-001", "bo")
    assert events.events_for_period(store, None, None) == []
    store.rollback(receipt.batch_id, by="cecilia")
    assert events.events_for_period(store, None, None) == [
        (dt.date(2026, 3, 2), "Övrigt", "Händelse")]


def test_bad_events_are_refused_in_swedish(store: Store) -> None:
    with pytest.raises(EditRefused) as refused:
        event_edits.add_event(store, dt.date(2027, 1, 1), "Väder", "", "anna", today=TODAY)
    text = str(refused.value)
    assert "Datumet ligger i framtiden" in text and "Kategorin saknas eller är okänd" in text
    assert "Titel saknas" in text
    with pytest.raises(EditRefused, match="för lång"):
        add(store, dt.date(2026, 1, 1), "x" * 81)
    with pytest.raises(EditRefused, match="e-postadress"):
        add(store, dt.date(2026, 1, 1), "Mejl från anna@example.se")
    assert store.batches() == []


def test_events_for_period(store: Store) -> None:
    add(store, dt.date(2025, 12, 31), "Före")
    add(store, dt.date(2026, 1, 1), "Första dagen")
    add(store, dt.date(2026, 6, 30), "Sista dagen")
    add(store, dt.date(2026, 7, 1), "Efter")
    removed = add(store, dt.date(2026, 2, 1), "Borttagen")
    event_edits.remove_event(store, removed, "bo")
    assert events.events_for_period(store, "2026K1", "2026K2") == [
        (dt.date(2026, 1, 1), "Övrigt", "Första dagen"),
        (dt.date(2026, 6, 30), "Övrigt", "Sista dagen")]
    assert len(events.events_for_period(store, "2026K3", None)) == 1


EVENTS = [(dt.date(2026, 1, 1), "Nationell hotnivå", "Nationell hotnivå sänkt till 3 (exempel)"),
          (dt.date(2026, 8, 16), "Övrigt", "Kort"),
          (dt.date(2030, 1, 1), "Övrigt", "Utanför axeln")]
QUARTERS = ["2025K4", "2026K1", "2026K2", "2026K3"]


def test_annotations_on_a_single_trend_chart() -> None:
    fig = go.Figure(go.Scatter(x=QUARTERS, y=[1, 2, 3, 4]))
    fig.update_xaxes(type="category", categoryarray=QUARTERS)
    event_marks.add_event_annotations(fig, EVENTS)
    lines = [s for s in fig.layout.shapes if s.name == event_marks.ANNOTATION_NAME]
    labels = [a for a in fig.layout.annotations if a.name == event_marks.ANNOTATION_NAME]
    assert [round(s.x0, 3) for s in lines] == [0.5, round(3 - 0.5 + 46 / 92, 3)]
    assert [a.text for a in labels] == ["1 Nationell hotnivå sän…", "2 Kort"]
    assert labels[0].hovertext == ("2026-01-01 · Nationell hotnivå<br>Nationell hotnivå sänkt "
                                   "till 3 (exempel)")
    assert event_marks.event_legend(EVENTS[:2]) == [
        "1. 2026-01-01 Nationell hotnivå: Nationell hotnivå sänkt till 3 (exempel)",
        "2. 2026-08-16 Övrigt: Kort"]
    fig.to_json()  # still a valid figure


def test_annotations_on_small_multiples_and_without_categoryarray() -> None:
    fig = make_subplots(rows=1, cols=2)
    for col in (1, 2):
        fig.add_trace(go.Scatter(x=QUARTERS, y=[1, 2, 3, 4]), row=1, col=col)
    event_marks.add_event_annotations(fig, EVENTS)
    lines = [s for s in fig.layout.shapes if s.name == event_marks.ANNOTATION_NAME]
    assert sorted((s.xref, s.yref) for s in lines) == [
        ("x", "y domain"), ("x", "y domain"), ("x2", "y2 domain"), ("x2", "y2 domain")]
    marks = [a.text for a in fig.layout.annotations if a.name == event_marks.ANNOTATION_NAME]
    assert sorted(marks) == [
        "1", "1", "2", "2"]


def test_no_events_changes_nothing() -> None:
    fig = go.Figure(go.Bar(x=QUARTERS, y=[1, 2, 3, 4]))
    assert event_marks.add_event_annotations(fig, []) is fig and not fig.layout.shapes
