"""The Streamlit side of export: the Export page and the download menu (streamlit AppTest)."""

from __future__ import annotations

import os

import pytest
from streamlit.testing.v1 import AppTest

from lagesbild.export import images

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
needs_browser = pytest.mark.skipif(
    not images.browser_available() and os.environ.get("CI") != "true",
    reason="Chromium saknas (i CI körs testerna alltid)")

MENU = '''
import pandas as pd
import plotly.graph_objects as go
from ui.downloads import download_menu

fig = go.Figure(go.Bar(x=["Centrum", "Teg"], y=[10, None]))
data = pd.DataFrame({"omrade": ["Centrum", "Teg"], "antal": pd.array([10, None], "Int64"),
                     "undertryckt": [False, True], "visas": ["10", "<5"]})
download_menu(fig, data, "Rapporter per stadsdel", "Område: Centrum, Teg", key="t")
'''


@pytest.fixture
def app_db(demo_db, monkeypatch):
    """The demo database as the app's, run from the project folder."""
    monkeypatch.chdir(PROJECT)
    return demo_db


def test_export_page_internal_and_public(app_db):
    at = AppTest.from_file(os.path.join(PROJECT, "pages", "export.py"),
                           default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Export"
    assert at.multiselect[0].value == ["trender_per_form", "per_omrade", "per_verksamhet",
                                       "kon_alder", "konsultation"]
    captions = " ".join(c.value for c in at.caption)
    assert "_lagesbild.pptx" in captions
    at.toggle[0].set_value(True).run()
    assert not at.exception
    assert at.multiselect[0].value == ["trend_totalt", "per_form", "per_omrade"]
    assert "kon_alder" not in at.multiselect[0].options
    assert "_lagesbild_publik.pptx" in " ".join(c.value for c in at.caption)


def _labels(at: AppTest) -> list[str]:
    return [b.label for b in at.get("download_button")]


FORMATS = (["Bild (PNG)", "Vektorbild (SVG)", "PDF"] if images.browser_available() else []) \
    + ["Data (Excel)", "Data (CSV, för Excel)"]


def test_download_menu_offers_every_format(app_db):
    """An analyst on this computer (localhost mode) sees exact counts: nothing is offered for
    download until an internal exact export is chosen explicitly; with the protected view
    (the preparation group's numbers) every format is offered at once."""
    at = AppTest.from_string(MENU, default_timeout=60).run()
    assert not at.exception
    assert _labels(at) == []
    exact = next(c for c in at.checkbox if "exakta antal" in c.label)
    exact.check().run()
    assert not at.exception
    assert _labels(at) == FORMATS
    protected = AppTest.from_string(MENU, default_timeout=60)
    protected.session_state["visa_skyddade_siffror"] = True
    protected.run()
    assert not protected.exception
    assert _labels(protected) == FORMATS
    assert not [c for c in protected.checkbox if "exakta antal" in c.label]


@needs_browser
def test_cached_image_is_reused_and_redrawn_when_the_figure_changes():
    import plotly.graph_objects as go

    from ui.downloads import cached_image

    fig = go.Figure(go.Bar(x=["a", "b"], y=[10, 20]))
    key = ("Test", (1, 0), "", "2026K3")
    first = cached_image(fig, "svg", key)
    before = images.stats()["renders"]
    assert cached_image(fig, "svg", key) == first
    assert images.stats()["renders"] == before  # from the cache, not drawn again
    fig.update_layout(title="Ändrad")
    assert cached_image(fig, "svg", key) != first
