"""The meeting pack says what the dashboard says: the same numbers in the same charts, and the
key figures in the same words (both come from the chart catalogue, lagesbild.views)."""

from __future__ import annotations

import re
from pathlib import Path

from lagesbild.export.pack import PackRequest, build_pack
from lagesbild.numbers.query import Filters
from lagesbild.store import Store
from lagesbild.views.keyfigures import VERDICT
from tests.helpers.apptest import assert_ok, charts_of, start


def page_filters(at) -> Filters:  # noqa: ANN001 - AppTest
    first, last = at.get("select_slider")[0].value
    form = next(w for w in at.sidebar.multiselect if w.label == "Form av extremism").value
    return Filters(first, last, form=tuple(form))


def cells(figure: dict) -> set[tuple[str, str, str]]:
    """(x, y, text) of a heat map's numbers."""
    texts = next(t for t in figure["data"] if t["type"] == "scatter" and t["mode"] == "text")
    return set(zip(texts["x"], texts["y"], texts["text"], strict=True))


def test_the_pack_has_the_numbers_of_the_areas_page(demo_db: Path):
    at = start(protected=True)  # the preparation group's numbers, as the pack has them
    at.switch_page("pages/omraden.py").run()
    assert_ok(at)
    filters = page_filters(at)
    heat, ranking = charts_of(at)[1], charts_of(at)[2]
    store = Store.open(demo_db)
    try:
        pack = build_pack(store, PackRequest(filters, ("omrade_kvartal", "per_omrade")))
    finally:
        store.close()
    grid, ranked = (item.figure.to_plotly_json() for item in pack.charts)
    assert cells(heat) == cells(grid)
    assert ranking["data"][0]["y"] == list(ranked["data"][0]["y"])
    assert ranking["data"][0]["text"] == list(ranked["data"][0]["text"])


def test_key_figures_are_worded_the_same_on_the_overview_and_in_the_pack(demo_db: Path):
    # few reports: some comparisons are not shown, which both must say the same way
    at = start({"form": "Vänsterextremism"}, protected=True)
    assert_ok(at)
    filters = page_filters(at)
    assert filters.form == ("Vänsterextremism",)
    text = "\n".join(m.value for m in at.markdown)
    previous = re.findall(r"Mot föregående kvartal \(\w+\): (.+?) *\n", text)
    last_year = re.findall(r"Mot samma kvartal i fjol \(\w+\): (.+?) *\n", text)
    verdicts = re.findall(rf"{VERDICT}: \*\*(.+?)\*\*", text)
    assert len(previous) == len(last_year) == len(verdicts) == 4
    store = Store.open(demo_db)
    try:
        pack = build_pack(store, PackRequest(filters))
    finally:
        store.close()
    table = pack.key_table
    against = [c for c in table.columns if c.startswith("Mot ")]
    assert list(table[against[0]]) == previous
    assert list(table[against[1]]) == last_year
    assert list(table[VERDICT]) == verdicts
