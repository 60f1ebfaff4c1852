"""Downloads in a real Chromium: the 'Ladda ner' menu of a chart on Trender (PNG and CSV) and
the meeting pack on the Export page (PowerPoint), on a copy of the demo database.

The server is the browser tier's `server` fixture (`streamlit run app.py`, module scope). In CI
(CI=true) a missing Chromium fails the test instead of skipping it.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from pptx import Presentation

from lagesbild.export.images import png_size
from lagesbild.export.pack import DEFAULT_CHARTS
from tests.helpers.browser import SHOTS, WIDTH, launch, wait_until_idle

pytestmark = pytest.mark.browser
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
COUNT_COLUMNS = ("Antal", "Värde")


@pytest.fixture(scope="module")
def page(server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": WIDTH, "height": 1000},
                                      locale="sv-SE", accept_downloads=True)
        try:
            yield context.new_page()
        finally:
            browser.close()


def _open(page, url: str, heading: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=30_000)
    wait_until_idle(page)


def _download(page, menu, label: str, timeout: float = 60_000) -> tuple[str, bytes]:
    """Open a 'Ladda ner' popover, click one of its buttons, return (file name, bytes)."""
    menu.click()
    button = page.locator('[data-testid="stPopoverBody"]').get_by_role(
        "button", name=re.compile(re.escape(label) + "$")).first
    button.wait_for(timeout=10_000)
    with page.expect_download(timeout=timeout) as info:
        button.click()
    download = info.value
    path = download.path()
    name = download.suggested_filename
    page.keyboard.press("Escape")  # close the popover again
    page.wait_for_timeout(200)
    return name, Path(path).read_bytes()


def test_chart_menu_downloads_png_and_csv(page, server: str):
    _open(page, f"{server}/trender", "Trender")
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=30_000)
    # an analyst preparing a meeting: the preparation group's protected numbers
    page.get_by_text("Visa skyddade siffror", exact=True).click()
    page.get_by_text("Små avvikelser kan förekomma").first.wait_for(timeout=30_000)
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=30_000)
    menu = page.locator('[data-testid="stPopover"] button').first
    assert "Ladda ner" in menu.inner_text()

    name, data = _download(page, menu, "Bild (PNG)")
    assert name.endswith(".png") and re.match(r"\d{4}K[1-4]", name), name
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000
    assert png_size(data) == (3200, 1800)  # 16:9 slide, scale 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "export_trender_chart.png").write_bytes(data)

    name, data = _download(page, menu, "Data (CSV, för Excel)")
    assert name.endswith(".csv"), name
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, body = rows[0], [row for row in rows[1:] if len(row) == len(rows[0])]
    assert "Små avvikelser kan förekomma" in text  # the note travels with the numbers
    assert header[:2] == ["Kvartal", "Form"] and body
    columns = [header.index(c) for c in COUNT_COLUMNS if c in header]
    assert columns
    shown_small = [row for row in body for i in columns if row[i] in {"1", "2", "3", "4"}]
    assert not shown_small, shown_small[:3]
    assert any(row[i] == "<5" for row in body for i in columns)  # suppressed, as on screen
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_export_page_meeting_pack(page, server: str):
    _open(page, f"{server}/export", "Export")
    button = page.get_by_role("button", name=re.compile(r"Skapa och ladda ner"))
    with page.expect_download(timeout=90_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith("_lagesbild.pptx")
    deck = Presentation(download.path())
    slides = list(deck.slides)
    titles = [s.shapes.title.text_frame.text if s.shapes.title is not None else ""
              for s in slides]
    assert len(slides) == 3 + len(DEFAULT_CHARTS) + 1, titles
    assert titles[0] == "Lägesbild – våldsbejakande extremism"
    assert titles[3].startswith("Rapporter per form av extremism")
    assert titles[-1] == "Metod och röjandekontroll"
    pictures = [shape for s in slides[3:3 + len(DEFAULT_CHARTS)] for shape in s.shapes
                if shape.shape_type == 13]
    assert len(pictures) == len(DEFAULT_CHARTS)
    assert all(p.image.blob.startswith(PNG_MAGIC) for p in pictures)
    (SHOTS / "export_pack_trend_slide.png").write_bytes(pictures[0].image.blob)
