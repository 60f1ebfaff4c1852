"""The meeting pack read back: PowerPoint (python-pptx), PDF (pypdf), Excel (openpyxl), images.

Chart images need Chromium. In CI (CI=true) these tests always run; locally they are skipped
only when no Chromium is installed. The browser is started once per test session.
"""

from __future__ import annotations

import io
import os
import re
import shutil

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader

from lagesbild.charts.events import event_legend
from lagesbild.domain import config
from lagesbild.export import images, public
from lagesbild.export.files import pack_bytes
from lagesbild.export.pack import (
    DEFAULT_CHARTS,
    PUBLIC_CHARTS,
    PackRequest,
    build_pack,
    check_charts,
)
from lagesbild.numbers.query import Filters
from lagesbild.store import Store

needs_browser = pytest.mark.skipif(
    not images.browser_available() and os.environ.get("CI") != "true",
    reason="Chromium saknas (i CI körs testerna alltid)")
pytestmark = needs_browser

PERIOD = ("2025K4", "2026K3")
FIXED_TITLES = ("Metod och röjandekontroll", "Stöd och kontakter")  # texts, not data


@pytest.fixture(scope="session")
def browser():
    """One warm browser for the whole test session."""
    with images.warm():
        images.start()
        yield


@pytest.fixture(scope="module")
def store(demo_db_file, tmp_path_factory):
    copy = tmp_path_factory.mktemp("pack") / "demo.duckdb"
    shutil.copy(demo_db_file, copy)
    db = Store.open(copy)
    yield db
    db.close()


@pytest.fixture(scope="module")
def pack(store, browser):
    made = build_pack(store, PackRequest(Filters(*PERIOD)))
    made.render_images("png")
    return made


@pytest.fixture(scope="module")
def public_pack(store, browser):
    made = build_pack(store, PackRequest(Filters(*PERIOD), public=True))
    made.render_images("png")
    return made


@pytest.fixture(scope="module")
def deck(pack):
    return Presentation(io.BytesIO(pack_bytes(pack, "pptx")))


@pytest.fixture(scope="module")
def report(pack):
    return PdfReader(io.BytesIO(pack_bytes(pack, "pdf")))


# -- scanning text for small counts -------------------------------------------------------------
_NUMBER = re.compile(r"(?<![\d,.<])(\d{1,3}(?: \d{3})+|\d+)(,\d+)?(\s?%|-tal)?")


def small_numbers(text: str, threshold: int) -> list[str]:
    """Standalone integers 1..threshold-1 in a text, read as counts: dates, quarters, page
    numbers, decimals, percentages, "<5" and "5-tal" are not counts."""
    text = text.replace("\u00a0", " ")
    text = re.sub(r"\d{4}-\d{2}-\d{2}", " ", text)
    text = re.sub(r"\d{4}K[1-4]", " ", text)
    text = re.sub(r"\bSida \d+", " ", text)
    hits = []
    for match in _NUMBER.finditer(text):
        number, decimals, unit = match.groups()
        if decimals or unit:
            continue
        value = int(number.replace(" ", ""))
        if 1 <= value < threshold:
            hits.append(text[max(match.start() - 30, 0):match.end() + 10])
    return hits


def without_events(text: str, pack) -> str:
    """The text without the context events' legend (titles and numbers, not counts)."""
    text = " ".join(text.split())
    for line in event_legend(pack.events):
        text = text.replace(line, " ")
    return text.replace("Omvärldshändelser (numren i diagrammet):", " ")


def test_small_numbers_scanner():
    hits = small_numbers("Centrum 4, Teg <5, Haga 1 234, 2026K3, 2026-01-05", 5)
    assert len(hits) == 1 and hits[0].startswith("Centrum 4")
    assert small_numbers("+7 % och 0,05 och närmaste 5-tal, Sida 2", 10) == []


# -- the deck -------------------------------------------------------------------------------------
def _slide_texts(slide) -> list[str]:
    texts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            texts.append(shape.text_frame.text)
        if shape.has_table:
            texts += [cell.text for row in shape.table.rows for cell in row.cells]
    return texts


def _title(slide) -> str:
    return slide.shapes.title.text_frame.text if slide.shapes.title is not None else ""


