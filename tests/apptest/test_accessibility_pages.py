"""Accessibility on the pages without a browser: a period of a single quarter is written out
instead of a slider with one stop (the browser tier checks the rest: tests/browser/)."""

from __future__ import annotations

import os
from pathlib import Path

from lagesbild.domain import config
from lagesbild.intake.pipeline import import_file
from lagesbild.store import Store
from tests.helpers.apptest import assert_ok, start
from tests.helpers.files import HEADERS, make_csv, report_rows


def test_a_single_quarter_is_written_out_instead_of_a_one_stop_slider(tmp_path: Path) -> None:
    path = make_csv([HEADERS, *report_rows(6)], tmp_path / "polis.csv")  # all in 2026K1
    store = Store.open(Path(os.environ["LAGESBILD_DB"]))
    try:
        _checked, receipt = import_file(path, path.name, store, config.settings().cli_limits,
                                        "analytiker")
        assert receipt is not None
    finally:
        store.close()
    at = start()
    assert_ok(at)
    assert len(at.sidebar.select_slider) == 0
    shown = " ".join(m.value for m in at.sidebar.markdown)
    assert "Period (kvartal): **2026K1**" in shown
    assert any("bara för ett kvartal" in c.value for c in at.sidebar.caption)
