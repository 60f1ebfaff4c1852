"""Issue 11: each finding, reproduced with files as partners really write them (made by code).

Every test here failed on the intake before the issue was fixed: reports silently overwritten
or counted twice, sheets silently ignored, personal numbers let through, a zip bomb unpacked,
no way to deliver a quarter without reports, reference data that broke the report path's
promises, and the smaller holes (invisible characters, "17 år", decorated headers, totals
rows, unsaved formulas, areas of other municipalities, hidden rows).
"""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc
from pathlib import Path

import pytest

from lagesbild.domain import codelists
from lagesbild.domain.config import ImportLimits
from lagesbild.intake import privacy
from lagesbild.intake.pipeline import check_file, import_file
from lagesbild.intake.population import import_population
from lagesbild.numbers.coverage import coverage, missing_partners
from lagesbild.numbers.query import Filters
from lagesbild.store import Store, audit
from tests.helpers.files import (
    HEADERS,
    decomposed,
    make_csv,
    make_partner_workbook,
    make_xlsx,
    school_rows,
    valid_personnummer,
    zip_bomb,
)

LIMITS = ImportLimits()
TODAY = dt.date(2026, 11, 24)


def imported(store: Store, path: Path, **options):
    return import_file(path, path.name, store, LIMITS, "anna", today=TODAY, **options)


def reports(store: Store) -> list[tuple]:
    return store.cursor().execute(
        "SELECT partner, rapport_id, kvartal FROM reports ORDER BY ALL").fetchall()


def messages(checked) -> str:
    return "\n".join(p.message() for p in checked.problems)


def add(store: Store, name: str, sector: str, numbering: str = "löpande", **more) -> None:
    from lagesbild.intake.partners_edit import save_partner

    checked, receipt = save_partner(store, name, sector, numbering, by="anna", **more)
    assert receipt is not None, messages(checked)


# -- 1. reports silently overwritten -------------------------------------------------------------
def test_two_schools_with_the_same_numbers_are_eight_reports(store: Store, tmp_path: Path):
    add(store, "Ersboda skola", "Grundskola")
    add(store, "Ålidhems skola", "Grundskola")
    a = make_xlsx([HEADERS, *school_rows(4, seed=0)], tmp_path / "ersboda.xlsx")
    b = make_xlsx([HEADERS, *school_rows(4, seed=7)], tmp_path / "alidhem.xlsx")
    first, _ = imported(store, a, partner="Ersboda skola")
    second, receipt = imported(store, b, partner="Ålidhems skola")
    assert first.accepted and second.accepted, messages(second)
    assert (receipt.rows_new, receipt.rows_changed) == (4, 0)
    assert store.report_count() == 8
    assert {p for p, *_ in reports(store)} == {"Ersboda skola", "Ålidhems skola"}


def test_a_sector_with_several_partners_asks_who_sent_the_file(store: Store, tmp_path: Path):
    add(store, "Ersboda skola", "Grundskola")  # beside the default partner "Grundskola"
    path = make_xlsx([HEADERS, *school_rows(4)], tmp_path / "skola.xlsx")
    checked, receipt = imported(store, path)
    assert not checked.accepted and receipt is None and store.report_count() == 0
    (problem,) = checked.problems
    assert "Flera partner har verksamheten Grundskola" in problem.reason
    assert "Ersboda skola" in problem.reason and "Ange avsändare" in problem.fix
    assert "--partner" in problem.fix and problem.row == 2


def test_an_unregistered_second_school_does_not_silently_overwrite_the_first(
        store: Store, tmp_path: Path):
    """Nobody has registered the schools: both files import as the default partner
    "Grundskola" – the second would replace the first's reports, and says so."""
    a = make_xlsx([HEADERS, *school_rows(4, seed=0)], tmp_path / "a.xlsx")
    b = make_xlsx([HEADERS, *school_rows(4, seed=7)], tmp_path / "b.xlsx")
    imported(store, a)
    checked, receipt = imported(store, b)
    assert checked.accepted and receipt is None, "stored without confirmation"
    assert checked.needs_confirmation and checked.different == 4
    assert "4 befintliga rader" in checked.warning()
    assert "numreringen verkar ha börjat om" in checked.warning().lower()
    assert store.report_count() == 4
    log = audit.entries(store)
    assert (log["outcome"] == audit.NEKAD).any()


