"""Disclosure control (röjandekontroll) by the cell-key method: the one place where counts are
perturbed, hidden or marked.

Why this method: a table protected on its own (primary and secondary suppression) gives its
hidden counts away to a reader who combines tables – filter complements, moving periods,
merged against unmerged breakdowns. Statistics agencies that let users build their own tables
(ABS TableBuilder, ONS Census 2021; sdcTools `ptable`/`cellKey`) use the cell-key method: a
cell's perturbation follows the cell's *records*, so the same cell has the same value on every
route, and the difference of two published numbers carries noise.

The method, step by step:

* **Record key.** Every report has a key `rkey`, an integer 0..KEY_MODULUS-1, from a keyed
  hash of its identity (`lagesbild.store.schema.record_key_sql`, kept in `reports`).
* **Cell key.** A cell's key is the sum of its records' keys modulo KEY_MODULUS
  (`CELL_KEY_SQL`, next to count(*) in the same query, for every grouping set of a CUBE and
  ROLLUP: `lagesbild.numbers.query.cube`). For a non-empty cell it is uniform on the keys.
* **Perturbation table (ptable).** `PTable` maps (count, cell key) to the published value.
  `noise_ptable` builds the internal table (threshold 5, at most ±2), `rounding_ptable` the
  public one (threshold 10, random rounding to 5, unbiased). Both are generated from their
  parameters and checked (`PTable.check`); `ptable_for` maps a `Disclosure` setting to one.
* **One rule set** (`protect_cube`): a true 0 is shown 0, never perturbed; a count
  1..threshold-1 is hidden and shown "<5", never as a number; a count >= threshold is
  published as the ptable says (never below the threshold, within the documented bound). A
  cell is shown ".." (hidden, zeros too) when one of its *parents* is a small count: the cell
  with one condition relaxed (a dimension set to its total, a quarter to its year, a year to
  all time). So no line ever pins the cells of a "<5" total, and no cell is shown "<5" inside
  a "<5" cell on any route. A zero under a parent that is shown 0 is shown (every route says
  so already). What a cell shows depends only on its own records and conditions: the same on
  every page, export and command.
* **Published cells and derived figures** (`select`): the published cells are the cube of
  single values or the total per dimension and quarter, calendar year or all time. A
  selection of several values of a dimension, or a period that is not a quarter, a year or
  everything (`period_units`), is a *derived* sum of published cells – never a new cell,
  which would give a reader a fresh noise draw per union and let him average the noise away.
  When a part is hidden, the sum is *approximate* ("≈ 28"): the published parts plus the
  middle of each hidden part's range (1..threshold-1 for "<5", 0..threshold-1 for ".."), a
  function of what the parts already show, so it tells no one more than the parts do; it is
  hidden ("..") only when the published parts add up to less than the threshold. (Without it
  a period of eight quarters would hide a district with 30 reports because one of its
  quarters had 3.) Shares, rates, changes and means are computed from published counts and
  hidden when a count they use is hidden (`share`, `hide_derived`).
* **One breakdown per role** (`classification`): wherever numbers are protected, gender
  "Annat" is shown together with "Okänt" as "Annat/okänt", in every table, filter and export.
  A merge is safe only if no view also publishes the unmerged categories.

Output convention of every disclosure-controlled DataFrame: the count column `antal` is pandas
nullable Int64 with <NA> where hidden, a boolean `undertryckt`, and a string `visas` with the
Swedish display ("1 234", "<5", "..", "≈ 28" for an approximate sum, "–" for a count that is
missing).

Over 500 lines as one cohesive job: disclosure control, kept in one module so that the one
place that protects numbers (ptables, the cube's rule set, published and derived cells)
is read and reviewed as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
from scipy.optimize import brentq, root

from lagesbild.domain import formatting
from lagesbild.domain.config import DISCLOSURE_NOTE, Disclosure
from lagesbild.domain.formatting import fmt_int
from lagesbild.store.schema import KEY_MODULUS

TOTAL = "Totalt"
SECONDARY_MARK = ".."
APPROX_MARK = formatting.APPROX_MARK  # before an approximate derived sum (a part is hidden)
MISSING = "–"
NOTE = DISCLOSURE_NOTE  # on every page and export that shows protected numbers
# What a view with exact counts (analysts only) says about itself.
EXACT_NOTE = "Exakta antal – bara för analytiker. Exporter för möten har skyddade siffror."

OTHER_OR_UNKNOWN = "Annat/okänt"
# Gender "Annat" (few) together with "Okänt".
GENDER_OTHER_WITH_UNKNOWN: Mapping[str, str] = {"Annat": OTHER_OR_UNKNOWN,
                                                 "Okänt": OTHER_OR_UNKNOWN}
# The one breakdown of a dimension for every reader of protected numbers.
PROTECTED_CLASSIFICATION: Mapping[str, Mapping[str, str]] = {"kon": GENDER_OTHER_WITH_UNKNOWN}


def classification(disclosure: Disclosure | None) -> Mapping[str, Mapping[str, str]]:
    """{dimension: {category: merged label}} for a role: merged categories wherever numbers
    are protected (every view and export of the role), none for exact counts."""
    return PROTECTED_CLASSIFICATION if disclosure is not None else {}


def cell_key_sql(column: str = "rkey", condition: str | None = None) -> str:
    """SQL for a cell key next to count(*): the sum of the record keys modulo KEY_MODULUS.
    `condition` gives the key of a FILTERed count, e.g. "konsultation = 'Ja'"."""
    where = f" FILTER (WHERE {condition})" if condition else ""
    return f"(coalesce(sum({column}){where}, 0) % {KEY_MODULUS})::INTEGER"


CELL_KEY_SQL = cell_key_sql()


def small_label(disclosure: Disclosure) -> str:
    return f"<{disclosure.threshold}"


# -- perturbation tables ----------------------------------------------------------------------
HIDDEN = -1  # published value of a small count: shown as "<threshold", never as a number


@dataclass(frozen=True)
class PTable:
    """A perturbation table: for each true count n, the published values (`targets[n]`) and
    how many of the KEY_MODULUS cell keys lead to each (`keys[n]`; key k picks the target
    whose cumulative key range holds k). Rows from `stable` on repeat with `period`: row n
    is row r = stable + (n - stable) % period shifted by n - r (as ONS's ptable reuses rows)."""

    name: str
    threshold: int
    max_deviation: int
    stable: int
    period: int
    targets: tuple[tuple[int, ...], ...]
    keys: tuple[tuple[int, ...], ...]
    notes: str = ""
    _lookup: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64),
                                repr=False, compare=False)

    def __post_init__(self) -> None:
        rows = self.stable + self.period
        if len(self.targets) != rows or len(self.keys) != rows:
            raise ValueError("A ptable needs rows 0 .. stable + period - 1.")
        lookup = np.empty((rows, KEY_MODULUS), dtype=np.int64)
        for n, (values, counts) in enumerate(zip(self.targets, self.keys, strict=True)):
            if sum(counts) != KEY_MODULUS or min(counts) < 0:
                raise ValueError(f"Row {n} of ptable {self.name} does not use every key once.")
            lookup[n] = np.repeat(np.array(values, dtype=np.int64), counts)
        object.__setattr__(self, "_lookup", lookup)

    def _row(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counts = np.asarray(counts, dtype=np.int64)
        rep = np.where(counts < self.stable, counts,
                       self.stable + (counts - self.stable) % self.period)
        return rep, counts - rep

    def perturb(self, counts: Sequence[int] | np.ndarray,
                ckeys: Sequence[int] | np.ndarray) -> np.ndarray:
        """Published values (HIDDEN for a small count) of cells with true `counts`."""
        counts = np.asarray(counts, dtype=np.int64)
        ckeys = np.asarray(ckeys, dtype=np.int64) % KEY_MODULUS
        if counts.size and counts.min() < 0:
            raise ValueError("Counts cannot be negative.")
        rep, shift = self._row(counts)
        value = self._lookup[rep, ckeys]
        return np.where(value == HIDDEN, HIDDEN, value + shift)

    def distribution(self, n: int) -> dict[int, float]:
        """{published value: probability} of a true count n (HIDDEN for small counts)."""
        rep, shift = self._row(np.array([n]))
        values, counts = self.targets[int(rep[0])], self.keys[int(rep[0])]
        out: dict[int, float] = {}
        for v, c in zip(values, counts, strict=True):
            if c:
                key = HIDDEN if v == HIDDEN else v + int(shift[0])
                out[key] = out.get(key, 0.0) + c / KEY_MODULUS
        return out

    def transitions(self, n_max: int = 20) -> pd.DataFrame:
        """P(published = v | true = n), n = 0..n_max (column -1 is 'hidden')."""
        rows = [self.distribution(n) for n in range(n_max + 1)]
        frame = pd.DataFrame(rows, index=pd.RangeIndex(n_max + 1, name="n")).fillna(0.0)
        return frame[sorted(frame.columns)]

    def properties(self, n_max: int = 40) -> pd.DataFrame:
        """Per true count n: whether hidden, bias (E[v] - n), variance, max |v - n|,
        P(v = n), lowest published value."""
        records = []
        for n in range(n_max + 1):
            dist = self.distribution(n)
            if HIDDEN in dist:
                records.append({"n": n, "dold": True, "bias": np.nan, "varians": np.nan,
                                "max_avvikelse": np.nan, "p_oforandrad": np.nan,
                                "lagsta": np.nan})
                continue
            values = np.array(list(dist)) - n
            probs = np.array(list(dist.values()))
            bias = float(values @ probs)
            records.append({"n": n, "dold": False, "bias": bias,
                            "varians": float(((values - bias) ** 2) @ probs),
                            "max_avvikelse": int(np.abs(values).max()),
                            "p_oforandrad": float(dist.get(n, 0.0)),
                            "lagsta": int(values.min() + n)})
        return pd.DataFrame(records).set_index("n")

    def check(self, n_max: int = 200, unbiased_from: int | None = None) -> None:
        """Raise ValueError unless: 0 stays 0; every count 1..threshold-1 is hidden (never a
        number); every count >= threshold is published, at least the threshold and within
        max_deviation; the table is exactly unbiased from `unbiased_from` (default
        threshold + 1) on."""
        t = self.threshold
        props = self.properties(max(n_max, self.stable + 2 * self.period))
        problems = []
        if self.distribution(0) != {0: 1.0}:
            problems.append("0 is perturbed")
        if not props.loc[1:t - 1, "dold"].all():
            problems.append("a small count is published")
        big = props.loc[t:]
        if big["dold"].any():
            problems.append("a count at or above the threshold is hidden")
        if (big["lagsta"] < t).any():
            problems.append("a count at or above the threshold is published below it")
        if (big["max_avvikelse"] > self.max_deviation).any():
            problems.append("a perturbation exceeds max_deviation")
        start = t + 1 if unbiased_from is None else unbiased_from
        if (big.loc[start:, "bias"].abs() > 1e-12).any():
            problems.append(f"biased from {start} on")
        if problems:
            raise ValueError(f"ptable {self.name}: " + "; ".join(problems))

    def as_ons(self, max_pcv: int = 750) -> pd.DataFrame:
        """The table in the format of ONS's cell-key-perturbation package (pcv, ckey,
        pvalue), for cross-checks with its `create_perturbed_table`."""
        n = np.repeat(np.arange(1, max_pcv + 1), KEY_MODULUS)
        k = np.tile(np.arange(KEY_MODULUS), max_pcv)
        v = self.perturb(n, k)
        pvalue = np.where(v == HIDDEN, -n, v - n)
        return pd.DataFrame({"pcv": n, "ckey": k, "pvalue": pvalue})


def _max_entropy(support: np.ndarray, variance: float, mean: float = 0.0) -> np.ndarray:
    """The maximum-entropy distribution on the integers `support` with the given mean and
    second moment about the mean: p(d) proportional to exp(a d + b d^2)."""
    d = support.astype(float)

    def dist(a: float, b: float) -> np.ndarray:
        z = a * d + b * d * d
        w = np.exp(z - z.max())
        return w / w.sum()

    if np.allclose(d, -d[::-1]) and mean == 0.0:
        def gap(b: float) -> float:
            return float(dist(0.0, b) @ d ** 2 - variance)
        return dist(0.0, float(brentq(gap, -60.0, 60.0)))

    def moments(x: np.ndarray) -> list[float]:
        p = dist(*x)
        return [float(p @ d - mean), float(p @ (d - mean) ** 2 - variance)]

    sol = root(moments, x0=[0.0, -0.5], method="hybr")
    if not sol.success or max(abs(m) for m in moments(sol.x)) > 1e-9:
        raise ValueError(f"No distribution on {list(support)} with mean {mean}, "
                         f"variance {variance}.")
    return dist(*sol.x)


def _quantize(support: np.ndarray, probs: np.ndarray, unbiased: bool) -> list[int]:
    """Key counts (summing to KEY_MODULUS) close to `probs`; symmetric rows stay symmetric,
    and an unbiased row gets an integer mean of exactly 0."""
    raw = probs * KEY_MODULUS
    counts = np.floor(raw).astype(np.int64)
    for i in np.argsort(-(raw - counts))[: KEY_MODULUS - counts.sum()]:
        counts[i] += 1
    if np.array_equal(support, -support[::-1]):  # mirror the positive half
        half = len(support) // 2
        counts[:half] = counts[::-1][:half]
        counts[half] = KEY_MODULUS - 2 * counts[:half].sum()
    if unbiased:
        zero = int(np.flatnonzero(support == 0)[0])
        residual = int(counts @ support)
        step = 1 if residual > 0 else -1  # move keys from d = step to d = 0
        source = int(np.flatnonzero(support == step)[0])
        if counts[source] < abs(residual):
            raise ValueError("Cannot make the row unbiased.")
        counts[source] -= abs(residual)
        counts[zero] += abs(residual)
    return [int(c) for c in counts]


def noise_ptable(threshold: int = 5, max_deviation: int = 2, variance: float = 1.0,
                 name: str | None = None) -> PTable:
    """An additive-noise table: 0 stays 0; 1..threshold-1 hidden; n >= threshold published as
    n + d with |d| <= max_deviation and n + d >= threshold.

    Rows whose full support n-D..n+D is allowed (n >= threshold + D) use the maximum-entropy
    symmetric distribution with the given variance (unbiased). Rows nearer the threshold use
    the maximum-entropy distribution with mean 0 on the allowed values (variance capped at
    90 % of the largest possible); at n = threshold no noise can be unbiased, and the
    stationary distribution is censored at the threshold, which gives the only bias.
    """
    t, big_d = threshold, max_deviation
    full = np.arange(-big_d, big_d + 1)
    stationary = _max_entropy(full, variance)
    targets: list[tuple[int, ...]] = [(0,), *[(HIDDEN,)] * (t - 1)]
    keys: list[tuple[int, ...]] = [(KEY_MODULUS,)] * t
    for n in range(t, t + big_d + 1):
        support = full[full >= t - n]
        if support.min() < 0 < support.max():
            cap = 0.9 * (-support.min() * support.max())
            probs = (stationary if len(support) == len(full)
                     else _max_entropy(support, min(variance, cap)))
            counts = _quantize(support, probs, unbiased=True)
        else:  # n == t: censor at the threshold
            probs = np.array([stationary[full <= s].sum() if s == support.min()
                              else stationary[full == s][0] for s in support])
            counts = _quantize(support, probs, unbiased=False)
        targets.append(tuple(int(n + s) for s in support))
        keys.append(tuple(counts))
    table = PTable(name or f"brus {t}/±{big_d}/V{variance:g}", t, big_d, stable=t + big_d,
                   period=1, targets=tuple(targets), keys=tuple(keys),
                   notes=f"Additivt brus, varians {variance:g}, max ±{big_d}, tröskel {t}.")
    table.check()
    return table


def rounding_ptable(threshold: int = 10, base: int = 5, name: str | None = None) -> PTable:
    """Unbiased random rounding: 0 stays 0; 1..threshold-1 hidden; n = base*k + r >= threshold
    published as base*k with probability 1 - r/base, else base*(k+1) (so E = n, |v - n| <
    base, every published value a multiple of `base`, never below the threshold)."""
    if threshold % base or KEY_MODULUS % base:
        raise ValueError("The threshold and KEY_MODULUS must be multiples of the base.")
    targets: list[tuple[int, ...]] = [(0,), *[(HIDDEN,)] * (threshold - 1)]
    keys: list[tuple[int, ...]] = [(KEY_MODULUS,)] * threshold
    for n in range(threshold, threshold + base):
        r = n % base
        targets.append((n - r, n - r + base) if r else (n,))
        keys.append((KEY_MODULUS * (base - r) // base, KEY_MODULUS * r // base) if r
                    else (KEY_MODULUS,))
    table = PTable(name or f"avrundning {threshold}-{base}", threshold, base - 1,
                   stable=threshold, period=base, targets=tuple(targets), keys=tuple(keys),
                   notes=f"Slumpvis väntevärdesriktig avrundning till {base}, tröskel "
                         f"{threshold}.")
    table.check(unbiased_from=threshold)
    return table


INTERNAL_MAX_DEVIATION = 2
INTERNAL_VARIANCE = 1.0


@cache
def ptable_for(threshold: int, rounding: int) -> PTable:
    """The table of a Disclosure setting: rounding > 1 gives random rounding to that base
    (public variant 10/5), otherwise additive noise within ±2 (internal 5/0)."""
    if rounding > 1:
        return rounding_ptable(threshold, rounding)
    return noise_ptable(threshold, INTERNAL_MAX_DEVIATION, INTERNAL_VARIANCE)


def table_of(disclosure: Disclosure) -> PTable:
    return ptable_for(int(disclosure.threshold), int(disclosure.rounding))


# -- periods as cells -------------------------------------------------------------------------
def period_parent(label: object) -> object:
    """The hierarchy of the period axis: '2025-03' -> '2025K1' -> '2025' -> TOTAL -> None."""
    text = str(label)
    if label == TOTAL:
        return None
    if "-" in text:
        return f"{text[:4]}K{(int(text[5:7]) - 1) // 3 + 1}"
    return text[:4] if "K" in text else TOTAL


def period_units(quarters: Sequence[str], span: Sequence[str]) -> list[str]:
    """The cells a period is published from: TOTAL when it holds every quarter of the data's
    span, else each calendar year ('2025') all of whose quarters in the span it holds, and the
    remaining quarters. A period of one unit is a cell; one of several is a derived sum."""
    chosen = list(dict.fromkeys(quarters))
    inside = set(span)
    if inside <= set(chosen):
        return [TOTAL]
    years: dict[str, list[str]] = {}
    for q in chosen:
        years.setdefault(q[:4], []).append(q)
    units: list[str] = []
    for year, qs in years.items():
        needed = {f"{year}K{k}" for k in range(1, 5)} & inside
        units += [year] if needed <= set(qs) else qs
    return units


# -- the rule set on a dense cube -------------------------------------------------------------
@dataclass
class Cube:
    """Counts and cell keys of every cell of a dense cube: one axis per dimension, each with
    its labels (its total among them) and `parents[axis][i]`, the index of label i's parent
    on that axis (-1: none)."""

    dims: tuple[str, ...]
    labels: tuple[tuple[object, ...], ...]
    parents: tuple[np.ndarray, ...]
    counts: np.ndarray  # int64, one axis per dimension
    keys: np.ndarray  # int64, the cell keys

    def index(self, axis: int) -> dict[object, int]:
        return {label: i for i, label in enumerate(self.labels[axis])}


@dataclass
class Published:
    """The cells of a cube as they may be shown."""

    value: np.ndarray  # int64: the published value (0 where hidden)
    hidden: np.ndarray  # bool
    small: np.ndarray  # bool: shown "<threshold" (small, no small parent); other hidden ".."
    exact: np.ndarray  # int64: the true counts (never shown to a protected role)


def _from_parent(flags: np.ndarray, parents: np.ndarray, axis: int) -> np.ndarray:
    """For each cell, the flag of its parent on `axis` (False without a parent)."""
    has = parents >= 0
    taken = np.take(flags, np.where(has, parents, 0), axis=axis)
    shape = [1] * flags.ndim
    shape[axis] = len(parents)
    return taken & has.reshape(shape)


def protect_cube(cube: Cube, disclosure: Disclosure | None) -> Published:
    """Apply the rule set to every cell of `cube` (see the module text)."""
    n = cube.counts.astype(np.int64)
    if disclosure is None:
        no = np.zeros(n.shape, dtype=bool)
        return Published(n.copy(), no, no.copy(), n)
    published = table_of(disclosure).perturb(n.ravel(), cube.keys.ravel()).reshape(n.shape)
    small = published == HIDDEN
    secondary = np.zeros(n.shape, dtype=bool)
    for axis, parents in enumerate(cube.parents):
        secondary |= _from_parent(small, parents, axis)
    # A zero under a parent that is shown as 0 is 0 on every route: show it. Parents first,
    # so repeat until nothing changes (at most the depth of the hierarchy).
    zero = n == 0
    for _ in range(sum(len(p) for p in cube.parents) + 1):
        shown_zero = zero & ~secondary
        freed = np.zeros(n.shape, dtype=bool)
        for axis, parents in enumerate(cube.parents):
            freed |= _from_parent(shown_zero, parents, axis)
        freed &= secondary
        if not freed.any():
            break
        secondary &= ~freed
    hidden = small | secondary
    # ".." wins over "<5": no cell is shown "<5" inside a small cell (four "<5" quarters of a
    # "<5" year would each be 1)
    return Published(np.where(hidden, 0, published), hidden, small & ~secondary, n)


# -- selecting published cells and derived sums -----------------------------------------------
Group = tuple[object, tuple[object, ...]]  # (output label, the cells summed into it)


@dataclass(frozen=True)
class Axis:
    """How one axis of a cube is read into a table: each output label (None: the axis is
    not a column of the table) is the sum of the cells with these labels on the axis."""

    name: str
    groups: tuple[Group, ...]

    @property
    def column(self) -> bool:
        return not (len(self.groups) == 1 and self.groups[0][0] is None)


def _members(cube: Cube, axis: int, spec: Axis) -> np.ndarray:
    index = cube.index(axis)
    matrix = np.zeros((len(spec.groups), len(cube.labels[axis])), dtype=np.int64)
    for g, (_, parts) in enumerate(spec.groups):
        for part in parts:
            matrix[g, index[part]] = 1
    return matrix


def select(cube: Cube, published: Published, axes: Sequence[Axis],
           disclosure: Disclosure | None) -> pd.DataFrame:
    """A long table from a protected cube: one row per combination of the axes' output
    labels, in order. A single cell keeps its value and display; a group of several cells is
    a derived sum, hidden ("..") when a part is hidden. Columns: the axes that are columns,
    antal, undertryckt, visas (and `_exakt`, the true count, for the engine's own use)."""
    if [a.name for a in axes] != list(cube.dims):
        raise ValueError("One axis per dimension of the cube, in its order.")
    arrays = [published.value, published.hidden.astype(np.int64),
              published.small.astype(np.int64), published.exact]
    parts: np.ndarray = np.ones((), dtype=np.int64)
    for axis, spec in enumerate(axes):
        matrix = _members(cube, axis, spec)
        # contract the leading axis (the remaining cube axes shift left each time)
        arrays = [np.tensordot(matrix, a, axes=([1], [0])) for a in arrays]
        arrays = [np.moveaxis(a, 0, -1) for a in arrays]
        parts = np.multiply.outer(parts, matrix.sum(axis=1))
    value, hidden, small, exact = (a.ravel() for a in arrays)
    parts = parts.ravel()
    hide = hidden > 0
    single = parts == 1
    approx = np.zeros(hide.shape, dtype=bool)
    if disclosure is not None:
        value, approx = approximate_sums(value, hidden, small, single, disclosure.threshold,
                                         disclosure.rounding)
        hide &= ~approx
    label = small_label(disclosure) if disclosure is not None else ""
    display = np.where(hide & single & (small > 0), label,
                       np.where(hide, SECONDARY_MARK, "")).astype(object)
    show = ~hide
    display[show] = [(APPROX_MARK if a else "") + fmt_int(int(v))
                     for v, a in zip(value[show], approx[show], strict=True)]
    columns = [a for a in axes if a.column]
    sizes = [len(a.groups) for a in axes]
    data: dict[str, object] = {}
    for axis, spec in enumerate(axes):  # the product of the labels, in C order
        if spec.column:
            labels = np.empty(len(spec.groups), dtype=object)
            labels[:] = [g for g, _ in spec.groups]
            inner = int(np.prod(sizes[axis + 1:], dtype=np.int64))
            outer = int(np.prod(sizes[:axis], dtype=np.int64))
            data[spec.name] = np.tile(np.repeat(labels, inner), outer)
    out = pd.DataFrame(data, index=pd.RangeIndex(len(value))) if columns else \
        pd.DataFrame(index=[0])
    out["antal"] = pd.array(np.where(hide, 0, value), dtype="Int64")
    out["antal"] = out["antal"].mask(hide)
    out["undertryckt"] = hide
    out["visas"] = pd.Series(display, index=out.index, dtype=object)
    out["_exakt"] = exact
    return out


def approximate_sums(value: np.ndarray, hidden: np.ndarray, small: np.ndarray,
                     single: np.ndarray, threshold: int, rounding: int = 1) \
        -> tuple[np.ndarray, np.ndarray]:
    """Derived sums with hidden parts as approximate values: the published parts (`value`,
    0 for hidden parts) plus the middle of each hidden part's range – (1 + threshold-1) / 2
    for a part shown "<threshold" (`small` of them), (threshold-1) / 2 for one shown ".."
    (`hidden` - `small`), rounded half up (to a multiple of `rounding` when the published
    counts are rounded). Only what the parts show goes in, so the sum
    adds nothing to them. Not for single cells, nor when the published parts are below the
    threshold (the sum could then look like a small count). Returns (values, approximate)."""
    approx = (hidden > 0) & ~single & (value >= threshold)
    estimate = value + small * (threshold / 2) + (hidden - small) * ((threshold - 1) / 2)
    base = max(rounding, 1)
    rounded = (np.floor(estimate / base + 0.5) * base).astype(np.int64)
    values = np.where(approx, rounded, value)
    return values, approx


# -- derived figures --------------------------------------------------------------------------
def hide_derived(frame: pd.DataFrame, columns: Sequence[str], mask: np.ndarray | pd.Series) \
        -> pd.DataFrame:
    """Set derived columns to NA where `mask` (a hidden count they depend on) is True."""
    mask = np.asarray(mask, dtype=bool)
    for col in columns:
        series = frame[col].astype("Float64") if frame[col].dtype.kind in "fiu" else frame[col]
        frame[col] = series.mask(mask)
    return frame


def share(part: pd.Series, whole: pd.Series) -> pd.Series:
    """Per cent of published counts; NA where either is hidden or the whole is 0."""
    whole = whole.astype("Float64")
    return part.astype("Float64") / whole.mask(whole == 0) * 100


def publish_part(part: int, ckey: int, whole: int, whole_hidden: bool,
                 disclosure: Disclosure | None) -> float:
    """A count over a subset of a published cell's reports (e.g. the partners that delivered
    every quarter of a comparison), published as a cell of its own: its key is the sum of
    its reports' record keys, so the same reports always give the same value. NaN when the
    whole is hidden, the part is a small count, or what it leaves out (whole - part) is one
    (that would give the left-out reports away)."""
    if disclosure is None:
        return float(part)
    t = disclosure.threshold
    if whole_hidden or 1 <= part < t or 1 <= whole - part < t:
        return np.nan
    value = int(table_of(disclosure).perturb([part], [ckey])[0])
    return np.nan if value == HIDDEN else float(value)


@dataclass(frozen=True)
class Protected:
    """Published counts of a series, flat: value (None where hidden), hidden, display."""

    shown: list[int | None]
    hidden: np.ndarray
    display: list[str]


def publish_count(count: int | None, ckey: int, disclosure: Disclosure | None) \
        -> tuple[int | None, str, bool]:
    """A single count that is a cell of its own with no parent that can be small (e.g. a
    batch's rows): (published value or None, display, hidden)."""
    if count is None:
        return None, MISSING, False
    cube = Cube(("_",), ((0,),), (np.array([-1]),), np.array([int(count)]),
                np.array([int(ckey)]))
    out = select(cube, protect_cube(cube, disclosure),
                 [Axis("_", ((None, (0,)),))], disclosure).iloc[0]
    value = None if out["undertryckt"] else int(out["antal"])
    return value, str(out["visas"]), bool(out["undertryckt"])
