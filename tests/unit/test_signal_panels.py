"""The signal method through the real indicator layer (issue 13), on stores built by code:
the panels every page, the summary, the exports and `lagesbild signals` read their flags
from, and each finding of the issue as a reader of the dashboard would meet it."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from lagesbild.cli import main
from lagesbild.domain.config import Disclosure
from lagesbild.domain.periods import (
    latest_complete_quarter,
    quarter_start,
    quarters_between,
    shift_quarter,
)
from lagesbild.intake.population import import_population
from lagesbild.numbers import coverage, panels, summary, trend
from lagesbild.numbers import indicators as ind
from lagesbild.numbers import signals as sg
from lagesbild.numbers.query import Filters
from lagesbild.store import Store
from tests.helpers.reports import SEVEN, load

D5 = Disclosure(5)
TEMPLATE = SEVEN[1]  # Polis, Incident, Centrum, Högerextremism


def reports(per_quarter: dict[str, list[int]], first: str, *, form: str = "Högerextremism",
            area: str = "Centrum") -> list[tuple]:
    """Reports of each partner per quarter from `first` on (one form and district)."""
    rows = []
    for partner, counts in per_quarter.items():
        for quarter, n in zip(quarters_between(first, "2030K4"), counts, strict=False):
            day = quarter_start(quarter) + dt.timedelta(days=40)
            rows += [(partner, day, TEMPLATE[2], area, None, form, *TEMPLATE[6:])] * n
    return rows


def store_with(rows: list[tuple]) -> Store:
    store = Store.open(":memory:")
    load(store, rows)
    return store


def texts(sentences: list[summary.Sentence]) -> str:
    return " ".join(s.text for s in sentences)


# -- quarters before the data -------------------------------------------------------------------
def test_a_database_starting_in_2025k1_shows_no_flag_in_2025k4():
    """Today: 'tydlig ökning' on all four cards in 2025K4 and '127 fler än 2024K4'."""
    store = store_with(reports({"Socialtjänst": [29, 33, 31, 34]}, "2025K1"))
    figures = ind_key_figures(store, "2025K4")
    for fig in figures.figures:
        assert not fig.flag.flagged and fig.flag.reason == sg.SHORT
        assert not fig.vs_last_year.available
        assert fig.vs_last_year.note == ("inget att jämföra med: 2024K4 är före de första "
                                         "uppgifterna")
    text = texts(summary.summarize(store, "2025K4"))
    assert "fler" not in text and "ökning" not in text
    assert "ovanligt högt" not in text and "ovanligt lågt" not in text
    assert "Om antalet rapporter är ovanligt bedöms inte (för kort serie)." in text
    assert "Mot föregående kvartal (2025K3): 31 → 34 (+10\u00a0%)" in text
    assert not ind.trend(store)["signal"].any()
    assert pd.isna(ind.change(store, "2025K4", compare="fjol")["bas"].iloc[0])
    table = summary.signal_table(store, "2025K4")
    key = table[table["panel"] == "nyckeltal"]
    assert set(key["flagga"]) == {summary.WITHHELD_FLAG} and set(key["orsak"]) == {sg.SHORT}


def ind_key_figures(store: Store, quarter: str, disclosure: Disclosure | None = None):
    return summary.key_figures(store, quarter, Filters(), disclosure)


# -- a missing delivery ---------------------------------------------------------------------------
STEADY = [41, 38, 40, 43, 39, 40, 42, 37, 40, 41, 39, 42, 40]
POLICE = [30, 29, 31, 30, 32, 28, 31, 30, 29, 30, 31, 30, 30]


def test_a_missing_partner_gives_no_flag_and_no_decrease():
    """The police have not delivered the last quarter: today 'tydlig minskning', 'ovanligt
    lågt' and a form to blame. Like for like, nothing changed."""
    store = store_with(reports({"Socialtjänst": STEADY, "Polis": POLICE[:-1]}, "2023K1"))
    last = shift_quarter("2023K1", len(STEADY) - 1)
    naive = sg.assess(np.array([[s + p for s, p in zip(STEADY, POLICE[:-1] + [0],
                                                       strict=True)]]))
    assert naive.unusual[0, -1] == sg.LOW  # what reading the gap as zeros says
    figures = ind_key_figures(store, last)
    total = figures["totalt"]
    assert total.flag.unusual == "" and total.flag.sustained == ""
    assert total.flag.left_out == ("Polis",)
    assert (total.vs_previous.base, total.vs_previous.current) == (STEADY[-2], STEADY[-1])
    assert total.vs_previous.left_out == ("Polis",)
    sentences = summary.summarize(store, last)
    text = texts(sentences)
    assert "ovanligt lågt" not in text and "minskning" not in text and "färre" not in text
    assert ("Inget nyckeltal, ingen form och inget område är ovanligt högt eller lågt, och "
            "ingen varaktig förändring syns.") in text
    assert f"Polis har inte rapporterat för {last}" in text and "jämförelserna görs utan" in text
    flags = ind.trend(store, Filters(last, last), by="form")
    assert not flags["signal"].any() and (flags["varaktig"] == "").all()
    assert (flags["utan_verksamheter"] == "Polis").all()


