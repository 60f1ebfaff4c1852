"""Simulation benchmark of the signal method: today's method (baseline) against the new one.

    nice -n 10 python bench/bench_signals.py [--quick] [--reps N] [--seed S] [--only 1,4]

Prints, per method: false alarms per series and flag type (Poisson and negative-binomial data
with variance twice the mean, means 2-100, from 12 and from 20 quarters of history); flags on a
whole ordinary quarter of the dashboard (120 reports over the four key figures, 9 forms and 15
area categories); seasonal Q4 false alarms with the demo's seasonal pattern; power for +50 %
and +100 % steps; a missing partner (23 % of the reports); the quarters just after the data
start; the cost of one panel against today's c-chart, measured in the same run; the cost of
the indicator layer's panels on the demo database; and the targets of issue 13 beside what the
run measured.

Today's method, as on the pages before issue 13: a key-figure card shows "tydlig ökning/
minskning" when the exact binomial test against the previous quarter or the same quarter last
year gives p < 0.05 (quarters before the data counted as 0), and every series (cards, forms,
districts) gets a c-chart ring when outside mean ± 3·sqrt(mean) of the 8 previous quarters.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from lagesbild.numbers import signals as sg

MEANS = (2, 5, 10, 30, 100)
DISPERSION = 2.0  # variance / mean of the overdispersed data
# Demo: monthly seasonal levels (lagesbild demo._SEASON), averaged per quarter.
_SEASON_MONTHS = (0.95, 1.05, 1.1, 1.0, 0.95, 0.75, 0.45, 0.8, 1.3, 1.35, 1.3, 0.9)
SEASON = np.array(_SEASON_MONTHS).reshape(4, 3).mean(axis=1)
SEASON = SEASON / SEASON.mean()
# The dashboard (shares of the 120 reports of a quarter), after lagesbild's demo data.
FORM_SHARES = np.array([0.30, 0.05, 0.11, 0.035, 0.08, 0.08, 0.12, 0.03, 0.10])
DISTRICT_POP = np.array([11668, 12599, 7956, 16160, 14774, 10183, 4810, 9918, 6970, 11142,
                         8472, 13903, 6722], float)
AREA_SHARES = np.concatenate([0.80 * DISTRICT_POP / DISTRICT_POP.sum(), [0.16, 0.04]])
ORO_SHARE = 0.5
FORUM_GIVEN = (0.27, 0.04)  # konsultation: share of Oro, of incidents
POLICE_SHARE = 0.23
PER_QUARTER = 120
# Cluster sizes 1 + Poisson(c) with E[s^2]/E[s] = 2 give variance twice the mean at every level.
CLUSTER_EXTRA = (np.sqrt(5) - 1) / 2


# -- today's method ---------------------------------------------------------------------------
def _p_two(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n = a + b
    lo, hi = stats.binom.cdf(a, n, 0.5), stats.binom.sf(a - 1, n, 0.5)
    return np.where(n > 0, np.minimum(1.0, 2 * np.minimum(lo, hi)), 1.0)


def today(counts: np.ndarray, col: int, first: int = 0, cards: bool = True) -> dict:
    """Today's flags at column `col` of counts (..., T), data starting at column `first`.
    Returns boolean arrays per flag type."""
    x = counts[..., col].astype(float)
    prev = counts[..., col - 1] if col - 1 >= first else np.zeros_like(x)
    year = counts[..., col - 4] if col - 4 >= first else np.zeros_like(x)
    out = {}
    if cards:
        p_prev, p_year = _p_two(x, prev), _p_two(x, year)
        out["tydlig ökning"] = (p_prev < 0.05) & (x > prev)
        out["tydlig minskning"] = (p_prev < 0.05) & (x < prev)
        out["tydlig ökning mot fjol"] = (p_year < 0.05) & (x > year)
        out["tydlig minskning mot fjol"] = (p_year < 0.05) & (x < year)
    if col - 8 >= first:
        c = counts[..., col - 8:col].mean(axis=-1)
        out[sg.HIGH] = x > c + 3 * np.sqrt(c)
        out[sg.LOW] = x < c - 3 * np.sqrt(c)
    else:
        out[sg.HIGH] = out[sg.LOW] = np.zeros(x.shape, bool)
    return out


def new(counts: np.ndarray, col: int | list[int], delivered: np.ndarray | None = None,
        reference: int | None = None, quarters: np.ndarray | None = None) -> dict:
    """The new method's flags at column(s) `col` for a batch of panels (G, S, [P,] T)."""
    cols = [col] if isinstance(col, int) else col
    if counts.ndim == 3:
        counts = counts[:, :, None, :]
    if delivered is None:
        delivered = np.ones((counts.shape[0], counts.shape[2], counts.shape[3]), bool)
    res = sg.assess(counts, delivered, quarters, reference=reference, columns=cols)
    u, s = res.unusual[..., cols], res.sustained[..., cols]
    if isinstance(col, int):
        u, s = u[..., 0], s[..., 0]
    return {sg.HIGH: u == sg.HIGH, sg.LOW: u == sg.LOW, sg.UP: s == sg.UP, sg.DOWN: s == sg.DOWN}


