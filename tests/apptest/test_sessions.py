"""Sessions that end (finding 3 of the security review): a signed-in tab loses its access at
its next interaction once the account is removed, locked or changed, and after the idle time
without use. Through AppTest with real local accounts; the same in Chromium, including the
sign-out of an idle tab nobody touches, is in tests/browser/test_browser_security.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from lagesbild.access import accounts, roles
from lagesbild.domain import config
from tests.helpers.apptest import AUDIT, UPLOAD, assert_ok, sign_in_locally, texts


def signed_in_as_anna() -> object:
    at = sign_in_locally("anna")
    assert at.title[0].value == "Översikt"
    at.switch_page(AUDIT).run()
    assert_ok(at)
    assert at.title[0].value == "Granskningslogg"
    return at


@pytest.mark.parametrize("change", ["remove", "role", "lock", "password"])
def test_a_changed_account_loses_access_at_the_next_interaction(
        demo_db: Path, local_accounts: Path, change: str) -> None:
    at = signed_in_as_anna()
    if change == "remove":
        accounts.remove_user(local_accounts, "anna")
    elif change == "role":
        accounts.set_role(local_accounts, "anna", roles.BEREDNINGSGRUPP)
    elif change == "lock":
        accounts.set_locked(local_accounts, "anna", True)
    else:
        accounts.set_password(local_accounts, "anna", "ett-helt-nytt-lösenord-2026")
    at.run()  # the next interaction
    assert_ok(at)
    assert at.title[0].value == "Logga in"
    assert "ditt konto har ändrats, spärrats eller tagits bort" in texts(at)
    assert "Granskningslogg" not in [t.value for t in at.title]
    for page in (UPLOAD, AUDIT):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_an_unchanged_account_stays_signed_in(demo_db: Path, local_accounts: Path) -> None:
    at = signed_in_as_anna()
    accounts.set_role(local_accounts, "bo", roles.ANALYTIKER)  # someone else's account
    at.run()
    assert at.title[0].value == "Granskningslogg"


def test_an_idle_session_is_signed_out(demo_db: Path, local_accounts: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import signin

    now = [1000.0]
    monkeypatch.setattr(signin, "clock", lambda: now[0])
    at = signed_in_as_anna()
    idle = config.settings().sign_in.idle_minutes * 60
    assert idle == 30 * 60  # the default
    now[0] += idle - 5
    at.run()  # used just in time: the clock starts again
    assert at.title[0].value == "Granskningslogg"
    now[0] += idle + 1
    at.run()
    assert_ok(at)
    assert at.title[0].value == "Logga in"
    assert "inte har använts på 30 minuter" in texts(at)
    at = sign_in_locally("anna")  # signing in again works
    assert at.title[0].value == "Översikt"
