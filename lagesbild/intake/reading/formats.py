"""A file's bytes and its real format, told from the content, never from the file name: xlsx,
ods, xls or CSV text; anything else (a PDF, a picture, a web page, a Word document, a
password-protected workbook) is refused with what it seems to be."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from lagesbild.domain.config import ImportLimits
from lagesbild.intake.reading.refusals import mb, not_spreadsheet, password_protected, refuse
from lagesbild.intake.reading.zipguard import ZIP, zip_kind

_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")
_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BINARY_KINDS = (
    (b"%PDF", "en PDF-fil"), (b"\x89PNG", "en bild"), (b"\xff\xd8\xff", "en bild"),
    (b"GIF8", "en bild"), (b"MZ", "ett program"), (b"\x7fELF", "ett program"),
    (b"Rar!", "ett komprimerat arkiv"), (b"7z\xbc\xaf", "ett komprimerat arkiv"),
    (b"\x1f\x8b", "ett komprimerat arkiv"), (b"{\\rtf", "ett Word-dokument (RTF)"),
)
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


# A file to read: its path, or its bytes.
Source = str | os.PathLike[str] | bytes


def load(source: Source, file_name: str, limits: ImportLimits) -> bytes:
    """The file's bytes, refusing a missing, empty or too large file."""
    try:
        size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
        if size > limits.max_bytes:
            refuse(file_name, f"Filen är för stor ({mb(size)})",
                   f"Största tillåtna storlek är {mb(limits.max_bytes)}. Dela upp filen i "
                   "flera mindre filer och importera dem var för sig.")
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError:
        refuse(file_name, "Filen går inte att öppna",
               "Kontrollera att filen finns och att du har behörighet att läsa den.")
    if not data:
        refuse(file_name, "Filen är tom",
               "Kontrollera att du valt rätt fil; den innehåller ingenting. Spara rapporterna "
               "på nytt och importera igen.")
    return data


def detect(data: bytes, file_name: str, limits: ImportLimits) -> str:
    """'xlsx', 'ods', 'xls' or 'csv', told from the content; refuses anything else."""
    if data.startswith(ZIP):
        return zip_kind(data, file_name, limits)
    if data.startswith(_OLE2):
        return _ole2_kind(data, file_name)
    return _text_kind(data, file_name)


def _text_kind(data: bytes, file_name: str) -> str:
    for magic, what in _BINARY_KINDS:
        if data.startswith(magic):
            not_spreadsheet(file_name, f" (den ser ut att vara {what})")
    head = data[:8192]
    if not head.startswith(_UTF16) and (
        b"\0" in head or sum(head.count(c) for c in _CONTROL) > len(head) // 20
    ):
        not_spreadsheet(file_name, "")
    if head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"<"):
        refuse(file_name, "Filen är en webbsida eller XML-fil, inte ett kalkylark",
               "Öppna filen i Excel, välj Spara som > Excel-arbetsbok (.xlsx) och importera "
               "den nya filen.")
    return "csv"



def _ole2_kind(data: bytes, file_name: str) -> str:
    """An OLE2 compound file: an old .xls, or an encrypted (password-protected) workbook."""
    if "EncryptedPackage".encode("utf-16-le") in data:
        password_protected(file_name)
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "xls"
    not_spreadsheet(file_name, " (den ser ut att vara ett äldre Office-dokument, t.ex. Word)")


def decode(data: bytes) -> str:
    """Text of a CSV: UTF-16 with BOM, UTF-8 with or without BOM, else Windows-1252."""
    if data.startswith(_UTF16):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
