"""Key figures of a quarter: the four counts (all reports, concerns, incidents, consultation
cases) as published for the role, and each against the previous quarter and the same quarter
last year, like for like (only the partners that delivered both quarters), with the flag of
the key-figure panel.

The summary (lagesbild.numbers.summary) re-exports these names, where callers find them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lagesbild.domain.config import Disclosure
from lagesbild.domain.formatting import fmt_change, fmt_int
from lagesbild.domain.periods import quarters_between, shift_quarter
from lagesbild.numbers import signals as sg
from lagesbild.numbers.coverage import missing_partners
from lagesbild.numbers.disclosure import SECONDARY_MARK, TOTAL, publish_part
from lagesbild.numbers.panels import (
    KEY_FIGURES,
    NO_FLAG,
    Flag,
    Panel,
    flag_table,
    join_names,
    signal_panels,
    window_start,
)
from lagesbild.numbers.query import Filters
from lagesbild.numbers.tables import norm_quarter, published, role_filters
from lagesbild.store import Store

# Key figures: key -> (label, SQL condition).
MEASURES = KEY_FIGURES


# Under every table or card of changes (overview, report, slides).
CHANGES_NOTE = (
    "Förändringarna är antal och procent (procent när jämförelsetalet är minst "
    f"{sg.MIN_BASE_FOR_PERCENT}), inga bedömningar, och räknar bara verksamheter som har "
    "rapporterat båda kvartalen (annars: ej jämförbart).")


@dataclass(frozen=True)
class Change:
    """A key figure against one earlier quarter, like for like (only the partners that
    delivered both quarters), as published: numbers, no verdict."""

    base_quarter: str
    base: int | None  # None when hidden or when there is nothing to compare with
    base_display: str
    current: int | None  # the quarter's count over the same partners
    current_display: str
    difference: int | None
    percent: float | None  # None when the base is below sg.MIN_BASE_FOR_PERCENT
    left_out: tuple[str, ...] = ()  # partners not counted (missing in one of the quarters)
    note: str = ""  # why there is no comparison ('' when there is one)
    # False: the like-for-like counts would give a left-out partner's small count away, so
    # base and current are the quarters' own published counts, without a difference.
    comparable: bool = True

    @property
    def available(self) -> bool:
        return not self.note

    def arrow(self) -> str:
        """'122 → 142' (as published: '<5 → 12'), '' without a comparison."""
        return f"{self.base_display} → {self.current_display}" if self.available else ""

    def _caveat(self) -> str:
        return f"inte jämförbara: {join_names(self.left_out)} saknas i ett av kvartalen"

    def numbers(self) -> str:
        """'122 → 142 (+16 %)', '144 → 154 (ej jämförbart)', or why there is no comparison
        (for cards and tables; the partners left out are named beside them)."""
        if not self.available:
            return self.note
        if not self.comparable:
            return f"{self.arrow()} (ej jämförbart)"
        pct = f" ({fmt_change(self.percent)})" if self.percent is not None else ""
        return f"{self.arrow()}{pct}"

    def no_change(self) -> str:
        """'ingen säkerställd förändring (122 → 142)' (`signals.no_change_text`); with the
        caveat when the counts are not like for like."""
        if not self.comparable:
            return f"ingen säkerställd förändring ({self.arrow()}, {self._caveat()})"
        if self.base is None or self.current is None:
            return f"ingen säkerställd förändring ({self.arrow()})"
        return sg.no_change_text(sg.Change(self.current, self.base, self.base_quarter))


@dataclass(frozen=True)
class KeyFigure:
    key: str
    label: str
    quarter: str
    value: int | None  # None when hidden
    display: str
    suppressed: bool
    vs_previous: Change
    vs_last_year: Change
    flag: Flag  # ovanligt / varaktig, as shown for the role (panels.Flag)


@dataclass(frozen=True)
class KeyFigures:
    quarter: str
    figures: tuple[KeyFigure, ...]
    missing_partners: tuple[str, ...]  # delivered before, nothing for this quarter

    @property
    def incomplete(self) -> bool:
        return bool(self.missing_partners)

    @property
    def left_out(self) -> tuple[str, ...]:
        """Partners not counted in the total's comparisons (flags and changes)."""
        total = self["totalt"]
        names = [*total.flag.left_out, *total.flag.sustained_left_out,
                 *total.vs_previous.left_out, *total.vs_last_year.left_out]
        return tuple(dict.fromkeys(names))

    def __getitem__(self, key: str) -> KeyFigure:
        return next(f for f in self.figures if f.key == key)


Cell = tuple[int | None, str, bool]  # published value (None when hidden), display, hidden
# Key figures as cells of one cube: key -> (dimension, value); the other dimension is TOTAL.
_CELLS = {"totalt": ("rapporttyp", TOTAL), "oro": ("rapporttyp", "Oro"),
          "incident": ("rapporttyp", "Incident"), "konsultation": ("konsultation", "Ja")}


