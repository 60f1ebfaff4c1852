"""A problem report for the partner who sent a refused file, and safe names for uploaded files.

`problem_workbook` returns an Excel workbook with

* a sheet "Problem" (first, and active) listing every problem: sheet, cell, row, column,
  value, what is wrong and how to fix it; the cell reference links to the cell in the copy;
* a copy of the partner's file in which every problem cell is highlighted and carries a
  comment with the reason and the fix. An xlsx/xlsm is copied with openpyxl (values, formats,
  drop-down lists; formulas are replaced by their values, macros are left out); a csv, ods or
  xls is written row by row into new sheets.

Personal data are never passed on: a cell that a problem reports as personal data (and any
other cell of the copy that looks like a personnummer, e-mail address or phone number) is
emptied in the copy, and the Problem sheet shows no value for it. Existing comments and the
document properties (author, last saved by) are removed. Text in the Problem sheet that Excel
could take for a formula (starting with = + - @) is neutralised with a leading apostrophe, and
text cells of the copy are always stored as text, never as formulas (both through the project's
one cell writer, lagesbild.domain.spreadsheet).

A file that cannot be opened safely (too large, a zip bomb, password protected, not a
spreadsheet) gets a report with the Problem sheet only.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from lagesbild.domain import spreadsheet
from lagesbild.domain.config import ImportLimits
from lagesbild.domain.problems import FileRefused, Problem
from lagesbild.domain.spreadsheet import write_cell
from lagesbild.intake import privacy
from lagesbild.intake.reading import check_zip

PROBLEM_SHEET = "Problem"
HEADERS = ("Blad", "Cell", "Rad", "Kolumn", "Värde", "Problem", "Så rättar du")
WIDTHS = (16, 8, 7, 22, 22, 50, 70)
MAX_LISTED = 10_000  # problems listed (and cells marked); the rest are counted
MAX_COPY_BYTES = 20 * 2**20  # larger files get the Problem sheet only
MAX_COPY_UNPACKED = 150 * 2**20
HEADER_SEARCH_ROWS = 20
PERSONAL_NOTE = "Innehållet är borttaget eftersom det ser ut att vara en personuppgift."
COPY_NOTE = ("Kopian av er fil finns i bladet/bladen efter detta. Celler med problem är "
             "markerade och har en kommentar.")
NO_COPY_NOTE = ("Filen kunde inte kopieras hit (den kunde inte öppnas säkert), så bara "
                "listan över problem finns med.")

_MARK = PatternFill("solid", fgColor="FFC7CE")
_MARK_PERSONAL = PatternFill("solid", fgColor="FF9999")
_HEAD = PatternFill("solid", fgColor="DDE6F0")
_PERSONAL_REASONS = frozenset(privacy.REASONS.values())
_LETTERS = re.compile(r"^[A-Z]{1,3}$")
_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")


# -- file names -----------------------------------------------------------------------------
_NAME_KEEP = re.compile(r"[^A-Za-z0-9ÅÄÖåäöÉéÈèÜüÆæØøÁáÍíÓóÚúÑñ .,()+_-]")
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])$", re.IGNORECASE)


def safe_file_name(name: object, max_length: int = 100) -> str:
    """A file name that is safe to show, log and write: no folders, no control or format
    characters, only letters (Swedish included), digits and . , ( ) + _ - and spaces, at most
    `max_length` characters with the extension kept; 'fil' when nothing is left; a placeholder
    when the name looks like it holds personal data (privacy.masked_name)."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    text = _NAME_KEEP.sub("_", text)
    text = re.sub(r"_+", "_", re.sub(r"\s+", " ", text))
    text = text.strip(" ._-")
    text = re.sub(r"\.{2,}", ".", text)
    stem, dot, ext = text.rpartition(".")
    if not dot or not stem or len(ext) > 10 or " " in ext:
        stem, ext = text, ""
    stem = stem.strip(" ._-")
    if _RESERVED.match(stem):
        stem = "_" + stem
    ext = f".{ext}" if ext else ""
    room = max(1, max_length - len(ext))
    stem = stem[:room].rstrip(" ._-") or "fil"
    return privacy.masked_name((stem + ext)[:max_length])


