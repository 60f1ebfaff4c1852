"""Reading partner spreadsheets (xlsx, xlsm, xls, ods, csv) into a Sheet.

The real format is told from the bytes, never from the file name. Zip-based files are checked
against the limits from the zip directory alone before anything is unpacked. The table is the
first sheet with a header row (at least 3 known headers, one of them required) among its first
20 rows. Anything that makes the file unusable raises FileRefused with every reason at once,
in Swedish, each saying how to fix it.

Speed: workbooks are parsed once, by fastexcel (python-calamine underneath), straight into one
Arrow string array per column; blank rows, the totals row and cells outside the table are found
with pyarrow.compute, so no Python object is made per cell. CSV records are read with the csv
module and turned into the same kind of columns. `Sheet.rows` (Python cells with their
spreadsheet types) is built only when a caller asks for it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html
import io
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from itertools import islice, zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import python_calamine as calamine

from lagesbild.domain.codelists import ColumnVocabulary
from lagesbild.domain.config import ImportLimits
from lagesbild.domain.problems import FileRefused, Problem
from lagesbild.domain.text import header_key, match_key
from lagesbild.intake.phases import phase

_inflater: Any = zlib
try:  # ISA-L inflates twice as fast as zlib, with the same interface
    from isal import isal_zlib

    _inflater = isal_zlib
except ImportError:  # pragma: no cover – isal is installed with the project
    pass

if TYPE_CHECKING:  # mypy cannot type a module that may be None (python/mypy#1297)
    import fastexcel
else:
    try:  # fastexcel reads a sheet straight into Arrow; without it python-calamine does the work
        import fastexcel
    except ImportError:  # pragma: no cover – fastexcel is installed with the project
        fastexcel = None

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
    return _empty_as_null(array)


def _empty_as_null(array: pa.Array) -> pa.Array:
    empty = pc.equal(pc.binary_length(array), 0)
    if pc.any(empty).as_py():
        array = pc.if_else(empty, pa.scalar(None, pa.string()), array)
    return array


NOT_READ_NO_HEADER = "har ingen rubrikrad"
NOT_READ_INCOMPLETE = "saknar obligatoriska kolumner"
NOT_READ_HIDDEN = "är dolt (visa bladet om det ska läsas)"
HEADER_SEARCH_ROWS = 20  # the header row must be among the first 20 rows of a sheet
MIN_HEADER_MATCHES = 3
# A last row whose first filled cell starts with one of these words is a totals row:
# "Summa", "Summa:", "Totalt", "Totalt antal", "Total", "Totalsumma".
TOTALS = re.compile(r"^(?:summa|totalt?|totalsumma|sum)(?:$|[\s:])")
# The Excel-error name given to a formula cell that has no saved value (the file was written
# by a program that does not calculate, or saved without calculating).
UNSAVED_FORMULA = "formel utan sparat värde"
DELIMITERS = (";", ",", "\t")
# Zip-bomb rule: a member over 10 MB unpacked that is more than 100 times its packed size.
BOMB_MIN_BYTES = 10 * 2**20
BOMB_RATIO = 100
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

_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BINARY_KINDS = (
    (b"%PDF", "en PDF-fil"), (b"\x89PNG", "en bild"), (b"\xff\xd8\xff", "en bild"),
    (b"GIF8", "en bild"), (b"MZ", "ett program"), (b"\x7fELF", "ett program"),
    (b"Rar!", "ett komprimerat arkiv"), (b"7z\xbc\xaf", "ett komprimerat arkiv"),
    (b"\x1f\x8b", "ett komprimerat arkiv"), (b"{\\rtf", "ett Word-dokument (RTF)"),
)
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
_FORMATS_FIX = ("Välj en Excel-arbetsbok (.xlsx, .xls), en OpenDocument-fil (.ods) eller en "
                "CSV-fil. Utgå gärna från mallen för rapporter.")
_DAMAGED_FIX = ("Öppna filen i Excel eller LibreOffice, spara den på nytt och importera igen. "
                "Har filen laddats ner eller skickats med e-post: hämta den en gång till.")


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


NameCheck = Callable[[list[str]], None]


def read_file(
    source: str | os.PathLike[str] | bytes, file_name: str, codelists: ColumnVocabulary,
    limits: ImportLimits, name_check: NameCheck | None = None,
) -> ReadFile:
    """Read every table of a file (a path or the file's bytes); raise FileRefused.

    A workbook's every sheet whose header row has all the required columns is read (visible
    sheets; hidden ones only when no visible sheet has them); the others are named in
    `not_read`. When no sheet has every required column, the best incomplete one says which
    columns are missing. `name_check` sees the sheet names before anything else and may
    refuse the file (a sheet named after a person)."""
    data = _load(source, file_name, limits)
    facts: dict[str, SheetFacts] = {}
    if data.startswith(_ZIP):  # unpacked once: the guard and the facts of each sheet
        with phase("zip-kontroll, dolda rader och formler"):
            found = _zip_facts(data, file_name, limits)
        kind, facts = found.kind, found.sheets
    else:
        kind = _detect(data, file_name, limits)
    reader = _Reader(file_name, codelists, limits)
    with phase("tolkning (fastexcel)"):
        if kind == "csv":
            return ReadFile(file_name, [reader.from_text(_decode(data))])
        return reader.from_workbook(data, ods=kind == "ods", facts=facts,
                                    name_check=name_check)


def read_sheet(
    source: str | os.PathLike[str] | bytes, file_name: str, codelists: ColumnVocabulary,
    limits: ImportLimits,
) -> Sheet:
    """The first table of a file (see `read_file`); raise FileRefused."""
    return read_file(source, file_name, codelists, limits).sheets[0]


def column_letter(index: int) -> str:
    """Excel's letter for a 0-based column index: 0 -> 'A', 27 -> 'AB'."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _refuse(file_name: str, reason: str, fix: str, *, sheet: str | None = None,
            row: int | None = None) -> NoReturn:
    raise FileRefused([Problem(file_name, reason, fix, sheet=sheet, row=row)])


