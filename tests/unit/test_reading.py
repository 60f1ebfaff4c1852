"""Reading messy partner files: formats, header search, blank and totals rows, refusals."""

from __future__ import annotations

import datetime as dt
import random
import time
import zipfile
from pathlib import Path

import pytest

from lagesbild.domain import codelists
from lagesbild.domain.config import ImportLimits
from lagesbild.domain.problems import FileRefused, Problem
from lagesbild.intake.reading import Sheet, column_letter, read_sheet
from tests.helpers.files import (
    HEADERS,
    encrypted_workbook,
    make_csv,
    make_fast_xlsx,
    make_ods,
    make_workbook,
    make_xls,
    make_xlsx,
    ole2_file,
    pdf_bytes,
    png_bytes,
    report_rows,
    truncated,
    zip_bomb,
)

LISTS = codelists.load()
LIMITS = ImportLimits()

MESSY_HEADER = [" OMRADE", "Rapport-ID", "datum", "Typ", "Form", "Händelse",
                "Rapporterande verksamhet ", "Kommentar"]
TITLE = [["Rapporter till lägesbilden"], [None, "Socialtjänsten, kvartal 1"], []]
ROW_A = ["Centrum", "SOC-1", dt.date(2026, 3, 2), "Incident", "Nazism", "Hot", "Skola", "ok"]
ROW_B = ["Teg", "SOC-2", dt.date(2026, 3, 5), "Oro", "Incel", "Oro", "Polis", None]
MESSY = [MESSY_HEADER, ROW_A, [], ROW_B, ["Summa", 2]]
FIELDS = ["omrade", "rapport_id", "datum", "rapporttyp", "form", "handelse", "verksamhet", None]


def read(source: Path | bytes, name: str | None = None, limits: ImportLimits = LIMITS) -> Sheet:
    if name is None:
        name = source.name if isinstance(source, Path) else "fil.xlsx"
    return read_sheet(source, name, LISTS, limits)


def refused(source: Path | bytes, name: str, limits: ImportLimits = LIMITS) -> list[Problem]:
    """The problems of a refused file, after checking each names the file and says a fix."""
    with pytest.raises(FileRefused) as caught:
        read_sheet(source, name, LISTS, limits)
    problems = caught.value.problems
    assert problems
    for problem in problems:
        assert problem.file == name and name in problem.message()
        assert problem.reason and problem.fix
    return problems


def text_of(problems: list[Problem]) -> str:
    return " | ".join(p.message() for p in problems)


# -- good files ---------------------------------------------------------------------------


def test_messy_xlsx(tmp_path: Path) -> None:
    path = make_workbook({"Rapporter": [*TITLE, *MESSY], "Diagram": [HEADERS, ["x"]]},
                         tmp_path / "messy.xlsx")
    sheet = read(path)
    assert sheet.file_name == "messy.xlsx" and sheet.sheet_name == "Rapporter"
    assert sheet.header_row == 4
    assert sheet.headers == [h.strip() for h in MESSY_HEADER]
    assert sheet.fields == FIELDS
    assert sheet.row_numbers == [5, 7]  # the blank row 6 and the Summa row 8 are left out
    assert sheet.rows[0] == ROW_A
    assert sheet.rows[1] == ROW_B
    assert type(sheet.rows[0][2]) is dt.date
    assert (1, 0, "Rapporter till lägesbilden") in sheet.other_cells
    assert (2, 1, "Socialtjänsten, kvartal 1") in sheet.other_cells
    assert (8, 0, "Summa") in sheet.other_cells  # the totals row is still scanned


def test_same_table_from_bytes_and_path(tmp_path: Path) -> None:
    path = make_xlsx(MESSY, tmp_path / "a.xlsx", title_rows=TITLE)
    assert read(path) == read(path.read_bytes(), "a.xlsx")


