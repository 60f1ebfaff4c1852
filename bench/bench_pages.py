"""Benchmark: the dashboard's pages on 1 000 000 reports.

Builds a DuckDB file with the demo data repeated and perturbed to N reports (default one
million; dates moved up to a month either way, other fields kept, each copy with its own ids),
then:

1. server side: each page run through Streamlit's AppTest, cold (empty caches, fresh session)
   and warm (the same page rerun), on the demo data and on the big file;
2. browser: `streamlit run app.py` on the big file, in headless Chromium, the time from
   navigation to the first drawn chart: loading each page's address (the whole app starts
   in the browser; server caches cold), and clicking the page in the app's menu (warm).

Targets: warm rerun < 300 ms per page, first chart < 3 s. Prints tables; no assertions.

    .venv/bin/python bench/bench_pages.py [--reports 1000000] [--db FILE] [--no-browser]

With --db the big file is kept (and reused when it exists).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pyarrow as pa

PROJECT = Path(__file__).resolve().parent.parent

from lagesbild import service as bootstrap  # noqa: E402
from lagesbild.domain import codelists  # noqa: E402
from lagesbild.intake.demo import START, demo_reports, latest_full_quarter_end  # noqa: E402
from lagesbild.intake.population import ensure_population  # noqa: E402
from lagesbild.store import Store  # noqa: E402

PAGES = ["oversikt", "trender", "omraden", "malgrupper", "rapportering", "om"]
TITLES = {"oversikt": "Översikt", "trender": "Trender", "omraden": "Områden",
          "malgrupper": "Målgrupper", "rapportering": "Rapportering", "om": "Om lägesbilden"}
TARGET_WARM_MS = 300
TARGET_FIRST_CHART_S = 3.0
CHROMIUM = os.environ.get("LAGESBILD_CHROMIUM", "/usr/bin/chromium")
CHUNK = 250_000


# -- the big database ----------------------------------------------------------------
def perturbed_copies(n: int, seed: int = 7):
    """Tables of at most CHUNK reports: the demo data repeated, dates jittered ±30 days."""
    demo = demo_reports()
    rng = np.random.default_rng(seed)
    first = np.datetime64(START, "D")
    last = np.datetime64(latest_full_quarter_end(dt.date.today()), "D")
    dates = demo.column("datum").to_numpy(zero_copy_only=False).astype("datetime64[D]")
    ids = np.array(demo.column("rapport_id").to_pylist(), dtype=object)
    made = 0
    copy = 0
    while made < n:
        rows = []
        size = 0
        while size < CHUNK and made + size < n:
            take = min(demo.num_rows, n - made - size)
            jitter = rng.integers(-30, 31, take).astype("timedelta64[D]")
            moved = np.clip(dates[:take] + jitter, first, last)
            part = demo.slice(0, take)
            part = part.set_column(part.schema.get_field_index("datum"), "datum",
                                   pa.array(moved, type=pa.date32()))
            part = part.set_column(part.schema.get_field_index("rapport_id"), "rapport_id",
                                   pa.array([f"{i}-{copy:05d}" for i in ids[:take]]))
            rows.append(part)
            size += take
            copy += 1
        made += size
        yield pa.concat_tables(rows)


def build_big(path: Path, n: int) -> None:
    store = Store.open(path)
    try:
        if store.report_count() >= n:
            return
        started = time.perf_counter()
        for k, table in enumerate(perturbed_copies(n)):
            digest = hashlib.sha256(f"bench-{n}-{k}".encode()).hexdigest()
            store.import_reports(table, file_name=f"bench_{k}.parquet", sha256=digest,
                                 imported_by="bench", is_demo=True,
                                 codelist_version=codelists.load().version)
        ensure_population(store)
        print(f"Byggde {store.report_count():,} rapporter på "
              f"{time.perf_counter() - started:.0f} s ({path})".replace(",", " "))
    finally:
        store.close()


def build_demo(path: Path) -> None:
    store = Store.open(path)
    bootstrap.seed_demo(store)
    ensure_population(store)
    store.close()


# -- server side: AppTest ----------------------------------------------------------------
def _apptest_patch() -> None:
    """AppTest re-detects the old pages/ folder mode before every run; keep it off (see
    tests/test_pages.py)."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init


