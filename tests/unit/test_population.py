"""Population files: validation, batches, rollback, and the one-year fallback rule."""

from __future__ import annotations

import pandas as pd
import pytest

from lagesbild.domain import config
from lagesbild.intake.population import ensure_population, import_population
from lagesbild.numbers.population import current_population, population_table, total_population
from lagesbild.store import Store


@pytest.fixture
def mem():
    store = Store.open(":memory:")
    yield store
    store.close()


def test_ensure_population_seeds_the_shipped_file_once(mem):
    batch = ensure_population(mem)
    assert batch is not None
    current = current_population(mem)
    assert len(current) == 42 and set(current["ar"]) == {2025}
    assert current.set_index("regsokod").loc["2480R001", "befolkning"] == 1508
    assert ensure_population(mem) is None
    kinds = [b["kind"] for b in mem.batches()]
    assert kinds == ["befolkning"]


def test_ensure_population_does_not_reseed_after_a_rollback(mem):
    batch = ensure_population(mem)
    mem.rollback(batch, "test")
    assert ensure_population(mem) is None
    assert current_population(mem).empty


def test_problems_are_swedish_and_located(mem):
    data = (b"regsokod;ar;befolkning\n2480R001;2025;1508\n2480R999;2025;100\n"
            b"2480R002;20x5;100\n2480R003;2025;-4\n2480R004;2025;12,5\n"
            b"2480R001;2025;1600\n")
    result = import_population(mem, data, "bef.csv", "test")
    assert not result.accepted and result.batch_id is None
    found = {(p.row, p.reason) for p in result.problems}
    assert (3, "Okänd RegSO-kod") in found
    assert (4, "Ogiltigt år") in found
    assert (5, "Befolkningen är negativ") in found
    assert (6, "Befolkningen är inte ett heltal") in found
    assert any(p.row == 7 and "flera rader" in p.reason for p in result.problems)
    assert current_population(mem).empty, "nothing is stored when there are problems"


def test_missing_columns_and_empty_files(mem):
    assert import_population(mem, b"", "tom.csv", "t").problems[0].reason == "Filen är tom"
    result = import_population(mem, b"kod,antal\n2480R001,5\n", "x.csv", "t")
    assert "Kolumn saknas" in result.problems[0].reason


def test_newest_batch_wins_and_rollback_restores(mem):
    first = import_population(mem, b"regsokod,ar,befolkning\n2480R001,2025,100\n", "a", "t")
    second = import_population(mem, b"regsokod,ar,befolkning\n2480R001,2025,200\n", "b", "t")
    assert current_population(mem)["befolkning"].tolist() == [200]
    again = import_population(mem, b"regsokod,ar,befolkning\n2480R001,2025,200\n", "c", "t")
    assert again.already_imported and again.batch_id == second.batch_id
    mem.rollback(second.batch_id, "t")
    assert current_population(mem)["befolkning"].tolist() == [100]
    assert first.batch_id < second.batch_id


def test_fallback_one_year_either_way_and_district_sums(mem):
    import_population(mem, config.POPULATION_FILE, "befolkning.csv", "t")
    years = [2023, 2024, 2025, 2026, 2027]
    table = population_table(mem, "omrade", years).set_index(["omrade", "ar"])
    centrum = table.loc[("Centrum", 2025)]
    assert centrum["befolkning"] == 2088 + 5864 + 5951 and centrum["befolkning_anm"] == ""
    assert table.loc[("Centrum", 2026), "befolkning_ar"] == 2025
    assert table.loc[("Centrum", 2026), "befolkning_anm"] == "befolkning 2025 används för 2026"
    assert table.loc[("Centrum", 2024), "befolkning"] == 2088 + 5864 + 5951
    assert table.loc[("Centrum", 2024), "befolkning_anm"] == "befolkning 2025 används för 2024"
    assert table.loc[("Centrum", 2027), "befolkning_saknas"], "two years away is too far"
    assert table.loc[("Centrum", 2023), "befolkning_saknas"], "two years away is too far"
    assert pd.isna(table.loc[("Centrum", 2023), "befolkning"])
    assert table.loc[("Centrum", 2023), "befolkning_anm"] == "befolkning saknas"
    whole = total_population(mem, [2025]).iloc[0]
    assert whole["befolkning"] == sum(a for a in current_population(mem)["befolkning"])


def test_the_earlier_year_wins_a_tie_and_the_own_year_always_wins(mem):
    import_population(mem, b"regsokod,ar,befolkning\n2480R001,2024,100\n2480R001,2025,110\n"
                      b"2480R001,2026,130\n", "a", "t")
    table = population_table(mem, "regso", [2023, 2025, 2027]).set_index(["regso", "ar"])
    assert table.loc[("2480R001", 2025), "befolkning"] == 110
    assert table.loc[("2480R001", 2023), "befolkning"] == 100  # 2024 is the only one ±1
    assert table.loc[("2480R001", 2027), "befolkning"] == 130
    import_population(mem, b"regsokod,ar,befolkning\n2480R002,2024,100\n2480R002,2026,130\n",
                      "b", "t")
    tie = population_table(mem, "regso", [2025]).set_index("regso").loc["2480R002"]
    assert (tie["befolkning"], tie["befolkning_ar"]) == (100, 2024)


def test_a_district_with_one_area_missing_has_no_population(mem):
    import_population(mem, b"regsokod,ar,befolkning\n2480R040,2025,4778\n", "x", "t")
    table = population_table(mem, "omrade", [2025]).set_index("omrade")
    assert table.loc["Ålidhem", "befolkning_saknas"]  # 2480R041 is missing
    regso = population_table(mem, "regso", [2025]).set_index("regso")
    assert regso.loc["2480R040", "befolkning"] == 4778
