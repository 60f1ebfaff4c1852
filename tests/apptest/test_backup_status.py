"""Analysts see the latest backup in the sidebar and are warned when it is missing, failed or
more than two days old; the preparation group sees nothing of it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from lagesbild.service import operations, runtime
from tests.helpers.apptest import assert_ok, sign_in_locally, start


def sidebar_texts(at) -> str:  # noqa: ANN001 - AppTest
    return "\n".join([c.value for c in at.sidebar.caption] + [w.value for w in at.sidebar.warning])


def test_analysts_see_when_the_latest_backup_was_and_a_warning_when_it_is_old(
        demo_db: Path, tmp_path: Path) -> None:
    at = start()
    assert_ok(at)
    assert "ingen säkerhetskopia ännu" in sidebar_texts(at)
    operations.make_backup(runtime.store(demo_db), tmp_path / "kopia", by="anna")
    at.run()
    shown = sidebar_texts(at)
    assert "Senaste säkerhetskopia" in shown and "kontrollerad" in shown
    assert not at.sidebar.warning
    status = operations.backup_root(demo_db) / operations.STATUS_FILE
    raw = json.loads(status.read_text("utf-8"))
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).isoformat()
    raw["senaste"]["at"] = raw["senaste_kontrollerade"]["at"] = old
    status.write_text(json.dumps(raw), "utf-8")
    at.run()
    assert any("mer än två dygn" in w.value for w in at.sidebar.warning)


def test_the_preparation_group_sees_nothing_of_backups(demo_db: Path,
                                                       local_accounts: Path) -> None:
    at = sign_in_locally("bo")
    assert "äkerhetskopi" not in sidebar_texts(at)
    at = sign_in_locally("anna")
    assert "ingen säkerhetskopia ännu" in sidebar_texts(at)
