"""The dashboard in a real Chromium: `streamlit run app.py` on a copy of the demo database.

Every page is opened, its charts must render (the map included, offline), no exception may
show, the browser may not ask any other host for anything, and a full-page screenshot is
saved under artifacts/screenshots/. In CI (CI=true) a missing Chromium fails the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

PROJECT = Path(__file__).resolve().parent.parent
SHOTS = PROJECT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("LAGESBILD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
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
WIDTH = 1440


def _need_chromium() -> str:
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if found:
        return found
    message = (f"Chromium saknas ({CHROMIUM}). Installera med `apt-get install chromium` "
               "eller ange sökvägen i LAGESBILD_CHROMIUM.")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_chromium()
    db = tmp_path_factory.mktemp("browser") / "demo.duckdb"
    db.write_bytes(demo_db_file.read_bytes())
    port = _free_port()
    log = db.parent / "streamlit.log"
    env = {**os.environ, "LAGESBILD_DB": str(db)}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Streamlit startade inte:\n{log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]


def _wait_until_idle(page) -> None:
    """Until Streamlit has finished running the script (the status widget is gone)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)


def test_every_page_renders_in_chromium(server: str):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    elsewhere: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_need_chromium(),
                                             args=CHROMIUM_ARGS)
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
                _wait_until_idle(page)
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
                _screenshot(page, SHOTS / f"{name}.png")
        finally:
            browser.close()
    assert elsewhere == [], f"the page asked other hosts: {sorted(set(elsewhere))[:5]}"


def _screenshot(page, path: Path) -> None:
    """Full page: Streamlit scrolls inside its main container, so grow the window to it."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], "
        "[data-testid=\"stSidebarContent\"]')].map(e => e.scrollHeight), 800)")
    page.set_viewport_size({"width": WIDTH, "height": int(height) + 40})
    page.wait_for_timeout(600)  # charts re-layout to the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": 1000})
