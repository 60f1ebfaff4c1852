"""Benchmark: the overview's indicators in DuckDB against the same aggregations in pandas.

Builds 100 000 and 1 000 000 synthetic reports (the demo data resampled with numpy) in a
temporary DuckDB file, then times each indicator function end to end (SQL plus the Python
post-processing and disclosure control) and the same aggregation in pandas on a DataFrame of
the reports held in memory. Prints a table; no assertions.

    .venv/bin/python bench/bench_indicators.py [--sizes 100000,1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from lagesbild.domain.config import settings  # noqa: E402
from lagesbild.domain.periods import quarters_between, shift_quarter  # noqa: E402
from lagesbild.intake.demo import demo_reports  # noqa: E402
from lagesbild.intake.population import ensure_population  # noqa: E402
from lagesbild.numbers import indicators as ind  # noqa: E402
from lagesbild.numbers.query import Filters  # noqa: E402
from lagesbild.numbers.summary import key_figures  # noqa: E402
from lagesbild.store import Store  # noqa: E402


def synthetic(n: int, seed: int = 1) -> pa.Table:
    """n reports resampled from the demo data, each with its own id."""
    demo = demo_reports()
    rng = np.random.default_rng(seed)
    table = demo.take(pa.array(rng.integers(0, demo.num_rows, n)))
    ids = pa.array([f"B-{i:07d}" for i in range(n)])
    return table.set_column(table.schema.get_field_index("rapport_id"), "rapport_id", ids)


def best_ms(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


# -- the same aggregations in pandas ---------------------------------------------------------------
def pd_key_figures(df: pd.DataFrame, quarter: str) -> pd.DataFrame:
    wanted = [shift_quarter(quarter, -k) for k in range(8, -1, -1)]
    part = df[df["kvartal"].isin(wanted)]
    return part.assign(
        oro=part["rapporttyp"] == "Oro", incident=part["rapporttyp"] == "Incident",
        ja=part["konsultation"] == "Ja",
    ).groupby("kvartal").agg(totalt=("oro", "size"), oro=("oro", "sum"),
                             incident=("incident", "sum"), ja=("ja", "sum"))


def pd_trend(df: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    window = quarters_between(shift_quarter(first, -8), last)
    part = df[df["kvartal"].isin(window)]
    wide = part.groupby(["form", "kvartal"]).size().unstack(fill_value=0)
    wide = wide.reindex(columns=window, fill_value=0)
    centre = wide.T.rolling(8).mean().shift(1).T
    return centre + 3 * np.sqrt(centre)


def pd_counts(df: pd.DataFrame) -> pd.Series:
    return df.groupby("omrade").size()


def pd_lens(df: pd.DataFrame) -> pd.DataFrame:
    return pd.crosstab(df["form"], df["kon"], margins=True)


def pd_funnel(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(ja=df["konsultation"] == "Ja").groupby(["verksamhet", "kvartal"]).agg(
        antal=("ja", "size"), ja=("ja", "sum"))


def pd_coverage(df: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    window = quarters_between(shift_quarter(first, -4), last)
    part = df[df["kvartal"].isin(window)]
    return part.groupby(["partner", "kvartal"]).size().unstack(fill_value=0)


def run(n: int, repeat: int) -> list[tuple[str, int, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.duckdb")
        reports = synthetic(n)
        start = time.perf_counter()
        store.import_reports(reports, file_name=f"bench-{n}",
                             sha256=hashlib.sha256(str(n).encode()).hexdigest(),
                             imported_by="bench")
        print(f"  {n:>9,} rapporter importerade på {time.perf_counter() - start:.1f} s")
        ensure_population(store)
        store.close()  # as in use: the dashboard opens a file imported earlier
        store = Store.open(Path(tmp) / "bench.duckdb")
        df = store.cursor().execute("SELECT * FROM reports").df()
        last = ind.data_span(store)[1]
        first = shift_quarter(last, -10)
        period = Filters(first, last)
        rule = settings().disclosure
        cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
            ("nyckeltal", lambda: key_figures(store, last, period, rule),
             lambda: pd_key_figures(df, last)),
            ("trend per form", lambda: ind.trend(store, period, "form", "antal", rule),
             lambda: pd_trend(df, first, last)),
            ("antal per område", lambda: ind.counts(store, ["omrade"], period, rule),
             lambda: pd_counts(df[df["kvartal"].between(first, last)])),
            ("lins form × kön", lambda: ind.lens(store, "form", "kon", period, rule),
             lambda: pd_lens(df[df["kvartal"].between(first, last)])),
            ("konsultationstratt", lambda: ind.funnel(store, period, rule),
             lambda: pd_funnel(df[df["kvartal"].between(first, last)])),
            ("rapporteringstäckning", lambda: ind.coverage(store, period, rule),
             lambda: pd_coverage(df, first, last)),
        ]
        results = []
        for name, duck, panda in cases:
            duck()  # warm up
            results.append((name, n, best_ms(duck, repeat), best_ms(panda, repeat)))
        store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        rows += run(n, args.repeat)
    print(f"\n{'indikator':<24}{'rapporter':>11}{'DuckDB ms':>11}{'pandas ms':>11}"
          f"{'pandas/DuckDB':>15}")
    for name, n, duck, panda in rows:
        print(f"{name:<24}{n:>11,}{duck:>11.1f}{panda:>11.1f}{panda / duck:>14.1f}×")
    print("\nDuckDB: hela indikatorfunktionen (SQL + efterbearbetning + röjandekontroll). "
          "pandas: bara samma aggregering på en DataFrame i minnet.")


if __name__ == "__main__":
    main()
