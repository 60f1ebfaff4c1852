"""Published tables as bytes and back (Parquet), so that a stored table can be drawn again
later with `entry.figure(table, context)` without the live data."""

from __future__ import annotations

import io

import pandas as pd


def table_bytes(table: pd.DataFrame) -> bytes:
    """The table as Parquet (its dtypes kept: Int64 with <NA> where hidden, booleans, text)."""
    buffer = io.BytesIO()
    table.reset_index(drop=True).to_parquet(buffer, index=False)
    return buffer.getvalue()


def table_from_bytes(data: bytes) -> pd.DataFrame:
    """A table from `table_bytes`; text columns as plain Python objects, as the engine's."""
    table = pd.read_parquet(io.BytesIO(data))
    for column in table.columns:
        if table[column].dtype == "str":
            table[column] = table[column].astype(object)
    return table
