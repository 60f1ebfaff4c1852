"""Every dashboard page through Streamlit's AppTest, on a copy of the demo database."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.helpers.apptest import assert_ok, charts_of, start

PAGES = ["pages/oversikt.py", "pages/trender.py", "pages/omraden.py", "pages/malgrupper.py",
         "pages/rapportering.py", "pages/om.py"]


def widget(at: AppTest, label: str):
    return next(w for w in at.sidebar.multiselect if w.label == label)


def period_slider(at: AppTest):
    return at.get("select_slider")[0]


def url(at: AppTest) -> dict[str, str]:
    """The app's query parameters (one value each)."""
    return {k: v if isinstance(v, str) else ",".join(v) for k, v in at.query_params.items()}


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# -- every page renders ---------------------------------------------------------------------------
def test_every_page_renders_with_content_banners_and_filters(demo_db: Path):
    at = start()
    assert_ok(at)
    for page in PAGES:
        at.switch_page(page).run()
        assert_ok(at)
        assert at.title, page
        assert any("Demodata – syntetiska uppgifter, inte verkliga rapporter" in w.value
                   for w in at.warning), page
        assert any("localhost" in c.value for c in at.sidebar.caption), page
        assert [w.label for w in at.sidebar.multiselect] == [
            "Område", "Form av extremism", "Rapporterande verksamhet", "Rapporttyp"]
        figures = charts_of(at)
        if page != "pages/om.py":
            assert figures, f"{page} has no chart"
        for fig in figures:
            assert fig["data"], f"{page}: an empty chart"
            assert "Källa: UmeBrå" in json.dumps(fig["layout"]["annotations"],
                                                 ensure_ascii=False)


def test_overview_shows_key_figures_summary_and_missing_partner(demo_db: Path):
    at = start()
    assert_ok(at)
    assert set(metrics(at)) == {"Rapporter totalt", "Orosrapporter", "Incidenter",
                                "Till konsultationsforum"}
    text = "\n".join(m.value for m in at.markdown)
    # the card's verdict comes from the signal method (issue 13), not a c-chart of 8 quarters
    assert "Mot föregående kvartal" in text and "Bedömning:" in text
    assert "Under 20" in text  # the summary: "Under 2026K3 kom … rapporter"
    assert any("Rapporter saknas" in w.value and "Trossamfund" in w.value for w in at.warning)


def test_page_controls_work(demo_db: Path):
    at = start()
    at.switch_page("pages/trender.py").run()
    for choice in ("Händelsetyp", "Rapporterande verksamhet", "Ingen uppdelning (totalt)"):
        at.selectbox(key="trend_by").set_value(choice).run()
        assert_ok(at)
        assert charts_of(at)
    at.selectbox(key="trend_by").set_value("Område").run()
    at.get("button_group")[0].set_value("Per 10 000 invånare").run()
    assert_ok(at)
    at.switch_page("pages/omraden.py").run()
    at.get("button_group")[0].set_value("Per 10 000 invånare").run()
    assert_ok(at)
    assert any(t["type"] == "choropleth" for f in charts_of(at) for t in f["data"])
    at.switch_page("pages/malgrupper.py").run()
    at.get("button_group")[0].set_value("Åldersgrupp").run()
    at.get("button_group")[1].set_value("per händelsetyp").run()
    assert_ok(at)


def test_rate_map_covers_the_whole_period_and_gender_shares_are_published(demo_db: Path):
    at = start()
    period = "–".join(period_slider(at).value)
    at.switch_page("pages/omraden.py").run()
    at.get("button_group")[0].set_value("Per 10 000 invånare").run()
    assert_ok(at)
    maps = [f for f in charts_of(at) if any(t["type"] == "choropleth" for t in f["data"])]
    assert maps and period in maps[0]["layout"]["title"]["text"]
    rates = [z for t in maps[0]["data"] if t["type"] == "choropleth" for z in t["z"]]
    assert rates and all(z is not None and z > 0 for z in rates), "a rate for every area"
    subtitle = maps[0]["layout"]["title"]["subtitle"]["text"]
    assert "Befolkning 2025 används för" in subtitle  # the demo's population is from 2025
    at.switch_page("pages/malgrupper.py").run()
    assert_ok(at)
    shares = charts_of(at)[0]
    men = next(t for t in shares["data"] if t.get("name") == "Man")
    assert sum(x is not None for x in men["x"]) >= len(men["x"]) / 2, "shares for most forms"
    assert any(t.get("name") == "Annat" for t in shares["data"])  # analysts: every category
    group = start(protected=True)  # the preparation group's numbers: one gender breakdown
    group.switch_page("pages/malgrupper.py").run()
    assert_ok(group)
    merged = charts_of(group)[0]
    assert not any(t.get("name") == "Annat" for t in merged["data"])
    assert any(t.get("name") == "Man" for t in merged["data"])
    forum = charts_of(at)[-1]
    assert {t.get("name") for t in forum["data"]} >= {"Alla rapporter",
                                                     "Till konsultationsforum"}