def report_file_name(file_name: str) -> str:
    """The name to offer for the report: 'problem_<original stem>.xlsx'."""
    stem = safe_file_name(file_name).rsplit(".", 1)[0]
    return safe_file_name(f"problem_{stem}.xlsx")


# -- cell text ----------------------------------------------------------------------------------
neutralise = spreadsheet.neutralise  # text Excel could take for a formula, with "'" in front


def _is_personal(problem: Problem) -> bool:
    return problem.reason in _PERSONAL_REASONS


def _header_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _letter_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


# -- the grid of a file that is not xlsx ----------------------------------------------------------
def _safe_to_open(data: bytes) -> bool:
    """Whether the bytes may be opened for a copy (size, zip directory, encryption)."""
    if len(data) > MAX_COPY_BYTES or not data:
        return False
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:  # the real unpacked size, counted while unpacking (never the declared one)
            check_zip(data, "fil", ImportLimits(max_uncompressed_bytes=MAX_COPY_UNPACKED))
        except FileRefused:
            return False
        return True
    if data.startswith(_OLE2):
        return "EncryptedPackage".encode("utf-16-le") not in data
    return _looks_like_text(data)


_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"MZ", b"\x7fELF", b"Rar!",
                 b"7z\xbc\xaf", b"\x1f\x8b", b"{\\rtf")
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def _looks_like_text(data: bytes) -> bool:
    """A CSV, not some other file (a PDF, a picture, a web page, a program)."""
    if data.startswith(_BINARY_MAGIC):
        return False
    head = data[:8192]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\0" in head or sum(head.count(c) for c in _CONTROL) > len(head) // 20:
        return False
    return not head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"<")


def _kind(data: bytes) -> str:
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        names = {i.filename for i in zipfile.ZipFile(io.BytesIO(data)).infolist()}
        return "xlsx" if any(n.startswith("xl/") for n in names) else "ods"
    if data.startswith(_OLE2):
        return "xls"
    return "csv"


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_rows(data: bytes) -> list[list[str]]:
    """The records of a CSV with the delimiter that gives the widest rows at the top."""
    text = _decode(data)
    if "\0" in text[:8192]:
        raise ValueError("binary")

    def records(delimiter: str, count: int | None) -> list[list[str]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        out = []
        for record in reader:
            out.append(record)
            if count is not None and len(out) >= count:
                break
        return out

    best = max((";", ",", "\t"), key=lambda d: max(
        (len(r) for r in records(d, HEADER_SEARCH_ROWS)), default=0))
    return records(best, None)


def _calamine_sheets(data: bytes) -> list[tuple[str, list[list[object]]]]:
    import python_calamine as calamine

    book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    out: list[tuple[str, list[list[object]]]] = []
    for meta in book.sheets_metadata:
        if meta.typ != calamine.SheetTypeEnum.WorkSheet:
            continue
        grid = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
        out.append((meta.name, [[None if c == "" else c for c in row] for row in grid]))
    return out


def _sheet_title(name: str, taken: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "_", name or "Rapporter")[:31].strip("'") or "Rapporter"
    base, n = title, 2
    while title.casefold() in taken:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title.casefold())
    return title


