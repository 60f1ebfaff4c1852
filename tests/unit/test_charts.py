"""Chart builders: conventions every figure follows, and hidden values never drawn as 0."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import pytest

from lagesbild import charts
from lagesbild.domain.codelists import areas
from lagesbild.numbers.query import Filters

CTX = charts.ChartContext(period="2025K1–2026K3", filters="Område: Centrum", n=1234,
                          data_as_of=dt.datetime(2026, 11, 24, 9, 30), threshold=5)
QUARTERS = ["2025K1", "2025K2", "2025K3", "2025K4", "2026K1", "2026K2", "2026K3"]


def protected(values: list[int | None], **columns: list) -> pd.DataFrame:
    """A frame shaped like the engine's output: antal (<NA> if hidden), undertryckt, visas."""
    hidden = [v is not None and 0 < v < 5 for v in values]
    return pd.DataFrame({
        **columns,
        "antal": pd.array([None if h else v for v, h in zip(values, hidden, strict=True)],
                          dtype="Int64"),
        "undertryckt": hidden,
        "visas": ["<5" if h else str(v) for v, h in zip(values, hidden, strict=True)],
    })


def trend_frame() -> pd.DataFrame:
    rows = []
    for form, counts in (("Högerextremism", [30, 31, 29, 35, 40, 38, 60]),
                         ("Vänsterextremism", [6, 3, 7, 2, 8, 6, 5])):
        frame = protected(counts, kvartal=QUARTERS, form=[form] * 7)
        frame["varde"] = frame["antal"].astype("Float64")
        frame["baslinje"] = [None, None, 30.0, 30.0, 31.0, 33.0, 35.0]
        frame["nedre_grans"] = [None, None, 14.0, 14.0, 15.0, 16.0, 17.0]
        frame["ovre_grans"] = [None, None, 46.0, 46.0, 47.0, 50.0, 52.0]
        frame["signal"] = [False] * 6 + [form == "Högerextremism"]
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def all_text(fig: go.Figure) -> str:
    """Every string a reader can see in a figure: titles, annotations, trace texts."""
    layout = fig.layout
    parts = [layout.title.text or "", layout.title.subtitle.text or ""]
    parts += [a.text or "" for a in layout.annotations]
    for trace in fig.data:
        for attr in ("text", "hovertext", "name"):
            value = getattr(trace, attr, None)
            if value is None:
                continue
            if isinstance(value, str):
                parts.append(value)
            else:
                for item in value:
                    parts.extend(item if isinstance(item, list | tuple) else [str(item)])
    return "\n".join(str(p) for p in parts)


def check_conventions(fig: go.Figure, what: str) -> None:
    assert fig.layout.title.text == f"{what}, 2025K1–2026K3"
    assert "Område: Centrum" in fig.layout.title.subtitle.text
    assert "n = 1\u00a0234" in fig.layout.title.subtitle.text
    sources = [a for a in fig.layout.annotations if a.name == "kalla"]
    assert len(sources) == 1
    assert sources[0].text == ("Källa: UmeBrå, partnernas rapporter. Data per 2026-11-24. "
                               "Värden under 5 visas som <5. Små avvikelser kan förekomma "
                               "för att skydda enskilda.")
    assert fig.layout.separators == ", "


def test_trend_chart_conventions_band_signals_and_hidden_points():
    fig = charts.trend_chart(trend_frame(), CTX, what="Rapporter per form", series="form",
                             value="varde", lower="nedre_grans", upper="ovre_grans",
                             baseline="baslinje", signal="signal", breaks=["2026K1"],
                             incomplete=["2026K3"])
    check_conventions(fig, "Rapporter per form")
    lines = {t.name: t for t in fig.data if t.type == "scatter" and t.mode == "lines+markers"}
    assert lines["Högerextremism"].line.color == charts.FORM_COLOURS["Högerextremism"]
    left = lines["Vänsterextremism"].y
    assert left[1] is None and left[3] is None  # hidden: a gap, never 0
    assert 0 not in [v for v in left if v is not None]
    marks = [t for t in fig.data if t.name and t.name.startswith("Under 5")]
    assert len(marks) == 1 and set(marks[0].text) == {"<5"}
    assert all(y == 2.5 for y in marks[0].y)  # between 1 and 4, not on the zero line
    rings = [t for t in fig.data if t.name == "Ovanligt kvartal"]
    assert list(rings[0].x) == ["2026K3"] and list(rings[0].y) == [60]
    assert any(t.fill == "tonexty" for t in fig.data)  # the baseline band
    assert any(s.type == "line" and s.x0 == QUARTERS.index("2026K1") - 0.5
               for s in fig.layout.shapes)  # the series break
    assert "Seriebrott" in all_text(fig) and "ofullständigt" in all_text(fig)
    assert list(fig.layout.xaxis.categoryarray) == QUARTERS