def test_a_partner_missing_for_four_quarters_is_still_left_out_and_named():
    """Today the warning vanished after four quarters and the drop stayed, unmarked (here
    five quarters without the police)."""
    store = store_with(reports({"Socialtjänst": STEADY, "Polis": POLICE[:-5]}, "2023K1"))
    last = shift_quarter("2023K1", len(STEADY) - 1)
    figures = ind_key_figures(store, last)
    assert figures.missing_partners == ()  # coverage no longer expects the police …
    total = figures["totalt"]
    assert not total.flag.flagged and total.flag.left_out == ("Polis",)  # … the flags do
    text = texts(summary.summarize(store, last))
    assert "Jämförelserna räknar inte med Polis" in text
    assert "ovanligt lågt" not in text and "minskning" not in text


def test_nil_returns_are_real_zeros(monkeypatch: pytest.MonkeyPatch):
    """A partner that reports 'nothing this quarter' delivered a real 0; one that sent
    nothing at all is left out. (Nil returns come from the intake; `deliveries` counts them.)"""
    store = store_with(reports({"Socialtjänst": [12, 9, 11, 10, 13, 8, 10, 12]}, "2023K1"))
    last = shift_quarter("2023K1", 8)
    without = ind_key_figures(store, last)["totalt"].flag
    assert without.reason == sg.NO_PARTNERS and without.withheld
    found = coverage.deliveries(store) | {("Socialtjänst", last)}
    for module in (coverage, panels, trend):
        monkeypatch.setattr(module, "deliveries", lambda _store, found=found: found)
    flag = ind_key_figures(store, last)["totalt"].flag
    assert flag.unusual == sg.LOW and flag.expected == pytest.approx(10.625)
    assert "Antalet rapporter är ovanligt lågt (0; väntat omkring 11" in texts(
        summary.summarize(store, last))


# -- the c-chart's findings -------------------------------------------------------------------
@pytest.mark.parametrize(("last", "flagged"), [(1, False), (4, False), (8, True)])
def test_one_report_after_eight_zeros_is_not_unusually_high(last: int, flagged: bool):
    store = store_with(reports({"Socialtjänst": [20] * 9}, "2023K1")
                       + reports({"Socialtjänst": [0] * 8 + [last]}, "2023K1",
                                 form="Misogyn extremism"))
    table = ind.trend(store, by="form").set_index(["form", "kvartal"])
    row = table.loc[("Misogyn extremism", "2025K1")]
    assert bool(row["signal"]) is flagged
    assert row["signal_text"] == ("ovanligt högt jämfört med snittet av de åtta föregående "
                                  "kvartalen" if flagged else "")


def test_a_low_quarter_is_found_below_a_mean_of_nine():
    """Today's c-chart can never flag a low below a mean of 9."""
    store = store_with(reports({"Socialtjänst": [8, 7, 9, 8, 8, 9, 7, 8, 1]}, "2023K1"))
    out = ind.trend(store).set_index("kvartal")
    assert out.loc["2025K1", "signal_text"] == (
        "ovanligt lågt jämfört med snittet av de åtta föregående kvartalen")


