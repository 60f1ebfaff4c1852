"""Export without a browser: file names, formula-safe cells, workbook and CSV contents."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from lagesbild.export.common import export_table
from lagesbild.export.naming import export_name
from lagesbild.export.public import support_lines
from lagesbild.export.workbook import csv_bytes, safe_cell, sheet_title, workbook_bytes
from lagesbild.numbers.query import Filters


# -- naming -----------------------------------------------------------------------------------
def test_export_name_example_and_ascii():
    assert export_name("2026K3", "Trender per form", "png") == "2026K3_trender_per_form.png"
    name = export_name("2025K4–2026K3", "Rapporter per stadsdel: Ålidhem & Sävar", ".SVG",
                       filters=Filters(omrade=("Ålidhem", "Sävar"), form=("Högerextremism",)),
                       public=True)
    assert name == ("2025K4-2026K3_rapporter_per_stadsdel_alidhem_savar_omrade_alidhem_savar_"
                    "form_hogerextremism_publik.svg")
    assert name.isascii()


@pytest.mark.parametrize("period,title", [
    ("2026k3", "Över/under <5> \"citat\" ..\\..\\etc"), (None, "Ärenden i konsultationsforum"),
    ("2025K1–2026K3", "  "), ("2026K3", "日本語"),
])
def test_export_name_is_always_clean(period, title):
    name = export_name(period, title, "xlsx", filters={"verksamhet": tuple("abcdef")})
    stem = name.removesuffix(".xlsx")
    assert name.isascii() and name.endswith(".xlsx")
    assert all(ch.isalnum() or ch in "_-" for ch in stem), name
    assert len(stem) <= 120 and ".." not in name and "/" not in name


# -- safe cells -------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"klick\")", "+1", "-2", "@SUM(A1)",
                                  "\tTAB", "\rCR", "＝1+1"])
def test_safe_cell_neutralises_formula_text(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value,expected", [
    (-2, -2), (3.5, 3.5), (0, 0), (None, None), (pd.NA, None), (float("nan"), None),
    (True, "Ja"), (False, "Nej"), ("<5", "<5"), ("..", ".."), ("Centrum", "Centrum"),
])
def test_safe_cell_keeps_numbers_and_plain_text(value, expected):
    out = safe_cell(value)
    assert out == expected and type(out) is type(expected)


def test_sheet_title_is_valid_and_unique():
    assert sheet_title("a/b:c*d?e[f]g" * 5) == "a b c d e f ga b c d e f ga b c"[:31]
    assert sheet_title("Per form", ["Per form"]) == "Per form (2)"
    assert len(sheet_title("x" * 40, ["x" * 31])) <= 31


# -- tables -------------------------------------------------------------------------------------
def _protected() -> pd.DataFrame:
    """A table in the output convention of the disclosure control: Teg small, Haga hidden
    because it lies in a small group."""
    out = pd.DataFrame({"omrade": ["Centrum", "Teg", "Haga", "Ersboda"],
                        "antal": pd.array([40, None, None, 0], dtype="Int64"),
                        "undertryckt": [False, True, True, False],
                        "visas": ["40", "<5", "..", "0"]})
    out["andel"] = (out["antal"].astype("Float64") / 55 * 100)
    out["p_varde"] = 0.5
    return out


def test_export_table_shows_suppressed_counts_as_text():
    table = export_table(_protected())
    assert list(table.columns) == ["Område", "Antal", "Andel (%)"]
    counts = dict(zip(table["Område"], table["Antal"], strict=True))
    assert counts["Centrum"] == 40 and counts["Ersboda"] == 0
    assert counts["Teg"] == "<5"
    assert counts["Haga"] == ".."  # hidden: it lies in a group with fewer than 5
    assert table["Andel (%)"].iloc[0] == round(40 / 55 * 100, 1)


def test_workbook_cells_numbers_suppression_and_injection():
    risky = pd.DataFrame({
        "text": ["=HYPERLINK(\"http://example.com\",\"klick\")", "+1", "-2", "@SUM(A1)", "ok"],
        "tal": [-2, 5, -7.5, 0, 1234],
    })
    data = workbook_bytes({"Per område": _protected(), "=Farligt": risky},
                          about=[("Titel", "Test"), ("Urval", "=1+1")])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Om tabellerna", "Per område", "Farligt"]
    about = book["Om tabellerna"]
    assert about["B2"].value == "'=1+1" and about["B2"].data_type == "s"

    sheet = book["Per område"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Område", "Antal", "Andel (%)")
    by_area = {r[0]: r for r in rows[1:]}
    assert by_area["Centrum"][1] == 40 and sheet["B2"].data_type == "n"
    assert by_area["Teg"][1] == "<5"
    assert by_area["Teg"][2] is None  # a share built on a hidden count is not shown

    sheet = book["Farligt"]
    for row in sheet.iter_rows(min_row=2):
        text, number = row
        assert text.data_type == "s"
        assert not str(text.value).startswith(("=", "+", "-", "@")), text.value
        assert number.data_type == "n" and isinstance(number.value, int | float)
    assert [c.value for c in sheet["A"]][1:5] == [
        "'=HYPERLINK(\"http://example.com\",\"klick\")", "'+1", "'-2", "'@SUM(A1)"]
    assert [c.value for c in sheet["B"]][1:] == [-2, 5, -7.5, 0, 1234]
    for ws in book.worksheets:  # no formula anywhere
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_csv_is_swedish_excel_and_safe():
    frame = pd.DataFrame({"omrade": ["=cmd", "Teg"], "antal": pd.array([12, None], "Int64"),
                          "andel": [1.5, None], "undertryckt": [False, True],
                          "visas": ["12", "<5"]})
    text = csv_bytes(frame).decode("utf-8-sig")
    lines = text.strip().split("\r\n")
    assert lines[0] == "Område;Antal;Andel (%)"
    assert lines[1] == "'=cmd;12;1,5" and lines[2] == "Teg;<5;"
    noted = csv_bytes(frame, "Små avvikelser kan förekomma för att skydda enskilda.")
    assert noted.decode("utf-8-sig").strip().split("\r\n")[-2:] == [
        "", "Små avvikelser kan förekomma för att skydda enskilda."]


# -- support lines ------------------------------------------------------------------------------
def test_support_lines_skip_placeholders(tmp_path):
    path = tmp_path / "stodlinjer.toml"
    path.write_text(
        '[[nationella]]\nnamn = "Polisen"\nnummer = "114 14"\nwebb = "https://polisen.se"\n'
        '[[nationella]]\nnamn = "CVE"\nnummer = "[Fyll i: nummer]"\n'
        '[[kommunen]]\nnamn = "Växel"\nnummer = "090-16 10 00"\nverifiera = true\n', "utf-8")
    lines = support_lines(path)
    assert [(s.group, s.name, s.number) for s in lines] == [
        ("Nationella stödlinjer", "Polisen", "114 14"), ("I Umeå kommun", "Växel",
                                                         "090-16 10 00")]
    assert lines[1].text() == "Växel: 090-16 10 00 (verifiera)"
    assert support_lines(tmp_path / "saknas.toml") == []
    (tmp_path / "trasig.toml").write_text("[[nationella", "utf-8")
    assert support_lines(tmp_path / "trasig.toml") == []
