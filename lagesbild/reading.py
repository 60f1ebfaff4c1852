"""Reading partner spreadsheets (xlsx, xlsm, xls, ods, csv) into a Sheet.

The real format is told from the bytes, never from the file name. Zip-based files are checked
against the limits from the zip directory alone before anything is unpacked. The table is the
first sheet with a header row (at least 3 known headers, one of them required) among its first
20 rows. Anything that makes the file unusable raises FileRefused with every reason at once,
in Swedish, each saying how to fix it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import NoReturn

import python_calamine as calamine

from lagesbild.codelists import Codelists
from lagesbild.config import ImportLimits
from lagesbild.problems import FileRefused, Problem
from lagesbild.text import match_key

Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | None


@dataclass
class Sheet:
    """The table found in a file, as read: header texts and data rows, nothing interpreted.

    `rows[i]` is the Excel row `row_numbers[i]`; each row has one cell per header (padded
    with None). Blank rows and a trailing totals row are already left out. `fields[j]` is
    the canonical field name of column j, or None for a column the project does not import.
    `other_cells` are the cells above the header row (a title block), kept only so that the
    privacy guard can scan them.
    """

    file_name: str
    sheet_name: str | None
    header_row: int
    headers: list[str]
    fields: list[str | None]
    rows: list[list[Cell]]
    row_numbers: list[int]
    other_cells: list[tuple[int, int, Cell]] = field(default_factory=list)  # (row, col, value)


HEADER_SEARCH_ROWS = 20  # the header row must be among the first 20 rows of a sheet
MIN_HEADER_MATCHES = 3
TOTALS = frozenset({"summa", "totalt", "total", "summa totalt"})
DELIMITERS = (";", ",", "\t")
# Zip-bomb rule: a member over 10 MB unpacked that is more than 100 times its packed size.
BOMB_MIN_BYTES = 10 * 2**20
BOMB_RATIO = 100

_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")
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


def read_sheet(
    source: str | os.PathLike[str] | bytes, file_name: str, codelists: Codelists,
    limits: ImportLimits,
) -> Sheet:
    """Read the report table of a file (a path or the file's bytes); raise FileRefused."""
    data = _load(source, file_name, limits)
    kind = _detect(data, file_name, limits)
    reader = _Reader(file_name, codelists, limits)
    if kind == "csv":
        return reader.from_text(_decode(data))
    return reader.from_workbook(data)


def column_letter(index: int) -> str:
    """Excel's letter for a 0-based column index: 0 -> 'A', 27 -> 'AB'."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _refuse(file_name: str, reason: str, fix: str, **where: object) -> NoReturn:
    raise FileRefused([Problem(file_name, reason, fix, **where)])  # type: ignore[arg-type]


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
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data, file_name, limits)
    if data.startswith(_OLE2):
        return _ole2_kind(data, file_name)
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
    """Check the zip directory against the limits (nothing unpacked), then tell xlsx from ods."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        _refuse(file_name, "Filen är skadad eller ofullständig", _DAMAGED_FIX)
    _check_unpacked_size(infos, file_name, limits)
    names = {info.filename for info in infos}
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return "xlsx"
    mimetype = archive.NameToInfo.get("mimetype")
    if mimetype is not None and mimetype.file_size < 200:
        try:
            if archive.read("mimetype").strip() == _ODS_MIME:
                return "ods"
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            _refuse(file_name, "Filen är skadad eller ofullständig", _DAMAGED_FIX)
    if any(n.startswith("word/") for n in names):
        _not_spreadsheet(file_name, " (den ser ut att vara ett Word-dokument)")
    _not_spreadsheet(file_name, " (den är ett zip-arkiv)")


def _check_unpacked_size(
    infos: Sequence[zipfile.ZipInfo], file_name: str, limits: ImportLimits,
) -> None:
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


# -- finding the table --------------------------------------------------------------------


class _Reader:
    """Finds the header row and builds the Sheet, for one file."""

    def __init__(self, file_name: str, codelists: Codelists, limits: ImportLimits):
        self.file_name = file_name
        self.codelists = codelists
        self.limits = limits
        self.lookup = codelists.header_lookup()
        self.required = set(codelists.required())

    def fields_of(self, row: Sequence[object]) -> list[str | None]:
        """The canonical field of each cell of a (header) row, None when it matches nothing."""
        return [self.lookup.get(match_key(c)) if c.__class__ is str and c else None for c in row]

    def header_index(self, head: Sequence[Sequence[object]]) -> tuple[int, int] | None:
        """(index, matches) of the best header row among the first rows, or None."""
        best: tuple[int, int] | None = None
        for i, row in enumerate(head[:HEADER_SEARCH_ROWS]):
            found = [f for f in self.fields_of(row) if f]
            if len(found) < MIN_HEADER_MATCHES or not self.required.intersection(found):
                continue
            if best is None or len(found) > best[1]:
                best = (i, len(found))
        return best

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
        records = self._records(text, best[1], None)
        head = list(islice(records, HEADER_SEARCH_ROWS))
        index = self.header_index(head)
        assert index is not None  # the same records gave a header row above
        return self.build(None, head[: index[0] + 1], index[0],
                          chain(head[index[0] + 1 :], records))

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

    def from_workbook(self, data: bytes) -> Sheet:
        """An xlsx, xls or ods: the first sheet (visible sheets first) with a header row."""
        try:
            book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            sheets = [m for m in book.sheets_metadata
                      if m.typ == calamine.SheetTypeEnum.WorkSheet]
        except Exception as error:  # noqa: BLE001 – every calamine failure means a bad file
            self._unreadable(error)
        sheets.sort(key=lambda m: m.visible != calamine.SheetVisibleEnum.Visible)
        for meta in sheets:
            try:
                sheet = book.get_sheet_by_name(meta.name)
                head = sheet.to_python(skip_empty_area=False, nrows=HEADER_SEARCH_ROWS)
            except Exception as error:  # noqa: BLE001
                self._unreadable(error)
            index = self.header_index(head)
            if index is None:
                continue
            self._check_height(sheet, meta.name, index[0])
            try:
                grid = sheet.to_python(skip_empty_area=False)
            except Exception as error:  # noqa: BLE001
                self._unreadable(error)
            return self.build(meta.name, grid[: index[0] + 1], index[0],
                              islice(grid, index[0] + 1, None))
        self._no_header()

    def _unreadable(self, error: Exception) -> NoReturn:
        if isinstance(error, calamine.PasswordError):
            _password_protected(self.file_name)
        _refuse(self.file_name, "Filen är skadad eller ofullständig", _DAMAGED_FIX)

    def _check_height(self, sheet: calamine.CalamineSheet, name: str, header: int) -> None:
        """Refuse before converting a sheet that has far more rows than allowed."""
        end = sheet.end
        if end is not None and end[0] - header > 2 * self.limits.max_rows:
            self._too_many_rows(name)

    # -- the Sheet ------------------------------------------------------------------------

    def build(
        self, sheet_name: str | None, head: Sequence[Sequence[Cell]], header: int,
        rest: Iterable[Sequence[Cell]],
    ) -> Sheet:
        """The Sheet from the rows up to the header row and an iterator over the rows below."""
        raw = head[header]
        width = max((j + 1 for j, c in enumerate(raw) if c != "" and c is not None), default=0)
        headers = [_header_text(c) for c in raw[:width]]
        fields = self.fields_of(headers)
        self._check_headers(sheet_name, header + 1, headers, fields)
        other = [(i + 1, j, c) for i, row in enumerate(head[:header])
                 for j, c in enumerate(row) if c != "" and c is not None]
        rows, numbers = self._data_rows(sheet_name, rest, header + 2, width, other)
        _drop_totals_row(rows, numbers, other)
        return Sheet(self.file_name, sheet_name, header + 1, headers, fields, rows, numbers,
                     other)

    def _data_rows(
        self, sheet_name: str | None, rest: Iterable[Sequence[Cell]], first: int, width: int,
        other: list[tuple[int, int, Cell]],
    ) -> tuple[list[list[Cell]], list[int]]:
        """Non-blank rows cut to the header width (cells beyond it go to `other`)."""
        rows: list[list[Cell]] = []
        numbers: list[int] = []
        limit = self.limits.max_rows
        for number, raw in enumerate(rest, start=first):
            cells = list(raw[:width])
            if "" in cells:  # a C-level scan; most full rows skip the per-cell pass
                cells = [None if c == "" else c for c in cells]
            if len(raw) > width and any(raw[width:]):
                other.extend((number, j, c) for j, c in enumerate(raw[width:], start=width)
                             if c != "" and c is not None)
            if _blank_start(cells) and all(map(_blank, cells)):
                continue
            if len(cells) < width:
                cells.extend([None] * (width - len(cells)))
            rows.append(cells)
            numbers.append(number)
            if len(rows) > limit:
                self._too_many_rows(sheet_name)
        return rows, numbers

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
        return Problem(
            self.file_name, f"Kolumnen ”{header}” saknas",
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


def _blank(cell: Cell) -> bool:
    return cell is None or (cell.__class__ is str and not cell.strip())


def _blank_start(cells: list[Cell]) -> bool:
    """Whether the row's first cell is blank (a cheap test before the full one)."""
    return not cells or _blank(cells[0])


def _header_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.date | dt.time):
        return cell.isoformat()
    return str(cell).strip()


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " och " + items[-1]


def _drop_totals_row(
    rows: list[list[Cell]], numbers: list[int], other: list[tuple[int, int, Cell]],
) -> None:
    """Leave out a trailing 'Summa'/'Totalt' row (its cells are kept in `other`)."""
    if not rows:
        return
    first = next((c for c in rows[-1] if c is not None), None)
    if first.__class__ is str and match_key(first).rstrip(":") in TOTALS:
        number = numbers.pop()
        other.extend((number, j, c) for j, c in enumerate(rows.pop()) if c is not None)
