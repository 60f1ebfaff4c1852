"""What a catalogue entry is: a published table and the figure built from such a table.

An entry has two halves, so that the dashboard and every export show the same numbers by
construction, and a stored table can be drawn again later without the live data:

    table = entry.table(store, filters, protection)  # indicator call + shaping, protected
    figure = entry.figure(table, context)             # from the table alone

`entry.source(filters, protection)` is the indicator call (a `Source`: an engine function of
the store and its arguments, which the dashboard caches and entries that share it compute
once) and `entry.shape(raw)` the shaping. `Protection` is who reads the table: the
disclosure rule and the categories merged per dimension. `Context` is everything the figure
says about itself besides the table (period, filters, n, data date, style, context events).
Entries are frozen dataclasses: their fields are the choices a page offers (breakdown,
measure, …) and `spec()` / `views.catalogue.from_spec` turn them into JSON and back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd
import plotly.graph_objects as go

from lagesbild.charts import ChartContext, Style
from lagesbild.domain.config import Disclosure
from lagesbild.numbers.query import Filters
from lagesbild.store import Store

Event = tuple[dt.date, str, str]  # (date, category, title), as numbers.events gives them
Merge = tuple[tuple[str, str], ...]  # (category, merged label) pairs


@dataclass(frozen=True)
class Protection:
    """How a published table is protected for the role that reads it: the disclosure rule
    (None: exact counts, analysts only) and, per dimension, the categories shown together
    (`views.breakdowns.protection_for` gives the one breakdown of each role)."""

    disclosure: Disclosure | None
    merges: tuple[tuple[str, Merge], ...] = ()

    def merge(self, dimension: str) -> dict[str, str] | None:
        """{category: merged label} for a dimension, or None when it is shown as it is."""
        return next((dict(pairs) for name, pairs in self.merges if name == dimension), None)


@dataclass(frozen=True)
class Source:
    """An indicator call: `func(store, *args, **kwargs)` (an engine function of the store)."""

    func: Callable[..., pd.DataFrame]
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def __call__(self, store: Store) -> pd.DataFrame:
        return self.func(store, *self.args, **dict(self.kwargs))

    def key(self) -> str:
        """The same text for the same call (kwargs may hold dicts, which do not hash)."""
        return repr((self.func.__module__, self.func.__qualname__, self.args,
                     sorted(self.kwargs)))


def source(func: Callable[..., pd.DataFrame], *args: Any, **kwargs: Any) -> Source:
    return Source(func, args, tuple(sorted(kwargs.items())))


@dataclass(frozen=True)
class Context:
    """What a figure says about itself besides its table."""

    chart: ChartContext = field(default_factory=ChartContext)
    style: Style = "screen"
    events: tuple[Event, ...] = ()  # context events of the period (trend charts mark them)
    focus: str = ""  # a page's own choice, added to the title: "… – Högerextremism"
    quarter: str = ""  # the quarter the notes speak about ('' = the end of the period)

    @property
    def about(self) -> str:
        """The quarter the notes speak about."""
        return self.quarter or self.chart.period.rpartition("–")[2]

    @property
    def threshold(self) -> int:
        return self.chart.threshold

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (dates as ISO text)."""
        chart = dataclasses.asdict(self.chart)
        when = self.chart.data_as_of
        chart["data_as_of"] = when.isoformat() if when is not None else None
        chart["extra"] = list(self.chart.extra)
        return {"chart": chart, "style": self.style, "focus": self.focus,
                "quarter": self.quarter,
                "events": [[d.isoformat(), kind, title] for d, kind, title in self.events]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Context:
        chart = dict(data["chart"])
        when = chart.get("data_as_of")
        if when:
            chart["data_as_of"] = (dt.datetime.fromisoformat(when) if "T" in when
                                   else dt.date.fromisoformat(when))
        chart["extra"] = tuple(chart.get("extra") or ())
        return cls(chart=ChartContext(**chart), style=data.get("style", "screen"),
                   focus=data.get("focus", ""), quarter=data.get("quarter", ""),
                   events=tuple((dt.date.fromisoformat(d), kind, title)
                                for d, kind, title in data.get("events", ())))


@dataclass(frozen=True)
class Entry:
    """One chart of the catalogue. Subclasses set the class attributes and implement
    `source`, `what` and `figure`; the rest have defaults."""

    key: ClassVar[str]  # the entry's name in specs ("trend", "karta", …)
    uses_events: ClassVar[bool] = False  # a trend over quarters: context events are marked

    # -- the published table --------------------------------------------------------------
    def source(self, filters: Filters, protection: Protection) -> Source:
        raise NotImplementedError

    def shape(self, raw: pd.DataFrame) -> pd.DataFrame:
        """The published table from the indicator's result (default: as it is)."""
        return raw

    def table(self, store: Store, filters: Filters, protection: Protection) -> pd.DataFrame:
        return self.shape(self.source(filters, protection)(store))

    def is_empty(self, table: pd.DataFrame) -> bool:
        """Nothing to draw (the page says so instead)."""
        return table.empty

    # -- the figure and its words -----------------------------------------------------------
    def what(self) -> str:
        """The title without the period: 'Rapporter per stadsdel'."""
        raise NotImplementedError

    def title(self, context: Context) -> str:
        return f"{self.what()} – {context.focus}" if context.focus else self.what()

    def download_name(self, context: Context) -> str:
        """The name of the chart's files and its 'Ladda ner' menu."""
        return self.title(context)

    def figure(self, table: pd.DataFrame, context: Context) -> go.Figure:
        raise NotImplementedError

    def caption(self, table: pd.DataFrame, context: Context) -> str | None:
        """The text under the chart on screen: plain text (no Markdown; the page shows it
        literally, as it may name categories from the code lists)."""
        return None

    def notes(self, table: pd.DataFrame, context: Context) -> list[str]:
        """The key figures in words, for speaker notes and the report."""
        return []

    def alt_text(self, table: pd.DataFrame, context: Context, figure: go.Figure) -> str:
        """A text alternative for the image: its title and subtitle."""
        subtitle = figure.layout.title.subtitle.text or ""
        return f"{figure.layout.title.text}. {subtitle}".strip()

    def display(self, table: pd.DataFrame) -> pd.DataFrame | None:
        """The table as the page shows it under the chart (display strings), if it does."""
        return None

    # -- the text alternative (WCAG 1.1.1: what a screen reader gets instead of the image) ------
    def summary(self, table: pd.DataFrame, context: Context) -> str:
        """The key figures in one short Swedish sentence, from the published values only
        (protected ones as they are drawn: '<5', '..'). Default: the first note."""
        notes = self.notes(table, context)
        return notes[0] if notes else ""

    def alt_table(self, table: pd.DataFrame) -> pd.DataFrame:
        """The chart's data as the text alternative's table: display strings with Swedish
        headings, the same protected values the chart draws. Default: `display`."""
        shown = self.display(table)
        if shown is None:
            raise NotImplementedError(f"{type(self).__name__} has no alt_table")
        return shown

    # -- as JSON ------------------------------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        """The entry as JSON: its key and its choices."""
        return {"key": self.key, **dataclasses.asdict(self)}
