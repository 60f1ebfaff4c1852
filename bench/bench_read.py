"""Benchmark: read a 100,000-row × 10-column xlsx, scan it for personal data and validate it.

Prints CPU and wall time (best of three) and rows/s (CPU) of `read_sheet`, `scan_sheet` and
`validate_sheet` next to bare python-calamine (open + to_python), the floor of the issue, and
bare fastexcel (every cell as an Arrow string), which `read_sheet` is built on.

    .venv/bin/python bench/bench_read.py [ROWS]
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import fastexcel
from python_calamine import CalamineWorkbook

from lagesbild.domain import codelists  # noqa: E402
from lagesbild.domain.config import ImportLimits  # noqa: E402
from lagesbild.intake.privacy import scan_sheet  # noqa: E402
from lagesbild.intake.reading import read_sheet  # noqa: E402
from lagesbild.intake.validate import validate_sheet  # noqa: E402
from tests.helpers.files import HEADERS, make_fast_xlsx, report_rows  # noqa: E402


def best_of(func, repeat: int = 3) -> tuple[float, float]:
    """(CPU seconds, wall seconds), the best of `repeat` runs each."""
    cpu, wall = [], []
    for _ in range(repeat):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        func()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return min(cpu), min(wall)


def main(rows: int = 100_000) -> None:
    lists = codelists.load()
    limits = ImportLimits(max_rows=max(rows, 100_000))
    today = dt.date(2026, 12, 31)
    with tempfile.TemporaryDirectory() as tmp:
        path = make_fast_xlsx([HEADERS, *report_rows(rows)], Path(tmp) / "big.xlsx")
        data = path.read_bytes()
        sheet = read_sheet(data, path.name, lists, limits)
        assert len(sheet) == rows
        assert not scan_sheet(sheet) and not validate_sheet(sheet, lists, today).problems
        timings = {
            "calamine to_python": best_of(
                lambda: CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
                .to_python(skip_empty_area=False)),
            "fastexcel to_arrow": best_of(
                lambda: fastexcel.read_excel(data).load_sheet(
                    0, header_row=None, dtypes="string", skip_rows=0).to_arrow()),
            "read_sheet": best_of(lambda: read_sheet(data, path.name, lists, limits)),
            "scan_sheet": best_of(lambda: scan_sheet(sheet)),
            "validate_sheet": best_of(lambda: validate_sheet(sheet, lists, today)),
        }
    print(f"{rows} rader × {len(HEADERS)} kolumner, {len(data) / 2**20:.1f} MB")
    print(f"{'':20} {'CPU s':>7} {'vägg s':>7} {'rader/s (CPU)':>14}")
    for label, (cpu, wall) in timings.items():
        print(f"{label:20} {cpu:7.2f} {wall:7.2f} {rows / cpu:14,.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
