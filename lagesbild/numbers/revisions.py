"""The figures an approved edition is checked against later data with: the quarter's key
figures (total, concern reports, incidents, the consultation forum) and the counts per form
and per district.

Revisions are detected on exact counts (`quarter_cells(store, q, None)`, kept with the edition
and never shown) and shown in protected form: the edition's published cell beside the live
published cell of the same rule, and their difference only when both are shown (a hidden cell
has no difference). Every cell is a cell of the cell-key method, so the same cell shows the
same number here as on every page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from lagesbild.domain.config import Disclosure
from lagesbild.domain.formatting import fmt_diff
from lagesbild.numbers.panels import KEY_FIGURES
from lagesbild.numbers.query import Filters
from lagesbild.numbers.tables import counts, norm_quarter
from lagesbild.store import Store

# The breakdowns beside the key figures, and how a line names them.
BREAKDOWNS = {"form": "Form", "omrade": "Område"}
# key -> (dimension, value) of the key figures' cells (None: the total)
_KEY_CELLS: dict[str, tuple[str, str] | None] = {
    "totalt": None, "oro": ("rapporttyp", "Oro"), "incident": ("rapporttyp", "Incident"),
    "konsultation": ("konsultation", "Ja")}


@dataclass(frozen=True)
class Cell:
    """One figure of the quarter as published: None when hidden."""

    label: str
    value: int | None
    display: str

    def to_list(self) -> list[object]:
        return [self.label, self.value, self.display]

    @classmethod
    def from_list(cls, data: list[object]) -> Cell:
        label, value, display = data
        return cls(str(label), None if value is None else int(str(value)), str(display))


def _cells(table: pd.DataFrame, column: str | None = None) -> dict[str, tuple[int | None, str]]:
    out = {}
    for row in table.itertuples(index=False):
        hidden = bool(row.undertryckt) or pd.isna(row.antal)
        name = str(getattr(row, column)) if column else ""
        out[name] = (None if hidden else int(row.antal), str(row.visas))
    return out


def quarter_cells(store: Store, quarter: str, disclosure: Disclosure | None) \
        -> dict[str, Cell]:
    """{figure key: Cell} of a quarter for the whole municipality: 'nyckeltal:totalt', …,
    'form:Högerextremism', 'omrade:Centrum'. `disclosure` None: exact counts."""
    quarter = norm_quarter(quarter)
    filters = Filters(quarter, quarter)
    out: dict[str, Cell] = {}
    by: dict[str, dict[str, tuple[int | None, str]]] = {
        "": _cells(counts(store, (), filters, disclosure))}
    for dimension in ("rapporttyp", "konsultation", *BREAKDOWNS):
        by[dimension] = _cells(counts(store, (dimension,), filters, disclosure), dimension)
    for key, (label, _condition) in KEY_FIGURES.items():
        cell = _KEY_CELLS[key]
        value, display = (by[""].get("", (0, "0")) if cell is None
                          else by[cell[0]].get(cell[1], (0, "0")))
        out[f"nyckeltal:{key}"] = Cell(label, value, display)
    for dimension, name in BREAKDOWNS.items():
        for category, (value, display) in by[dimension].items():
            out[f"{dimension}:{category}"] = Cell(f"{name} {category}", value, display)
    return out


def changed_keys(frozen_exact: Mapping[str, int | None],
                 live_exact: Mapping[str, Cell]) -> list[str]:
    """The figures whose exact count differs between the edition and the live data (a
    category that appeared or disappeared counts as 0 on the other side)."""
    keys = list(dict.fromkeys([*frozen_exact, *live_exact]))
    live = {k: (c.value or 0) for k, c in live_exact.items()}
    return [k for k in keys if (frozen_exact.get(k) or 0) != live.get(k, 0)]


@dataclass(frozen=True)
class Revised:
    """One figure of an approved edition that later data changed, in protected form."""

    key: str
    label: str
    then: str  # the edition's published display
    now: str  # the live published display
    difference: int | None  # None when either is hidden

    @property
    def key_figure(self) -> bool:
        return self.key.startswith("nyckeltal:")

    def line(self) -> str:
        """'Rapporter totalt: 154 → 157 (+3)'; '<5 → 6' without a difference when one of
        them is hidden."""
        size = f" ({fmt_diff(self.difference)})" if self.difference is not None else ""
        return f"{self.label}: {self.then} → {self.now}{size}"


def revised(keys: list[str], frozen: Mapping[str, Cell], live: Mapping[str, Cell]) \
        -> list[Revised]:
    """The changed figures (`changed_keys`) as the edition published them and as they are
    published now (the same rule); key figures first."""
    out = []
    for key in keys:
        then, now = frozen.get(key), live.get(key)
        label = (then or now or Cell(key, None, "–")).label
        then_display = then.display if then else "0"
        now_display = now.display if now else "0"
        then_value = then.value if then else 0
        now_value = now.value if now else 0
        difference = (now_value - then_value if then_value is not None and now_value is not None
                      else None)
        out.append(Revised(key, label, then_display, now_display, difference))
    return sorted(out, key=lambda r: not r.key_figure)
