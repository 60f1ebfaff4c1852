"""Accessibility in the engine: every catalogue entry's text alternative (its sentence and
its table carry the same protected values as the chart), the colours (heat-map numbers
readable on every cell, the form palette told apart under colour-vision deficiency), the
marks of hidden points, and the HTML table and Swedish layer of the dashboard (ui)."""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from lagesbild import charts, views
from lagesbild.charts import ChartContext
from lagesbild.domain import config
from lagesbild.numbers.query import Filters

PERIOD = ("2025K1", "2026K2")
ENTRIES = [views.Trend(by=None), views.Trend(by="form"), views.Trend(by=None, measure="per10k"),
           views.Trend(by="omrade", measure="per10k"), views.Trend(by="form", multiples=True),
           views.DistrictMap(), views.DistrictMap("per10k"), views.DistrictRanking(),
           views.DistrictRanking("per10k"), views.DistrictQuarters(), views.Lens(),
           views.Lens(by="aldersgrupp", group="handelse"), views.AgeGender(), views.Funnel(),
           views.Ranking(), views.Ranking("verksamhet"), views.Coverage(),
           views.QuartersAndYears(), views.Trainings(), views.ConcernsAndTraining()]


def _marks(frame: pd.DataFrame) -> dict[str, int]:
    text = frame.astype(str).to_numpy().ravel()
    return {"<5": int(sum(t == "<5" for t in text)), "..": int(sum(t == ".." for t in text))}


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: repr(e))
def test_every_entry_has_a_sentence_and_a_table_with_the_charts_protected_values(
        demo_store, entry: views.Entry) -> None:
    protection = views.protection_for(config.settings().disclosure)
    table = entry.table(demo_store, Filters(*PERIOD), protection)
    context = views.Context(chart=ChartContext(period="2025K1–2026K2"))
    sentence = entry.summary(table, context)
    alt = entry.alt_table(table)
    assert sentence and len(sentence) < 700, sentence
    assert "<NA>" not in sentence and not re.search(r"\bnan\b", sentence.lower())
    assert not alt.empty and all(str(c) for c in alt.columns)
    cells = alt.astype(str).to_numpy().ravel()
    assert not any(c in ("<NA>", "nan", "None") for c in cells), alt
    if "undertryckt" in table and "visas" in table and table["undertryckt"].any():
        hidden = table[table["undertryckt"].astype(bool)]
        # every hidden value of the table the chart draws is in the text alternative as its
        # mark, never as a number: the marks there are a subset of the table's marks
        shown_marks = set(hidden["visas"].astype(str))
        assert set(c for c in cells if c.startswith("<") or c == "..") <= shown_marks | {"<5"}
        assert any(c in shown_marks for c in cells), (shown_marks, alt)
    # no exact count of a hidden cell leaks into the text alternative
    if "antal" in table and "undertryckt" in table and entry.key != "deltagare":
        secret = {str(int(v)) for v in table.loc[table["undertryckt"].astype(bool), "antal"]
                  .dropna()}
        assert not secret, "protected tables carry no hidden counts"


def test_hidden_values_are_never_compared_in_a_sentence() -> None:
    rows = pd.DataFrame({"kvartal": ["2025K1", "2025K2", "2025K3"],
                         "antal": pd.array([40, None, 12], dtype="Int64"),
                         "undertryckt": [False, True, False], "visas": ["40", "..", "12"]})
    from lagesbild.views import words

    assert words.extremes(rows, "kvartal") == "flest 2025K1 (40), färst 2025K3 (12)"
    assert words.protected_text(rows, 5) == " 1 värde är skyddat (visas som <5 eller ..)."
    everything_hidden = rows.assign(undertryckt=True)
    assert words.extremes(everything_hidden, "kvartal") == "inga värden kan visas (små tal)"


def test_heatmap_numbers_reach_4_5_to_1_on_every_cell() -> None:
    white, black = (1.0, 1.0, 1.0), (0.0, 0.0, 0.0)
    worst = min(charts.theme.contrast_ratio(
        charts.theme.scale_colour(i / 1000),
        white if charts.text_colour(i, 1000) == "#FFFFFF" else black) for i in range(1001))
    assert worst >= 4.5, worst


_MACHADO = {  # Machado, Oliveira & Fernandes (2009), severity 1.0
    "protan": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
               [-0.003882, -0.048116, 1.051998]],
    "deutan": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
               [-0.011820, 0.042940, 0.968881]],
    "tritan": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
               [0.004733, 0.691367, 0.303900]],
}


def _lab(colour: str, deficiency: str | None) -> np.ndarray:
    rgb = np.array([int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    if deficiency:
        linear = np.clip(np.array(_MACHADO[deficiency]) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("deficiency", [None, "protan", "deutan", "tritan"])
def test_the_form_colours_stay_apart_under_colour_vision_deficiency(deficiency) -> None:
    """Every pair of form colours (Okabe–Ito and the grey of 'Ej bedömd') differs by at
    least ΔE 10 (CIE76) for the common deficiencies."""
    for palette in (list(charts.FORM_COLOURS.values()), list(charts.CATEGORY_PALETTE[:8])):
        closest = min(float(np.linalg.norm(_lab(a, deficiency) - _lab(b, deficiency)))
                      for a, b in itertools.combinations(palette, 2))
        assert closest >= 10, (deficiency, closest)


def test_points_hidden_to_protect_another_get_a_mark_like_small_ones() -> None:
    spec = charts.style_spec("screen")
    marks = charts.points.hidden_marks(["2025K1", "2025K2", "2025K3"], ["<5", "..", "12"],
                                       ["a", "b", "c"], ChartContext(threshold=5), spec, True)
    by_text = {tuple(m["text"]): m for m in marks}
    assert set(by_text) == {("<5",), ("..",)}
    assert by_text[("..",)]["x"] == ["2025K2"] and "..'" not in by_text[("..",)]["name"]
    assert by_text[("<5",)]["name"] != by_text[("..",)]["name"]  # told apart in the legend


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN201
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):  # noqa: ANN001, ANN201
        self.text.append(data)


def test_the_chart_table_is_a_real_table_with_every_text_escaped() -> None:
    from ui.chart_alt import cell_text, table_html

    frame = pd.DataFrame({"Område <i>": ["<script>alert(1)</script>", "Teg & Ersboda"],
                          "Antal": ["<5", 12345], "Andel": [12.25, None]})
    parser = _Tags()
    parser.feed(table_html("Rapporter per område <b>", frame))
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags and "i" not in tags and "b" not in tags
    assert tags.count("caption") == 1 and tags.count("table") == 1
    assert [a.get("scope") for t, a in parser.tags if t == "th"] == \
        ["col", "col", "col", "row", "row"]
    text = "".join(parser.text)
    assert "<script>alert(1)</script>" in text and "Rapporter per område <b>" in text
    assert "12\u00a0345" in text and "<5" in text and "12,2" in text and "–" in text
    assert cell_text(1234567) == "1\u00a0234\u00a0567" and cell_text(pd.NA) == "–"


def test_the_swedish_layer_survives_streamlits_sanitiser() -> None:
    """DOMPurify drops a <script> whose text has '<' before a letter, '/' or '!'."""
    from ui import sv_interface

    assert not re.search(r"<[A-Za-z/!]", sv_interface.JS)
    assert "Hoppa till huvudinnehållet" in sv_interface.JS
