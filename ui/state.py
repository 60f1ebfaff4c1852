"""Streamlit-side state: the store (one per process), cached indicator calls, global filters.

The global filters live in `st.session_state` (widget keys `f_*`, rendered in the sidebar by
app.py on every page, so they survive page switches) and in the URL (`?fran=2025K1&till=2026K3&
omrade=Centrum,Teg&form=…&verksamhet=…&rapporttyp=…`), so a link reproduces the view. The URL is
read once per browser session; values it holds that are not valid are ignored.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from lagesbild import service as bootstrap
from lagesbild.access import policy, roles, signin
from lagesbild.charts import ChartContext, describe_filters, period_label
from lagesbild.domain import codelists, config
from lagesbild.domain.periods import (
    latest_complete_quarter,
    parse_quarter,
    quarters_between,
    shift_quarter,
)
from lagesbild.domain.text import match_key
from lagesbild.numbers.query import Filters
from lagesbild.store import Store

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
DEFAULT_QUARTERS = 8
_INIT_FLAG = "_filters_initialised"
_IGNORED = "_url_ignored"
_PERIOD_GENERATION = "_period_generation"


def widget_key(field: str) -> str:
    return f"f_{field}"


# -- the entry point -----------------------------------------------------------------------------
def ensure_entrypoint() -> None:
    """Make sure app.py (sidebar, banners, navigation) runs; call first on every page.

    With a folder called pages/ next to app.py, Streamlit starts in its old multipage mode
    until `st.navigation` has been called once in the process. A first request straight to
    a page (e.g. a bookmarked /trender after a restart) would then run the page file alone,
    without app.py. Leave that mode and run again: app.py then shows the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


# -- the store -------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> Store:
    store = bootstrap.open_for_app(path)
    try:
        from lagesbild.intake.population import ensure_population
    except ImportError:  # pragma: no cover - arrives with the indicator engine
        pass
    else:
        ensure_population(store)
    return store


def db_path() -> str:
    return str(config.database_path())


def get_store() -> Store:
    """The store of this process (opened, migrated and seeded once)."""
    return _open_store(db_path())