def test_numbering_that_restarts_each_quarter_keeps_both_quarters(store: Store,
                                                                  tmp_path: Path):
    add(store, "Polisen Umeå", "Polis", "per-kvartal")
    k2 = make_xlsx([["Nr", *HEADERS[1:]], *school_rows(8, quarter=2, prefix="", sector="Polis",
                                                       width=1)], tmp_path / "k2.xlsx")
    k3 = make_xlsx([["Löpnummer", *HEADERS[1:]], *school_rows(2, quarter=3, prefix="",
                                                              sector="Polis", width=1)],
                   tmp_path / "k3.xlsx")
    imported(store, k2, partner="Polisen Umeå")
    checked, receipt = imported(store, k3, partner="Polisen Umeå")
    assert (receipt.rows_new, receipt.rows_changed) == (2, 0), messages(checked)
    by_quarter = [q for *_, q in reports(store)]
    assert by_quarter.count("2026K2") == 8 and by_quarter.count("2026K3") == 2


def test_a_restart_under_running_numbering_is_shown_as_moving_reports(store: Store,
                                                                      tmp_path: Path):
    """The partner is registered as numbering running (löpande) but restarted: the receipt
    used to say "nya 0, ändrade 6" and K3 took K2's reports. Now nothing is stored until the
    analyst confirms, and the warning says how many move to another quarter."""
    k2 = make_xlsx([HEADERS, *school_rows(8, quarter=2, sector="Polis")], tmp_path / "k2.xlsx")
    k3 = make_xlsx([HEADERS, *school_rows(6, quarter=3, sector="Polis", seed=1)],
                   tmp_path / "k3.xlsx")
    imported(store, k2)
    checked, receipt = imported(store, k3)
    assert receipt is None and checked.needs_confirmation
    assert checked.counts["changed"] == 6 and checked.moved == 6
    assert "6 flyttas till ett annat kvartal" in checked.warning()
    assert [q for *_, q in reports(store)].count("2026K2") == 8
    _, receipt = imported(store, k3, confirmed=True)
    assert receipt is not None and receipt.rows_changed == 6


def test_a_corrected_sector_is_the_same_report(store: Store, tmp_path: Path):
    add(store, "Fritidsgården Gammlia", "Fritidsgård")
    rows = school_rows(3, sector="Fritidsgård")
    imported(store, make_xlsx([HEADERS, *rows], tmp_path / "v1.xlsx"),
             partner="Fritidsgården Gammlia")
    rows[0][6] = "Socialtjänst"  # the sector was wrong in the first delivery
    checked, receipt = imported(store, make_xlsx([HEADERS, *rows], tmp_path / "v2.xlsx"),
                                partner="Fritidsgården Gammlia")
    assert (receipt.rows_new, receipt.rows_changed) == (0, 1)
    assert store.report_count() == 3
    assert [c.field for c in checked.changes] == ["Rapporterande verksamhet"]


def test_an_id_typed_with_decomposed_letters_is_the_same_report(store: Store, tmp_path: Path):
    rows = school_rows(2, prefix="Skå-")
    imported(store, make_xlsx([HEADERS, *rows], tmp_path / "a.xlsx"))
    rows[0][0] = " " + decomposed(rows[0][0]) + "\u200b"
    assert rows[0][0].strip() != "Skå-001"
    checked, receipt = imported(store, make_csv([HEADERS, *rows], tmp_path / "mac.csv"))
    assert checked.accepted, messages(checked)
    assert (receipt.rows_new, receipt.rows_unchanged) == (0, 2)
    assert store.report_count() == 2 and ("Grundskola", "Skå-001", "2026K3") in reports(store)


# -- 2. a sheet silently ignored ------------------------------------------------------------------
def test_every_quarter_sheet_of_a_workbook_is_read(store: Store, tmp_path: Path):
    path = make_partner_workbook({
        "K1": [HEADERS, *school_rows(2, quarter=1, prefix="K1-")],
        "K2": [HEADERS, *school_rows(3, quarter=2, prefix="K2-")],
        "K3": [HEADERS, *school_rows(1, quarter=3, prefix="K3-")],
        "Anteckningar": [["Inget här"]]}, tmp_path / "helar.xlsx")
    checked, receipt = imported(store, path)
    assert receipt.rows_new == 6 and store.report_count() == 6
    assert checked.sheets_read == ["K1", "K2", "K3"]
    assert checked.sheets_not_read == [("Anteckningar", "har ingen rubrikrad")]
    assert "Anteckningar (har ingen rubrikrad)" in store.batches()[0]["sheets_not_read"]


