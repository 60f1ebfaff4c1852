"""The pages Uppföljning and Omvärld (Streamlit AppTest) against a database with demo data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lagesbild.access import roles
from lagesbild.domain.periods import latest_complete_quarter, quarter_of, quarter_start
from lagesbild.intake.demo_followup import seed_followup_demo
from lagesbild.numbers.events import events_for_period
from lagesbild.service import runtime
from lagesbild.store import Store

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


@pytest.fixture(scope="module")
def followup_db(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database with the follow-up demo data (built once for this module)."""
    path = tmp_path_factory.mktemp("followup") / "demo.duckdb"
    path.write_bytes(demo_db_file.read_bytes())
    store = Store.open(path)
    seed_followup_demo(store)
    store.close()
    return path


@pytest.fixture
def db(followup_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "sida.duckdb"
    copy.write_bytes(followup_db.read_bytes())
    monkeypatch.setenv("LAGESBILD_DB", str(copy))
    monkeypatch.chdir(ROOT)
    return copy


def page(name: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def close_store() -> None:
    """Release the page's cached store so the test can open the file itself."""
    runtime.close_all()


def test_uppfoljning_renders_trainings_and_plan(db: Path) -> None:
    app = page("uppfoljning")
    assert app.title[0].value == "Uppföljning av handlingsplanen"
    assert [t.label for t in app.tabs] == ["Utbildningar och kompetensinsatser",
                                           "Aktivitetsplan"]
    labels = [m.label for m in app.metric]
    assert any(label.startswith("Insatser ") for label in labels)
    assert "Försenade" in labels
    texts = " ".join(m.value for m in app.markdown)
    assert "Aktivitetsplan " in texts and "aktiviteter är klara" in texts
    assert any("Försenade" in w.value for w in app.warning)
    assert len(app.get("plotly_chart")) >= 3
    assert app.subheader[-1].value == "Ändra i aktivitetsplanen"  # localhost = analyst
    close_store()


def test_analyst_changes_the_status_of_an_activity(db: Path) -> None:
    app = page("uppfoljning")
    choice = app.selectbox(key="plan_val")
    option = next(o for o in choice.options if o.startswith("DEMO-A01"))
    choice.set_value(option).run()
    app.selectbox[[s.label for s in app.selectbox].index("Status")].set_value("Klar")
    app.button[[b.label for b in app.button].index("Spara")].click().run()
    assert not app.exception
    assert any("DEMO-A01 är sparad" in s.value for s in app.success)
    close_store()
    store = Store.open(db)
    try:
        row = store.cursor().execute(
            "SELECT status FROM activities WHERE aktivitet_id = 'DEMO-A01'").fetchone()
        assert row == ("Klar",)
        assert store.batches()[0]["kind"] == "aktivitetsplan"
    finally:
        store.close()


def test_omvarld_renders_and_an_analyst_adds_an_event(db: Path) -> None:
    app = page("omvarld")
    assert app.title[0].value == "Omvärldshändelser"
    assert len(app.get("plotly_chart")) == 1
    app.text_input[0].set_value("Lokal temadag om demokrati")
    day = quarter_start(latest_complete_quarter()) + dt.timedelta(days=20)  # in the period
    app.date_input[0].set_value(day)
    app.selectbox[[s.label for s in app.selectbox].index("Kategori")].set_value(
        "Lokal kampanj eller insats")
    app.button[[b.label for b in app.button].index("Spara")].click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("H-001 är tillagd" in s.value for s in app.success)
    table = app.dataframe[0].value
    assert "Lokal temadag om demokrati" in table["Titel"].tolist()
    close_store()
    store = Store.open(db)
    try:
        quarter = quarter_of(day)
        assert (day, "Lokal kampanj eller insats", "Lokal temadag om demokrati") in \
            events_for_period(store, quarter, quarter)
        actions = [r[0] for r in store.cursor().execute(
            "SELECT action FROM audit_log").fetchall()]
        assert "omvärldshändelse tillagd" in actions
    finally:
        store.close()


def test_preparation_group_sees_but_cannot_edit(db: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import signin

    viewer = roles.User("bo", roles.BEREDNINGSGRUPP, "lokal")
    monkeypatch.setattr(signin, "current_user", lambda: viewer)
    app = page("omvarld")
    assert "Spara" not in [b.label for b in app.button]
    assert any("läggs till och ändras av en analytiker" in c.value for c in app.caption)
    app = page("uppfoljning")
    assert "Spara" not in [b.label for b in app.button]
    assert not app.get("file_uploader")
    close_store()
