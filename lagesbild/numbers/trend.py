"""Series over quarters: changes against a baseline (numbers only, like for like), the trend
with the signal panels' flags and bands, series breaks and rates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.codelists import Codelists
from lagesbild.domain.config import Disclosure
from lagesbild.domain.periods import quarters_between, shift_quarter
from lagesbild.numbers import population as pop
from lagesbild.numbers import signals
from lagesbild.numbers.coverage import deliveries, missing_by_quarter
from lagesbild.numbers.disclosure import Protected, cell_key_sql, hide_derived
from lagesbild.numbers.panels import (
    Flags,
    flag_table,
    join_names,
    panel_of,
    published_part,
    signal_panels,
    window_start,
)
from lagesbild.numbers.query import Filters, check_dimensions
from lagesbild.numbers.tables import (
    category_order,
    data_span,
    dimension_sql,
    merged_label,
    norm_quarter,
    published,
    published_zero,
    query_rows,
    role_filters,
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


# -- 3. change against a baseline: numbers, like for like, no verdict -------------------------
def change(store: Store, quarter: str, by: Sequence[str] = (), compare: str = "foregaende",
           filters: Filters | None = None, disclosure: Disclosure | None = None) -> pd.DataFrame:
    """The count of `quarter` against a baseline, per group of `by`: numbers, not a verdict
    (whether a change is real is the signals' job, `lagesbild.numbers.panels`).

    compare: 'foregaende' (previous quarter), 'fjol' (same quarter last year) or 'snitt4'
    (mean of the previous four quarters). The filter's period is ignored. Like for like: the
    comparison counts only the partners that delivered the quarter and every base quarter
    (`coverage.deliveries`, nil returns included); a base quarter before the data is missing,
    never 0. Columns: by…, kvartal, antal (the quarter's count), jamforelse (label of the
    baseline), bas (count or mean over the comparison's partners), forandring (jamfort_antal
    - bas), procent (NA when bas < MIN_BASE_FOR_PERCENT), jamfort_antal (the quarter's count
    over the comparison's partners), anmarkning (the partners left out, or why there is no
    comparison), undertryckt, visas. Derived columns are NA where a count they use is hidden.
    """
    by = list(by)
    check_dimensions(by)
    if "kvartal" in by:
        raise ValueError("Jämförelsen gäller ett kvartal; dela inte upp på kvartal.")
    quarter = norm_quarter(quarter)
    filters = filters or Filters()
    bases = baseline_quarters(quarter, compare)
    compared = [quarter, *bases]
    # The published cells of each group in the compared quarters (the quarter's count and
    # whether a base is hidden) ...
    cells = published(store, [*by, "kvartal"], filters.with_period(min(compared), quarter),
                      disclosure)
    cells = cells[cells["kvartal"].isin(compared)]
    if by:  # groups whose published counts are all 0 are left out
        seen = cells.loc[~published_zero(cells), by].drop_duplicates()
        cells = cells.merge(seen, on=by)
    # ... and per partner the exact counts and record keys, for the like-for-like counts
    where, params = role_filters(filters, disclosure).with_period(None, None).where()
    select = "".join(f"{dimension_sql(b)} AS {b}, " for b in by)
    marks = ", ".join("?" * len(compared))
    rows = query_rows(store, f"SELECT {select}partner, kvartal, count(*)::BIGINT, "
                             f"{cell_key_sql()} FROM reports WHERE kvartal IN ({marks}) "
                             f"AND {where} GROUP BY ALL", [*compared, *params])
    found = deliveries(store)
    wanted = set(filters.verksamhet)
    partners = {p for p, q in found if q in compared and (not wanted or p in wanted)}
    common = {p for p in partners if all((p, q) in found for q in compared)}
    n_by = len(by)
    groups: dict[tuple, np.ndarray] = {}
    for row in rows:  # per group: [all, comparison's partners] x [count, key] x quarters
        group = tuple(merged_label(b, v, disclosure) for b, v in zip(by, row[:n_by], strict=True))
        cell = groups.setdefault(group, np.zeros((2, 2, len(compared)), np.int64))
        k = compared.index(row[n_by + 1])
        cell[0, :, k] += row[-2:]
        if row[n_by] in common:
            cell[1, :, k] += row[-2:]
    now = cells[cells["kvartal"] == quarter].reset_index(drop=True)
    keys = [tuple(r) for r in now[by].itertuples(index=False)] if by else [()]
    zero = np.zeros((2, 2, len(compared)), np.int64)
    whole = np.array([groups.get(k, zero)[0, 0] for k in keys]).reshape(len(keys), -1)
    part = np.array([groups.get(k, zero)[1, 0] for k in keys]).reshape(len(keys), -1)
    part_key = np.array([groups.get(k, zero)[1, 1] for k in keys]).reshape(len(keys), -1)
    hidden = np.column_stack([_hidden_in(cells, by, keys, q) for q in compared]) \
        if keys else np.zeros((0, len(compared)), bool)
    out = now.drop(columns=[c for c in ("_exakt",) if c in now])
    first = min([q for _, q in found] + [q for q in data_span(store)[:1] if q], default=None)
    note = _change_note(bases, partners, common, first)
    now_hidden = out["undertryckt"].to_numpy(dtype=bool)
    base_hidden = hidden[:, 1:].any(axis=1) if len(keys) else np.zeros(0, bool)
    pub = np.array([[published_part(float(part[r, k]), int(part_key[r, k]),
                                    float(whole[r, k]), bool(hidden[r, k]), disclosure)
                     for k in range(len(compared))]
                    for r in range(len(keys))]).reshape(len(keys), len(compared))
    if not common:
        pub[:] = np.nan
    out["jamforelse"] = baseline_label(quarter, compare)
    out["bas"] = pd.array(pub[:, 1:].mean(axis=1) if len(keys) else [], dtype="Float64")
    out["jamfort_antal"] = pd.array(pub[:, 0] if len(keys) else [], dtype="Float64")
    out["forandring"] = out["jamfort_antal"] - out["bas"]
    out["procent"] = pd.array([(n - b) / b * 100 if pd.notna(n) and pd.notna(b)
                               and b >= signals.MIN_BASE_FOR_PERCENT else None
                               for n, b in zip(out["jamfort_antal"], out["bas"], strict=True)],
                              dtype="Float64")
    out["jamfort_antal"] = out["jamfort_antal"].round().astype("Int64")
    out["anmarkning"] = note
    out = hide_derived(out, ["bas", "forandring", "procent"], now_hidden | base_hidden)
    out = sort_by_categories(out, by)
    return out[[*by, "kvartal", "antal", "jamforelse", "bas", "forandring", "procent",
                "jamfort_antal", "anmarkning", "undertryckt", "visas"]]


def _hidden_in(cells: pd.DataFrame, by: list[str], keys: list[tuple],
               quarter: str) -> np.ndarray:
    """Whether each group's published cell of `quarter` is hidden."""
    rows = cells[cells["kvartal"] == quarter]
    hidden = dict(zip([tuple(r) for r in rows[by].itertuples(index=False)] if by else [()],
                      rows["undertryckt"].astype(bool), strict=True))
    return np.array([hidden.get(k, False) for k in keys], dtype=bool)


def _change_note(bases: list[str], partners: set[str], common: set[str],
                 data_first: str | None) -> str:
    """Why a comparison counts fewer partners, or why there is none ('' when it counts all)."""
    if data_first is None or min(bases) < data_first:
        early = [q for q in bases if data_first is None or q < data_first]
        return f"inget att jämföra med: {early[0]} är före de första uppgifterna"
    if not common:
        return "ingen verksamhet har rapporterat alla jämförda kvartal"
    left = category_order("verksamhet", sorted(partners - common))
    if not left:
        return ""
    return f"jämfört utan {join_names(left)} (har inte rapporterat alla jämförda kvartal)"


# -- 5. trend with flags and series breaks --------------------------------------------------------
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


@dataclass(frozen=True)
class SeriesView:
    """What a trend of one breakdown shows, before it becomes a table: the categories (None
    for the total), the protected quarters (the shown ones and the comparison windows before
    them), the exact counts (C, W), their protection and the flags (None for a breakdown
    without a signal panel)."""

    categories: list[str | None]
    window: list[str]
    shown: list[str]
    exact: np.ndarray
    protected: Protected
    flags: Flags | None

    @property
    def hidden(self) -> np.ndarray:
        return self.protected.hidden.reshape(self.exact.shape)


def series_view(store: Store, filters: Filters | None = None, by: str | None = None,
                disclosure: Disclosure | None = None) -> SeriesView | None:
    """The counts per quarter (and category of `by`) of the filter's period with their
    protection, and the flags of the matching signal panel (`panels.signal_panels`: the key
    figures' total for by=None, the forms, the area categories); None without quarters or
    categories. The counts are the published quarter cells of the cell-key method, over the
    shown quarters and the windows before them, so that a band is shown only where every
    count of its window is published."""
    filters = filters or Filters()
    span = data_span(store)
    shown = shown_quarters(store, filters, span)
    if not shown:
        return None
    panel_name = panel_of(by)
    panel = (signal_panels(store, role_filters(filters, disclosure)).get(panel_name)
             if panel_name else None)
    first = min(window_start(panel, shown[0]), shown[0]) if panel else shown[0]
    window = quarters_between(first, shown[-1])
    # The published quarter cells (cell-key method) over the shown quarters and the windows
    # before them; categories with a published count that is not 0.
    cells = published(store, ["kvartal", *([by] if by else [])],
                      filters.with_period(window[0], window[-1]), disclosure, with_exact=True)
    categories: list[str | None] = [None]
    if by:
        present = cells.loc[~published_zero(cells), by]
        categories = list(category_order(by, list(dict.fromkeys(present))))
    if not categories:
        return None
    cells = cells.set_index(["kvartal", by] if by else ["kvartal"])
    cells = cells.loc[[(q, c) if by else q for c in categories for q in window]]
    exact = cells["_exakt"].to_numpy(dtype=np.int64).reshape(len(categories), len(window))
    result = Protected([None if pd.isna(v) else int(v) for v in cells["antal"]],
                       cells["undertryckt"].to_numpy(dtype=bool),
                       cells["visas"].astype(object).tolist())
    flags = None
    if panel is not None:
        names = [c if by else "totalt" for c in categories]
        flags = flag_table(panel, names, window, result.hidden.reshape(exact.shape),
                           disclosure)
    return SeriesView(categories, window, shown, exact, result, flags)


def trend(store: Store, filters: Filters | None = None, by: str | None = None,
          measure: str = "antal", disclosure: Disclosure | None = None,
          codelists: Codelists | None = None) -> pd.DataFrame:
    """Per quarter (and per category of `by`), quarters without reports as 0.

    measure 'antal' or 'per10k' (per 10 000 inhabitants and year – a quarter's count times
    four – of the area for by='omrade', else of the municipality or the filtered districts).
    Columns: kvartal, [by], antal, varde (the measure), baslinje (the expected count),
    nedre_grans, ovre_grans (the range of ordinary counts; NA where a count of the window is
    hidden), signal (bool: ovanligt högt or lågt, shown only where the count is published),
    signal_text (the flag with what it is compared with, or why the quarter is not assessed),
    varaktig (a sustained increase or decrease over four quarters, or ''), utan_verksamheter
    (partners left out of the comparison), serieavbrott, ofullstandig (a partner has not
    delivered), saknade_verksamheter, [befolkning, befolkning_ar, befolkning_anm],
    undertryckt, visas. Flags come from the signal panels (`lagesbild.numbers.panels`): for
    the total, the forms and the area categories; other breakdowns get none.
    """
    if by is not None and by not in TREND_DIMENSIONS:
        raise ValueError(f"Trend kan delas upp på: {', '.join(TREND_DIMENSIONS)}.")
    if measure not in ("antal", "per10k"):
        raise ValueError("Mått för trend: antal eller per10k.")
    filters = filters or Filters()
    dims = [by] if by else []
    view = series_view(store, filters, by, disclosure)
    if view is None:
        return pd.DataFrame(columns=["kvartal", *dims, "antal", "varde", "undertryckt", "visas"])
    categories, window, shown = view.categories, view.window, view.shown
    n_cat, n_win = view.exact.shape
    keep = np.isin(np.array(window, dtype=object), shown)
    take = np.flatnonzero(np.tile(keep, n_cat))
    flat_q = np.tile(np.array(window, dtype=object), n_cat)[take]
    shown_counts = pd.array(view.protected.shown, dtype="Int64")[take]
    flat_c = np.repeat(np.array(categories, dtype=object), n_win)[take] if by else None
    flags = view.flags
    nan = np.full(n_cat * n_win, np.nan)
    empty = np.full(n_cat * n_win, "", dtype=object)
    if flags is not None:
        texts = np.array([[flags.text(r, q) or _withheld(flags.reason[r, q])
                           for q in range(n_win)] for r in range(n_cat)], dtype=object)
        lasting = np.array([[flags.sustained_text(r, q) for q in range(n_win)]
                            for r in range(n_cat)], dtype=object)
        left = np.array([[", ".join(flags.left_out[r, q]) for q in range(n_win)]
                         for r in range(n_cat)], dtype=object)
        signal = (flags.unusual != "").ravel()
        expected, lower, upper = (flags.expected.ravel(), flags.lower.ravel(),
                                  flags.upper.ravel())
    else:
        texts = lasting = left = empty.reshape(n_cat, n_win)
        signal = np.zeros(n_cat * n_win, bool)
        expected = lower = upper = nan
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
        "baslinje": expected[take],
        "nedre_grans": lower[take],
        "ovre_grans": upper[take],
        "signal": signal[take],
        "signal_text": texts.ravel()[take],
        "varaktig": lasting.ravel()[take],
        "utan_verksamheter": left.ravel()[take],
        "serieavbrott": ([marks.get((q, c), "") for q, c in zip(flat_q, flat_c, strict=True)]
                         if flat_c is not None else [""] * len(flat_q)),
        "ofullstandig": [bool(missing.get(q)) for q in flat_q],
        "saknade_verksamheter": [", ".join(missing.get(q, [])) for q in flat_q],
        "undertryckt": view.protected.hidden[take],
        "visas": np.array(view.protected.display, dtype=object)[take],
    })
    out = pd.DataFrame(data)
    extra: list[str] = []
    if measure == "per10k":
        out, extra = _per10k(store, out, by, filters)
    columns = ["kvartal", *dims, "antal", "varde", "baslinje", "nedre_grans", "ovre_grans",
               "signal", "signal_text", "varaktig", "utan_verksamheter", "serieavbrott",
               "ofullstandig", "saknade_verksamheter", *extra, "undertryckt", "visas"]
    return out[columns] if extra else out  # without extra, `data` is already in this order


