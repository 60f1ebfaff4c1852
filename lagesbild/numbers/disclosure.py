"""Disclosure control (röjandekontroll): the one place where counts are hidden or rounded.

Every indicator passes its counts through `protect` when it is given a `Disclosure`
(None = exact counts, for the analyst role only). The rules:

* Primary suppression: a count from 1 to threshold-1 is hidden and shown as "<5" (for threshold
  5), never as 0 and never blank. A true 0 stays 0.
* Secondary suppression: in a table with totals, every line (a row or column together with its
  total; the totals row and column are lines too) is checked until nothing changes:
  - a line with exactly one hidden cell gets one more: the smallest non-zero cell of the line
    that may still be hidden (totals count as cells of their lines; zeros only as last resort);
  - then an exact audit of what a reader can still work out from the published cells, the
    line sums, "<5" meaning 1..4 and no count below 0 (linear programming, see `_exposed`;
    e.g. a row 1 + 1 = 2 with a published total): a hidden non-zero cell that is pinned to
    one value gets one more hidden cell in one of its lines (or, if all of those are hidden,
    in another line with a hidden cell). A hidden zero may be pinned: zeros are not sensitive.
  A secondarily hidden cell is shown as ".." (`SECONDARY_MARK`): it is not small, so "<5"
  would be false.
* Rounding (Disclosure.rounding > 0): every published count, totals included, is rounded
  half-up to a multiple of `rounding`, each on its own; with rounding, published totals may
  differ from the sum of published cells by the rounding.
* Derived figures (shares, rates, changes, means) are computed from the published counts and
  are hidden (NA) whenever one of the counts they are built on is hidden.
* Merging categories (e.g. `indicators.lens(merge=...)`: gender "Annat" with "Okänt") happens
  before suppression, in the query: the table only holds the merged cells, so a small
  category no longer drags its neighbours into secondary suppression, and it cannot be
  recovered as long as the same view never also publishes the unmerged table. Unknown counts
  stay visible (inside the merged row).

Output convention of every disclosure-controlled DataFrame: the count column `antal` is pandas
nullable Int64 with <NA> where hidden, a boolean `undertryckt`, and a string `visas` with the
Swedish display ("1 234", "<5", "..").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import null_space
from scipy.optimize import linprog

from lagesbild.domain.config import Disclosure
from lagesbild.domain.formatting import fmt_int

TOTAL = "Totalt"
SECONDARY_MARK = ".."


@dataclass(frozen=True)
class Line:
    """An additive constraint: the sum of `cells` equals the cell `total` (all row indices)."""

    cells: tuple[int, ...]
    total: int

    @property
    def members(self) -> tuple[int, ...]:
        return (*self.cells, self.total)


@dataclass(frozen=True)
class Published:
    """One count as it may be shown."""

    value: int | None  # None when hidden
    display: str
    suppressed: bool


def small_label(disclosure: Disclosure) -> str:
    return f"<{disclosure.threshold}"


def primary_mask(values: np.ndarray, disclosure: Disclosure | None) -> np.ndarray:
    """True for counts 1..threshold-1."""
    values = np.asarray(values, dtype=np.int64)
    if disclosure is None or disclosure.threshold <= 1:
        return np.zeros(values.shape, dtype=bool)
    return (values >= 1) & (values < disclosure.threshold)


def round_count(value: int, rounding: int) -> int:
    """Round half-up to a multiple of `rounding` (0 or 1 = unchanged)."""
    if rounding <= 1:
        return int(value)
    return int((value + rounding // 2) // rounding * rounding) if value >= 0 else int(value)


def publish_count(value: int | None, disclosure: Disclosure | None) -> Published:
    """A single count (no table around it): primary suppression and rounding only."""
    if value is None:
        return Published(None, "–", False)
    value = int(value)
    if disclosure is None:
        return Published(value, fmt_int(value), False)
    if 1 <= value < disclosure.threshold:
        return Published(None, small_label(disclosure), True)
    shown = round_count(value, disclosure.rounding)
    return Published(shown, fmt_int(shown), False)


# -- secondary suppression --------------------------------------------------------------------
def _complement(members: Sequence[int], hidden: np.ndarray, values: np.ndarray,
                fixed: np.ndarray) -> int | None:
    """The cell to hide next in a line: the smallest non-zero open cell, else a zero."""
    open_ = [m for m in members if not hidden[m] and not fixed[m]]
    if not open_:
        return None
    nonzero = [m for m in open_ if values[m] > 0]
    return min(nonzero or open_, key=lambda m: (values[m], m))


def _exposed(values: np.ndarray, hidden: np.ndarray, primary: np.ndarray,
             lines: Sequence[Line], threshold: int) -> list[int]:
    """Hidden non-zero cells whose value a reader can work out exactly.

    The reader knows the published cells, the line sums, that "<5" means 1..threshold-1 and
    that no count is below 0. The hidden cells then lie in a polytope; a cell is exposed when
    it is constant on it. Bounds that are tight at every point (implicit equalities) are found
    with a few linear programs (maximise the slack of the bounds not yet known to be tight);
    those cells are pinned. Another cell is constant iff the null space of the line equations
    over the cells not pinned is zero at that cell (checked per group of linked cells).
    """
    rows = [ln for ln in lines if any(hidden[m] for m in ln.members)]
    cols = np.flatnonzero(hidden)
    if not rows or not len(cols):
        return []
    n = len(cols)
    pos = {int(c): k for k, c in enumerate(cols)}
    a_eq = np.zeros((len(rows), n))
    b_eq = np.zeros(len(rows))
    for r, ln in enumerate(rows):
        for m, sign in [(m, 1.0) for m in ln.cells] + [(ln.total, -1.0)]:
            if hidden[m]:
                a_eq[r, pos[m]] += sign
            else:
                b_eq[r] -= sign * values[m]
    small = primary[cols]
    pinned = np.zeros(n, dtype=bool)
    pinned[_tight(a_eq, b_eq, values[cols], small, threshold)] = True
    # Groups of linked hidden cells: union-find over the lines.
    parent = list(range(n))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for r in range(len(rows)):
        linked = np.flatnonzero(a_eq[r])
        for k in linked[1:]:
            parent[root(int(k))] = root(int(linked[0]))
    roots = np.array([root(k) for k in range(n)])
    for group in np.unique(roots):
        free = np.flatnonzero((roots == group) & ~pinned)
        if not len(free):
            continue
        sub = a_eq[np.abs(a_eq[:, free]).sum(axis=1) > 0][:, free]
        basis = null_space(sub)
        moving = (np.abs(basis).max(axis=1) > 1e-9) if basis.shape[1] else \
            np.zeros(len(free), bool)
        pinned[free[~moving]] = True
    inherent = small & (threshold <= 2)  # "<2" always means 1: nothing more to protect
    return [int(c) for c, fixed, known in zip(cols, pinned, inherent, strict=True)
            if fixed and not known and values[c] != 0]


def _tight(a_eq: np.ndarray, b_eq: np.ndarray, true: np.ndarray, small: np.ndarray,
           threshold: int) -> list[int]:
    """Hidden cells held at a bound at every feasible point (x >= 0; 1 <= x <= threshold-1
    for primary cells). Only a bound the true value sits on can be tight."""
    n = len(true)
    bounds = [(k, -1.0, -(1.0 if small[k] else 0.0)) for k in range(n)
              if true[k] == (1 if small[k] else 0)]
    bounds += [(k, 1.0, threshold - 1.0) for k in range(n)
               if small[k] and true[k] == threshold - 1]
    open_ = set(range(len(bounds)))
    while open_:
        chosen = sorted(open_)
        m = len(chosen)
        a_ub = np.zeros((m, n + m))
        b_ub = np.zeros(m)
        for j, b in enumerate(chosen):  # sign*x + s <= limit, i.e. slack s on the bound
            k, sign, limit = bounds[b]
            a_ub[j, k], a_ub[j, n + j], b_ub[j] = sign, 1.0, limit
        lower = [(1.0 if small[k] else 0.0, threshold - 1.0 if small[k] else None)
                 for k in range(n)]
        result = linprog(np.r_[np.zeros(n), -np.ones(m)], A_ub=a_ub, b_ub=b_ub,
                         A_eq=np.c_[a_eq, np.zeros((len(a_eq), m))], b_eq=b_eq,
                         bounds=lower + [(0, 1)] * m, method="highs")
        if result.status != 0:
            break
        loose = {b for b, s in zip(chosen, result.x[n:], strict=True) if s > 1e-7}
        if not loose:
            break
        open_ -= loose
    return [bounds[b][0] for b in open_]


def secondary_mask(values: np.ndarray, primary: np.ndarray, lines: Sequence[Line],
                   threshold: int, fixed: np.ndarray | None = None) -> np.ndarray:
    """Hidden cells after secondary suppression (a superset of `primary`)."""
    values = np.asarray(values, dtype=np.int64)
    hidden = np.asarray(primary, dtype=bool).copy()
    fixed = np.zeros(len(values), dtype=bool) if fixed is None else np.asarray(fixed, bool)
    if not hidden.any() or not lines:
        return hidden
    for _ in range(len(values) + 1):  # each round hides at least one cell or stops
        changed = False
        for line in lines:  # the standard rule: never exactly one hidden cell in a line
            if sum(hidden[m] for m in line.members) == 1:
                cell = _complement(line.members, hidden, values, fixed)
                if cell is not None:
                    hidden[cell] = changed = True
        if changed:
            continue
        added: set[int] = set()
        for cell in _exposed(values, hidden, primary, lines, threshold):
            own = [ln for ln in lines if cell in ln.members]
            if any(m in added for ln in own for m in ln.members):
                continue  # one new hidden cell per line and round
            touched = [ln for ln in lines if any(hidden[m] for m in ln.members)]
            for group in (own, touched):
                options = [c for ln in group
                           if (c := _complement(ln.members, hidden, values, fixed)) is not None]
                if options:
                    pick = min(options, key=lambda m: (values[m] == 0, values[m], m))
                    hidden[pick] = changed = True
                    added.add(pick)
                    break
        if not changed:
            break
    return hidden


# -- lines of a long table --------------------------------------------------------------------
def margin_lines(frame: pd.DataFrame, dims: Sequence[str], total: str = TOTAL) -> list[Line]:
    """Lines of a long table whose margins are rows labelled `total` in a dimension.

    For each dimension, the rows that agree on every other dimension form a line when one of
    them has `total` in that dimension (it is the line's total).
    """
    lines: list[Line] = []
    keys = [tuple(row) for row in frame[list(dims)].astype(object).itertuples(index=False)]
    for j in range(len(dims)):
        groups: dict[tuple, list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault(key[:j] + key[j + 1:], []).append(i)
        for members in groups.values():
            totals = [i for i in members if keys[i][j] == total]
            if len(totals) == 1 and len(members) > 1:
                lines.append(Line(tuple(i for i in members if i != totals[0]), totals[0]))
    return lines


def add_margins(frame: pd.DataFrame, dims: Sequence[str], count: str = "antal",
                margins: Sequence[str] | None = None, total: str = TOTAL) -> pd.DataFrame:
    """Add total rows (label `total`) over each dimension in `margins` (default all dims),
    and over every combination of them, to a long count table."""
    margins = list(dims if margins is None else margins)
    frames = [frame[[*dims, count]]]
    for k in range(1, len(margins) + 1):
        for combo in _combinations(margins, k):
            keep = [d for d in dims if d not in combo]
            part = (frame.groupby(keep, dropna=False, sort=False)[count].sum().reset_index()
                    if keep else pd.DataFrame({count: [frame[count].sum()]}))
            for d in combo:
                part[d] = total
            frames.append(part[[*dims, count]])
    out = pd.concat(frames, ignore_index=True)
    for d in dims:
        out[d] = out[d].astype(object)
    return out


def _combinations(items: Sequence[str], k: int) -> list[tuple[str, ...]]:
    from itertools import combinations

    return list(combinations(items, k))


# -- the one entry point ----------------------------------------------------------------------
@dataclass(frozen=True)
class Protected:
    """Disclosure control of an array of counts: what is published and how it is shown."""

    shown: list[int | None]  # published (rounded) counts, None where hidden or missing
    hidden: np.ndarray  # bool
    display: list[str]


def protect_values(values: Sequence[int | None], disclosure: Disclosure | None, *,
                   lines: Sequence[Line] = (), groups: Sequence[np.ndarray] = (),
                   fixed: np.ndarray | None = None) -> Protected:
    """The array core of `protect`: `groups` are index sets whose sum is published elsewhere;
    a None value is missing (not a count: never hidden, shown as '–')."""
    missing = np.array([v is None or v is pd.NA or v != v for v in values], dtype=bool)
    counts = np.array([0 if m or v is None else int(v)
                       for v, m in zip(values, missing, strict=True)],
                      dtype=np.int64)
    fixed = missing if fixed is None else (np.asarray(fixed, bool) | missing)
    primary = primary_mask(counts, disclosure) & ~fixed
    hidden = primary
    if disclosure is not None and primary.any():
        n = len(counts)
        sums = np.array([counts[g].sum() for g in groups], dtype=np.int64)
        all_lines = list(lines) + [Line(tuple(int(i) for i in g), n + k)
                                   for k, g in enumerate(groups)]
        hidden = secondary_mask(np.append(counts, sums),
                                np.append(primary, np.zeros(len(groups), bool)), all_lines,
                                disclosure.threshold,
                                np.append(fixed, np.ones(len(groups), bool)))[:n]
    rounding = disclosure.rounding if disclosure is not None else 0
    shown = [None if (h or m) else round_count(v, rounding)
             for v, h, m in zip(counts.tolist(), hidden, missing, strict=True)]
    small = small_label(disclosure) if disclosure is not None else ""
    display = [small if p else SECONDARY_MARK if h else "–" if m else fmt_int(v)
               for p, h, m, v in zip(primary, hidden, missing, shown, strict=True)]
    return Protected(shown, hidden, display)


def protect(frame: pd.DataFrame, disclosure: Disclosure | None, *, count: str = "antal",
            lines: Sequence[Line] | None = None, known_total: bool | Sequence[str] = False,
            fixed: np.ndarray | None = None, prefix: str = "") -> pd.DataFrame:
    """Apply disclosure control to the count column of a long table.

    `lines` are the table's additive constraints (see `margin_lines`). `known_total=True`
    treats the sum of all rows as published elsewhere (a grand total on the same page), so no
    single hidden cell can be recovered from it; a list of columns does the same for the sum
    within each group of those columns (e.g. ["kvartal"]: each quarter's total is known).
    `fixed` marks cells that must not be hidden (they are known anyway).
    Adds `{prefix}undertryckt` and `{prefix}visas`; `count` becomes Int64 with <NA> if hidden.
    """
    out = frame.copy()
    values = out[count].astype("Int64").tolist() if len(out) else []
    result = protect_values(values, disclosure, lines=lines or (),
                            groups=_known_groups(out, known_total) if disclosure else (),
                            fixed=fixed)
    out[count] = pd.array(result.shown, dtype="Int64")
    out[f"{prefix}undertryckt"] = result.hidden
    out[f"{prefix}visas"] = pd.Series(result.display, index=out.index, dtype=object)
    return out


def _known_groups(frame: pd.DataFrame, known_total: bool | Sequence[str]) -> list[np.ndarray]:
    if known_total is True:
        return [np.arange(len(frame))]
    if not known_total or not len(frame):
        return []
    ids = frame.groupby(list(known_total), sort=False, dropna=False).ngroup().to_numpy()
    order = np.argsort(ids, kind="stable")
    parts = np.split(order, np.flatnonzero(np.diff(ids[order])) + 1)
    return [p for p in parts if len(p) > 1]


def hide_derived(frame: pd.DataFrame, columns: Sequence[str], mask: np.ndarray | pd.Series) \
        -> pd.DataFrame:
    """Set derived columns to NA where `mask` (a hidden count they depend on) is True."""
    mask = np.asarray(mask, dtype=bool)
    for col in columns:
        series = frame[col].astype("Float64") if frame[col].dtype.kind in "fiu" else frame[col]
        frame[col] = series.mask(mask)
    return frame


def exact_frame(frame: pd.DataFrame, count: str = "antal", prefix: str = "") -> pd.DataFrame:
    """The same columns as `protect` adds, for exact counts (no disclosure control)."""
    return protect(frame, None, count=count, prefix=prefix)
