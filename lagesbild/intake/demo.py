"""Deterministic synthetic demo reports, so the dashboard can be shown without real data.

The table is in canonical form (valid code-list values), one row per report, with the columns
of `schema.REPORT_COLUMNS`. It is invented from scratch with a seeded random generator: no row
describes a real person or event. Built in patterns (for demonstrations and tests):

* about +15 % reports per year, fewer in summer (July), more in the autumn term;
* Högerextremism largest and slowly rising, Vänsterextremism small and flat, Islamistisk
  extremism declining; Våldsfixering utan ideologi and Misogyn extremism rise sharply over the
  last six quarters, so the latest quarter stands out against the previous eight;
* gender and age that differ by form, sectors and districts that fit the event type;
* `MISSING_SECTOR` has not submitted anything for the latest quarter.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from lagesbild.domain.codelists import Area, areas
from lagesbild.domain.text import ascii_slug

DEMO_FILE_NAME = "demodata (syntetisk)"
START = dt.date(2022, 1, 1)
# The sector whose submission for the latest quarter is missing (for the coverage page).
MISSING_SECTOR = "Trossamfund"
# Forms whose reports rise sharply over the last six quarters.
RISING_FORMS = ("Våldsfixering utan ideologi", "Misogyn extremism")

COLUMNS = (
    "partner", "rapport_id", "datum", "rapporttyp", "omrade", "regso", "form", "handelse",
    "verksamhet", "kon", "aldersgrupp", "konsultation",
)

_ANNUAL_GROWTH = 1.17
# Relative seasonal level per calendar month (January first).
_SEASON = (0.95, 1.05, 1.1, 1.0, 0.95, 0.75, 0.45, 0.8, 1.3, 1.35, 1.3, 0.9)

# form: (share at the start, annual growth relative to the overall trend, ramp at the end,
#        share of Oro reports)
_FORMS: dict[str, tuple[float, float, float, float]] = {
    "Högerextremism": (0.30, 0.99, 0.0, 0.45),
    "Vänsterextremism": (0.05, 1 / _ANNUAL_GROWTH, 0.0, 0.30),
    "Islamistisk extremism": (0.11, 0.95 / _ANNUAL_GROWTH, 0.0, 0.68),
    "Misogyn extremism": (0.035, 0.97, 4.0, 0.72),
    "Konspirationsteoretisk/antistatlig": (0.08, 1.0, 0.0, 0.40),
    "Våldsfixering utan ideologi": (0.08, 0.97, 3.0, 0.82),
    "Blandad eller oklar ideologi": (0.12, 1.04, 0.0, 0.68),
    "Annan": (0.03, 0.92, 0.0, 0.55),
    "Ej bedömd": (0.10, 0.95, 0.0, 0.52),
}

# Event types of incidents, per form.
_INCIDENTS: dict[str, dict[str, float]] = {
    "Högerextremism": {"Propaganda": 45, "Skadegörelse": 20, "Digital aktivitet": 12, "Hot": 8,
                       "Manifestation": 6, "Rekrytering": 4, "Våld": 3, "Övrigt": 2},
    "Vänsterextremism": {"Skadegörelse": 35, "Propaganda": 25, "Manifestation": 15, "Hot": 10,
                         "Digital aktivitet": 10, "Våld": 5},
    "Islamistisk extremism": {"Digital aktivitet": 45, "Rekrytering": 20, "Hot": 15,
                              "Propaganda": 10, "Övrigt": 10},
    "Misogyn extremism": {"Digital aktivitet": 60, "Hot": 30, "Övrigt": 10},
    "Konspirationsteoretisk/antistatlig": {"Hot": 40, "Digital aktivitet": 35, "Propaganda": 15,
                                           "Övrigt": 10},
    "Våldsfixering utan ideologi": {"Hot": 35, "Digital aktivitet": 35, "Våld": 15,
                                    "Attackplanering": 10, "Övrigt": 5},
    "Blandad eller oklar ideologi": {"Digital aktivitet": 40, "Propaganda": 20, "Hot": 20,
                                     "Skadegörelse": 10, "Övrigt": 10},
    "Annan": {"Digital aktivitet": 30, "Hot": 25, "Propaganda": 20, "Övrigt": 25},
    "Ej bedömd": {"Skadegörelse": 30, "Propaganda": 20, "Digital aktivitet": 20, "Hot": 15,
                  "Övrigt": 15},
}

# Gender (Kvinna, Man, Annat) and age bands of the person concerned, per form.
_GENDER = ("Kvinna", "Man", "Annat")
_KON: dict[str, tuple[float, float, float]] = {
    "Högerextremism": (12, 87, 1),
    "Vänsterextremism": (38, 60, 2),
    "Islamistisk extremism": (20, 80, 0),
    "Misogyn extremism": (1, 98.5, 0.5),
    "Konspirationsteoretisk/antistatlig": (38, 61, 1),
    "Våldsfixering utan ideologi": (15, 83, 2),
    "Blandad eller oklar ideologi": (20, 77, 3),
    "Annan": (30, 68, 2),
    "Ej bedömd": (25, 73, 2),
}
_AGES = ("0–12", "13–15", "16–17", "18–24", "25–39", "40+")
_ALDER: dict[str, tuple[float, ...]] = {
    "Högerextremism": (2, 14, 20, 30, 24, 10),
    "Vänsterextremism": (0, 5, 15, 45, 30, 5),
    "Islamistisk extremism": (2, 12, 20, 34, 24, 8),
    "Misogyn extremism": (1, 14, 25, 40, 18, 2),
    "Konspirationsteoretisk/antistatlig": (0, 2, 3, 10, 30, 55),
    "Våldsfixering utan ideologi": (8, 50, 28, 10, 4, 0),
    "Blandad eller oklar ideologi": (4, 30, 28, 22, 12, 4),
    "Annan": (2, 15, 20, 28, 25, 10),
    "Ej bedömd": (3, 20, 22, 25, 20, 10),
}

# Reporting sectors of concern reports, by age band of the person.
_ORO_SECTOR: dict[str, dict[str, float]] = {
    "young": {"Grundskola": 40, "Socialtjänst": 22, "Fritidsgård": 9, "Gymnasieskola": 4,
              "Region Västerbotten": 6, "Anhörig/allmänhet": 6, "Polis": 5, "Trossamfund": 3,
              "Civilsamhälle": 3, "Annan": 2},
    "16–17": {"Gymnasieskola": 38, "Socialtjänst": 20, "Fritidsgård": 8, "Grundskola": 4,
              "Region Västerbotten": 8, "Polis": 7, "Anhörig/allmänhet": 6, "Trossamfund": 3,
              "Civilsamhälle": 4, "Annan": 2},
    "adult": {"Socialtjänst": 30, "Region Västerbotten": 20, "Polis": 16,
              "Anhörig/allmänhet": 10, "Säkerhetsavdelningen": 6, "Civilsamhälle": 6,
              "Trossamfund": 6, "Gymnasieskola": 3, "Annan": 3},
}
_INCIDENT_SECTOR: dict[str, dict[str, float]] = {
    "Propaganda": {"Polis": 30, "Bostadsbolag": 26, "Säkerhetsavdelningen": 20,
                   "Civilsamhälle": 7, "Anhörig/allmänhet": 7, "Grundskola": 5,
                   "Gymnasieskola": 5},
    "Skadegörelse": {"Bostadsbolag": 36, "Polis": 28, "Säkerhetsavdelningen": 20,
                     "Grundskola": 8, "Fritidsgård": 6, "Trossamfund": 2},
    "Hot": {"Polis": 48, "Säkerhetsavdelningen": 15, "Grundskola": 9, "Gymnasieskola": 9,
            "Trossamfund": 8, "Region Västerbotten": 7, "Annan": 4},
    "Digital aktivitet": {"Polis": 45, "Säkerhetsavdelningen": 18, "Grundskola": 10,
                          "Gymnasieskola": 10, "Anhörig/allmänhet": 10, "Civilsamhälle": 5,
                          "Annan": 2},
    "Manifestation": {"Polis": 70, "Säkerhetsavdelningen": 30},
    "Våld": {"Polis": 80, "Region Västerbotten": 10, "Säkerhetsavdelningen": 10},
    "Rekrytering": {"Polis": 30, "Gymnasieskola": 20, "Fritidsgård": 20, "Trossamfund": 15,
                    "Civilsamhälle": 15},
    "Attackplanering": {"Polis": 60, "Grundskola": 20, "Gymnasieskola": 20},
    "Övrigt": {"Polis": 25, "Säkerhetsavdelningen": 20, "Annan": 20, "Civilsamhälle": 15,
               "Bostadsbolag": 10, "Region Västerbotten": 10},
}

# Chance that the person behind an incident is unknown (no gender, no age).
_PERPETRATOR_UNKNOWN = {"Propaganda": 0.3, "Skadegörelse": 0.35, "Digital aktivitet": 0.1,
                        "Manifestation": 0.1}
# Over-representation of districts for propaganda and vandalism.
_HOTSPOT = {"Centrum": 3.0, "Ålidhem": 2.5, "Universitetsområdet": 1.5}
_KONSULTATION = {"Oro för individ": 0.27, "Attackplanering": 0.5, "Hot": 0.1, "Rekrytering": 0.15}


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def latest_full_quarter_end(today: dt.date) -> dt.date:
    """The last day of the latest quarter that has fully passed before `today`.

    >>> latest_full_quarter_end(dt.date(2026, 4, 1)), latest_full_quarter_end(dt.date(2026, 3, 31))
    (datetime.date(2026, 3, 31), datetime.date(2025, 12, 31))
    """
    return quarter_start(today) - dt.timedelta(days=1)


def _choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _months(end: dt.date) -> list[dt.date]:
    months, day = [], START
    while day <= end:
        months.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def _intensity(months: list[dt.date], n_target: int) -> np.ndarray:
    """Expected reports per (month, form), summing to n_target."""
    n_quarters = (len(months) + 2) // 3
    rows = []
    for i, month in enumerate(months):
        years = (i + 0.5) / 12
        from_end = n_quarters - 1 - i // 3  # 0 = the latest quarter
        ramp = max(0.0, (6 - from_end) / 6) ** 2  # 0 → 1 over the last six quarters
        level = _ANNUAL_GROWTH**years * _SEASON[month.month - 1]
        rows.append([share * growth**years * (1 + boost * ramp) * level
                     for share, growth, boost, _ in _FORMS.values()])
    lam = np.array(rows)
    return lam * (n_target / lam.sum())


def _districts() -> tuple[dict[str, float], dict[str, tuple[list[str], np.ndarray]]]:
    """Population per district, and each district's RegSO codes with population weights."""
    population: dict[str, float] = {}
    members: dict[str, list[Area]] = {}
    for area in areas():
        population[area.district] = population.get(area.district, 0) + (area.population or 0)
        members.setdefault(area.district, []).append(area)
    regso = {}
    for district, group in members.items():
        weights = np.array([a.population or 1 for a in group], dtype=float)
        regso[district] = ([a.code for a in group], weights / weights.sum())
    return population, regso


