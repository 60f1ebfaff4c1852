"""Swedish number formatting for tables, charts and sentences.

Thousands are grouped with a no-break space (U+00A0, `SPACE`), and the same no-break space
separates a number from its per cent sign, so "1 234" and "12,5 %" never wrap across lines.
Decimals use a comma. Missing values (None, NaN, <NA>) are shown as an en dash.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

try:  # times are shown in Swedish local time
    LOCAL_TIME: dt.tzinfo = ZoneInfo("Europe/Stockholm")
except ZoneInfoNotFoundError:  # pragma: no cover - a system without time-zone data
    LOCAL_TIME = dt.UTC

SPACE = "\u00a0"
MISSING = "–"


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def fmt_number(value: float | None, decimals: int = 0) -> str:
    """1234.5 -> '1 234,5' (decimals=1); NA -> '–'."""
    if value is None or _missing(value):
        return MISSING
    text = f"{float(value):,.{decimals}f}" if decimals else f"{round(float(value)):,d}"
    return text.replace(",", SPACE).replace(".", ",")


def fmt_int(value: int | None) -> str:
    """1234 -> '1 234' (no-break space); -5 -> '-5'; NA -> '–'."""
    return fmt_number(value, 0)


def fmt_pct(value: float | None, decimals: int = 1) -> str:
    """12.5 -> '12,5 %' (the value is already in per cent)."""
    return MISSING if _missing(value) else f"{fmt_number(value, decimals)}{SPACE}%"


def fmt_rate(value: float | None, decimals: int = 1) -> str:
    """A rate per 10 000 inhabitants: 3.456 -> '3,5'."""
    return fmt_number(value, decimals)


def fmt_change(value: float | None, decimals: int = 0) -> str:
    """A change in per cent with its sign: 14 -> '+14 %', -3.2 -> '-3 %', 0 -> '±0 %'."""
    if value is None or _missing(value):
        return MISSING
    shown = fmt_number(abs(value), decimals)
    if shown.strip("0,") == "":
        return f"±{shown}{SPACE}%"
    return f"{'+' if value > 0 else '-'}{shown}{SPACE}%"


def fmt_diff(value: int | None) -> str:
    """An absolute change with its sign: 7 -> '+7', -1200 -> '-1 200', 0 -> '±0'."""
    if value is None or _missing(value):
        return MISSING
    if value == 0:
        return "±0"
    return f"{'+' if value > 0 else '-'}{fmt_int(abs(value))}"


APPROX_MARK = "≈ "  # before an approximate count (a sum with a hidden part; see disclosure)


def approximate(frame: pd.DataFrame) -> pd.Series:
    """Rows whose count is shown approximate ("≈ 52")."""
    if "visas" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["visas"].astype(str).str.startswith(APPROX_MARK)


def table_csv(frame: pd.DataFrame, columns: list[str], count: str = "antal") -> str:
    """CSV of a disclosure-controlled table for export: a hidden count is written as its
    display ("<5", or ".." for a secondarily hidden one), an approximate one as "≈52", other
    numbers plainly (point as decimal sign, no grouping), NA as an empty field."""
    out = frame[columns].copy()
    if "undertryckt" in frame and count in out:
        hidden = frame["undertryckt"].to_numpy(dtype=bool)
        out[count] = out[count].astype(object)
        out.loc[hidden, count] = frame.loc[hidden, "visas"]
        near = approximate(frame).to_numpy(dtype=bool) & ~hidden
        out.loc[near, count] = ["≈" + str(int(v)) for v in frame.loc[near, count]]
    for col in out.columns:
        if out[col].dtype.kind == "f" or str(out[col].dtype) == "Float64":
            out[col] = out[col].astype("Float64").round(4)
    return out.to_csv(index=False)


def table_json(frame: pd.DataFrame, columns: list[str]) -> str:
    """JSON records: hidden counts are null with "undertryckt": true; protected records
    also say whether the count is approximate ("ungefarlig": true for "≈ 52")."""
    import json

    keep = columns + (["undertryckt"] if "undertryckt" in frame and
                      "undertryckt" not in columns else [])
    if "undertryckt" in keep and "visas" in frame:
        frame = frame.assign(ungefarlig=approximate(frame))
        keep = [*keep, "ungefarlig"]
    records = []
    for row in frame[keep].astype(object).itertuples(index=False):
        record = {}
        for name, value in zip(keep, row, strict=True):
            if _missing(value):
                value = None
            elif isinstance(value, float):
                value = round(value, 4)
            elif hasattr(value, "item"):
                value = value.item()
            record[name] = value
        records.append(record)
    return json.dumps(records, ensure_ascii=False)
