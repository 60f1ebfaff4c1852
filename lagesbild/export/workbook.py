"""Excel workbooks (openpyxl) and CSV of indicator tables, safe against formula injection.

One sheet per table with Swedish headers; counts are numbers, suppressed counts the text
"<5" (or ".." for a secondarily hidden count). Every cell value goes through the project's one
cell writer (lagesbild.domain.spreadsheet: `write_cell`, `safe_cell`): a text that Excel (or
another spreadsheet) could read as a formula — starting with = + - @, a tab or a carriage
return — gets a leading apostrophe and is stored as text, while real numbers, negative ones
included, stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from lagesbild.domain.spreadsheet import safe_cell, write_cell
from lagesbild.export.common import export_table

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def sheet_title(name: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique Excel sheet name (at most 31 characters, no []:*?/\\)."""
    base = _SHEET_BAD.sub(" ", str(name)).strip().strip("'") or "Tabell"
    base = base.lstrip("=+-@") or "Tabell"
    base = base[:31]
    used = {t.lower() for t in taken}
    title, k = base, 2
    while title.lower() in used:
        tail = f" ({k})"
        title = base[: 31 - len(tail)] + tail
        k += 1
    return title


def _number_format(values: Sequence[object]) -> str | None:
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers:
        return None
    if all(isinstance(v, int) or float(v).is_integer() for v in numbers):
        return "#,##0"
    return "#,##0.0"


def _add_table_sheet(book: Workbook, title: str, table: pd.DataFrame,
                     note: str | None = None) -> None:
    sheet = book.create_sheet(sheet_title(title, book.sheetnames))
    row = 1
    if note:
        write_cell(sheet.cell(row=1, column=1), note)
        sheet.cell(row=1, column=1).font = Font(italic=True, color="555555")
        row = 3
    for j, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=row, column=j)
        write_cell(cell, column)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, values in enumerate(table.itertuples(index=False), start=row + 1):
        for j, value in enumerate(values, start=1):
            write_cell(sheet.cell(row=i, column=j), value)
    for j, column in enumerate(table.columns, start=1):
        values = list(table.iloc[:, j - 1])
        fmt = _number_format(values)
        letter = get_column_letter(j)
        if fmt:
            for i in range(row + 1, row + 1 + len(table)):
                cell = sheet.cell(row=i, column=j)
                if isinstance(cell.value, int | float):
                    cell.number_format = fmt
                else:
                    cell.alignment = Alignment(horizontal="right")
        width = max([len(str(column))] + [len(str(v)) for v in values if v is not None])
        sheet.column_dimensions[letter].width = min(max(width + 2, 8), 48)
    sheet.freeze_panes = sheet.cell(row=row + 1, column=1)
    if len(table):
        sheet.auto_filter.ref = (f"A{row}:{get_column_letter(max(len(table.columns), 1))}"
                                 f"{row + len(table)}")


def workbook_bytes(tables: Mapping[str, pd.DataFrame],
                   about: Sequence[tuple[str, object]] = (),
                   about_title: str = "Om tabellerna") -> bytes:
    """An .xlsx with an 'Om tabellerna' sheet (the `about` key–value lines, if any) and one
    sheet per table. Tables are disclosure-controlled DataFrames from the indicator engine
    (prepared with `export_table`) or already prepared tables."""
    book = Workbook()
    first = book.active
    if about:
        first.title = sheet_title(about_title)
        for i, (key, value) in enumerate(about, start=1):
            write_cell(first.cell(row=i, column=1), key)
            first.cell(row=i, column=1).font = Font(bold=True)
            write_cell(first.cell(row=i, column=2), value)
            first.cell(row=i, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        first.column_dimensions["A"].width = 28
        first.column_dimensions["B"].width = 110
    else:
        book.remove(first)
    for title, frame in tables.items():
        _add_table_sheet(book, title, prepare(frame))
    if not book.sheetnames:
        book.create_sheet("Tabell")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """`export_table` unless the frame is already prepared (no engine columns in it)."""
    engine_columns = {"undertryckt", "visas", "antal"}
    return export_table(frame) if engine_columns & set(map(str, frame.columns)) else frame


def csv_bytes(frame: pd.DataFrame, note: str | None = None) -> bytes:
    """CSV for Swedish Excel: semicolon, decimal comma, UTF-8 with BOM; every value through
    safe_cell (suppressed counts as "<5", formula-like text neutralised); `note` as a last
    line after an empty one."""
    table = prepare(frame)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in table.columns])
    for values in table.itertuples(index=False):
        row = []
        for value in values:
            value = safe_cell(value)
            if isinstance(value, float):
                value = (f"{value:.10g}").replace(".", ",")
            row.append("" if value is None else value)
        writer.writerow(row)
    if note:
        writer.writerow([])
        writer.writerow([safe_cell(note)])
    return buffer.getvalue().encode("utf-8-sig")