def test_first_sheet_without_header_is_skipped(tmp_path: Path) -> None:
    path = make_workbook({"Instruktioner": [["Så fyller du i"], ["Datum", "Område"]],
                          "Data": [["Rubrik"], *MESSY]}, tmp_path / "two.xlsx")
    sheet = read(path)
    assert sheet.sheet_name == "Data" and sheet.header_row == 2
    assert sheet.row_numbers == [3, 5]


def test_visible_sheets_come_before_hidden_ones(tmp_path: Path) -> None:
    import openpyxl

    path = make_workbook({"Listor": [HEADERS], "Rapporter": MESSY}, tmp_path / "h.xlsx")
    book = openpyxl.load_workbook(path)
    book["Listor"].sheet_state = "hidden"
    book.save(path)
    assert read(path).sheet_name == "Rapporter"


def test_csv_with_an_unreadable_record(tmp_path: Path) -> None:
    path = tmp_path / "lang.csv"
    path.write_text(";".join(MESSY_HEADER) + "\n" + '"' + "x" * 200_000 + '"\n', "utf-8")
    problems = refused(path, "lang.csv")
    assert problems[0].reason == "Filen går inte att läsa som CSV" and problems[0].row == 2


def test_datetime_cells_stay_datetimes(tmp_path: Path) -> None:
    moment = dt.datetime(2026, 3, 2, 14, 30)
    path = make_xlsx([MESSY_HEADER, [*ROW_A[:2], moment, *ROW_A[3:]]], tmp_path / "t.xlsx")
    assert read(path).rows[0][2] == moment


def test_ods(tmp_path: Path) -> None:
    sheet = read(make_ods(MESSY, tmp_path / "libre.ods", title_rows=TITLE))
    assert sheet.sheet_name == "Rapporter" and sheet.header_row == 4
    assert sheet.fields == FIELDS
    assert sheet.row_numbers == [5, 7]
    assert sheet.rows[0] == ROW_A and type(sheet.rows[0][2]) is dt.date


def test_xls(tmp_path: Path) -> None:
    rows = [["Rapport från Ålidhem"], MESSY_HEADER, ["Centrum", "SOC-1", "2026-03-02", "Incident",
            "Nazism", "Hot", "Skola", 42], [None], ["Summa", 1]]
    sheet = read(make_xls(rows, tmp_path / "gammal.xls"))
    assert sheet.sheet_name == "Rapporter" and sheet.header_row == 2
    assert sheet.fields == FIELDS
    assert sheet.row_numbers == [3]
    assert sheet.rows[0][:3] == ["Centrum", "SOC-1", "2026-03-02"] and sheet.rows[0][7] == 42
    assert (1, 0, "Rapport från Ålidhem") in sheet.other_cells


def test_real_format_wins_over_the_name(tmp_path: Path) -> None:
    data = make_xlsx(MESSY, tmp_path / "a.xlsx").read_bytes()
    assert read(data, "rapporter.csv").fields == FIELDS


@pytest.mark.parametrize(("encoding", "delimiter"), [
    ("cp1252", ";"), ("utf-8-sig", ","), ("utf-8", "\t"), ("utf-8", ";"), ("utf-16", "\t"),
])
def test_csv(tmp_path: Path, encoding: str, delimiter: str) -> None:
    rows = [["Rapport från Ålidhem"], *MESSY]
    rows[2] = [*ROW_A[:-1], 'Citat "så här"; med, avgränsare']
    sheet = read(make_csv(rows, tmp_path / "r.csv", encoding, delimiter))
    assert sheet.sheet_name is None and sheet.header_row == 2
    assert sheet.fields == FIELDS
    assert sheet.row_numbers == [3, 5]
    assert sheet.rows[0][0] == "Centrum" and sheet.rows[0][2] == "2026-03-02"
    assert sheet.rows[0][4] == "Nazism" and sheet.rows[0][7] == 'Citat "så här"; med, avgränsare'
    assert sheet.rows[1][7] is None  # empty stays empty
    assert (1, 0, "Rapport från Ålidhem") in sheet.other_cells
    assert all(isinstance(v, str) for row in sheet.rows for v in row if v is not None)