def test_deck_slides_titles_pictures_and_notes(pack, deck):
    slides = list(deck.slides)
    assert deck.slide_width * 9 == deck.slide_height * 16  # 16:9
    assert len(slides) == 3 + len(DEFAULT_CHARTS) + 1
    assert _title(slides[0]) == "Lägesbild – våldsbejakande extremism"
    first = "\n".join(_slide_texts(slides[0]))
    assert "2026K3" in first and "2025K4–2026K3" in first and "Data per" in first
    assert _title(slides[1]) == "Sammanfattning 2026K3"
    summary = "\n".join(_slide_texts(slides[1]))
    for sentence in pack.summary:
        assert sentence in summary
    assert _title(slides[2]) == "Nyckeltal 2026K3"
    assert any(shape.has_table for shape in slides[2].shapes)
    assert "Rapporter totalt" in "\n".join(_slide_texts(slides[2]))

    chart_slides = slides[3:3 + len(DEFAULT_CHARTS)]
    assert [item.key for item in pack.charts] == list(DEFAULT_CHARTS)
    for slide, item in zip(chart_slides, pack.charts, strict=True):
        assert _title(slide) == item.title
        pictures = [s for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
        assert len(pictures) == 1
        assert pictures[0].image.content_type == "image/png"
        assert pictures[0].width == deck.slide_width
        notes = slide.notes_slide.notes_text_frame.text
        assert item.title in notes and notes.count("\n") >= len(item.notes)
        for line in item.notes:
            assert line in notes
    assert "2025K4–2026K3" in pack.charts[0].title
    assert _title(slides[-1]) == "Metod och röjandekontroll"


def test_deck_has_no_small_counts_anywhere(pack, deck):
    threshold = pack.disclosure.threshold
    for number, slide in enumerate(deck.slides, start=1):
        if _title(slide) in FIXED_TITLES:
            continue
        texts = _slide_texts(slide) + [slide.notes_slide.notes_text_frame.text]
        hits = small_numbers(without_events("\n".join(texts), pack), threshold)
        assert not hits, f"bild {number}: {hits}"


# -- the report -----------------------------------------------------------------------------------
def test_report_pages_titles_summary_and_no_small_counts(pack, report):
    reader = report
    pages = [page.extract_text() or "" for page in reader.pages]
    assert len(pages) == 3 + len(DEFAULT_CHARTS)  # title, summary + key figures, charts, method
    flat = [" ".join(p.split()) for p in pages]
    everything = " ".join(flat)
    assert "Lägesbild – våldsbejakande extremism" in flat[0]
    assert "Sammanfattning 2026K3" in flat[1] and "Nyckeltal 2026K3" in flat[1]
    for sentence in pack.summary:
        assert " ".join(sentence.split()) in everything
    for page, item in zip(flat[2:-1], pack.charts, strict=True):
        assert item.title in page
    assert "Metod och röjandekontroll" in flat[-1]
    for number, text in enumerate(pages, start=1):
        if any(t in text for t in FIXED_TITLES):
            continue
        hits = small_numbers(without_events(text, pack), pack.disclosure.threshold)
        assert not hits, f"sida {number}: {hits}"
    images_on_pages = [len(page.images) for page in reader.pages[2:2 + len(DEFAULT_CHARTS)]]
    assert images_on_pages == [1] * len(DEFAULT_CHARTS)


# -- the workbook ---------------------------------------------------------------------------------
def test_workbook_sheets_numbers_and_suppressed_cells(pack):
    book = load_workbook(io.BytesIO(pack_bytes(pack, "xlsx")))
    assert book.sheetnames[:2] == ["Om tabellerna", "Nyckeltal"]
    assert {item.sheet for item in pack.charts} <= set(book.sheetnames)
    sheet = book["Ålder och kön"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Åldersgrupp", "Kön", "Antal"]
    counts = [row[2] for row in sheet.iter_rows(min_row=2)]
    suppressed = [c for c in counts if c.data_type == "s"]
    numbers = [c for c in counts if c.data_type == "n"]
    assert suppressed and numbers
    # the period is two cells (2025K4 and the year 2026): a sum with a hidden part is ".."
    assert {c.value for c in suppressed} <= {"<5", ".."}
    assert all(c.value == 0 or c.value >= 5 for c in numbers)
    genders = {row[1].value for row in sheet.iter_rows(min_row=2)}
    assert "Annat/okänt" in genders and not {"Annat", "Okänt"} & genders  # one breakdown
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
                    if ws.title != "Om tabellerna":
                        assert not small_numbers(cell.value, 5), cell.value


# -- images ---------------------------------------------------------------------------------
def test_chart_images_formats_and_size(pack):
    item = pack.charts[1]
    png = images.render(item.figure, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert images.png_size(png) == (images.WIDTH * images.SCALE, images.HEIGHT * images.SCALE)
    svg = images.render(item.figure, "svg")
    assert svg.lstrip().startswith((b"<svg", b"<?xml")) and b"Rapporter per stadsdel" in svg
    pdf = images.render(item.figure, "pdf")
    assert pdf.startswith(b"%PDF")
    small = images.render(item.figure, "png", width=800, height=450, scale=1)
    assert images.png_size(small) == (800, 450)
    assert images.render(item.figure, "png") == png  # from the cache


def test_images_quote_font_families():
    assert images.quote_font_family("Source Sans 3, DejaVu Sans, Arial, sans-serif") == \
        "'Source Sans 3', 'DejaVu Sans', Arial, sans-serif"


def test_png_zip_has_one_ascii_file_per_chart(pack):
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(pack_bytes(pack, "png")))
    names = archive.namelist()
    assert len(names) == len(pack.charts)
    assert "2026K3_trender_per_form.png" in names
    assert all(n.isascii() and n.endswith(".png") for n in names)


# -- the public variant ---------------------------------------------------------------------------
def test_public_pack_is_coarse_and_stricter(public_pack):
    assert public_pack.public and public_pack.disclosure == config.settings().public_disclosure
    assert public_pack.disclosure.threshold == 10
    assert [item.key for item in public_pack.charts] == list(PUBLIC_CHARTS)
    assert set(public_pack.tables) == {"Per kvartal", "Per år", "Per form", "Per stadsdel"}
    for frame in public_pack.tables.values():
        shown = frame["antal"].dropna().astype(int)
        assert ((shown == 0) | (shown >= 10)).all() and (shown % 5 == 0).all()
    with pytest.raises(ValueError, match="publika"):
        check_charts(["kon_alder"], public=True)
    with pytest.raises(ValueError, match="Okänt diagram"):
        check_charts(["finns_inte"])


def test_public_deck_and_report_have_support_lines_and_no_small_counts(public_pack):
    assert public.support_file().exists()
    assert public_pack.support, "data/stodlinjer.toml finns men inga stödlinjer kom med"
    deck = Presentation(io.BytesIO(pack_bytes(public_pack, "pptx")))
    titles = [_title(s) for s in deck.slides]
    assert "Stöd och kontakter" in titles
    support_slide = deck.slides[titles.index("Stöd och kontakter")]
    text = "\n".join(_slide_texts(support_slide))
    assert public_pack.support[0].name in text and "[Fyll i" not in text
    for slide in deck.slides:
        if _title(slide) in FIXED_TITLES:
            continue
        texts = _slide_texts(slide) + [slide.notes_slide.notes_text_frame.text]
        assert not small_numbers("\n".join(texts), 10), _title(slide)
        assert "Kön" not in "\n".join(texts) and "ålder" not in "\n".join(texts).lower()
    reader = PdfReader(io.BytesIO(pack_bytes(public_pack, "pdf")))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert "Stöd och kontakter" in text and public_pack.support[0].name in text
    book = load_workbook(io.BytesIO(pack_bytes(public_pack, "xlsx")))
    assert "Per år" in book.sheetnames and "Ålder och kön" not in book.sheetnames


def test_public_pack_without_support_file(store, browser, monkeypatch, tmp_path):
    monkeypatch.setattr(public, "support_file", lambda: tmp_path / "saknas.toml")
    made = build_pack(store, PackRequest(Filters(*PERIOD), public=True))
    assert made.support == []
    deck = Presentation(io.BytesIO(pack_bytes(made, "pptx")))
    assert "Stöd och kontakter" not in [_title(s) for s in deck.slides]