def _key_cells(store: Store, quarters: list[str], filters: Filters,
               disclosure: Disclosure | None) -> dict[str, list[Cell]]:
    """{key figure: [cell per quarter]}: the published cells of one cube over report type and
    the consultation forum (with their totals), so the overview's total is the trend's value
    for the quarter. A value outside the selection (incidents when only concern reports are
    selected) is a published 0."""
    table = published(store, ["rapporttyp", "konsultation", "kvartal"],
                      filters.with_period(quarters[0], quarters[-1]), disclosure,
                      margins=["rapporttyp", "konsultation"])
    out: dict[str, list[Cell]] = {}
    for key in KEY_FIGURES:
        dimension, value = _CELLS[key]
        other = "konsultation" if dimension == "rapporttyp" else "rapporttyp"
        rows = table[(table[dimension] == value) & (table[other] == TOTAL)].set_index("kvartal")
        cells: list[Cell] = []
        for quarter in quarters:
            if quarter not in rows.index:
                cells.append((0, "0", False))
                continue
            row = rows.loc[quarter]
            hidden = bool(row["undertryckt"])
            cells.append((None if hidden else int(row["antal"]), str(row["visas"]), hidden))
        out[key] = cells
    return out


def _compare(panel: Panel | None, base_q: str, quarter: str, full: Sequence[Sequence[Cell]],
             disclosure: Disclosure | None) -> list[Change]:
    """Each key figure of `quarter` against `base_q`, like for like, as published. `full`:
    per key figure the published cells of the two quarters (base, quarter). The counts over
    the partners that delivered both quarters are cells of their own (cell-key method: their
    key is that of their reports), hidden when small, when the whole is hidden, or when what
    they leave out is small."""
    n = len(KEY_FIGURES)

    def without(note: str) -> list[Change]:
        return [Change(base_q, None, "–", None, "–", None, None, (), note)] * n

    if panel is None or not panel.quarters or base_q < panel.quarters[0]:
        return without(f"inget att jämföra med: {base_q} är före de första uppgifterna")
    jb, j = panel.column(base_q), panel.column(quarter)
    if jb is None or j is None:
        return without(f"inget att jämföra med: {base_q} är före de första uppgifterna")
    parts, included = sg.comparable(panel.counts, panel.delivered, [jb, j])
    keys = panel.keys[:, included][:, :, [jb, j]].sum(axis=1)
    involved = np.asarray(panel.delivered[:, [jb, j]].any(axis=1)).tolist()
    left = tuple(p for p, a, i in zip(panel.partners, involved, included.tolist(), strict=True)
                 if a and not i)
    if not included.any():
        return without("ingen verksamhet har rapporterat båda kvartalen")
    whole = panel.totals[:, [jb, j]]
    rest = whole - parts
    if disclosure is not None and ((rest >= 1) & (rest < disclosure.threshold)).any():
        # Like for like would give the left-out partners' small counts away: show the
        # quarters' own counts, marked as not comparable, without a difference.
        return [Change(base_q, full[m][0][0], full[m][0][1], full[m][1][0], full[m][1][1],
                       None, None, left, comparable=False) for m in range(n)]
    out = []
    for m in range(n):
        pub: list[Cell] = []
        for k in range(2):
            if not left:  # the same reports as the published cell
                pub.append(full[m][k])
                continue
            value = publish_part(int(parts[m, k]), int(keys[m, k]), int(whole[m, k]),
                                 full[m][k][2], disclosure)
            pub.append((None, SECONDARY_MARK, True) if np.isnan(value)
                       else (int(value), fmt_int(int(value)), False))
        (base, base_display, _), (now, now_display, _) = pub
        if base is not None and now is not None:
            out.append(Change(base_q, base, base_display, now, now_display, now - base,
                              sg.Change(now, base, base_q).percent, left))
        else:
            out.append(Change(base_q, base, base_display, now, now_display, None, None, left))
    return out


def key_figures(store: Store, quarter: str, filters: Filters | None = None,
                disclosure: Disclosure | None = None) -> KeyFigures:
    """Total reports, concern reports, incidents and cases brought to the consultation forum
    for `quarter` (published cells), with changes (like for like) against the previous
    quarter and the same quarter last year, each figure's flags from the signal panels, and
    the partners missing for the quarter."""
    filters = filters or Filters()
    quarter = norm_quarter(quarter)
    keys = list(KEY_FIGURES)
    prev_q, year_q = shift_quarter(quarter, -1), shift_quarter(quarter, -4)
    panel = signal_panels(store, role_filters(filters, disclosure).with_period(None, quarter)) \
        .get("nyckeltal")
    first = min(window_start(panel, quarter), quarter) if panel is not None and \
        panel.quarters else quarter
    quarters = quarters_between(min(first, year_q), quarter)
    cells = _key_cells(store, quarters, filters, disclosure)
    flags = None
    if panel is not None and panel.quarters:
        shown = quarters_between(first, quarter)
        hidden = np.array([[cells[key][quarters.index(q)][2] for q in shown] for key in keys])
        flags = flag_table(panel, keys, shown, hidden, disclosure)

    def pair(base: str) -> list[list[Cell]]:
        return [[cells[key][quarters.index(base)], cells[key][-1]] for key in keys]

    previous = _compare(panel, prev_q, quarter, pair(prev_q), disclosure)
    last_year = _compare(panel, year_q, quarter, pair(year_q), disclosure)
    figures = []
    for m, key in enumerate(keys):
        value, display, hidden_now = cells[key][-1]
        figures.append(KeyFigure(
            key, KEY_FIGURES[key][0], quarter, value, display, hidden_now, previous[m],
            last_year[m], flags.at(m, flags.unusual.shape[1] - 1) if flags else NO_FLAG))
    missing = missing_partners(store, quarter, filters)
    return KeyFigures(quarter, tuple(figures), tuple(missing))