def test_csv_quoted_newline_counts_as_one_record(tmp_path: Path) -> None:
    rows = [MESSY_HEADER, [*ROW_A[:-1], "rad ett\nrad två"], ROW_B]
    sheet = read(make_csv(rows, tmp_path / "n.csv"))
    assert sheet.row_numbers == [2, 3] and sheet.rows[0][7] == "rad ett\nrad två"


def test_rows_are_padded_and_cells_beyond_the_header_kept_for_the_guard(tmp_path: Path) -> None:
    short = ROW_A[:3]
    wide = [*ROW_B, None, "utanför"]
    only_outside = [None] * 9 + ["bara här"]
    path = make_xlsx([MESSY_HEADER, short, wide, only_outside], tmp_path / "w.xlsx")
    sheet = read(path)
    assert sheet.rows == [[*short, *[None] * 5], ROW_B]
    assert all(len(row) == len(sheet.headers) for row in sheet.rows)
    assert (3, 9, "utanför") in sheet.other_cells
    assert (4, 9, "bara här") in sheet.other_cells


def test_whitespace_rows_are_blank_and_only_a_trailing_totals_row_goes(tmp_path: Path) -> None:
    rows = [MESSY_HEADER, ["Totalt", *ROW_A[1:]], ["  ", None, " "], ROW_B,
            [None, "TOTALT:", 2], [None, None]]
    sheet = read(make_xlsx(rows, tmp_path / "t.xlsx"))
    assert sheet.row_numbers == [2, 4]


def test_unknown_headers_are_kept_but_not_imported(tmp_path: Path) -> None:
    header = [*MESSY_HEADER[:3], None, "Namn", *MESSY_HEADER[3:]]
    sheet = read(make_xlsx([header, [*ROW_A[:3], None, "x", *ROW_A[3:]]], tmp_path / "u.xlsx"))
    assert sheet.headers[3:5] == ["", "Namn"]
    assert sheet.fields[3:5] == [None, None]
    assert sheet.rows[0][4] == "x"


def test_best_header_row_in_the_first_20_rows(tmp_path: Path) -> None:
    title = [[f"Rad {i}"] for i in range(15)] + [["Datum", "Område", "Typ"]]  # a weaker match
    sheet = read(make_xlsx([*title, *MESSY], tmp_path / "l.xlsx"))
    assert sheet.header_row == 17


def test_column_letters() -> None:
    assert [column_letter(j) for j in (0, 2, 25, 26, 27, 701, 702)] == [
        "A", "C", "Z", "AA", "AB", "ZZ", "AAA"]


# -- refused files ------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "tom.xlsx"
    empty.write_bytes(b"")
    assert "tom" in refused(empty, "tom.xlsx")[0].reason
    assert "tom" in refused(b"", "tom.csv")[0].reason


def test_missing_file(tmp_path: Path) -> None:
    assert "öppna" in refused(tmp_path / "finns-inte.xlsx", "finns-inte.xlsx")[0].reason


@pytest.mark.parametrize(("data", "what"), [
    (pdf_bytes(), "PDF"), (png_bytes(), "bild"), (b"MZ\x90\x00\x03" + bytes(200), "program"),
    (random.Random(7).randbytes(4096), "kalkylark"),
])
def test_not_a_spreadsheet(data: bytes, what: str) -> None:
    problems = refused(data, "rapport.xlsx")
    assert problems[0].reason.startswith("Filen är inte ett kalkylark")
    assert what in problems[0].reason
    assert ".xlsx" in problems[0].fix


def test_html_saved_as_xls() -> None:
    problems = refused(b"<html><body><table><tr><td>Datum</td></tr></table></body></html>",
                       "export.xls")
    assert "webbsida" in problems[0].reason and "Spara som" in problems[0].fix


