"""The Excel template: sheet order, headers, drop-down lists and instructions."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
import python_calamine

from lagesbild.domain import codelists as cl
from lagesbild.domain.config import CODELIST_DIR
from lagesbild.intake.template import template_bytes, write_template


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("mall") / "rapportmall.xlsx"
    write_template(target)
    return target


@pytest.fixture(scope="module")
def workbook(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def rubriker() -> list[str]:
    with (CODELIST_DIR / "kolumner.csv").open(encoding="utf-8-sig", newline="") as handle:
        by_name = {row["namn"]: row["rubrik"] for row in csv.DictReader(handle)}
    return [by_name[f] for f in cl.FIELDS]


def range_values(wb: openpyxl.Workbook, formula: str) -> list[str]:
    match = re.fullmatch(r"'?([^'!]+)'?!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", formula)
    assert match, formula
    sheet, c1, r1, c2, r2 = match.groups()
    return [c.value for row in wb[sheet][f"{c1}{r1}:{c2}{r2}"] for c in row]


def test_sheet_order(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames[:2] == ["Rapporter", "Instruktioner"]
    assert workbook["Kodlistor"].sheet_state == "hidden"
    assert workbook.active.title == "Rapporter"


def test_header(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Rapporter"]
    assert [c.value for c in ws[1]] == rubriker()
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.max_row == 1  # no example rows: they would be imported
    assert all(ws.column_dimensions[chr(65 + i)].width >= 10 for i in range(len(cl.FIELDS)))


def test_validations(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Rapporter"]
    lists = cl.load()
    by_column = {str(dv.sqref).split(":")[0][:-1]: dv for dv in ws.data_validations.dataValidation}
    for i, name in enumerate(cl.FIELDS):
        dv = by_column[chr(65 + i)]
        assert dv.prompt and dv.showInputMessage
        if name in cl.LIST_OF_FIELD:
            assert dv.type == "list"
            values = range_values(workbook, dv.formula1)
            assert set(lists.for_field(name).values) <= set(values), name
    form = range_values(workbook, by_column["E"].formula1)
    area = range_values(workbook, by_column["D"].formula1)
    assert "Högerextremism" in form
    assert {"Ålidhem", "Digitalt", "Okänt", "Ålidhem norra", "Umeå centrum"} <= set(area)
    assert {a.name for a in cl.areas()} <= set(area)
    assert len(area) == len(set(area))
    assert by_column["B"].type == "date"
    assert ws.column_dimensions["B"].number_format == "yyyy-mm-dd"


def test_instructions(workbook: openpyxl.Workbook) -> None:
    text = " ".join(
        str(c.value) for row in workbook["Instruktioner"].iter_rows() for c in row if c.value
    ).lower()
    for word in ("personnummer", "namn", "adress", "telefonnummer", "e-post", "fritext",
                 "en rad per rapport", "okänt", "okänd", "nej", "åldersgrupp", "nekas"):
        assert word in text, word
    for header in rubriker():
        assert header.lower() in text
    # no e-mail addresses or personal identity numbers in the template itself
    assert not re.search(r"\S+@\S+\.\w+|\b\d{6,8}[-+]?\d{4}\b", text)


def test_calamine_reads_it(path: Path) -> None:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    assert book.sheet_names[0] == "Rapporter"
    assert book.get_sheet_by_name("Rapporter").to_python() == [rubriker()]


def test_template_bytes() -> None:
    data = template_bytes()
    assert data[:2] == b"PK"
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == "Rapporter"
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert book.get_sheet_by_name("Rapporter").to_python()[0] == rubriker()
