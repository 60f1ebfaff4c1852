"""The one formula-safe cell writer: every spreadsheet cell the project writes goes through here.

A spreadsheet reads a cell as a formula when its text starts with = + - @ (or a tab, a carriage
return, a line feed or the full-width forms of those signs), so a text such as
`=cmd|' /C calc'!A0` from a partner's file, an analyst's activity text or a code list could run
when the file is opened. Two ways out, chosen by what the file is for:

* **Files to read** (exports, downloads, the list of problems): `safe_cell` puts an apostrophe
  in front of such a text, as a CSV needs too, and `write_cell` stores it as text.
* **Files to edit and upload again** (templates, the activity plan, the copy of a partner's
  file in a problem report): `write_cell(..., editable=True)` stores the text unchanged but as
  a text cell marked "quote prefix", which is what Excel itself does for a typed `'=…`: it shows
  the text, keeps it text when the cell is edited, and the upload reads back the same text.

Either way the cell is a string cell, never a formula. `tests/unit/test_spreadsheet_cells.py`
checks that no other module sets a cell's value.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Control characters that an .xlsx cannot hold (openpyxl refuses them): written out instead.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def neutralise(value: object) -> object:
    """A text that a spreadsheet could take for a formula, with an apostrophe in front;
    anything else unchanged."""
    return "'" + value if isinstance(value, str) and looks_like_formula(value) else value


def safe_cell(value: object) -> object:
    """A value that is safe to write into a spreadsheet cell of a file to read.

    Numbers (int, float, Decimal, numpy numbers; not bool) are returned as numbers (NaN and
    infinity as None); None/NA stay empty; bool becomes "Ja"/"Nej"; dates stay dates; any
    other value becomes text, and text starting with = + - @ (or tab, CR, LF, or their
    full-width forms) is prefixed with "'" so it is never read as a formula.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value
    return neutralise(str(value))


def _editable(value: object) -> object:
    """A value for a file to edit: numbers, booleans and dates as they are, the rest text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, bool | int | float | Decimal | dt.datetime | dt.date | dt.time):
        return value
    return str(value)


def write_cell(cell: Any, value: object, *, editable: bool = False) -> Any:
    """Write `value` into an openpyxl cell, never as a formula; returns the cell.

    `editable=False`: through `safe_cell` (formula-like text gets an apostrophe).
    `editable=True`: the value as it is; formula-like text is marked "quote prefix".
    Text is always stored as text (openpyxl would otherwise make "=…" a formula); control
    characters a workbook cannot hold are written out ("\\x1b").
    """
    value = _editable(value) if editable else safe_cell(value)
    if isinstance(value, str):
        value = _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if editable and looks_like_formula(value):
            cell.quotePrefix = True
    return cell