def _withheld(reason: str) -> str:
    """The reason a quarter is not assessed, for signal_text ('' when it was assessed or the
    numbers are too small to flag anything)."""
    return reason if reason in signals.WITHHELD else ""


def _per10k(store: Store, out: pd.DataFrame, by: str | None, filters: Filters) \
        -> tuple[pd.DataFrame, list[str]]:
    out["ar"] = out["kvartal"].str[:4].astype(int)
    years = sorted(out["ar"].unique())
    if by == "omrade":
        population = pop.population_table(store, "omrade", years)
        out = out.merge(population, on=["omrade", "ar"], how="left", sort=False)
        lacking = out["befolkning"].isna()
        out.loc[lacking, "befolkning_anm"] = [
            pop.NOT_APPLICABLE if o in codelist_module.no_place() else pop.MISSING
            for o in out.loc[lacking, "omrade"]]
    else:
        districts = [d for d in filters.omrade if d not in codelist_module.no_place()]
        if filters.omrade and not districts:
            population = pd.DataFrame({"ar": years, "befolkning": pd.NA, "befolkning_ar": pd.NA,
                                       "befolkning_anm": pop.NOT_APPLICABLE})
        else:
            population = pop.total_population(store, years, districts)
        out = out.merge(population.drop(columns="befolkning_saknas"), on="ar", how="left",
                        sort=False)
    factor = 1e4 * 4 / out["befolkning"].astype("Float64")  # a quarter, per year
    for col in ("varde", "baslinje", "nedre_grans", "ovre_grans"):
        out[col] = out[col].astype("Float64") * factor
    out["befolkning_ar"] = out["befolkning_ar"].astype("Int64")
    out["befolkning"] = out["befolkning"].astype("Int64")
    return out, ["befolkning", "befolkning_ar", "befolkning_anm"]
