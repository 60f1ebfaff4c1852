"""Builders for report files as partners really send them, for tests and benchmarks.

Every builder takes `rows` as a list of lists of cell values (str, int, float, bool, date,
datetime or None) and writes a file; the bad-file builders return or write broken bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

Rows = Sequence[Sequence[object]]

# The template's headers, in order, and one valid report row to vary.
HEADERS = [
    "Rapport-ID", "Datum", "Rapporttyp", "Område", "Form av extremism", "Händelsetyp",
    "Rapporterande verksamhet", "Kön", "Åldersgrupp", "Konsultationsforum",
]
VALID_ROW = [
    "SOC-2026-0001", dt.date(2026, 3, 2), "Incident", "Centrum", "Högerextremism", "Propaganda",
    "Socialtjänst", "Man", "13–15", "Nej",
]


def report_rows(count: int, start: int = 1) -> list[list[object]]:
    """`count` valid report rows with distinct ids (no header)."""
    rows = []
    for i in range(start, start + count):
        row = list(VALID_ROW)
        row[0] = f"SOC-2026-{i:05d}"
        row[1] = dt.date(2026, 1, 1) + dt.timedelta(days=i % 120)
        rows.append(row)
    return rows


# -- good files ---------------------------------------------------------------------------


def _workbook(sheets: dict[str, Rows]):  # noqa: ANN202 - an openpyxl Workbook
    """An openpyxl workbook with one sheet per item; dates become real Excel date cells."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row, start=1):
                if value is not None:
                    cell = ws.cell(row=i, column=j, value=value)
                    if isinstance(value, dt.datetime):
                        cell.number_format = "yyyy-mm-dd hh:mm"
                    elif isinstance(value, dt.date):
                        cell.number_format = "yyyy-mm-dd"
    return wb


def make_workbook(sheets: dict[str, Rows], path: Path | str) -> Path:
    """An xlsx with one sheet per item; dates become real Excel date cells."""
    path = Path(path)
    _workbook(sheets).save(path)
    return path


def make_xlsx(
    rows: Rows, path: Path | str, *, title_rows: Rows = (), sheet_name: str = "Rapporter",
) -> Path:
    """An xlsx with one sheet: the title block rows first, then `rows`."""
    return make_workbook({sheet_name: [*title_rows, *rows]}, path)


def make_csv(
    rows: Rows, path: Path | str, encoding: str = "utf-8", delimiter: str = ";",
) -> Path:
    """A CSV as Excel writes it (use encoding 'utf-8-sig' for a BOM, 'cp1252' for old Excel)."""
    path = Path(path)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        for row in rows:
            writer.writerow(["" if v is None else _text(v) for v in row])
    return path