def _mb(size: int) -> str:
    """A size as Swedes write it: '12,5 MB', or '40 kB' below a megabyte."""
    if size < 2**20:
        return f"{max(size // 1024, 1)} kB"
    return f"{size / 2**20:.1f}".replace(".", ",") + " MB"


# -- bytes and format ---------------------------------------------------------------------


def _load(source: str | os.PathLike[str] | bytes, file_name: str, limits: ImportLimits) -> bytes:
    """The file's bytes, refusing a missing, empty or too large file."""
    try:
        size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
        if size > limits.max_bytes:
            _refuse(file_name, f"Filen är för stor ({_mb(size)})",
                    f"Största tillåtna storlek är {_mb(limits.max_bytes)}. Dela upp filen i "
                    "flera mindre filer och importera dem var för sig.")
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError:
        _refuse(file_name, "Filen går inte att öppna",
                "Kontrollera att filen finns och att du har behörighet att läsa den.")
    if not data:
        _refuse(file_name, "Filen är tom",
                "Kontrollera att du valt rätt fil; den innehåller ingenting. Spara rapporterna "
                "på nytt och importera igen.")
    return data


def _detect(data: bytes, file_name: str, limits: ImportLimits) -> str:
    """'xlsx', 'ods', 'xls' or 'csv', told from the content; refuses anything else."""
    if data.startswith(_ZIP):
        return _zip_kind(data, file_name, limits)
    if data.startswith(_OLE2):
        return _ole2_kind(data, file_name)
    return _text_kind(data, file_name)


def _text_kind(data: bytes, file_name: str) -> str:
    for magic, what in _BINARY_KINDS:
        if data.startswith(magic):
            _not_spreadsheet(file_name, f" (den ser ut att vara {what})")
    head = data[:8192]
    if not head.startswith(_UTF16) and (
        b"\0" in head or sum(head.count(c) for c in _CONTROL) > len(head) // 20
    ):
        _not_spreadsheet(file_name, "")
    if head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"<"):
        _refuse(file_name, "Filen är en webbsida eller XML-fil, inte ett kalkylark",
                "Öppna filen i Excel, välj Spara som > Excel-arbetsbok (.xlsx) och importera "
                "den nya filen.")
    return "csv"


def _not_spreadsheet(file_name: str, what: str) -> NoReturn:
    _refuse(file_name, f"Filen är inte ett kalkylark{what}", _FORMATS_FIX)


def _zip_kind(data: bytes, file_name: str, limits: ImportLimits) -> str:
    """Check the zip against the limits, then tell xlsx from ods."""
    return _zip_facts(data, file_name, limits).kind