def test_an_incomplete_pivot_placed_first_is_passed_over(store: Store, tmp_path: Path):
    pivot = [["Område", "Form av extremism", "Händelsetyp", "Antal"],
             ["Centrum", "Högerextremism", "Propaganda", 3]]
    path = make_partner_workbook({"Pivot": pivot, "Data": [HEADERS, *school_rows(3)]},
                                 tmp_path / "med_pivot.xlsx")
    checked, receipt = imported(store, path)
    assert checked.accepted, messages(checked)
    assert receipt.rows_new == 3
    assert checked.sheets_not_read == [("Pivot", "saknar obligatoriska kolumner")]


def test_a_hidden_copy_of_the_reports_is_named_not_read(store: Store, tmp_path: Path):
    path = make_partner_workbook({"K3": [HEADERS, *school_rows(3)],
                                  "Gammal": [HEADERS, *school_rows(3, seed=4)]},
                                 tmp_path / "med_dolt.xlsx", hidden_sheets=["Gammal"])
    checked, receipt = imported(store, path)
    assert receipt.rows_new == 3 and checked.sheets_read == ["K3"]
    assert checked.sheets_not_read == [("Gammal", "är dolt (visa bladet om det ska läsas)")]


def test_the_same_report_on_two_sheets_with_other_content_is_refused(store: Store,
                                                                     tmp_path: Path):
    one, two = school_rows(1), school_rows(1, seed=3)
    path = make_partner_workbook({"K3": [HEADERS, *one], "Kopia": [HEADERS, *two]},
                                 tmp_path / "dubbel.xlsx")
    checked, _ = imported(store, path)
    (problem,) = checked.problems
    assert "rad 2 på bladet K3" in problem.reason and problem.sheet == "Kopia"


# -- 3. personal identity numbers with a space or an en dash ---------------------------------------
@pytest.mark.parametrize("number", [
    "19791102 4177", "090314–2388", valid_personnummer(dt.date(1979, 11, 2), 417, style="12"),
])
@pytest.mark.parametrize("where", ["comment", "id"])
def test_personal_numbers_typed_with_a_space_or_dash_are_refused(
        store: Store, tmp_path: Path, number: str, where: str):
    digits = number.replace(" ", "").replace("–", "")
    assert privacy._valid_pnr(digits[:2] if len(digits) == 12 else None, digits[-10:-4],
                              digits[-4:]), "the test needs a valid number"
    rows = school_rows(2)
    if where == "id":
        rows[1][0] = number
        header = HEADERS
    else:
        rows = [[*r, ""] for r in rows]
        rows[1][-1] = f"Eleven {number}"
        header = [*HEADERS, "Kommentar"]
    checked, receipt = imported(store, make_xlsx([header, *rows], tmp_path / "f.xlsx"))
    assert not checked.accepted and receipt is None and store.report_count() == 0
    (problem,) = checked.problems
    assert "personnummer" in problem.reason and problem.row == 3
    assert digits[-4:] not in messages(checked)
    if where == "id":
        assert "Byt format på id:t" in problem.fix
    stored = " ".join(str(r) for r in store.cursor().execute(
        "SELECT * FROM report_versions").fetchall())
    assert digits[-4:] not in stored


# -- 4. a personal identity number in the file name ------------------------------------------------
def test_a_personal_number_in_the_file_name_is_never_stored_or_shown(store: Store,
                                                                     tmp_path: Path,
                                                                     capsys):
    from lagesbild.cli import main

    number = valid_personnummer(dt.date(1979, 11, 2), 417)  # 19791102-NNNN
    path = make_xlsx([HEADERS, *school_rows(2)], tmp_path / f"elev_{number}.xlsx")
    checked, receipt = imported(store, path)
    assert not checked.accepted and receipt is None
    assert checked.file_name == "namn-med-personuppgift.xlsx"
    assert "Filnamnet" in checked.problems[0].reason
    db = tmp_path / "cli.duckdb"
    assert main(["import", str(path), "--db", str(db)]) == 1
    out = capsys.readouterr()
    cli_store = Store.open(db)
    everything = " ".join([out.out, out.err, messages(checked), *(
        str(r) for s in (store, cli_store) for table in ("batches", "audit_log")
        for r in s.cursor().execute(f"SELECT * FROM {table}").fetchall())])
    cli_store.close()
    assert number[-4:] not in everything and number[:8] not in everything
    assert "namn-med-personuppgift.xlsx" in out.out


def test_a_personal_number_as_a_sheet_name_refuses_the_file(store: Store, tmp_path: Path):
    number = valid_personnummer(dt.date(1990, 2, 3), 456, style="10-")
    path = make_partner_workbook({number: [HEADERS, *school_rows(2)]}, tmp_path / "a.xlsx")
    checked, _ = imported(store, path)
    (problem,) = checked.problems
    assert "Bladets namn" in problem.reason and problem.sheet == "nr 1"
    assert number[-4:] not in messages(checked) and store.report_count() == 0


