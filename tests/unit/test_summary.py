"""Key figures and the plain-Swedish summary: changes only when significant, drivers only
when significant themselves, missing partners named, no small number printed."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from lagesbild.domain.config import Disclosure
from lagesbild.domain.periods import quarters_between
from lagesbild.numbers.indicators import data_span
from lagesbild.numbers.summary import key_figures, summarize
from lagesbild.store import Store
from tests.helpers.reports import SEVEN, load

D5 = Disclosure(5)


def numbers(text: str) -> list[int]:
    """Counts printed in a sentence: not quarter labels, not percentages."""
    text = re.sub(r"\d{4}K[1-4]", "", text)
    text = re.sub(r"\d[\d\u00a0]*(,\d+)?\u00a0%", "", text)
    return [int(n.replace("\u00a0", "")) for n in re.findall(r"\d[\d\u00a0]*\d|\d", text)]


@pytest.fixture
def seven():
    store = Store.open(":memory:")
    load(store, SEVEN)
    yield store
    store.close()


def test_key_figures_by_hand(seven):
    figures = key_figures(seven, "2026K3")
    assert [f.key for f in figures.figures] == ["totalt", "oro", "incident", "konsultation"]
    total = figures["totalt"]
    assert (total.value, total.vs_previous.base, total.vs_previous.difference) == (4, 3, 1)
    assert total.vs_previous.percent is None and not total.vs_previous.significant
    assert total.vs_last_year.base_quarter == "2025K3" and total.vs_last_year.base == 0
    assert (figures["oro"].value, figures["oro"].vs_previous.base) == (2, 2)
    assert (figures["incident"].value, figures["incident"].vs_previous.base) == (2, 1)
    assert figures["konsultation"].value == 1
    assert total.spc == "för kort serie"
    assert figures.missing_partners == ("Grundskola",) and figures.incomplete


def test_key_figures_with_disclosure(seven):
    figures = key_figures(seven, "2026K3", disclosure=D5)
    assert all(f.value is None and f.suppressed for f in figures.figures)
    assert figures["totalt"].display == "<5"
    # the parts of a small total are ".." (four "<5" parts of a "<5" would pin them)
    assert {f.display for f in figures.figures[1:]} == {".."}
    assert figures["totalt"].vs_previous.difference is None
    assert figures["totalt"].vs_previous.p_value is None


def test_concern_reports_and_incidents_add_up_without_giving_the_small_one_away():
    store = Store.open(":memory:")
    oro, incident = SEVEN[0], SEVEN[1]
    load(store, [oro] * 8 + [incident] * 2)
    figures = key_figures(store, "2026K3", disclosure=Disclosure(3))
    total, concern = figures["totalt"].value, figures["oro"].value
    assert figures["incident"].suppressed and figures["incident"].display in ("<3", "..")
    assert 8 <= total <= 12 and 6 <= concern <= 10  # published, each perturbed (±2)
    # total - concern does not pin the incidents: both 1 and 2 fit the published values
    fits = {i for i in (1, 2) for o in range(concern - 2, concern + 3)
            if abs(total - (o + i)) <= 2}
    assert fits == {1, 2}, "10 - 8 would otherwise give the small count away"


def _quarterly(n_before: int, n_now: int, place: str = "Centrum") -> list[tuple]:
    row = SEVEN[1]
    before = [(row[0], dt.date(2026, 5, 2), *row[2:])] * n_before
    now = [(row[0], row[1], row[2], place, *row[4:])] * n_now
    return before + now


def test_noise_is_not_called_a_change():
    store = Store.open(":memory:")
    load(store, _quarterly(2, 5))
    text = [s.text for s in summarize(store, "2026K3")]
    assert text[0] == "Under 2026K3 kom 5 rapporter, ungefär som föregående kvartal (2026K2: 2)."
    assert not any("fler" in t or "färre" in t for t in text)


def test_a_significant_change_names_its_significant_driver():
    store = Store.open(":memory:")
    polis = SEVEN[1]
    base = [(polis[0], dt.date(2026, 5, 2), polis[2], area, None, form, *polis[6:])
            for area, form in [("Centrum", "Högerextremism"), ("Ersboda", "Vänsterextremism"),
                               ("Teg", "Islamistisk extremism"), ("Haga", "Misogyn extremism")]
            for _ in range(5)]
    now = [(p, dt.date(2026, 8, 2), *rest) for p, _, *rest in base]
    now += [(polis[0], dt.date(2026, 8, 3), polis[2], "Centrum", None, "Högerextremism",
             *polis[6:])] * 25
    load(store, base + now)
    first = summarize(store, "2026K3")[0]  # exact counts (analysts)
    assert first.text == ("Under 2026K3 kom 45 rapporter, 125\u00a0% fler än 2026K2; ökningen "
                          "gäller främst högerextremism i Centrum.")
    assert first.kind == "forandring" and first.figures["signifikant"]
    assert first.figures["p_varde"] < 0.05
    first = summarize(store, "2026K3", disclosure=D5)[0]  # protected: published numbers
    found = re.fullmatch(r"Under 2026K3 kom (\d+) rapporter, (\d+)\u00a0% fler än 2026K2; "
                         r"ökningen gäller främst högerextremism i Centrum\.", first.text)
    assert found and abs(int(found[1]) - 45) <= 2, first.text
    assert first.figures["signifikant"] and first.figures["p_varde"] is None


def test_a_driver_is_not_named_when_its_own_change_is_noise():
    store = Store.open(":memory:")
    polis = SEVEN[1]
    forms = ["Högerextremism", "Vänsterextremism", "Islamistisk extremism",
             "Misogyn extremism", "Konspirationsteoretisk/antistatlig"]
    areas = ["Centrum", "Ersboda", "Teg", "Haga", "Sävar"]
    base = [(polis[0], dt.date(2026, 5, 2), polis[2], a, None, f, *polis[6:])
            for a, f in zip(areas, forms, strict=True) for _ in range(4)]
    now = [(polis[0], dt.date(2026, 8, 2), polis[2], a, None, f, *polis[6:])
           for a, f in zip(areas, forms, strict=True) for _ in range(9)]
    load(store, base + now)
    first = summarize(store, "2026K3")[0]
    assert first.kind == "forandring" and "fler än 2026K2" in first.text  # 20 -> 45
    assert "gäller" not in first.text, "each form/district alone (4 -> 9) is noise"


def test_missing_partner_is_named(seven):
    text = " ".join(s.text for s in summarize(seven, "2026K3"))
    assert "Grundskola har inte rapporterat för 2026K3" in text


def test_empty_quarter(seven):
    assert summarize(seven, "2027K1")[0].text == "Under 2027K1 kom inga rapporter."


def test_summary_of_the_demo_follows_the_rules(demo_store):
    last = data_span(demo_store)[1]
    for quarter in quarters_between("2025K1", last):
        sentences = summarize(demo_store, quarter, disclosure=D5)
        for sentence in sentences:
            assert all(n >= 5 for n in numbers(sentence.text)), sentence.text
            if sentence.kind == "forandring":
                assert sentence.figures.get("signifikant") is not False, sentence.text
            # no p-value for protected numbers: it would give an exact count back
            assert sentence.figures.get("p_varde") is None, sentence.text
            if "ungefär" in sentence.text:
                assert not sentence.figures.get("signifikant")
    text = " ".join(s.text for s in summarize(demo_store, last, disclosure=D5))
    assert "Trossamfund har inte rapporterat" in text
    assert "våldsfixering utan ideologi" in text
    for quarter in quarters_between("2025K1", last):  # exact: changes only when significant
        for sentence in summarize(demo_store, quarter):
            if sentence.kind == "forandring":
                assert sentence.figures.get("p_varde") is not None
                assert sentence.figures["p_varde"] < 0.05, sentence.text


def test_public_threshold_and_rounding(demo_store):
    last = data_span(demo_store)[1]
    for sentence in summarize(demo_store, last, disclosure=Disclosure(10, 5)):
        assert all(n >= 10 and n % 5 == 0 for n in numbers(sentence.text)), sentence.text
