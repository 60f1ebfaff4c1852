"""The cells of a sheet or CSV file as Arrow string columns (Grid), with fastexcel's texts
made those of `cell_text` by pyarrow.compute, so that no Python object is made per cell."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import zip_longest
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from lagesbild.intake.reading.sheet import TypedRows, empty_as_null, text_column

if TYPE_CHECKING:
    import fastexcel

HEADER_SEARCH_ROWS = 20  # the header row must be among the first 20 rows of a sheet
# Excel's error values as fastexcel names them ("Error(NA)") and as Excel shows them.
EXCEL_ERRORS = {
    "Div0": "#DIV/0!", "NA": "#N/A", "Name": "#NAME?", "Null": "#NULL!", "Num": "#NUM!",
    "Ref": "#REF!", "Value": "#VALUE!", "GettingData": "#GETTING_DATA",
}
_ERROR_DETAIL = re.compile(r"Error\((\w+)\)")
_MIDNIGHT = r"^\d{4}-\d{2}-\d{2} 00:00:00$"  # a date cell, as fastexcel writes it
_ISO_T = r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$"  # ods date-times
_BOOLEANS = pa.array(["true", "false"])  # boolean cells, as fastexcel writes them
_TIME_ONLY = r"^1899-12-3[01] \d{2}:\d{2}:\d{2}"  # a time cell (a date on Excel's day 0)


class Grid:
    """All cells of a sheet or CSV file: one Arrow string array per column, from column A and
    row 1 (so that index + 1 is the Excel row), and the Excel errors by (row index, column)."""

    def __init__(self, columns: list[pa.Array], height: int,
                 errors: dict[tuple[int, int], str] | None = None):
        self.columns = columns
        self.height = height
        self.errors = errors or {}
        self._head: list[list[str | None]] | None = None

    @classmethod
    def from_records(cls, records: list[list[str]]) -> Grid:
        columns = [text_column(column) for column in zip_longest(*records)]
        return cls(columns, len(records))

    @classmethod
    def from_typed(cls, rows: TypedRows) -> Grid:
        """The grid of python-calamine's typed cells (to_python(skip_empty_area=False))."""
        width = max(map(len, rows), default=0)
        columns = [text_column([row[j] if j < len(row) else None for row in rows])
                   for j in range(width)]
        return cls(columns, len(rows))

    @classmethod
    def from_fastexcel(cls, batch: pa.RecordBatch, infos: Sequence[fastexcel.ColumnInfo],
                       errors: fastexcel.CellErrors | None, ods: bool = False) -> Grid:
        """The cells fastexcel read (rows from row 1 on: skip_rows=0), as a grid from column A.

        Columns before the first used one are null. The texts are made those of `cell_text`:
        date cells lose fastexcel's ' 00:00:00' (and an ods file's date-times their 'T'),
        time cells their day 0 ('1899-12-31 14:30:00' → '14:30:00'), and booleans ('true')
        read as in Swedish Excel ('SANT'); a text cell that says exactly 'true' or 'false'
        cannot be told from a boolean and reads so too. Excel errors (fastexcel's null plus a
        CellError) are kept by position."""
        height = batch.num_rows
        columns: list[pa.Array] = []
        for info, column in zip(infos, batch.columns, strict=True):
            while len(columns) < info.absolute_index:
                columns.append(pa.nulls(height, pa.string()))
            columns.append(_normalised(column, ods))
        found: dict[tuple[int, int], str] = {}
        for error in errors.errors if errors else ():
            row, index = error.position
            match = _ERROR_DETAIL.search(error.detail)
            name = match.group(1) if match else ""
            found[(row, infos[index].absolute_index)] = EXCEL_ERRORS.get(name, f"#{name or 'FEL'}")
        return cls(columns, height, found)

    def head(self) -> list[list[str | None]]:
        """The first HEADER_SEARCH_ROWS rows as lists of texts (None for an empty cell)."""
        if self._head is None:
            count = min(self.height, HEADER_SEARCH_ROWS)
            texts = [c.slice(0, count).to_pylist() for c in self.columns]
            self._head = [list(row) for row in zip(*texts, strict=True)] if texts else [
                [] for _ in range(count)]
        return self._head


def _normalised(column: pa.Array, ods: bool) -> pa.Array:
    """A fastexcel column with the texts of `cell_text` (see Grid.from_fastexcel). Each
    rewrite runs only on a column that has something to rewrite."""
    if column.type != pa.string():
        column = column.cast(pa.string())
    column = empty_as_null(column)
    if ods and pc.any(pc.match_substring_regex(column, _ISO_T)).as_py():
        column = pc.replace_substring_regex(column, _ISO_T, r"\1 \2")
    if pc.any(pc.ends_with(column, " 00:00:00")).as_py():
        dates = pc.match_substring_regex(column, _MIDNIGHT)
        column = pc.if_else(dates, pc.utf8_slice_codeunits(column, 0, 10), column)
    if pc.any(pc.is_in(column, _BOOLEANS)).as_py():
        column = pc.replace_substring_regex(
            pc.replace_substring_regex(column, "^true$", "SANT"), "^false$", "FALSKT")
    if pc.any(pc.starts_with(column, "1899-12-3")).as_py():
        times = pc.match_substring_regex(column, _TIME_ONLY)
        column = pc.if_else(times, pc.utf8_slice_codeunits(column, 11, 64), column)
    return column