# -- filters ----------------------------------------------------------------------------------
def test_filters_change_the_numbers_and_survive_a_page_switch(demo_db: Path):
    at = start()
    everything = metrics(at)
    widget(at, "Område").set_value(["Centrum"]).run()
    assert_ok(at)
    centrum = metrics(at)
    assert centrum["Rapporter totalt"] != everything["Rapporter totalt"]
    assert url(at)["omrade"] == "Centrum"
    period_slider(at).set_range("2025K1", "2025K4").run()
    assert metrics(at) != centrum
    assert url(at)["fran"] == "2025K1" and url(at)["till"] == "2025K4"
    at.switch_page("pages/trender.py").run()
    assert_ok(at)
    assert widget(at, "Område").value == ["Centrum"]
    assert period_slider(at).value == ("2025K1", "2025K4")
    assert url(at)["omrade"] == "Centrum"
    subtitle = charts_of(at)[0]["layout"]["title"]["subtitle"]["text"]
    assert "Område: Centrum" in subtitle
    at.sidebar.button[0].click().run()  # Återställ urvalet
    assert widget(at, "Område").value == []
    assert "omrade" not in at.query_params


def test_url_reproduces_the_view(demo_db: Path):
    by_hand = start()
    widget(by_hand, "Område").set_value(["Centrum", "Teg"]).run()
    widget(by_hand, "Rapporttyp").set_value(["Oro"]).run()
    period_slider(by_hand).set_range("2025K1", "2025K4").run()
    link = url(by_hand)
    assert link == {"fran": "2025K1", "till": "2025K4", "omrade": "Centrum,Teg",
                    "rapporttyp": "Oro"}
    st.cache_data.clear()
    from_link = start(link)
    assert_ok(from_link)
    assert widget(from_link, "Område").value == ["Centrum", "Teg"]
    assert period_slider(from_link).value == ("2025K1", "2025K4")
    assert metrics(from_link) == metrics(by_hand)


def test_bad_url_values_are_ignored_quietly(demo_db: Path):
    at = start({"fran": "2099K9", "till": "igår", "omrade": "Centrum,Atlantis",
                "form": "högerextremism", "rapporttyp": ""})
    assert_ok(at)
    assert widget(at, "Område").value == ["Centrum"]
    assert widget(at, "Form av extremism").value == ["Högerextremism"]  # matched loosely
    default = start()
    assert period_slider(at).value == period_slider(default).value
    assert not any("Atlantis" in w.value for w in at.warning)
    assert any("Atlantis" in c.value for c in at.sidebar.caption)


# -- disclosure control -------------------------------------------------------------------------
SMALL = {"1", "2", "3", "4"}
# Columns that hold numbers that are not counts of reports.
NOT_COUNTS = {"Import", "Importerad", "Period", "Fil", "Av", "Typ", "Status", "Verksamheter"}
SMALL_IN_TEXT = re.compile(r"(?<![\d,.\-–K])[1-4](?![\d,]| ?%)(?= (rapporter|ärenden|"
                           r"orosrapporter|incidenter)\b|\)|$)")
SMALL_IN_CHART = re.compile(r"^(.*: )?[1-4]$")