def test_other_zip_files(tmp_path: Path) -> None:
    docx = tmp_path / "brev.xlsx"
    with zipfile.ZipFile(docx, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w/>")
    assert "Word" in refused(docx, "brev.xlsx")[0].reason
    plain = tmp_path / "arkiv.xlsx"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("a.txt", "hej")
    assert "inte ett kalkylark" in refused(plain, "arkiv.xlsx")[0].reason


@pytest.mark.parametrize("maker", ["xlsx", "ods"])
def test_truncated_workbook(tmp_path: Path, maker: str) -> None:
    rows = [MESSY_HEADER, *[[*ROW_A[:1], f"ID-{i}", *ROW_A[2:]] for i in range(300)]]
    path = (make_xlsx(rows, tmp_path / "a.xlsx") if maker == "xlsx"
            else make_ods(rows, tmp_path / "a.ods"))
    problems = refused(truncated(path.read_bytes()), f"halv.{maker}")
    assert problems[0].reason == "Filen är skadad eller ofullständig"
    assert "spara den på nytt" in problems[0].fix


def test_corrupt_member_of_a_whole_zip(tmp_path: Path) -> None:
    data = bytearray(make_xlsx(MESSY, tmp_path / "a.xlsx").read_bytes())
    start = data.find(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    data[start:start + 40] = b"\xff" * 40  # garbage in the packed worksheet
    assert "skadad" in refused(bytes(data), "trasig.xlsx")[0].reason


def test_old_office_files(tmp_path: Path) -> None:
    word = ole2_file({"WordDocument": b"\xec\xa5" + bytes(100)})
    assert "Word" in refused(word, "brev.xls")[0].reason
    junk = ole2_file({"Workbook": b"\x01\x02" * 50})
    assert "skadad" in refused(junk, "trasig.xls")[0].reason
    xls = make_xls(MESSY, tmp_path / "a.xls").read_bytes()
    assert "skadad" in refused(truncated(xls), "halv.xls")[0].reason


def test_password_protected_workbook() -> None:
    problems = refused(encrypted_workbook(), "hemlig.xlsx")
    assert problems[0].reason.startswith("Arbetsboken är lösenordsskyddad")
    assert "lösenordet" in problems[0].fix


def test_zip_bomb_is_refused_from_the_directory_alone() -> None:
    data = zip_bomb(50)  # 50 MB of zeros packed into about 50 kB
    start = time.perf_counter()
    problems = refused(data, "bomb.xlsx")
    assert time.perf_counter() - start < 1
    assert "zip-bomb" in problems[0].reason


def test_a_gigabyte_unpacked_is_over_the_default_limit() -> None:
    data = zip_bomb(1100)  # 1.1 GB unpacked from about 1 MB
    start = time.perf_counter()
    problems = refused(data, "stor.xlsx")
    assert time.perf_counter() - start < 1
    assert "för stort uppackat" in problems[0].reason
    assert "1000,0 MB" in problems[0].fix


def test_unpacked_limit_is_configurable(tmp_path: Path) -> None:
    path = make_fast_xlsx([HEADERS, *report_rows(3000)], tmp_path / "a.xlsx")
    refused(path, "a.xlsx", ImportLimits(max_uncompressed_bytes=100_000))
    assert len(read(path).rows) == 3000


def test_too_large_file(tmp_path: Path) -> None:
    path = make_xlsx(MESSY, tmp_path / "a.xlsx")
    small = ImportLimits(max_bytes=1000)
    for source in (path, path.read_bytes()):
        problems = refused(source, "a.xlsx", small)
        assert "för stor" in problems[0].reason and "Dela upp" in problems[0].fix


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_row_limit(tmp_path: Path, kind: str) -> None:
    rows = [MESSY_HEADER, *[ROW_A] * 5, [], [None]]
    make = make_xlsx if kind == "xlsx" else make_csv
    ok = make(rows, tmp_path / f"ok.{kind}")
    assert len(read(ok, limits=ImportLimits(max_rows=5)).rows) == 5
    over = make([*rows, ROW_B], tmp_path / f"over.{kind}")
    problems = refused(over, f"over.{kind}", ImportLimits(max_rows=5))
    assert "fler än 5 rader" in problems[0].reason


@pytest.mark.parametrize("kind", ["xlsx", "csv", "ods"])
def test_no_header_row(tmp_path: Path, kind: str) -> None:
    rows = [["Händelser"], ["a", "b", "c"], ["Centrum", "2026-01-01", "Hot"]]
    make = {"xlsx": make_xlsx, "csv": make_csv, "ods": make_ods}[kind]
    problems = refused(make(rows, tmp_path / f"x.{kind}"), f"x.{kind}")
    assert problems[0].reason == "Hittar ingen rubrikrad i filen"
    for name in LISTS.required():
        assert LISTS.header(name) in problems[0].fix


def test_header_below_row_20_is_not_found(tmp_path: Path) -> None:
    path = make_xlsx([*[[f"Rad {i}"] for i in range(20)], *MESSY], tmp_path / "djup.xlsx")
    assert refused(path, "djup.xlsx")[0].reason == "Hittar ingen rubrikrad i filen"


def test_three_matches_without_a_required_field_is_no_header(tmp_path: Path) -> None:
    path = make_xlsx([["Kön", "Ålder", "Konsultation"], ["Man", "13–15", "Nej"]],
                     tmp_path / "x.xlsx")
    assert refused(path, "x.xlsx")[0].reason == "Hittar ingen rubrikrad i filen"


def test_missing_required_columns_named_with_aliases(tmp_path: Path) -> None:
    header = [h for h in MESSY_HEADER if h.strip() not in ("datum", "Händelse")]
    problems = refused(make_xlsx([header, ["x"] * len(header)], tmp_path / "m.xlsx"), "m.xlsx")
    assert [p.reason for p in problems] == ["Kolumnen ”Datum” saknas",
                                            "Kolumnen ”Händelsetyp” saknas"]
    assert "Händelsedatum" in problems[0].fix and "rad 1" in problems[0].fix
    assert "Typ av händelse" in problems[1].fix
    assert problems[0].sheet == "Rapporter" and problems[0].row == 1


def test_duplicated_column_and_missing_column_reported_together(tmp_path: Path) -> None:
    header = ["Rapport-ID", "Datum", "Område", "Typ", "Form", "Stadsdel", "Verksamhet"]
    problems = refused(make_xlsx([header, ["x"] * 7], tmp_path / "d.xlsx"), "d.xlsx")
    assert len(problems) == 2
    duplicated, missing = problems
    assert "Kolumn C och F" in duplicated.reason
    assert "”Område” och ”Stadsdel”" in duplicated.reason and "båda Område" in duplicated.reason
    assert "C och F" in duplicated.fix
    assert missing.reason == "Kolumnen ”Händelsetyp” saknas"


# -- speed --------------------------------------------------------------------------------


def test_large_xlsx_reads_fast(tmp_path: Path) -> None:
    rows = 20_000
    path = make_fast_xlsx([HEADERS, *report_rows(rows)], tmp_path / "stor.xlsx")
    start = time.perf_counter()
    sheet = read(path)
    elapsed = time.perf_counter() - start
    assert len(sheet.rows) == rows and sheet.row_numbers[-1] == rows + 1
    assert type(sheet.rows[0][1]) is dt.date
    assert elapsed < 5, f"{rows} rader tog {elapsed:.1f} s"


# -- the cells as Arrow columns -----------------------------------------------------------

TYPED = ["Centrum", 17, 17.0, 1.5, dt.date(2026, 3, 2), dt.datetime(2026, 3, 2, 14, 30),
         dt.time(14, 30), True, False, "  mellanslag ", "#N/A"]


def texts(sheet: Sheet) -> list[list[str | None]]:
    return [column.to_pylist() for column in sheet.columns]


def test_cells_are_read_as_texts_once_and_typed_only_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lagesbild.intake.reading import workbooks

    rows = [MESSY_HEADER, *[[*ROW_A[:7], value] for value in TYPED]]
    path = make_xlsx(rows, tmp_path / "typer.xlsx")  # openpyxl writes '#N/A' as an error cell
    calls = []
    typed_rows = workbooks._typed_rows
    monkeypatch.setattr(workbooks, "_typed_rows", lambda *a: calls.append(a) or typed_rows(*a))
    sheet = read(path)
    assert texts(sheet)[7] == ["Centrum", "17", "17", "1.5", "2026-03-02",
                               "2026-03-02 14:30:00", "14:30:00", "SANT", "FALSKT",
                               "  mellanslag ", None]
    assert texts(sheet)[2] == ["2026-03-02"] * len(TYPED)
    assert sheet.cell_errors == {(10, 7): "#N/A"}
    assert sheet.row_numbers == list(range(2, 2 + len(TYPED))) and len(sheet) == len(TYPED)
    assert calls == []  # nothing so far needed python-calamine's typed cells
    assert [row[7] for row in sheet.rows] == [*TYPED[:-1], None]  # the error reads as empty
    assert type(sheet.rows[0][2]) is dt.date and len(calls) == 1


def test_a_sheet_made_from_rows_has_the_columns_a_read_sheet_has(tmp_path: Path) -> None:
    rows = [MESSY_HEADER, *[[*ROW_A[:7], value] for value in TYPED[:-1]], ROW_B]
    for path in (make_xlsx(rows, tmp_path / "a.xlsx", title_rows=TITLE),
                 make_ods(rows, tmp_path / "a.ods", title_rows=TITLE)):
        read_one = read(path)
        made = Sheet(read_one.file_name, read_one.sheet_name, read_one.header_row,
                     read_one.headers, read_one.fields, read_one.rows, read_one.row_numbers,
                     read_one.other_cells)
        assert texts(made) == texts(read_one), path.suffix
        assert made == read_one


@pytest.mark.parametrize("kind", ["xlsx", "ods", "xls", "offset"])
def test_python_calamine_alone_reads_the_same_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str,
) -> None:
    """Without fastexcel (or when it fails on a file) python-calamine reads the workbook."""
    from lagesbild.intake.reading import workbooks

    rows = [*TITLE, MESSY_HEADER, ROW_A, [], [*ROW_B[:7], 42, None, "utanför"], ["Summa", 2]]
    if kind == "xls":
        path = make_xls([[c.isoformat() if isinstance(c, dt.date) else c for c in row]
                         for row in rows], tmp_path / "a.xls")
    elif kind == "offset":  # the used area starts at C3
        path = make_xlsx([[None] * 2 + list(row) for row in [[], [], *rows]], tmp_path / "c.xlsx")
    else:
        path = (make_xlsx if kind == "xlsx" else make_ods)(rows, tmp_path / f"a.{kind}")
    fast = read(path)
    monkeypatch.setattr(workbooks, "fastexcel", None)
    slow = read(path)
    assert fast == slow
    assert fast.rows == slow.rows and fast.other_cells == slow.other_cells
    first = 7 if kind == "offset" else 5
    assert fast.row_numbers == [first, first + 2]
    assert (first + 2, 9 + (2 if kind == "offset" else 0), "utanför") in fast.other_cells
    assert (first + 3, 2 if kind == "offset" else 0, "Summa") in fast.other_cells


def test_csv_columns_are_texts(tmp_path: Path) -> None:
    rows = [MESSY_HEADER, [*ROW_A[:7], "  "], ROW_B, [None] * 8]
    sheet = read(make_csv(rows, tmp_path / "r.csv"))
    assert texts(sheet)[2] == ["2026-03-02", "2026-03-05"]
    assert texts(sheet)[7] == ["  ", None]
    assert sheet.rows[0][7] == "  " and sheet.cell_errors == {}
