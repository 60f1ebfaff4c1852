"""WCAG 2.1 AA in a real Chromium, on every page, for both roles (issue 15).

One dashboard and one browser per role: the analyst (localhost mode) and the preparation
group (a local account, signed in once). On every page the sidebar lists: axe-core finds no
violation of the WCAG 2.0/2.1 A and AA rules, the page is Swedish (`lang="sv"` as served and
in the document, no English left from Streamlit or plotly), and every chart has its text
alternative (a "Visa som tabell" expander with a real <table>). Then a keyboard-only walk:
filters, the period, a 'Ladda ner' menu, a chart's table and the upload flow by Tab, Enter,
the arrow keys and Escape, with a visible focus at every stop.
"""

from __future__ import annotations

import contextlib
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from lagesbild.access import accounts
from tests.helpers.a11y import (
    axe_violations,
    english_strings,
    focus_visible,
    focused_text,
    tab_to,
    wait_swedish,
)
from tests.helpers.browser import launch, streamlit_server, wait_until_idle

pytestmark = pytest.mark.browser

PASSWORD = "ett-långt-lösenord-2026"
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def playwright() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def analyst(db_module: Path, playwright) -> Iterator[tuple[str, object]]:  # noqa: ANN001
    """The dashboard in localhost mode (the analyst on this computer) and one page."""
    with streamlit_server(db_module) as url:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="sv-SE")
            page.goto(url)
            ready(page)
            yield url, page
        finally:
            browser.close()


@pytest.fixture(scope="module")
def preparation_group(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory,
                      playwright) -> Iterator[tuple[str, object]]:  # noqa: ANN001
    """The dashboard with local accounts, signed in as 'bo' of the beredningsgrupp."""
    folder = tmp_path_factory.mktemp("a11y_bered")
    db = folder / "demo.duckdb"
    db.write_bytes(demo_db_file.read_bytes())
    konton = folder / "konton.json"
    accounts.add_user(konton, "bo", "beredningsgrupp", PASSWORD)
    with streamlit_server(db, env={accounts.ACCOUNTS_ENV: str(konton)}) as url:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="sv-SE")
            page.goto(url)
            page.get_by_role("heading", name="Logga in", exact=True).wait_for(timeout=TIMEOUT)
            wait_until_idle(page)
            wait_swedish(page)
            sign_in_problems = check_page(page)  # the sign-in page itself
            page.get_by_label("Användarnamn", exact=True).fill("bo")
            page.get_by_label("Lösenord", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Logga in").click()
            page.get_by_role("heading", name="Översikt", exact=True).wait_for(timeout=TIMEOUT)
            ready(page)
            assert sign_in_problems == [], sign_in_problems
            yield url, page
        finally:
            browser.close()


@pytest.fixture(scope="module")
def db_module(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("a11y") / "demo.duckdb"
    db.write_bytes(demo_db_file.read_bytes())
    return db


def ready(page) -> None:  # noqa: ANN001
    """The page has drawn: the script is idle, its charts are drawn, the Swedish layer ran."""
    page.locator("h1").first.wait_for(timeout=TIMEOUT)
    wait_until_idle(page)
    if page.locator('[data-testid="stPlotlyChart"]').count():
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
            ".every(c => c.querySelector('.main-svg'))", timeout=TIMEOUT)
    wait_until_idle(page)
    wait_swedish(page)
    page.wait_for_timeout(300)


def check_page(page) -> list[str]:  # noqa: ANN001
    """Everything wrong with the page that is shown, one line each."""
    # charts in tabs may still be drawing, and the browser may draw a chart only when it is
    # scrolled into view: bring each "Visa som tabell" into view, then wait for one chart
    # per table (a miss is reported below as a chart without its table, or the other way)
    summaries = page.locator('[data-testid="stExpander"] summary', has_text="Visa som tabell")
    for i in range(summaries.count()):
        with contextlib.suppress(PlaywrightTimeout):
            summaries.nth(i).scroll_into_view_if_needed(timeout=5_000)
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            "() => { const charts = document.querySelectorAll("
            "'[data-testid=\"stPlotlyChart\"]');"
            " const drawn = [...charts].filter(c => c.querySelector('.main-svg')).length;"
            " const tables = [...document.querySelectorAll("
            "'[data-testid=\"stExpander\"] summary')]"
            ".filter(s => s.innerText.includes('Visa som tabell')).length;"
            " return drawn === charts.length && charts.length === tables; }",
            timeout=60_000, polling=250)
    wait_until_idle(page)  # a rerun (the URL taking the default period) redraws the charts
    problems: list[str] = []
    # counted before axe, which scrolls through the page (a chart far out of view may be
    # taken out of the page until it is scrolled back)
    charts = page.locator('[data-testid="stPlotlyChart"]').count()
    tables = page.locator('[data-testid="stExpander"] summary',
                          has_text="Visa som tabell").count()
    if charts != tables:
        problems.append(f"{charts} charts but {tables} 'Visa som tabell'")
    named = page.locator('[data-testid="stPlotlyChart"][role="figure"][aria-label]').count()
    if named != charts:
        problems.append(f"{charts - named} charts without a name for screen readers")
    problems += [f"axe {v}" for v in axe_violations(page)]
    problems += [f"English: {s}" for s in english_strings(page)]
    if page.evaluate("document.documentElement.lang") != "sv":
        problems.append("lang is not sv")
    if page.locator('[data-testid="stException"]').count():
        problems.append("an exception is shown")
    return problems


