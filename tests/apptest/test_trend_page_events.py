"""Context events on the Trender page: the legend, the marks and one download menu per chart."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from lagesbild.charts import EVENT_MARK
from lagesbild.export import images
from tests.helpers.apptest import APP, PROTECTED_VIEW


def test_trend_page_shows_events_and_one_download_menu_per_chart(demo_db):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[PROTECTED_VIEW] = True  # downloads without choosing an exact export
    at.run()
    at.switch_page("pages/trender.py").run()
    assert not at.exception, [e.value for e in at.exception]
    legend = [c.value for c in at.caption if "Omvärldshändelser" in c.value]
    assert legend and "1. " in legend[0]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert any(a.get("name") == EVENT_MARK for a in spec["layout"]["annotations"])
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("Data (CSV, för Excel)") == 2  # the chart and the table
    assert labels.count("Data (Excel)") == 2
    assert labels.count("Bild (PNG)") == (1 if images.browser_available() else 0)
