"""Many readers while one import runs: the way Streamlit sessions share one store per process.

Twenty reader threads compute aggregate counts over and over (each query on its own cursor)
while one thread imports a large generated file through the whole pipeline. No reader may fail
or be refused a lock, and every reader must see either the data before the import or the data
after it — never a partial import — with per-partner counts that add up to the total.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

from lagesbild.domain import config
from lagesbild.intake.pipeline import import_file
from lagesbild.numbers.query import counts
from lagesbild.store import Store
from tests.helpers.reports import generated_reports, write_csv

READERS = 20
ROWS = 20_000
PAUSE = 0.002  # between a reader's queries (a session does not query non-stop)
def snapshot(store: Store) -> tuple[int, dict[str, int]]:
    """Total and per-partner counts, from one query (one consistent snapshot)."""
    rows = store.cursor().execute(
        "SELECT (SELECT count(*) FROM reports) AS total, partner, count(*) "
        "FROM reports GROUP BY partner ORDER BY partner"
    ).fetchall()
    total = rows[0][0] if rows else 0
    return total, {partner: n for _t, partner, n in rows}


def test_readers_see_old_or_new_data_never_a_partial_import(demo_store: Store,
                                                             tmp_path: Path) -> None:
    store = demo_store
    path = write_csv(generated_reports(ROWS), tmp_path / "stor.csv")
    old_total, old_partners = snapshot(store)
    assert old_total > 1000

    done = threading.Event()
    errors: list[BaseException] = []
    seen: list[tuple[int, dict[str, int], int]] = []  # (total, per partner, by-form sum)
    seen_lock = threading.Lock()
    receipt_box: list = []

    def reader(k: int) -> None:
        local = []
        try:
            extra = 3  # keep reading a little after the import, to see the new state too
            while extra:
                total, partners = snapshot(store)
                # Half the readers also ask the engine, as a page does (a separate query).
                by_form = int(counts(store, ["form"])["antal"].sum()) if k % 2 else None
                local.append((total, partners, by_form))
                if done.is_set():
                    extra -= 1
                time.sleep(PAUSE)
        except BaseException as exc:  # noqa: BLE001 - every failure is a test failure
            errors.append(exc)
        with seen_lock:
            seen.extend(local)

    def importer() -> None:
        try:
            time.sleep(0.2)  # let the readers get going
            _checked, receipt = import_file(path, path.name, store, config.settings().cli_limits,
                                            "analytiker")
            receipt_box.append(receipt)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            done.set()

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(READERS)]
    threads.append(threading.Thread(target=importer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert errors == []

    receipt = receipt_box[0]
    assert receipt.batch_id is not None and receipt.demo_removed
    new_total, new_partners = snapshot(store)
    assert new_total == receipt.rows_total - receipt.rows_duplicate != old_total

    kinds = Counter()
    for total, partners, by_form in seen:
        assert sum(partners.values()) == total
        assert by_form in (None, old_total, new_total)
        if total == old_total:
            assert partners == old_partners
            kinds["old"] += 1
        else:
            assert total == new_total, f"partial state seen: {total}"
            assert partners == new_partners
            kinds["new"] += 1
    assert kinds["old"] >= READERS and kinds["new"] >= READERS, kinds
