"""The upload page replaces a code list (AppTest, localhost mode: the analyst); the list lives in
the database, and rolling the import back on the page restores it."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from lagesbild.domain import codelists
from tests.helpers.apptest import APP, TIMEOUT, UPLOAD, assert_ok


def with_row(data: bytes, row: str) -> bytes:
    return (data.decode("utf-8").rstrip("\n") + "\n" + row + "\n").encode("utf-8")


def test_the_upload_page_replaces_a_code_list(demo_db: Path):
    """localhost mode (the analyst): choose, download, upload, preview, confirm, history,
    rollback."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page(UPLOAD).run()
    assert_ok(at)
    at.selectbox(key="kodlista_namn").set_value("kon").run()
    download = next(b for b in at.get("download_button")
                    if b.proto.label == "Ladda ned nuvarande kodlista")
    assert download.proto.label
    current = codelists.load().lists["kon"].values
    assert "Övrigt" not in current
    from lagesbild.intake.codelists import csv_bytes

    data = with_row(csv_bytes("kon"), "Övrigt,,2026K1,,,Annat kön.")
    at.file_uploader(key="kodlista_0").set_value(("kon.csv", data, "text/csv")).run()
    assert_ok(at)
    assert {m.label: m.value for m in at.metric}["Nya värden"] == "1"
    at.button(key="kodlista_go").click().run()
    assert_ok(at)
    assert any("Kodlistan kon är ersatt" in s.value for s in at.success)
    assert "Övrigt" in codelists.load().lists["kon"].values
    history = at.dataframe[0].value
    assert (history["Typ"] == "Kodlista kon").any()
    newest = history[history["Typ"] == "Kodlista kon"].iloc[0]["Import"]
    at.selectbox(key="rollback_batch_1").set_value(int(newest)).run()
    at.checkbox(key="rollback_sure_1").check().run()
    at.button(key="rollback_go").click().run()
    assert_ok(at)
    assert any(f"Import {newest} är ångrad" in s.value for s in at.success)
    assert codelists.load().lists["kon"].values == current
