"""Reading partner spreadsheets (xlsx, xls, ods, csv) into a Sheet. (Skeleton: being written.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

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