def _zip_facts(data: bytes, file_name: str, limits: ImportLimits) -> ZipFacts:
    """Check the declared sizes, then unpack every member as a stream with a running count
    (the declared sizes can lie), stopping at the limits; tell xlsx from ods; and note, for
    each worksheet of an xlsx, its hidden rows and formula cells without a saved value."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        _refuse(file_name, "Filen är skadad eller ofullständig", _DAMAGED_FIX)
    _check_unpacked_size(infos, file_name, limits)
    names = {info.filename for info in infos}
    xlsx = "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)
    inflater = _Inflater(data, file_name, limits)
    members: dict[str, bytes] = {}
    if xlsx:  # the small parts that name the worksheets first
        for part in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            if part in archive.NameToInfo:
                members[part] = inflater.read(archive.NameToInfo[part], keep=True)
    sheet_of = _worksheet_names(members) if xlsx else {}
    facts: dict[str, SheetFacts] = {}
    for info in infos:
        if info.filename in members:
            continue
        scanner = _SheetScanner() if info.filename in sheet_of else None
        inflater.read(info, scanner=scanner)
        if scanner is not None:
            facts[sheet_of[info.filename]] = scanner.facts()
    if xlsx:
        return ZipFacts("xlsx", facts)
    mimetype = archive.NameToInfo.get("mimetype")
    if mimetype is not None and mimetype.file_size < 200:
        try:
            if archive.read("mimetype").strip() == _ODS_MIME:
                return ZipFacts("ods", {})
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            _refuse(file_name, "Filen är skadad eller ofullständig", _DAMAGED_FIX)
    if any(n.startswith("word/") for n in names):
        _not_spreadsheet(file_name, " (den ser ut att vara ett Word-dokument)")
    _not_spreadsheet(file_name, " (den är ett zip-arkiv)")


def check_zip(data: bytes, file_name: str, limits: ImportLimits) -> None:
    """Refuse (FileRefused) a zip-based file that unpacks to more than the limits allow,
    whatever its directory declares; nothing is kept in memory."""
    _zip_facts(data, file_name, limits)


def _check_unpacked_size(
    infos: Sequence[zipfile.ZipInfo], file_name: str, limits: ImportLimits,
) -> None:
    """Refuse at once what the zip directory itself declares too large (the real sizes are
    counted while unpacking, see _Inflater)."""
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        _refuse(file_name, f"Filens innehåll är för stort uppackat ({_mb(total)})",
                f"Högst {_mb(limits.max_uncompressed_bytes)} uppackat tillåts. Dela upp filen "
                "i flera mindre filer.")
    for info in infos:
        if info.file_size > BOMB_MIN_BYTES and info.file_size > BOMB_RATIO * max(
            info.compress_size, 1
        ):
            _refuse(file_name,
                    f"Filen packas upp till orimligt mycket data ({_mb(info.file_size)} ur "
                    f"{_mb(info.compress_size)}) och kan vara en så kallad zip-bomb",
                    "Öppna filen i Excel, kontrollera innehållet och spara den på nytt som "
                    ".xlsx. Kontakta systemförvaltaren om filen ändå inte går att importera.")


class SheetFacts:
    """What a worksheet's XML says that the cell values do not: hidden rows (Excel row
    numbers) and formula cells without a saved value ((Excel row, column index))."""

    def __init__(self, hidden: frozenset[int] = frozenset(),
                 unsaved: frozenset[tuple[int, int]] = frozenset()):
        self.hidden = hidden
        self.unsaved = unsaved


class ZipFacts:
    def __init__(self, kind: str, sheets: dict[str, SheetFacts]):
        self.kind = kind
        self.sheets = sheets


_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_IN_CHUNK = 1 << 20
_OUT_CHUNK = 1 << 20


class _Inflater:
    """Unpacks zip members from their raw bytes with a running count of what comes out."""

    def __init__(self, data: bytes, file_name: str, limits: ImportLimits):
        self.data = memoryview(data)
        self.file_name = file_name
        self.limits = limits
        self.total = 0

    def read(self, info: zipfile.ZipInfo, *, keep: bool = False,
             scanner: _SheetScanner | None = None) -> bytes:
        """Unpack one member (returned only when `keep`); refuse at the limits."""
        start = info.header_offset
        header = bytes(self.data[start:start + _LOCAL_HEADER.size])
        if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            self._damaged()
        fields = _LOCAL_HEADER.unpack(header)
        begin = start + _LOCAL_HEADER.size + fields[9] + fields[10]
        kept: list[bytes] = []
        if info.compress_type == zipfile.ZIP_STORED:
            chunk = bytes(self.data[begin:begin + info.compress_size])
            self._count(len(chunk), len(chunk), info)
            if scanner is not None:
                scanner.feed(chunk)
            return chunk if keep else b""
        if info.compress_type != zipfile.ZIP_DEFLATED:
            self._damaged()
        inflate = _inflater.decompressobj(-15)
        position, end, produced = begin, len(self.data), 0
        pending: bytes | memoryview = self.data[position:position + _IN_CHUNK]
        position += len(pending)
        try:
            while True:
                out = inflate.decompress(pending, _OUT_CHUNK)
                produced += len(out)
                consumed = position - begin - len(inflate.unconsumed_tail)
                self._count(len(out), produced, info, consumed)
                if scanner is not None and out:
                    scanner.feed(out)
                if keep:
                    kept.append(out)
                if inflate.eof:
                    break
                pending = inflate.unconsumed_tail
                if not pending:
                    if position >= end:
                        self._damaged()  # the stream never ends: a truncated file
                    pending = self.data[position:position + _IN_CHUNK]
                    position += len(pending)
        except _inflater.error:
            self._damaged()
        return b"".join(kept)

    def _count(self, more: int, produced: int, info: zipfile.ZipInfo,
               consumed: int | None = None) -> None:
        self.total += more
        if self.total > self.limits.max_uncompressed_bytes:
            limit = _mb(self.limits.max_uncompressed_bytes)
            _refuse(self.file_name, f"Filens innehåll är för stort uppackat (mer än {limit})",
                    f"Högst {limit} uppackat tillåts. Dela upp filen i flera mindre filer.")
        packed = max(consumed if consumed is not None else info.compress_size, 1)
        if produced > BOMB_MIN_BYTES and produced > BOMB_RATIO * packed:
            _refuse(self.file_name,
                    f"Filen packas upp till orimligt mycket data (mer än {_mb(produced)} ur "
                    f"{_mb(packed)}) och kan vara en så kallad zip-bomb",
                    "Öppna filen i Excel, kontrollera innehållet och spara den på nytt som "
                    ".xlsx. Kontakta systemförvaltaren om filen ändå inte går att importera.")

    def _damaged(self) -> NoReturn:
        _refuse(self.file_name, "Filen är skadad eller ofullständig", _DAMAGED_FIX)


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")
_ATTRIBUTE = re.compile(rb"([\w:]+)=\"([^\"]*)\"")


def _attributes(text: bytes) -> dict[bytes, str]:
    return {k.split(b":")[-1]: html.unescape(v.decode("utf-8", "replace"))
            for k, v in _ATTRIBUTE.findall(text)}


def _worksheet_names(parts: dict[str, bytes]) -> dict[str, str]:
    """{member path of a worksheet: sheet name} from xl/workbook.xml and its relations."""
    targets = {}
    for match in _RELATION.finditer(parts.get("xl/_rels/workbook.xml.rels", b"")):
        attrs = _attributes(match.group(1))
        target = attrs.get(b"Target", "")
        path = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[attrs.get(b"Id", "")] = path.replace("/./", "/")
    names = {}
    for match in _SHEET_TAG.finditer(parts.get("xl/workbook.xml", b"")):
        attrs = _attributes(match.group(1))
        if attrs.get(b"id") in targets and b"name" in attrs:
            names[targets[attrs[b"id"]]] = attrs[b"name"]
    return names


_ROW_TAG = re.compile(rb"<row\b([^>]*)>")
_HIDDEN = re.compile(rb"\bhidden=\"(?:1|true)\"")
_ROW_NUMBER = re.compile(rb"\br=\"(\d+)\"")
_FORMULA_CELL = re.compile(
    rb"<c\b((?:[^>/]|/(?!>))*)>((?:(?!</c>|<c[ >]).)*?<f\b(?:(?!</c>).)*)</c>", re.S)
_CELL_REF = re.compile(rb"\br=\"([A-Z]{1,3})(\d+)\"")
_SAVED_VALUE = re.compile(rb"<v>[^<]|<is>")
_MAX_CARRY = 4 << 20


class _SheetScanner:
    """Finds hidden rows and unsaved formula cells in worksheet XML fed in pieces.

    Most sheets have neither: each piece is only searched for the two markers (`hidden="` of a
    hidden row, `</f>` that ends a formula – every sheet with formulas has one, a shared
    formula's first cell included). From the first piece with a marker on, the XML is parsed
    element by element (with what was left over of the piece before)."""

    TAIL = 64 << 10  # kept of the piece before, for an element cut in two

    def __init__(self) -> None:
        self.active = False
        self.carry = b""
        self.hidden: set[int] = set()
        self.unsaved: set[tuple[int, int]] = set()

    def feed(self, piece: bytes) -> None:
        if not self.active:
            edge = self.carry[-16:] + piece[:16]
            if not any(marker in part for part in (piece, edge)
                       for marker in (b'hidden="', b"</f>")):
                self.carry = piece[-self.TAIL:]
                return
            self.active = True
        text = self.carry + piece if self.carry else piece
        cut = max(text.rfind(b"</c>") + 4, text.rfind(b"</row>") + 6, 0)
        if cut == 0:  # nothing complete yet
            self.carry = text if len(text) < _MAX_CARRY else b""
            return
        done, self.carry = text[:cut], text[cut:]
        if b'hidden="' in done:
            for match in _ROW_TAG.finditer(done):
                attrs = match.group(1)
                if _HIDDEN.search(attrs) and (number := _ROW_NUMBER.search(attrs)):
                    self.hidden.add(int(number.group(1)))
        if b"<f" in done:
            for match in _FORMULA_CELL.finditer(done):
                if _SAVED_VALUE.search(match.group(2)):
                    continue
                ref = _CELL_REF.search(match.group(1))
                if ref:
                    self.unsaved.add((int(ref.group(2)), _letters_index(ref.group(1))))

    def facts(self) -> SheetFacts:
        if self.active:
            self.feed(b"")
        return SheetFacts(frozenset(self.hidden), frozenset(self.unsaved))


def _letters_index(letters: bytes) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ch - 64)
    return index - 1


def _ole2_kind(data: bytes, file_name: str) -> str:
    """An OLE2 compound file: an old .xls, or an encrypted (password-protected) workbook."""
    if "EncryptedPackage".encode("utf-16-le") in data:
        _password_protected(file_name)
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "xls"
    _not_spreadsheet(file_name, " (den ser ut att vara ett äldre Office-dokument, t.ex. Word)")


def _password_protected(file_name: str) -> NoReturn:
    _refuse(file_name, "Arbetsboken är lösenordsskyddad och kan inte läsas",
            "Ta bort lösenordet i Excel (Arkiv > Info > Skydda arbetsbok > Kryptera med "
            "lösenord, töm fältet), spara och importera igen.")


def _decode(data: bytes) -> str:
    """Text of a CSV: UTF-16 with BOM, UTF-8 with or without BOM, else Windows-1252."""
    if data.startswith(_UTF16):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# -- the cells of a sheet as Arrow columns ------------------------------------------------


class _Grid:
    """All cells of a sheet or CSV file: one Arrow string array per column, from column A and
    row 1 (so that index + 1 is the Excel row), and the Excel errors by (row index, column)."""

    def __init__(self, columns: list[pa.Array], height: int,
                 errors: dict[tuple[int, int], str] | None = None):
        self.columns = columns
        self.height = height
        self.errors = errors or {}
        self._head: list[list[str | None]] | None = None

    @classmethod
    def from_records(cls, records: list[list[str]]) -> _Grid:
        columns = [text_column(column) for column in zip_longest(*records)]
        return cls(columns, len(records))

    @classmethod
    def from_typed(cls, rows: TypedRows) -> _Grid:
        """The grid of python-calamine's typed cells (to_python(skip_empty_area=False))."""
        width = max(map(len, rows), default=0)
        columns = [text_column([row[j] if j < len(row) else None for row in rows])
                   for j in range(width)]
        return cls(columns, len(rows))

    @classmethod
    def from_fastexcel(cls, batch: pa.RecordBatch, infos: Sequence[fastexcel.ColumnInfo],
                       errors: fastexcel.CellErrors | None, ods: bool = False) -> _Grid:
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
    """A fastexcel column with the texts of `cell_text` (see _Grid.from_fastexcel). Each
    rewrite runs only on a column that has something to rewrite."""
    if column.type != pa.string():
        column = column.cast(pa.string())
    column = _empty_as_null(column)
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


_SKIP = "skip"  # a sheet that is passed over
_Loaded = tuple[_Grid, int, Callable[[int], TypedRows] | None] | str


def _fast_reader(data: bytes) -> fastexcel.ExcelReader | None:
    if fastexcel is None:
        return None
    try:
        return fastexcel.read_excel(data)
    except Exception:  # noqa: BLE001 – python-calamine will say what is wrong with the file
        return None


def _typed_rows(data: bytes, sheet_name: str, rows: int) -> TypedRows:
    """The first `rows` rows of a workbook sheet as python-calamine's typed cells."""
    book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False, nrows=rows)


