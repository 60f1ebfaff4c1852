"""Opening the store the way the app and the command line both need it."""

from __future__ import annotations

import hashlib

from lagesbild.domain import codelists
from lagesbild.store import Receipt, Store


class RealDataPresent(Exception):
    """Demo data are never mixed with real data."""


def seed_demo(store: Store) -> Receipt:
    """Load the deterministic synthetic demo data (reports, trainings, activity plan,
    context events), each as a batch marked as demo."""
    from lagesbild.intake.demo import DEMO_FILE_NAME, demo_reports
    from lagesbild.intake.demo_followup import seed_followup_demo

    if store.has_real_data():
        raise RealDataPresent(
            "Databasen innehåller riktiga rapporter; demodata läses inte in ovanpå dem."
        )
    if store.has_demo_data():
        store.remove_demo()
    reports = demo_reports()
    digest = hashlib.sha256(b"demo" + str(reports.num_rows).encode()).hexdigest()
    receipt = store.import_reports(
        reports, file_name=DEMO_FILE_NAME, sha256=digest, imported_by="system",
        codelist_version=codelists.load().version, is_demo=True,
    )
    seed_followup_demo(store)
    return receipt


def remove_demo(store: Store, by: str) -> int:
    """Remove the demo data for good: the app will not seed them again in this database."""
    removed = store.remove_demo()
    store.audit(by, "demodata borttagna", "ok", details=f"{removed} demoimporter")
    return removed


def demo_was_removed(store: Store) -> bool:
    row = store.cursor().execute(
        "SELECT count(*) FROM audit_log WHERE action = 'demodata borttagna'"
    ).fetchone()
    assert row is not None  # an aggregate returns one row
    return bool(row[0])


def open_for_app(path: str | None, with_demo: bool = True) -> Store:
    """Open the database; seed demo data into a brand-new one (unless told not to)."""
    store = Store.open(path)
    if with_demo and not store.batches() and not demo_was_removed(store):
        seed_demo(store)
    return store
