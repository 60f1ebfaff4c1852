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

The package, by job: `sheet` (Sheet, ReadFile: what a reader gives), `formats` (the bytes and
the real format), `zipguard` (the limits of a zip-based file, hidden rows and unsaved formulas),
`grid` (cells as Arrow columns), `headers` (the header row and the Sheet below it), `workbooks`
and `csvfiles` (the two readers). Callers import from `lagesbild.intake.reading`.
"""

from __future__ import annotations

from lagesbild.domain.codelists import ColumnVocabulary
from lagesbild.domain.config import ImportLimits
from lagesbild.intake.phases import phase
from lagesbild.intake.reading.csvfiles import DELIMITERS, CsvReader
from lagesbild.intake.reading.formats import Source, decode, detect, load
from lagesbild.intake.reading.grid import EXCEL_ERRORS, HEADER_SEARCH_ROWS
from lagesbild.intake.reading.headers import (
    MIN_HEADER_MATCHES,
    TOTALS,
    UNSAVED_FORMULA,
    column_letter,
)
from lagesbild.intake.reading.sheet import Cell, ReadFile, Sheet, TypedRows, cell_text, text_column
from lagesbild.intake.reading.workbooks import (
    NOT_READ_HIDDEN,
    NOT_READ_INCOMPLETE,
    NOT_READ_NO_HEADER,
    NameCheck,
    WorkbookReader,
)
from lagesbild.intake.reading.zipguard import (
    BOMB_MIN_BYTES,
    BOMB_RATIO,
    ZIP,
    SheetFacts,
    check_zip,
    zip_facts,
)

__all__ = [
    "BOMB_MIN_BYTES", "BOMB_RATIO", "DELIMITERS", "EXCEL_ERRORS", "HEADER_SEARCH_ROWS",
    "MIN_HEADER_MATCHES", "NOT_READ_HIDDEN", "NOT_READ_INCOMPLETE", "NOT_READ_NO_HEADER",
    "Source", "TOTALS", "UNSAVED_FORMULA", "Cell", "NameCheck", "ReadFile", "Sheet", "TypedRows",
    "cell_text", "check_zip", "column_letter", "read_file", "read_sheet", "text_column",
]


def read_file(
    source: Source, file_name: str, codelists: ColumnVocabulary,
    limits: ImportLimits, name_check: NameCheck | None = None,
) -> ReadFile:
    """Read every table of a file (a path or the file's bytes); raise FileRefused.

    A workbook's every sheet whose header row has all the required columns is read (visible
    sheets; hidden ones only when no visible sheet has them); the others are named in
    `not_read`. When no sheet has every required column, the best incomplete one says which
    columns are missing. `name_check` sees the sheet names before anything else and may
    refuse the file (a sheet named after a person)."""
    data = load(source, file_name, limits)
    facts: dict[str, SheetFacts] = {}
    if data.startswith(ZIP):  # unpacked once: the guard and the facts of each sheet
        with phase("zip-kontroll, dolda rader och formler"):
            found = zip_facts(data, file_name, limits)
        kind, facts = found.kind, found.sheets
    else:
        kind = detect(data, file_name, limits)
    if kind == "csv":
        text_reader = CsvReader(file_name, codelists, limits)
        with phase("tolkning (fastexcel)"):
            return ReadFile(file_name, [text_reader.from_text(decode(data))])
    reader = WorkbookReader(file_name, codelists, limits)
    with phase("tolkning (fastexcel)"):
        return reader.from_workbook(data, ods=kind == "ods", facts=facts,
                                    name_check=name_check)


def read_sheet(
    source: Source, file_name: str, codelists: ColumnVocabulary,
    limits: ImportLimits,
) -> Sheet:
    """The first table of a file (see `read_file`); raise FileRefused."""
    return read_file(source, file_name, codelists, limits).sheets[0]