# -- finding the table --------------------------------------------------------------------


class _Reader:
    """Finds the header row and builds the Sheet, for one file."""

    def __init__(self, file_name: str, codelists: ColumnVocabulary, limits: ImportLimits):
        self.file_name = file_name
        self.codelists = codelists
        self.limits = limits
        self.lookup = codelists.header_lookup()
        self.required = set(codelists.required())

    def fields_of(self, row: Sequence[object]) -> list[str | None]:
        """The canonical field of each cell of a (header) row, None when it matches nothing;
        decorations such as 'Datum *' or 'Datum (obligatorisk)' are ignored."""
        lookup = self.lookup
        return [(lookup.get(match_key(c)) or lookup.get(header_key(c)))
                if c.__class__ is str and c else None for c in row]

    def header_index(self, head: Sequence[Sequence[object]]) -> tuple[int, int] | None:
        """(index, matches) of the best header row among the first rows, or None. A row with
        every required column beats one without, then more matches win."""
        best: tuple[int, int] | None = None
        best_rank: tuple[bool, int] = (False, 0)
        least = getattr(self.codelists, "min_header_matches", MIN_HEADER_MATCHES)
        for i, row in enumerate(head[:HEADER_SEARCH_ROWS]):
            found = [f for f in self.fields_of(row) if f]
            if len(found) < least or not self.required.intersection(found):
                continue
            rank = (self.required.issubset(found), len(found))
            if best is None or rank > best_rank:
                best, best_rank = (i, len(found)), rank
        return best

    def complete(self, head: Sequence[Sequence[object]], index: int) -> bool:
        """Whether the header row at `index` has every required column."""
        return self.required.issubset(f for f in self.fields_of(head[index]) if f)

    # -- csv ------------------------------------------------------------------------------

    def from_text(self, text: str) -> Sheet:
        """A CSV file: sniff the delimiter from the header area, then read every record."""
        best: tuple[int, str] | None = None
        for delimiter in DELIMITERS:
            head = self._records(text, delimiter, HEADER_SEARCH_ROWS)
            found = self.header_index(list(head))
            if found and (best is None or found[1] > best[0]):
                best = (found[1], delimiter)
        if best is None:
            self._no_header()
        grid = _Grid.from_records(list(self._records(text, best[1], None)))
        index = self.header_index(grid.head())
        assert index is not None  # the same records gave a header row above
        return self.build(None, grid, index[0])

    def _records(self, text: str, delimiter: str, count: int | None) -> Iterator[list[str]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            yield from islice(reader, count)
        except csv.Error:
            _refuse(self.file_name, "Filen går inte att läsa som CSV",
                    "Kontrollera citattecknen på raden (ett citattecken som aldrig avslutas gör "
                    "resten av filen till en enda cell), eller spara filen från Excel som "
                    "Excel-arbetsbok (.xlsx) och importera den i stället.", row=reader.line_num)

    # -- workbooks ------------------------------------------------------------------------

    def from_workbook(self, data: bytes, ods: bool = False,
                      facts: dict[str, SheetFacts] | None = None,
                      name_check: NameCheck | None = None) -> ReadFile:
        """An xlsx, xls or ods: every sheet with a complete header row (see `read_file`)."""
        try:
            book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            sheets = [m for m in book.sheets_metadata
                      if m.typ == calamine.SheetTypeEnum.WorkSheet]
        except Exception as error:  # noqa: BLE001 – every calamine failure means a bad file
            self._unreadable(error)
        names = [m.name for m in sheets]
        if name_check is not None:
            name_check(names)
        facts = facts or {}
        reader = _fast_reader(data)
        found: list[tuple[bool, str, _Grid, int, Callable[[int], TypedRows]]] = []
        not_read: list[tuple[str, str]] = []
        for meta in sheets:
            visible = meta.visible == calamine.SheetVisibleEnum.Visible
            loaded = self._fast_grid(reader, meta.name, ods) if reader is not None else None
            if loaded is None:  # no fastexcel, or it failed: python-calamine decides
                loaded = self._calamine_grid(book, meta.name)
            if isinstance(loaded, str):  # _SKIP
                not_read.append((meta.name, NOT_READ_NO_HEADER))
                continue
            grid, height, typed = loaded
            index = self.header_index(grid.head())
            if index is None:
                not_read.append((meta.name, NOT_READ_NO_HEADER))
                continue
            if height - 1 - index[0] > 2 * self.limits.max_rows:
                self._too_many_rows(meta.name)
            found.append((visible, meta.name, grid, index[0],
                          typed or partial(_typed_rows, data, meta.name)))
        complete = [f for f in found if self.complete(f[2].head(), f[3])]
        chosen = [f for f in complete if f[0]] or complete
        if not chosen:
            if not found:
                self._no_header()
            _, name, grid, row, typed = min(found, key=lambda f: not f[0])
            self.build(name, grid, row, typed)  # refuses: the missing columns
            raise AssertionError("an incomplete header row is refused")  # pragma: no cover
        read: list[Sheet] = []
        total = 0
        chosen_names = {f[1] for f in chosen}
        complete_names = {f[1] for f in complete}
        for visible, name, grid, row, typed in found:
            if name not in chosen_names:
                not_read.append((name, NOT_READ_HIDDEN if name in complete_names and not visible
                                 else NOT_READ_INCOMPLETE))
                continue
            sheet = self.build(name, grid, row, typed, facts.get(name))
            total += len(sheet)
            if total > self.limits.max_rows:
                self._too_many_rows(name)
            read.append(sheet)
        order = {name: i for i, name in enumerate(names)}
        not_read.sort(key=lambda item: order.get(item[0], 0))
        return ReadFile(self.file_name, read, not_read, names)

    def _fast_grid(
        self, reader: fastexcel.ExcelReader, name: str, ods: bool,
    ) -> _Loaded | None:
        """(grid, height, None) of a sheet read by fastexcel, _SKIP for a sheet far too high
        without a header row, None when fastexcel fails."""
        try:
            loaded = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0)
            if self._surely_too_high(loaded.total_height):
                head = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0,
                                         n_rows=HEADER_SEARCH_ROWS)
                grid = _Grid.from_fastexcel(head.to_arrow(), head.available_columns(), None,
                                            ods)
                self._refuse_if_header(grid.head(), name)
                return _SKIP
            batch, errors = loaded.to_arrow_with_errors()
            grid = _Grid.from_fastexcel(batch, loaded.available_columns(), errors, ods)
        except FileRefused:
            raise
        except Exception:  # noqa: BLE001 – python-calamine tells a bad file from a fastexcel bug
            return None
        return grid, loaded.total_height, None

    def _calamine_grid(self, book: calamine.CalamineWorkbook, name: str) -> _Loaded:
        """(grid, height, typed rows) of a sheet read by python-calamine, or _SKIP."""
        try:
            sheet = book.get_sheet_by_name(name)
            height = sheet.end[0] + 1 if sheet.end is not None else 0
            if self._surely_too_high(height):
                head = sheet.to_python(skip_empty_area=False, nrows=HEADER_SEARCH_ROWS)
                self._refuse_if_header(head, name)
                return _SKIP
            rows = sheet.to_python(skip_empty_area=False)
        except FileRefused:
            raise
        except Exception as error:  # noqa: BLE001
            self._unreadable(error)
        return _Grid.from_typed(rows), height, lambda count: rows[:count]

    def _surely_too_high(self, height: int) -> bool:
        """Whether a sheet has far more rows than allowed wherever its header row is, so that
        it is refused (or skipped, without a header) before its cells are converted."""
        return height - HEADER_SEARCH_ROWS > 2 * self.limits.max_rows

    def _refuse_if_header(self, head: Sequence[Sequence[object]], name: str) -> None:
        if self.header_index(head) is not None:
            self._too_many_rows(name)

    def _unreadable(self, error: Exception) -> NoReturn:
        if isinstance(error, calamine.PasswordError):
            _password_protected(self.file_name)
        _refuse(self.file_name, "Filen är skadad eller ofullständig", _DAMAGED_FIX)

    # -- the Sheet ------------------------------------------------------------------------

    def build(
        self, sheet_name: str | None, grid: _Grid, header: int,
        typed: Callable[[int], TypedRows] | None = None, facts: SheetFacts | None = None,
    ) -> Sheet:
        """The Sheet below the header row (index `header`) of a grid; `facts` gives its hidden
        rows (counted) and formula cells without a saved value (reported as such)."""
        if facts is not None and facts.unsaved:
            grid.errors = {**grid.errors, **{(row - 1, j): UNSAVED_FORMULA
                                             for row, j in facts.unsaved}}
        head = grid.head()
        raw = head[header]
        width = max((j + 1 for j, c in enumerate(raw) if c is not None and c != ""), default=0)
        headers = [_header_text(c) for c in raw[:width]]
        fields = self.fields_of(headers)
        self._check_headers(sheet_name, header + 1, headers, fields)
        other: list[tuple[int, int, str]] = [
            (i + 1, j, c) for i, row in enumerate(head[:header]) for j, c in enumerate(row)
            if c is not None]
        first = header + 2  # the Excel row of the first row below the header
        below = [c.slice(header + 1) for c in grid.columns]
        other += _outside(below[width:], first, width)
        columns, kept = self._data_columns(sheet_name, below[:width])
        count = len(columns[0]) if columns else 0
        numbers = pc.add(kept, first) if kept is not None else pa.array(
            np.arange(first, first + count, dtype=np.int64))
        if count and _is_totals_row(columns):
            last = count - 1
            other += [(numbers[last].as_py(), j, c[last].as_py()) for j, c in enumerate(columns)
                      if c[last].is_valid]
            columns = [c.slice(0, last) for c in columns]
            numbers = numbers.slice(0, last)
        sheet = Sheet.from_columns(
            self.file_name, sheet_name, header + 1, headers, fields, columns,
            numbers.cast(pa.int64()), other,
            cell_errors=_errors_in(grid.errors, numbers, width), typed=typed)
        if facts is not None and facts.hidden:
            hidden = pa.array(sorted(facts.hidden), pa.int64())
            sheet.hidden_rows = pc.sum(pc.is_in(sheet.numbers, hidden)).as_py() or 0
        return sheet

    def _data_columns(
        self, sheet_name: str | None, columns: list[pa.Array],
    ) -> tuple[list[pa.Array], pa.Array | None]:
        """The columns without blank rows, and the indexes of the rows kept (None: all)."""
        if not columns:
            return [], pa.array([], pa.int64())
        kept = None
        for column in columns:
            filled = pc.and_kleene(pc.is_valid(column), pc.invert(pc.utf8_is_space(column)))
            kept = filled if kept is None else pc.or_(kept, filled)
        assert kept is not None
        count = pc.sum(kept).as_py() or 0
        if count > self.limits.max_rows:
            self._too_many_rows(sheet_name)
        if count == len(kept):
            return columns, None
        indexes = pc.indices_nonzero(kept)
        return [c.take(indexes) for c in columns], indexes.cast(pa.int64())

    def _too_many_rows(self, sheet_name: str | None) -> NoReturn:
        _refuse(self.file_name,
                f"Filen har fler än {self.limits.max_rows:,} rader".replace(",", " "),
                f"Dela upp filen i flera filer med högst {self.limits.max_rows:,} rader var "
                "och importera dem var för sig.".replace(",", " "), sheet=sheet_name)

    def _check_headers(
        self, sheet_name: str | None, row: int, headers: list[str], fields: list[str | None],
    ) -> None:
        """Refuse duplicated and missing columns, all at once."""
        columns: dict[str, list[int]] = {}
        for j, name in enumerate(fields):
            if name:
                columns.setdefault(name, []).append(j)
        problems = [self._duplicated(sheet_name, row, name, js, headers)
                    for name, js in columns.items() if len(js) > 1]
        problems += [self._missing(sheet_name, row, name)
                     for name in self.codelists.required() if name not in columns]
        if problems:
            raise FileRefused(problems)

    def _duplicated(
        self, sheet_name: str | None, row: int, name: str, js: list[int], headers: list[str],
    ) -> Problem:
        letters = _and([column_letter(j) for j in js])
        shown = _and([f"”{headers[j]}”" for j in js])
        both, others = ("båda", "den andra") if len(js) == 2 else ("alla", "de andra")
        return Problem(
            self.file_name,
            f"Kolumn {letters} ({shown}) betyder {both} {self.codelists.header(name)}",
            f"Behåll en av kolumnerna {letters} och ta bort eller döp om {others}, så att "
            "uppgiften bara finns i en kolumn.",
            sheet=sheet_name, row=row, column=headers[js[-1]],
        )

    def _missing(self, sheet_name: str | None, row: int, name: str) -> Problem:
        header = self.codelists.header(name)
        column = next(c for c in self.codelists.columns if c["namn"] == name)
        aliases = [a.strip() for a in column["alias"].split("|") if a.strip()]
        also = f" (godtas också: {', '.join(aliases)})" if aliases else ""
        reason = getattr(self.codelists, "missing_reason", "Kolumnen ”{header}” saknas")
        return Problem(
            self.file_name, reason.format(header=header),
            f"Lägg till en kolumn med rubriken ”{header}”{also} i rubrikraden (rad {row}) och "
            "fyll i den för varje rapport.",
            sheet=sheet_name, row=row,
        )

    def _no_header(self) -> NoReturn:
        required = [self.codelists.header(n) for n in self.codelists.required()]
        optional = [self.codelists.header(c["namn"]) for c in self.codelists.columns
                    if c["namn"] not in self.codelists.required()]
        _refuse(self.file_name, "Hittar ingen rubrikrad i filen",
                f"Rubrikraden ska stå bland de {HEADER_SEARCH_ROWS} första raderna och ha "
                f"kolumnerna {', '.join(required)} (obligatoriska) och gärna "
                f"{', '.join(optional)}. Utgå från mallen för rapporter.")


