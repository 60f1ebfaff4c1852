"""The analyst's workflow and the sign-in in a real Chromium.

(a) the quarterly round without sign-in (localhost): template, a bad file, a corrected file,
    confirmation, receipt, history, rollback with confirmation;
(b) a real OIDC sign-in against the local mock identity provider in tests/browser/oidc (Node; the
    test runs `npm ci` there when node_modules is missing), as the preparation group;
(c) a local-account sign-in: a wrong password, then the right one, as an analyst.

Screenshots go to artifacts/screenshots/. In CI (CI=true) a missing Chromium, Node or npm
fails the tests instead of skipping them.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

from lagesbild.access import accounts
from lagesbild.store import Store, audit
from tests.helpers.browser import (
    CHROMIUM_ARGS,
    PROJECT,
    SHOTS,
    WIDTH,
    free_port,
    missing,
    need_chromium,
    screenshot,
    streamlit_server,
    wait_until_idle,
)
from tests.helpers.files import HEADERS, report_rows

pytestmark = pytest.mark.browser

OIDC_DIR = PROJECT / "tests" / "browser" / "oidc"
PASSWORD = "ett-långt-lösenord-2026"


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    chromium = need_chromium()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def new_page(browser, allowed: tuple[str, ...] = ("127.0.0.1", "localhost")):
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000}, locale="sv-SE",
                                  accept_downloads=True)
    page = context.new_page()
    page.elsewhere = []
    page.on("request", lambda r: page.elsewhere.append(r.url)
            if urlparse(r.url).hostname not in allowed and not r.url.startswith("data:")
            else None)
    return page


def csv_bytes(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([HEADERS, *rows])
    return out.getvalue().encode("utf-8")


def upload(page, name: str, data: bytes) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}])


def main(page):
    return page.locator('[data-testid="stMain"]')


def sidebar_nav(page) -> str:
    return page.locator('[data-testid="stSidebarNav"]').inner_text()


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


# -- (a) the quarterly round -------------------------------------------------------------------
def test_quarterly_round_in_the_browser(db: Path, browser, tmp_path: Path):
    with streamlit_server(db) as url:
        page = new_page(browser)
        page.goto(f"{url}/ladda_upp")
        page.get_by_role("heading", name="Ladda upp", exact=True).wait_for(timeout=30_000)
        wait_until_idle(page)
        assert "Ladda upp" in sidebar_nav(page) and "Granskningslogg" in sidebar_nav(page)

        # The template.
        with page.expect_download() as download:
            page.get_by_role("button", name="Ladda ned mallen").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name == "lagesbild_mall.xlsx"
        assert "xl/workbook.xml" in zipfile.ZipFile(saved).namelist()

        # A bad file: every problem, nothing stored, no confirm button.
        rows = report_rows(3, start=500)
        rows[1][2] = "Kanske"
        upload(page, "kvartal_fel.csv", csv_bytes(rows))
        main(page).get_by_text("problem och kan inte importeras").wait_for(timeout=30_000)
        wait_until_idle(page)
        no_exception(page)
        assert page.get_by_role("button", name=re.compile("Ladda ned problemrapport")).count()
        assert page.get_by_role("button", name=re.compile("^Importera")).count() == 0
        screenshot(page, SHOTS / "7_ladda_upp_problem.png")

        # Remove it, upload the corrected file, confirm.
        page.locator('[data-testid="stFileChipDeleteBtn"]').first.click()
        main(page).get_by_text("problem och kan inte importeras").wait_for(
            state="detached", timeout=30_000)
        upload(page, "kvartal.csv", csv_bytes(report_rows(3, start=500)))
        main(page).get_by_text("Filen är godkänd").wait_for(timeout=30_000)
        wait_until_idle(page)
        screenshot(page, SHOTS / "8_ladda_upp_kontroll.png")
        page.get_by_role("button", name="Importera 1 godkänd fil").click()
        receipt = main(page).get_by_text(re.compile(r"kvartal\.csv.*importerad som import"))
        receipt.wait_for(timeout=30_000)
        wait_until_idle(page)
        no_exception(page)
        batch_id = int(re.search(r"importerad som import (\d+)", receipt.inner_text())[1])
        screenshot(page, SHOTS / "9_ladda_upp_kvitto.png")

        # The history offers it for rollback; roll back with confirmation.
        undo = page.get_by_role("button", name="Ångra importen")
        undo.wait_for(timeout=10_000)
        assert undo.is_disabled()
        chosen = page.locator('[data-testid="stSelectbox"]').first.evaluate(
            "e => e.innerText + ' ' + [...e.querySelectorAll('input')].map(i => i.value)"
            ".join(' ')")
        assert f"Import {batch_id} – kvartal.csv" in chosen, chosen
        page.get_by_text("Jag förstår att importen tas bort ur lägesbilden.").click()
        wait_until_idle(page)
        page.get_by_role("button", name="Ångra importen").and_(
            page.locator("button:enabled")).click(timeout=10_000)
        main(page).get_by_text(f"Import {batch_id} är ångrad").wait_for(
            timeout=30_000)
        wait_until_idle(page)
        no_exception(page)
        screenshot(page, SHOTS / "10_ladda_upp_angrad.png")

        # The audit log shows it all.
        page.goto(f"{url}/granskning")
        page.get_by_role("heading", name="Granskningslogg", exact=True).wait_for(
            timeout=30_000)
        wait_until_idle(page)
        no_exception(page)
        page.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=30_000)
        page.wait_for_timeout(800)
        screenshot(page, SHOTS / "11_granskningslogg.png")
        assert page.elsewhere == [], sorted(set(page.elsewhere))[:5]
    store = Store.open(db)  # the server has stopped: the database is free
    try:
        batch = next(b for b in store.batches() if b["batch_id"] == batch_id)
        assert batch["file_name"] == "kvartal.csv" and batch["rolled_back_at"] is not None
        assert store.report_count() == 0  # the demo data went with the first real file
        log = audit.entries(store)
        assert {("import", "ok"), ("import", "nekad"), ("återställning", "ok")} <= set(
            zip(log["action"], log["outcome"], strict=True))
    finally:
        store.close()


# -- (b) OIDC ----------------------------------------------------------------------------------
def _node_ready() -> None:
    if not shutil.which("node") or not shutil.which("npm"):
        missing("Node och npm behövs för OIDC-testet (tests/browser/oidc). Installera Node 20.")
    if not (OIDC_DIR / "node_modules" / "oauth2-mock-server").exists():
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            pytest.fail(f"npm ci i tests/browser/oidc misslyckades:\n{done.stderr[-2000:]}")


@contextmanager
def oidc_mock(*args: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(["node", "start.mjs", "--port", str(port), *args],
                               cwd=OIDC_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith("OIDC_READY"):
                break
            if not line and process.poll() is not None:
                break
        if not line.startswith("OIDC_READY"):
            pytest.fail(f"OIDC-testservern startade inte: {line}")
        yield line.split()[1]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_oidc_sign_in_as_the_preparation_group(db: Path, browser, tmp_path: Path):
    need_chromium()
    _node_ready()
    roles = tmp_path / "roller.toml"
    roles.write_text('[grupper]\n"lagesbild-beredningsgrupp" = "beredningsgrupp"\n', "utf-8")
    port = free_port()
    with oidc_mock("--email", "bo.beredning@example.se", "--name", "Bo Beredning",
                   "--sub", "bo", "--groups", "lagesbild-beredningsgrupp") as issuer:
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            'client_id = "lagesbild"\n'
            'client_secret = "hemligt-i-test"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n', "utf-8")
        with streamlit_server(db, env={"LAGESBILD_ROLES": str(roles)},
                              args=["--secrets.files", str(secrets_file)], host="localhost",
                              port=port) as url:
            page = new_page(browser, allowed=("127.0.0.1", "localhost"))
            page.goto(url)
            page.get_by_role("heading", name="Logga in", exact=True).wait_for(timeout=30_000)
            wait_until_idle(page)
            screenshot(page, SHOTS / "12_oidc_logga_in.png")
            page.get_by_role("button", name="Logga in").click()
            # The mock approves at once and sends the browser back to /oauth2callback.
            page.get_by_role("heading", name="Översikt", exact=True).wait_for(timeout=30_000)
            wait_until_idle(page)
            no_exception(page)
            sidebar = page.locator('[data-testid="stSidebar"]')
            assert sidebar.get_by_text("Bo Beredning · Beredningsgrupp").count() == 1
            nav = sidebar_nav(page)
            assert "Översikt" in nav and "Export" in nav
            assert "Ladda upp" not in nav and "Granskningslogg" not in nav
            page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(
                timeout=30_000)
            screenshot(page, SHOTS / "13_oidc_beredningsgrupp.png")
            page.goto(f"{url}/ladda_upp")  # not offered: Streamlit shows the default page
            page.get_by_role("heading", name="Översikt", exact=True).wait_for(timeout=30_000)
            assert page.locator('[data-testid="stFileUploader"]').count() == 0
            assert page.elsewhere == [], sorted(set(page.elsewhere))[:5]
    store = Store.open(db)
    try:
        sign_ins = audit.entries(store, action="inloggning", actor="bo.beredning@example.se")
        assert len(sign_ins) == 1 and sign_ins["outcome"].iloc[0] == "ok"
        assert "oidc, roll beredningsgrupp" in sign_ins["details"].iloc[0]
    finally:
        store.close()


# -- (c) local accounts -------------------------------------------------------------------------
def test_local_account_sign_in(db: Path, browser, tmp_path: Path):
    accounts_file = tmp_path / "konton.json"
    accounts.add_user(accounts_file, "anna", "analytiker", PASSWORD)
    with streamlit_server(db, env={accounts.ACCOUNTS_ENV: str(accounts_file)}) as url:
        page = new_page(browser)
        page.goto(url)
        page.get_by_role("heading", name="Logga in", exact=True).wait_for(timeout=30_000)
        wait_until_idle(page)
        assert "Översikt" not in page.locator('[data-testid="stSidebar"]').inner_text() \
            if page.locator('[data-testid="stSidebar"]').count() else True
        page.get_by_label("Användarnamn", exact=True).fill("anna")
        page.get_by_label("Lösenord", exact=True).fill("fel-lösenord-som-är-långt")
        page.get_by_role("button", name="Logga in").click()
        page.get_by_text("Fel användarnamn eller lösenord.").wait_for(timeout=30_000)
        screenshot(page, SHOTS / "14_lokal_fel_losenord.png")
        page.get_by_label("Lösenord", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.get_by_role("heading", name="Översikt", exact=True).wait_for(timeout=30_000)
        wait_until_idle(page)
        no_exception(page)
        nav = sidebar_nav(page)
        assert "Ladda upp" in nav and "Granskningslogg" in nav
        assert page.get_by_text("anna · Analytiker").count() == 1
        page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=30_000)
        screenshot(page, SHOTS / "15_lokal_analytiker.png")
        page.get_by_role("button", name="Logga ut").click()
        page.get_by_role("heading", name="Logga in", exact=True).wait_for(timeout=30_000)
        assert page.elsewhere == [], sorted(set(page.elsewhere))[:5]
    store = Store.open(db)
    try:
        log = audit.entries(store, action="inloggning", actor="anna")
        assert sorted(log["outcome"]) == ["nekad", "ok"]
    finally:
        store.close()
