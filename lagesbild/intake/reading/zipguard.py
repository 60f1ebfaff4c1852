"""The zip guard: a zip-based file (xlsx, ods) is checked against the import limits from its
directory, then unpacked as a stream with a running count (the directory can lie), before any
reader sees it; on the way each xlsx worksheet's hidden rows and formula cells without a saved
value are noted (SheetFacts)."""

from __future__ import annotations

import html
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Sequence
from typing import Any, NoReturn

from lagesbild.domain.config import ImportLimits
from lagesbild.intake.reading.refusals import DAMAGED_FIX, mb, not_spreadsheet, refuse

_inflater: Any = zlib
try:  # ISA-L inflates twice as fast as zlib, with the same interface
    from isal import isal_zlib

    _inflater = isal_zlib
except ImportError:  # pragma: no cover – isal is installed with the project
    pass

# Zip-bomb rule: a member over 10 MB unpacked that is more than 100 times its packed size.
BOMB_MIN_BYTES = 10 * 2**20
BOMB_RATIO = 100
ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


def zip_kind(data: bytes, file_name: str, limits: ImportLimits) -> str:
    """Check the zip against the limits, then tell xlsx from ods."""
    return zip_facts(data, file_name, limits).kind


def zip_facts(data: bytes, file_name: str, limits: ImportLimits) -> ZipFacts:
    """Check the declared sizes, then unpack every member as a stream with a running count
    (the declared sizes can lie), stopping at the limits; tell xlsx from ods; and note, for
    each worksheet of an xlsx, its hidden rows and formula cells without a saved value."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        refuse(file_name, "Filen är skadad eller ofullständig", DAMAGED_FIX)
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
            refuse(file_name, "Filen är skadad eller ofullständig", DAMAGED_FIX)
    if any(n.startswith("word/") for n in names):
        not_spreadsheet(file_name, " (den ser ut att vara ett Word-dokument)")
    not_spreadsheet(file_name, " (den är ett zip-arkiv)")


def check_zip(data: bytes, file_name: str, limits: ImportLimits) -> None:
    """Refuse (FileRefused) a zip-based file that unpacks to more than the limits allow,
    whatever its directory declares; nothing is kept in memory."""
    zip_facts(data, file_name, limits)


def _check_unpacked_size(
    infos: Sequence[zipfile.ZipInfo], file_name: str, limits: ImportLimits,
) -> None:
    """Refuse at once what the zip directory itself declares too large (the real sizes are
    counted while unpacking, see _Inflater)."""
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        refuse(file_name, f"Filens innehåll är för stort uppackat ({mb(total)})",
               f"Högst {mb(limits.max_uncompressed_bytes)} uppackat tillåts. Dela upp filen "
               "i flera mindre filer.")
    for info in infos:
        if info.file_size > BOMB_MIN_BYTES and info.file_size > BOMB_RATIO * max(
            info.compress_size, 1
        ):
            refuse(file_name,
                   f"Filen packas upp till orimligt mycket data ({mb(info.file_size)} ur "
                   f"{mb(info.compress_size)}) och kan vara en så kallad zip-bomb",
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
            limit = mb(self.limits.max_uncompressed_bytes)
            refuse(self.file_name, f"Filens innehåll är för stort uppackat (mer än {limit})",
                   f"Högst {limit} uppackat tillåts. Dela upp filen i flera mindre filer.")
        packed = max(consumed if consumed is not None else info.compress_size, 1)
        if produced > BOMB_MIN_BYTES and produced > BOMB_RATIO * packed:
            refuse(self.file_name,
                   f"Filen packas upp till orimligt mycket data (mer än {mb(produced)} ur "
                   f"{mb(packed)}) och kan vara en så kallad zip-bomb",
                   "Öppna filen i Excel, kontrollera innehållet och spara den på nytt som "
                   ".xlsx. Kontakta systemförvaltaren om filen ändå inte går att importera.")

    def _damaged(self) -> NoReturn:
        refuse(self.file_name, "Filen är skadad eller ofullständig", DAMAGED_FIX)


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
