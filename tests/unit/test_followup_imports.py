"""Importing trainings and activity-plan files: same reading, privacy guard, validation,
provenance and rollback as report files; and their Excel templates."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from lagesbild.domain.config import ImportLimits
from lagesbild.domain.contracts import ACTIVITY, TRAINING, contract
from lagesbild.intake.followup.imports import check_followup_file, describe, import_followup_file
from lagesbild.intake.followup.templates import CODELIST_SHEET, DATA_SHEET, build_workbook
from lagesbild.store import Store

LIMITS = ImportLimits()
TODAY = dt.date(2026, 11, 24)
TRAINING_HEADERS = ["Insats-ID", "Datum", "Typ", "Tema", "Målgrupp", "Antal deltagare",
                    "Varav kvinnor", "Varav män"]
ACTIVITY_HEADERS = ["Aktivitets-ID", "Aktivitet", "Mål", "Område i handlingsplanen",
                    "Ansvarig enhet", "Start (kvartal)", "Klart (kvartal)", "Status"]


def xlsx(headers: list[str], rows: list[list[object]], title: list[object] | None = None) \
        -> bytes:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append(title)
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


GOOD_TRAININGS = [
    ["2026-01", dt.date(2026, 2, 10), "Utbildning", "Högerextremism", "Grundskola", 25, 15, 10],
    ["2026-02", "2026-03-05", "föreläsning", "samtalsmetod", "Soc", 12, None, None],
    ["2026-03", dt.date(2026, 8, 20), "Studiebesök", "Digital radikalisering", "Polisen", 6,
     2, 4],
]


def imported(store: Store, kind: str, data: bytes, name: str = "fil.xlsx", by: str = "anna"):
    return import_followup_file(kind, data, name, store, LIMITS, by, today=TODAY)


def current_trainings(store: Store) -> list[tuple]:
    return store.cursor().execute(
        "SELECT insats_id, typ, tema, malgrupp, antal_deltagare, varav_kvinnor, kvartal "
        "FROM trainings ORDER BY insats_id").fetchall()


# -- trainings ----------------------------------------------------------------------------------
def test_good_trainings_file_with_aliases_is_imported_with_provenance(store: Store) -> None:
    checked, receipt = imported(store, TRAINING, xlsx(TRAINING_HEADERS, GOOD_TRAININGS))
    assert checked.accepted, [p.message() for p in checked.problems]
    assert receipt.batch_id == 1 and receipt.rows_new == 3
    assert current_trainings(store) == [
        ("2026-01", "Utbildning", "Högerextremism", "Grundskola", 25, 15, "2026K1"),
        ("2026-02", "Utbildning", "Samtalsmetodik", "Socialtjänst", 12, None, "2026K1"),
        ("2026-03", "Studiebesök", "Digital radikalisering", "Polis", 6, 2, "2026K3"),
    ]
    batch = store.batches()[0]
    assert (batch["kind"], batch["imported_by"], batch["file_name"]) == (
        "utbildningar", "anna", "fil.xlsx")
    assert len(batch["sha256"]) == 64 and batch["period_from"] == dt.date(2026, 2, 10)
    assert "importerad som import 1" in describe(checked, receipt)
    audit = store.cursor().execute("SELECT action, outcome FROM audit_log").fetchall()
    assert audit == [("import utbildningsinsatser", "ok")]


def test_same_trainings_file_twice_is_already_imported(store: Store) -> None:
    data = xlsx(TRAINING_HEADERS, GOOD_TRAININGS)
    imported(store, TRAINING, data)
    checked, receipt = imported(store, TRAINING, data)
    assert checked.already_imported and receipt.already_imported and receipt.batch_id is None
    assert "redan importerad" in describe(checked, receipt)
    assert len(store.batches()) == 1


def test_bad_codes_and_numbers_give_located_swedish_problems(store: Store) -> None:
    rows = [
        ["2026-01", dt.date(2026, 2, 10), "Utbildning", "Något om extremism i allmänhet",
         "Grundskola", 25, None, None],
        ["2026-02", dt.date(2026, 2, 11), "Kurs", "Högerextremism", "Grunskola", "tjugo",
         None, None],
        ["2026-03", dt.date(2027, 1, 1), "Utbildning", "Högerextremism", "Polis", 10, 8, 5],
    ]
    checked, receipt = imported(store, TRAINING, xlsx(TRAINING_HEADERS, rows))
    assert not checked.accepted and receipt is None
    found = {(p.row, p.column, p.reason) for p in checked.problems}
    assert (2, "Tema", "Okänt värde i Tema") in found
    assert (3, "Målgrupp", "Okänt värde i Målgrupp") in found
    assert (3, "Antal deltagare", "Antal deltagare är inte ett heltal") in found
    assert (4, "Datum", "Datumet ligger i framtiden") in found
    assert (4, "Varav män", "Varav kvinnor och varav män är fler än antalet deltagare") in found
    theme = next(p for p in checked.problems if p.column == "Tema")
    assert "inte fritext" in theme.fix and "Samtalsmetodik" in theme.fix
    assert theme.value == "Något om extremism i allmänhet" and theme.file == "fil.xlsx"
    sector = next(p for p in checked.problems if p.column == "Målgrupp")
    assert 'Menade du "Grundskola"?' in sector.fix
    assert store.batches() == []
    assert store.cursor().execute("SELECT action, outcome FROM audit_log").fetchall() == [
        ("import utbildningsinsatser", "nekad")]


def test_personal_data_refuses_the_file_without_repeating_it(store: Store) -> None:
    rows = [GOOD_TRAININGS[0], ["2026-02", dt.date(2026, 3, 1), "Utbildning",
                                "Högerextremism", "Polis", 10, None, "070-123 45 67"]]
    checked, _ = imported(store, TRAINING, xlsx(TRAINING_HEADERS, rows,
                                                 title=["Kontakt: anna@umea.se"]))
    assert not checked.accepted
    assert {(p.row, p.reason.split(" ")[-1]) for p in checked.problems} == {
        (1, "e-postadress"), (4, "telefonnummer")}
    assert all(p.value is None for p in checked.problems)
    assert "070" not in " ".join(p.message() for p in checked.problems)
    assert store.batches() == []


def test_rollback_of_a_trainings_import_restores_the_previous_state(store: Store) -> None:
    imported(store, TRAINING, xlsx(TRAINING_HEADERS, GOOD_TRAININGS[:2]))
    before = current_trainings(store)
    corrected = [[*GOOD_TRAININGS[0][:5], 30, 18, 12], GOOD_TRAININGS[2]]
    _, receipt = imported(store, TRAINING, xlsx(TRAINING_HEADERS, corrected), "rättad.xlsx")
    assert (receipt.rows_new, receipt.rows_changed) == (1, 1)
    assert current_trainings(store) != before
    assert store.rollback(receipt.batch_id, by="bo") == 2
    assert current_trainings(store) == before


def test_conflicting_and_identical_repeats(store: Store) -> None:
    rows = [GOOD_TRAININGS[0], GOOD_TRAININGS[0], [*GOOD_TRAININGS[0][:5], 99, None, None]]
    checked = check_followup_file(TRAINING, xlsx(TRAINING_HEADERS, rows), "f.xlsx", store,
                                  LIMITS, TODAY)
    assert [(p.row, p.reason) for p in checked.problems] == [
        (4, "Samma Insats-ID finns redan på rad 2 med annat innehåll")]
    checked = check_followup_file(TRAINING, xlsx(TRAINING_HEADERS, rows[:2]), "f.xlsx", store,
                                  LIMITS, TODAY)
    assert checked.accepted and checked.duplicates == 1 and len(checked.rows) == 1


def test_a_report_file_offered_as_trainings_is_recognised(store: Store) -> None:
    report = xlsx(["Rapport-ID", "Datum", "Rapporttyp", "Område", "Form av extremism",
                   "Händelsetyp", "Rapporterande verksamhet"],
                  [["1", dt.date(2026, 1, 2), "Oro", "Centrum", "Högerextremism",
                    "Oro för individ", "Polis"]])
    checked = check_followup_file(TRAINING, report, "polis.xlsx", store, LIMITS, TODAY)
    assert [p.reason for p in checked.problems] == ["Hittar ingen rubrikrad i filen"]
    assert "ser ut att vara en rapportfil" in checked.problems[0].fix
    assert "mall_utbildningsinsatser.xlsx" in checked.problems[0].fix


def test_missing_required_column_is_named(store: Store) -> None:
    data = xlsx([h for h in TRAINING_HEADERS if h != "Tema"],
                [[r for i, r in enumerate(GOOD_TRAININGS[0]) if i != 3]])
    checked = check_followup_file(TRAINING, data, "f.xlsx", store, LIMITS, TODAY)
    assert [p.reason for p in checked.problems] == ["Kolumnen ”Tema” saknas"]


# -- activity plan ------------------------------------------------------------------------------
GOOD_PLAN = [
    ["A-01", "Grundutbildning för skolpersonal", "All elevhälsa utbildad", "Utbildning",
     "UmeBrå", "2025K1", "2025K4", "pågående"],
    ["A-02", "Rutin för orosrapporter", "Alla partner rapporterar", "Lägesbild",
     "Socialtjänsten", "2025 K2", "2026Q1", "Klar"],
]


def test_good_activity_plan_is_imported_and_rolled_back(store: Store) -> None:
    plan = xlsx(ACTIVITY_HEADERS, GOOD_PLAN)  # one file (openpyxl stamps each save's time)
    checked, receipt = imported(store, ACTIVITY, plan)
    assert checked.accepted, [p.message() for p in checked.problems]
    rows = store.cursor().execute(
        "SELECT aktivitet_id, omrade, ansvarig, start_kvartal, klart_kvartal, status, "
        "borttagen FROM activities ORDER BY 1").fetchall()
    assert rows == [
        ("A-01", "Utbildning och metodutveckling", "UmeBrå", "2025K1", "2025K4", "Pågår",
         False),
        ("A-02", "Lägesbild och omvärldsbevakning", "Socialtjänst", "2025K2", "2026K1",
         "Klar", False)]
    assert store.batches()[0]["kind"] == "aktivitetsplan"
    again = imported(store, ACTIVITY, plan)[1]
    assert again.already_imported
    store.rollback(receipt.batch_id, by="x")
    assert store.cursor().execute("SELECT count(*) FROM activities").fetchone()[0] == 0


def test_activity_owner_must_be_a_unit_and_quarters_valid(store: Store) -> None:
    rows = [["A-01", "Utbildning", "Mål", "Utbildning", "Anna Andersson", "2025K3",
             "2025K1", "Klar"],
            ["A-02", "Utbildning", "Mål", "Utbildning", "UmeBrå", "våren", "2026K1",
             "Kanske"]]
    checked = check_followup_file(ACTIVITY, xlsx(ACTIVITY_HEADERS, rows), "plan.xlsx", store,
                                  LIMITS, TODAY)
    found = {(p.row, p.column, p.reason) for p in checked.problems}
    assert found == {
        (2, "Ansvarig enhet", "Okänt värde i Ansvarig enhet"),
        (2, "Klart (kvartal)", "Klart-kvartalet ligger före startkvartalet"),
        (3, "Start (kvartal)", "Kvartalet går inte att tolka"),
        (3, "Status", "Okänt värde i Status"),
    }
    owner = next(p for p in checked.problems if p.column == "Ansvarig enhet")
    assert "aldrig en persons namn" in owner.fix


# -- templates ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "headers"), [(TRAINING, TRAINING_HEADERS),
                                                (ACTIVITY, ACTIVITY_HEADERS)])
def test_template_headers_and_drop_downs(kind: str, headers: list[str]) -> None:
    wb = build_workbook(kind)
    assert wb.sheetnames == [DATA_SHEET[kind], "Instruktioner", CODELIST_SHEET]
    ws = wb[DATA_SHEET[kind]]
    assert [c.value for c in ws[1]] == headers
    assert ws.max_row == 1  # no example rows
    lists = wb[CODELIST_SHEET]
    assert lists.sheet_state == "hidden" and lists.protection.sheet
    spec = contract(kind)
    by_column = {str(dv.sqref).split(":")[0].rstrip("0123456789"): dv
                 for dv in ws.data_validations.dataValidation}
    for j, name in enumerate(spec.fields):
        letter = chr(ord("A") + j)
        dv = by_column[letter]
        if name in spec.coded_fields():
            assert dv.type == "list" and dv.formula1.startswith("'Kodlistor'!$")
            column = dv.formula1.split("!$")[1].split("$")[0]
            values = [c.value for c in lists[column][1:] if c.value is not None]
            assert values == spec.codelist(name).values
    text = " ".join(str(c.value) for row in wb["Instruktioner"].iter_rows() for c in row
                    if c.value)
    assert "personnummer" in text


def test_trainings_template_round_trip(store: Store) -> None:
    wb = build_workbook(TRAINING)
    ws = wb[DATA_SHEET[TRAINING]]
    ws.append(["2026-09", dt.date(2026, 9, 1), "Konferens", "Övrigt", "Polis", 40, 20, 20])
    buffer = io.BytesIO()
    wb.save(buffer)
    checked, receipt = imported(store, TRAINING, buffer.getvalue())
    assert checked.accepted and receipt.rows_new == 1


def test_filled_activity_plan_template_can_be_imported_again(store: Store) -> None:
    from lagesbild.intake.followup.templates import template_bytes

    imported(store, ACTIVITY, xlsx(ACTIVITY_HEADERS, GOOD_PLAN))
    rows = store.cursor().execute("SELECT * EXCLUDE (batch_id) FROM activities").df()
    data = template_bytes(ACTIVITY, rows.to_dict("records"))
    ws = load_workbook(io.BytesIO(data))[DATA_SHEET[ACTIVITY]]
    assert ws.max_row == 3 and ws["A2"].value == "A-01"
    checked = check_followup_file(ACTIVITY, data, "plan.xlsx", store, LIMITS, TODAY)
    assert checked.accepted and checked.counts == {"new": 0, "changed": 0, "unchanged": 2}