# -- building the report -----------------------------------------------------------------------
def _copy_workbook(data: bytes, file_name: str) -> tuple[Workbook, dict[str | None, str]]:
    """The partner's file as a workbook, and the title of each of its sheets in it (key None:
    the sheet that problems without a sheet name refer to)."""
    kind = _kind(data)
    if kind == "xlsx":
        wb = load_workbook(io.BytesIO(data), data_only=True, keep_vba=False, rich_text=False)
        own = next((ws for ws in wb.worksheets
                    if ws.title.casefold() == PROBLEM_SHEET.casefold()), None)
        if own is not None:  # the partner's own sheet called "Problem" keeps its place
            own.title = _sheet_title(f"{PROBLEM_SHEET} (er)",
                                     {ws.title.casefold() for ws in wb.worksheets})
        titles: dict[str | None, str] = {ws.title: ws.title for ws in wb.worksheets}
        if own is not None:
            titles[PROBLEM_SHEET] = own.title
        titles[None] = wb.worksheets[0].title
        return wb, titles
    wb = Workbook()
    wb.remove(wb.active)
    taken = {PROBLEM_SHEET.casefold()}
    sheets: Sequence[tuple[str | None, Sequence[Sequence[object]]]] = (
        [(None, _csv_rows(data))] if kind == "csv" else _calamine_sheets(data))
    titles = {}
    for name, grid in sheets:
        ws = wb.create_sheet(_sheet_title(name or safe_file_name(file_name).rsplit(".", 1)[0],
                                          taken))
        titles[name] = ws.title
        titles.setdefault(None, ws.title)
        for row in grid:
            ws.append([None] * len(row))
        for i, row in enumerate(grid, start=1):
            for j, value in enumerate(row, start=1):
                if value is None or value == "":
                    continue
                cell = write_cell(ws.cell(row=i, column=j), value, editable=True)
                if isinstance(value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        for j in range(1, max((len(r) for r in grid[:50]), default=0) + 1):
            ws.column_dimensions[get_column_letter(j)].width = 18
    return wb, titles


def _scrub(wb: Workbook) -> None:
    """Remove what could carry personal data beyond the flagged cells: existing comments,
    document properties and every cell value that looks like personal data."""
    props = wb.properties
    for attr in ("creator", "lastModifiedBy", "title", "subject", "description", "keywords",
                 "category", "identifier", "contentStatus"):
        setattr(props, attr, None)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell, MergedCell):
                    continue
                if cell.comment is not None:
                    cell.comment = None
                value = cell.value
                if value is not None and privacy.looks_personal(value):
                    cell.value = None
                    cell.fill = _MARK_PERSONAL
                    cell.comment = _comment(PERSONAL_NOTE)


def _comment(text: str) -> Comment:
    comment = Comment(text[:2000], "Lägesbild")
    comment.width, comment.height = 320, 140
    return comment


def _header_map(ws: Worksheet, problems: Sequence[Problem]) -> tuple[int, dict[str, int]]:
    """(header row number, header text -> 0-based column) for the problems of one sheet."""
    names = {p.column for p in problems if p.column}
    best: tuple[int, dict[str, int]] = (0, {})
    for i, row in enumerate(ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS,
                                         values_only=True), start=1):
        texts = {}
        for j, value in enumerate(row):
            text = _header_text(value)
            if text and text not in texts:
                texts[text] = j
        hits = len(names & texts.keys())
        if hits > len(names & best[1].keys()):
            best = (i, texts)
    return best


def _column_index(problem: Problem, header_row: int, headers: dict[str, int]) -> int | None:
    if not problem.column:
        return None
    if problem.row is not None and problem.row > header_row and problem.column in headers:
        return headers[problem.column]
    if _LETTERS.match(problem.column):
        return _letter_index(problem.column)
    return headers.get(problem.column)


def _mark(wb: Workbook, titles: dict[str | None, str], problems: Sequence[Problem]) \
        -> dict[int, str]:
    """Highlight and annotate the problem cells; empty personal-data cells. Returns the cell
    reference of each problem (by index) that could be placed."""
    by_sheet: dict[str, list[tuple[int, Problem]]] = {}
    for k, p in enumerate(problems):
        title = titles.get(p.sheet) or titles.get(None)
        if title and p.row is not None:
            by_sheet.setdefault(title, []).append((k, p))
    refs: dict[int, str] = {}
    notes: dict[tuple[str, int, int], list[str]] = {}
    emptied: set[tuple[str, int, int]] = set()
    for title, items in by_sheet.items():
        ws = wb[title]
        header_row, headers = _header_map(ws, [p for _k, p in items])
        for k, p in items:
            j = _column_index(p, header_row, headers)
            if j is None or p.row is None or p.row < 1:
                continue
            cell = ws.cell(row=p.row, column=j + 1)
            if isinstance(cell, MergedCell):  # inside a merged range: only the list shows it
                continue
            personal = _is_personal(p) or (p.value is None and cell.value is not None
                                           and privacy.looks_personal(cell.value))
            if personal:
                cell.value = None
                cell.fill = _MARK_PERSONAL
                emptied.add((title, p.row, j + 1))
            elif (title, p.row, j + 1) not in emptied:
                cell.fill = _MARK
            note = f"{p.reason}. {p.fix}" + (f"\n{PERSONAL_NOTE}" if personal else "")
            notes.setdefault((title, p.row, j + 1), []).append(note)
            refs[k] = f"{get_column_letter(j + 1)}{p.row}"
    for (title, row, col), texts in notes.items():
        unique = list(dict.fromkeys(texts))
        wb[title].cell(row=row, column=col).comment = _comment("\n\n".join(unique))
    return refs


