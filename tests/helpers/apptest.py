"""Helpers for the AppTest tier: run the dashboard script (dashboard.py), sign in, read what a
page shows.

The isolation of every data file and the cache clearing are fixtures in tests/apptest/conftest.py
(and tests/conftest.py); these functions only drive the app.
"""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

PROJECT = Path(__file__).resolve().parents[2]
APP = str(PROJECT / "dashboard.py")  # the Streamlit script that app.py serves
TIMEOUT = 60
PASSWORD = "ett-långt-lösenord-2026"
UPLOAD, AUDIT = "pages/ladda_upp.py", "pages/granskning.py"


PROTECTED_VIEW = "visa_skyddade_siffror"  # ui.view: an analyst sees the protected numbers


def start(query: dict[str, str] | None = None, protected: bool = False) -> AppTest:
    """dashboard.py run once (with URL query parameters, if given). On this computer the user
    is an analyst, who sees exact counts; `protected` shows the preparation group's numbers
    (the sidebar's "Visa skyddade siffror")."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if query:
        at.query_params.update(query)
    if protected:
        at.session_state[PROTECTED_VIEW] = True
    return at.run()


# An [auth] block for OIDC sign-in in AppTest (the identity itself is `at.user`).
OIDC_SECRETS = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                         "cookie_secret": "x" * 32, "client_id": "c", "client_secret": "s",
                         "server_metadata_url": "http://127.0.0.1:9/.well-known/openid"}}


def start_oidc(user: dict[str, object]) -> AppTest:
    """dashboard.py run once with OIDC configured and `user` signed in (st.user's claims)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets.update(OIDC_SECRETS)
    at.user = {"is_logged_in": True, **user}
    return at.run()


def assert_ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def sign_in_locally(name: str, password: str = PASSWORD) -> AppTest:
    """dashboard.py with a local account signed in through the sign-in form."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert_ok(at)
    assert at.title[0].value == "Logga in"
    at.text_input[0].set_value(name)
    at.text_input[1].set_value(password)
    at.button[0].click().run()
    assert_ok(at)
    return at


def texts(at: AppTest) -> str:
    """Every text on the page, tables included (to check what is never shown)."""
    parts = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "title",
                 "subheader", "header", "code", "text"):
        parts += [str(getattr(el, "value", "")) for el in at.get(kind)]
    parts += [str(m.value) + str(m.label) for m in at.metric]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(parts)


def charts_of(at: AppTest) -> list[dict]:
    """The plotly figures on the page, as JSON."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
