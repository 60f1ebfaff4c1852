"""Formula injection (finding 5 of the security review): every spreadsheet the project writes
goes through the one cell writer (lagesbild.domain.spreadsheet), so no text becomes a formula,
in the files to read and in the files to edit and upload again (the activity plan)."""

from __future__ import annotations

import ast
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from lagesbild.domain import config
from lagesbild.domain.contracts import ACTIVITY
from lagesbild.domain.spreadsheet import write_cell
from lagesbild.intake.followup import activities as activity_edits
from lagesbild.intake.followup.imports import check_followup_file, store_followup
from lagesbild.intake.followup.templates import DATA_SHEET, template_bytes
from lagesbild.numbers import activities
from lagesbild.store import Store

PROJECT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 5, 10)
DDE = "=cmd|' /C calc'!A0"
HOSTILE = [DDE, "+1+1", "-2+3", "@SUM(A1)", "=HYPERLINK(\"http://x.example\",\"klicka\")",
           "\uff1d1+1", "\t=1"]


def formulas(xlsx: bytes) -> list[str]:
    """Every <f> element in the workbook's sheets."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    return [s for s in sheets if "<f>" in s or "<f " in s]


def plan_with(store: Store, text: str) -> bytes:
    activity_edits.save_activity(store, {
        "aktivitet": text, "mal": "All elevhälsa utbildad",
        "omrade": "Utbildning och metodutveckling", "ansvarig": "UmeBrå",
        "start_kvartal": "2025K1", "klart_kvartal": "2026K4", "status": "Pågår"}, "anna", TODAY)
    return template_bytes(ACTIVITY, activities.plan_status(store, TODAY).to_dict("records"))


@pytest.mark.parametrize("text", HOSTILE)
def test_the_activity_plan_excel_writes_no_formula(store: Store, text: str) -> None:
    """The activity plan's Excel for editing wrote an activity text `=cmd|' /C calc'!A0` as a
    live formula; the generic downloads neutralised the same value."""
    data = plan_with(store, text)
    assert formulas(data) == []
    sheet = load_workbook(io.BytesIO(data))[DATA_SHEET[ACTIVITY]]
    cell = next(c for row in sheet.iter_rows(min_row=2) for c in row
                if isinstance(c.value, str) and c.value.strip() == text.strip())
    assert cell.data_type == "s" and cell.quotePrefix  # Excel keeps it text when edited


def test_the_activity_plan_comes_back_unchanged_after_a_round_trip(store: Store) -> None:
    """Download, upload again: the same text, so no new version of the activity."""
    data = plan_with(store, DDE)
    checked = check_followup_file(ACTIVITY, data, "aktivitetsplan.xlsx", store,
                                  config.settings().web_limits, TODAY)
    assert checked.accepted, [p.message() for p in checked.problems]
    receipt = store_followup(store, checked, "anna")
    assert receipt.rows_changed == 0 and receipt.rows_new == 0
    assert activities.current_activities(store)["aktivitet"].tolist() == [DDE]


def test_the_writer_neutralises_for_reading_and_marks_for_editing() -> None:
    sheet = Workbook().active
    read = write_cell(sheet.cell(1, 1), DDE)
    edit = write_cell(sheet.cell(2, 1), DDE, editable=True)
    assert (read.value, read.data_type) == ("'" + DDE, "s")
    assert (edit.value, edit.data_type, edit.quotePrefix) == (DDE, "s", True)
    assert write_cell(sheet.cell(3, 1), -2, editable=True).value == -2  # numbers stay numbers
    assert write_cell(sheet.cell(4, 1), "Centrum", editable=True).quotePrefix is False
    assert write_cell(sheet.cell(5, 1), float("nan"), editable=True).value is None


# -- the one writer: no module sets a cell's value by itself --------------------------------------
def _cell_writes(tree: ast.AST) -> list[int]:
    """Lines that give a spreadsheet cell a value other than through write_cell:
    `x.value = …` (except None), `ws.cell(r, c, value)` / `ws.cell(..., value=…)`,
    `ws.append(…)` with anything but None."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (isinstance(target, ast.Attribute) and target.attr == "value"
                        and not (isinstance(node.value, ast.Constant)
                                 and node.value.value is None)):
                    found.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "cell" and (len(node.args) > 2
                                             or any(k.arg == "value" for k in node.keywords)):
                found.append(node.lineno)
            if node.func.attr == "append" and node.args and "None" not in ast.unparse(
                    node.args[0]) and isinstance(node.func.value, ast.Name) and \
                    node.func.value.id in {"ws", "sheet", "worksheet"}:
                found.append(node.lineno)
    return found


def test_no_module_writes_a_spreadsheet_cell_except_through_the_one_writer() -> None:
    writer = PROJECT / "lagesbild" / "domain" / "spreadsheet.py"
    offenders = {}
    for folder in ("lagesbild", "ui", "pages"):
        for path in (PROJECT / folder).rglob("*.py"):
            if path == writer:
                continue
            text = path.read_text("utf-8")
            if "openpyxl" not in text and ".cell(" not in text:
                continue
            lines = _cell_writes(ast.parse(text))
            if lines:
                offenders[str(path.relative_to(PROJECT))] = lines
    assert offenders == {}


def test_the_check_itself_finds_a_direct_write() -> None:
    assert _cell_writes(ast.parse("ws.cell(1, 2, text)\ncell.value = t\nws.append(['=1'])"))
    assert not _cell_writes(ast.parse("cell.value = None\nws.append([None] * 3)"))


def test_control_characters_are_written_out_instead_of_breaking_the_download(
        store: Store) -> None:
    """An activity text with a terminal escape made the activity plan's Excel (and with it
    the page) fail: openpyxl refuses control characters in a cell."""
    data = plan_with(store, "Utbildning \x1b[2K klar")
    sheet = load_workbook(io.BytesIO(data))[DATA_SHEET[ACTIVITY]]
    texts = [c.value for row in sheet.iter_rows(min_row=2) for c in row
             if isinstance(c.value, str)]
    assert "Utbildning \\x1b[2K klar" in texts
