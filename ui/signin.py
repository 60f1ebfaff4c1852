"""Sign-in and the current user, in each of the three sign-in modes (see
`lagesbild.access.signin`): OIDC through `st.login`, local accounts through a form, or
localhost (one person on this computer, as the analyst).

A session is checked again on every run (`signed_in_user`, the gate in dashboard.py): a local
account that was removed, locked or changed (role, password) ends the session, an OIDC user's
role is looked up again in data/roller.toml, and after `inaktiv_minuter` (data/installningar.toml)
without use the user is signed out, by a small fragment that checks every minute even when
nobody clicks. The request guard in front of the app (lagesbild.service.guard) hands every
session the visitor's address, which the sign-in throttle counts per.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from lagesbild.access import accounts, policy, roles, signin
from lagesbild.domain import config
from lagesbild.domain.text import literal_markdown
from lagesbild.service.guard import CLIENT_HEADER, MODE_HEADER, PROXY
from ui import state
from ui.mode import sign_in_mode

# -- sign-in and the current user -------------------------------------------------------------
USER_KEY = "_lagesbild_user"  # the signed-in User (local accounts)
_ACCOUNT = "_lagesbild_account_key"  # accounts.session_key at the sign-in (local accounts)
_LAST_SEEN = "_lagesbild_last_seen"  # time.monotonic() of the session's last interaction
_NOTICE = "_lagesbild_sign_out_notice"  # why the session was signed out, for the sign-in page
_RECORDED = "_lagesbild_sign_in_recorded"  # the name whose sign-in is in the audit log
_REFUSED = "_lagesbild_sign_in_refused"
IDLE_NOTICE = "Du har loggats ut eftersom lägesbilden inte har använts på {minutes}. Logga in igen."
CHANGED_NOTICE = ("Du har loggats ut eftersom ditt konto har ändrats, spärrats eller tagits bort. "
                  "Logga in igen eller kontakta en analytiker.")
clock = time.monotonic  # tests may replace it


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


def client_address() -> str | None:
    """The visitor's address as the request guard saw it (None without the guard: AppTest)."""
    return st.context.headers.get(CLIENT_HEADER)


def current_user() -> Any:
    """The signed-in lagesbild.access.policy.User, or None. Renders nothing (safe on any page).

    A local account counts only while it is unchanged since the sign-in."""

    mode = sign_in_mode()
    if mode == "localhost":
        return signin.localhost_user()
    if mode == "oidc":
        claims = _oidc_claims()
        return None if claims is None else signin.user_from_claims(claims, role_mapping())
    user = st.session_state.get(USER_KEY)
    if not isinstance(user, roles.User) or user.source != "lokal":
        return None
    if accounts.session_key(None, user.name) != st.session_state.get(_ACCOUNT):
        return None
    return user


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
    policy.record_sign_in(state.get_store(), user)


def _forget_session() -> None:
    for key in (USER_KEY, _ACCOUNT, _RECORDED, _LAST_SEEN):
        st.session_state.pop(key, None)


def _sign_out(notice: str | None = None) -> None:
    """End the session's sign-in (OIDC: also the identity cookie, through st.logout)."""
    _forget_session()
    if notice:
        st.session_state[_NOTICE] = notice
    if sign_in_mode() == "oidc":
        st.logout()


def idle_seconds() -> float:
    return config.settings().sign_in.idle_minutes * 60


def _idle_for() -> float:
    last = st.session_state.get(_LAST_SEEN)
    return 0.0 if last is None else clock() - float(last)


def _minutes_text() -> str:
    minutes = config.settings().sign_in.idle_minutes
    if minutes >= 1 and float(minutes).is_integer():
        return f"{int(minutes)} {'minut' if minutes == 1 else 'minuter'}"
    return f"{round(minutes * 60)} sekunder"


def idle_watch() -> None:
    """Sign out an idle session even while nobody clicks: a fragment that reruns by itself
    (without counting as use) and reruns the whole app once the idle time has passed."""
    seconds = idle_seconds()

    @st.fragment(run_every=max(2.0, min(60.0, seconds / 4)))
    def watch() -> None:
        if _LAST_SEEN in st.session_state and _idle_for() > seconds:
            st.rerun(scope="app")

    with st.sidebar:
        watch()


def signed_in_sidebar(user: Any) -> None:
    """Who is signed in and "Logga ut" (or, without sign-in, LOCALHOST_NOTE) in the sidebar."""

    mode = sign_in_mode()
    sidebar = st.sidebar
    if mode == "localhost":
        sidebar.caption(f":material/lock: {signin.LOCALHOST_NOTE}")
        return
    sidebar.caption(f":material/person: {literal_markdown(user.shown_name)} · {user.role_label}")
    if mode == "oidc":
        if sidebar.button("Logga ut", icon=":material/logout:", key="logga_ut"):
            st.session_state.pop(_RECORDED, None)
            st.logout()
    elif mode == "lokal":
        sidebar.button("Logga ut", icon=":material/logout:", key="logga_ut",
                       on_click=_forget_session)
    idle_watch()