def server_times(db: Path, warm_runs: int = 5) -> dict[str, tuple[float, float]]:
    """page -> (cold ms, warm ms) from AppTest."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["LAGESBILD_DB"] = str(db)
    out = {}
    for page in PAGES:
        st.cache_data.clear()  # the store stays open (cache_resource): one per process
        at = AppTest.from_file(str(PROJECT / "dashboard.py"), default_timeout=300)
        at.run()  # the session's first run (the default page) with cold caches …
        st.cache_data.clear()  # … cleared again, so the page itself starts cold
        at.switch_page(f"pages/{page}.py")
        start = time.perf_counter()
        at.run()
        cold = (time.perf_counter() - start) * 1000
        if at.exception:
            print(f"  {page}: {at.exception[0].value}")
        warm = []
        for _ in range(warm_runs):
            start = time.perf_counter()
            at.run()
            warm.append((time.perf_counter() - start) * 1000)
        out[page] = (cold, statistics.median(warm))
    from ui import state

    state._open_store(str(db)).close()
    st.cache_resource.clear()
    return out


# -- browser: time to the first chart ----------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def browser_times(db: Path) -> dict[str, tuple[float, float]] | None:
    """page -> seconds to the first drawn chart: (loading the page's address, cold server
    caches; clicking the page in the menu of the running app, warm caches)."""
    chromium = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not chromium:
        print("Chromium saknas: webbläsarmätningen hoppas över.")
        return None
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "LAGESBILD_DB": str(db)}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        out: dict[str, list[float]] = {p: [] for p in PAGES}
        chart = '[data-testid="stPlotlyChart"] .main-svg'
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(url)  # the browser caches the app's JavaScript, as a returning user's
            page.wait_for_selector(chart, timeout=120_000)
            for name in PAGES:  # a full load of each page's address (server caches cold)
                start = time.perf_counter()
                page.goto(f"{url}/{name}")
                page.wait_for_selector(chart if name != "om" else "h1", timeout=120_000)
                out[name].append(time.perf_counter() - start)
            for name in PAGES:  # in the app: a click in the menu (server caches warm)
                page.goto(f"{url}/{'om' if name != 'om' else ''}")
                page.wait_for_selector("h1", timeout=120_000)
                page.wait_for_timeout(500)
                start = time.perf_counter()
                page.locator('[data-testid="stSidebarNav"] a', has_text=TITLES[name]).click()
                page.get_by_role("heading", name=TITLES[name], exact=True).wait_for(
                    timeout=120_000)
                if name != "om":
                    page.wait_for_selector(chart, timeout=120_000)
                out[name].append(time.perf_counter() - start)
            browser.close()
        return {p: (v[0], v[1]) for p, v in out.items()}
    finally:
        process.terminate()
        process.wait(timeout=20)


# -- report ----------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="keep the big database here (reused)")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    _apptest_patch()
    with tempfile.TemporaryDirectory() as tmp:
        demo_db = Path(tmp) / "demo.duckdb"
        big_db = args.db or Path(tmp) / "big.duckdb"
        build_demo(demo_db)
        build_big(big_db, args.reports)
        small = server_times(demo_db)
        big = server_times(big_db)
        n = f"{args.reports:,}".replace(",", " ")
        print(f"\nServer (AppTest), ms. Mål: varm körning < {TARGET_WARM_MS} ms.")
        print(f"{'sida':<14}{'demo kall':>10}{'demo varm':>10}{n + ' kall':>16}"
              f"{n + ' varm':>16}{'kall/varm':>10}{'varm/demo':>10}{'varm/mål':>10}")
        for page in PAGES:
            (dc, dw), (bc, bw) = small[page], big[page]
            print(f"{page:<14}{dc:>10.0f}{dw:>10.0f}{bc:>16.0f}{bw:>16.0f}"
                  f"{bc / bw:>10.1f}{bw / dw:>10.2f}{bw / TARGET_WARM_MS:>10.2f}")
        if not args.no_browser:
            times = browser_times(big_db)
            if times:
                print(f"\nWebbläsare ({n} rapporter): sekunder till första diagrammet. "
                      f"Mål: < {TARGET_FIRST_CHART_S:.0f} s.")
                print(f"{'sida':<14}{'laddad adress':>14}{'klick i menyn':>14}"
                      f"{'adress/mål':>11}{'klick/mål':>11}")
                for page, (first, second) in times.items():
                    print(f"{page:<14}{first:>14.2f}{second:>14.2f}"
                          f"{first / TARGET_FIRST_CHART_S:>11.2f}"
                          f"{second / TARGET_FIRST_CHART_S:>11.2f}")


if __name__ == "__main__":
    main()
