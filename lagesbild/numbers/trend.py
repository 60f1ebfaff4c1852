"""Series over quarters: changes against a baseline, the trend with control limits, series
breaks and rates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.codelists import Codelists
from lagesbild.domain.config import Disclosure
from lagesbild.domain.periods import quarters_between, shift_quarter
from lagesbild.numbers import population as pop
from lagesbild.numbers import signals
from lagesbild.numbers.coverage import missing_by_quarter
from lagesbild.numbers.disclosure import hide_derived
from lagesbild.numbers.query import Filters, check_dimensions
from lagesbild.numbers.rates import NO_POPULATION
from lagesbild.numbers.tables import (
    category_order,
    data_span,
    norm_quarter,
    published,
    published_zero,
    shown_quarters,
    sort_by_categories,
)
from lagesbild.store import Store

TREND_DIMENSIONS = ("form", "handelse", "verksamhet", "rapporttyp", "omrade", "kon",
                    "aldersgrupp")
COMPARISONS = {
    "foregaende": "föregående kvartal",
    "fjol": "samma kvartal i fjol",
    "snitt4": "snittet av de fyra föregående kvartalen",
}


def baseline_quarters(quarter: str, compare: str) -> list[str]:
    """The quarters a comparison is made against."""
    if compare == "foregaende":
        return [shift_quarter(quarter, -1)]
    if compare == "fjol":
        return [shift_quarter(quarter, -4)]
    if compare == "snitt4":
        return [shift_quarter(quarter, -k) for k in range(4, 0, -1)]
    raise ValueError(f"Okänd jämförelse {compare!r}. Välj bland: {', '.join(COMPARISONS)}.")


def baseline_label(quarter: str, compare: str) -> str:
    quarters = baseline_quarters(quarter, compare)
    return quarters[0] if len(quarters) == 1 else f"snitt {quarters[0]}–{quarters[-1]}"


# -- 3. change against a baseline, with significance ------------------------------------------
def change(store: Store, quarter: str, by: Sequence[str] = (), compare: str = "foregaende",
           filters: Filters | None = None, disclosure: Disclosure | None = None) -> pd.DataFrame:
    """The count of `quarter` against a baseline, per group of `by`.

    compare: 'foregaende' (previous quarter), 'fjol' (same quarter last year) or 'snitt4'
    (mean of the previous four quarters). The filter's period is ignored. Columns: by…,
    kvartal, antal, jamforelse (label of the baseline), bas (count or mean), forandring,
    procent (NA when bas < MIN_BASE_FOR_PERCENT), p_varde (exact counts only), signifikant,
    riktning ('ökning', 'minskning' or ''), undertryckt, visas. The counts are published
    quarter cells; derived columns come from them and are NA where a count is hidden.
    """
    by = list(by)
    check_dimensions(by)
    if "kvartal" in by:
        raise ValueError("Jämförelsen gäller ett kvartal; dela inte upp på kvartal.")
    quarter = norm_quarter(quarter)
    bases = baseline_quarters(quarter, compare)
    # The published cells of each group in the quarter and the base quarters.
    window = (filters or Filters()).with_period(bases[0], quarter)
    cells = published(store, [*by, "kvartal"], window, disclosure, with_exact=True)
    cells = cells[cells["kvartal"].isin([quarter, *bases])]
    if by:  # groups whose published counts are all 0 are left out
        seen = cells.loc[~published_zero(cells), by].drop_duplicates()
        cells = cells.merge(seen, on=by)
    now = cells[cells["kvartal"] == quarter].reset_index(drop=True)
    base = [cells[cells["kvartal"] == b].reset_index(drop=True) for b in bases]
    return sort_by_categories(_with_change(now, base, by, baseline_label(quarter, compare),
                              disclosure), by)


def _with_change(now: pd.DataFrame, base: list[pd.DataFrame], by: list[str], label: str,
                 disclosure: Disclosure | None) -> pd.DataFrame:
    """Changes from published counts; the significance test (a flag) on exact counts. The
    p-value is shown only with exact counts (it would give an exact count back)."""
    exact_now = now["_exakt"].astype("int64").to_numpy()
    exact_base = np.column_stack([b["_exakt"].astype("int64").to_numpy() for b in base]) \
        if base else np.zeros((len(now), 0), dtype=np.int64)
    base_hidden = np.column_stack([b["undertryckt"].to_numpy(bool) for b in base]).any(axis=1)
    base_pub = np.column_stack([b["antal"].astype("Float64").fillna(0).to_numpy(float)
                                for b in base])
    comps = [signals.compare(int(n), list(b)) for n, b in zip(exact_now, exact_base,
                                                               strict=True)]
    out = now.drop(columns="_exakt")
    out["jamforelse"] = label
    out["bas"] = pd.array(base_pub.mean(axis=1), dtype="Float64")
    now_pub = out["antal"].astype("Float64")
    out["forandring"] = now_pub - out["bas"]
    out["procent"] = pd.array([signals.percent_change(n, b) if pd.notna(n) and pd.notna(b)
                               else None for n, b in zip(now_pub, out["bas"], strict=True)],
                              dtype="Float64")
    out["p_varde"] = pd.array([c.p_value if disclosure is None else None for c in comps],
                              dtype="Float64")
    out["signifikant"] = pd.array([c.significant for c in comps], dtype="boolean")
    out["riktning"] = [c.direction for c in comps]
    hidden = out["undertryckt"].to_numpy() | base_hidden
    out = hide_derived(out, ["bas", "forandring", "procent", "p_varde"], hidden)
    out["signifikant"] = out["signifikant"].mask(hidden)
    out.loc[hidden, "riktning"] = ""
    return out[[*by, "kvartal", "antal", "jamforelse", "bas", "forandring", "procent",
                "p_varde", "signifikant", "riktning", "undertryckt", "visas"]]


# -- 5. trend with control limits and series breaks -------------------------------------------
def series_breaks(codelists: Codelists, quarters: Sequence[str],
                  fields: Sequence[str] | None = None) -> list[tuple[str, str, str]]:
    """(quarter, category, Swedish note) for code-list changes inside the shown quarters:
    a category that starts after the first shown quarter, one that ends before the last
    (marked at the first quarter without it), and the category that replaces it."""
    shown = list(quarters)
    if not shown:
        return []
    inside = set(shown[1:])
    breaks: list[tuple[str, str, str]] = []
    for name in fields or TREND_DIMENSIONS:
        for code in codelists.for_field(name).codes:
            if code.valid_from and norm_quarter(code.valid_from) in inside:
                breaks.append((norm_quarter(code.valid_from), code.value,
                               f"Serieavbrott: {code.value} används från "
                               f"{norm_quarter(code.valid_from)}."))
            if code.valid_to and shift_quarter(code.valid_to, 1) in inside:
                start = shift_quarter(code.valid_to, 1)
                tail = f"; ersätts av {code.replaced_by}" if code.replaced_by else ""
                breaks.append((start, code.value, f"Serieavbrott: {code.value} används inte "
                               f"efter {norm_quarter(code.valid_to)}{tail}."))
                if code.replaced_by:
                    breaks.append((start, code.replaced_by,
                                   f"Serieavbrott: {code.replaced_by} omfattar från {start} "
                                   f"även {code.value}."))
    return sorted(set(breaks), key=lambda b: (shown.index(b[0]), b[1], b[2]))


def trend(store: Store, filters: Filters | None = None, by: str | None = None,
          measure: str = "antal", disclosure: Disclosure | None = None,
          codelists: Codelists | None = None) -> pd.DataFrame:
    """Per quarter (and per category of `by`), quarters without reports as 0.

    measure 'antal' or 'per10k' (per 10 000 inhabitants of the area for by='omrade', else of
    the municipality or the filtered districts). Columns: kvartal, [by], antal, varde (the
    measure), baslinje (mean of the previous eight quarters), nedre_grans, ovre_grans,
    signal (bool), signal_text, serieavbrott, ofullstandig (a partner has not delivered),
    saknade_verksamheter, [befolkning, befolkning_ar, befolkning_anm], undertryckt, visas.
    Limits are computed on counts; for per10k they are scaled by the same population. With a
    Disclosure, limits come from published counts and are hidden when one of the eight is.
    """
    if by is not None and by not in TREND_DIMENSIONS:
        raise ValueError(f"Trend kan delas upp på: {', '.join(TREND_DIMENSIONS)}.")
    if measure not in ("antal", "per10k"):
        raise ValueError("Mått för trend: antal eller per10k.")
    filters = filters or Filters()
    span = data_span(store)
    shown = shown_quarters(store, filters, span)
    dims = [by] if by else []
    if not shown:
        return pd.DataFrame(columns=["kvartal", *dims, "antal", "varde", "undertryckt", "visas"])
    data_first = span[0] or shown[0]
    window = quarters_between(shift_quarter(shown[0], -signals.SPC_WINDOW), shown[-1])
    # The published quarter cells of each category over the window (and the exact counts,
    # for the signal flags only).
    cells = published(store, ["kvartal", *dims], filters.with_period(window[0], window[-1]),
                      disclosure, with_exact=True)
    categories: list[str | None] = [None]
    if by:  # categories with a published count that is not 0 in the window
        present = cells.loc[~published_zero(cells), by]
        categories = list(category_order(by, list(dict.fromkeys(present))))
    if not categories:
        return pd.DataFrame(columns=["kvartal", *dims, "antal", "varde", "undertryckt", "visas"])
    cells = cells.set_index(["kvartal", *dims])
    order = [(q, c) if by else q for c in categories for q in window]
    cells = cells.loc[order]
    exact = cells["_exakt"].to_numpy(dtype=np.int64).reshape(len(categories), len(window))
    hidden = cells["undertryckt"].to_numpy(dtype=bool).reshape(exact.shape)
    published_counts = cells["antal"].astype("Float64").fillna(0).to_numpy(float)
    published_counts = published_counts.reshape(exact.shape)
    available = np.array([q >= data_first for q in window])
    _, exact_low, exact_up = signals.rolling_limits(exact, available)
    centre, lower, upper = signals.rolling_limits(published_counts, available)
    hidden_before = signals.rolling_limits(hidden.astype(float), available)[0] > 0
    for limit in (centre, lower, upper):
        limit[hidden_before] = np.nan
    text = np.where(np.isnan(exact_up), signals.SHORT,
                    np.where(exact > exact_up, signals.HIGH,
                             np.where(exact < exact_low, signals.LOW, "")))
    text = np.where(hidden, "", text).astype(object)
    flagged = (text == signals.HIGH) | (text == signals.LOW)
    text[flagged] = [f"{t} {signals.SPC_SUFFIX}" for t in text[flagged]]
    keep = np.array([q in set(shown) for q in window])
    take = np.flatnonzero(np.tile(keep, len(categories)))
    flat_q = np.tile(np.array(window, dtype=object), len(categories))[take]
    shown_counts = pd.array(cells["antal"].astype("Int64"), dtype="Int64")[take]
    flat_c = np.repeat(np.array(categories, dtype=object), len(window))[take] if by else None
    marks = {(q, c): note for q, c, note in
             series_breaks(codelists or codelist_module.load(), shown, dims)} if by else {}
    missing = missing_by_quarter(store, shown, filters)
    # All columns at once: one DataFrame constructor instead of a column insert each.
    data: dict[str, object] = {"kvartal": flat_q}
    if by:
        data[by] = flat_c
    data.update({
        "antal": shown_counts,
        "varde": shown_counts.astype("Float64"),
        "baslinje": centre.ravel()[take],
        "nedre_grans": lower.ravel()[take],
        "ovre_grans": upper.ravel()[take],
        "signal": flagged.ravel()[take],
        "signal_text": text.ravel()[take],
        "serieavbrott": ([marks.get((q, c), "") for q, c in zip(flat_q, flat_c, strict=True)]
                         if flat_c is not None else [""] * len(flat_q)),
        "ofullstandig": [bool(missing.get(q)) for q in flat_q],
        "saknade_verksamheter": [", ".join(missing.get(q, [])) for q in flat_q],
        "undertryckt": hidden.ravel()[take],
        "visas": cells["visas"].to_numpy(dtype=object)[take],
    })
    out = pd.DataFrame(data)
    extra: list[str] = []
    if measure == "per10k":
        out, extra = _per10k(store, out, by, filters)
    columns = ["kvartal", *dims, "antal", "varde", "baslinje", "nedre_grans", "ovre_grans",
               "signal", "signal_text", "serieavbrott", "ofullstandig", "saknade_verksamheter",
               *extra, "undertryckt", "visas"]
    return out[columns] if extra else out  # without extra, `data` is already in this order


def _per10k(store: Store, out: pd.DataFrame, by: str | None, filters: Filters) \
        -> tuple[pd.DataFrame, list[str]]:
    out["ar"] = out["kvartal"].str[:4].astype(int)
    years = sorted(out["ar"].unique())
    if by == "omrade":
        population = pop.population_table(store, "omrade", years)
        out = out.merge(population, on=["omrade", "ar"], how="left", sort=False)
        lacking = out["befolkning"].isna()
        out.loc[lacking, "befolkning_anm"] = [
            pop.NOT_APPLICABLE if o in NO_POPULATION else pop.MISSING
            for o in out.loc[lacking, "omrade"]]
    else:
        districts = [d for d in filters.omrade if d not in NO_POPULATION]
        if filters.omrade and not districts:
            population = pd.DataFrame({"ar": years, "befolkning": pd.NA, "befolkning_ar": pd.NA,
                                       "befolkning_anm": pop.NOT_APPLICABLE})
        else:
            population = pop.total_population(store, years, districts)
        out = out.merge(population.drop(columns="befolkning_saknas"), on="ar", how="left",
                        sort=False)
    factor = 1e4 / out["befolkning"].astype("Float64")
    for col in ("varde", "baslinje", "nedre_grans", "ovre_grans"):
        out[col] = out[col].astype("Float64") * factor
    out["befolkning_ar"] = out["befolkning_ar"].astype("Int64")
    out["befolkning"] = out["befolkning"].astype("Int64")
    return out, ["befolkning", "befolkning_ar", "befolkning_anm"]