def _local_form() -> None:

    st.title("Logga in")
    st.markdown("Logga in med ditt konto för lägesbilden. Saknar du konto eller har du "
                "glömt lösenordet? Kontakta en analytiker.")
    with st.form("logga_in", clear_on_submit=False, enter_to_submit=True):
        name = st.text_input("Användarnamn", autocomplete="username", max_chars=64)
        password = st.text_input("Lösenord", type="password", autocomplete="current-password",
                                 max_chars=accounts.MAX_PASSWORD)
        sent = st.form_submit_button("Logga in", type="primary")
    if not sent:
        return
    if not name.strip() or not password:
        st.error("Fyll i både användarnamn och lösenord.", icon=":material/error:")
        return
    try:
        user = accounts.verify(None, name.strip(), password, store=state.get_store(),
                               address=client_address())
    except accounts.AccountLocked as locked:
        st.error(str(locked), icon=":material/lock_clock:")
        return
    except (accounts.AccountDisabled, accounts.SignInBusy) as refused:
        st.error(str(refused), icon=":material/block:")
        return
    if user is None:
        st.error("Fel användarnamn eller lösenord.", icon=":material/error:")
        return
    st.session_state[USER_KEY] = user
    st.session_state[_ACCOUNT] = accounts.session_key(None, user.name)
    st.session_state[_LAST_SEEN] = clock()
    st.session_state[_RECORDED] = user.name  # accounts.verify has logged the sign-in
    st.session_state.pop(_NOTICE, None)
    st.rerun()


def _oidc_gate() -> Any:

    claims = _oidc_claims()
    if claims is None:
        st.title("Logga in")
        st.markdown("Lägesbilden är bara för UmeBrå:s analytiker och beredningsgrupp. Logga "
                    "in med ditt konto i kommunen.")
        if st.button("Logga in", type="primary", icon=":material/login:"):
            st.session_state.pop(_NOTICE, None)
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
            policy.record_sign_in_refused(state.get_store(), identity, "ingen roll i roller.toml")
        st.title("Ingen behörighet")
        st.info(f"Du är inloggad som **{literal_markdown(identity)}**, men ditt konto har "
                "ingen roll i lägesbilden. Kontakta en analytiker på UmeBrå om du behöver "
                "tillgång.",
                icon=":material/block:")
        if st.button("Logga ut", icon=":material/logout:"):
            st.session_state.pop(_REFUSED, None)
            st.logout()
        return None
    return user


def request_path_problem() -> str | None:
    """Why this session must not be served, judged from what the request guard told it
    (nothing when there was no HTTP request at all, as in AppTest)."""
    headers = st.context.headers
    if not headers:
        return None
    guard_mode = headers.get(MODE_HEADER)
    if guard_mode is None:
        return ("**Lägesbilden visas inte.** Den är startad utan sitt skydd för förfrågningar. "
                "Starta den med `streamlit run app.py` (eller `make run`), inte med "
                "dashboard.py.")
    if guard_mode == PROXY and sign_in_mode() == "localhost":
        return ("**Lägesbilden visas inte.** Inloggningen har tagits bort sedan tjänsten "
                "startade. Starta om tjänsten, så att den bara visas på den här datorn, eller "
                "lägg tillbaka inloggningen.")
    return None


def may_serve() -> bool:
    """False in "localhost" mode when the server listens beyond this computer, and whenever
    the request did not come through the request guard as the sign-in mode needs."""

    if request_path_problem() is not None:
        return False
    return sign_in_mode() != "localhost" or signin.is_loopback(st.get_option("server.address"))


def signed_in_user() -> Any:
    """The gate in dashboard.py (renders nothing): the signed-in User, or None; dashboard.py
    then offers only `sign_in_page`. Every run checks the session again (see the module's
    docstring). A sign-in is written to the audit log once per session."""
    if not may_serve():
        return None
    mode = sign_in_mode()
    had_local_user = USER_KEY in st.session_state
    user = current_user()
    if mode == "lokal" and user is None and had_local_user:
        _sign_out(CHANGED_NOTICE)
        return None
    if user is None:
        return None
    if mode != "localhost":
        if _idle_for() > idle_seconds():
            _sign_out(IDLE_NOTICE.format(minutes=_minutes_text()))
            return None
        st.session_state[_LAST_SEEN] = clock()
    _record_once(user)
    return user


def start_page_note() -> None:
    """On the start page in "localhost" mode: who the dashboard is for."""
    if sign_in_mode() == "localhost":
        st.info(f"**En person, en dator.** {signin.LOCALHOST_NOTE}", icon=":material/computer:")


def sign_in_page() -> None:
    """The only page while nobody is signed in: the sign-in for the mode, a polite refusal
    for an OIDC user without a role, or why the app is not shown at all."""

    problem = request_path_problem()
    if problem is not None:
        st.error(problem, icon=":material/lock:")
        return
    mode = sign_in_mode()
    if mode == "localhost":
        st.error(
            "**Lägesbilden visas inte.** Ingen inloggning är konfigurerad, och då får "
            "lägesbilden bara visas på den här datorn. Starta den med "
            f"`--server.address {signin.LOCALHOST_ADDRESS}` eller konfigurera inloggning "
            "(se README).", icon=":material/lock:")
        return
    notice = st.session_state.get(_NOTICE)
    if notice:
        st.info(notice, icon=":material/logout:")
    if mode == "oidc":
        _oidc_gate()
    else:
        _local_form()
