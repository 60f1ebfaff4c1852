"""Row validation: code lists, aliases, dates, ages, duplicates; messages in Swedish."""

from __future__ import annotations

import datetime as dt

import pytest

from lagesbild.domain import codelists
from lagesbild.intake.reading import Sheet
from lagesbild.intake.validate import parse_date, validate_sheet

HEADERS = ["Rapport-ID", "Datum", "Rapporttyp", "Område", "Form av extremism", "Händelsetyp",
           "Rapporterande verksamhet", "Kön", "Ålder", "Konsultationsforum", "Kommentar"]
FIELDS = ["rapport_id", "datum", "rapporttyp", "omrade", "form", "handelse", "verksamhet",
          "kon", "aldersgrupp", "konsultation", None]
TODAY = dt.date(2026, 11, 24)


def row(**changes) -> list:
    base = dict(zip(FIELDS[:-1], ["R-1", dt.datetime(2026, 7, 3), "Incident", "Centrum",
                                  "Högerextremism", "Propaganda", "Polis", "", "", ""],
                    strict=True))
    base.update(changes)
    return [base[f] for f in FIELDS[:-1]] + ["fritext som aldrig lagras"]


def sheet(*rows: list) -> Sheet:
    return Sheet("q3.xlsx", "Rapporter", 3, HEADERS, FIELDS, list(rows),
                 list(range(4, 4 + len(rows))))


def check(*rows: list):
    return validate_sheet(sheet(*rows), codelists.load(), today=TODAY)


def test_valid_rows_become_canonical_reports() -> None:
    result = check(
        row(),
        row(rapport_id=17.0, datum="2026-08-01 14:30", rapporttyp=" oro ", omrade="2480R003",
            form="vit makt", handelse="KLOTTER", verksamhet="Soc", kon="flicka", aldersgrupp=14,
            konsultation="ja"),
        row(rapport_id="R-3", datum="20260915", omrade="Berghem södra", aldersgrupp="16-17",
            form="Konspirationsteoretisk/antistatlig"),
    )
    assert result.problems == []
    got = result.reports.to_pylist()
    assert got[0] | {} == {
        "partner": "Polis", "rapport_id": "R-1", "datum": dt.date(2026, 7, 3),
        "rapporttyp": "Incident", "omrade": "Centrum", "regso": None, "form": "Högerextremism",
        "handelse": "Propaganda", "verksamhet": "Polis", "kon": "Okänt",
        "aldersgrupp": "Okänd", "konsultation": "Nej"}
    second = got[1]
    assert (second["rapport_id"], second["datum"], second["rapporttyp"]) == (
        "17", dt.date(2026, 8, 1), "Oro")
    assert (second["omrade"], second["regso"]) == ("Universitetsområdet", "2480R003")
    assert (second["form"], second["handelse"], second["verksamhet"]) == (
        "Högerextremism", "Skadegörelse", "Socialtjänst")
    assert (second["kon"], second["aldersgrupp"], second["konsultation"]) == (
        "Kvinna", "13–15", "Ja")
    assert (got[2]["omrade"], got[2]["regso"], got[2]["aldersgrupp"]) == (
        "Haga", "2480R002", "16–17")


def test_exact_ages_are_banded_and_never_kept() -> None:
    ages = [0, 12, 13, 14, 17, 18, 24, 25, 33, 40, 97, 5]
    result = check(*[row(rapport_id=f"R-{i}", aldersgrupp=a) for i, a in enumerate(ages)])
    bands = result.reports.column("aldersgrupp").to_pylist()
    assert bands == ["0–12", "0–12", "13–15", "13–15", "16–17", "18–24", "18–24", "25–39",
                     "25–39", "40+", "40+", "0–12"]
    stored = result.reports.to_pandas().drop(columns=["datum"]).to_csv()
    assert not any(str(a) in stored for a in (97, 33, 14))
    assert "fritext" not in stored


def test_every_problem_is_reported_at_once_with_row_column_and_fix() -> None:
    result = check(
        row(omrade="Ålidhemm"),
        row(rapport_id="", datum="3 juli"),
        row(datum=dt.datetime(2027, 1, 5), form="Vitmakt-ish"),
        row(datum="1999-12-31", aldersgrupp=150),
    )
    by_where = {(p.row, p.column): p for p in result.problems}
    assert set(by_where) == {(4, "Område"), (5, "Rapport-ID"), (5, "Datum"), (6, "Datum"),
                             (6, "Form av extremism"), (7, "Datum"), (7, "Ålder")}
    area = by_where[(4, "Område")]
    assert area.value == "Ålidhemm" and 'Menade du "Ålidhem"?' in area.fix
    assert area.file == "q3.xlsx" and area.sheet == "Rapporter"
    assert "framtiden" in by_where[(6, "Datum")].reason
    assert "före år 2000" in by_where[(7, "Datum")].reason
    assert "ÅÅÅÅ-MM-DD" in by_where[(5, "Datum")].fix
    assert "inte rimlig" in by_where[(7, "Ålder")].reason
    assert len(result.reports) == 0
    message = area.message()
    assert "q3.xlsx" in message and "rad 4" in message and "kolumn Område" in message