# -- cached indicator calls --------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=1024)
def _cached_call(path: str, version: tuple[int, int], module: str, name: str,
                 args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
    func = getattr(importlib.import_module(module), name)
    return func(_open_store(path), *args, **dict(kwargs))


def call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`func(store, *args, **kwargs)` for an engine function, cached per data version.

    The cache key is the database path, `store.data_version()`, the function and its
    arguments (Filters is a frozen dataclass; pass tuples, not lists) — never a DataFrame.
    """
    store = get_store()
    return _cached_call(db_path(), store.data_version(), func.__module__, func.__name__,
                        tuple(args), tuple(sorted(kwargs.items())))


def data_version() -> tuple[int, int]:
    return get_store().data_version()


@st.cache_data(show_spinner=False, max_entries=64)
def _store_facts(path: str, version: tuple[int, int]) -> dict[str, Any]:
    from lagesbild.numbers.indicators import data_span

    store = _open_store(path)
    first, last = data_span(store)
    return {
        "quarters": quarters_between(first, last) if first and last else [],
        "has_demo": store.has_demo_data(),
        "data_as_of": store.data_as_of(),
    }


def store_facts() -> dict[str, Any]:
    """Facts about the data for this run: quarters with reports, demo flag, data date."""
    return _store_facts(db_path(), data_version())


def has_reports() -> bool:
    return bool(store_facts()["quarters"])


def has_demo_data() -> bool:
    return bool(store_facts()["has_demo"])


def data_as_of() -> dt.datetime | None:
    return store_facts()["data_as_of"]


# -- periods -----------------------------------------------------------------------------------
def quarter_options(data_quarters: list[str]) -> list[str]:
    """Every quarter from the first with data to the last with data (gaps included)."""
    if not data_quarters:
        return []
    return quarters_between(data_quarters[0], data_quarters[-1])


def latest_quarter(data_quarters: list[str], today: dt.date | None = None) -> str | None:
    """The latest complete quarter that has data (a running quarter is not complete)."""
    complete = latest_complete_quarter(today)
    done = [q for q in data_quarters if parse_quarter(q) <= parse_quarter(complete)]
    return done[-1] if done else (data_quarters[-1] if data_quarters else None)


def default_period(data_quarters: list[str], today: dt.date | None = None) \
        -> tuple[str, str] | None:
    """The last eight complete quarters that have data."""
    last = latest_quarter(data_quarters, today)
    if last is None:
        return None
    options = quarter_options(data_quarters)
    end = options.index(last)
    return options[max(0, end - DEFAULT_QUARTERS + 1)], last


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
    quarters = quarter_options(store_facts()["quarters"])
    default = default_period(store_facts()["quarters"])
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
    chosen = sidebar.select_slider(
        "Period (kvartal)", options=quarters, value=tuple(ss[PERIOD_KEY]),
        key=f"f_period_{ss.get(_PERIOD_GENERATION, 0)}",
        help="Från och med – till och med. Standard: de senaste åtta hela kvartalen med data.")
    ss[PERIOD_KEY] = tuple(chosen)
    for field, (_param, label, placeholder) in FILTER_WIDGETS.items():
        sidebar.multiselect(label, options[field], key=widget_key(field),
                            placeholder=placeholder, persist_state="session")
    sidebar.button("Återställ urvalet", on_click=_reset, args=(default,),
                   icon=":material/restart_alt:", width="stretch")
    if ss.get(_IGNORED):
        sidebar.caption("Några värden i länken kändes inte igen och används inte: "
                        + ", ".join(ss[_IGNORED]))

    state = _session_state() or FilterState(default, {})
    _write_url(state_to_params(state))
    return filters_from_state(state)


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
        default = default_period(store_facts()["quarters"])
        return Filters(*default) if default else Filters()
    return filters_from_state(state)


def current_period(today: dt.date | None = None) -> tuple[str, str]:
    """The chosen quarter range; without one, the eight quarters up to the latest complete."""
    chosen = current_filters()
    if chosen.from_quarter and chosen.to_quarter:
        return chosen.from_quarter, chosen.to_quarter
    last = latest_complete_quarter(today)
    return shift_quarter(last, -7), last


# -- what every chart says about itself ------------------------------------------------------------
def threshold() -> int:
    return config.settings().disclosure.threshold


def disclosure() -> config.Disclosure:
    """The disclosure rule for the signed-in user's view (THE place pages get it from).

    Every role gets the rule in the dashboard; exact counts are never shown on screen."""

    user = current_user()
    if user is None:  # not signed in: pages never get this far, but never show exact counts
        return config.settings().disclosure
    return policy.disclosure_for(user) or config.settings().disclosure


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


# -- sign-in and the current user -------------------------------------------------------------
USER_KEY = "_lagesbild_user"  # the signed-in User (local accounts)
_RECORDED = "_lagesbild_sign_in_recorded"  # the name whose sign-in is in the audit log
_REFUSED = "_lagesbild_sign_in_refused"


def _secrets_have_auth() -> bool:
    """Whether Streamlit's secrets (.streamlit/secrets.toml or --secrets.files) hold [auth]."""
    try:
        return bool(st.secrets.get("auth"))
    except Exception:  # noqa: BLE001 - no secrets file at all, or one that cannot be read
        return False


def sign_in_mode() -> str:
    """"oidc" ([auth] in the secrets), "lokal" (an accounts file) or "localhost" (neither:
    the app serves only this computer)."""
    from lagesbild.access.accounts import accounts_path

    return signin.sign_in_mode(_secrets_have_auth(), accounts_path().exists())


def sign_in_configured() -> bool:
    return sign_in_mode() != "localhost"


@st.cache_resource(show_spinner=False, max_entries=4)
def _role_mapping(path: str, mtime: float) -> Any:

    return signin.load_role_mapping(path)


def role_mapping() -> Any:
    """data/roller.toml (or $LAGESBILD_ROLES), read again when the file changes."""

    path = signin.roles_path()
    mtime = path.stat().st_mtime if path.exists() else 0.0
    return _role_mapping(str(path), mtime)


def _oidc_claims() -> dict[str, Any] | None:
    try:
        if not st.user.is_logged_in:
            return None
        return st.user.to_dict()
    except Exception:  # noqa: BLE001 - st.user without a working [auth] block
        return None


def current_user() -> Any:
    """The signed-in lagesbild.access.policy.User, or None. Renders nothing (safe on any page)."""

    mode = sign_in_mode()
    if mode == "localhost":
        return signin.localhost_user()
    if mode == "oidc":
        claims = _oidc_claims()
        return None if claims is None else signin.user_from_claims(claims, role_mapping())
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, roles.User) and user.source == "lokal" else None


@st.cache_resource(show_spinner=False)
def _recorded_sign_ins() -> set[tuple[str, str]]:
    """Sign-ins already in the audit log, in this process: (name, the OIDC token's issue
    time), so that a reload or a new tab with the same sign-in is not logged again."""
    return set()


def _record_once(user: Any) -> None:

    if st.session_state.get(_RECORDED) == user.name:
        return
    st.session_state[_RECORDED] = user.name
    claims = _oidc_claims() if user.source == "oidc" else None
    key = (user.name, str((claims or {}).get("iat") or (claims or {}).get("nonce") or ""))
    seen = _recorded_sign_ins()
    if user.source == "lokal" or key in seen:  # accounts.verify logs local sign-ins itself
        return
    seen.add(key)
    policy.record_sign_in(get_store(), user)


