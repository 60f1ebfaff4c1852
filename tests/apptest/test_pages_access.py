"""Access control and the analyst's workflow through Streamlit's AppTest.

Roles are exercised through the real sign-in: local accounts (an accounts file in a temporary
folder) and OIDC identities (AppTest's `at.user` with an [auth] secret), and "localhost" mode
(no sign-in configured: the analyst on this computer).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lagesbild.access import accounts, policy, roles, signin
from lagesbild.store import Store, audit
from tests.helpers.apptest import (
    APP,
    AUDIT,
    TIMEOUT,
    UPLOAD,
    assert_ok,
    sign_in_locally,
    start_oidc,
    texts,
)
from tests.helpers.files import HEADERS, report_rows, valid_personnummer


def count(db: Path) -> int:
    store = Store.open(db)
    try:
        return store.report_count()
    finally:
        store.close()


def csv_file(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([HEADERS, *rows])
    return out.getvalue().encode("utf-8")


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/csv")).run()
    assert_ok(at)
    return at


# -- the preparation group -------------------------------------------------------------------
def test_preparation_group_gets_no_upload_or_audit_page(demo_db: Path, local_accounts: Path):
    at = sign_in_locally("bo")
    assert at.title[0].value != "Logga in"
    assert any("Beredningsgrupp" in c.value for c in at.sidebar.caption)
    assert any(b.label == "Logga ut" for b in at.sidebar.button)
    from ui.navigation import pages_for

    offered = {p.path for p in pages_for(True, roles.BEREDNINGSGRUPP)}
    assert UPLOAD not in offered and AUDIT not in offered
    assert {UPLOAD, AUDIT} <= {p.path for p in pages_for(True, roles.ANALYTIKER)}
    for page in (UPLOAD, AUDIT):  # not registered in st.navigation: cannot be switched to
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    # Hiding is not security: the engine refuses and logs the refusal.
    store = Store.open(demo_db)
    try:
        bo = roles.User("bo", roles.BEREDNINGSGRUPP, "lokal")
        anna = roles.User("anna", roles.ANALYTIKER, "lokal")
        checked = policy.guarded_check(store, anna, csv_file(report_rows(2)), "a.csv")
        with pytest.raises(roles.AccessDenied):
            policy.guarded_import(store, bo, checked)
        with pytest.raises(roles.AccessDenied):
            policy.guarded_rollback(store, bo, 1)
        refused = audit.entries(store, actor="bo", outcome=audit.NEKAD)
        assert set(refused["action"]) >= {"import", "återställning"}
        assert set(audit.entries(store, action="inloggning", actor="bo")["outcome"]) == {"ok"}
    finally:
        store.close()


def test_the_upload_page_refuses_by_itself(demo_db: Path, local_accounts: Path,
                                           monkeypatch: pytest.MonkeyPatch):
    """Even when a page file is run for someone without the right (a navigation mistake), it
    shows the refusal and nothing else, and the refusal is logged."""
    from ui import navigation

    every = navigation.PAGES
    opened = tuple(p if p.path not in (UPLOAD, AUDIT) else
                   navigation.PageSpec(p.path, p.title, p.icon, roles.ROLES, p.needs_data,
                                       p.only_without_data, p.default, p.url_path)
                   for p in every)
    monkeypatch.setattr(navigation, "PAGES", opened)
    at = sign_in_locally("bo")
    for page in (UPLOAD, AUDIT):
        at.switch_page(page).run()
        assert_ok(at)
        assert not at.file_uploader and not at.dataframe
        assert any("Rollen Beredningsgrupp får inte" in e.value for e in at.error), page
    store = Store.open(demo_db)
    try:
        refused = audit.entries(store, actor="bo", outcome=audit.NEKAD)
        assert {"import", "granskningslogg"} <= set(refused["action"])
    finally:
        store.close()


def test_wrong_password_and_lockout(demo_db: Path, local_accounts: Path):
    at = sign_in_locally("anna", "fel-lösenord-som-är-långt")
    assert any("Fel användarnamn eller lösenord" in e.value for e in at.error)
    assert at.title[0].value == "Logga in"
    for _ in range(accounts.MAX_FAILURES):
        at.button[0].click().run()
    assert any("För många misslyckade inloggningar" in e.value for e in at.error)


def test_oidc_user_without_role_is_refused_politely(demo_db: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch):
    roles = tmp_path / "roller.toml"
    roles.write_text('[grupper]\n"lagesbild-beredning" = "beredningsgrupp"\n', "utf-8")
    monkeypatch.setenv(signin.ROLES_ENV, str(roles))
    at = start_oidc({"email": "okand@example.se", "email_verified": True, "sub": "x",
                     "groups": ["annan-grupp"]})
    assert_ok(at)
    assert at.title[0].value == "Ingen behörighet"
    assert any(b.label == "Logga ut" for b in at.button)

    at = start_oidc({"email": "bo@example.se", "email_verified": True, "sub": "bo",
                     "groups": ["lagesbild-beredning"]})
    assert_ok(at)
    assert at.title[0].value == "Översikt"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(UPLOAD)
    store = Store.open(tmp_path / "demo.duckdb")
    try:
        sign_ins = audit.entries(store, action="inloggning")
        assert {"okand@example.se", "bo@example.se"} <= set(sign_ins["actor"])
        assert len(sign_ins[sign_ins["actor"] == "bo@example.se"]) == 1  # once per session
    finally:
        store.close()


# -- the analyst ------------------------------------------------------------------------------
def test_analyst_imports_a_good_file_after_seeing_the_check(demo_db: Path,
                                                            local_accounts: Path):
    at = sign_in_locally("anna")
    before = count(demo_db)
    at.switch_page(UPLOAD).run()
    assert_ok(at)
    assert at.title[0].value == "Ladda upp"
    assert any(b.label == "Ladda ned mallen" for b in at.get("download_button"))
    upload(at, "kvartal.csv", csv_file(report_rows(6)))
    shown = {m.label: m.value for m in at.metric}
    assert shown["Godkända rader"] == "6" and shown["Nya"] == "6"
    assert "2026-01-02 – 2026-01-07" in texts(at)  # the period
    assert count(demo_db) == before  # nothing stored before the confirmation
    confirm = at.button(key="bekrafta_import")
    assert confirm.label == "Importera 1 godkänd fil"
    confirm.click().run()
    assert_ok(at)
    receipt = [s.value for s in at.success]
    assert any("är importerad som import" in s and "6 rader" in s for s in receipt), receipt
    assert count(demo_db) == 6  # the first real file removes the demo data
    assert not at.file_uploader[0].value  # a fresh uploader after the import
    assert "kvartal.csv" in at.dataframe[0].value["Fil"].tolist()

    # The audit page shows the import.
    at.switch_page(AUDIT).run()
    assert_ok(at)
    log = at.dataframe[0].value
    assert list(log.columns) == [audit.LABELS[c] for c in audit.COLUMNS]
    assert ((log["Händelse"] == "import") & (log["Avser"] == "kvartal.csv")
            & (log["Utfall"] == "OK")).any()
    at.selectbox(key="audit_outcome").set_value("nekad").run()
    assert_ok(at)
    assert not at.dataframe or set(at.dataframe[0].value["Utfall"]) <= {"Nekad"}


def test_a_bad_file_shows_every_problem_and_stores_nothing(demo_db: Path):
    """localhost mode: the analyst on this computer, no sign-in."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert any("localhost" in c.value for c in at.sidebar.caption)
    before = count(demo_db)
    at.switch_page(UPLOAD).run()
    rows = report_rows(3)
    rows[1][2] = "Kanske"  # Rapporttyp
    rows[2][1] = "inte ett datum"
    upload(at, "fel.csv", csv_file(rows))
    assert any("problem och kan inte importeras" in e.value for e in at.error)
    problems = at.dataframe[0].value
    assert {"Rad", "Kolumn", "Värde", "Problem", "Så rättar du"} <= set(problems.columns)
    assert len(problems) >= 2 and "Kanske" in problems["Värde"].tolist()
    assert any(d.proto.label == "Ladda ned problemrapport (Excel)"
               for d in at.get("download_button"))
    assert not [b for b in at.button if b.key == "bekrafta_import"]
    assert count(demo_db) == before


