"""The problem report a partner gets back for a refused file, and safe upload names."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

from lagesbild.domain import config
from lagesbild.domain.problems import Problem
from lagesbild.intake.pipeline import check_file
from lagesbild.intake.problem_report import (
    PROBLEM_SHEET,
    neutralise,
    problem_workbook,
    report_file_name,
    safe_file_name,
)

HEADERS = ["Rapport-ID", "Datum", "Rapporttyp", "Område", "Form av extremism", "Händelsetyp",
           "Rapporterande verksamhet", "Kön", "Åldersgrupp", "Konsultationsforum"]
# A checksum-valid personnummer and other personal data.
PNR = "19800101-1231"
EMAIL = "kalle.k@example.se"


def luhn_ok(ten: str) -> bool:
    total = 0
    for i, ch in enumerate(ten):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


assert luhn_ok("8001011231")


def rows(count: int = 5) -> list[list[object]]:
    return [[f"SOC-2026-{i:05d}", dt.date(2026, 1, 1) + dt.timedelta(days=i), "Incident",
             "Centrum", "Högerextremism", "Propaganda", "Socialtjänst", "Man", "13–15", "Nej"]
            for i in range(1, count + 1)]


def xlsx_bytes(table: list[list[object]], title: list[list[object]] = ()) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Rapporter"
    for row in [*title, *table]:
        ws.append(row)
    wb.properties.creator = "Kalle Karlsson"
    ws["A1"].comment = openpyxl.comments.Comment(f"ring mig {EMAIL}", "Kalle")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(table: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(
        [[v.isoformat() if isinstance(v, dt.date) else v for v in row] for row in table])
    return out.getvalue().encode("utf-8")


def ods_bytes(table: list[list[object]]) -> bytes:
    doc = OpenDocumentSpreadsheet()
    sheet = Table(name="Blad1")
    for row in table:
        tr = TableRow()
        for value in row:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=value.isoformat() if isinstance(value, dt.date)
                              else str(value)))
            tr.addElement(cell)
        sheet.addElement(tr)
    doc.spreadsheet.addElement(sheet)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def checked_problems(data: bytes, name: str) -> list[Problem]:
    checked = check_file(data, name, None, config.settings().web_limits)
    assert not checked.accepted
    return checked.problems


def open_report(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def all_text(report: bytes) -> str:
    """Every member of the xlsx (sheets, shared strings, comments, properties) as text."""
    with zipfile.ZipFile(io.BytesIO(report)) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


def problem_rows(wb: openpyxl.Workbook) -> list[dict[str, object]]:
    ws = wb[PROBLEM_SHEET]
    header = [c.value for c in ws[3]]
    return [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=4, values_only=True)
            if any(v is not None for v in r)]


# -- personal data -----------------------------------------------------------------------------
def test_personal_data_is_blanked_in_the_copy_and_never_shown() -> None:
    table = [HEADERS, *rows()]
    table[3][9] = PNR  # row 3 of the data, column Konsultationsforum
    data = xlsx_bytes(table, title=[["Rapporter från socialtjänsten", f"Kontakt: {EMAIL}"]])
    problems = checked_problems(data, "soc.xlsx")
    assert {p.value for p in problems} == {None}
    report = problem_workbook(data, "soc.xlsx", problems)
    text = all_text(report)
    assert PNR not in text and PNR.replace("-", "") not in text
    assert EMAIL not in text and "Kalle Karlsson" not in text
    wb = open_report(report)
    assert wb.sheetnames == [PROBLEM_SHEET, "Rapporter"] and wb.active.title == PROBLEM_SHEET
    copy = wb["Rapporter"]
    assert copy["J5"].value is None and copy["B1"].value is None
    assert copy["J5"].fill.fgColor.rgb.endswith("FF9999")
    assert "personuppgift" in copy["J5"].comment.text.lower()
    assert "personnummer" in copy["J5"].comment.text
    assert copy["A4"].value == "SOC-2026-00002"  # everything else is kept
    listed = problem_rows(wb)
    assert [(r["Cell"], r["Rad"], r["Kolumn"], r["Värde"]) for r in listed] == [
        ("B1", 1, "B", None), ("J5", 5, "Konsultationsforum", None)]
    assert all(r["Så rättar du"] for r in listed)


def test_a_personal_value_is_not_shown_even_if_a_problem_carries_it() -> None:
    data = csv_bytes([HEADERS, *rows(2)])
    leaky = Problem("x.csv", "Okänt värde i Kön", "Rätta.", row=2, column="Kön", value=PNR)
    report = problem_workbook(data, "x.csv", [leaky])
    assert PNR not in all_text(report)
    assert problem_rows(open_report(report))[0]["Värde"] is None


# -- ordinary problems -------------------------------------------------------------------------
def test_problem_cells_are_highlighted_with_reason_and_fix() -> None:
    table = [HEADERS, *rows()]
    table[2][2] = "Kanske"  # Rapporttyp on Excel row 3
    table[4][4] = "Hgerextremism"  # Form av extremism on row 5
    data = xlsx_bytes(table)
    problems = checked_problems(data, "soc.xlsx")
    report = problem_workbook(data, "soc.xlsx", problems)
    wb = open_report(report)
    copy = wb["Rapporter"]
    assert copy["C3"].value == "Kanske" and copy["C3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "Okänt värde i Rapporttyp" in copy["C3"].comment.text
    assert "Incident" in copy["C3"].comment.text  # the fix lists the valid values
    assert copy["E5"].comment is not None and copy["D3"].comment is None
    assert copy["A1"].comment is None  # the partner's own comment is gone
    listed = problem_rows(wb)
    assert [(r["Blad"], r["Cell"], r["Rad"], r["Kolumn"], r["Värde"]) for r in listed] == [
        ("Rapporter", "C3", 3, "Rapporttyp", "Kanske"),
        ("Rapporter", "E5", 5, "Form av extremism", "Hgerextremism")]
    link = wb[PROBLEM_SHEET]["B4"].hyperlink
    assert link is not None and link.location == "'Rapporter'!C3"


def test_csv_is_copied_into_a_new_workbook() -> None:
    table = [HEADERS, *rows(3)]
    table[1][0] = ""  # Rapport-ID missing on record 2
    data = csv_bytes(table)
    problems = checked_problems(data, "polis.csv")
    wb = open_report(problem_workbook(data, "polis.csv", problems))
    copy = wb.worksheets[1]
    assert [c.value for c in copy[1]] == HEADERS
    assert copy["B3"].value == "2026-01-03"
    assert copy["A2"].comment is not None and "Rapport-ID" in copy["A2"].comment.text
    assert problem_rows(wb)[0]["Cell"] == "A2"


def test_ods_is_copied_into_a_new_workbook() -> None:
    table = [HEADERS, *rows(2)]
    table[2][7] = "Kvinnlig?"
    data = ods_bytes(table)
    problems = checked_problems(data, "region.ods")
    wb = open_report(problem_workbook(data, "region.ods", problems))
    assert wb.sheetnames == [PROBLEM_SHEET, "Blad1"]
    assert wb["Blad1"]["H3"].value == "Kvinnlig?" and wb["Blad1"]["H3"].comment is not None


# -- formula injection -------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x.example\",\"klicka\")", "+1+1",
                                  "-2+3", "@SUM(A1)"])
def test_formulas_are_neutralised(text: str) -> None:
    table = [HEADERS, *rows(2)]
    table[1][3] = text  # Område
    data = csv_bytes(table)
    problems = checked_problems(data, "f.csv")
    report = problem_workbook(data, "f.csv", problems)
    with zipfile.ZipFile(io.BytesIO(report)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert not any("<f>" in s or "<f " in s for s in sheets)  # no formula anywhere
    wb = open_report(report)
    assert problem_rows(wb)[0]["Värde"] == "'" + text
    assert wb.worksheets[1]["D2"].value == text and wb.worksheets[1]["D2"].data_type == "s"


def test_neutralise() -> None:
    assert neutralise("=1") == "'=1" and neutralise("Centrum") == "Centrum"
    assert neutralise(3) == 3 and neutralise(None) is None


# -- files that cannot be copied ---------------------------------------------------------------
def test_a_file_that_cannot_be_opened_gets_the_list_only() -> None:
    data = b"%PDF-1.4 not a spreadsheet"
    problems = checked_problems(data, "rapport.pdf")
    wb = open_report(problem_workbook(data, "rapport.pdf", problems))
    assert wb.sheetnames == [PROBLEM_SHEET]
    assert "bara listan" in wb[PROBLEM_SHEET]["A1"].value
    assert "inte ett kalkylark" in problem_rows(wb)[0]["Problem"]


def test_a_zip_bomb_is_never_unpacked() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 2**20))  # 1000 times packed
    data = out.getvalue()
    problem = Problem("bomb.xlsx", "Filen packas upp till orimligt mycket data", "Spara om.")
    wb = open_report(problem_workbook(data, "bomb.xlsx", [problem]))
    assert wb.sheetnames == [PROBLEM_SHEET]


def test_a_zip_bomb_whose_headers_lie_is_never_unpacked() -> None:
    from tests.helpers.files import zip_bomb

    data = zip_bomb(200, declared=2048)  # claims 2 kB, unpacks 200 MB
    problem = Problem("bomb.xlsx", "Filen packas upp till orimligt mycket data", "Spara om.")
    wb = open_report(problem_workbook(data, "bomb.xlsx", [problem]))
    assert wb.sheetnames == [PROBLEM_SHEET]


def test_many_problems_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    from lagesbild.intake import problem_report

    monkeypatch.setattr(problem_report, "MAX_LISTED", 3)
    problems = [Problem("a.csv", "Fel", "Rätta", row=i + 2, column="Kön") for i in range(5)]
    wb = open_report(problem_workbook(csv_bytes([HEADERS, *rows(5)]), "a.csv", problems))
    listed = problem_rows(wb)
    assert len(listed) == 4 and "2 problem till" in listed[-1]["Blad"]
    assert wb[PROBLEM_SHEET]["A1"].value.startswith("5 problem")


# -- file names --------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "safe"), [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\system32\\rapport.xlsx", "rapport.xlsx"),
    ("C:\\Users\\anna\\Rapporter Umeå 2026K3.xlsx", "Rapporter Umeå 2026K3.xlsx"),
    ("rapport\0.xlsx", "rapport.xlsx"),
    ("rap\x07port\r\n.csv", "rapport.csv"),
    ("<script>alert(1)</script>.xlsx", "script.xlsx"),
    ("<img src=x onerror=alert(1)>.csv", "img src_x onerror_alert(1).csv"),
    ("kvartal\u202egsm.xlsx", "kvartalgsm.xlsx"),  # right-to-left override removed
    ("..", "fil"), ("", "fil"), (None, "fil"), ("...xlsx", "xlsx"),
    (".hidden.csv", "hidden.csv"),
    ("CON.xlsx", "_CON.xlsx"),
    ("rapport;rm -rf ~.csv", "rapport_rm -rf.csv"),
])
def test_safe_file_name(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe


def test_long_names_keep_their_extension() -> None:
    name = safe_file_name("å" * 500 + ".xlsx")
    assert len(name) == 100 and name.endswith("å.xlsx")
    assert len(safe_file_name("x" * 300)) == 100
    assert safe_file_name("a" * 50 + ".csv", max_length=20) == "a" * 16 + ".csv"


def test_report_file_name() -> None:
    assert report_file_name("../Polis 2026K3.csv") == "problem_Polis 2026K3.xlsx"


def test_safe_names_are_safe_for_any_input() -> None:
    import random

    rng = random.Random(7)
    for _ in range(500):
        raw = "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(0, 80)))
        name = safe_file_name(raw)
        assert name and len(name) <= 100
        assert "/" not in name and "\\" not in name and "\0" not in name
        assert not name.startswith(".") and ".." not in name
        assert all(ch.isprintable() for ch in name)
        assert not set(name) & set("<>\"'&;:|*?$`")


def test_problem_sheet_is_written_for_file_level_problems(tmp_path: Path) -> None:
    data = csv_bytes([["Namn", "Ålder"], ["x", "3"]])
    problems = checked_problems(data, "konstig.csv")
    wb = open_report(problem_workbook(data, "konstig.csv", problems))
    assert "rubrikrad" in problem_rows(wb)[0]["Problem"].lower()
    assert len(wb.sheetnames) == 2