# -- 5. the zip-bomb guard trusts the sizes a zip header declares ----------------------------------
def test_a_zip_whose_headers_lie_is_refused_on_the_real_bytes() -> None:
    data = zip_bomb(300, declared=2048)  # claims 2 kB, unpacks 300 MB
    assert len(data) < 400_000
    tracemalloc.start()
    start = time.perf_counter()
    checked = check_file(data, "liten.xlsx", None, LIMITS)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert not checked.accepted and "zip-bomb" in checked.problems[0].reason
    assert elapsed < 5 and peak < 64 * 2**20, (elapsed, peak)


def test_the_total_unpacked_limit_counts_real_bytes() -> None:
    data = zip_bomb(40, declared=2048)  # 40 MB: more than 5 MB allowed in all
    checked = check_file(data, "f.xlsx", None, ImportLimits(max_uncompressed_bytes=5 * 2**20))
    assert "för stort uppackat" in checked.problems[0].reason


# -- 6. true zeros ---------------------------------------------------------------------------------
def test_a_nil_return_is_a_delivery_of_zero(store: Store, tmp_path: Path):
    from lagesbild.intake.deliveries import register_nil

    imported(store, make_xlsx([HEADERS, *school_rows(3, quarter=2, sector="Polis")],
                              tmp_path / "k2.xlsx"))
    assert missing_partners(store, "2026K3") == ["Polis"]
    checked, receipt = register_nil(store, "Polis", "2026K3", "anna", TODAY)
    assert checked.accepted and receipt.batch_id, messages(checked)
    assert missing_partners(store, "2026K3") == []
    table = coverage(store, Filters("2026K2", "2026K3"))
    k3 = table[(table["verksamhet"] == "Polis") & (table["kvartal"] == "2026K3")].iloc[0]
    assert (k3["levererat"], k3["status"], k3["antal"]) == (True, "levererat", 0)


def test_a_nil_return_needs_a_quarter_without_reports_and_later_reports_replace_it(
        store: Store, tmp_path: Path):
    from lagesbild.intake.deliveries import register_nil

    imported(store, make_xlsx([HEADERS, *school_rows(2, sector="Polis")], tmp_path / "k3.xlsx"))
    checked, receipt = register_nil(store, "Polis", "2026K3", "anna", TODAY)
    assert receipt is None and "har redan 2 rapporter för 2026K3" in checked.problems[0].reason
    register_nil(store, "Polis", "2026K2", "anna", TODAY)
    assert store.cursor().execute("SELECT count(*) FROM nil_returns").fetchone()[0] == 1
    _, late = imported(store, make_xlsx([HEADERS, *school_rows(1, quarter=2, sector="Polis",
                                                                prefix="sen-")],
                                        tmp_path / "sen.xlsx"))
    assert store.cursor().execute("SELECT count(*) FROM nil_returns").fetchone()[0] == 0
    store.rollback(late.batch_id, "anna")  # the nil return comes back with the rollback
    assert store.cursor().execute("SELECT partner, kvartal FROM nil_returns").fetchall() == [
        ("Polis", "2026K2")]


# -- 7. reference data break the report path's promises --------------------------------------------
def test_a_population_table_as_xlsx_is_imported(store: Store, tmp_path: Path):
    path = make_xlsx([["regsokod", "ar", "befolkning"], ["2480R001", 2025, 1508],
                      ["2480R002", 2025, 2321]], tmp_path / "befolkning.xlsx")
    result = import_population(store, path.read_bytes(), path.name, "anna")
    assert result.accepted and result.rows == 2, result.problems
    figures = store.current_population()
    assert figures["befolkning"].tolist() == [1508, 2321]
    store.rollback(result.batch_id, "anna")
    assert store.current_population().empty


def test_rolling_back_a_code_list_restores_it(store: Store, capsys):
    from lagesbild.cli import main
    from lagesbild.intake.codelists import csv_bytes, import_codelist

    before = csv_bytes("kon")
    more = before + "Övrigt,,,,,Annat kön.\n".encode()
    result = import_codelist(store, more, "kon.csv", "kon", "a")
    assert result.accepted and "Övrigt" in codelists.load().lists["kon"].values
    store.close()
    assert main(["rollback", str(result.batch_id), "--db", str(store.path)]) == 0
    assert "återställd" in capsys.readouterr().out
    again = Store.open(store.path)
    try:
        assert "Övrigt" not in codelists.load().lists["kon"].values
        assert csv_bytes("kon") == before
    finally:
        again.close()


