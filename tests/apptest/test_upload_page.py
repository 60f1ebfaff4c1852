"""The upload page for issue 11 (AppTest, localhost mode: the analyst): every format the engine
reads, the partner of a file, the change preview and its confirmation, complete deliveries,
nil returns, withdrawing a report, the partner register, reassigning an import, a population
table as Excel, and a file named after a person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lagesbild.store import Store
from tests.helpers.apptest import APP, TIMEOUT, UPLOAD, assert_ok, texts
from tests.helpers.files import (
    HEADERS,
    make_partner_workbook,
    make_unicode_text,
    make_xlsx,
    school_rows,
    valid_personnummer,
)


def page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page(UPLOAD).run()
    assert_ok(at)
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "application/octet-stream")).run()
    assert_ok(at)
    return at


def confirm(at: AppTest) -> AppTest:
    at.button(key="bekrafta_import").click().run()
    assert_ok(at)
    return at


def reports(db: Path) -> list[tuple]:
    store = Store.open(db)
    try:
        return store.cursor().execute(
            "SELECT partner, rapport_id, kvartal FROM reports ORDER BY ALL").fetchall()
    finally:
        store.close()


def add_partner(at: AppTest, name: str, sector: str | None = None) -> AppTest:
    """Add a partner through the register's form on the page."""
    at.selectbox(key="partner_val").set_value("Ny partner").run()
    next(t for t in at.text_input if t.label == "Namn").set_value(name)
    if sector:
        next(s for s in at.selectbox if s.label == "Verksamhet").set_value(sector)
    next(b for b in at.button if b.label == "Spara partnern").click().run()
    assert_ok(at)
    assert any(f"Partnern {name} är sparad" in s.value for s in at.success), texts(at)
    return at


def sender(at: AppTest):  # noqa: ANN201 - AppTest's selectbox
    return next(s for s in at.selectbox if s.label == "Avsändare (partner)")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_every_format_the_engine_reads_is_offered_and_read(demo_db: Path, tmp_path: Path):
    at = page()
    for uploader in at.file_uploader:
        assert {".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt"} <= set(
            uploader.allowed_type), uploader.allowed_type
    rows = [HEADERS, *school_rows(3, sector="Polis")]
    xlsm = make_partner_workbook({"Rapporter": rows}, tmp_path / "polis.xlsm", macro=True)
    upload(at, "polis.xlsm", xlsm.read_bytes())
    assert metrics(at)["Nya"] == "3"
    txt = make_unicode_text(rows, tmp_path / "polis.txt")  # Excel's "Unicode text"
    upload(at, "polis.txt", txt.read_bytes())
    assert metrics(at)["Nya"] == "3", texts(at)


def test_two_schools_are_told_apart_by_the_partner_chosen_for_the_file(demo_db: Path,
                                                                       tmp_path: Path):
    at = page()
    for name in ("Ersboda skola", "Ålidhems skola"):  # the register, on the page
        add_partner(at, name, "Grundskola")
    upload(at, "ersboda.xlsx", make_xlsx([HEADERS, *school_rows(4)],
                                         tmp_path / "e.xlsx").read_bytes())
    assert any("Flera partner har verksamheten Grundskola" in str(v)
               for v in at.dataframe[0].value["Problem"])
    sender(at).set_value("Ersboda skola").run()
    assert_ok(at)
    assert metrics(at)["Nya"] == "4"
    confirm(at)
    upload(at, "alidhem.xlsx", make_xlsx([HEADERS, *school_rows(4, seed=7)],
                                         tmp_path / "a.xlsx").read_bytes())
    sender(at).set_value("Ålidhems skola").run()
    assert metrics(at)["Nya"] == "4" and metrics(at)["Ändrade"] == "0"
    confirm(at)
    assert len(reports(demo_db)) == 8


def test_many_changes_are_listed_and_must_be_confirmed(demo_db: Path, tmp_path: Path):
    at = page()
    upload(at, "k2.xlsx", make_xlsx([HEADERS, *school_rows(8, quarter=2, sector="Polis")],
                                    tmp_path / "k2.xlsx").read_bytes())
    confirm(at)
    restarted = make_xlsx([HEADERS, *school_rows(6, quarter=3, sector="Polis", seed=1)],
                          tmp_path / "k3.xlsx")
    upload(at, "k3.xlsx", restarted.read_bytes())
    assert any("6 flyttas till ett annat kvartal" in w.value for w in at.warning)
    changes = at.dataframe[0].value
    assert list(changes.columns) == ["Partner", "Rapport-ID", "Fält", "Från", "Till"]
    assert {"Datum", "Område"} <= set(changes["Fält"])
    assert not [b for b in at.button if b.key == "bekrafta_import"]  # not before the box
    assert [q for *_, q in reports(demo_db)].count("2026K2") == 8
    at.checkbox(key="bekrafta_andringar_1_1").check().run()
    confirm(at)
    assert any("6 ändrade" in s.value for s in at.success)
    assert [q for *_, q in reports(demo_db)].count("2026K3") == 6