def _outside(columns: list[pa.Array], first: int, start: int) -> list[tuple[int, int, str]]:
    """(row, column, text) of the filled cells of columns beyond the header width."""
    cells = []
    for j, column in enumerate(columns, start=start):
        if column.null_count == len(column):
            continue
        rows = pc.indices_nonzero(pc.is_valid(column))
        cells += [(first + i, j, t) for i, t in zip(rows.to_pylist(),
                                                   column.take(rows).to_pylist(), strict=True)]
    cells.sort()
    return cells


def _is_totals_row(columns: list[pa.Array]) -> bool:
    """Whether the last row is a 'Summa'/'Totalt' row (its first filled cell says so)."""
    last = len(columns[0]) - 1
    first = next((c[last].as_py() for c in columns if c[last].is_valid), None)
    return first is not None and TOTALS.match(match_key(first)) is not None


def _errors_in(
    errors: dict[tuple[int, int], str], numbers: pa.Array, width: int,
) -> dict[tuple[int, int], str]:
    """The Excel errors of the data cells, by (data row index, column)."""
    inside = {(row + 1, j): name for (row, j), name in errors.items() if j < width}
    if not inside:
        return {}
    index = {n: i for i, n in enumerate(numbers.to_pylist())}
    return {(index[row], j): name for (row, j), name in inside.items() if row in index}


def _header_text(cell: str | None) -> str:
    return "" if cell is None else cell.strip()


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " och " + items[-1]