def visible_counts(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) of everything on the page that may show a count."""
    found = [("metric", m.value) for m in at.metric]
    found += [("markdown", m.value) for m in at.markdown]
    found += [("warning", w.value) for w in at.warning]
    for frame in at.dataframe:
        table = frame.value
        for column in table.columns:
            if str(column) in NOT_COUNTS or str(column).endswith("(andel)"):
                continue
            found += [(f"table {column}", str(v)) for v in table[column].tolist()]
    for fig in charts_of(at):
        for trace in fig["data"]:
            for key in ("text", "hovertext"):
                values = trace.get(key)
                values = [values] if isinstance(values, str) else values or []
                for value in values:
                    for item in value if isinstance(value, list) else [value]:
                        for part in str(item).split("<br>"):
                            found.append((f"chart {key}", re.sub("<[^>]+>", "", part)))
    return found


def small_counts(at: AppTest) -> list[tuple[str, str]]:
    bad = []
    for where, text in visible_counts(at):
        text = text.strip()
        kind = where.split()[0]
        if kind == "table":
            small = text in SMALL
        elif kind == "chart":
            small = bool(SMALL_IN_CHART.match(text))
        else:
            small = text in SMALL or bool(SMALL_IN_TEXT.search(text))
        if small:
            bad.append((where, text))
    return bad


@pytest.mark.parametrize("district", [["Hörnefors"], ["Sävar", "Teg"]])
def test_hidden_counts_never_appear_as_digits(demo_db: Path, district: list[str]):
    at = start(protected=True)
    widget(at, "Område").set_value(district).run()
    seen_small = False
    for page in PAGES:
        at.switch_page(page).run()
        assert_ok(at)
        assert small_counts(at) == [], page
        seen_small |= any(text in ("<5", "..") for _, text in visible_counts(at))
    assert seen_small, "the selection should have produced hidden values"


def test_analysts_see_exact_counts_marked_and_the_group_protected_ones(demo_db: Path):
    """On screen an analyst sees exact counts, said so on the page; the protected view is the
    preparation group's, with the note. The same key figure differs by at most 2."""
    from lagesbild.numbers.disclosure import EXACT_NOTE, NOTE

    exact = start()
    assert_ok(exact)
    captions = " ".join(c.value for c in exact.caption)
    assert EXACT_NOTE in captions and NOTE not in captions
    protected = start(protected=True)
    assert_ok(protected)
    captions = " ".join(c.value for c in protected.caption)
    assert NOTE in captions and EXACT_NOTE not in captions
    total = {at: int(at.metric[0].value.replace("\u00a0", "")) for at in (exact, protected)}
    assert abs(total[exact] - total[protected]) <= 2


def test_the_scanner_finds_small_counts():
    class Fake:
        metric = []
        markdown = [type("M", (), {"value": "Under 2026K3 kom 3 rapporter."})()]
        warning = []
        dataframe = []

        def get(self, _kind):
            return []

    assert small_counts(Fake()) == [("markdown", "Under 2026K3 kom 3 rapporter.")]
    assert SMALL_IN_CHART.match("Centrum, 2025K1: 3")
    assert not SMALL_IN_CHART.match("Centrum, 2025K1: <5")


# -- an empty database --------------------------------------------------------------------------
def test_empty_database_shows_the_start_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from lagesbild import service as bootstrap
    from lagesbild.store import Store

    path = tmp_path / "tom.duckdb"
    store = Store.open(path)
    bootstrap.seed_demo(store)
    bootstrap.remove_demo(store, "test")  # removed for good: not seeded again
    store.close()
    monkeypatch.setenv("LAGESBILD_DB", str(path))
    at = start()
    assert_ok(at)
    assert at.title[0].value == "Välkommen till Lägesbild"
    code = "\n".join(c.value for c in at.code)
    assert "lagesbild template --out mall.xlsx" in code and "lagesbild import" in code
    assert not at.sidebar.multiselect  # no filters without data
    assert not any("Demodata" in w.value for w in at.warning)
    at.switch_page("pages/om.py").run()
    assert_ok(at)
    assert "Stödlinjer" in "".join(t.label for t in at.tabs)


def test_age_groups_can_be_merged_with_exact_counts_only(demo_db: Path):
    """Målgrupper: an analyst merges the age bands (0–17, 18–24, 25+); for protected
    numbers the choice is there but off, with the reason (one breakdown per dimension)."""
    at = start()
    at.switch_page("pages/malgrupper.py").run()
    at.get("button_group")[0].set_value("Åldersgrupp").run()
    assert_ok(at)
    names = {t.get("name") for t in charts_of(at)[0]["data"]}
    assert {"13–15", "16–17"} <= names
    merge = next(t for t in at.toggle if t.label.startswith("Slå ihop åldersgrupper"))
    assert not merge.proto.disabled
    merge.set_value(True).run()
    assert_ok(at)
    merged = {t.get("name") for t in charts_of(at)[0]["data"]}
    assert {"0–17", "18–24", "25+"} <= merged and not {"13–15", "16–17", "40+"} & merged
    group = start(protected=True)
    group.switch_page("pages/malgrupper.py").run()
    group.get("button_group")[0].set_value("Åldersgrupp").run()
    assert_ok(group)
    locked = next(t for t in group.toggle if t.label.startswith("Slå ihop åldersgrupper"))
    assert locked.proto.disabled and "skillnaden" in locked.help
    assert {"13–15", "16–17"} <= {t.get("name") for t in charts_of(group)[0]["data"]}
