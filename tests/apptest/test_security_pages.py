"""What the pages show that could be turned against users (the security review): the import
history names no analyst to the preparation group (finding 6)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from lagesbild.access import policy, roles
from lagesbild.store import Store
from tests.helpers.apptest import assert_ok, sign_in_locally, texts
from tests.helpers.files import HEADERS, report_rows

ANALYST = "anna.analytiker"
UNDOER = "cecilia.analytiker"


def csv_file(start: int) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([HEADERS, *report_rows(3, start)])
    return out.getvalue().encode()


def imported_and_rolled_back(db: Path) -> None:
    """Two imports by an analyst; another analyst rolls the second back."""
    store = Store.open(db)
    try:
        analyst = roles.User(ANALYST, roles.ANALYTIKER, "lokal")
        for start, name in ((1, "polis.csv"), (10, "skola.csv")):
            checked = policy.guarded_check(store, analyst, csv_file(start), name)
            receipt = policy.guarded_import(store, analyst, checked)
        assert receipt.batch_id is not None
        policy.guarded_rollback(store, roles.User(UNDOER, roles.ANALYTIKER, "lokal"),
                                receipt.batch_id)
    finally:
        store.close()


def test_the_import_history_names_no_analyst_to_the_preparation_group(
        demo_db: Path, local_accounts: Path) -> None:
    imported_and_rolled_back(demo_db)
    at = sign_in_locally("bo")
    at.switch_page("pages/rapportering.py").run()
    assert_ok(at)
    shown = texts(at)
    assert "Importhistorik" in shown and "polis.csv" in shown
    assert ANALYST not in shown and UNDOER not in shown
    assert "Analytiker" in shown  # the role instead
    at = sign_in_locally("anna")  # analysts still see who did it
    at.switch_page("pages/rapportering.py").run()
    assert ANALYST in texts(at) and UNDOER in texts(at)
