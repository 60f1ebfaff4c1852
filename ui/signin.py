"""Sign-in and the current user, in each of the three sign-in modes (see
`lagesbild.access.signin`): OIDC through `st.login`, local accounts through a form, or
localhost (the analyst on this computer).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from lagesbild.access import policy, roles, signin
from ui import state
from ui.mode import sign_in_mode

# -- sign-in and the current user -------------------------------------------------------------
USER_KEY = "_lagesbild_user"  # the signed-in User (local accounts)
_RECORDED = "_lagesbild_sign_in_recorded"  # the name whose sign-in is in the audit log
_REFUSED = "_lagesbild_sign_in_refused"


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
    policy.record_sign_in(state.get_store(), user)


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
        user = accounts.verify(None, name.strip(), password, store=state.get_store())
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
            policy.record_sign_in_refused(state.get_store(), identity, "ingen roll i roller.toml")
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