def test_a_complete_delivery_withdraws_on_the_page(demo_db: Path, tmp_path: Path):
    at = page()
    rows = school_rows(4, sector="Polis")
    upload(at, "a.xlsx", make_xlsx([HEADERS, *rows], tmp_path / "a.xlsx").read_bytes())
    confirm(at)
    upload(at, "b.xlsx", make_xlsx([HEADERS, *rows[:3]], tmp_path / "b.xlsx").read_bytes())
    at.checkbox(key="ersatt_1").check().run()
    assert metrics(at)["Återkallas"] == "1"
    confirm(at)
    assert any("1 återkallade" in s.value for s in at.success)
    assert len(reports(demo_db)) == 3


def test_nil_return_and_withdrawal_on_the_page(demo_db: Path, tmp_path: Path):
    at = page()
    upload(at, "a.xlsx", make_xlsx([HEADERS, *school_rows(2, sector="Polis")],
                                   tmp_path / "a.xlsx").read_bytes())
    confirm(at)
    at.selectbox(key="inga_rapporter_partner").set_value("Socialtjänst").run()
    at.selectbox(key="inga_rapporter_kvartal").set_value("2026K3").run()
    at.button(key="inga_rapporter_go").click().run()
    assert_ok(at)
    assert any("Socialtjänst: inga rapporter 2026K3" in s.value for s in at.success)
    at.selectbox(key="inga_rapporter_partner").set_value("Polis").run()
    at.button(key="inga_rapporter_go").click().run()
    assert any("har redan 2 rapporter för 2026K3" in e.value for e in at.error)
    at.selectbox(key="aterkalla_partner").set_value("Polis").run()
    go = at.button(key="aterkalla_go")
    assert go.disabled
    at.checkbox(key="aterkalla_saker").check().run()
    at.button(key="aterkalla_go").click().run()
    assert_ok(at)
    assert any("är återkallad" in s.value for s in at.success)
    assert len(reports(demo_db)) == 1


def test_reassigning_an_import_on_the_page(demo_db: Path, tmp_path: Path):
    at = page()
    upload(at, "a.xlsx", make_xlsx([HEADERS, *school_rows(3)], tmp_path / "a.xlsx")
           .read_bytes())
    confirm(at)
    add_partner(at, "Ersboda skola", "Grundskola")
    at.selectbox(key="flytta_partner").set_value("Ersboda skola").run()
    at.checkbox(key="flytta_saker").check().run()
    at.button(key="flytta_go").click().run()
    assert_ok(at)
    assert any("tillhör nu Ersboda skola" in s.value for s in at.success)
    assert {p for p, *_ in reports(demo_db)} == {"Ersboda skola"}


def test_a_population_table_as_excel_on_the_page(demo_db: Path, tmp_path: Path):
    at = page()
    path = make_xlsx([["regsokod", "ar", "befolkning"], ["2480R001", dt.date.today().year, 1600]],
                     tmp_path / "befolkning.xlsx")
    at.file_uploader(key="befolkning_0").set_value(
        ("befolkning.xlsx", path.read_bytes(), "application/octet-stream")).run()
    at.button(key="befolkning_go").click().run()
    assert_ok(at)
    assert any("Befolkningstabellen `befolkning.xlsx` är importerad" in s.value
               for s in at.success)


def test_a_file_named_after_a_person_is_refused_and_its_name_never_shown(demo_db: Path,
                                                                         tmp_path: Path):
    at = page()
    number = valid_personnummer(dt.date(1979, 11, 2), 417)
    path = make_xlsx([HEADERS, *school_rows(2)], tmp_path / "a.xlsx")
    upload(at, f"elev {number}.xlsx", path.read_bytes())
    assert any("personuppgifter" in e.value for e in at.error)
    shown = texts(at)
    assert "namn-med-personuppgift.xlsx" in shown
    assert number not in shown and number[-4:] not in shown
    assert not [b for b in at.button if b.key == "bekrafta_import"]
