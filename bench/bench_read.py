"""Benchmark: read a 100,000-row × 10-column xlsx and scan it for personal data.

Prints rows/s of `read_sheet` and `scan_sheet` next to bare python-calamine (open + to_python),
which is the floor.

    .venv/bin/python bench/bench_read.py [ROWS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from python_calamine import CalamineWorkbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from messy_files import HEADERS, make_fast_xlsx, report_rows  # noqa: E402

from lagesbild import codelists  # noqa: E402
from lagesbild.config import ImportLimits  # noqa: E402
from lagesbild.privacy import scan_sheet  # noqa: E402
from lagesbild.reading import read_sheet  # noqa: E402


def best_of(func, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(rows: int = 100_000) -> None:
    lists = codelists.load()
    with tempfile.TemporaryDirectory() as tmp:
        path = make_fast_xlsx([HEADERS, *report_rows(rows)], Path(tmp) / "big.xlsx")
        data = path.read_bytes()
        bare = best_of(lambda: CalamineWorkbook.from_path(str(path))
                       .get_sheet_by_index(0).to_python(skip_empty_area=False))
        ours = best_of(lambda: read_sheet(data, path.name, lists, ImportLimits()))
        sheet = read_sheet(data, path.name, lists, ImportLimits())
        assert len(sheet.rows) == rows
        scan = best_of(lambda: scan_sheet(sheet))
    print(f"{rows} rader × {len(HEADERS)} kolumner, {len(data) / 2**20:.1f} MB")
    for label, seconds in (("calamine to_python", bare), ("read_sheet", ours),
                           ("scan_sheet", scan)):
        print(f"{label:20} {seconds:6.2f} s  {rows / seconds:10,.0f} rader/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
