"""Benchmark: twenty dashboard sessions reading while an analyst imports 100,000 rows.

One process, one store, as the Streamlit app runs: READERS threads each compute aggregate
counts on their own cursor (the overview's total and per-partner counts, and a count by form
through the engine), pausing THINK seconds between queries, while one thread imports a
generated 100,000-row CSV through the whole pipeline. Prints

* the import time alone and under load, and their ratio;
* reader latency (median, 95th percentile, max) with no import running and during the
  import, and their ratio;
* how many observations saw the old and the new state, and that none saw a partial import.

    .venv/bin/python bench/bench_concurrency.py [ROWS] [READERS]
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyarrow as pa

from lagesbild.domain import codelists
from lagesbild.domain.config import ImportLimits
from lagesbild.intake.demo import demo_reports
from lagesbild.intake.pipeline import import_file
from lagesbild.numbers.query import counts
from lagesbild.service import seed_demo
from lagesbild.store import Store

THINK = 0.005
FIELDS = ["rapport_id", "datum", "rapporttyp", "omrade", "form", "handelse", "verksamhet",
          "kon", "aldersgrupp", "konsultation"]


def write_csv(path: Path, rows: int, prefix: str) -> int:
    table = demo_reports(until=dt.date(2026, 1, 1), seed=5, n_target=rows)
    ids = pa.array([f"{prefix}-{i:07d}" for i in range(len(table))], pa.string())
    table = table.set_column(table.schema.get_field_index("rapport_id"), "rapport_id", ids)
    cl = codelists.load()
    columns = [table.column(f).to_pylist() for f in FIELDS]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([cl.header(f) for f in codelists.FIELDS])
        for row in zip(*columns, strict=True):
            writer.writerow(["" if v is None else v.isoformat() if isinstance(v, dt.date)
                             else v for v in row])
    return len(table)


def snapshot(store: Store) -> tuple[int, int]:
    rows = store.cursor().execute(
        "SELECT (SELECT count(*) FROM reports), partner, count(*) FROM reports "
        "GROUP BY partner").fetchall()
    return rows[0][0], sum(r[2] for r in rows)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_readers(store: Store, readers: int, until: threading.Event,
                latencies: list[float], totals: list[int], errors: list[BaseException]) -> list:
    lock = threading.Lock()

    def reader(k: int) -> None:
        local_lat, local_tot = [], []
        try:
            while not until.is_set():
                start = time.perf_counter()
                total, summed = snapshot(store)
                if k % 2:
                    counts(store, ["form"])
                local_lat.append(time.perf_counter() - start)
                if total != summed:
                    raise AssertionError(f"inconsistent snapshot {total} != {summed}")
                local_tot.append(total)
                time.sleep(THINK)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        with lock:
            latencies.extend(local_lat)
            totals.extend(local_tot)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(readers)]
    for t in threads:
        t.start()
    return threads


def main(rows: int = 100_000, readers: int = 20) -> None:
    limits = ImportLimits(max_rows=max(rows * 2, 1_000_000))
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        alone_file, loaded_file = tmp_dir / "ensam.csv", tmp_dir / "under_last.csv"
        n_alone = write_csv(alone_file, rows, "A")
        n_loaded = write_csv(loaded_file, rows, "B")
        codelists.load()

        # 1. The import alone (into its own database, same starting state).
        store = Store.open(tmp_dir / "alone.duckdb")
        seed_demo(store)
        start = time.perf_counter()
        import_file(alone_file, alone_file.name, store, limits, "bench")
        alone = time.perf_counter() - start
        assert store.report_count() == n_alone
        store.close()

        store = Store.open(tmp_dir / "loaded.duckdb")
        seed_demo(store)
        old_total = store.report_count()

        # 2. Readers with no import running.
        stop, errors = threading.Event(), []
        idle_lat, idle_tot = [], []
        threads = run_readers(store, readers, stop, idle_lat, idle_tot, errors)
        time.sleep(2.0)
        stop.set()
        for t in threads:
            t.join()

        # 3. Readers during the import.
        stop = threading.Event()
        busy_lat, busy_tot = [], []
        threads = run_readers(store, readers, stop, busy_lat, busy_tot, errors)
        time.sleep(0.5)
        start = time.perf_counter()
        import_file(loaded_file, loaded_file.name, store, limits, "bench")
        loaded = time.perf_counter() - start
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        new_total = store.report_count()
        store.close()

    partial = [t for t in busy_tot if t not in (old_total, new_total)]
    print(f"{readers} läsare och import av {n_loaded:,} rader (csv) i samma process"
          .replace(",", " "))
    print(f"{'':<34}{'sekunder':>10}{'kvot':>8}")
    print(f"{'import ensam':<34}{alone:>10.2f}{1:>8.2f}")
    print(f"{'import med läsare':<34}{loaded:>10.2f}{loaded / alone:>8.2f}")
    print(f"\n{'läsarnas svarstid (ms)':<34}{'median':>10}{'p95':>10}{'max':>10}{'antal':>8}")
    for name, lat in (("utan import", idle_lat), ("under import", busy_lat)):
        print(f"{name:<34}{1000 * statistics.median(lat):>10.1f}"
              f"{1000 * pct(lat, 0.95):>10.1f}{1000 * max(lat):>10.1f}{len(lat):>8}")
    print(f"p95 under import / utan: {pct(busy_lat, 0.95) / pct(idle_lat, 0.95):.2f}x")
    print(f"\nobservationer: gamla {busy_tot.count(old_total)}, nya {busy_tot.count(new_total)}, "
          f"halvfärdiga {len(partial)}; fel {len(errors)}")
    if partial or errors:
        raise SystemExit("FEL: en läsare såg en halvfärdig import eller fick ett fel: "
                         f"{errors[:3]} {partial[:3]}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
