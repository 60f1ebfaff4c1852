"""Benchmark: import a 100,000-row xlsx.

Prints rows/s of the full import (read, privacy guard, validation, one DuckDB transaction) and
its ratio to (a) a bare python-calamine parse of the same file — the floor — and (b) what an
analyst would write: pandas.read_excel with openpyxl. Targets: within 1.5x of the bare parse,
at least 3x faster than pandas + openpyxl.

    .venv/bin/python bench/bench_import.py [ROWS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import pandas as pd
from python_calamine import CalamineWorkbook

from lagesbild import codelists
from lagesbild.config import ImportLimits
from lagesbild.demo import demo_reports
from lagesbild.importer import import_file
from lagesbild.store import Store


def write_file(path: Path, rows: int) -> None:
    """A partner-style xlsx: the template's headers, real date cells, ids unique per sector."""
    demo = demo_reports().to_pylist()
    cl = codelists.load()
    headers = [cl.header(f) for f in codelists.FIELDS]
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Rapporter")
    sheet.append(headers)
    for i in range(rows):
        r = demo[i % len(demo)]
        sheet.append([f"B-{i:07d}", r["datum"], r["rapporttyp"], r["regso"] or r["omrade"],
                      r["form"], r["handelse"], r["verksamhet"], r["kon"], r["aldersgrupp"],
                      r["konsultation"]])
    book.save(path)


def timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main(rows: int = 100_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rapporter.xlsx"
        write_file(path, rows)
        limits = ImportLimits(max_rows=max(rows, 1_000_000))
        store = Store.open(Path(tmp) / "bench.duckdb")
        codelists.load()  # warm the code lists, as a running app has them

        bare = min(timed(lambda: CalamineWorkbook.from_path(str(path))
                         .get_sheet_by_index(0).to_python()) for _ in range(2))
        ours = timed(lambda: import_file(path, path.name, store, limits, "bench"))
        assert store.report_count() == rows, "the import did not store every row"
        pandas_time = timed(lambda: pd.read_excel(path, engine="openpyxl"))

    print(f"Import av {rows:,} rader (xlsx)".replace(",", " "))
    print(f"{'metod':<36}{'sekunder':>10}{'rader/s':>12}{'kvot':>8}")
    for name, seconds in [("calamine, bara tolkning (golv)", bare),
                          ("lagesbild import (allt)", ours),
                          ("pandas + openpyxl, bara läsning", pandas_time)]:
        print(f"{name:<36}{seconds:>10.2f}{rows / seconds:>12,.0f}{seconds / bare:>8.2f}")
    print(f"\nlagesbild / golv: {ours / bare:.2f}x (mål ≤ 1.5x)")
    print(f"pandas+openpyxl / lagesbild: {pandas_time / ours:.1f}x snabbare (mål ≥ 3x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