# -- 8. smaller ones -------------------------------------------------------------------------------
def test_invisible_characters_do_not_make_a_code_unknown(store: Store, tmp_path: Path):
    rows = school_rows(2, sector="Polis")
    rows[0][6] = "Po\u200blis"  # a zero-width space, pasted from Teams
    rows[1][4] = "Höger\u00adextremism"  # a soft hyphen, from Word
    checked, receipt = imported(store, make_xlsx([HEADERS, *rows], tmp_path / "f.xlsx"))
    assert checked.accepted, messages(checked)
    assert store.cursor().execute("SELECT DISTINCT verksamhet FROM reports").fetchall() == [
        ("Polis",)]


@pytest.mark.parametrize(("age", "band"), [("17 år", "16–17"), ("17år", "16–17"),
                                           ("40 ÅR", "40+"), (" 8 år", "0–12")])
def test_ages_in_whole_years_with_the_word_years(store: Store, tmp_path: Path, age, band):
    rows = school_rows(1)
    rows[0][8] = age
    imported(store, make_xlsx([HEADERS, *rows], tmp_path / "f.xlsx"))
    assert store.cursor().execute("SELECT aldersgrupp FROM reports").fetchall() == [(band,)]


def test_an_approximate_age_is_refused_with_a_fix(store: Store, tmp_path: Path):
    rows = school_rows(1)
    rows[0][8] = "ca 30"
    checked, _ = imported(store, make_xlsx([HEADERS, *rows], tmp_path / "f.xlsx"))
    (problem,) = checked.problems
    assert problem.reason == "Åldern är inte exakt" and "hela år" in problem.fix


def test_decorated_headers_and_a_totals_row_are_understood(store: Store, tmp_path: Path):
    header = [f"{h} *" if i < 7 else f"{h} (frivillig)" for i, h in enumerate(HEADERS)]
    header[1] = "Datum (obligatorisk)"
    rows = [header, *school_rows(3), ["Totalt antal", 3]]
    checked, receipt = imported(store, make_xlsx(rows, tmp_path / "f.xlsx"))
    assert checked.accepted, messages(checked)
    assert receipt.rows_new == 3
    rows[-1] = ["Summa:", 3]
    assert check_file(make_xlsx(rows, tmp_path / "g.xlsx"), "g.xlsx", None, LIMITS,
                      today=TODAY).accepted


def test_a_formula_without_a_saved_value_gets_its_own_message(store: Store, tmp_path: Path):
    rows = school_rows(2)
    rows[1][1] = None
    path = make_partner_workbook({"Rapporter": [HEADERS, *rows]}, tmp_path / "f.xlsx",
                                 formulas={"Rapporter": {"B3": "=TODAY()-3"}})
    checked, _ = imported(store, path)
    (problem,) = checked.problems
    assert problem.reason == "Cellen har en formel utan sparat värde"
    assert "spara den" in problem.fix and (problem.row, problem.column) == (3, "Datum")


@pytest.mark.parametrize("code", ["2460R001", "2460r001"])
def test_an_area_of_another_municipality_is_never_matched_to_umea(store: Store,
                                                                  tmp_path: Path, code):
    rows = school_rows(1)
    rows[0][3] = code  # Vännäs
    checked, _ = imported(store, make_xlsx([HEADERS, *rows], tmp_path / "f.xlsx"))
    (problem,) = checked.problems
    assert "annan kommun" in problem.reason and "Utanför kommunen" in problem.fix
    assert "Menade du" not in problem.fix


def test_a_report_id_that_looks_like_a_phone_number_is_reformatted_not_removed(
        store: Store, tmp_path: Path):
    rows = school_rows(1)
    rows[0][0] = "0701234567"
    checked, _ = imported(store, make_xlsx([HEADERS, *rows], tmp_path / "f.xlsx"))
    (problem,) = checked.problems
    assert "telefonnummer" in problem.reason and "Byt format på id:t" in problem.fix
    assert "Ta bort personuppgiften" not in problem.fix


def test_rows_hidden_by_an_autofilter_are_imported_and_counted(store: Store, tmp_path: Path):
    path = make_partner_workbook({"Rapporter": [HEADERS, *school_rows(5)]}, tmp_path / "f.xlsx",
                                 hidden_rows={"Rapporter": [3, 5]}, autofilter=True)
    checked, receipt = imported(store, path)
    assert receipt.rows_new == 5 and checked.hidden_rows == 2 and receipt.rows_hidden == 2
    assert store.batches()[0]["rows_hidden"] == 2
