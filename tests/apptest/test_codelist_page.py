"""The upload page replaces a code list (AppTest, localhost mode: the analyst)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lagesbild.domain import codelists, config
from tests.helpers.apptest import APP, TIMEOUT, UPLOAD, assert_ok

SOURCE = Path(__file__).resolve().parents[2] / "data" / "kodlistor"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "kodlistor"
    shutil.copytree(SOURCE, copy)
    yield copy
    codelists.load.cache_clear()


def with_row(folder: Path, row: str, name: str = "former") -> bytes:
    current = (folder / f"{name}.csv").read_text("utf-8-sig")
    return (current.rstrip("\n") + "\n" + row + "\n").encode("utf-8")


def test_the_upload_page_replaces_a_code_list(demo_db: Path, folder: Path,
                                              monkeypatch: pytest.MonkeyPatch):
    """localhost mode (the analyst): choose, download, upload, preview, confirm, history."""
    monkeypatch.setattr(config, "CODELIST_DIR", folder)
    codelists.load.cache_clear()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page(UPLOAD).run()
    assert_ok(at)
    at.selectbox(key="kodlista_namn").set_value("kon").run()
    assert any(b.proto.label == "Ladda ned nuvarande kodlista"
               for b in at.get("download_button"))
    data = with_row(folder, "Övrigt,,2026K1,,,Annat kön.", "kon")
    at.file_uploader(key="kodlista_0").set_value(("kon.csv", data, "text/csv")).run()
    assert_ok(at)
    assert {m.label: m.value for m in at.metric}["Nya värden"] == "1"
    at.button(key="kodlista_go").click().run()
    assert_ok(at)
    assert any("Kodlistan kon är ersatt" in s.value for s in at.success)
    assert "Övrigt" in codelists.load(folder).lists["kon"].values
    history = at.dataframe[0].value
    assert (history["Typ"] == "Kodlista kon").any()
