"""The two-year activity plan: activities, their history, what is overdue, the progress.

An activity has a goal, an area of the action plan, an owner (an organisational unit from the
code list `enhet`, never a person), a start and a due quarter (2026K3) and a status (Planerad,
Pågår, Klar, Stoppad). The plan is maintained as a spreadsheet (see `imports`) or edited in
the app; either way every change is a new version with who and when, and can be rolled back.
An activity is overdue when its due quarter has ended and its status is neither Klar nor
Stoppad.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from lagesbild.domain.contracts import ACTIVITY, contract
from lagesbild.domain.periods import parse_quarter, quarter_end, quarter_of, quarters_between
from lagesbild.store import Store
from lagesbild.store.schema import ACTIVITIES, ACTIVITY_COLUMNS

PLANNED, ONGOING, DONE, STOPPED = "Planerad", "Pågår", "Klar", "Stoppad"
STATUSES = (PLANNED, ONGOING, DONE, STOPPED)
CLOSED = (DONE, STOPPED)
OVERDUE = "Försenad"
LATE_START = "Borde ha startat"
ON_TRACK = "Enligt plan"
EDITABLE = ACTIVITY_COLUMNS[:-1]  # every column but `borttagen`


def is_overdue(due_quarter: str, status: str, today: dt.date) -> bool:
    """The due quarter has ended before `today` and the activity is not Klar or Stoppad."""
    return status not in CLOSED and quarter_end(due_quarter) < today


def is_late_start(start_quarter: str, status: str, today: dt.date) -> bool:
    """Still Planerad although its start quarter has ended."""
    return status == PLANNED and quarter_end(start_quarter) < today


def time_status(row: dict[str, object] | pd.Series, today: dt.date) -> str:
    status = str(row["status"])
    if status in CLOSED:
        return status
    if is_overdue(str(row["klart_kvartal"]), status, today):
        return OVERDUE
    if is_late_start(str(row["start_kvartal"]), status, today):
        return LATE_START
    return ON_TRACK


# -- reading ------------------------------------------------------------------------------------
def current_activities(store: Store, include_removed: bool = False) -> pd.DataFrame:
    """The current activities (columns of the plan + andrad, andrad_av, kalla, demo)."""
    return store.current_rows(ACTIVITIES, include_removed)


def activity_history(store: Store, aktivitet_id: str | None = None) -> pd.DataFrame:
    """Every version of one activity (or all), newest first, with who and when."""
    return store.history(ACTIVITIES, {"aktivitet_id": aktivitet_id} if aktivitet_id else None)


def plan_status(store: Store, today: dt.date | None = None) -> pd.DataFrame:
    """The current activities with `forsenad` (bool) and `lage` (Försenad, Borde ha startat,
    Enligt plan, Klar, Stoppad), ordered by due quarter."""
    today = today or dt.date.today()
    frame = current_activities(store)
    if frame.empty:
        return frame.assign(forsenad=pd.Series(dtype=bool), lage=pd.Series(dtype=object))
    frame["forsenad"] = [is_overdue(d, s, today)
                         for d, s in zip(frame["klart_kvartal"], frame["status"], strict=True)]
    frame["lage"] = [time_status(r, today) for _, r in frame.iterrows()]
    order = frame["klart_kvartal"].map(parse_quarter)
    return frame.assign(_o=order).sort_values(["_o", "aktivitet_id"]).drop(columns="_o") \
        .reset_index(drop=True)


def overdue(store: Store, today: dt.date | None = None) -> pd.DataFrame:
    frame = plan_status(store, today)
    return frame[frame["forsenad"]].reset_index(drop=True)


@dataclass(frozen=True)
class PlanProgress:
    """Where the plan stands on a given day."""

    first: str | None  # the plan period: first start quarter …
    last: str | None  # … last due quarter
    today_quarter: str
    total: int  # activities in the plan (removed ones not counted)
    by_status: dict[str, int]
    due_by_now: int  # activities whose due quarter has ended
    done_of_due: int  # … of which Klar
    overdue: int
    late_start: int
    elapsed_share: float | None  # share of the plan period's quarters that have ended (0–1)
    done_share: float | None  # Klar / (total − Stoppad)

    def sentence(self) -> str:
        """The progress in one Swedish sentence."""
        if not self.total:
            return "Aktivitetsplanen är tom."
        done = self.by_status.get(DONE, 0)
        text = (f"{done} av {self.total} aktiviteter är klara"
                + (f", {self.by_status.get(STOPPED, 0)} stoppade"
                   if self.by_status.get(STOPPED) else "")
                + f". {self.due_by_now} skulle enligt planen vara klara nu, och av dem är "
                  f"{self.done_of_due} klara.")
        if self.overdue:
            text += f" {self.overdue} {'är försenad' if self.overdue == 1 else 'är försenade'}."
        if self.elapsed_share is not None:
            text += (f" {int(100 * self.elapsed_share + 0.5)} % av planperioden {self.first}–"
                     f"{self.last} har gått.")
        return text


def plan_progress(store: Store, today: dt.date | None = None, first: str | None = None,
                  last: str | None = None) -> PlanProgress:
    """Progress against the plan: status counts, what should be done by now, what is overdue.

    The plan period is `first`–`last`, by default the first start and last due quarter.
    """
    today = today or dt.date.today()
    frame = plan_status(store, today)
    if frame.empty:
        return PlanProgress(first, last, quarter_of(today), 0, dict.fromkeys(STATUSES, 0), 0,
                            0, 0, 0, None, None)
    first = first or min(frame["start_kvartal"], key=parse_quarter)
    last = last or max(frame["klart_kvartal"], key=parse_quarter)
    by_status = {s: int((frame["status"] == s).sum()) for s in STATUSES}
    ended = [quarter_end(q) < today for q in frame["klart_kvartal"]]
    due = frame[ended]
    quarters = quarters_between(first, last)
    elapsed = sum(quarter_end(q) < today for q in quarters) / len(quarters) if quarters else None
    active = len(frame) - by_status[STOPPED]
    return PlanProgress(
        first, last, quarter_of(today), len(frame), by_status, len(due),
        int((due["status"] == DONE).sum()), int(frame["forsenad"].sum()),
        int((frame["lage"] == LATE_START).sum()), elapsed,
        by_status[DONE] / active if active else None,
    )


def progress_by_area(store: Store, today: dt.date | None = None) -> pd.DataFrame:
    """Per area of the action plan: activities per status and overdue ones."""
    frame = plan_status(store, today)
    areas = contract(ACTIVITY).codelist("omrade").values
    rows = []
    for area in areas:
        part = frame[frame["omrade"] == area] if not frame.empty else frame
        if part.empty:
            continue
        rows.append({"omrade": area, "aktiviteter": len(part),
                     **{s: int((part["status"] == s).sum()) for s in STATUSES},
                     OVERDUE: int(part["forsenad"].sum())})
    return pd.DataFrame(rows, columns=["omrade", "aktiviteter", *STATUSES, OVERDUE])