def test_identical_repeat_is_a_duplicate_but_conflicting_repeat_is_refused() -> None:
    result = check(row(), row(), row(rapport_id="R-2"))
    assert result.problems == [] and result.duplicates == 1 and len(result.reports) == 2
    result = check(row(), row(form="Annan"))
    (problem,) = result.problems
    assert problem.row == 5 and "rad 4" in problem.reason and problem.column == "Rapport-ID"


@pytest.mark.parametrize("cell, expected", [
    (dt.datetime(2026, 7, 3, 0, 0), dt.date(2026, 7, 3)),
    (dt.date(2026, 7, 3), dt.date(2026, 7, 3)),
    ("2026-07-03", dt.date(2026, 7, 3)),
    ("2026-07-03 14:30", dt.date(2026, 7, 3)),
    ("2026-07-03T14:30:00", dt.date(2026, 7, 3)),
    ("20260703", dt.date(2026, 7, 3)),
    (20260703.0, dt.date(2026, 7, 3)),
    ("2026-02-30", None),
    ("03/07/2026", None),
])
def test_dates(cell, expected) -> None:
    assert parse_date(cell) == expected


# -- files read into Arrow columns --------------------------------------------------------


def read_file(path, monkeypatch: pytest.MonkeyPatch | None = None):
    from lagesbild.domain.config import ImportLimits
    from lagesbild.intake.reading import read_sheet
    from tests.helpers.files import count_typed_reads

    # the import itself must never need the typed cells again
    reads = count_typed_reads(monkeypatch) if monkeypatch is not None else []
    sheet = read_sheet(path, path.name, codelists.load(), ImportLimits())
    before = len(reads)
    result = validate_sheet(sheet, codelists.load(), today=TODAY)
    assert len(reads) == before, "the file was read a second time"
    return result


def test_a_read_workbook_with_date_number_and_boolean_cells(
    tmp_path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.helpers.files import make_xlsx

    rows = [HEADERS,
            row(rapport_id=17, aldersgrupp=14.0, konsultation=True),
            row(rapport_id=18.0, datum=dt.datetime(2026, 7, 4, 9, 15), aldersgrupp=40,
                konsultation=False, kon="Pojke"),
            row(rapport_id="R-3", datum=20260705, aldersgrupp="16-17")]
    result = read_file(make_xlsx(rows, tmp_path / "typer.xlsx"), monkeypatch)
    assert result.problems == []
    got = result.reports.select(["rapport_id", "datum", "kon", "aldersgrupp",
                                 "konsultation"]).to_pylist()
    assert [tuple(r.values()) for r in got] == [
        ("17", dt.date(2026, 7, 3), "Okänt", "13–15", "Ja"),
        ("18", dt.date(2026, 7, 4), "Man", "40+", "Nej"),
        ("R-3", dt.date(2026, 7, 5), "Okänt", "16–17", "Nej")]
    assert result.reports.schema.field("datum").type == "date32[day]"


def test_excel_errors_and_booleans_get_their_own_messages(tmp_path) -> None:
    from tests.helpers.files import make_xlsx

    rows = [HEADERS, row(datum="#N/A"), row(rapport_id="#REF!", kon="#N/A"),
            row(rapport_id="R-3", datum=True, form=False)]
    result = read_file(make_xlsx(rows, tmp_path / "fel.xlsx"))
    found = [(p.row, p.column, p.value, p.reason) for p in result.problems]
    assert found == [
        (3, "Rapport-ID", "#REF!", "Cellen innehåller ett fel från Excel (#REF!)"),
        (2, "Datum", "#N/A", "Cellen innehåller ett fel från Excel (#N/A)"),
        (4, "Datum", "SANT", "Datumet går inte att tolka"),
        (4, "Form av extremism", "FALSKT", "Okänt värde i Form av extremism"),
        (3, "Kön", "#N/A", "Cellen innehåller ett fel från Excel (#N/A)"),
    ]
    assert all("formel" in p.fix for p in result.problems if "Excel" in p.reason)
    assert len(result.reports) == 0


def test_many_distinct_date_times_are_parsed_by_their_day() -> None:
    start = dt.datetime(2026, 1, 1, 8, 0)
    cells = [(start + dt.timedelta(minutes=97 * i)).isoformat(" ") for i in range(2500)]
    cells[7] = "2026-02-30 10:00"
    cells[8] = " 2026-3-4T10:00:05.5 "
    cells[9] = "2027-01-01 00:00:01"
    cells[10] = "20260304"
    result = check(*[row(rapport_id=f"R-{i}", datum=c) for i, c in enumerate(cells)])
    assert [(p.row, p.reason) for p in result.problems] == [
        (11, "Datumet går inte att tolka"), (13, "Datumet ligger i framtiden")]
    checker = validate_sheet(sheet(*[row(rapport_id=f"R-{i}", datum=c)
                                     for i, c in enumerate(cells) if i not in (7, 9)]),
                             codelists.load(), today=TODAY)
    assert checker.problems == []
    kept = [c for i, c in enumerate(cells) if i not in (7, 9)]
    assert checker.reports.column("datum").to_pylist() == [parse_date(c) for c in kept]
