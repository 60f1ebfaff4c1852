"""What every export format shares: the error type and the table as it may leave the tool.

`export_table` turns a disclosure-controlled DataFrame from `lagesbild.numbers.indicators` into the
table that is written to Excel and CSV: Swedish headers, counts as numbers, suppressed counts
as their display text ("<5" or ".."), derived figures rounded and empty where hidden, yes/no
as "Ja"/"Nej", and no internal columns (exact p-values, helper columns, the suppression flags).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from lagesbild.charts import FIELD_LABELS


class ExportError(Exception):
    """An export could not be made; the message is Swedish and meant for the user."""


# Column -> Swedish header. Dimensions come from charts.FIELD_LABELS.
COLUMN_LABELS: dict[str, str] = {
    **FIELD_LABELS,
    "antal": "Antal",
    "andel": "Andel (%)",
    "varde": "Värde",
    "baslinje": "Väntat antal",
    "nedre_grans": "Normalt intervall, nedre gräns",
    "ovre_grans": "Normalt intervall, övre gräns",
    "signal": "Ovanligt kvartal",
    "signal_text": "Bedömning",
    "varaktig": "Varaktig förändring",
    "utan_verksamheter": "Räknas inte med i jämförelsen",
    "serieavbrott": "Serieavbrott",
    "ofullstandig": "Ofullständigt kvartal",
    "saknade_verksamheter": "Verksamheter som inte har rapporterat",
    "befolkning": "Befolkning",
    "befolkning_ar": "Befolkning avser år",
    "befolkning_anm": "Anmärkning om befolkning",
    "befolkning_saknas": "Befolkning saknas",
    "per10k": "Per 10 000 invånare och år",
    "antal_kvartal": "Antal kvartal i underlaget",
    "omfattning": "Omfattning",
    "kanda": "Kända uppgifter (nämnare)",
    "jamforelse": "Jämförelse",
    "bas": "Jämförelsetal",
    "forandring": "Förändring (antal)",
    "procent": "Förändring (%)",
    "jamfort_antal": "Jämfört antal (samma verksamheter)",
    "anmarkning": "Anmärkning",
    "levererat": "Levererat",
    "status": "Status",
    "steg": "Steg",
}
# Derived (non-count) numeric columns and their decimals.
DECIMALS: dict[str, int] = {
    "andel": 1, "per10k": 1, "varde": 1, "baslinje": 1, "nedre_grans": 1, "ovre_grans": 1,
    "bas": 1, "forandring": 1, "procent": 1,
}
# Never exported: exact internals, helper columns, flags that the display text replaces.
_DROP = re.compile(r"^_|^p_varde$|(^|_)undertryckt$|(^|_)visas$|^kand$")


def header(column: str) -> str:
    return COLUMN_LABELS.get(column, column[:1].upper() + column[1:].replace("_", " "))


def _display_columns(frame: pd.DataFrame) -> dict[str, str]:
    """Count column -> its display column: antal -> visas, konsultation -> konsultation_visas."""
    pairs = {}
    for col in frame.columns:
        text = str(col)
        if text.endswith("visas"):
            base = text[: -len("visas")].rstrip("_") or "antal"
            if base in frame.columns:
                pairs[base] = text
    return pairs


def _plain(value: object) -> object:
    """numpy/pandas scalars -> Python scalars, missing -> None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


def export_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as it may be exported (object columns of Python values, Swedish headers).

    Counts stay numbers; a suppressed count becomes its display text ("<5", ".."); derived
    figures are rounded (see DECIMALS) and empty where they are hidden.
    """
    display = _display_columns(frame)
    out: dict[str, list[object]] = {}
    for col in frame.columns:
        name = str(col)
        if _DROP.search(name):
            continue
        series = frame[col]
        if name in display:
            shown = frame[display[name]]
            values = [_plain(v) if not (v is None or v is pd.NA or pd.isna(v)) else str(s)
                      for v, s in zip(series, shown, strict=True)]
            values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]
        elif series.dtype == bool or str(series.dtype) == "boolean":
            values = [None if _plain(v) is None else ("Ja" if v else "Nej") for v in series]
        elif name in DECIMALS or series.dtype.kind == "f" or str(series.dtype) == "Float64":
            digits = DECIMALS.get(name, 2)
            values = [None if _plain(v) is None else round(float(v), digits) for v in series]
        else:
            values = [_plain(v) for v in series]
        out[header(name)] = values
    return pd.DataFrame(out, dtype=object)
