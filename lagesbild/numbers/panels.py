"""The three fixed signal panels: where every flag the dashboard shows comes from.

`signal_panels(store, filters)` builds, for the dimension filters in force (the period does not
change a quarter's flags), the exact counts per series, partner and quarter of the three panels
that are assessed together – the four key figures, the forms and the area categories – and the
delivery mask (`coverage.deliveries`: a batch that is not rolled back, or a nil return), and
runs the method of `lagesbild.numbers.signals` on them (`assess_panels`: one dispersion over
the panels, Benjamini–Hochberg within each). The quarters run from the first delivery to the
last data (or the filter's last quarter); a quarter that is still running is withheld. The
result is cached per store, data version and filters: the pages, the summary, the exports and
`lagesbild signals` all read the same flags.

`flag_table` turns a panel's flags into what may be shown for a role: a flag only where the
count it flags is published, the expected value and the band only where every count of the
comparison's window is published (and rounded as counts are), the partners left out of each
comparison by name.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.config import Disclosure
from lagesbild.domain.formatting import fmt_int
from lagesbild.domain.periods import latest_complete_quarter, quarters_between, shift_quarter
from lagesbild.numbers import signals as sg
from lagesbild.numbers.coverage import deliveries
from lagesbild.numbers.disclosure import cell_key_sql, publish_part
from lagesbild.numbers.query import Filters
from lagesbild.numbers.tables import category_order, data_span, norm_quarter, query_rows
from lagesbild.store import Store

# The panels, in the order they are shown, and the dimension of each (None: key figures).
PANELS: dict[str, str | None] = {"nyckeltal": None, "former": "form", "områden": "omrade"}
PANEL_TITLES = {"nyckeltal": "Nyckeltal", "former": "Former av extremism",
                "områden": "Områden"}
# Key figures: key -> (label, SQL condition over reports).
KEY_FIGURES: dict[str, tuple[str, str]] = {
    "totalt": ("Rapporter totalt", "true"),
    "oro": ("Orosrapporter", "rapporttyp = 'Oro'"),
    "incident": ("Incidenter", "rapporttyp = 'Incident'"),
    "konsultation": ("Till konsultationsforum", "konsultation = 'Ja'"),
}
# The flags and what "up" and "down" are for each kind.
UP_FLAGS = (sg.HIGH, sg.UP)
DOWN_FLAGS = (sg.LOW, sg.DOWN)


def panel_of(dimension: str | None) -> str | None:
    """The panel whose series are the categories of `dimension` (None: the key figures, whose
    first series, totalt, is the series of a trend without breakdown); None when no panel."""
    return next((name for name, dim in PANELS.items() if dim == dimension), None)


@dataclass(frozen=True)
class Panel:
    """One panel: its series, quarters and partners, the exact counts and the flags."""

    name: str
    series: tuple[str, ...]  # key-figure keys, or the categories of the dimension
    quarters: tuple[str, ...]  # consecutive, from the first delivery
    partners: tuple[str, ...]
    counts: np.ndarray  # (S, P, T) exact counts
    delivered: np.ndarray  # (P, T)
    result: sg.Signals
    keys: np.ndarray  # (S, P, T) sums of the reports' record keys (cell-key method)

    @property
    def totals(self) -> np.ndarray:
        """(S, T) exact counts over every partner."""
        return self.counts.sum(axis=1)

    def column(self, quarter: str) -> int | None:
        return _index(self.quarters, quarter)

    def row(self, series: str | None) -> int | None:
        return None if series is None else _index(self.series, series)

    def left_out(self, col: int, sustained: bool = False) -> tuple[str, ...]:
        """Partners that delivered in the comparison's span but are not counted in it (they
        missed one of its quarters); () when no comparison was made."""
        res = self.result
        reasons = (res.sustained_reason if sustained else res.reason)[:, col]
        if not len(reasons) or all(r in sg.WITHHELD for r in reasons):
            return ()
        span = (2 * sg.SUSTAINED_QUARTERS - 1) if sustained else sg.MAX_WINDOW
        active = np.asarray(self.delivered[:, max(0, col - span):col + 1].any(axis=1))
        included = np.asarray((res.sustained_included if sustained else res.included)[col])
        return tuple(p for p, a, i in zip(self.partners, active.tolist(), included.tolist(),
                                          strict=True) if a and not i)


def _index(values: Sequence[str], value: str) -> int | None:
    try:
        return values.index(value)
    except ValueError:
        return None


# -- building the panels ----------------------------------------------------------------------
_CACHE: weakref.WeakKeyDictionary[Store, OrderedDict] = weakref.WeakKeyDictionary()
_CACHE_SIZE = 32
_LOCK = threading.Lock()  # the app's sessions share the store (and so this cache)


def signal_panels(store: Store, filters: Filters | None = None,
                  today: dt.date | None = None) -> dict[str, Panel]:
    """The three panels for the dimension filters of `filters`, assessed together; {} without
    data. The quarters run from the first delivery to the last data or the filter's last
    quarter, whichever is later; quarters after the latest complete one (`today`) are
    withheld as running. Cached per store, data version, filters and complete quarter."""
    filters = filters or Filters()
    dims = filters.with_period(None, None)
    found = deliveries(store)
    span = data_span(store)
    ends = [q for q in (span[1], filters.to_quarter and norm_quarter(filters.to_quarter)) if q]
    complete = latest_complete_quarter(today)
    key = (store.data_version(), found, dims, max(ends) if ends else None, complete)
    with _LOCK:
        cache = _CACHE.setdefault(store, OrderedDict())
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    panels = _build(store, dims, found, span[0], key[3], complete)
    with _LOCK:
        cache[key] = panels
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
    return panels


def _build(store: Store, filters: Filters, found: frozenset[tuple[str, str]],
           data_first: str | None, last: str | None, complete: str) -> dict[str, Panel]:
    firsts = [q for _, q in found] + ([data_first] if data_first else [])
    if not firsts or last is None:
        return {}
    quarters = quarters_between(min(firsts), last)
    if not quarters:
        return {}
    where, params = filters.with_period(quarters[0], quarters[-1]).where()
    counted = query_rows(
        store,
        "SELECT partner, kvartal, form, omrade, grouping(form)::INTEGER, "
        "grouping(omrade)::INTEGER, "
        + ", ".join(f"count_if({cond})::BIGINT" for _, cond in KEY_FIGURES.values()) + ", "
        + ", ".join(cell_key_sql(condition=cond) for _, cond in KEY_FIGURES.values())
        + f" FROM reports WHERE {where} GROUP BY GROUPING SETS ((partner, kvartal), "
        "(partner, kvartal, form), (partner, kvartal, omrade))", params)
    inside = set(quarters)
    wanted = set(filters.verksamhet)
    names = {p for p, q in found if q in inside and (not wanted or p in wanted)}
    names |= {row[0] for row in counted}
    partners = category_order("verksamhet", sorted(names))
    col: dict[str, int] = {q: j for j, q in enumerate(quarters)}
    pid: dict[str, int] = {p: i for i, p in enumerate(partners)}
    delivered = np.zeros((len(partners), len(quarters)), bool)
    for p, q in found:
        if p in pid and q in col:
            delivered[pid[p], col[q]] = True
    codes = codelist_module.load()
    series: dict[str, list[str]] = {"nyckeltal": list(KEY_FIGURES)}
    for name, dim in PANELS.items():
        if dim is not None:
            # The filter's categories, else the code list and whatever else occurs.
            chosen = list(getattr(filters, dim))
            if not chosen:
                at = 2 if dim == "form" else 3
                chosen = codes.for_field(dim).values + [
                    row[at] for row in counted if row[at + 2] == 0 and row[at] is not None]
            series[name] = category_order(dim, chosen, codes)
    counts = {name: np.zeros((len(s), len(partners), len(quarters)), np.int64)
              for name, s in series.items()}
    keys = {name: np.zeros_like(c) for name, c in counts.items()}
    rows = {name: {v: i for i, v in enumerate(s)} for name, s in series.items()}
    n_fig = len(KEY_FIGURES)
    for partner, quarter, form, area, g_form, g_area, *values in counted:
        at_p, at_t = pid[partner], col[quarter]
        figures, sums = values[:n_fig], values[n_fig:]
        if g_form and g_area:
            counts["nyckeltal"][:, at_p, at_t] = figures
            keys["nyckeltal"][:, at_p, at_t] = sums
        elif not g_form and form in rows["former"]:
            counts["former"][rows["former"][form], at_p, at_t] = figures[0]
            keys["former"][rows["former"][form], at_p, at_t] = sums[0]
        elif not g_area and area in rows["områden"]:
            counts["områden"][rows["områden"][area], at_p, at_t] = figures[0]
            keys["områden"][rows["områden"][area], at_p, at_t] = sums[0]
    valid = {name: _valid(codes, PANELS[name] or "", series[name], quarters)
             for name in ("former", "områden")}
    done = np.array([q <= complete for q in quarters])
    used = [name for name in PANELS if len(series[name])]
    result = sg.assess_panels({n: counts[n] for n in used}, delivered, quarters, done,
                              valid={n: valid[n] for n in used if n in valid},
                              references={"nyckeltal": 0})
    return {name: Panel(name, tuple(series[name]), tuple(quarters), tuple(partners),
                        counts[name], delivered, result[name], keys[name]) for name in used}


def _valid(codes: codelist_module.Codelists, dimension: str, series: Sequence[str],
           quarters: Sequence[str]) -> np.ndarray:
    """(S, T): False where a category is not comparable – before it comes into use, after
    it goes out of use, and for a category that takes over another's reports, up to the
    quarter of the takeover (its history restarts there)."""
    valid = np.ones((len(series), len(quarters)), bool)
    row = {v: i for i, v in enumerate(series)}
    labels = np.array(quarters)
    for code in codes.for_field(dimension).codes:
        if code.value in row:
            i = row[code.value]
            if code.valid_from:
                valid[i] &= labels >= norm_quarter(code.valid_from)
            if code.valid_to:
                valid[i] &= labels <= norm_quarter(code.valid_to)
        if code.valid_to and code.replaced_by in row:
            valid[row[code.replaced_by]] &= labels > norm_quarter(code.valid_to)
    return valid


# -- what may be shown ------------------------------------------------------------------------
@dataclass(frozen=True)
class Flags:
    """Flags of some series in some quarters as they may be shown for a role; arrays (R, Q).

    unusual: sg.HIGH, sg.LOW or '' ('' where the flagged count is hidden); sustained: sg.UP,
    sg.DOWN or '' ('' where the four-quarter sums cannot be published); reason,
    sustained_reason: '' when assessed, else why not (`sg.WITHHELD` reasons, or sg.SMALL);
    expected, lower, upper: the expectation and the range of ordinary counts (NaN where a
    count of the window is hidden), rounded as counts are; model: what the expectation is
    based on; compared: the published count of the comparison's partners; last4, prev4: the
    published four-quarter sums (the flag is shown where the sums over all partners are not
    small counts; the sums themselves only where they give nothing away); p_unusual,
    p_sustained: the exact two-sided p-values (NaN when not tested; never published);
    left_out, sustained_left_out: partners not counted.
    """

    unusual: np.ndarray
    sustained: np.ndarray
    reason: np.ndarray
    sustained_reason: np.ndarray
    expected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    model: np.ndarray
    compared: np.ndarray
    last4: np.ndarray
    prev4: np.ndarray
    p_unusual: np.ndarray
    p_sustained: np.ndarray
    left_out: np.ndarray  # of tuples
    sustained_left_out: np.ndarray  # of tuples

    def at(self, r: int, q: int) -> Flag:
        """One series in one quarter."""
        def num(name: str) -> float | None:
            value = float(getattr(self, name)[r, q])
            return None if np.isnan(value) else value

        return Flag(
            self.unusual[r, q], self.sustained[r, q], self.reason[r, q],
            self.sustained_reason[r, q], num("expected"), num("lower"), num("upper"),
            self.model[r, q], num("compared"), num("last4"), num("prev4"), num("p_unusual"),
            num("p_sustained"), tuple(self.left_out[r, q]),
            tuple(self.sustained_left_out[r, q]), self.text(r, q), self.sustained_text(r, q))

    def text(self, r: int, q: int) -> str:
        """'ovanligt högt jämfört med snittet av de 8 föregående kvartalen (Polis räknas inte
        med)', or ''."""
        flag = self.unusual[r, q]
        if not flag:
            return ""
        return f"{flag} jämfört med {self.model[r, q]}{left_out_note(self.left_out[r, q])}"

    def sustained_text(self, r: int, q: int) -> str:
        """'varaktig ökning: 120 de fyra senaste kvartalen mot 90 de fyra före' (without the
        numbers where they cannot be published), or ''."""
        flag = self.sustained[r, q]
        if not flag:
            return ""
        last, prev = self.last4[r, q], self.prev4[r, q]
        sums = ("de fyra senaste kvartalen mot de fyra före" if np.isnan(last) or np.isnan(prev)
                else f"{_count(last)} de fyra senaste kvartalen mot {_count(prev)} de fyra före")
        return f"{flag}: {sums}{left_out_note(self.sustained_left_out[r, q])}"