def _text(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def make_ods(
    rows: Rows, path: Path | str, *, title_rows: Rows = (), sheet_name: str = "Rapporter",
) -> Path:
    """An OpenDocument spreadsheet (LibreOffice) with typed cells."""
    doc = OpenDocumentSpreadsheet()
    table = Table(name=sheet_name)
    for row in [*title_rows, *rows]:
        table_row = TableRow()
        for value in row:
            table_row.addElement(_ods_cell(value))
        table.addElement(table_row)
    doc.spreadsheet.addElement(table)
    path = Path(path)
    doc.save(str(path))
    return path


def _ods_cell(value: object) -> TableCell:
    if value is None:
        return TableCell()
    if isinstance(value, bool):
        cell = TableCell(valuetype="boolean", booleanvalue=str(value).lower())
    elif isinstance(value, int | float):
        cell = TableCell(valuetype="float", value=value)
    elif isinstance(value, dt.date):
        cell = TableCell(valuetype="date", datevalue=value.isoformat())
    else:
        cell = TableCell(valuetype="string")
    cell.addElement(P(text=_text(value)))
    return cell


# -- personal data ------------------------------------------------------------------------


def luhn_digit(nine_digits: str) -> str:
    """The check digit of a Swedish personal identity number (Luhn over YYMMDDNNN)."""
    total = 0
    for i, ch in enumerate(nine_digits):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return str((10 - total % 10) % 10)


def valid_personnummer(
    birth: dt.date = dt.date(1980, 1, 1), serial: int = 123, *, style: str = "12-",
    coordination: bool = False,
) -> str:
    """A checksum-valid personnummer (or samordningsnummer: day + 60).

    style: "12-" YYYYMMDD-NNNC, "12" YYYYMMDDNNNC, "10-" YYMMDD-NNNC, "10" YYMMDDNNNC,
    "10+" YYMMDD+NNNC (100 years or older).
    """
    day = birth.day + (60 if coordination else 0)
    short = f"{birth:%y%m}{day:02d}{serial % 1000:03d}"
    short += luhn_digit(short)
    century = f"{birth.year // 100:02d}"
    return {
        "12-": f"{century}{short[:6]}-{short[6:]}",
        "12": century + short,
        "10-": f"{short[:6]}-{short[6:]}",
        "10": short,
        "10+": f"{short[:6]}+{short[6:]}",
    }[style]


# -- bad files ----------------------------------------------------------------------------


def truncated(data: bytes) -> bytes:
    """The first half of a file, as after a broken upload."""
    return data[: len(data) // 2]


def pdf_bytes() -> bytes:
    """A tiny PDF (to be renamed .xlsx)."""
    return (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
            b"%%EOF\n")


def png_bytes() -> bytes:
    """A 1x1 PNG image."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b""))


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships"><sheets><sheet name="Rapporter" sheetId="1" r:id="rId1"/></sheets>'
        '</workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        '</Relationships>'),
    "xl/styles.xml": (  # style 1 = Excel's built-in date format 14
        '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.'
        'openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font/></fonts>'
        '<fills count="1"><fill/></fills><borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf/>'
        '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'),
}
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SHEET_XML = "xl/worksheets/sheet1.xml"


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell_xml(ref: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, dt.date):
        moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
        serial = (moment - _EXCEL_EPOCH) / dt.timedelta(days=1)
        return f'<c r="{ref}" s="1"><v>{serial:g}</v></c>'
    text = _text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def sheet_xml(rows: Iterable[Sequence[object]]) -> Iterable[str]:
    """Worksheet XML for rows (inline strings, dates as date cells), in pieces."""
    yield ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
           'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    letters = [_column_letter(j) for j in range(64)]
    for i, row in enumerate(rows, start=1):
        cells = "".join(_cell_xml(f"{letters[j]}{i}", v) for j, v in enumerate(row))
        yield f'<row r="{i}">{cells}</row>'
    yield "</sheetData></worksheet>"


def make_fast_xlsx(rows: Iterable[Sequence[object]], path: Path | str) -> Path:
    """A large xlsx quickly (no openpyxl): inline strings, real date cells, one sheet."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, text in _XLSX_PARTS.items():
            zf.writestr(name, text)
        with zf.open(_SHEET_XML, "w", force_zip64=True) as handle:
            buffer = io.TextIOWrapper(handle, encoding="utf-8", write_through=False)
            buffer.writelines(sheet_xml(rows))
            buffer.flush()
            buffer.detach()
    return path


def zip_bomb(uncompressed_mb: int, *, name: str = _SHEET_XML,
             declared: int | None = None) -> bytes:
    """An xlsx whose worksheet inflates to `uncompressed_mb` MiB of zeros (truly, not just
    declared), built in well under a second by repeating one fully flushed deflate block.
    `declared`: the uncompressed size its headers claim instead (a lying file)."""
    chunk = b"\0" * 2**20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    data = block * uncompressed_mb + compressor.flush()
    crc = 0
    for _ in range(uncompressed_mb):
        crc = zlib.crc32(chunk, crc)
    members = [(n, zlib.compress(t.encode())[2:-4], zlib.crc32(t.encode()), len(t.encode()))
               for n, t in _XLSX_PARTS.items() if n != name]
    members.append((name, data, crc, uncompressed_mb * 2**20 if declared is None else declared))
    return _raw_zip(members)


def _raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already deflated members: (name, raw deflate data, crc32, uncompressed size)."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size,
                           len(encoded), 0) + encoded + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                               len(data), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                      len(out), 0)
    return bytes(out + central + end)


