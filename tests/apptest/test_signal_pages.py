"""The pages say what the signal method supports (issue 13): changes as numbers, flags only
where the method finds them, no significance words for a simple change, the method on Om
lägesbilden, rates per year."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest
from streamlit.proto.Metric_pb2 import Metric

from lagesbild.domain.periods import quarter_start, quarters_between
from lagesbild.numbers import signals as sg
from lagesbild.store import Store
from tests.helpers.apptest import assert_ok, charts_of, start
from tests.helpers.apptest import texts as raw_texts
from tests.helpers.reports import SEVEN, load

# Words of the old method that must not come back: a simple change is not a verdict.
SIGNIFICANCE = re.compile(r"tydlig (ökning|minskning)|statistiskt säkerställd|p < 0,05|"
                          r"ungefär som|ungefär densamma|kontrollgräns", re.IGNORECASE)


def _steady_then_up(path: Path) -> None:
    """Nine quarters from 2023K1 of about 40 reports, then +30 % (2025K2): real growth of the
    size today's pages called 'ungefär som föregående kvartal' – and not unusual either."""
    row = SEVEN[1]
    counts = [40, 42, 38, 41, 39, 40, 43, 38, 40, 52]
    rows = []
    for quarter, n in zip(quarters_between("2023K1", "2025K2"), counts, strict=True):
        day = quarter_start(quarter) + dt.timedelta(days=20)
        rows += [(row[0], day, *row[2:])] * n
    store = Store.open(path)
    load(store, rows)
    store.close()


def texts(at) -> str:  # noqa: ANN001
    """Every text on the page as a reader sees it (texts from the data are shown literally,
    with Markdown's characters as HTML entities)."""
    return html.unescape(raw_texts(at))


@pytest.fixture
def steady_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "steady.duckdb"
    _steady_then_up(path)
    monkeypatch.setenv("LAGESBILD_DB", str(path))
    return path


def test_a_simple_change_is_shown_as_numbers_not_as_a_verdict(steady_db: Path):
    at = start()
    assert_ok(at)
    page = texts(at)
    assert "Läget **2025K2**" in page
    assert "Mot föregående kvartal (2025K1): 40 → 52 (+30\u00a0%)" in page
    assert "Bedömning: **ingen säkerställd förändring**" in page
    assert "ingen säkerställd förändring (40 → 52)" in page  # the summary
    assert not SIGNIFICANCE.search(page), SIGNIFICANCE.search(page)
    totals = next(m for m in at.metric if m.label == "Rapporter totalt")
    assert totals.value == "52" and totals.proto.delta == "+30\u00a0%"
    assert totals.proto.color == Metric.MetricColor.GRAY, "no colour: not a verdict"


def test_the_overview_of_the_demo_uses_the_new_method(demo_db: Path):
    at = start(protected=True)  # as the preparation group sees it
    assert_ok(at)
    page = texts(at)
    assert not SIGNIFICANCE.search(page), SIGNIFICANCE.search(page)
    assert "Bedömning: **varaktig ökning (" in page  # the demo's growth, over four quarters
    assert "→" in page and "ej jämförbart" in page  # Trossamfund is missing for 2026K3
    assert "Räknas inte med i jämförelserna" in page and "Trossamfund" in page
    assert "De fyra senaste kvartalen: varaktig ökning av rapporterna" in page
    totals = next(m for m in at.metric if m.label == "Rapporter totalt")
    assert not totals.proto.delta, "not like for like (Trossamfund missing): no delta"
    assert "det normala intervallet utifrån tidigare kvartal" in page
    assert "åtta föregående" not in page.replace("de åtta föregående kvartalen", "")


def test_the_trend_page_names_unusual_and_lasting_changes(demo_db: Path):
    at = start()
    at.switch_page("pages/trender.py").run()
    assert_ok(at)
    page = texts(at)
    assert "**Varaktiga förändringar**" in page and "varaktig ökning" in page
    assert not SIGNIFICANCE.search(page), SIGNIFICANCE.search(page)
    at.selectbox(key="trend_by").set_value("Rapporterande verksamhet").run()
    assert_ok(at)
    assert "bedöms för totalen, formerna och områdena, inte per rapporterande verksamhet" \
        in texts(at)
    at.selectbox(key="trend_by").set_value("Område").run()
    at.get("button_group")[0].set_value("Per 10 000 invånare").run()
    assert_ok(at)
    titles = [f["layout"]["title"]["text"] for f in charts_of(at)]
    assert any("per 10 000 invånare och år" in t for t in titles), titles
    assert "Kvoten är per år" in texts(at)


def test_the_area_rates_are_per_year(demo_db: Path):
    at = start()
    at.switch_page("pages/omraden.py").run()
    at.get("button_group")[0].set_value("Per 10 000 invånare").run()
    assert_ok(at)
    maps = [f for f in charts_of(at) if any(t["type"] == "choropleth" for t in f["data"])]
    assert "per 10 000 invånare och år" in maps[0]["layout"]["title"]["text"]
    assert "Per år: snittet av 8 kvartal" in maps[0]["layout"]["title"]["subtitle"]["text"]


def test_om_lagesbilden_explains_the_method_the_code_uses(demo_db: Path):
    at = start()
    at.switch_page("pages/om.py").run()
    assert_ok(at)
    shown = html.unescape("\n".join(m.value for m in at.markdown))
    assert sg.METHOD_TEXT in shown
    assert "Hur vi avgör vad som är ovanligt" in "\n".join(s.value for s in at.subheader)
    assert "per 10 000 invånare och år" in shown
    assert not SIGNIFICANCE.search(shown), SIGNIFICANCE.search(shown)