def every_page(url: str, page) -> dict[str, list[str]]:  # noqa: ANN001
    """check_page on every page of the sidebar, reached by its link."""
    paths = page.eval_on_selector_all('[data-testid="stSidebarNavLink"]',
                                      "links => links.map(a => a.getAttribute('href'))")
    found: dict[str, list[str]] = {}
    for href in paths:
        page.goto(href if href.startswith("http") else url + "/" + href.lstrip("/"))
        ready(page)
        found[href.rsplit("/", 1)[-1] or "oversikt"] = check_page(page)
    return found


def test_the_upload_flow_by_keyboard(analyst) -> None:  # noqa: ANN001
    """Ladda upp by keyboard only: Tab to the file button (named after its field, in
    Swedish), Enter opens the file chooser, the chosen file arrives and can be checked."""
    url, used = analyst
    page = used.context.browser.new_page(viewport={"width": 1440, "height": 1000},
                                         locale="sv-SE")  # a tab of its own, as a user opens
    page.goto(f"{url}/ladda_upp")
    ready(page)
    page.locator("body").focus()
    assert tab_to(page, "el => el.tagName === 'BUTTON' && "
                        "(el.getAttribute('aria-label') || '').startsWith('Välj fil')")
    assert focus_visible(page), "the file button"
    assert focused_text(page).startswith("Välj fil Rapportfiler"), focused_text(page)
    page.keyboard.press("Shift+Tab")  # focus_visible focused it by script: back by keyboard
    page.keyboard.press("Tab")
    wait_until_idle(page)
    assert focused_text(page).startswith("Välj fil Rapportfiler"), focused_text(page)
    with page.expect_file_chooser(timeout=TIMEOUT) as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(files=[{"name": "tom.csv", "mimeType": "text/csv",
                                    "buffer": b"Rapport-ID;Datum\n"}])
    page.get_by_text("tom.csv").first.wait_for(timeout=TIMEOUT)
    wait_until_idle(page)
    assert english_strings(page) == []


def test_every_page_is_accessible_and_swedish_for_the_analyst(analyst) -> None:  # noqa: ANN001
    url, page = analyst
    found = every_page(url, page)
    assert len(found) >= 11, sorted(found)  # every page of the analyst
    assert {k: v for k, v in found.items() if v} == {}


def test_every_page_is_accessible_and_swedish_for_the_preparation_group(
        preparation_group) -> None:  # noqa: ANN001
    url, page = preparation_group
    found = every_page(url, page)
    assert "ladda_upp" not in found and len(found) >= 7, sorted(found)
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.parametrize("path", ["", "trender", "ladda_upp"])
def test_the_page_is_served_as_swedish(analyst, path: str) -> None:  # noqa: ANN001
    """Screen readers pick the voice from the page as served, before any script runs."""
    url, _ = analyst
    with urllib.request.urlopen(f"{url}/{path}", timeout=10) as answer:
        served = answer.read().decode()
    assert re.search(r'<html[^>]*\blang="sv"', served), served[:200]


def test_a_chart_and_its_table_by_keyboard(analyst) -> None:  # noqa: ANN001
    """Trender by keyboard only: a page link, the period, a filter, the chart's table and
    its 'Ladda ner' menu, each with a visible focus."""
    url, page = analyst
    page.goto(f"{url}/trender")
    ready(page)
    page.locator("body").focus()

    assert tab_to(page, "el => el.matches('[data-testid=stSidebarNavLink]')")
    assert focus_visible(page), "sidebar page link"

    # the period: the start thumb of the slider, one quarter later with ArrowRight
    assert tab_to(page, "el => el.tagName === 'INPUT' && !!el.closest('[data-testid=stSlider]')"
                        " || el.getAttribute('role') === 'slider'")
    assert focus_visible(page), "period slider"
    before = page.evaluate("() => new URL(location).searchParams.get('fran')")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => new URL(location).searchParams.get('fran') !== {before!r}",
                           timeout=TIMEOUT)
    wait_until_idle(page)

    # a filter: ArrowDown opens the list (Swedish: "Välj alla" first), Enter picks an area
    assert tab_to(page, "el => el.getAttribute('role') === 'combobox' && "
                        "el.getAttribute('aria-label') === 'Område'")
    assert focus_visible(page), "the Område filter"
    page.keyboard.press("ArrowDown")
    page.get_by_role("option", name="Välj alla").wait_for(timeout=TIMEOUT)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function("() => new URL(location).searchParams.get('omrade')",
                           timeout=TIMEOUT)
    page.keyboard.press("Escape")
    wait_until_idle(page)
    ready(page)

    # the chart's text alternative: Enter opens "Visa som tabell", the table is there
    assert tab_to(page, "el => el.tagName === 'SUMMARY' && "
                        "el.innerText.includes('Visa som tabell')")
    assert focus_visible(page), "Visa som tabell"
    page.keyboard.press("Enter")
    table = page.get_by_role("table").first
    table.wait_for(timeout=TIMEOUT)
    assert table.get_by_role("columnheader").count() >= 2
    assert table.get_by_role("rowheader").count() >= 1

    # the 'Ladda ner' menu: Enter opens it, Tab to the CSV, Enter downloads it
    assert tab_to(page, "el => el.matches('[data-testid=stPopoverButton]')")
    assert focus_visible(page), "Ladda ner"
    page.keyboard.press("Enter")
    # the analyst sees exact counts: the menu asks first (a checkbox, ticked with Space)
    assert tab_to(page, "el => el.type === 'checkbox' && "
                        "el.closest('label').innerText.includes('Ladda ner exakta antal')")
    assert focus_visible(page), "the exact-counts checkbox"
    page.keyboard.press("Space")
    page.get_by_text("Data (CSV, för Excel)").wait_for(timeout=TIMEOUT)
    assert tab_to(page, "el => (el.innerText || '').includes('Data (CSV')")
    assert focus_visible(page), "the CSV in the menu"
    with page.expect_download(timeout=TIMEOUT) as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")
    page.keyboard.press("Escape")
