"""Indicators on seven hand-made reports whose counts can be checked by eye, and the CLI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pandas as pd
import pytest

from lagesbild.cli import main
from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.codelists import Code, CodeList
from lagesbild.domain.config import Disclosure
from lagesbild.intake.population import import_population
from lagesbild.numbers import indicators as ind
from lagesbild.numbers.disclosure import TOTAL
from lagesbild.numbers.query import Filters
from lagesbild.store import Store
from tests.helpers.reports import SEVEN, load

D5 = Disclosure(5)
@pytest.fixture
def seven():
    store = Store.open(":memory:")
    load(store, SEVEN)
    yield store
    store.close()


def as_dict(frame: pd.DataFrame, key: str | list[str], value: str = "antal") -> dict:
    keys = frame[key].itertuples(index=False) if isinstance(key, list) else frame[key]
    return {(tuple(k) if isinstance(key, list) else k): (None if pd.isna(v) else v)
            for k, v in zip(keys, frame[value], strict=True)}


# -- 1. counts and cross-tabulation -------------------------------------------------------------
def test_counts_by_form_exact(seven):
    out = ind.counts(seven, ["form"])
    assert as_dict(out, "form") == {"Högerextremism": 4, "Misogyn extremism": 1,
                                    "Islamistisk extremism": 1, "Vänsterextremism": 1}
    assert not out["undertryckt"].any() and str(out["antal"].dtype) == "Int64"


def test_counts_by_quarter_and_form(seven):
    out = ind.counts(seven, ["kvartal", "form"])
    assert as_dict(out, ["kvartal", "form"]) == {
        ("2026K2", "Högerextremism"): 2, ("2026K2", "Vänsterextremism"): 1,
        ("2026K3", "Högerextremism"): 2, ("2026K3", "Misogyn extremism"): 1,
        ("2026K3", "Islamistisk extremism"): 1}


def test_counts_with_disclosure_show_small_counts_as_below_threshold(seven):
    out = ind.counts(seven, ["form"], disclosure=D5)
    assert set(out["visas"]) == {"<5"} and out["antal"].isna().all()
    out = ind.counts(seven, ["form"], disclosure=Disclosure(2))
    assert 2 <= as_dict(out, "form")["Högerextremism"] <= 6  # 4, within ±2, never below 2
    assert as_dict(out, "form", "visas")["Misogyn extremism"] == "<2"


def test_crosstab_has_row_column_and_grand_totals(seven):
    out = ind.crosstab(seven, "form", "kon")
    cells = as_dict(out, ["form", "kon"])
    assert cells[("Högerextremism", "Man")] == 1
    assert cells[("Högerextremism", "Okänt")] == 2
    assert cells[("Högerextremism", "Kvinna")] == 1
    assert cells[("Högerextremism", "Annat")] == 0
    assert cells[("Högerextremism", TOTAL)] == 4
    assert cells[(TOTAL, "Kvinna")] == 2 and cells[(TOTAL, "Man")] == 3
    assert cells[(TOTAL, "Okänt")] == 2 and cells[(TOTAL, TOTAL)] == 7
    wide = ind.wide(out, "form", "kon", "antal")
    assert list(wide.columns) == ["Kvinna", "Man", "Annat", "Okänt", TOTAL]
    assert wide.index[0] == "Högerextremism" and wide.index[-1] == TOTAL


def test_crosstab_with_disclosure_never_pins_a_hidden_cell_in_a_line(seven):
    out = ind.crosstab(seven, "kvartal", "rapporttyp", disclosure=Disclosure(3))
    # K2: Oro 2, Incident 1 | 3; K3: Oro 2, Incident 2 | 4; totals Oro 4, Incident 3 | 7
    shown = ind.wide(out, "kvartal", "rapporttyp")
    assert shown.loc["2026K2", "Oro"] == "<3" and shown.loc["2026K2", "Incident"] == "<3"
    assert shown.loc["2026K3", "Oro"] == "<3" and shown.loc["2026K3", "Incident"] == "<3"
    cells = out.set_index(["kvartal", "rapporttyp"])["antal"]
    assert 5 <= cells[(TOTAL, TOTAL)] <= 9  # 7 within ±2
    # the totals are perturbed: a total minus the other published cells is no exact count
    assert 3 <= cells[("2026K2", TOTAL)] <= 5 and 3 <= cells[("2026K3", TOTAL)] <= 6


# -- 2. rates -----------------------------------------------------------------------------------
POPULATION = (b"regsokod,ar,befolkning\n2480R033,2025,2000\n2480R038,2025,3000\n"
              b"2480R042,2025,5000\n2480R040,2025,4000\n")


def test_rates_per_district_use_last_years_population_and_say_so(seven):
    assert import_population(seven, POPULATION, "bef.csv", "test").accepted
    out = ind.rates(seven, "omrade", "ar").set_index("omrade")
    centrum = out.loc["Centrum"]
    assert centrum["antal"] == 4 and centrum["befolkning"] == 10_000
    # 4 reports in the two quarters 2026K2–K3: 8 per 10 000 and year (issue 13: per year)
    assert centrum["befolkning_ar"] == 2025 and centrum["per10k"] == pytest.approx(8.0)
    assert centrum["antal_kvartal"] == 2
    assert centrum["omfattning"] == "2026 (2 av 4 kvartal, uppräknat till helår)"
    assert centrum["befolkning_anm"] == "befolkning 2025 används för 2026"
    # Ålidhem lacks 2480R041: its population is unknown, never guessed
    assert out.loc["Ålidhem", "antal"] == 1 and pd.isna(out.loc["Ålidhem", "per10k"])
    assert out.loc["Ålidhem", "befolkning_saknas"]
    assert out.loc["Ålidhem", "befolkning_anm"] == "befolkning saknas"
    assert pd.isna(out.loc["Digitalt", "per10k"]) and out.loc["Digitalt", "befolkning_saknas"]
    assert out.loc["Tomtebo", "antal"] == 0, "every district is listed, 0 when no reports"


def test_rates_per_regso(seven):
    import_population(seven, POPULATION, "bef.csv", "test")
    out = ind.rates(seven, "regso", "kvartal", Filters("2026K3", "2026K3")).set_index("regso")
    assert out.loc["2480R033", "per10k"] == pytest.approx(5.0 * 4), "a quarter, per year"
    assert out.loc["2480R040", "per10k"] == pytest.approx(2.5 * 4)
    assert out.loc["2480R033", "omfattning"] == "2026K3 (uppräknat till helår)"
    assert out.loc["Ej angivet", "antal"] == 2  # reports 2 and 4 have no RegSO code
    assert out.loc["Ej angivet", "befolkning_anm"] == "RegSO ej angivet"


def test_rates_with_population_two_years_old_are_unknown(seven):
    import_population(seven, POPULATION.replace(b"2025", b"2024"), "old.csv", "test")
    out = ind.rates(seven, "omrade", "ar").set_index("omrade")
    assert pd.isna(out.loc["Centrum", "per10k"]) and out.loc["Centrum", "befolkning_saknas"]


def test_rates_hidden_with_their_count(seven):
    import_population(seven, POPULATION, "bef.csv", "test")
    out = ind.rates(seven, "omrade", "ar", disclosure=D5).set_index("omrade")
    assert out.loc["Centrum", "visas"] == "<5" and pd.isna(out.loc["Centrum", "per10k"])


def test_rates_over_the_whole_period_with_a_stand_in_year(seven):
    import_population(seven, POPULATION, "bef.csv", "test")
    out = ind.rates(seven, "omrade", "period").set_index("omrade")
    centrum = out.loc["Centrum"]
    assert centrum["period"] == "2026K2–2026K3"
    assert centrum["antal"] == 4 and centrum["befolkning"] == 10_000
    # 4 / 10 000 × 10 000 in two quarters: 8 per year (issue 13: not per period)
    assert centrum["per10k"] == pytest.approx(8.0)
    assert centrum["omfattning"] == "2026K2–2026K3 (2 kvartal, per år)"
    assert centrum["befolkning_ar"] == "2025"
    assert centrum["befolkning_anm"] == "befolkning 2025 används för 2026"
    assert out.loc["Ålidhem", "befolkning_saknas"] and pd.isna(out.loc["Ålidhem", "per10k"])
    assert out.loc["Digitalt", "befolkning_anm"].startswith("ingen befolkning")
    assert out["antal"].sum() == 7 and len(out) == 14  # 13 districts and Digitalt


def test_rates_over_a_period_use_the_mean_population_weighted_by_quarters(seven):
    import_population(seven, POPULATION + b"2480R033,2026,3000\n2480R038,2026,3000\n"
                      b"2480R042,2026,6000\n", "bef.csv", "test")
    out = ind.rates(seven, "omrade", "period", Filters("2025K4", "2026K3")).set_index("omrade")
    centrum = out.loc["Centrum"]
    # 2025 × 1 quarter (10 000) and 2026 × 3 quarters (12 000): (10 000 + 36 000) / 4
    assert centrum["befolkning"] == 11_500
    assert centrum["per10k"] == pytest.approx(4 / 11_500 * 10_000)  # four quarters: a year
    assert centrum["befolkning_ar"] == "2025–2026"
    assert centrum["befolkning_anm"] == "medelbefolkning 2025–2026, vägd efter antal kvartal"


def test_rates_over_a_period_with_a_year_without_population_are_unknown(seven):
    import_population(seven, POPULATION, "bef.csv", "test")
    out = ind.rates(seven, "omrade", "period", Filters("2023K4", "2026K3")).set_index("omrade")
    centrum = out.loc["Centrum"]
    assert centrum["antal"] == 4 and pd.isna(centrum["befolkning"])
    assert pd.isna(centrum["per10k"]) and centrum["befolkning_saknas"]
    assert centrum["befolkning_anm"] == "befolkning saknas för 2023"  # 2024 uses 2025
    hidden = ind.rates(seven, "omrade", "period", disclosure=D5).set_index("omrade")
    assert hidden.loc["Centrum", "visas"] == "<5" and pd.isna(hidden.loc["Centrum", "per10k"])


# -- 3. change against a baseline ---------------------------------------------------------------
def test_change_against_previous_quarter_counts_like_for_like(seven):
    """Grundskola delivered 2026K2 only and Socialtjänst 2026K3 only: the comparison counts
    the police alone, and says so (issue 13: a missing delivery is never read as a change)."""
    out = ind.change(seven, "2026K3").iloc[0]
    assert (out["antal"], out["jamfort_antal"], out["bas"], out["forandring"]) == (4, 2, 1, 1)
    assert pd.isna(out["procent"]), "base below 10: no percentage"
    assert out["jamforelse"] == "2026K2"
    assert out["anmarkning"] == ("jämfört utan Grundskola och Socialtjänst (har inte "
                                 "rapporterat alla jämförda kvartal)")
    per_form = ind.change(seven, "2026K3", ["form"]).set_index("form")
    assert per_form.loc["Vänsterextremism", "antal"] == 0
    assert per_form.loc["Vänsterextremism", "bas"] == 1
    assert per_form.loc["Misogyn extremism", "antal"] == 1
    assert per_form.loc["Misogyn extremism", "forandring"] == 0, \
        "Socialtjänst's report has nothing to be compared with"


def test_change_same_quarter_last_year_and_four_quarter_mean(seven):
    """Quarters before the data are missing, never 0 (issue 13)."""
    out = ind.change(seven, "2026K3", compare="fjol").iloc[0]
    assert pd.isna(out["bas"]) and pd.isna(out["forandring"]) and out["jamforelse"] == "2025K3"
    assert out["anmarkning"] == "inget att jämföra med: 2025K3 är före de första uppgifterna"
    out = ind.change(seven, "2026K3", compare="snitt4").iloc[0]
    assert pd.isna(out["bas"]) and out["jamforelse"] == "snitt 2025K3–2026K2"
    store = Store.open(":memory:")
    row = SEVEN[0]
    load(store, [(row[0], dt.date(2025, 3 * q - 1, 1), *row[2:]) for q in (3, 4)
                 for _ in range(10)] + [(row[0], dt.date(2026, 3 * q - 1, 1), *row[2:])
                                        for q in (1, 2) for _ in range(12)] + [row] * 22)
    out = ind.change(store, "2026K3", compare="snitt4").iloc[0]
    assert (out["bas"], out["forandring"], out["anmarkning"]) == (11, 11, "")
    assert out["procent"] == pytest.approx(100.0)


def test_change_gives_numbers_and_no_verdict():
    """`indicators --compare` keeps base, change and percent but no significance verdict."""
    store = Store.open(":memory:")
    row = SEVEN[0]
    k2 = [(row[0], dt.date(2026, 5, 1), *row[2:])] * 20
    k3 = [row] * 45
    load(store, k2 + k3)
    out = ind.change(store, "2026K3").iloc[0]
    assert (out["bas"], out["forandring"]) == (20, 25)
    assert out["procent"] == pytest.approx(125.0)
    assert not {"p_varde", "signifikant", "riktning"} & set(out.index)
    with pytest.raises(ValueError):
        ind.change(store, "2026K3", compare="igår")


def test_change_like_for_like_hides_what_a_left_out_partner_would_give_away():
    """Polis delivered 2026K3 only, with 3 reports: 'all' minus 'like for like' would be 3."""
    store = Store.open(":memory:")
    soc, polis = SEVEN[0], SEVEN[1]
    load(store, [(soc[0], dt.date(2026, 5, 1), *soc[2:])] * 20 + [soc] * 30 + [polis] * 3)
    exact = ind.change(store, "2026K3").iloc[0]
    assert (exact["antal"], exact["jamfort_antal"], exact["bas"]) == (33, 30, 20)
    out = ind.change(store, "2026K3", disclosure=D5).iloc[0]
    assert abs(out["antal"] - 33) <= 2  # the published cell of the 33 reports
    assert pd.isna(out["jamfort_antal"]) and pd.isna(out["forandring"])


# -- 5. trend -------------------------------------------------------------------------------------
def test_trend_fills_empty_quarters_with_zero(seven):
    out = ind.trend(seven, Filters("2026K1", "2026K3"), by="form")
    hoger = out[out["form"] == "Högerextremism"]
    assert hoger["kvartal"].tolist() == ["2026K1", "2026K2", "2026K3"]
    assert hoger["antal"].tolist() == [0, 2, 2]
    misogyn = out[out["form"] == "Misogyn extremism"]
    assert misogyn["antal"].tolist() == [0, 0, 1]
    # 2026K1 is before the data: never compared as a 0 (issue 13)
    assert set(out.loc[out["kvartal"] == "2026K1", "signal_text"]) == {"före första data"}
    assert set(out.loc[out["kvartal"] != "2026K1", "signal_text"]) == {"för kort serie"}
    assert not out["signal"].any()


def test_trend_flags_an_unusual_quarter_of_a_known_series():
    store = Store.open(":memory:")
    row = SEVEN[1]
    rows = []
    quarters = [f"{y}K{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)] + ["2026K1"]
    for k, quarter in enumerate(quarters):
        year, q = int(quarter[:4]), int(quarter[-1])
        n = 30 if quarter == "2026K1" else 16
        rows += [(row[0], dt.date(year, 3 * q - 1, 1), *row[2:])] * n
        assert k < 9
    load(store, rows)
    out = ind.trend(store).set_index("kvartal")
    assert out.loc["2025K4", "signal_text"] == "för kort serie"
    last = out.loc["2026K1"]
    assert last["baslinje"] == pytest.approx(16)
    assert last["nedre_grans"] < 16 < last["ovre_grans"] < 30
    assert last["signal"]
    assert last["signal_text"] == ("ovanligt högt jämfört med snittet av de åtta föregående "
                                   "kvartalen")


def test_trend_per10k_uses_population_and_marks_missing(seven):
    import_population(seven, POPULATION, "bef.csv", "test")
    out = ind.trend(seven, Filters("2026K3", "2026K3", omrade=("Centrum",)), measure="per10k")
    assert out["varde"].iloc[0] == pytest.approx(2 / 10_000 * 1e4 * 4), "per year"
    assert out["befolkning_ar"].iloc[0] == 2025
    whole = ind.trend(seven, Filters("2026K3", "2026K3"), measure="per10k")
    assert pd.isna(whole["varde"].iloc[0]), "the whole municipality's population is not known"


def test_trend_marks_incomplete_quarters(seven):
    out = ind.trend(seven, Filters("2026K2", "2026K3"))
    assert out["ofullstandig"].tolist() == [False, True]
    assert out["saknade_verksamheter"].tolist() == ["", "Grundskola"]


def _with_form_codes(codes: list[Code]):
    lists = codelist_module.load()
    former = dataclasses.replace(lists.lists["former"], codes=tuple(codes))
    return dataclasses.replace(lists, lists={**lists.lists, "former": CodeList(
        "former", former.codes)})


def test_series_breaks():
    codes = _with_form_codes([
        Code("Gammal", valid_to="2025K4", replaced_by="Ny"),
        Code("Ny", valid_from="2026K1"),
        Code("Stabil"),
        Code("Tidig", valid_from="2020K1"),
    ])
    quarters = ["2025K3", "2025K4", "2026K1", "2026K2"]
    breaks = ind.series_breaks(codes, quarters, ["form"])
    assert [(q, c) for q, c, _ in breaks] == [("2026K1", "Gammal"), ("2026K1", "Ny"),
                                              ("2026K1", "Ny")]
    notes = " ".join(n for _, _, n in breaks)
    assert "ersätts av Ny" in notes and "används från 2026K1" in notes
    assert ind.series_breaks(codes, ["2026K1", "2026K2"], ["form"]) == []


def test_trend_carries_series_breaks(seven):
    codes = _with_form_codes([Code("Högerextremism", valid_from="2026K3")])
    out = ind.trend(seven, Filters("2026K2", "2026K3"), by="form", codelists=codes)
    marked = out[out["serieavbrott"] != ""]
    assert list(zip(marked["kvartal"], marked["form"], strict=True)) == [
        ("2026K3", "Högerextremism")]


# -- 6. lens ------------------------------------------------------------------------------------
def test_lens_shares_use_known_denominator_and_keep_unknown(seven):
    out = ind.lens(seven, "form", "kon")
    hoger = out[out["form"] == "Högerextremism"].set_index("kon")
    assert hoger.loc["Okänt", "antal"] == 2 and pd.isna(hoger.loc["Okänt", "andel"])
    assert hoger.loc["Man", "kanda"] == 2
    assert hoger.loc["Man", "andel"] == pytest.approx(50.0)
    assert hoger.loc["Kvinna", "andel"] == pytest.approx(50.0)
    assert hoger.loc["Annat", "andel"] == pytest.approx(0.0)
    total = out[out["form"] == TOTAL].set_index("kon")
    assert total.loc["Man", "andel"] == pytest.approx(60.0)
    assert total.loc["Kvinna", "andel"] == pytest.approx(40.0)
    assert total.loc["Okänt", "antal"] == 2


def test_lens_by_age_without_dimension(seven):
    out = ind.lens(seven, None, "aldersgrupp").set_index("aldersgrupp")
    assert out.loc["Okänd", "antal"] == 2 and out.loc[TOTAL, "antal"] == 7
    assert out.loc["16–17", "andel"] == pytest.approx(40.0)  # 2 of the 5 known


def test_lens_hides_shares_of_a_line_with_hidden_counts(seven):
    out = ind.lens(seven, "form", "kon", disclosure=D5)
    assert out["andel"].isna().all()


def _gender_rows(form: str, man: int, kvinna: int, annat: int, okant: int) -> list[tuple]:
    row = ("Polis", dt.date(2026, 8, 1), "Incident", "Centrum", None, form, "Propaganda")
    return [(*row, kon, "Okänd", "Nej") for kon, n in
            (("Man", man), ("Kvinna", kvinna), ("Annat", annat), ("Okänt", okant))
            for _ in range(n)]


def test_lens_merging_a_small_category_lets_the_large_shares_be_published():
    store = Store.open(":memory:")
    load(store, _gender_rows("Högerextremism", 10, 6, 1, 5)
         + _gender_rows("Vänsterextremism", 8, 5, 0, 6))
    plain = ind.lens(store, "form", "kon")  # exact counts: every category
    hoger = plain[plain["form"] == "Högerextremism"].set_index("kon")
    assert hoger.loc["Annat", "antal"] == 1 and "Annat/okänt" not in hoger.index
    # Protected tables have one breakdown of gender, merged, whether asked for or not: no
    # route publishes "Annat" on its own.
    for merge in (None, ind.GENDER_OTHER_WITH_UNKNOWN):
        protected = ind.lens(store, "form", "kon", disclosure=D5, merge=merge)
        assert not protected["undertryckt"].any(), "no small cell is left after merging"
        assert "Annat" not in set(protected["kon"]) and "Okänt" not in set(protected["kon"])
        hoger = protected[protected["form"] == "Högerextremism"].set_index("kon")
        assert abs(hoger.loc["Annat/okänt", "antal"] - 6) <= 2
        kanda = hoger.loc["Man", "antal"] + hoger.loc["Kvinna", "antal"]
        assert hoger.loc["Man", "kanda"] == kanda  # the sum of the published known counts
        assert hoger.loc["Man", "andel"] == pytest.approx(hoger.loc["Man", "antal"] / kanda
                                                          * 100)
    with pytest.raises(ValueError, match="ett enda sätt"):
        ind.lens(store, None, "aldersgrupp", disclosure=D5, merge={"13–15": "13–17"})
    out = ind.lens(store, "form", "kon", merge=ind.GENDER_OTHER_WITH_UNKNOWN)
    hoger = out[out["form"] == "Högerextremism"].set_index("kon")
    assert list(hoger.index) == ["Kvinna", "Man", "Annat/okänt", TOTAL]
    assert hoger.loc["Annat/okänt", "antal"] == 6 and not hoger.loc["Annat/okänt", "kand"]
    assert pd.isna(hoger.loc["Annat/okänt", "andel"])  # unknown: shown, not in the shares
    assert hoger.loc["Man", "kanda"] == 16
    assert hoger.loc["Man", "andel"] == pytest.approx(62.5)  # 10 / (10 + 6)
    assert hoger.loc["Kvinna", "andel"] == pytest.approx(37.5)
    vanster = out[out["form"] == "Vänsterextremism"].set_index("kon")
    assert vanster.loc["Man", "andel"] == pytest.approx(8 / 13 * 100)
    total = out[out["form"] == TOTAL].set_index("kon")
    assert total.loc["Annat/okänt", "antal"] == 12 and total.loc[TOTAL, "antal"] == 41
    assert total.loc["Man", "andel"] == pytest.approx(18 / 29 * 100)
    store.close()


def test_lens_merges_age_bands_in_place(seven):
    out = ind.lens(seven, None, "aldersgrupp", merge={"13–15": "13–17", "16–17": "13–17"})
    assert list(out["aldersgrupp"]) == ["0–12", "13–17", "18–24", "25–39", "40+", "Okänd",
                                        TOTAL]
    out = out.set_index("aldersgrupp")
    assert out.loc["13–17", "antal"] == 3 and out.loc["13–17", "kand"]
    assert out.loc["13–17", "andel"] == pytest.approx(60.0)  # 3 of the 5 known
    assert out.loc["Okänd", "antal"] == 2 and out.loc[TOTAL, "antal"] == 7
    with pytest.raises(ValueError, match="Okänd kategori"):
        ind.lens(seven, None, "kon", merge={"Ickebinär": "Annat/okänt"})


# -- 7. funnel ----------------------------------------------------------------------------------
def test_funnel_per_partner_and_quarter(seven):
    out = ind.funnel(seven)
    k3 = out[out["kvartal"] == "2026K3"].set_index("verksamhet")
    assert (k3.loc["Socialtjänst", "antal"], k3.loc["Socialtjänst", "konsultation"]) == (2, 1)
    assert k3.loc["Socialtjänst", "andel"] == pytest.approx(50.0)
    assert k3.loc["Polis", "andel"] == pytest.approx(0.0)
    assert k3.loc[TOTAL, "antal"] == 4 and k3.loc[TOTAL, "andel"] == pytest.approx(25.0)
    k2 = out[out["kvartal"] == "2026K2"].set_index("verksamhet")
    assert k2.loc["Grundskola", "andel"] == pytest.approx(50.0)
    assert "Socialtjänst" not in k2.index, "no row for a partner without reports"


def test_funnel_over_the_whole_period_by_partner_only(seven):
    out = ind.funnel(seven, per_quarter=False).set_index("verksamhet")
    assert set(out["kvartal"]) == {"2026K2–2026K3"}
    assert out.index[-1] == TOTAL and len(out) == 4
    # Socialtjänst 2 (1 Ja), Polis 3 (0 Ja), Grundskola 2 (1 Ja); all 7 (2 Ja)
    assert as_dict(out.reset_index(), "verksamhet") == {
        "Socialtjänst": 2, "Polis": 3, "Grundskola": 2, TOTAL: 7}
    assert out.loc["Grundskola", "andel"] == pytest.approx(50.0)
    assert out.loc[TOTAL, "konsultation"] == 2
    assert out.loc[TOTAL, "andel"] == pytest.approx(2 / 7 * 100)
    narrow = ind.funnel(seven, Filters("2026K3", "2026K3"), per_quarter=False)
    assert set(narrow["kvartal"]) == {"2026K3"} and "Grundskola" not in set(narrow["verksamhet"])


def test_funnel_over_the_period_publishes_what_each_quarter_hides():
    store = Store.open(":memory:")
    # Socialtjänst: 3 reports in each of two quarters (2 + 1 Ja): hidden per quarter, 6 and 3
    # together; Polis: 6 and 6 (0 Ja).
    rows = [("Socialtjänst", dt.date(2026, m, 1), "Oro", "Centrum", None, "Högerextremism",
             "Oro för individ", "Man", "16–17", "Ja" if m in (1, 4, 5) else "Nej")
            for m in (1, 2, 3, 4, 5, 6)]
    rows += [("Polis", dt.date(2026, m, d), "Incident", "Centrum", None, "Högerextremism",
              "Propaganda", "Man", "Okänd", "Nej") for m in (1, 4) for d in range(1, 7)]
    load(store, rows)
    by_quarter = ind.funnel(store, disclosure=D5)
    assert by_quarter[by_quarter["verksamhet"] == "Socialtjänst"]["undertryckt"].all()
    whole = ind.funnel(store, disclosure=D5, per_quarter=False).set_index("verksamhet")
    # Ja 3 of 6 is below 5 and hidden; the period's 6 reports are shown (within ±2)
    assert 5 <= whole.loc["Socialtjänst", "antal"] <= 8
    assert whole.loc["Socialtjänst", "visas"] == str(whole.loc["Socialtjänst", "antal"])
    # all 3 Ja are Socialtjänst's: the Ja total is "<5", so its part is ".." (no "<5" inside
    # a "<5")
    assert whole.loc[TOTAL, "konsultation_visas"] == "<5"
    assert whole.loc["Socialtjänst", "konsultation_visas"] == ".."
    assert pd.isna(whole.loc["Socialtjänst", "andel"])
    assert 16 <= whole.loc[TOTAL, "antal"] <= 20
    exact = ind.funnel(store, per_quarter=False).set_index("verksamhet")
    assert exact.loc["Socialtjänst", "visas"] == "6" and exact.loc[TOTAL, "visas"] == "18"
    store.close()


# -- 8. coverage --------------------------------------------------------------------------------
def test_coverage_marks_a_missing_submission_as_missing_not_zero(seven):
    out = ind.coverage(seven, Filters("2026K2", "2026K3"))
    cells = {(v, q): (a, s) for v, q, a, s in
             out[["verksamhet", "kvartal", "antal", "status"]].itertuples(index=False)}
    assert cells[("Grundskola", "2026K2")] == (2, "levererat")
    grundskola_k3 = cells[("Grundskola", "2026K3")]
    assert pd.isna(grundskola_k3[0]) and grundskola_k3[1] == "saknas"
    assert cells[("Socialtjänst", "2026K2")][1] == "ingen leverans"
    assert cells[("Polis", "2026K3")] == (2, "levererat")
    shown = out.set_index(["verksamhet", "kvartal"])["visas"]
    assert shown[("Grundskola", "2026K3")] == "saknas"
    assert ind.missing_partners(seven, "2026K3") == ["Grundskola"]
    assert ind.missing_partners(seven, "2026K2") == []


def test_coverage_ignores_rolled_back_batches(seven):
    load(seven, [("Fritidsgård", dt.date(2026, 4, 5), *SEVEN[0][2:])], name="fritid")
    assert "Fritidsgård" in ind.missing_partners(seven, "2026K3")
    batch = max(b["batch_id"] for b in seven.batches())
    seven.rollback(batch, "test")
    assert "Fritidsgård" not in ind.missing_partners(seven, "2026K3")


# -- CLI ----------------------------------------------------------------------------------------
@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cli.duckdb"
    store = Store.open(path)
    load(store, SEVEN)
    import_population(store, POPULATION, "bef.csv", "test")
    store.close()
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_cli_counts_with_default_threshold_and_exact(db, capsys):
    code, out = run(capsys, "indicators", "--by", "form", "--db", db)
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "form,antal"
    assert "Högerextremism,<5" in lines
    code, out = run(capsys, "indicators", "--by", "form", "--db", db, "--min-cell", "0")
    assert "Högerextremism,4" in out.splitlines()
    with pytest.raises(SystemExit) as refused:  # the threshold is a setting, not an option
        main(["indicators", "--by", "form", "--db", db, "--min-cell", "2"])
    assert refused.value.code == 2


def test_cli_json_marks_hidden_counts(db, capsys):
    _, out = run(capsys, "indicators", "--by", "form", "--db", db, "--format", "json")
    records = json.loads(out)
    assert all(r["antal"] is None and r["undertryckt"] is True for r in records)
    _, out = run(capsys, "indicators", "--by", "form", "--db", db, "--format", "json",
                 "--min-cell", "0")
    assert {r["form"]: r["antal"] for r in json.loads(out)}["Högerextremism"] == 4


def test_cli_measures_and_compare(db, capsys):
    _, out = run(capsys, "indicators", "--by", "omrade,ar", "--measure", "per10k", "--db", db,
                 "--min-cell", "0", "--format", "json")
    centrum = next(r for r in json.loads(out) if r["omrade"] == "Centrum")
    assert centrum["per10k"] == pytest.approx(8.0) and centrum["befolkning_ar"] == 2025
    _, out = run(capsys, "indicators", "--by", "form", "--measure", "andel", "--db", db,
                 "--min-cell", "0")
    assert "Högerextremism,4,57.1429" in out
    _, out = run(capsys, "indicators", "--by", "form", "--compare", "foregaende", "--to",
                 "2026K3", "--db", db, "--min-cell", "0")
    header, *rows = out.strip().splitlines()
    assert header.startswith("form,kvartal,antal,jamforelse,bas,forandring,procent")
    assert any(r.startswith("Vänsterextremism,2026K3,0,2026K2,1.0,-1.0,,") for r in rows)
    code = main(["indicators", "--by", "form", "--measure", "per10k", "--db", db])
    assert code == 2


def test_cli_summary(db, capsys):
    code, out = run(capsys, "summary", "--quarter", "2026K3", "--db", db, "--min-cell", "0")
    assert code == 0
    # issue 13: the level, then the changes as numbers; never "ungefär som"
    assert out.startswith("Under 2026K3 kom 4 rapporter.\n") and "ungefär" not in out
    assert "Mot föregående kvartal (2026K2): 1 → 2" in out
    assert "Grundskola har inte rapporterat för 2026K3" in out
    _, out = run(capsys, "summary", "--db", db)
    assert "kom <5 rapporter" in out