def new_pooled(y: np.ndarray, rest: np.ndarray, col: int,
               quarters: np.ndarray | None = None) -> dict:
    """The new method's flags for the panel y (G, S, T) assessed together with `rest` (series
    of other panels, G, S', T): one dispersion over both, BH within y."""
    ones = np.ones((y.shape[0], 1, y.shape[-1]), bool)
    res = sg.assess_panels({"panel": y[:, :, None], "rest": rest[:, :, None]}, ones, quarters,
                           columns=[col])["panel"]
    u, s = res.unusual[..., col], res.sustained[..., col]
    return {sg.HIGH: u == sg.HIGH, sg.LOW: u == sg.LOW, sg.UP: s == sg.UP, sg.DOWN: s == sg.DOWN}


# -- data -------------------------------------------------------------------------------------
def series(rng: np.random.Generator, mean: np.ndarray | float, shape: tuple, phi: float) \
        -> np.ndarray:
    mean = np.broadcast_to(np.asarray(mean, float), shape)
    if phi <= 1:
        return rng.poisson(mean)
    return rng.negative_binomial(mean / (phi - 1), 1 / phi)


def dashboard(rng: np.random.Generator, g: int, t: int, phi: float,
              level: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Panels of g simulated dashboards over t quarters: counts (G, S, 2, T), partners
    (the others, Polis). Reports come in clusters that share every attribute."""
    level = np.ones(t) if level is None else level
    extra = CLUSTER_EXTRA if phi > 1 else 0.0
    n_clusters = rng.poisson(PER_QUARTER * level / (1 + extra), size=(g, t))
    total = int(n_clusters.sum())
    size = 1 + (rng.poisson(extra, total) if extra else np.zeros(total, int))
    where = np.repeat(np.arange(g * t), n_clusters.ravel())
    oro = rng.random(total) < ORO_SHARE
    forum = rng.random(total) < np.where(oro, *FORUM_GIVEN)
    form = rng.choice(len(FORM_SHARES), total, p=FORM_SHARES / FORM_SHARES.sum())
    area = rng.choice(len(AREA_SHARES), total, p=AREA_SHARES)
    police = (rng.random(total) < POLICE_SHARE).astype(int)

    def tally(category: np.ndarray, k: int, keep: np.ndarray | None = None) -> np.ndarray:
        weights = size if keep is None else size * keep
        flat = np.bincount((category * 2 + police) * (g * t) + where, weights=weights,
                           minlength=k * 2 * g * t)
        return flat.reshape(k, 2, g, t).transpose(2, 0, 1, 3)

    zero = np.zeros(total, int)
    key = np.concatenate([tally(zero, 1), tally(zero, 1, oro), tally(zero, 1, ~oro),
                          tally(zero, 1, forum)], axis=1)
    return {"nyckeltal": key, "former": tally(form, len(FORM_SHARES)),
            "områden": tally(area, len(AREA_SHARES))}


REFERENCE = {"nyckeltal": 0, "former": None, "områden": None}


def new_dashboard(panels: dict[str, np.ndarray], col: int, delivered: np.ndarray | None = None,
                  quarters: np.ndarray | None = None) -> dict[str, dict]:
    """The new method as the pages should call it: the three panels together (dispersion
    pooled over all 28 series, BH and season reference per panel)."""
    first = next(iter(panels.values()))
    if delivered is None:
        delivered = np.ones((first.shape[0], first.shape[2], first.shape[3]), bool)
    res = sg.assess_panels(panels, delivered, quarters, references=REFERENCE, columns=[col])
    return {name: {sg.HIGH: r.unusual[..., col] == sg.HIGH, sg.LOW: r.unusual[..., col] == sg.LOW,
                   sg.UP: r.sustained[..., col] == sg.UP,
                   sg.DOWN: r.sustained[..., col] == sg.DOWN} for name, r in res.items()}


# -- the report -------------------------------------------------------------------------------
def pct(x: float) -> str:
    return f"{100 * x:5.2f} %"


def false_alarms(rng: np.random.Generator, reps: int, panel: int, pooled: bool) -> dict:
    how = (f"with {28 - panel} more such series in other panels, one dispersion" if pooled
           else "dispersion from the panel alone")
    print(f"\n## 1. False alarms per series and flag type (no change; {reps * panel} series per "
          f"cell, panels of {panel} series, {how}; flag in the last quarter)")
    print("Targets (new method): ≤ 2.5 % per flag type with variance 2× mean, ≤ 1.5 % with "
          "Poisson.")
    overall = {"Poisson": 0.0, "NB 2×": 0.0, "today Poisson": 0.0, "today NB 2×": 0.0}
    for history in (12, 20):
        t = history + 1
        print(f"\n### {history} quarters of history")
        head = (f"{'data':8} {'mean':>5} | {'today: tydlig+':>14} {'tydlig-':>8} "
                f"{'fjol+':>8} {'fjol-':>8} {'ovanl.+':>8} {'ovanl.-':>8} | "
                f"{'new: ovanl.+':>12} {'ovanl.-':>8} {'varakt.+':>8} {'varakt.-':>8}")
        print(head)
        worst = {"Poisson": 0.0, "NB 2×": 0.0}
        for label, phi in (("Poisson", 1.0), ("NB 2×", DISPERSION)):
            for mean in MEANS:
                y = series(rng, mean, (reps, panel, t), phi)
                old = today(y, t - 1)
                fresh = (new_pooled(y, series(rng, mean, (reps, 28 - panel, t), phi), t - 1)
                         if pooled else new(y, t - 1))
                o = [old[k].mean() for k in ("tydlig ökning", "tydlig minskning",
                                             "tydlig ökning mot fjol",
                                             "tydlig minskning mot fjol", sg.HIGH, sg.LOW)]
                f = [fresh[k].mean() for k in (sg.HIGH, sg.LOW, sg.UP, sg.DOWN)]
                worst[label] = max(worst[label], *f)
                overall[label] = max(overall[label], *f)
                overall[f"today {label}"] = max(overall[f"today {label}"], *o)
                print(f"{label:8} {mean:>5} | {pct(o[0]):>14} {pct(o[1]):>8} {pct(o[2]):>8} "
                      f"{pct(o[3]):>8} {pct(o[4]):>8} {pct(o[5]):>8} | {pct(f[0]):>12} "
                      f"{pct(f[1]):>8} {pct(f[2]):>8} {pct(f[3]):>8}")
        print(f"worst new: Poisson {pct(worst['Poisson'])} (target ≤ 1.5 %), "
              f"NB 2× {pct(worst['NB 2×'])} (target ≤ 2.5 %)")
    return overall


def whole_dashboard(rng: np.random.Generator, reps: int) -> dict:
    print(f"\n## 2. Flags on a whole ordinary quarter of the dashboard ({reps} quarters: 120 "
          "reports; key figures (4), forms (9), area categories (15))")
    print("Target (new method): ≤ 0.4 flags per quarter with variance 2× mean. 'new, pooled': "
          "the panels assessed together (assess_panels: one dispersion over the 28 series), as "
          "the pages should; 'new, per panel': each panel alone.")
    print(f"{'data':8} {'history':>7} | {'today flags':>11} {'P(≥1)':>8} | "
          f"{'new, per panel':>14} {'P(≥1)':>8} | {'new, pooled':>11} {'P(≥1)':>8}  "
          "(pooled per panel: key / forms / areas)")
    found = {"new": 0.0, "today": 0.0}
    for label, phi in (("Poisson", 1.0), ("NB 2×", DISPERSION)):
        for history in (12, 20):
            t = history + 1
            panels = dashboard(rng, reps, t, phi)
            old_n, sep_n, pool_n = np.zeros(reps), np.zeros(reps), np.zeros(reps)
            for name, counts in panels.items():
                old = today(counts.sum(axis=2), t - 1, cards=name == "nyckeltal")
                old_n += sum(v.sum(axis=1) for v in old.values())
                sep_n += sum(v.sum(axis=1) for v in
                             new(counts, t - 1, reference=REFERENCE[name]).values())
            per = []
            for flags in new_dashboard(panels, t - 1).values():
                k = sum(v.sum(axis=1) for v in flags.values())
                pool_n += k
                per.append(k.mean())
            print(f"{label:8} {history:>7} | {old_n.mean():>11.2f} {pct((old_n > 0).mean()):>8}"
                  f" | {sep_n.mean():>14.2f} {pct((sep_n > 0).mean()):>8} | "
                  f"{pool_n.mean():>11.2f} {pct((pool_n > 0).mean()):>8}  "
                  f"({' / '.join(f'{v:.2f}' for v in per)})")
            if phi > 1:
                found["new"] = max(found["new"], pool_n.mean())
                found["today"] = max(found["today"], old_n.mean())
    return found


def seasonal(rng: np.random.Generator, reps: int, panel: int, pooled: bool) -> dict:
    print("\n## 3. Seasonal Q4 false alarms (demo's seasonal pattern, level unchanged; the "
          "tested quarter is a Q4)")
    print("Seasonal factors per quarter: " + ", ".join(f"K{i + 1} {v:.3f}"
                                                       for i, v in enumerate(SEASON)))
    print("Target (new method): ≤ 2 % from 16 quarters.")
    print(f"{'series':>16} {'history':>7} | {'today tydlig+':>13} {'ovanl.+':>8} | "
          f"{'new ovanl.+':>11} {'any new':>8}")
    found = {"new": 0.0, "today": 0.0}
    for history in (8, 12, 16, 20):
        t = history + 1
        quarters = np.arange(t) + (3 - history) % 4  # the last column is a Q4
        factor = SEASON[quarters % 4]
        for mean in (10, 30, 100):
            y = series(rng, mean * factor, (reps, panel, t), DISPERSION)
            old = today(y, t - 1)
            fresh = (new_pooled(y, series(rng, mean * factor, (reps, 28 - panel, t), DISPERSION),
                                t - 1, quarters) if pooled else new(y, t - 1, quarters=quarters))
            anyf = fresh[sg.HIGH] | fresh[sg.LOW] | fresh[sg.UP] | fresh[sg.DOWN]
            if history >= 16:
                found["new"] = max(found["new"], anyf.mean())
                found["today"] = max(found["today"], old["tydlig ökning"].mean())
            print(f"{'NB 2×, mean ' + str(mean):>16} {history:>7} | "
                  f"{pct(old['tydlig ökning'].mean()):>13} {pct(old[sg.HIGH].mean()):>8} | "
                  f"{pct(fresh[sg.HIGH].mean()):>11} {pct(anyf.mean()):>8}")
        panels = dashboard(rng, reps, t, DISPERSION, level=factor)
        old_n = np.zeros(reps)
        new_n = np.zeros(reps)
        for name, counts in panels.items():
            old = today(counts.sum(axis=2), t - 1, cards=name == "nyckeltal")
            old_n += sum(v.sum(axis=1) for v in old.values())
        for flags in new_dashboard(panels, t - 1, quarters=quarters).values():
            new_n += sum(v.sum(axis=1) for v in flags.values())
        print(f"{'dashboard, NB 2×':>16} {history:>7} | flags/quarter {old_n.mean():6.2f} "
              f"| new flags/quarter {new_n.mean():5.2f}")
    return found


def power(rng: np.random.Generator, reps: int, panel: int) -> dict:
    print(f"\n## 4. Power: a step in one series of a panel of {panel} (mean 30, Poisson; the "
          "others unchanged)")
    print("Target (new method): ≥ 80 % for +50 % within four quarters (the onset quarter and "
          "the three after). Today: 'tydlig ökning' or 'ovanligt högt'; new: 'ovanligt högt' or "
          "'varaktig ökning'. 'new, panel alone': dispersion from the panel's own series; "
          "'new, in dashboard': the panel assessed with 28 - panel other unchanged series "
          "(mean 10) of the other panels, one dispersion (assess_panels), as the pages should.")
    print(f"{'step':>6} {'history':>7} | {'today onset':>11} {'within 4':>9} | "
          f"{'new, panel alone':>16} {'within 4':>9} | {'new, in dashboard':>17} "
          f"{'within 4':>9}")

    def rises(res: sg.Signals, cols: list[int]) -> np.ndarray:
        return (res.unusual[:, 0, cols] == sg.HIGH) | (res.sustained[:, 0, cols] == sg.UP)

    found = {"new": 1.0, "today": 1.0}
    for step in (0.5, 1.0):
        for history in (12, 20):
            t = history + 4
            level = np.full((reps, panel, t), 30.0)
            level[:, 0, history:] *= 1 + step
            y = rng.poisson(level)[:, :, None, :]
            rest = rng.poisson(10.0, (reps, 28 - panel, 1, t))
            cols = list(range(history, t))
            ones = np.ones((reps, 1, t), bool)
            alone = rises(sg.assess(y, ones, columns=cols), cols)
            pooled = rises(sg.assess_panels({"panel": y, "rest": rest}, ones,
                                            columns=cols)["panel"], cols)
            old_any = np.zeros((reps, 4), bool)
            for k, c in enumerate(cols):
                old = today(y[:, :1, 0], c)
                old_any[:, k] = old["tydlig ökning"][:, 0] | old[sg.HIGH][:, 0]
            if step == 0.5:
                found["new"] = min(found["new"], pooled.any(1).mean())
                found["today"] = min(found["today"], old_any.any(1).mean())
            print(f"{'+' + str(int(step * 100)) + ' %':>6} {history:>7} | "
                  f"{pct(old_any[:, 0].mean()):>11} {pct(old_any.any(1).mean()):>9} | "
                  f"{pct(alone[:, 0].mean()):>16} {pct(alone.any(1).mean()):>9} | "
                  f"{pct(pooled[:, 0].mean()):>17} {pct(pooled.any(1).mean()):>9}")
    return found


def missing_partner(rng: np.random.Generator, reps: int) -> dict:
    print(f"\n## 5. A missing partner: the police ({int(POLICE_SHARE * 100)} % of the reports) "
          "has not delivered; data otherwise stable (variance 2× mean, 20 quarters). Each "
          "dashboard is assessed twice: with the gap, and with every delivery in (background).")
    print("Target (new method): never a flag or a decrease because of the gap: the rates with "
          "the gap equal the background, and the summary's like-for-like change of the total "
          "is unchanged.")
    print(f"{'missing':>12} | {'today: decrease':>15} {'any flag':>17} {'total vs prev':>13} | "
          f"{'new: decrease':>15} {'any flag':>17} {'total vs prev':>13}")
    print(f"{'':>12} | {'gap / no gap':>15} {'gap / no gap':>17} {'median, gap':>13} | "
          f"{'gap / no gap':>15} {'gap / no gap':>17} {'like for like':>13}")
    history = 20
    found = {"new": -1.0, "today": -1.0, "new change": 0.0, "today change": 0.0}
    for missing in (1, 4):
        t = history + missing
        panels = dashboard(rng, reps, t, DISPERSION)
        gap = np.ones((reps, 2, t), bool)
        gap[:, 1, -missing:] = False  # partner 1 = Polis
        full = np.ones_like(gap)
        rates = {}
        for case, delivered in (("gap", gap), ("full", full)):
            old_dec = old_any = new_dec = new_any = np.zeros(reps, bool)
            for name, counts in panels.items():
                shown = np.where(delivered[:, None], counts, 0).sum(axis=2)
                old = today(shown, t - 1, cards=name == "nyckeltal")
                dec = [old[k].any(1) for k in ("tydlig minskning", "tydlig minskning mot fjol",
                                               sg.LOW) if k in old]
                old_dec = old_dec | np.any(dec, axis=0)
                old_any = old_any | np.any([v.any(1) for v in old.values()], axis=0)
            for fresh in new_dashboard(panels, t - 1, delivered).values():
                new_dec = new_dec | fresh[sg.LOW].any(1) | fresh[sg.DOWN].any(1)
                new_any = new_any | np.any([v.any(1) for v in fresh.values()], axis=0)
            rates[case] = (old_dec.mean(), old_any.mean(), new_dec.mean(), new_any.mean())
        total = panels["nyckeltal"][:, 0]  # (G, 2, T): the total per partner
        naive = np.where(gap[:, :, -2:], total[:, :, -2:], 0).sum(1)
        naive_change = np.median(naive[:, 1] / naive[:, 0] - 1)
        both = np.asarray(gap[:, :, -2:].all(-1))  # partners that delivered both quarters
        fair = (total[:, :, -2:] * both[..., None]).sum(1)
        fair_change = np.median(fair[:, 1] / fair[:, 0] - 1)
        g, f = rates["gap"], rates["full"]
        print(f"{str(missing) + ' quarter(s)':>12} | {pct(g[0])} / {pct(f[0])} "
              f"{pct(g[1])} / {pct(f[1])} {100 * naive_change:>+11.1f} % | "
              f"{pct(g[2])} / {pct(f[2])} {pct(g[3])} / {pct(f[3])} "
              f"{100 * fair_change:>+11.1f} %")
        found["new"] = max(found["new"], g[2] - f[2])
        found["today"] = max(found["today"], g[0] - f[0])
        found["new change"] = max(found["new change"], fair_change, key=abs)
        found["today change"] = max(found["today change"], naive_change, key=abs)
    return found


def data_start(rng: np.random.Generator, reps: int) -> dict:
    print("\n## 6. Just after the data start (no change, variance 2× mean): flags on the "
          "dashboard in the 4th, 8th and 9th quarter of data")
    print(f"{'quarter of data':>16} | {'today flags':>11} | {'new flags':>9} "
          f"{'withheld (key figures)':>23}")
    t = 12
    lead = 4  # columns before the first data
    panels = dashboard(rng, reps, t + lead, DISPERSION)
    delivered = np.ones((reps, 2, t + lead), bool)
    delivered[:, :, :lead] = False
    found = {"new": 0.0, "today": 0.0}
    for q in (4, 8, 9):
        col = lead + q - 1
        old_n = np.zeros(reps)
        new_n = np.zeros(reps)
        withheld = 0.0
        for name, counts in panels.items():
            counts = np.where(delivered[:, None], counts, 0)
            old = today(counts.sum(axis=2), col, first=lead, cards=name == "nyckeltal")
            old_n += sum(v.sum(axis=1) for v in old.values())
        results = sg.assess_panels(panels, delivered, references=REFERENCE, columns=[col])
        for name, res in results.items():
            new_n += ((res.unusual[..., col] != "").sum(1) + (res.sustained[..., col] != "")
                      .sum(1))
            if name == "nyckeltal":
                withheld = res.withheld[..., col].mean()
        print(f"{q:>16} | {old_n.mean():>11.2f} | {new_n.mean():>9.2f} {pct(withheld):>23}")
        if q == 4:
            found = {"new": new_n.mean(), "today": old_n.mean()}
    return found


def cost(rng: np.random.Generator, repeat: int) -> None:
    print("\n## 7. Cost per page view (CPU time of this process, so that other load on the "
          "machine does not count): the three panels with 12 partners, 12 shown quarters and "
          "the 23 before (key figures: the latest quarter only), against today's c-chart on "
          "the same counts, measured in this run")
    t, shown = 35, list(range(23, 35))
    delivered = np.ones((12, t), bool)
    delivered[3, -1] = False
    panels = {"nyckeltal": (rng.poisson(10.0, (4, 12, t)), 0, [t - 1]),
              "former": (rng.poisson(1.2, (9, 12, t)), None, shown),
              "områden": (rng.poisson(0.7, (15, 12, t)), None, shown)}
    total_old = total_new = 0.0
    for name, (counts, ref, cols) in panels.items():
        exact = counts.sum(axis=1)

        def old(exact: np.ndarray = exact, cols: list[int] = cols) -> None:
            for j in cols:
                today(exact, j, cards=len(cols) == 1)

        def fresh(counts: np.ndarray = counts, ref: int | None = ref,
                  cols: list[int] = cols) -> None:
            sg.assess(counts, delivered, np.arange(t) + 8000, reference=ref, columns=cols)

        timings = []
        for fn in (old, fresh):
            fn()
            start = time.process_time()
            for _ in range(repeat):
                fn()
            timings.append((time.process_time() - start) / repeat)
        total_old += timings[0]
        total_new += timings[1]
        print(f"{name:>10} ({counts.shape[0]:>2} series): today {timings[0] * 1e3:6.2f} ms, "
              f"new {timings[1] * 1e3:6.2f} ms")
    print(f"{'page':>10}: today {total_old * 1e3:6.2f} ms, new {total_new * 1e3:6.2f} ms "
          f"(ratio {total_new / total_old:.0f}×)")
    together = {name: counts for name, (counts, _, _) in panels.items()}
    start = time.process_time()
    for _ in range(repeat):
        sg.assess_panels(together, delivered, np.arange(t) + 8000, references=REFERENCE,
                         columns=shown)
    print(f"{'together':>10}: the three panels in one assess_panels call, all 12 shown quarters"
          f": {(time.process_time() - start) / repeat * 1e3:6.2f} ms")


def pages(repeat: int) -> None:
    """The method as the pages call it: `panels.signal_panels` on the demo database."""
    import datetime as dt
    import tempfile
    from pathlib import Path

    from lagesbild.numbers import panels as pn
    from lagesbild.service import seed_demo
    from lagesbild.store import Store

    print("\n## 8. Through the indicator layer: `numbers.panels.signal_panels` (the one "
          "function every page, the summary, the exports and `lagesbild signals` read flags "
          "from) on the demo database, CPU time of this process")
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "demo.duckdb")
        seed_demo(store)
        today = dt.date(2026, 12, 1)
        start = time.process_time()
        for _ in range(repeat):
            pn._CACHE.pop(store, None)
            built = pn.signal_panels(store, today=today)
        uncached = (time.process_time() - start) / repeat
        start = time.process_time()
        for _ in range(repeat):
            pn.signal_panels(store, today=today)
        cached = (time.process_time() - start) / repeat
        quarters = len(built["nyckeltal"].quarters)
        series = sum(len(p.series) for p in built.values())
        flags = sum(int((p.result.unusual != "").sum() + (p.result.sustained != "").sum())
                    for p in built.values())
        print(f"{series} series x {quarters} quarters x "
              f"{len(built['nyckeltal'].partners)} partners: built {uncached * 1e3:.1f} ms "
              f"(query and method), cached {cached * 1e3:.1f} ms; {flags} flags in all "
              f"({flags / (series * quarters):.1%} of series-quarters, the demo's built-in "
              "growth and rising forms included)")
        store.close()


def targets(found: dict[int, dict]) -> None:
    """The issue's targets beside what this run measured (new method, and today's)."""
    rows = []
    if 1 in found:
        f = found[1]
        rows += [("false alarms per series and flag type, NB 2× (max)", "≤ 2.5 %",
                  pct(f["NB 2×"]), pct(f["today NB 2×"]), f["NB 2×"] <= 0.025),
                 ("false alarms per series and flag type, Poisson (max)", "≤ 1.5 %",
                  pct(f["Poisson"]), pct(f["today Poisson"]), f["Poisson"] <= 0.015)]
    if 2 in found:
        f = found[2]
        rows.append(("flags per ordinary quarter, whole dashboard, NB 2×", "≤ 0.4",
                     f"{f['new']:.2f}", f"{f['today']:.2f}", f["new"] <= 0.4))
    if 3 in found:
        f = found[3]
        rows.append(("seasonal Q4 false alarms from 16 quarters (any flag)",
                     "≤ 2 %", pct(f["new"]), pct(f["today"]), f["new"] <= 0.02))
    if 4 in found:
        f = found[4]
        rows.append(("power +50 % at mean 30 within four quarters (min)", "≥ 80 %",
                     pct(f["new"]), pct(f["today"]), f["new"] >= 0.8))
    if 5 in found:
        f = found[5]
        rows.append(("missing partner: decrease flags, gap minus background", "≈ 0",
                     f"{100 * f['new']:+.1f} pp", f"{100 * f['today']:+.1f} pp",
                     f["new"] <= 0.03))
        rows.append(("missing partner: median change of the total", "≈ 0",
                     f"{100 * f['new change']:+.1f} %", f"{100 * f['today change']:+.1f} %",
                     abs(f["new change"]) <= 0.03))
    if 6 in found:
        f = found[6]
        rows.append(("flags in the 4th quarter of data", "0", f"{f['new']:.2f}",
                     f"{f['today']:.2f}", f["new"] == 0))
    if not rows:
        return
    print("\n## Targets (issue 13): this run")
    print(f"{'':60} | {'target':>7} | {'new':>9} | {'today':>9} | met")
    for name, target, new_value, old_value, met in rows:
        print(f"{name:60} | {target:>7} | {new_value:>9} | {old_value:>9} | "
              f"{'yes' if met else 'NO'}")


SECTIONS = {1: "false_alarms", 2: "whole_dashboard", 3: "seasonal", 4: "power",
            5: "missing_partner", 6: "data_start", 7: "cost", 8: "pages"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about a minute")
    parser.add_argument("--reps", type=int, default=None,
                        help="panels (dashboards) per cell (default 1000, quick 300; 2000 for "
                             "the figures of the method's notes)")
    parser.add_argument("--panel", type=int, default=9,
                        help="series per panel in sections 1, 3 and 4 (default 9, the forms)")
    parser.add_argument("--only", default="", help="sections to run, e.g. 1,4 (default all)")
    parser.add_argument("--pooled", action="store_true",
                        help="sections 1 and 3: assess each panel with 28 - panel more series "
                        "of the same kind in other panels (one dispersion, as on the pages)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    reps = args.reps or (300 if args.quick else 1000)
    only = {int(v) for v in args.only.split(",") if v} or set(SECTIONS)
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    print(f"# Signal benchmark (reps {reps}, panel {args.panel}, seed {args.seed}"
          f"{', pooled' if args.pooled else ''})")
    found: dict[int, dict] = {}
    if 1 in only:
        found[1] = false_alarms(rng, reps, args.panel, args.pooled)
    if 2 in only:
        found[2] = whole_dashboard(rng, reps * 2)
    if 3 in only:
        found[3] = seasonal(rng, reps, args.panel, args.pooled)
    if 4 in only:
        found[4] = power(rng, reps, args.panel)
    if 5 in only:
        found[5] = missing_partner(rng, reps)
    if 6 in only:
        found[6] = data_start(rng, reps)
    if 7 in only:
        cost(rng, 20 if args.quick else 50)
    if 8 in only:
        pages(20 if args.quick else 50)
    targets(found)
    print(f"\n(run time {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
