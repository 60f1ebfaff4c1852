"""Context events (omvärldshändelser) on the trend charts: on screen, in the download menu's
slide images and in the meeting pack, always from the same builders (charts.add_events)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pptx import Presentation

from lagesbild import charts
from lagesbild.charts import EVENT_MARK, ChartContext
from lagesbild.charts.events import event_legend
from lagesbild.domain import config
from lagesbild.export import images
from lagesbild.export.files import pack_bytes
from lagesbild.export.pack import PackRequest, build_pack
from lagesbild.numbers import indicators as ind
from lagesbild.numbers.events import events_for_period
from lagesbild.numbers.query import Filters

PERIOD = ("2024K4", "2026K3")  # the demo data has four events in it


def marks(fig) -> tuple[int, int]:
    shapes = sum(1 for s in fig.layout.shapes if s.name == EVENT_MARK)
    notes = sum(1 for a in fig.layout.annotations if a.name == EVENT_MARK)
    return shapes, notes


@pytest.fixture(scope="module")
def demo(demo_db_file, tmp_path_factory):
    from lagesbild.store import Store

    copy = tmp_path_factory.mktemp("events") / "demo.duckdb"
    copy.write_bytes(demo_db_file.read_bytes())
    store = Store.open(copy)
    yield store
    store.close()


@pytest.fixture(scope="module")
def events(demo):
    found = events_for_period(demo, *PERIOD)
    assert len(found) >= 3, "the demo data should have context events in the period"
    return found


def _trend(demo, by=None):
    return ind.trend(demo, Filters(*PERIOD), by, "antal", config.settings().disclosure)


def test_trend_chart_marks_every_event_with_a_line_and_a_numbered_label(demo, events):
    table = _trend(demo)
    ctx = ChartContext(period="2024K4–2026K3")
    fig = charts.trend_chart(table, ctx, what="Rapporter", value="varde", lower="nedre_grans",
                             upper="ovre_grans", baseline="baslinje", events=events)
    assert marks(fig) == (len(events), len(events))
    labels = [a.text for a in fig.layout.annotations if a.name == EVENT_MARK]
    assert [t.split()[0] for t in labels] == [str(i) for i in range(1, len(events) + 1)]
    # the labels have room above the data: the y range is raised above the highest value
    top = max(v for v in table["ovre_grans"].tolist() + table["varde"].tolist()
              if v is not None and v == v)
    assert fig.layout.yaxis.range[1] > top * 1.05
    # without events nothing is added
    plain = charts.trend_chart(table, ctx, what="Rapporter", value="varde")
    assert marks(plain) == (0, 0) and plain.layout.yaxis.range is None


def test_small_multiples_mark_events_in_every_facet(demo, events):
    table = _trend(demo, "form")
    fig = charts.small_multiples(table, ChartContext(), what="Per form", value="varde",
                                 events=events)
    facets = table["form"].nunique()
    assert marks(fig) == (facets * len(events), facets * len(events))


def test_slide_style_scales_the_event_labels(demo, events):
    fig = charts.trend_chart(_trend(demo), ChartContext(), what="R", value="varde",
                             events=events)
    slide = charts.apply_slide_style(fig)
    screen_sizes = {a.font.size for a in fig.layout.annotations if a.name == EVENT_MARK}
    slide_sizes = {a.font.size for a in slide.layout.annotations if a.name == EVENT_MARK}
    assert min(slide_sizes) > max(screen_sizes)
    direct = charts.trend_chart(_trend(demo), ChartContext(), what="R", value="varde",
                                events=events, style="slide")
    assert {a.font.size for a in direct.layout.annotations if a.name == EVENT_MARK} \
        == slide_sizes
    # a slide explains the numbers itself (just above the source line); the page does it
    # in a caption under the chart
    for figure in (slide, direct):
        keys = [a.text for a in figure.layout.annotations if a.name == charts.EVENT_KEY]
        assert len(keys) == 1 and keys[0].startswith("Omvärldshändelser: 1 ")
    assert not [a for a in fig.layout.annotations if a.name == charts.EVENT_KEY]


def _fake_png(width: int = 160, height: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_pack_trend_slides_are_drawn_from_figures_with_the_events(demo, events,
                                                                  monkeypatch):
    drawn: list = []

    def render_many(figs, fmt="png", **kwargs):
        drawn.extend(figs)
        return [_fake_png() for _ in figs]

    monkeypatch.setattr(images, "render_many", render_many)
    monkeypatch.setattr(images, "render", lambda fig, fmt="png", **kw: render_many([fig])[0])
    pack = build_pack(demo, PackRequest(Filters(*PERIOD), ("trender_per_form", "trend_totalt",
                                                           "per_omrade")))
    assert pack.events == events
    deck = Presentation(io.BytesIO(pack_bytes(pack, "pptx")))
    by_title = {fig.layout.title.text: fig for fig in drawn}
    for item in pack.charts:
        fig = by_title[item.title]  # the figure the slide's image was drawn from
        shapes, notes = marks(fig)
        if item.key.startswith("tren"):
            assert shapes >= len(events) and notes >= len(events), item.key
            assert any(line in " ".join(item.notes) for line in event_legend(events))
        else:
            assert (shapes, notes) == (0, 0), item.key
    notes_text = "\n".join(s.notes_slide.notes_text_frame.text for s in deck.slides)
    assert event_legend(events)[0] in notes_text


def test_public_pack_has_no_events(demo, monkeypatch):
    monkeypatch.setattr(images, "render_many", lambda figs, fmt="png", **kw:
                        [_fake_png() for _ in figs])
    pack = build_pack(demo, PackRequest(Filters(*PERIOD), None, True))
    assert pack.events == []
    assert all(marks(item.figure) == (0, 0) for item in pack.charts)


def test_heatmap_numbers_contrast_with_their_cells():
    assert charts.text_colour(24, 24) == "#FFFFFF"
    assert charts.text_colour(20, 24) == "#FFFFFF"
    assert charts.text_colour(3, 24) == charts.DARK_TEXT
    assert charts.text_colour(None, 24) == charts.DARK_TEXT


def test_font_list_is_valid_css():
    fig = charts.trend_chart(ind_frame(), ChartContext(), what="R", value="antal")
    family = fig.layout.font.family
    assert '"Source Sans 3"' in family  # unquoted, CSS would drop the whole list
    assert family.rstrip().endswith("sans-serif")


def ind_frame():
    import pandas as pd
    return pd.DataFrame({"kvartal": ["2026K1", "2026K2"], "antal": [10, 12],
                         "visas": ["10", "12"], "undertryckt": [False, False]})
