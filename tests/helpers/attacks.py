"""Attacks on the numbers the preparation group (or the public) sees, through the product's own
indicator functions, on data sets made by code.

`synthetic(kind)` makes a demo-like data set (about 2 000 reports, 15 districts, 16 quarters) or
a small-municipality one (about 250 reports, 6 districts, 8 quarters); `build` loads it into an
in-memory store (record keys by the store's own SQL). A `Publisher` answers the views of the
dashboard with `lagesbild.numbers.indicators` (trend, ranking, heat map, cross-table, lens)
for a role's Disclosure, and keeps the exact counts beside them for scoring only.

The attacker knows the method and its perturbation table (Kerckhoffs) and, as a strong
attacker, the true distribution of the hidden values (his prior). For each hidden cell he
combines every route he has – the difference of two published numbers whose reports differ by
exactly that cell – into a posterior; a cell is *pinned* when only one value is possible, and
his *guess* is the posterior mode. `baseline` is the guess from the prior alone ("every <5 is
a 1"). Ported from the design study of issue 12; `method="legacy"` reads the displays as the
old secondary suppression meant them ("..": any count), to measure the code before it.

Run this file for the full-size figures (every form, both data sets, both variants):
`PYTHONPATH=. python tests/helpers/attacks.py` (with PYTHONPATH pointing at an older checkout
and `legacy` as argument, the same attacks run against that code).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_matrix, vstack

from lagesbild.domain.config import Disclosure
from lagesbild.numbers import indicators as ind
from lagesbild.numbers.query import Filters
from lagesbild.store import Store

INTERNAL = Disclosure(5, 0)
PUBLIC = Disclosure(10, 5)
TIME = "kvartal"
TOTAL = "Totalt"
HIDDEN_MARK = ".."
APPROX_MARK = "≈ "  # lagesbild.numbers.disclosure.APPROX_MARK (kept here for older checkouts)

# -- data -------------------------------------------------------------------------------------
FORMS = {"Högerextremism": .30, "Vänsterextremism": .05, "Islamistisk extremism": .11,
         "Misogyn extremism": .035, "Konspirationsteoretisk/antistatlig": .08,
         "Våldsfixering utan ideologi": .08, "Blandad eller oklar ideologi": .12,
         "Annan": .03, "Ej bedömd": .10}
GENDERS = {"Kvinna": .20, "Man": .72, "Annat": .015, "Okänt": .065}
DEMO_AREAS = {"Centrum": 225, "Landsbygd": 200, "Digitalt": 199, "Västerslätt": 191,
              "Haga": 163, "Universitetsområdet": 153, "Teg": 125, "Mariehem": 124,
              "Holmsund": 109, "Tomtebo": 106, "Ålidhem": 99, "Ersboda": 87, "Sävar": 80,
              "Okänt": 74, "Hörnefors": 61}
SMALL_AREAS = {"Centrum": 40, "Ersboda": 25, "Teg": 15, "Haga": 10, "Sävar": 6,
               "Landsbygd": 4}
PARTNERS = ("Polis", "Socialtjänst", "Grundskola", "Gymnasieskola", "Fritidsgård",
            "Bostadsbolag")


def quarters(first_year: int, last_year: int) -> list[str]:
    return [f"{y}K{k}" for y in range(first_year, last_year + 1) for k in range(1, 5)]


def synthetic(kind: str = "demo", seed: int = 1) -> pd.DataFrame:
    """One row per report (the store's columns), growing over time."""
    rng = np.random.default_rng(seed)
    if kind == "demo":
        areas, qs, total = DEMO_AREAS, quarters(2022, 2025), 2000
    elif kind == "small":
        areas, qs, total = SMALL_AREAS, quarters(2024, 2025), 250
    else:
        raise ValueError(kind)
    growth = np.linspace(1.0, 1.6, len(qs))
    per_q = rng.poisson(total * growth / growth.sum())
    n = int(per_q.sum())

    def draw(weights: Mapping[str, float]) -> np.ndarray:
        p = np.array(list(weights.values()), dtype=float)
        return np.array(list(weights), dtype=object)[rng.choice(len(p), n, p=p / p.sum())]

    quarter = np.repeat(np.array(qs, dtype=object), per_q)
    day = [dt.date(int(q[:4]), 3 * int(q[-1]) - 2, 1) + dt.timedelta(days=int(d))
           for q, d in zip(quarter, rng.integers(0, 89, n), strict=True)]
    partner = np.array(PARTNERS, dtype=object)[rng.integers(0, len(PARTNERS), n)]
    return pd.DataFrame({
        "partner": partner, "rapport_id": [f"R{seed}-{i:06d}" for i in range(n)],
        "datum": day, "rapporttyp": rng.choice(np.array(["Oro", "Incident"], dtype=object), n),
        "omrade": draw(areas), "regso": None, "form": draw(FORMS),
        "handelse": "Propaganda", "verksamhet": partner, "kon": draw(GENDERS),
        "aldersgrupp": "Okänd", "konsultation": "Nej", "kvartal": quarter})


def load_reports(store: Store, reports: pd.DataFrame, name: str) -> None:
    from lagesbild.store.schema import REPORT_COLUMNS

    table = pa.table({c: pa.array(list(reports[c]), type=pa.date32() if c == "datum"
                                  else pa.string()) for c in REPORT_COLUMNS})
    store.import_reports(table, file_name=name, sha256=hashlib.sha256(name.encode()).hexdigest(),
                         imported_by="test")


@dataclass
class Data:
    name: str
    store: Store
    reports: pd.DataFrame
    levels: dict[str, list[str]]

    @property
    def total(self) -> int:
        return len(self.reports)


def build(kind: str, seed: int = 1, store: Store | None = None) -> Data:
    """The data set in a store (in memory unless one is given)."""
    reports = synthetic(kind, seed)
    store = store or Store.open(":memory:")
    load_reports(store, reports, f"{kind}-{seed}")
    levels = {d: sorted(reports[d].unique()) for d in ("omrade", "form", "kon")}
    levels[TIME] = sorted(reports[TIME].unique())
    return Data(kind, store, reports, levels)


# -- views through the product ------------------------------------------------------------------
def period_units(quarters_: Sequence[str], span: Sequence[str]) -> list[str]:
    """The published cells a period is summed from (the method, known to the attacker)."""
    chosen = list(dict.fromkeys(quarters_))
    if set(span) <= set(chosen):
        return [TOTAL]
    out: list[str] = []
    for year in dict.fromkeys(q[:4] for q in chosen):
        qs = [q for q in chosen if q[:4] == year]
        out += [year] if {q for q in span if q[:4] == year} <= set(qs) else qs
    return out


class Publisher:
    """The views of a role, from the product's indicator functions. Each view is a long
    DataFrame with the `by` columns (TOTAL rows for the margins where the page has them),
    antal, undertryckt, visas, `_parts` (how many published cells a value is summed from:
    public knowledge) and `_n` (the exact count, for scoring only; never used by an attack)."""

    def __init__(self, data: Data, disclosure: Disclosure = INTERNAL, method: str = "cellkey"):
        if method not in ("cellkey", "legacy"):
            raise ValueError(method)
        self.data, self.disclosure, self.method = data, disclosure, method
        self._cache: dict[tuple, pd.DataFrame] = {}
        self._present = {d: set(data.reports[d].astype(object)) for d in ("omrade", "form",
                                                                         "kon")}
        self.meta: dict[int, dict] = {}
        if method == "cellkey":
            from lagesbild.numbers.disclosure import table_of

            self.table = table_of(disclosure)

    def levels(self, dim: str) -> list[str]:
        return self.data.levels[dim]

    def view(self, by: Sequence[str] = (), where: Mapping | None = None,
             period: Sequence[str] | None = None, merged: bool = False) -> pd.DataFrame:
        """`merged`: the lens as Målgrupper asks for it (gender Annat with Okänt)."""
        where = {d: tuple(v) for d, v in (where or {}).items() if v is not None}
        span = self.data.levels[TIME]
        period = tuple(period) if period is not None else tuple(span)
        key = (tuple(by), tuple(sorted(where.items())), period, merged)
        if key not in self._cache:
            frame = self._view(list(by), where, period, merged)
            self.meta[id(frame)] = {"where": where, "period": period}
            self._cache[key] = frame
        return self._cache[key]

    def _call(self, by: list[str], filters: Filters, disclosure: Disclosure | None,
              merged: bool = False) -> pd.DataFrame:
        store = self.data.store
        cols = ["antal", "undertryckt", "visas"]
        if not by:
            return ind.counts(store, [], filters, disclosure)[cols]
        if by == [TIME]:
            return ind.trend(store, filters, None, "antal", disclosure)[[TIME, *cols]]
        if len(by) == 1:  # a ranking: the period column of the page's cross-table
            table = ind.crosstab(store, by[0], TIME, filters, disclosure)
            return table[table[TIME] == TOTAL][[by[0], *cols]]
        if by == ["omrade", "kon"]:
            merge = ind.GENDER_OTHER_WITH_UNKNOWN if merged else None
            return ind.lens(store, "omrade", "kon", filters, disclosure,
                            merge=merge)[[*by, *cols]]
        return ind.crosstab(store, by[0], by[1], filters, disclosure)[[*by, *cols]]

    def _view(self, by: list[str], where: dict, period: tuple[str, ...],
              merged: bool) -> pd.DataFrame:
        filters = Filters(period[0], period[-1], **where)
        frame = self._call(by, filters, self.disclosure, merged).reset_index(drop=True)
        # the exact counts of the same categories (protected tables always merge gender)
        exact = self._call(by, filters, None, merged or self.method == "cellkey")
        exact = exact.reset_index(drop=True)
        frame["_n"] = (frame[by].merge(exact.rename(columns={"antal": "_n"}), on=by,
                                       how="left")["_n"] if by else exact["antal"])
        frame["_n"] = frame["_n"].fillna(0).astype("int64").to_numpy()
        frame["_parts"] = self._parts(frame, by, where, period)
        return frame

    def _parts(self, frame: pd.DataFrame, by: list[str], where: dict,
               period: tuple[str, ...]) -> np.ndarray:
        """How many published cells each value is summed from (the method says)."""
        span = self.data.levels[TIME]
        present = self._present
        parts = np.ones(len(frame), dtype=np.int64)
        for d, chosen in where.items():
            many = len(chosen) > 1 and not present[d] <= set(chosen)
            if not many:
                continue
            single = (frame[d] != TOTAL).to_numpy() if d in by else np.zeros(len(frame), bool)
            parts = np.where(single, parts, parts * len(chosen))
        units = len(period_units(period, span))
        per_quarter = (frame[TIME] != TOTAL).to_numpy() if TIME in by else \
            np.zeros(len(frame), bool)
        return np.where(per_quarter, parts, parts * units)


# -- the attacker's model -----------------------------------------------------------------------
class Model:
    """P(display | true count) for every count 0..grid-1, for a publisher's method."""

    def __init__(self, disclosure: Disclosure, total: int, method: str = "cellkey"):
        self.disclosure, self.method = disclosure, method
        self.t = disclosure.threshold
        self.grid = total + 20  # no count can be larger
        self._cache: dict[tuple, np.ndarray] = {}
        self._trim: dict[int, tuple[int, np.ndarray]] = {}
        if method == "cellkey":  # a part's deviation (-8..8), averaged over counts 50..59
            from lagesbild.numbers.disclosure import table_of

            self.table = table_of(disclosure)
            self.kernel = np.zeros(17)
            for n in range(50, 60):
                for v, p in self.table.distribution(n).items():
                    self.kernel[v - n + 8] += p / 10

    @classmethod
    def of(cls, pub: Publisher) -> Model:
        return cls(pub.disclosure, pub.data.total, pub.method)

    def likelihood(self, row: Mapping) -> np.ndarray:
        visas, parts = row["visas"], int(row["_parts"])
        v = row["antal"]
        key = (visas, parts, None if pd.isna(v) else int(v))
        if key in self._cache:
            return self._cache[key]
        size, t = self.grid, self.t
        grid = np.arange(size)
        if visas == f"<{t}":
            out = ((grid >= 1) & (grid < t)).astype(float)
        elif visas == HIDDEN_MARK:
            out = (grid < t).astype(float) if (self.method == "cellkey" and parts == 1) \
                else np.ones(size)
        elif visas == "–" or str(visas).startswith(APPROX_MARK):
            # an approximate sum is worked out from the other displays: it tells nothing more
            out = np.ones(size)
        else:
            v = int(v)
            if self.method == "legacy":
                r = self.disclosure.rounding
                shown = (grid + r // 2) // r * r if r > 1 else grid
                out = (shown == v).astype(float)
            elif parts == 1:
                out = np.zeros(size)
                for n in range(max(0, v - 8), min(size, v + 9)):
                    out[n] = self.table.distribution(n).get(v, 0.0)
            elif v == 0:
                out = (grid == 0).astype(float)
            else:
                k = np.array([1.0])
                for _ in range(parts):
                    k = np.convolve(k, self.kernel)
                half = (len(k) - 1) // 2
                dev = v - grid
                out = np.where(np.abs(dev) <= half, k[np.clip(dev + half, 0, len(k) - 1)], 0.0)
        self._cache[key] = out
        return out

    def route(self, whole: Mapping, rest: Mapping, span: int) -> np.ndarray:
        """L(x) for x = 0..span-1: the cell is whole minus rest (flat prior on rest)."""
        return difference(self.trimmed(whole), self.trimmed(rest), span)

    def trimmed(self, row: Mapping) -> tuple[int, np.ndarray]:
        full = self.likelihood(row)
        key = id(full)
        if key not in self._trim:
            nz = np.flatnonzero(full)
            self._trim[key] = (int(nz[0]), full[nz[0]: nz[-1] + 1]) if len(nz) else \
                (0, np.zeros(0))
        return self._trim[key]


def difference(whole: tuple[int, np.ndarray], rest: tuple[int, np.ndarray],
               span: int) -> np.ndarray:
    """L(x) = sum over m of P(rest | m) P(whole | m + x), x = 0..span-1, from trimmed
    likelihoods (first count, values); impossible values stay exactly 0."""
    out = np.zeros(span)
    (a, w), (b, r) = whole, rest
    if not len(w) or not len(r):
        return out
    full = np.correlate(w, r, "full")
    x = a - b + np.arange(len(full)) - (len(r) - 1)
    keep = (x >= 0) & (x < span)
    out[x[keep]] = full[keep]
    return out


@dataclass
class Result:
    attack: str
    method: str
    data: str
    targets: int
    pinned: int
    correct: int
    baseline: int
    routes: int
    exposed: list = field(default_factory=list, repr=False)

    @property
    def accuracy(self) -> float:
        return self.correct / self.targets if self.targets else 0.0

    @property
    def baseline_accuracy(self) -> float:
        return self.baseline / self.targets if self.targets else 0.0

    def line(self) -> str:
        return (f"{self.attack:<22} {self.data:<6} {self.method:<8} hidden {self.targets:5d} "
                f"pinned {self.pinned:5d} ({self.pinned / max(self.targets, 1):6.1%}) guess "
                f"right {self.accuracy:6.1%} prior-only {self.baseline_accuracy:6.1%} "
                f"routes {self.routes}")


def score(name: str, pub: Publisher, targets: list[tuple[Mapping, list[np.ndarray]]],
          span: int) -> Result:
    """Combine the routes of each target into a posterior; count pins and right guesses."""
    return score_with(name, Model.of(pub), pub.data.name, targets, span)


def score_with(name: str, model: Model, data: str,
               targets: list[tuple[Mapping, list[np.ndarray]]], span: int) -> Result:
    """`score` for any source of published numbers (e.g. the command line)."""
    truths = np.array([int(t["_n"]) for t, _ in targets], dtype=np.int64)
    kinds = [t["visas"] for t, _ in targets]
    prior: dict[str, np.ndarray] = {}
    for kind in set(kinds):
        vals = truths[[k == kind for k in kinds]]
        prior[kind] = np.bincount(np.clip(vals, 0, span - 1), minlength=span) + 1e-3
    pinned = correct = base = routes = 0
    exposed = []
    for (row, lik), truth, kind in zip(targets, truths, kinds, strict=True):
        own = model.likelihood(row)[:span]
        post = own.copy()
        possible = own > 0
        for r in lik:
            possible &= r > 0
            post = post * r
            post /= max(post.max(), 1e-300)
        routes += len(lik)
        if possible.sum() == 1 and lik:
            pinned += 1
            exposed.append(row)
        guess = int(np.argmax(post * prior[kind] * possible)) if possible.any() else \
            int(np.argmax(own * prior[kind]))
        correct += guess == truth
        base += int(np.argmax(own * prior[kind])) == truth
    return Result(name, model.method, data, len(targets), pinned, correct, base, routes,
                  exposed)


def hidden_cells(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    mask = frame["undertryckt"].to_numpy(bool).copy()
    for d in by:
        mask &= (frame[d] != TOTAL).to_numpy()
    return frame[mask]


_ROWS: dict[tuple, tuple[pd.DataFrame, dict]] = {}


def row_of(frame: pd.DataFrame, **labels: str) -> dict:
    """The row of a view with these labels (a lookup kept per view)."""
    dims = tuple(labels)
    key = (id(frame), dims)
    hit = _ROWS.get(key)
    if hit is None or hit[0] is not frame:
        records = frame.to_dict("records")
        hit = (frame, {tuple(r[d] for d in dims): r for r in records})
        _ROWS[key] = hit
    return hit[1][tuple(labels.values())]


def span_of(pub: Publisher) -> int:
    """Values a hidden cell may take in the attacker's reckoning: 0..threshold-1 for the
    cell-key method; any count for the old ".." (a secondary cell may be large)."""
    return pub.data.total + 1 if pub.method == "legacy" else pub.disclosure.threshold


def largest_forms(pub: Publisher, k: int) -> list[str]:
    counts = pub.data.reports["form"].value_counts()
    return [f for f in counts.index[:k]]


# -- 1. filter complements --------------------------------------------------------------------
def complement_attack(pub: Publisher, all_routes: bool = False,
                      forms: Sequence[str] | None = None) -> Result:
    """Heat maps district x quarter per form; for each hidden cell (A, q): the trend of form F
    minus the trend of form F with every district but A (all_routes: also, for every other
    district B, F without B minus F without A and B)."""
    areas = pub.levels("omrade")
    span = span_of(pub)
    model = Model.of(pub)
    targets = []
    for form in forms or pub.levels("form"):
        heat = pub.view(["omrade", TIME], {"form": (form,)})
        trend = pub.view([TIME], {"form": (form,)})
        for cell in hidden_cells(heat, ["omrade", TIME]).to_dict("records"):
            a, q = cell["omrade"], cell[TIME]
            if a not in areas:
                continue
            pairs = [((), (a,))]
            if all_routes:
                pairs += [((b,), (a, b)) for b in areas if b != a]
            lik = []
            for without, without_more in pairs:
                whole = trend if not without else pub.view(
                    [TIME], {"form": (form,), "omrade": [x for x in areas if x not in without]})
                rest = pub.view([TIME], {"form": (form,),
                                         "omrade": [x for x in areas if x not in without_more]})
                lik.append(model.route(row_of(whole, kvartal=q), row_of(rest, kvartal=q), span))
            targets.append((cell, lik))
    return score("complement, all routes" if all_routes else "complement", pub, targets, span)


# -- 2. moving the period -----------------------------------------------------------------------
def window_attack(pub: Publisher, all_routes: bool = False, start: int = 0) -> Result:
    """Heat map district x quarter; for each hidden cell (A, q): the ranking over quarters
    start..q minus start..q-1 (all_routes: every start before q and every end after q)."""
    qs = pub.data.levels[TIME]
    span = span_of(pub)
    model = Model.of(pub)
    heat = pub.view(["omrade", TIME])
    targets = []
    for cell in hidden_cells(heat, ["omrade", TIME]).to_dict("records"):
        a, j = cell["omrade"], qs.index(cell[TIME])
        windows = []
        if j > start:
            windows.append((qs[start:j + 1], qs[start:j]))
        if all_routes:
            windows = [(qs[s:j + 1], qs[s:j]) for s in range(j)]
            windows += [(qs[j:e + 1], qs[j + 1:e + 1]) for e in range(j + 1, len(qs))]
        lik = [model.route(row_of(pub.view(["omrade"], period=whole), omrade=a),
                           row_of(pub.view(["omrade"], period=rest), omrade=a), span)
               for whole, rest in windows]
        targets.append((cell, lik))
    return score("window, all routes" if all_routes else "window", pub, targets, span)


# -- 3. merged and unmerged breakdowns ---------------------------------------------------------
def unmerged_routes(pub: Publisher) -> set[str]:
    """Gender categories any view of the role publishes: the lens, a cross-table, a ranking,
    a trend filtered by gender."""
    seen: set[str] = set()
    store, d = pub.data.store, pub.disclosure
    seen |= set(ind.lens(store, "omrade", "kon", None, d)["kon"])
    seen |= set(ind.crosstab(store, "aldersgrupp", "kon", None, d)["kon"])
    seen |= set(ind.counts(store, ["kon"], None, d)["kon"])
    seen |= set(ind.crosstab(store, "kon", TIME, None, d)["kon"])
    return seen - {TOTAL}


def merged_attack(pub: Publisher) -> Result:
    """The lens district x gender as the page asks for it (Annat merged with Okänt) and as
    another view or export might (unmerged): for each hidden (A, Annat) of the unmerged lens,
    the merged (A, Annat/okänt) minus (A, Okänt), when the role gets both."""
    span = span_of(pub)
    model = Model.of(pub)
    plain, merged = pub.view(["omrade", "kon"]), pub.view(["omrade", "kon"], merged=True)
    targets = []
    if "Annat" in set(plain["kon"]) and "Annat/okänt" in set(merged["kon"]):
        for cell in hidden_cells(plain, ["omrade", "kon"]).to_dict("records"):
            if cell["kon"] != "Annat":
                continue
            whole = row_of(merged, omrade=cell["omrade"], kon="Annat/okänt")
            rest = row_of(plain, omrade=cell["omrade"], kon="Okänt")
            targets.append((cell, [model.route(whole, rest, span)]))
    return score("merged vs unmerged", pub, targets, span)


# -- 4. "<5" parts of a "<5" union ---------------------------------------------------------------
def union_attack(pub: Publisher, max_groups: int = 20, seed: int = 0,
                 forms: Sequence[str] | None = None) -> Result:
    """For each form and quarter, districts shown "<5"; groups of threshold-1 of them
    selected together: a "<5" union means every part is 1."""
    rng = np.random.default_rng(seed)
    t = pub.disclosure.threshold
    targets, pinned_rows = [], []
    for form, q in itertools.product(forms or pub.levels("form"), pub.data.levels[TIME]):
        table = pub.view(["omrade"], {"form": (form,)}, period=(q,))
        small = table[(table["visas"] == f"<{t}") & (table["omrade"] != TOTAL)]
        if len(small) < t - 1:
            continue
        areas = list(small["omrade"])
        known: set[str] = set()
        groups = list(itertools.combinations(areas, t - 1))
        if len(groups) > max_groups:
            groups = [groups[i] for i in rng.choice(len(groups), max_groups, replace=False)]
        for group in groups:
            union = pub.view([], {"form": (form,), "omrade": group}, period=(q,)).iloc[0]
            if union["visas"] == f"<{t}":
                known |= set(group)
        for cell in small.to_dict("records"):
            targets.append(cell)
            if cell["omrade"] in known:
                pinned_rows.append(cell)
    ones = sum(int(c["_n"]) == 1 for c in targets)
    return Result("<5 parts of <5 union", pub.method, pub.data.name, len(targets),
                  len(pinned_rows), ones, ones, len(targets), pinned_rows)


# -- 5. a linear / integer program over a set of published tables --------------------------------
def published_tables(pub: Publisher, period: Sequence[str]) -> list[pd.DataFrame]:
    """Per quarter district x form; per form district x quarter; form x quarter."""
    period = tuple(period)
    views = [pub.view(["omrade", "form"], period=(q,)) for q in period]
    views += [pub.view(["omrade", TIME], {"form": (f,)}, period) for f in pub.levels("form")]
    views.append(pub.view(["form", TIME], period=period))
    return views


def ilp_attack(pub: Publisher, period: Sequence[str]) -> Result:
    """Unknowns: the true counts of the finest cells (district, form, quarter). Every displayed
    value bounds the sum of the cells it covers (the ptable's support; "<5": 1..4; "..":
    0..4 for a cell-key cell). For every hidden cell, linear programs give its smallest and
    largest possible value (integer programs where at most two values remain); pinned when
    one value remains."""
    qs = list(period)
    areas, forms = pub.levels("omrade"), pub.levels("form")
    shape = (len(areas), len(forms), len(qs))
    size = int(np.prod(shape))
    model = Model.of(pub)
    rows, lows, highs, members, hidden_rows = [], [], [], [], []
    seen: dict[tuple, int] = {}
    for table in published_tables(pub, qs):
        dims = [d for d in ("omrade", "form", TIME) if d in table]
        meta = pub.meta[id(table)]
        where = dict(meta["where"])
        where[TIME] = meta["period"]
        for row in table.to_dict("records"):
            if any(d in row and row[d] not in (TOTAL, *level) for d, level in
                   (("omrade", areas), ("form", forms), (TIME, qs))):
                continue  # a category without reports in the data (a zero row)
            mask = np.ones(shape, bool)
            for d, axis, level in (("omrade", 0, areas), ("form", 1, forms), (TIME, 2, qs)):
                chosen = (row[d],) if d in dims and row[d] != TOTAL else where.get(d)
                if chosen is not None:
                    keep = np.isin(np.array(level, dtype=object), np.array(chosen, dtype=object))
                    mask &= keep.reshape([-1 if i == axis else 1 for i in range(3)])
            cells = tuple(np.flatnonzero(mask.ravel()))
            if cells in seen:
                continue
            seen[cells] = len(rows)
            lik = model.likelihood(row)
            possible = np.flatnonzero(lik > 1e-12)
            lo, hi = int(possible.min()), int(possible.max())
            rows.append(row)
            lows.append(float(lo))
            highs.append(np.inf if hi >= model.grid - 1 else float(hi))
            members.append(cells)
            if row["undertryckt"]:
                hidden_rows.append(len(rows) - 1)
    a = csr_matrix((np.ones(sum(len(m) for m in members)),
                    (np.repeat(np.arange(len(members)), [len(m) for m in members]),
                     np.concatenate([np.array(m, dtype=np.int64) for m in members]))),
                   shape=(len(members), size))
    cons = LinearConstraint(a, np.array(lows), np.array(highs))
    bounds = Bounds(np.zeros(size), np.full(size, np.inf))
    span = span_of(pub)
    finite = np.isfinite(np.array(highs))
    lp = {"A_ub": vstack([a[finite], -a]).tocsr(),
          "b_ub": np.concatenate([np.array(highs)[finite], -np.array(lows)])}
    targets, pinned_rows = [], []
    for i in hidden_rows:
        c = a[i].toarray().ravel()
        ends = []
        for sign in (1.0, -1.0):
            res = linprog(sign * c, bounds=(0, None), method="highs", **lp)
            if res.status == 2:
                raise RuntimeError("The published values contradict each other.")
            ends.append(sign * res.fun if res.status == 0 else sign * np.inf)
        lo, hi = np.ceil(ends[0] - 1e-7), np.floor(ends[1] + 1e-7)
        if np.isfinite(hi) and hi - lo <= 1:
            ends = []
            for sign in (1.0, -1.0):
                res = milp(sign * c, constraints=cons, bounds=bounds, integrality=np.ones(size))
                ends.append(sign * res.fun if res.status == 0 else np.nan)
            lo, hi = round(ends[0]), round(ends[1])
        possible = np.zeros(span)
        possible[int(lo): int(min(hi, span - 1)) + 1] = 1.0
        targets.append((rows[i], [possible]))
        if lo == hi:
            pinned_rows.append(rows[i])
    result = score("integer program", pub, targets, span)
    result.pinned, result.exposed = len(pinned_rows), pinned_rows
    return result


# -- checks of the published values -------------------------------------------------------------
def bound_violations(pub: Publisher) -> int:
    """Published values outside the documented bound in every view made so far: a cell within
    the ptable's deviation of its count and never below the threshold, a derived sum within
    the deviation times its parts (an approximate sum, with hidden parts estimated, within
    the deviation plus the threshold times its parts); 0 stays 0; no count 1..threshold-1
    published."""
    t, dev = pub.disclosure.threshold, pub.table.max_deviation
    bad = 0
    for frame in pub._cache.values():
        shown = frame[~frame["undertryckt"].astype(bool)]
        v = shown["antal"].astype("int64").to_numpy()
        n = shown["_n"].to_numpy()
        parts = shown["_parts"].to_numpy()
        approx = shown["visas"].astype(str).str.startswith(APPROX_MARK).to_numpy()
        bound = np.where(approx, (dev + t) * parts, dev * parts)
        bad += int(((np.abs(v - n) > bound) | ((n > 0) & (v < t))
                    | ((n == 0) & (v != 0))).sum())
        small = frame[(frame["_n"] >= 1) & (frame["_n"] < t) & (frame["_parts"] == 1)]
        bad += int((~small["undertryckt"].astype(bool)).sum())
    return bad


def summary(results: Sequence[Result]) -> str:
    return "\n".join(r.line() for r in results)


if __name__ == "__main__":  # full-size figures; argument "legacy" for an older checkout
    import sys
    import time

    from lagesbild.store import schema

    method = "legacy" if "legacy" in sys.argv[1:] else "cellkey"
    if hasattr(schema, "new_secret"):
        schema.new_secret = lambda: "5eed" * 16  # reproducible figures
    for kind in ("small", "demo"):
        data = build(kind, seed=1)
        print(f"# {kind}: {data.total} reports, {len(data.levels['omrade'])} districts, "
              f"{len(data.levels[TIME])} quarters", flush=True)
        for label, rule in (("intern 5/±2", INTERNAL), ("publik 10/5", PUBLIC)):
            print(f"## {label}", flush=True)
            pub = Publisher(data, rule, method)
            year = data.levels[TIME][-4:]
            for attack, args in (
                    (complement_attack, {}), (complement_attack, {"all_routes": True,
                                                                  "forms": largest_forms(pub, 3)}),
                    (window_attack, {}), (window_attack, {"all_routes": True}),
                    (union_attack, {"max_groups": 5}), (merged_attack, {}),
                    (ilp_attack, {"period": year})):
                started = time.time()
                result = attack(pub, **args)
                print(result.line(), f"[{time.time() - started:.0f} s]", flush=True)
            if method == "cellkey":
                print("bound violations", bound_violations(pub), flush=True)
