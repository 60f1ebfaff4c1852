"""Indicators of the follow-up: training reach, and concern reports beside training reach.

Training participants are counts of professionals at trainings, not of individuals at risk:
they need no disclosure control. Counts of reports do: the concern reports per sector go
through `lagesbild.numbers.indicators.counts` with the caller's `Disclosure`, and every figure
derived from a hidden count is hidden too.
"""

from __future__ import annotations

import pandas as pd

from lagesbild.domain.codelists import load
from lagesbild.domain.config import Disclosure
from lagesbild.domain.periods import quarters_between
from lagesbild.numbers.query import Filters, period_clauses
from lagesbild.numbers.tables import counts  # with the indicators' disclosure control
from lagesbild.store import Store

CONCERN = "Oro"
# A sector "reports many concerns" when it has at least this share (%) of the period's concern
# reports; it "has had little training" when its share of the training participants is less
# than half its share of the concern reports.
MANY_CONCERNS_SHARE = 10.0
LITTLE_TRAINING_RATIO = 0.5
GAP_TEXT = "Många orosrapporter, lite utbildning"
TRAINING_DIMENSIONS = {"kvartal": "kvartal", "ar": "year(datum)", "malgrupp": "malgrupp",
                       "typ": "typ", "tema": "tema"}


def training_span(store: Store) -> tuple[str | None, str | None]:
    """First and last quarter with a current training."""
    first, last = store.cursor().execute(
        "SELECT min(kvartal), max(kvartal) FROM trainings").fetchall()[0]
    return first, last


def _period_where(first: str | None, last: str | None) -> tuple[str, list[object]]:
    clauses, params = period_clauses(first, last)
    return " AND ".join(["true", *clauses]), params


def trainings(store: Store, first: str | None = None, last: str | None = None,
              by: tuple[str, ...] = ("kvartal", "malgrupp")) -> pd.DataFrame:
    """Efforts and participants by any of kvartal, ar, malgrupp, typ, tema.

    Columns: by…, insatser, deltagare, kvinnor, man (kvinnor/man: the sum of what was given;
    `kon_angivet` is the number of participants at efforts where both were given)."""
    unknown = [b for b in by if b not in TRAINING_DIMENSIONS]
    if unknown:
        raise ValueError(f"Okänd indelning: {', '.join(unknown)}. Välj bland: "
                         f"{', '.join(TRAINING_DIMENSIONS)}.")
    where, params = _period_where(first, last)
    select = "".join(f"{TRAINING_DIMENSIONS[b]} AS {b}, " for b in by)
    group = f"GROUP BY {', '.join(by)} ORDER BY {', '.join(by)}" if by else ""
    frame = store.cursor().execute(
        f"""SELECT {select} count(*) AS insatser, sum(antal_deltagare) AS deltagare,
                   sum(varav_kvinnor) AS kvinnor, sum(varav_man) AS man,
                   sum(antal_deltagare) FILTER (WHERE varav_kvinnor IS NOT NULL
                                                AND varav_man IS NOT NULL) AS kon_angivet
            FROM trainings WHERE {where} {group}""", params).df()
    for column in ("insatser", "deltagare", "kvinnor", "man", "kon_angivet"):
        frame[column] = frame[column].astype("Int64")
    if not by:
        frame = frame.fillna({"insatser": 0, "deltagare": 0})
    return frame


def trainings_per_quarter(store: Store, first: str, last: str,
                          by: str | None = "malgrupp") -> pd.DataFrame:
    """Efforts and participants per quarter (and `by`), every quarter of the period
    present (0 when nothing happened). Columns: kvartal, [by], insatser, deltagare."""
    quarters = quarters_between(first, last)
    frame = trainings(store, first, last, ("kvartal", by) if by else ("kvartal",))
    if by is None:
        grid = pd.DataFrame({"kvartal": quarters})
        keys = ["kvartal"]
    else:
        values = list(dict.fromkeys(frame[by])) if not frame.empty else []
        order = [v for v in _code_values(by) if v in values] + [
            v for v in values if v not in _code_values(by)]
        grid = pd.MultiIndex.from_product([quarters, order], names=["kvartal", by]) \
            .to_frame(index=False)
        keys = ["kvartal", by]
    out = grid.merge(frame[[*keys, "insatser", "deltagare"]], on=keys, how="left")
    out[["insatser", "deltagare"]] = out[["insatser", "deltagare"]].fillna(0).astype("Int64")
    return out


