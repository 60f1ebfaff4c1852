"""The follow-up commands, registered as a `lagesbild.cli` extension module."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from lagesbild import cli


@pytest.fixture
def run(tmp_path: Path):
    db = tmp_path / "cli.duckdb"

    def call(*argv: str) -> int:
        return cli.main([*argv, *(["--db", str(db), "--user", "anna"]
                                  if argv[0] != "uppfoljningsmallar" else [])])
    return call


def test_import_trainings_and_list_events(run, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    wb = Workbook()
    ws = wb.active
    ws.append(["Insats-ID", "Datum", "Typ", "Tema", "Målgrupp", "Antal deltagare"])
    ws.append(["2026-01", dt.date(2026, 2, 10), "Utbildning", "Högerextremism", "Polis", 20])
    good = tmp_path / "utb.xlsx"
    wb.save(good)
    assert run("utbildningar", str(good)) == 0
    assert "är importerad som import 1" in capsys.readouterr().out
    assert run("utbildningar", str(good)) == 0
    assert "redan importerad" in capsys.readouterr().out
    ws.append(["2026-02", dt.date(2026, 2, 11), "Utbildning", "Allt möjligt", "Polis", 5])
    bad = tmp_path / "fel.xlsx"
    wb.save(bad)
    assert run("utbildningar", str(bad)) == 1
    out = capsys.readouterr().out
    assert out.startswith("NEKAD") and "rad 3, kolumn Tema: Okänt värde i Tema" in out
    assert run("omvarld") == 0
    assert "Inga omvärldshändelser" in capsys.readouterr().out


def test_templates_are_written(run, tmp_path: Path) -> None:  # noqa: ANN001
    assert run("uppfoljningsmallar", "--out", str(tmp_path / "mallar")) == 0
    assert sorted(p.name for p in (tmp_path / "mallar").iterdir()) == [
        "mall_aktivitetsplan.xlsx", "mall_utbildningsinsatser.xlsx"]