def test_hidden_values_are_never_shown_as_small_digits():
    frame = trend_frame()
    for fig in (
        charts.trend_chart(frame, CTX, what="A", series="form", value="varde"),
        charts.small_multiples(frame, CTX, what="B", facet="form", value="varde"),
        charts.ranked_bar(frame[frame["kvartal"] == "2025K2"], CTX, what="C",
                          category="form"),
        charts.heatmap(frame, CTX, what="D", y="form"),
    ):
        text = all_text(fig)
        for small in ("1", "2", "3", "4"):
            assert f": {small}<" not in text and f": {small}\n" not in text
            assert not any(line.endswith(f": {small}") for line in text.splitlines())


def test_ranked_bar_puts_hidden_last_grey_and_hatched():
    frame = protected([12, 3, 40, 0], omrade=["Teg", "Haga", "Centrum", "Sävar"])
    fig = charts.ranked_bar(frame, CTX, what="Rapporter per stadsdel")
    check_conventions(fig, "Rapporter per stadsdel")
    shown, hidden = fig.data
    assert list(shown.y) == ["Centrum", "Teg", "Sävar"]
    assert list(hidden.y) == ["Haga"] and list(hidden.text) == ["<5"]
    assert hidden.marker.color == charts.SUPPRESSED_COLOUR
    assert hidden.marker.pattern.shape == "/"
    assert list(hidden.x) == [5]  # drawn as "somewhere below 5", never 0
    assert list(fig.layout.yaxis.categoryarray) == ["Haga", "Sävar", "Teg", "Centrum"]


def test_heatmap_greys_hidden_cells_and_marks_missing_reports():
    frame = protected([10, 2, 7, 0], kvartal=["2026K2", "2026K3", "2026K2", "2026K3"],
                      verksamhet=["Polis", "Polis", "Skola", "Skola"])
    missing = pd.DataFrame({"kvartal": ["2026K3"], "verksamhet": ["Trossamfund"]})
    fig = charts.heatmap(frame, CTX, what="Täckning", y="verksamhet", missing=missing)
    check_conventions(fig, "Täckning")
    main, hidden = fig.data[0], fig.data[1]
    assert list(main.z[0]) == [10.0, None]  # Polis 2026K3 is hidden: no colour value
    assert list(hidden.z[0]) == [None, 1]
    texts = next(t for t in fig.data if t.type == "scatter" and t.mode == "text")
    assert "<5" in texts.text and "saknas" in texts.text and "0" in texts.text
    assert any(t.name and "saknas" in t.name for t in fig.data)


def test_map_colours_areas_by_district_offline_and_greys_hidden():
    frame = protected([25, 3, 0], omrade=["Centrum", "Ålidhem", "Teg"])
    fig = charts.district_map(frame, CTX, what="Rapporter per stadsdel")
    check_conventions(fig, "Rapporter per stadsdel")
    # Offline: no map tiles, and every map panel starts with a Scattergeo (no topojson).
    assert fig.layout.geo.visible is False and fig.layout.geo.fitbounds == "locations"
    assert not any(t.type in ("scattermap", "choroplethmap", "densitymap") for t in fig.data)
    assert "mapbox" not in fig.to_plotly_json()["layout"]
    first = {}
    for trace in fig.data:
        first.setdefault(trace.geo or "geo", trace.type)
    assert first == {"geo": "scattergeo", "geo2": "scattergeo"}
    whole = [t for t in fig.data if t.type == "choropleth" and (t.geo or "geo") == "geo"]
    assert all(t.featureidkey == "properties.regsokod" for t in whole)
    codes = [c for t in whole for c in t.locations]
    assert sorted(codes) == sorted(a.code for a in areas()) and len(codes) == 42
    district_of = {a.code: a.district for a in areas()}
    grey = next(t for t in whole if t.name == "Under 5 (visas inte)")
    assert {district_of[c] for c in grey.locations} == {"Ålidhem"}
    coloured = next(t for t in whole if t.coloraxis)
    values = {district_of[c]: z for c, z in zip(coloured.locations, coloured.z, strict=True)}
    assert values["Centrum"] == 25 and values["Teg"] == 0 and "Ålidhem" not in values
    assert "Ålidhem<br><b><5</b>" in all_text(fig)


