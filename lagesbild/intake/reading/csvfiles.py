"""Reading a CSV file: the delimiter sniffed from the header area, then every record read
with the csv module into the same Arrow columns as a workbook's."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import islice

from lagesbild.intake.reading.grid import HEADER_SEARCH_ROWS, Grid
from lagesbild.intake.reading.headers import TableFinder
from lagesbild.intake.reading.refusals import refuse
from lagesbild.intake.reading.sheet import Sheet

DELIMITERS = (";", ",", "\t")


class CsvReader(TableFinder):
    """Reads the table of one CSV file."""

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
        grid = Grid.from_records(list(self._records(text, best[1], None)))
        index = self.header_index(grid.head())
        assert index is not None  # the same records gave a header row above
        return self.build(None, grid, index[0])

    def _records(self, text: str, delimiter: str, count: int | None) -> Iterator[list[str]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            yield from islice(reader, count)
        except csv.Error:
            refuse(self.file_name, "Filen går inte att läsa som CSV",
                   "Kontrollera citattecknen på raden (ett citattecken som aldrig avslutas gör "
                   "resten av filen till en enda cell), eller spara filen från Excel som "
                   "Excel-arbetsbok (.xlsx) och importera den i stället.", row=reader.line_num)