# -- protection ---------------------------------------------------------------------------------
def test_flags_show_only_on_published_counts_and_bands_only_on_published_windows():
    store = store_with(
        reports({"Socialtjänst": [12] * 8 + [1]}, "2023K1", form="Vänsterextremism")
        + reports({"Socialtjänst": [10, 10, 3, 10, 10, 10, 10, 10, 30]}, "2023K1",
                  form="Islamistisk extremism")
        + reports({"Socialtjänst": [20] * 9}, "2023K1"))
    exact = ind.trend(store, by="form").set_index(["form", "kvartal"])
    shown = ind.trend(store, by="form", disclosure=D5).set_index(["form", "kvartal"])
    low, high = ("Vänsterextremism", "2025K1"), ("Islamistisk extremism", "2025K1")
    assert exact.loc[low, "signal"] and exact.loc[low, "baslinje"] == pytest.approx(12)
    assert not shown.loc[low, "signal"] and shown.loc[low, "signal_text"] == ""  # 1 is "<5"
    assert pd.isna(shown.loc[low, "baslinje"])
    assert exact.loc[high, "signal"] and shown.loc[high, "signal"]  # 30 is published …
    assert pd.notna(exact.loc[high, "ovre_grans"])
    assert pd.isna(shown.loc[high, "baslinje"]) and pd.isna(shown.loc[high, "ovre_grans"])
    # … but its window holds a hidden 3
    rows = summary.signal_table(store, "2025K1", disclosure=D5).set_index(["serie",
                                                                          "bedomning"])
    assert rows.loc[("Vänsterextremism", "ovanligt kvartal"), "flagga"] == ""
    assert rows.loc[("Islamistisk extremism", "ovanligt kvartal"), "flagga"] == sg.HIGH


def test_expected_values_are_rounded_as_counts_are():
    store = store_with(reports({"Socialtjänst": [31, 28, 33, 30, 29, 32, 30, 31, 55]}, "2023K1"))
    row = ind.trend(store, disclosure=Disclosure(5, 5)).iloc[-1]
    assert row["signal"] and row["baslinje"] % 5 == 0 and row["ovre_grans"] % 5 == 0


# -- season, running quarter, other breakdowns ---------------------------------------------
def test_a_seasonal_fourth_quarter_is_not_unusual():
    """Today Q4 got 'tydlig ökning' in 21 % of unchanged years."""
    season = [1.042, 0.908, 0.857, 1.193]
    counts = [round(100 * season[k % 4]) for k in range(20)]
    store = store_with(reports({"Socialtjänst": counts}, "2021K1"))
    out = ind.trend(store).set_index("kvartal")
    assert out.loc["2025K4", "antal"] == 119 and out.loc["2025K3", "antal"] == 86
    assert not out["signal"].any()
    assert "säsong" in summary.key_figures(store, "2025K4")["totalt"].flag.model


def test_a_running_quarter_is_withheld():
    running = shift_quarter(latest_complete_quarter(), 1)
    first = shift_quarter(running, -10)
    store = store_with(reports({"Socialtjänst": [20] * 10 + [2]}, first))
    flag = ind_key_figures(store, running)["totalt"].flag
    assert flag.reason == sg.PENDING and not flag.flagged
    table = summary.signal_table(store, running)
    assert set(table["flagga"]) == {summary.WITHHELD_FLAG}
    assert set(table["orsak"]) == {sg.PENDING}
    done = ind_key_figures(store, shift_quarter(running, -1))["totalt"].flag
    assert done.reason == ""


def test_breakdowns_without_a_panel_get_no_rings():
    store = store_with(reports({"Socialtjänst": [20] * 8 + [60]}, "2023K1"))
    assert ind.trend(store)["signal"].iloc[-1]
    other = ind.trend(store, by="verksamhet")
    assert not other["signal"].any() and other["baslinje"].isna().all()
    assert set(other["signal_text"]) == {""}


# -- one computation for every reader -----------------------------------------------------------
def test_the_panels_are_computed_once_per_data_version():
    store = store_with(reports({"Socialtjänst": [20] * 9}, "2023K1"))
    first = panels.signal_panels(store)
    assert panels.signal_panels(store, Filters("2024K1", "2024K4")) is first
    assert panels.signal_panels(store, Filters(form=("Högerextremism",))) is not first
    load(store, reports({"Polis": [3]}, "2025K1"), name="more")
    again = panels.signal_panels(store)
    assert again is not first and "Polis" in again["nyckeltal"].partners