def _code_values(dimension: str) -> list[str]:
    name = {"malgrupp": "verksamhet", "typ": "insatstyp", "tema": "tema"}.get(dimension)
    lists = load().lists
    return lists[name].values if name in lists else []


def quarter_summary(store: Store, quarter: str) -> dict[str, object]:
    """What was done in one quarter: efforts, participants, sectors reached, types."""
    total = trainings(store, quarter, quarter, ())
    sectors = trainings(store, quarter, quarter, ("malgrupp",))
    types = trainings(store, quarter, quarter, ("typ",))
    return {
        "kvartal": quarter,
        "insatser": int(total["insatser"].iloc[0]) if len(total) else 0,
        "deltagare": int(total["deltagare"].iloc[0]) if len(total) else 0,
        "verksamheter": [s for s in _code_values("malgrupp") if s in set(sectors["malgrupp"])],
        "per_typ": dict(zip(types["typ"], types["insatser"].astype(int), strict=True)),
    }


def concern_vs_training(store: Store, first: str | None, last: str | None,
                        disclosure: Disclosure | None) -> pd.DataFrame:
    """Per sector: concern reports (type Oro, disclosure-controlled) beside training reach in
    the same period, and which sectors report many concerns but have had little training.

    Columns: verksamhet, oro (Int64, <NA> if hidden), oro_visas, oro_undertryckt, oro_andel
    (% of all concern reports), insatser, deltagare, deltagar_andel (% of all participants),
    deltagare_per_oro, lite_utbildning (bool), bedomning (Swedish text or ''). Sectors in
    code-list order; a sector with neither concerns nor trainings is left out.
    """
    filters = Filters(first, last, rapporttyp=(CONCERN,))
    concerns = counts(store, ["verksamhet"], filters, disclosure)
    concerns = concerns.rename(columns={"antal": "oro", "visas": "oro_visas",
                                        "undertryckt": "oro_undertryckt"})
    reach = trainings(store, first, last, ("malgrupp",)).rename(columns={"malgrupp":
                                                                         "verksamhet"})
    frame = concerns[["verksamhet", "oro", "oro_visas", "oro_undertryckt"]].merge(
        reach[["verksamhet", "insatser", "deltagare"]], on="verksamhet", how="outer")
    frame = frame[frame["verksamhet"].astype(str) != "Totalt"]
    order = _code_values("malgrupp")
    frame["_o"] = frame["verksamhet"].map(lambda v: order.index(v) if v in order else len(order))
    frame = frame.sort_values(["_o", "verksamhet"]).drop(columns="_o").reset_index(drop=True)
    no_concerns = frame["oro_visas"].isna()
    frame["oro"] = frame["oro"].astype("Int64").mask(no_concerns, 0)
    frame["oro_visas"] = frame["oro_visas"].astype(object).where(~no_concerns, "0")
    frame["oro_undertryckt"] = frame["oro_undertryckt"].astype("boolean").fillna(False) \
        .astype(bool)
    frame[["insatser", "deltagare"]] = frame[["insatser", "deltagare"]].fillna(0) \
        .astype("Int64")
    total_concerns = _total_concerns(store, filters, disclosure)
    total_participants = int(frame["deltagare"].sum())
    hidden = frame["oro_undertryckt"].to_numpy()
    oro = frame["oro"].astype("Float64")
    frame["oro_andel"] = (100 * oro / total_concerns if total_concerns else oro * pd.NA) \
        .round(1)
    frame["deltagar_andel"] = (
        100 * frame["deltagare"].astype("Float64") / total_participants
        if total_participants else frame["deltagare"].astype("Float64") * 0).round(1)
    frame["deltagare_per_oro"] = (frame["deltagare"].astype("Float64")
                                  / oro.where(oro > 0)).round(1)
    frame.loc[hidden, ["oro_andel", "deltagare_per_oro"]] = pd.NA
    many = frame["oro_andel"].fillna(0) >= MANY_CONCERNS_SHARE
    little = frame["deltagar_andel"] < LITTLE_TRAINING_RATIO * frame["oro_andel"].fillna(0)
    frame["lite_utbildning"] = (many & little).astype(bool)
    frame["bedomning"] = [GAP_TEXT if flag else "" for flag in frame["lite_utbildning"]]
    return frame


def _total_concerns(store: Store, filters: Filters, disclosure: Disclosure | None) -> int:
    total = counts(store, [], filters, disclosure)
    if total.empty or bool(total["undertryckt"].iloc[0]):
        return 0
    value = total["antal"].iloc[0]
    return 0 if pd.isna(value) else int(value)