def _problem_sheet(wb: Workbook, file_name: str, problems: Sequence[Problem],
                   titles: dict[str | None, str], refs: dict[int, str], copied: bool,
                   left_out: int) -> None:
    ws = wb.create_sheet(PROBLEM_SHEET, 0)
    wb.active = 0
    summary = (f"{len(problems) + left_out} problem i filen {safe_file_name(file_name)}. "
               + (COPY_NOTE if copied else NO_COPY_NOTE))
    write_cell(ws.cell(row=1, column=1), summary)
    ws.cell(row=1, column=1).font = Font(bold=True)
    for j, (head, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        cell = write_cell(ws.cell(row=3, column=j), head)
        cell.font = Font(bold=True)
        cell.fill = _HEAD
        ws.column_dimensions[get_column_letter(j)].width = width
    for i, (k, p) in enumerate(enumerate(problems), start=4):
        personal = _is_personal(p) or (p.value is not None and privacy.looks_personal(p.value))
        value = None if personal else p.value
        title = (titles.get(p.sheet) or titles.get(None)) if copied else None
        row = (title or p.sheet or "", refs.get(k, ""), p.row, p.column or "", value, p.reason,
               p.fix)
        for j, item in enumerate(row, start=1):
            cell = write_cell(ws.cell(row=i, column=j), item)
            cell.alignment = Alignment(wrap_text=j >= 5, vertical="top")
        if k in refs and title:
            link = ws.cell(row=i, column=2)
            link.hyperlink = Hyperlink(ref=link.coordinate,
                                       location=f"{quote_sheetname(title)}!{refs[k]}")
            link.font = Font(color="0563C1", underline="single")
    if left_out:
        last = ws.cell(row=len(problems) + 4, column=1)
        write_cell(last, f"… och {left_out} problem till som inte visas här. Rätta "
                               "problemen ovan och ladda upp filen igen för att se resten.")
    ws.freeze_panes = "A4"
    ws.auto_filter.ref = f"A3:{get_column_letter(len(HEADERS))}{max(3, len(problems) + 3)}"


def problem_workbook(original_bytes: bytes, file_name: str,
                     problems: Iterable[Problem]) -> bytes:
    """The problem report for a refused file, as the bytes of an .xlsx."""
    listed = list(problems)
    left_out = max(0, len(listed) - MAX_LISTED)
    listed = listed[:MAX_LISTED]
    wb: Workbook | None = None
    titles: dict[str | None, str] = {}
    if _safe_to_open(original_bytes):
        try:
            wb, titles = _copy_workbook(original_bytes, file_name)
        except Exception:  # noqa: BLE001 - any failure to open means: no copy, list only
            wb = None
    copied = wb is not None and bool(wb.worksheets)
    if not copied:
        wb, titles = Workbook(), {}
        wb.remove(wb.active)
    assert wb is not None
    refs: dict[int, str] = {}
    if copied:
        _scrub(wb)
        refs = _mark(wb, titles, listed)
    _problem_sheet(wb, file_name, listed, titles, refs, copied, left_out)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def problem_counts(problems: Iterable[Problem]) -> Counter[str]:
    """How many problems of each kind (reason), most common first (for a short summary)."""
    return Counter(p.reason for p in problems)
