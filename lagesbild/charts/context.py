"""What a figure says about itself: the title's period, the subtitle's filters and n, and the
source line with the date of the data and the disclosure rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

import pandas as pd

from lagesbild.domain.config import DISCLOSURE_NOTE
from lagesbild.domain.formatting import fmt_int

FIELD_LABELS = {
    "kvartal": "Kvartal", "ar": "År", "omrade": "Område", "regso": "RegSO-område",
    "form": "Form", "handelse": "Händelsetyp", "verksamhet": "Verksamhet",
    "rapporttyp": "Rapporttyp", "kon": "Kön", "aldersgrupp": "Åldersgrupp",
    "konsultation": "Konsultationsforum", "partner": "Partner",
}


@dataclass(frozen=True)
class ChartContext:
    """What every figure says about itself: period, filters, n, data date, disclosure rule."""

    period: str = ""  # "2025K1–2026K3"
    filters: str = ""  # "Område: Centrum, Teg · Rapporttyp: Oro"
    n: int | None = None  # reports behind the figure (shown disclosure-controlled)
    data_as_of: dt.date | dt.datetime | None = None
    threshold: int = 5
    extra: tuple[str, ...] = field(default=())  # more subtitle parts
    source: str = ""  # the whole source line, when the figure is not of partners' reports

    def with_n(self, n: int | None) -> ChartContext:
        return replace(self, n=n)

    def with_extra(self, *parts: str) -> ChartContext:
        return replace(self, extra=self.extra + tuple(p for p in parts if p))

    @property
    def small(self) -> str:
        return f"<{self.threshold}"


def period_label(first: str | None, last: str | None) -> str:
    """'2025K1–2026K3', or one quarter when first == last, or '' when unknown."""
    if first and last:
        return first if first == last else f"{first}–{last}"
    return first or last or ""


@runtime_checkable
class ActiveFilters(Protocol):
    """A `query.Filters` as seen here: its active dimension filters."""

    def active(self) -> Mapping[str, tuple[str, ...]]: ...


def describe_filters(filters: ActiveFilters | Mapping[str, Sequence[str]] | None,
                     max_values: int = 4) -> str:
    """The active dimension filters of a `query.Filters` (or a dict) in words ('' if none)."""
    active = filters.active() if isinstance(filters, ActiveFilters) else dict(filters or {})
    parts = []
    for name, values in active.items():
        label = FIELD_LABELS.get(name, name)
        shown = ", ".join(values) if len(values) <= max_values else f"{len(values)} valda"
        parts.append(f"{label}: {shown}")
    return " · ".join(parts)


def shown_count(n: int | None, threshold: int) -> str:
    """A count as it may be shown: '1 234', '0', or '<5' below the threshold."""
    if n is None or n is pd.NA:
        return "–"
    n = int(n)
    return f"<{threshold}" if 0 < n < threshold else fmt_int(n)


def source_line(ctx: ChartContext) -> str:
    if ctx.source:
        return ctx.source
    when = ""
    if ctx.data_as_of is not None:
        day = ctx.data_as_of.date() if isinstance(ctx.data_as_of, dt.datetime) else ctx.data_as_of
        when = f" Data per {day.isoformat()}."
    if ctx.threshold <= 0:  # exact counts (analysts)
        return f"Källa: UmeBrå, partnernas rapporter.{when} Exakta antal – internt."
    return (f"Källa: UmeBrå, partnernas rapporter.{when} "
            f"Värden under {ctx.threshold} visas som <{ctx.threshold}. {DISCLOSURE_NOTE}")


def subtitle(ctx: ChartContext) -> str:
    parts = [ctx.filters or "Alla rapporter"]
    if ctx.n is not None:
        parts.append(f"n = {shown_count(ctx.n, ctx.threshold)}")
    parts.extend(ctx.extra)
    return " · ".join(parts)