def encrypted_workbook() -> bytes:
    """A password-protected (encrypted) xlsx as Excel saves it: an OLE2 compound file with the
    streams EncryptionInfo and EncryptedPackage (filler contents, valid layout)."""
    return ole2_file({"EncryptionInfo": b"\x04\x00\x04\x00" + b"\0" * 200,
                      "EncryptedPackage": b"\x10" + b"\0" * 7 + b"\xa5" * 500})


def ole2_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (version 3, one FAT sector, one directory sector) holding
    up to three streams. Each stream is padded to 4096 bytes so that it lives in ordinary
    sectors (smaller streams would need the mini stream)."""
    end, free, fat_sector, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    # Siblings must be ordered as the format sorts names: by length, then upper case.
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    fat, body, entries = [fat_sector, end], b"", []
    for index, name in enumerate(names, start=1):
        data = streams[name].ljust(4096, b"\0")
        data = data.ljust(-(-len(data) // 512) * 512, b"\0")
        first, count = len(fat), len(data) // 512
        fat += [first + i + 1 for i in range(count - 1)] + [end]
        right = index + 1 if index < len(names) else nostream
        entries.append(_ole2_entry(name, 2, right, nostream, first, len(data)))
        body += data
    assert len(fat) <= 128 and len(entries) <= 3
    root = _ole2_entry("Root Entry", 5, nostream, 1, end, 0)
    directory = b"".join([root, *entries]).ljust(512, b"\0")
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16, 0x3E, 3,
        0xFFFE, 9, 6, b"\0" * 6, 0, 1, 1, 0, 0x1000, end, 0, end, 0,
    ) + struct.pack("<I108I", 0, *[free] * 108)
    return header + struct.pack("<128I", *fat, *[free] * (128 - len(fat))) + directory + body


def _ole2_entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    nostream = 0xFFFFFFFF
    return struct.pack("<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1, nostream, right,
                       child, b"\0" * 16, 0, 0, 0, start, size)


def make_xls(rows: Rows, path: Path | str, *, sheet_name: str = "Rapporter") -> Path:
    """An Excel 97–2003 workbook (BIFF8) with text and number cells (no dates: BIFF needs a
    full style table for those). Enough for calamine and for Excel to open."""
    strings = sorted({str(v) for row in rows for v in row
                      if v is not None and not isinstance(v, int | float)})
    index = {text: i for i, text in enumerate(strings)}
    sst = struct.pack("<II", len(strings), len(strings)) + b"".join(
        struct.pack("<HB", len(t), 1) + t.encode("utf-16-le") for t in strings)
    name = struct.pack("<BB", len(sheet_name), 1) + sheet_name.encode("utf-16-le")
    globals_ = [_biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x5, 0x0DBB, 0x07CC, 0, 6)),
                _biff(0x0042, struct.pack("<H", 1200)), _biff(0x0022, struct.pack("<H", 0))]
    boundsheet_size = 4 + 6 + len(name)
    after = sum(map(len, globals_)) + boundsheet_size + len(_biff(0x00FC, sst)) + 4
    globals_ += [_biff(0x0085, struct.pack("<IBB", after, 0, 0) + name), _biff(0x00FC, sst),
                 _biff(0x000A, b"")]
    width = max((len(r) for r in rows), default=0)
    cells = [_biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x10, 0x0DBB, 0x07CC, 0, 6)),
             _biff(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))]
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(_biff(0x0203, struct.pack("<HHHd", i, j, 15, float(value))))
            elif value is not None:
                cells.append(_biff(0x00FD, struct.pack("<HHHI", i, j, 15, index[str(value)])))
    cells.append(_biff(0x000A, b""))
    path = Path(path)
    path.write_bytes(ole2_file({"Workbook": b"".join(globals_ + cells)}))
    return path


def _biff(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


# -- files as partners write them -------------------------------------------------------------


def make_partner_workbook(
    sheets: dict[str, Rows], path: Path | str, *,
    hidden_rows: dict[str, Sequence[int]] | None = None,
    formulas: dict[str, dict[str, str]] | None = None, autofilter: bool = False,
    hidden_sheets: Sequence[str] = (), macro: bool = False,
) -> Path:
    """An xlsx (or xlsm, `macro`) as Excel users leave it: `hidden_rows` {sheet: Excel rows
    hidden, e.g. by an autofilter}; `formulas` {sheet: {cell: formula}} written without a saved
    value (as a program that does not calculate writes them); `hidden_sheets` hidden."""
    wb = _workbook(sheets)
    for name, rows in sheets.items():
        ws = wb[name]
        for row in (hidden_rows or {}).get(name, ()):
            ws.row_dimensions[row].hidden = True
        for ref, formula in (formulas or {}).get(name, {}).items():
            ws[ref] = formula
        if autofilter and rows:
            ws.auto_filter.ref = f"A1:{_column_letter(len(rows[0]) - 1)}{len(rows)}"
        if name in hidden_sheets:
            ws.sheet_state = "hidden"
    path = Path(path)
    wb.save(path)
    if macro:  # an .xlsm: the macro-enabled content type, as Excel saves it
        data = path.read_bytes()
        path.write_bytes(_with_content_type(
            data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            "application/vnd.ms-excel.sheet.macroEnabled.main+xml"))
    return path


def _with_content_type(data: bytes, old: str, new: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "[Content_Types].xml":
                body = body.replace(old.encode(), new.encode())
            target.writestr(info, body)
    return out.getvalue()


def make_unicode_text(rows: Rows, path: Path | str) -> Path:
    """Excel's "Unicode text" (.txt): UTF-16 with a byte-order mark, tab-separated."""
    path = Path(path)
    text = "\r\n".join("\t".join("" if v is None else _text(v) for v in row) for row in rows)
    path.write_bytes(text.encode("utf-16"))
    return path