def test_the_signal_table_is_what_the_pages_show(demo_store: Store):
    last = ind.data_span(demo_store)[1]
    table = summary.signal_table(demo_store, last, disclosure=D5)
    assert list(table.columns[:5]) == ["panel", "serie", "kvartal", "antal", "flagga"]
    assert set(table["flagga"]) <= {"", sg.HIGH, sg.LOW, sg.UP, sg.DOWN, summary.WITHHELD_FLAG}
    figures = ind_key_figures(demo_store, last, D5)
    key = table[table["panel"] == "nyckeltal"].set_index(["serie", "bedomning"])
    for fig in figures.figures:
        assert key.loc[(fig.label, "ovanligt kvartal"), "flagga"] == fig.flag.unusual
        assert key.loc[(fig.label, "varaktig förändring"), "flagga"] == fig.flag.sustained
    for panel, dim in (("former", "form"), ("områden", "omrade")):
        page = ind.trend(demo_store, Filters("2024K4", last), by=dim, disclosure=D5)
        page = page[page["kvartal"] == last].set_index(dim)
        rows = table[table["panel"] == panel].set_index(["serie", "bedomning"])
        for name, row in page.iterrows():
            unusual = rows.loc[(name, "ovanligt kvartal"), "flagga"]
            assert (unusual in (sg.HIGH, sg.LOW)) == bool(row["signal"]), name
            assert rows.loc[(name, "ovanligt kvartal"), "visas"] == row["visas"]
            lasting = rows.loc[(name, "varaktig förändring"), "flagga"]
            assert (lasting in (sg.UP, sg.DOWN)) == bool(row["varaktig"]), name
    hidden = table[table["undertryckt"]]
    assert not hidden["flagga"].isin([sg.HIGH, sg.LOW]).any()
    assert (table["flagga"] != "").any(), "the demo's rising forms are flagged"


# -- the command line ---------------------------------------------------------------------------
def test_cli_signals(tmp_path, capsys):
    path = tmp_path / "cli.duckdb"
    store = Store.open(path)
    load(store, SEVEN)
    store.close()
    assert main(["signals", "--quarter", "2026K3", "--db", str(path)]) == 0
    header, *rows = capsys.readouterr().out.strip().splitlines()
    assert header == "panel,serie,kvartal,antal,flagga,orsak,bedomning,utan_verksamheter"
    assert "nyckeltal,Rapporter totalt,2026K3,<5,undanhållen,för kort serie,ovanligt kvartal," \
        in rows
    assert all(",2026K3," in r for r in rows) and not any(",4," in r for r in rows)
    assert main(["signals", "--quarter", "2026K3", "--db", str(path), "--format", "json",
                 "--min-cell", "0"]) == 0
    records = json.loads(capsys.readouterr().out)
    total = [r for r in records if r["serie"] == "Rapporter totalt"]
    assert [r["bedomning"] for r in total] == ["ovanligt kvartal", "varaktig förändring"]
    assert total[0]["antal"] == 4 and total[0]["flagga"] == "undanhållen"
    assert {r["panel"] for r in records} == {"nyckeltal", "former", "områden"}


def test_cli_compare_prints_numbers_and_no_verdict(tmp_path, capsys):
    path = tmp_path / "cli.duckdb"
    store = Store.open(path)
    load(store, SEVEN)
    store.close()
    main(["indicators", "--by", "kvartal", "--compare", "foregaende", "--to", "2026K3",
          "--db", str(path), "--min-cell", "0"])
    header, row = capsys.readouterr().out.strip().splitlines()
    assert header == "kvartal,antal,jamforelse,bas,forandring,procent,jamfort_antal,anmarkning"
    assert "signifikant" not in header and "p_varde" not in header
    assert row.startswith("2026K3,4,2026K2,1.0,1.0,,2,")


# -- rates ----------------------------------------------------------------------------------------
def test_a_partial_year_is_annualised_and_marked():
    """Centrum: 54 reports in 2025 and 51 in the three quarters of 2026 is +26 % per year,
    not a fall (today 36.7 against 38.8)."""
    store = store_with(reports({"Socialtjänst": [13, 14, 13, 14, 17, 17, 17]}, "2025K1"))
    import_population(store, b"regsokod,ar,befolkning\n2480R033,2025,5000\n"
                      b"2480R038,2025,4903\n2480R042,2025,4000\n", "bef.csv", "test")
    out = ind.rates(store, "omrade", "ar").set_index(["omrade", "ar"])
    full, partial = out.loc[("Centrum", 2025)], out.loc[("Centrum", 2026)]
    assert (full["antal"], partial["antal"]) == (54, 51)
    assert partial["per10k"] / full["per10k"] == pytest.approx(68 / 54)
    assert partial["omfattning"] == "2026 (3 av 4 kvartal, uppräknat till helår)"
    assert full["omfattning"] == "2025"
    period = ind.rates(store, "omrade", ind.PERIOD).set_index("omrade").loc["Centrum"]
    assert period["per10k"] == pytest.approx(105 / 13_903 * 1e4 * 4 / 7)  # per year
