"""The global filters: in `st.session_state` (widget keys `f_*`, rendered in the sidebar by
app.py on every page, so they survive page switches) and in the URL (`?fran=2025K1&till=2026K3&
omrade=Centrum,Teg&form=…&verksamhet=…&rapporttyp=…`), so a link reproduces the view. The URL is
read once per browser session; values it holds that are not valid are ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from lagesbild.domain import codelists, periods
from lagesbild.domain.periods import (
    latest_complete_quarter,
    parse_quarter,
    quarters_between,
    shift_quarter,
)
from lagesbild.domain.text import literal_markdown, match_key
from lagesbild.numbers.query import Filters
from ui import state as app_state

# Filter field -> (URL parameter, widget label, placeholder)
FILTER_WIDGETS: dict[str, tuple[str, str, str]] = {
    "omrade": ("omrade", "Område", "Alla områden"),
    "form": ("form", "Form av extremism", "Alla former"),
    "verksamhet": ("verksamhet", "Rapporterande verksamhet", "Alla verksamheter"),
    "rapporttyp": ("rapporttyp", "Rapporttyp", "Incident och oro"),
}
PERIOD_KEY = "f_period"  # the chosen period (not a widget key: see _set_period)
URL_FROM, URL_TO = "fran", "till"
URL_KEYS = (URL_FROM, URL_TO, *(w[0] for w in FILTER_WIDGETS.values()))
_INIT_FLAG = "_filters_initialised"
_IGNORED = "_url_ignored"
_PERIOD_GENERATION = "_period_generation"


def widget_key(field: str) -> str:
    return f"f_{field}"


# -- periods -----------------------------------------------------------------------------------
def quarter_options(data_quarters: list[str]) -> list[str]:
    """Every quarter from the first with data to the last with data (gaps included)."""
    if not data_quarters:
        return []
    return quarters_between(data_quarters[0], data_quarters[-1])


def default_period(data_quarters: list[str], today: dt.date | None = None) \
        -> tuple[str, str] | None:
    """The last eight complete quarters that have data (`periods.default_period`)."""
    if not data_quarters:
        return None
    return periods.default_period(data_quarters[0], data_quarters[-1], today)


# -- URL <-> filter state ------------------------------------------------------------------------
@dataclass(frozen=True)
class FilterState:
    period: tuple[str, str]
    values: dict[str, tuple[str, ...]]
    ignored: tuple[str, ...] = ()


def filter_options() -> dict[str, list[str]]:
    lists = codelists.load()
    return {field: lists.for_field(field).values for field in FILTER_WIDGETS}


def _split(raw: object) -> list[str]:
    items = raw if isinstance(raw, list | tuple) else [raw]
    out: list[str] = []
    for item in items:
        out.extend(p.strip() for p in str(item).split(",") if p.strip())
    return out


def parse_params(params: Mapping[str, object], quarters: list[str],
                 options: Mapping[str, list[str]], default: tuple[str, str]) -> FilterState:
    """Filter state from URL parameters; anything invalid falls back to the default."""
    ignored: list[str] = []

    def quarter(key: str, fallback: str) -> str:
        raw = params.get(key)
        if raw is None or raw == "":
            return fallback
        text = str(raw[-1] if isinstance(raw, list | tuple) else raw).strip().upper()
        try:
            year, q = parse_quarter(text)
        except ValueError:
            ignored.append(f"{key}={raw}")
            return fallback
        label = f"{year}K{q}"
        if label not in quarters:
            ignored.append(f"{key}={raw}")
            return fallback
        return label

    first, last = quarter(URL_FROM, default[0]), quarter(URL_TO, default[1])
    if quarters.index(first) > quarters.index(last):
        first, last = last, first
    values: dict[str, tuple[str, ...]] = {}
    for field, (param, _label, _ph) in FILTER_WIDGETS.items():
        valid = {match_key(v): v for v in options[field]}
        chosen: list[str] = []
        for item in _split(params.get(param, [])):
            hit = valid.get(match_key(item))
            if hit is None:
                ignored.append(f"{param}={item}")
            elif hit not in chosen:
                chosen.append(hit)
        values[field] = tuple(chosen)
    return FilterState((first, last), values, tuple(ignored))


def state_to_params(state: FilterState) -> dict[str, str]:
    """URL parameters for a filter state (the period always; other filters when used)."""
    params = {URL_FROM: state.period[0], URL_TO: state.period[1]}
    for field, (param, _label, _ph) in FILTER_WIDGETS.items():
        if state.values.get(field):
            params[param] = ",".join(state.values[field])
    return params


def filters_from_state(state: FilterState) -> Filters:
    """THE one place where the dashboard's Filters are built."""
    return Filters(from_quarter=state.period[0], to_quarter=state.period[1],
                   **{field: tuple(state.values.get(field, ())) for field in FILTER_WIDGETS})