def test_stacked_shares_and_funnel():
    lens = pd.DataFrame({
        "form": ["Högerextremism"] * 3 + ["Vänsterextremism"] * 3,
        "kon": ["Kvinna", "Man", "Annat"] * 2,
        "andel": pd.array([10.0, 85.0, 5.0, None, None, None], dtype="Float64"),
        "undertryckt": [False, False, False, True, False, False],
        "visas": ["20", "170", "10", "<5", "13", "0"],
    })
    fig = charts.stacked_shares(lens, CTX, what="Kön per form", category="kon",
                                unknown_note={"Högerextremism": "kön okänt: 40 av 240"})
    check_conventions(fig, "Kön per form")
    assert [t.name for t in fig.data] == ["Kvinna", "Man", "Annat"]
    assert fig.layout.barmode == "stack"
    assert "kön okänt: 40 av 240" in all_text(fig)
    funnel = pd.concat([
        protected([100, 30], verksamhet=["Polis", "Skola"], steg=["Alla rapporter"] * 2),
        protected([20, 2], verksamhet=["Polis", "Skola"], steg=["Till forum"] * 2),
    ])
    fig = charts.funnel_chart(funnel, CTX, what="Tratt",
                              stage_order=["Alla rapporter", "Till forum"])
    forum = next(t for t in fig.data if t.name == "Till forum")
    assert list(forum.text) == ["20", "<5"] and forum.x[1] == 5
    assert forum.marker.color[1] == charts.SUPPRESSED_COLOUR


def test_slide_style_and_swedish_formats():
    fig = charts.trend_chart(trend_frame(), CTX, what="Trend", series="form", value="varde",
                             style="slide")
    assert (fig.layout.width, fig.layout.height) == (1600, 900)
    assert fig.layout.font.size == charts.STYLES["slide"].font
    screen = charts.small_multiples(trend_frame(), CTX, what="Trend", value="varde")
    slide = charts.apply_slide_style(screen)
    assert (slide.layout.width, slide.layout.height) == (1600, 900)
    assert screen.layout.width is None  # the original is untouched
    source = next(a for a in slide.layout.annotations if a.name == "kalla")
    assert source.font.size == charts.STYLES["slide"].source
    with pytest.raises(ValueError):
        charts.style_spec("poster")


def test_context_helpers():
    filters = Filters("2025K1", "2026K3", omrade=("Centrum", "Teg"),
                      form=("A", "B", "C", "D", "E"))
    assert charts.describe_filters(filters) == "Område: Centrum, Teg · Form: 5 valda"
    assert charts.period_label("2025K1", "2026K3") == "2025K1–2026K3"
    assert charts.period_label("2026K3", "2026K3") == "2026K3"
    assert charts.shown_count(3, 5) == "<5" and charts.shown_count(0, 5) == "0"
    assert charts.shown_count(12345, 5) == "12\u00a0345"
    assert charts.subtitle(charts.ChartContext(n=2)) == "Alla rapporter · n = <5"
    colours = charts.colour_map(["Ej bedömd", "Högerextremism"], "form")
    assert colours == {"Ej bedömd": charts.UNASSESSED_GREY, "Högerextremism": "#0072B2"}
    assert len(set(charts.FORM_COLOURS.values())) == len(charts.FORM_COLOURS)


def test_empty_data_gives_a_figure_that_says_so():
    empty = pd.DataFrame(columns=["kvartal", "antal", "undertryckt", "visas"])
    fig = charts.trend_chart(empty, CTX, what="Trend")
    assert "Inga rapporter" in all_text(fig)