def decomposed(text: str) -> str:
    """The text with å, ä, ö written as a letter plus a combining mark (as macOS does)."""
    import unicodedata

    return unicodedata.normalize("NFD", text)


def school_rows(count: int, *, start: int = 1, year: int = 2026, quarter: int = 3,
                prefix: str = "2026-", sector: str = "Grundskola", seed: int = 0,
                width: int = 3) -> list[list[object]]:
    """`count` report rows of one school numbered prefix001, prefix002 … in one quarter;
    `seed` varies their content (two schools' reports look different)."""
    areas = ["Centrum", "Ersboda", "Ålidhem", "Teg", "Haga", "Mariehem"]
    forms = ["Högerextremism", "Vänsterextremism", "Islamistisk extremism", "Misogyn extremism"]
    events = ["Propaganda", "Hot", "Skadegörelse", "Oro för individ"]
    rows = []
    for i in range(start, start + count):
        k = i + seed
        day = dt.date(year, 3 * quarter - 2, 1) + dt.timedelta(days=(7 * k) % 85)
        event = events[k % len(events)]
        rows.append([f"{prefix}{i:0{width}d}", day, "Oro" if event == "Oro för individ"
                     else "Incident", areas[k % len(areas)], forms[k % len(forms)], event,
                     sector, "Okänt", "Okänd", "Nej"])
    return rows


def count_typed_reads(monkeypatch) -> list[object]:  # noqa: ANN001 - pytest.MonkeyPatch
    """Record every typed read of a workbook's cells (one list item per read). Install it
    before the sheet is read: the sheet binds the reader when it is made."""
    from lagesbild.intake.reading import workbooks

    reads: list[object] = []
    original = workbooks._typed_rows

    def typed_rows(*args: object) -> object:
        reads.append(args)
        return original(*args)

    monkeypatch.setattr(workbooks, "_typed_rows", typed_rows)
    return reads
