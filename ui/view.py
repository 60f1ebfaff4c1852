"""What every chart says about itself for the signed-in user: the disclosure rule (and the
role's protection), the published total of the selection, the context line (period,
filters, n, data date), and a catalogue entry's published table, cached."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild import views
from lagesbild.access import policy
from lagesbild.charts import ChartContext, describe_filters, period_label
from lagesbild.domain import config
from lagesbild.numbers.disclosure import EXACT_NOTE, NOTE
from lagesbild.numbers.events import events_for_period
from lagesbild.numbers.query import Filters
from ui import signin
from ui.state import call, data_as_of

PROTECTED_VIEW = "visa_skyddade_siffror"  # an analyst's choice: see what the group sees


def threshold() -> int:
    """The threshold of the user's view (0 with exact counts)."""
    rule = disclosure()
    return rule.threshold if rule is not None else 0


def exact() -> bool:
    """The signed-in user sees exact counts: an analyst who has not chosen protected numbers."""
    user = signin.current_user()
    return (user is not None and policy.sees_exact_counts(user)
            and not st.session_state.get(PROTECTED_VIEW, False))


def disclosure() -> config.Disclosure | None:
    """The disclosure rule for the signed-in user's view (THE place pages get it from).

    Analysts see exact counts (None), marked as such, unless they choose to see the
    protected numbers of the preparation group; every other role always gets the rule."""
    user = signin.current_user()
    if user is None:  # not signed in: pages never get this far, but never show exact counts
        return config.settings().disclosure
    return policy.disclosure_for(user, exact=exact())


def note() -> None:
    """The one note every page carries: protected numbers may deviate a little; or that the
    page shows exact counts (analysts)."""
    if exact():
        st.caption(f":material/visibility: {EXACT_NOTE}")
    else:
        st.caption(f":material/shield: {NOTE}")


def protected_view_toggle() -> None:
    """For analysts, in the sidebar: show the preparation group's protected numbers (then
    every download is protected too)."""
    user = signin.current_user()
    if user is None or not policy.sees_exact_counts(user):
        return
    st.sidebar.toggle(
        "Visa skyddade siffror", key=PROTECTED_VIEW,
        help="Visa siffrorna så som beredningsgruppen ser dem (med röjandekontroll). "
             "Nedladdningar har då skyddade siffror; med exakta antal måste du välja en "
             "intern export.")


def total(filters: Filters) -> int | None:
    """The published number of reports in the selection (None when it is hidden)."""
    from lagesbild.numbers.indicators import counts

    table = call(counts, (), filters, disclosure())
    if table.empty or table["undertryckt"].iloc[0]:
        return None
    value = table["antal"].iloc[0]
    return None if value is None or str(value) == "<NA>" else int(value)


def chart_context(filters: Filters, n: int | None | bool = True, *,
                  first: str | None = None, last: str | None = None) -> ChartContext:
    """Period, active filters, n and the data date for a chart's title and source line.

    n=True: the published number of reports in `filters`; an int: that number; None: no n.
    """
    if n is True:
        n = total(filters)
    return ChartContext(
        period=period_label(first or filters.from_quarter, last or filters.to_quarter),
        filters=describe_filters(filters), n=n, data_as_of=data_as_of(),
        threshold=threshold(),
    )


def protection() -> views.Protection:
    """The signed-in user's protection: disclosure rule and merged categories."""
    return views.protection_for(disclosure())


def published(entry: views.Entry, filters: Filters) -> pd.DataFrame:
    """The entry's published table for the user, its indicator call cached per data version
    (entries with the same call share it)."""
    call_ = entry.source(filters, protection())
    return entry.shape(call(call_.func, *call_.args, **dict(call_.kwargs)))


def context(filters: Filters, *, events: bool = False, focus: str = "") -> views.Context:
    """A figure's context on screen; with `events` the context events of the period."""
    marked = tuple(call(events_for_period, filters.from_quarter, filters.to_quarter)) \
        if events else ()
    return views.Context(chart=chart_context(filters), events=marked, focus=focus)
