"""The dashboard in a real Chromium: `streamlit run app.py` on a copy of the demo database.

Every page is opened, its charts must render (the map included, offline), no exception may
show, the browser may not ask any other host for anything, and a full-page screenshot is
saved under artifacts/screenshots/. In CI (CI=true) a missing Chromium fails the test. The
server is the browser tier's `server` fixture (tests/browser/conftest.py).
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.helpers.browser import SHOTS, WIDTH, launch, screenshot, wait_until_idle

pytestmark = pytest.mark.browser

# (URL path, heading, number of charts at least, screenshot name). /trender comes first on
# purpose: a first request straight to a page must still get the sidebar and the banners.
PAGES = [
    ("trender", "Trender", 1, "2_trender"),
    ("", "Översikt", 1, "1_oversikt"),
    ("omraden", "Områden", 3, "3_omraden"),
    ("malgrupper", "Målgrupper", 2, "4_malgrupper"),
    ("rapportering", "Rapportering", 1, "5_rapportering"),
    ("om", "Om lägesbilden", 0, "6_om"),
    ("uppfoljning", "Uppföljning av handlingsplanen", 1, "16_uppfoljning"),
    ("omvarld", "Omvärldshändelser", 1, "17_omvarld"),
    ("export", "Export", 0, "18_export"),
]
def test_every_page_renders_in_chromium(server: str):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    elsewhere: list[str] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000}, locale="sv-SE")
        page.on("request", lambda r: elsewhere.append(r.url)
                if urlparse(r.url).hostname not in ("127.0.0.1", "localhost")
                and not r.url.startswith("data:") else None)
        try:
            for path, heading, n_charts, name in PAGES:
                page.goto(f"{server}/{path}")
                page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=30_000)
                charts = page.locator('[data-testid="stPlotlyChart"] .main-svg')
                if n_charts:
                    charts.first.wait_for(timeout=30_000)
                wait_until_idle(page)
                if n_charts:
                    page.wait_for_function(
                        f"() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"] "
                        f".main-svg').length >= {n_charts}", timeout=30_000)
                assert page.locator('[data-testid="stException"]').count() == 0, path
                sidebar = page.locator('[data-testid="stSidebar"]')
                assert sidebar.get_by_text("Urval", exact=True).count() == 1, path
                assert page.get_by_text("Demodata – syntetiska uppgifter").count() == 1, path
                if path == "omraden":  # the map is drawn from the GeoJSON, without tiles
                    page.wait_for_function(
                        "() => document.querySelectorAll('.choroplethlayer path').length "
                        ">= 42", timeout=30_000)
                screenshot(page, SHOTS / f"{name}.png")
        finally:
            browser.close()
    assert elsewhere == [], f"the page asked other hosts: {sorted(set(elsewhere))[:5]}"