@dataclass(frozen=True)
class Flag:
    """One series in one quarter as it may be shown (a cell of `Flags`; None for NaN)."""

    unusual: str
    sustained: str
    reason: str
    sustained_reason: str
    expected: float | None
    lower: float | None
    upper: float | None
    model: str
    compared: float | None
    last4: float | None
    prev4: float | None
    p_unusual: float | None
    p_sustained: float | None
    left_out: tuple[str, ...]
    sustained_left_out: tuple[str, ...]
    text: str
    sustained_text: str

    @property
    def withheld(self) -> bool:
        """No assessment for the quarter (running, before the data, a short series, …)."""
        return self.reason in sg.WITHHELD

    @property
    def flagged(self) -> bool:
        return bool(self.unusual or self.sustained)


NO_FLAG = Flag("", "", "", "", None, None, None, "", None, None, None, None, None, (), (), "",
               "")


def left_out_note(names: Sequence[str]) -> str:
    """' (Polis räknas inte med)' or ''."""
    if not names:
        return ""
    return f" ({join_names(list(names))} räknas inte med)"


def join_names(names: Sequence[str]) -> str:
    """'Polis', 'Polis och Skola', 'A, B och C'."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} och {names[-1]}"


def _count(value: float) -> str:
    return fmt_int(None if np.isnan(value) else int(value))


def window_start(panel: Panel, first_shown: str) -> str:
    """The first quarter whose counts a caller must protect to show flags from
    `first_shown` on: the comparison windows reach `sg.MAX_WINDOW` quarters back (not before
    the panel's first quarter)."""
    start = shift_quarter(first_shown, -sg.MAX_WINDOW)
    return max(start, panel.quarters[0]) if panel.quarters else start


def published_part(part: float, key: int, whole: float, hidden: bool,
                   disclosure: Disclosure | None) -> float:
    """A count over some partners (`part`, with `key`, the sum of its reports' record keys)
    of a published count over all (`whole`), as it may be shown: a cell of the cell-key
    method of its own (`disclosure.publish_part`; NaN when the whole is hidden, or the part
    or what it leaves out is a small count)."""
    if np.isnan(part):
        return np.nan
    return publish_part(int(part), int(key), int(whole), hidden, disclosure)


def _round(values: np.ndarray, disclosure: Disclosure | None) -> np.ndarray:
    """Expected values and bands for a protected role: whole counts (to the rounding base
    where there is one). They are computed from exact counts, so they never carry more
    precision than a count does."""
    if disclosure is None:
        return values
    base = disclosure.rounding if disclosure.rounding > 1 else 1
    return np.round(values / base) * base


def flag_table(panel: Panel, series: Sequence[str | None], quarters: Sequence[str],
               hidden: np.ndarray | None, disclosure: Disclosure | None) -> Flags:
    """The flags of `series` (rows; None or a category outside the panel: no flags) in
    `quarters` (consecutive) as they may be shown, given `hidden` (R, Q): which of those counts
    the page's protected table hides (None: none). To show a band for a quarter the caller's
    `quarters` must start at `window_start` of the first one it shows: a window reaching
    before them counts as hidden unless it reaches before the panel's data."""
    n_r, n_q = len(series), len(quarters)
    hide = np.zeros((n_r, n_q), bool) if hidden is None else np.asarray(hidden, bool)
    res = panel.result
    rows = [panel.row(s) for s in series]
    cols = [panel.column(q) for q in quarters]
    start = panel.quarters[0] if panel.quarters else None

    def empty(fill: object, dtype: type = object) -> np.ndarray:
        out: np.ndarray = np.empty((n_r, n_q), dtype=dtype)
        out.fill(fill)  # (np.full would broadcast a tuple)
        return out

    out = {k: empty("") for k in ("unusual", "sustained", "reason", "sustained_reason",
                                 "model")}
    nums = {k: empty(np.nan, float) for k in ("expected", "lower", "upper", "compared",
                                              "last4", "prev4", "p_unusual", "p_sustained")}
    left, s_left = empty(()), empty(())
    totals = panel.totals
    # Partners' counts of each comparison's window (for what leaving them out would reveal).
    cum = np.concatenate([np.zeros((*panel.counts.shape[:2], 1), np.int64),
                          panel.counts.cumsum(axis=2)], axis=2)
    key_cum = np.concatenate([np.zeros((*panel.keys.shape[:2], 1), np.int64),
                              panel.keys.cumsum(axis=2)], axis=2)
    hidden_cum = np.concatenate([np.zeros((n_r, 1), int), hide.cumsum(axis=1)], axis=1)
    for q, j in enumerate(cols):
        if j is None:
            before = start is not None and quarters[q] < start
            for r in range(n_r):
                if rows[r] is not None and before:
                    out["reason"][r, q] = out["sustained_reason"][r, q] = sg.BEFORE_DATA
            continue
        n = sg.SHORT_WINDOW if j < sg.GLM_FROM else min(j, sg.MAX_WINDOW)
        first = j - n  # the window's first quarter in the panel
        inc = res.included[j]
        window_left = (cum[:, :, j + 1] - cum[:, :, max(first, 0)])[:, ~inc].sum(axis=1)
        s_first = max(j - 2 * sg.SUSTAINED_QUARTERS + 1, 0)
        s_full = cum[:, :, j + 1].sum(axis=1) - cum[:, :, s_first].sum(axis=1)
        s_mid = max(j - sg.SUSTAINED_QUARTERS + 1, 0)
        full_last = cum[:, :, j + 1].sum(axis=1) - cum[:, :, s_mid].sum(axis=1)
        full_prev = s_full - full_last
        # the record keys of each comparison's reports: of the quarter, of the two sums
        s_inc = np.asarray(res.sustained_included[j], bool)
        key_now = panel.keys[:, :, j][:, inc].sum(axis=1)
        key_last = (key_cum[:, :, j + 1] - key_cum[:, :, s_mid])[:, s_inc].sum(axis=1)
        key_prev = (key_cum[:, :, s_mid] - key_cum[:, :, s_first])[:, s_inc].sum(axis=1)
        names, s_names = panel.left_out(j), panel.left_out(j, sustained=True)
        # The window in the caller's quarters: before them it is known only before the data.
        q_first = q - (j - max(first, 0))
        window_known = q_first >= 0
        for r, i in enumerate(rows):
            if i is None:
                continue
            out["reason"][r, q] = res.reason[i, j]
            out["sustained_reason"][r, q] = res.sustained_reason[i, j]
            out["model"][r, q] = res.model[i, j]
            nums["p_unusual"][r, q] = _two_sided(res, i, j)
            nums["p_sustained"][r, q] = res.p_sustained[i, j]
            left[r, q], s_left[r, q] = names, s_names
            count_hidden = bool(hide[r, q])
            nums["compared"][r, q] = published_part(res.compared[i, j], key_now[i],
                                                    totals[i, j], count_hidden, disclosure)
            if not count_hidden:
                out["unusual"][r, q] = res.unusual[i, j]
            band_hidden = (not window_known
                           or hidden_cum[r, q + 1] - hidden_cum[r, max(q_first, 0)] > 0
                           or (disclosure is not None
                               and 1 <= window_left[i] < disclosure.threshold))
            if disclosure is None or not band_hidden:
                for k in ("expected", "lower", "upper"):
                    nums[k][r, q] = getattr(res, k)[i, j]
            nums["last4"][r, q] = published_part(res.last4[i, j], key_last[i], full_last[i],
                                                 False, disclosure)
            nums["prev4"][r, q] = published_part(res.prev4[i, j], key_prev[i], full_prev[i],
                                                 False, disclosure)
            # The flagged counts are the two four-quarter sums: shown unless one is small.
            if disclosure is None or not any(1 <= v < disclosure.threshold
                                             for v in (full_last[i], full_prev[i])):
                out["sustained"][r, q] = res.sustained[i, j]
    for k in ("expected", "lower", "upper"):
        nums[k] = _round(nums[k], disclosure)
    return Flags(**out, **nums, left_out=left, sustained_left_out=s_left)


def _two_sided(res: sg.Signals, i: int, j: int) -> float:
    """The two-sided p-value the method tests (a tail that cannot be flagged counts as 1)."""
    if np.isnan(res.p_high[i, j]):
        return np.nan
    high = res.p_high[i, j] if res.compared[i, j] >= sg.MIN_HIGH_COUNT else 1.0
    low = res.p_low[i, j] if res.expected[i, j] >= sg.MIN_LOW_EXPECTED else 1.0
    return float(min(1.0, 2 * min(high, low)))
