"""The quarter's lägesbild in a real Chromium (issue 17): the analyst on this computer drafts
2026K3 on the Lägesbilder page and approves it; after a late file (the server stopped, as a
file is imported while nobody holds the database) the page and the overview show the
revision, and the approved Excel still has the original numbers."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from lagesbild.store import Store
from tests.helpers.browser import (
    SHOTS,
    WIDTH,
    launch,
    screenshot,
    streamlit_server,
    wait_until_idle,
)
from tests.helpers.reports import import_late_file

pytestmark = pytest.mark.browser
Q = "2026K3"


def _page(playwright, url: str):  # noqa: ANN001, ANN202 - Playwright's own types
    browser = launch(playwright)
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000}, locale="sv-SE",
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(f"{url}/lagesbilder")
    page.get_by_role("heading", name="Lägesbilder", exact=True).wait_for(timeout=60_000)
    wait_until_idle(page)
    return browser, page


def _click(page, name: str) -> None:  # noqa: ANN001
    page.get_by_role("button", name=re.compile(re.escape(name))).first.click()
    page.wait_for_timeout(500)
    wait_until_idle(page)


def _total(data: bytes) -> object:
    book = openpyxl.load_workbook(io.BytesIO(data))
    rows = list(book["Nyckeltal"].iter_rows(values_only=True))
    return next(r for r in rows if r[0] == "Rapporter totalt")[1]


def _alert(page):  # noqa: ANN001, ANN202
    return page.locator('[data-testid="stAlert"]', has_text="Reviderad sedan fastställandet").first


def _excel(page) -> bytes:  # noqa: ANN001
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Excel", exact=True).click()
    return Path(info.value.path()).read_bytes()


def test_draft_approve_and_see_the_revision(db: Path) -> None:
    from playwright.sync_api import sync_playwright

    with streamlit_server(db) as url, sync_playwright() as playwright:
        browser, page = _page(playwright, url)
        try:
            _click(page, f"Påbörja utkast för {Q}")
            page.get_by_text("Utkastet för 2026K3 är påbörjat").wait_for(timeout=30_000)
            area = page.locator("textarea").nth(2)  # the first form's section
            area.fill("Högerextremismen är oförändrad; propagandan syns mest i Centrum.")
            area.press("Tab")
            wait_until_idle(page)
            _click(page, "Spara texterna")
            page.get_by_text("Texterna är sparade").wait_for(timeout=30_000)
            _click(page, "Fastställ version 1")
            page.get_by_text("är fastställd").first.wait_for(timeout=60_000)
            approved = _total(_excel(page))
        finally:
            browser.close()

    store = Store.open(db)  # a late file while the dashboard is stopped
    try:
        import_late_file(store)
    finally:
        store.close()

    with streamlit_server(db) as url, sync_playwright() as playwright:
        browser, page = _page(playwright, url)
        try:
            warning = _alert(page)
            warning.wait_for(timeout=30_000)
            assert re.search(r"Rapporter totalt: \d+ → \d+ \(\+\d+\)", warning.inner_text())
            assert _total(_excel(page)) == approved  # the edition keeps its numbers
            screenshot(page, SHOTS / "lagesbilder_reviderad.png")
            page.goto(f"{url}/oversikt")
            page.get_by_role("heading", name="Översikt", exact=True).wait_for(timeout=60_000)
            wait_until_idle(page)
            notice = _alert(page)
            notice.wait_for(timeout=30_000)
            assert re.search(r"Rapporter totalt: \d+ → \d+ \(\+\d+\)", notice.inner_text())
        finally:
            browser.close()
