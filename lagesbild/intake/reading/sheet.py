"""The table read from a file (Sheet: header texts and data cells as Arrow string columns, the
Python cells only on request) and every table of one file (ReadFile)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

# A cell with its spreadsheet type (python-calamine gives durations as timedelta).
Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None
# The typed cells of a sheet's first rows, as python-calamine's to_python gives them.
TypedRows = Sequence[Sequence[Cell]]


def cell_text(cell: object) -> str | None:
    """A cell as the column text the Arrow path works on (None for an empty cell).

    The same text fastexcel gives for a workbook cell: text as it is, whole numbers without
    decimals ('17'), other numbers as written ('1.5'), date cells as ISO dates ('2026-03-02',
    with ' 14:30:00' when there is a time), times as '14:30:00', booleans as Swedish Excel
    shows them: 'SANT'/'FALSKT' (which the code lists know, e.g. as Ja/Nej).
    """
    if type(cell) is str:
        return cell or None
    if cell is None:
        return None
    if type(cell) is bool:
        return "SANT" if cell else "FALSKT"
    if type(cell) is float:
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat(" ")
    if isinstance(cell, dt.date | dt.time):
        return cell.isoformat()
    return str(cell)


class Sheet:
    """The table found in a file, as read: header texts and data cells, nothing interpreted.

    Data row i is the Excel row `row_numbers[i]`; blank rows and a trailing totals row are
    already left out. `fields[j]` is the canonical field name of column j, or None for a column
    the project does not import. `other_cells` are the cells above the header row (a title
    block), beyond the header width and in the totals row, kept only so that the privacy guard
    can scan them.

    The cells are held column-wise: `columns[j]` is an Arrow string array of column j (see
    `cell_text`; null for an empty cell) and `cell_errors` maps (i, j) to the Excel error
    (like '#N/A') of a data cell that holds one. `rows` gives the same data as lists of Python
    cells with their spreadsheet types (date cells as dates, numbers as floats, one cell per
    header, padded with None); for a workbook it is read again, with python-calamine, the first
    time someone asks, so the import itself never makes a Python object per cell.

    A Sheet can also be made from rows directly: Sheet(file, sheet, header_row, headers,
    fields, rows, row_numbers, other_cells); its columns are then made from the rows.
    """

    def __init__(
        self, file_name: str, sheet_name: str | None, header_row: int, headers: list[str],
        fields: list[str | None], rows: list[list[Cell]] | None = None,
        row_numbers: list[int] | None = None,
        other_cells: list[tuple[int, int, Cell]] | None = None,
    ):
        self.file_name = file_name
        self.sheet_name = sheet_name
        self.header_row = header_row
        self.headers = headers
        self.fields = fields
        self.cell_errors: dict[tuple[int, int], str] = {}
        self.hidden_rows = 0  # data rows hidden in Excel (by an autofilter or by hand)
        self._rows: list[list[Cell]] | None = rows if rows is not None else []
        self._row_numbers: list[int] | None = row_numbers if row_numbers is not None else []
        self._numbers: pa.Array | None = None
        self._columns: list[pa.Array] | None = None
        self._other: list[tuple[int, int, Cell]] | None = other_cells or []
        self._other_texts: list[tuple[int, int, str]] | None = None
        self._typed: Callable[[int], TypedRows] | None = None  # Excel rows 1..n, typed
        self._grid: TypedRows = []
        self._encoded: dict[int, tuple[pa.Array, pa.Array]] = {}
        self._row_index: dict[int, int] | None = None

    @classmethod
    def from_columns(
        cls, file_name: str, sheet_name: str | None, header_row: int, headers: list[str],
        fields: list[str | None], columns: list[pa.Array], numbers: pa.Array,
        other_texts: list[tuple[int, int, str]], *,
        cell_errors: dict[tuple[int, int], str] | None = None,
        typed: Callable[[int], TypedRows] | None = None,
    ) -> Sheet:
        """A Sheet of Arrow string columns (one per header) and their Excel row numbers.

        `typed(n)` returns the first n rows of the sheet as typed Python cells (what
        python-calamine's to_python gives); without it the columns' texts are the cells.
        """
        # Plain attribute setting; the `duplicates` tool pairs it by shape with
        # access.accounts.Throttle.__init__ (benign: nothing to share).
        sheet = cls(file_name, sheet_name, header_row, headers, fields)
        sheet._rows = None
        sheet._row_numbers = None
        sheet._other = None
        sheet._columns = columns
        sheet._numbers = numbers
        sheet._other_texts = other_texts
        sheet.cell_errors = cell_errors or {}
        sheet._typed = typed
        return sheet

    # -- rows as Python cells ---------------------------------------------------------------

    @property
    def rows(self) -> list[list[Cell]]:
        if self._rows is None:
            self._rows = self._typed_rows() if self._typed else self._text_rows()
        return self._rows

    @rows.setter
    def rows(self, rows: list[list[Cell]]) -> None:
        self._rows, self._columns, self._encoded, self._row_index = rows, None, {}, None

    @property
    def row_numbers(self) -> list[int]:
        if self._row_numbers is None:
            self._row_numbers = self.numbers.to_pylist()
        return self._row_numbers

    @row_numbers.setter
    def row_numbers(self, numbers: list[int]) -> None:
        self._row_numbers, self._numbers, self._row_index = numbers, None, None

    @property
    def other_cells(self) -> list[tuple[int, int, Cell]]:
        if self._other is None and self._typed is None:  # a CSV file: the texts are the cells
            self._other = list(self.other_texts)
        if self._other is None:
            typed = self.typed_cells([(row, j) for row, j, _ in self.other_texts])
            self._other = [(row, j, text if value is None else value)
                           for (row, j, text), value in zip(self.other_texts, typed, strict=True)]
        return self._other

    @other_cells.setter
    def other_cells(self, cells: list[tuple[int, int, Cell]]) -> None:
        self._other, self._other_texts = cells, None

    def _text_rows(self) -> list[list[Cell]]:
        width = len(self.headers)
        columns = [c.to_pylist() for c in self.columns[:width]]
        return [list(row) for row in zip(*columns, strict=True)] if width else [
            [] for _ in range(len(self))]

    def _typed_rows(self) -> list[list[Cell]]:
        width = len(self.headers)
        grid = self._typed_grid(max(self.row_numbers, default=0))
        rows = []
        for number in self.row_numbers:
            raw = grid[number - 1] if number <= len(grid) else []
            cells = [None if c == "" else c for c in raw[:width]]
            if len(cells) < width:
                cells.extend([None] * (width - len(cells)))
            rows.append(cells)
        return rows

    def _typed_grid(self, rows: int) -> TypedRows:
        assert self._typed is not None
        if len(self._grid) < rows:
            self._grid = self._typed(rows)
        return self._grid

    def typed_cells(self, places: Sequence[tuple[int, int]]) -> list[Cell]:
        """The typed Python cells at (Excel row, column index) places, None when empty."""
        if not places:
            return []
        if self._typed is not None:
            grid = self._typed_grid(max(row for row, _ in places))
            values = [grid[row - 1][j] if row <= len(grid) and j < len(grid[row - 1]) else None
                      for row, j in places]
            return [None if v == "" else v for v in values]
        if self._row_index is None:
            self._row_index = {n: i for i, n in enumerate(self.row_numbers)}
        other = {(row, j): v for row, j, v in self.other_cells}
        rows = self.rows
        values = []
        for row, j in places:
            i = self._row_index.get(row)
            if i is not None and j < len(rows[i]):
                values.append(rows[i][j])
            else:
                values.append(other.get((row, j)))
        return values

    # -- columns ----------------------------------------------------------------------------

    @property
    def columns(self) -> list[pa.Array]:
        """One Arrow string array per column (at least one per header), aligned with rows."""
        if self._columns is None:
            rows = self._rows or []
            width = max(len(self.headers), max(map(len, rows), default=0))
            self._columns = [
                text_column([row[j] if j < len(row) else None for row in rows])
                for j in range(width)
            ]
        return self._columns

    @property
    def numbers(self) -> pa.Array:
        """`row_numbers` as an Arrow int64 array."""
        if self._numbers is None:
            self._numbers = pa.array(self._row_numbers or [], pa.int64())
        return self._numbers

    @property
    def other_texts(self) -> list[tuple[int, int, str]]:
        """`other_cells` as (row, column, text), empty cells left out."""
        if self._other_texts is None:
            self._other_texts = [(row, j, text) for row, j, cell in self._other or []
                                 if (text := cell_text(cell)) is not None]
        return self._other_texts

    def encoded(self, j: int) -> tuple[pa.Array, pa.Array]:
        """(distinct texts, index of each cell's text) of column j; null is one of the texts."""
        if j not in self._encoded:
            encoded = pc.dictionary_encode(self.columns[j], null_encoding="encode")
            self._encoded[j] = (encoded.dictionary, encoded.indices)
        return self._encoded[j]

    def __len__(self) -> int:
        return len(self._numbers) if self._numbers is not None else len(self.row_numbers)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sheet):
            return NotImplemented
        return (
            (self.file_name, self.sheet_name, self.header_row, self.headers, self.fields,
             self.row_numbers, self.other_texts, self.cell_errors)
            == (other.file_name, other.sheet_name, other.header_row, other.headers,
                other.fields, other.row_numbers, other.other_texts, other.cell_errors)
            and len(self.columns) == len(other.columns)
            and all(a.equals(b) for a, b in zip(self.columns, other.columns, strict=True))
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Sheet({self.file_name!r}, {self.sheet_name!r}, header_row={self.header_row}, "
                f"headers={self.headers!r}, {len(self)} rader)")


def text_column(cells: Sequence[object]) -> pa.Array:
    """An Arrow string array of cells (see `cell_text`); '' and None become null."""
    try:
        array = pa.array(cells, pa.string())  # every cell text or None: done in C
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = pa.array([cell_text(c) for c in cells], pa.string())
    return empty_as_null(array)


def empty_as_null(array: pa.Array) -> pa.Array:
    empty = pc.equal(pc.binary_length(array), 0)
    if pc.any(empty).as_py():
        array = pc.if_else(empty, pa.scalar(None, pa.string()), array)
    return array


class ReadFile:
    """Every table found in one file: the sheets read (each a Sheet, in workbook order), the
    sheets not read with the reason, and every worksheet name (for the privacy guard)."""

    def __init__(self, file_name: str, sheets: list[Sheet],
                 not_read: list[tuple[str, str]] | None = None,
                 sheet_names: list[str] | None = None):
        self.file_name = file_name
        self.sheets = sheets
        self.not_read = not_read or []
        self.sheet_names = sheet_names or []

    @property
    def hidden_rows(self) -> int:
        return sum(sheet.hidden_rows for sheet in self.sheets)

    @property
    def rows(self) -> int:
        return sum(len(sheet) for sheet in self.sheets)