def _sign_out_local() -> None:
    for key in (USER_KEY, _RECORDED):
        st.session_state.pop(key, None)


def signed_in_sidebar(user: Any) -> None:
    """Who is signed in and "Logga ut" (or, without sign-in, LOCALHOST_NOTE) in the sidebar."""

    mode = sign_in_mode()
    sidebar = st.sidebar
    if mode == "localhost":
        sidebar.caption(f":material/lock: {signin.LOCALHOST_NOTE}")
        return
    sidebar.caption(f":material/person: {user.shown_name} · {user.role_label}")
    if mode == "oidc":
        if sidebar.button("Logga ut", icon=":material/logout:", key="logga_ut"):
            st.session_state.pop(_RECORDED, None)
            st.logout()
    elif mode == "lokal":
        sidebar.button("Logga ut", icon=":material/logout:", key="logga_ut",
                       on_click=_sign_out_local)


def _local_form() -> None:
    from lagesbild.access import accounts

    st.title("Logga in")
    st.markdown("Logga in med ditt konto för lägesbilden. Saknar du konto eller har du "
                "glömt lösenordet? Kontakta en analytiker.")
    with st.form("logga_in", clear_on_submit=False, enter_to_submit=True):
        name = st.text_input("Användarnamn", autocomplete="username")
        password = st.text_input("Lösenord", type="password", autocomplete="current-password")
        sent = st.form_submit_button("Logga in", type="primary")
    if not sent:
        return
    if not name.strip() or not password:
        st.error("Fyll i både användarnamn och lösenord.", icon=":material/error:")
        return
    try:
        user = accounts.verify(None, name.strip(), password, store=get_store())
    except accounts.AccountLocked as locked:
        st.error(str(locked), icon=":material/lock_clock:")
        return
    if user is None:
        st.error("Fel användarnamn eller lösenord.", icon=":material/error:")
        return
    st.session_state[USER_KEY] = user
    st.session_state[_RECORDED] = user.name  # accounts.verify has logged the sign-in
    st.rerun()


def _oidc_gate() -> Any:

    claims = _oidc_claims()
    if claims is None:
        st.title("Logga in")
        st.markdown("Lägesbilden är bara för UmeBrå:s analytiker och beredningsgrupp. Logga "
                    "in med ditt konto i kommunen.")
        if st.button("Logga in", type="primary", icon=":material/login:"):
            st.login()
        return None
    try:
        user = signin.user_from_claims(claims, role_mapping())
    except ValueError as problem:  # a broken data/roller.toml
        st.error(f"**Behörigheterna kan inte läsas.** {problem}", icon=":material/error:")
        return None
    if user is None:
        identity = signin.oidc_identity(claims)
        if st.session_state.get(_REFUSED) != identity:
            st.session_state[_REFUSED] = identity
            policy.record_sign_in_refused(get_store(), identity, "ingen roll i roller.toml")
        st.title("Ingen behörighet")
        st.info(f"Du är inloggad som **{identity}**, men ditt konto har ingen roll i "
                "lägesbilden. Kontakta en analytiker på UmeBrå om du behöver tillgång.",
                icon=":material/block:")
        if st.button("Logga ut", icon=":material/logout:"):
            st.session_state.pop(_REFUSED, None)
            st.logout()
        return None
    return user


def may_serve() -> bool:
    """False in "localhost" mode when the server listens beyond this computer."""

    return sign_in_mode() != "localhost" or signin.is_loopback(st.get_option("server.address"))


def signed_in_user() -> Any:
    """The gate in app.py (renders nothing): the signed-in User, or None; app.py then offers
    only `sign_in_page`. A sign-in is written to the audit log once per session."""
    if not may_serve():
        return None
    user = current_user()
    if user is not None:
        _record_once(user)
    return user


def sign_in_page() -> None:
    """The only page while nobody is signed in: the sign-in for the mode, a polite refusal
    for an OIDC user without a role, or why the app is not shown at all."""

    mode = sign_in_mode()
    if mode == "localhost":
        st.error(
            "**Lägesbilden visas inte.** Ingen inloggning är konfigurerad, och då får "
            "lägesbilden bara visas på den här datorn. Starta den med "
            f"`--server.address {signin.LOCALHOST_ADDRESS}` eller konfigurera inloggning "
            "(se README).", icon=":material/lock:")
    elif mode == "oidc":
        _oidc_gate()
    else:
        _local_form()


def data_changed() -> None:
    """After an import or a rollback: drop cached results (they key on the data version, so
    they would not be served again anyway; this frees the memory)."""
    _cached_call.clear()
    _store_facts.clear()