def demo_reports(
    until: dt.date | None = None, seed: int = 2026, n_target: int = 2000
) -> pa.Table:
    """About n_target synthetic reports from 2022-01-01 to the latest full quarter before
    `until` (default today). Same seed and until give an identical table."""
    end = latest_full_quarter_end(until or dt.date.today())
    if end < START:
        raise ValueError(f"Demodata börjar {START}; inget helt kvartal före {until}.")
    rng = np.random.default_rng(seed)
    months = _months(end)
    # Binomial counts: mean lam, variance about lam / 2, so that the built-in trend shows
    # through the noise of a small demo.
    lam = _intensity(months, n_target)
    trials = np.ceil(2 * lam).astype(int)
    counts = rng.binomial(trials, np.divide(lam, trials, where=trials > 0, out=np.zeros_like(lam)))
    form_names = list(_FORMS)

    month_idx = np.repeat(np.arange(len(months)).repeat(len(form_names)), counts.ravel())
    form_idx = np.repeat(np.tile(np.arange(len(form_names)), len(months)), counts.ravel())
    n = len(month_idx)
    form = np.array(form_names, dtype=object)[form_idx]

    # Dates: uniform within the month.
    first = np.array([np.datetime64(m, "D") for m in months])
    next_first = np.append(first[1:], np.datetime64(end, "D") + 1)
    length = (next_first - first).astype(int)
    datum = first[month_idx] + (rng.random(n) * length[month_idx]).astype(int)

    is_oro = rng.random(n) < np.array([v[3] for v in _FORMS.values()])[form_idx]
    handelse = np.full(n, "Oro för individ", dtype=object)
    kon = np.empty(n, dtype=object)
    alder = np.empty(n, dtype=object)
    for i, name in enumerate(form_names):
        rows = form_idx == i
        inc = rows & ~is_oro
        handelse[inc] = _choice(rng, _INCIDENTS[name], int(inc.sum()))
        kon[rows] = _choice(rng, dict(zip(_GENDER, _KON[name], strict=True)), int(rows.sum()))
        alder[rows] = _choice(rng, dict(zip(_AGES, _ALDER[name], strict=True)), int(rows.sum()))

    # Unknown person: often for propaganda and vandalism, rarely for concerns.
    p_unknown = np.array([_PERPETRATOR_UNKNOWN.get(h, 0.04) for h in handelse])
    p_unknown[is_oro] = 0.01
    unknown = rng.random(n) < p_unknown
    kon[unknown | (rng.random(n) < 0.015)] = "Okänt"
    alder[unknown | (rng.random(n) < 0.035)] = "Okänd"

    # Reporting sector: from the event, and for concerns from the age of the person.
    verksamhet = np.empty(n, dtype=object)
    for event, weights in _INCIDENT_SECTOR.items():
        rows = handelse == event
        verksamhet[rows] = _choice(rng, weights, int(rows.sum()))
    age_group = np.where(np.isin(alder, ["0–12", "13–15"]), "young",
                         np.where(alder == "16–17", "16–17", "adult"))
    for group, weights in _ORO_SECTOR.items():
        rows = is_oro & (age_group == group)
        verksamhet[rows] = _choice(rng, weights, int(rows.sum()))

    # Place: districts by population, hotspots for propaganda, Digitalt for online activity.
    population, regso_of = _districts()
    omrade = np.empty(n, dtype=object)
    hotspot = np.isin(handelse, ["Propaganda", "Skadegörelse"])
    for rows, weights in (
        (hotspot, {d: p * _HOTSPOT.get(d, 1.0) for d, p in population.items()}),
        (~hotspot, population),
    ):
        omrade[rows] = _choice(rng, weights, int(rows.sum()))
    u = rng.random(n)
    omrade[(handelse == "Digital aktivitet") & (u < 0.75)] = "Digitalt"
    omrade[is_oro & (u < 0.03)] = "Digitalt"
    omrade[(u > 0.96) & (omrade != "Digitalt")] = "Okänt"
    regso = np.full(n, None, dtype=object)
    with_regso = rng.random(n) < 0.6
    for district, (codes, code_weights) in regso_of.items():
        rows = with_regso & (omrade == district)
        regso[rows] = np.array(codes, dtype=object)[
            rng.choice(len(codes), size=int(rows.sum()), p=code_weights)]

    p_ja = np.array([_KONSULTATION.get(h, 0.04) for h in handelse])
    konsultation = np.where(rng.random(n) < p_ja, "Ja", "Nej").astype(object)
    rapporttyp = np.where(is_oro, "Oro", "Incident").astype(object)

    # The missing submission: drop the sector's reports in the latest quarter.
    keep = ~((verksamhet == MISSING_SECTOR) & (datum >= np.datetime64(quarter_start(end), "D")))
    order = np.lexsort((form_idx, datum))
    order = order[keep[order]]

    verksamhet = verksamhet[order]
    rapport_id = np.empty(len(order), dtype=object)
    for sector in sorted(set(verksamhet)):
        rows = np.flatnonzero(verksamhet == sector)
        prefix = f"DEMO-{ascii_slug(sector)[:3].upper()}-"
        rapport_id[rows] = [f"{prefix}{k:04d}" for k in range(1, len(rows) + 1)]

    columns = {
        "partner": verksamhet, "rapport_id": rapport_id, "datum": datum[order],
        "rapporttyp": rapporttyp[order], "omrade": omrade[order], "regso": regso[order],
        "form": form[order], "handelse": handelse[order], "verksamhet": verksamhet,
        "kon": kon[order], "aldersgrupp": alder[order], "konsultation": konsultation[order],
    }
    return pa.table({
        name: pa.array(values, type=pa.date32() if name == "datum" else pa.string())
        for name, values in columns.items()
    })