# -- the sidebar --------------------------------------------------------------------------------
def _set_period(period: tuple[str, str]) -> None:
    """Set the period programmatically: a new generation of the slider starts from it (the
    slider is never written through the Session State API, so it stays a range slider)."""
    st.session_state[PERIOD_KEY] = tuple(period)
    st.session_state[_PERIOD_GENERATION] = st.session_state.get(_PERIOD_GENERATION, 0) + 1


def _reset(default: tuple[str, str]) -> None:
    _set_period(default)
    for field in FILTER_WIDGETS:
        st.session_state[widget_key(field)] = []


def _session_state() -> FilterState | None:
    ss = st.session_state
    if PERIOD_KEY not in ss:
        return None
    period = tuple(ss[PERIOD_KEY])
    return FilterState(period, {f: tuple(ss.get(widget_key(f)) or ()) for f in FILTER_WIDGETS})


def sidebar_filters() -> Filters:
    """Render the global filters in the sidebar and return them as a query.Filters."""
    quarters = quarter_options(app_state.store_facts()["quarters"])
    default = default_period(app_state.store_facts()["quarters"])
    if not quarters or default is None:
        return Filters()
    options = filter_options()
    ss = st.session_state
    if not ss.get(_INIT_FLAG):
        parsed = parse_params(st.query_params.to_dict() | _multi_params(), quarters, options,
                              default)
        _set_period(parsed.period)
        for field in FILTER_WIDGETS:
            ss[widget_key(field)] = list(parsed.values[field])
        ss[_INIT_FLAG] = True
        ss[_IGNORED] = parsed.ignored
    else:  # the data may have changed under a running session
        period = tuple(ss.get(PERIOD_KEY) or ())
        if len(period) != 2 or any(q not in quarters for q in period):
            _set_period(default)
        for field in FILTER_WIDGETS:
            key = widget_key(field)
            ss[key] = [v for v in ss.get(key) or [] if v in options[field]]
        ss[_IGNORED] = ()

    sidebar = st.sidebar
    sidebar.markdown("**Urval**")
    chosen = period_slider(
        sidebar, quarters, tuple(ss[PERIOD_KEY]), key=f"f_period_{ss.get(_PERIOD_GENERATION, 0)}",
        help="Från och med – till och med. Standard: de senaste åtta hela kvartalen med data.")
    ss[PERIOD_KEY] = tuple(chosen)
    for field, (_param, label, placeholder) in FILTER_WIDGETS.items():
        sidebar.multiselect(label, options[field], key=widget_key(field),
                            placeholder=placeholder, persist_state="session")
    sidebar.button("Återställ urvalet", on_click=_reset, args=(default,),
                   icon=":material/restart_alt:", width="stretch")
    if ss.get(_IGNORED):
        sidebar.caption("Några värden i länken kändes inte igen och används inte: "
                        + ", ".join(literal_markdown(v) for v in ss[_IGNORED]))

    chosen_state = _session_state() or FilterState(default, {})
    _write_url(state_to_params(chosen_state))
    return filters_from_state(chosen_state)


def period_slider(where: Any, quarters: list[str], value: tuple[str, str], *, key: str,
                  help: str) -> tuple[str, str]:  # noqa: A002 - as Streamlit names it
    """The period choice (from – to, in quarters). With a single quarter there is nothing to
    choose, and a slider with one stop reads oddly: the quarter is written out instead."""
    if len(quarters) == 1:
        where.markdown(f"Period (kvartal): **{quarters[0]}**")
        where.caption("Data finns bara för ett kvartal, så perioden kan inte ändras.")
        return (quarters[0], quarters[0])
    first, last = where.select_slider("Period (kvartal)", options=quarters, value=value,
                                      key=key, help=help)
    return (str(first), str(last))


def _multi_params() -> dict[str, list[str]]:
    """Repeated URL parameters (?omrade=A&omrade=B) as lists."""
    out: dict[str, list[str]] = {}
    for key in URL_KEYS:
        values = st.query_params.get_all(key)
        if len(values) > 1:
            out[key] = values
    return out


def _write_url(params: dict[str, str]) -> None:
    current = {k: st.query_params.get(k) for k in URL_KEYS if k in st.query_params}
    if current == params and all(len(st.query_params.get_all(k)) == 1 for k in params):
        return
    for key in URL_KEYS:
        if key in params:
            st.query_params[key] = params[key]
        elif key in st.query_params:
            del st.query_params[key]


def current_filters() -> Filters:
    """The global filters as the sidebar left them in this run (for pages)."""
    state = _session_state()
    if state is None:
        default = default_period(app_state.store_facts()["quarters"])
        return Filters(*default) if default else Filters()
    return filters_from_state(state)


def current_period(today: dt.date | None = None) -> tuple[str, str]:
    """The chosen quarter range; without one, the eight quarters up to the latest complete."""
    chosen = current_filters()
    if chosen.from_quarter and chosen.to_quarter:
        return chosen.from_quarter, chosen.to_quarter
    last = latest_complete_quarter(today)
    return shift_quarter(last, -7), last