def test_personal_data_is_refused_and_never_shown(demo_db: Path):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page(UPLOAD).run()
    number = valid_personnummer()
    rows = report_rows(2)
    rows[1][3] = number  # in the Område column
    upload(at, "pnr.csv", csv_file(rows))
    assert any("personuppgifter" in e.value for e in at.error)
    table = at.dataframe[0].value
    assert (table["Kolumn"] == "Område").any() and (table["Rad"] == "3").any()
    everything = texts(at)
    assert number not in everything
    assert number.replace("-", "") not in everything
    assert not [b for b in at.button if b.key == "bekrafta_import"]


def test_rollback_needs_confirmation_and_restores_the_count(demo_db: Path):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page(UPLOAD).run()
    upload(at, "forsta.csv", csv_file(report_rows(3)))
    at.button(key="bekrafta_import").click().run()
    before = count(demo_db)
    upload(at, "ny.csv", csv_file(report_rows(4, start=900)))
    at.button(key="bekrafta_import").click().run()
    assert count(demo_db) == before + 4
    go = at.button(key="rollback_go")
    assert go.disabled  # not before "Jag förstår …"
    newest = next(s for s in at.selectbox if s.label == "Import").value
    at.checkbox[0].check().run()
    assert "Jag förstår" in at.checkbox[0].label
    assert next(s for s in at.selectbox if s.label == "Import").value == newest
    at.button(key="rollback_go").click().run()
    assert_ok(at)
    assert any(f"Import {newest} är ångrad" in s.value for s in at.success)
    history = at.dataframe[0].value
    assert count(demo_db) == before
    row = history[history["Import"] == str(newest)].iloc[0]
    assert row["Status"].startswith("Ångrad")


@pytest.mark.parametrize("name", ["anna", "bo"])
def test_every_offered_page_renders_for_each_role(demo_db: Path, local_accounts: Path,
                                                  name: str):
    from ui.navigation import pages_for

    at = sign_in_locally(name)
    role = roles.ANALYTIKER if name == "anna" else roles.BEREDNINGSGRUPP
    for spec in pages_for(True, role):
        at.switch_page(spec.path).run()
        assert_ok(at)
        assert at.title, spec.path
        assert any(b.label == "Logga ut" for b in at.sidebar.button), spec.path
