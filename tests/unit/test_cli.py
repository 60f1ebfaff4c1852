"""The command line, end to end: import real files, list and roll back batches, count."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from lagesbild.cli import main
from lagesbild.store import Store

HEADERS = ["Rapport-ID", "Datum", "Rapporttyp", "Område", "Form av extremism", "Händelsetyp",
           "Rapporterande verksamhet", "Kön", "Åldersgrupp", "Konsultationsforum"]
ROWS = [
    ["S-1", dt.date(2026, 7, 3), "Oro", "Centrum", "Högerextremism", "Oro för individ",
     "Socialtjänst", "Man", "16–17", "Ja"],
    ["S-2", dt.date(2026, 8, 14), "Oro", "2480R003", "Misogyn extremism", "Oro för individ",
     "Socialtjänst", "Man", "18-24", "Nej"],
    ["S-3", dt.date(2026, 9, 30), "Incident", "Ålidhem", "Högerextremism", "Propaganda",
     "Socialtjänst", "", "", ""],
    ["S-4", dt.date(2026, 4, 2), "Incident", "Digitalt", "Islamistisk extremism",
     "Digital aktivitet", "Socialtjänst", "Okänt", "Okänd", "Nej"],
]


def write_xlsx(path: Path, rows: list[list], title: bool = True) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Rapporter"
    if title:
        sheet.append(["Socialtjänsten – rapporter till lägesbilden"])
        sheet.append([])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list]) -> Path:
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADERS)
        writer.writerows([[c.isoformat() if isinstance(c, dt.date) else c for c in r]
                          for r in rows])
    return path


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "cli.duckdb")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_then_count_reproduces_hand_counted_totals(tmp_path, db, capsys) -> None:
    path = write_xlsx(tmp_path / "soc_2026K3.xlsx", ROWS)
    code, out, _ = run(capsys, "import", str(path), "--db", db, "--user", "anna")
    assert code == 0, out
    assert "IMPORTERAD" in out and "4 rapporter" in out and "nya 4" in out
    code, out, _ = run(capsys, "indicators", "--by", "kvartal,form", "--db", db,
                       "--min-cell", "0")
    lines = out.strip().splitlines()
    assert lines[0] == "kvartal,form,antal"
    assert sorted(lines[1:]) == ["2026K2,Islamistisk extremism,1", "2026K3,Högerextremism,2",
                                 "2026K3,Misogyn extremism,1"]
    code, out, _ = run(capsys, "indicators", "--by", "omrade", "--from", "2026K3", "--to",
                       "2026K3", "--db", db, "--min-cell", "0", "--format", "json")
    assert {r["omrade"]: r["antal"] for r in json.loads(out)} == {
        "Centrum": 1, "Universitetsområdet": 1, "Ålidhem": 1}


def test_same_file_twice_is_already_imported_and_exit_zero(tmp_path, db, capsys) -> None:
    path = write_csv(tmp_path / "soc.csv", ROWS)
    assert run(capsys, "import", str(path), "--db", db)[0] == 0
    code, out, _ = run(capsys, "import", str(path), "--db", db)
    assert code == 0 and "REDAN IMPORTERAD" in out
    store = Store.open(db)
    assert store.report_count() == 4 and len(store.batches()) == 1
    store.close()


def test_refused_file_changes_nothing_and_lists_every_problem(tmp_path, db, capsys) -> None:
    good = write_xlsx(tmp_path / "bra.xlsx", ROWS[:2])
    bad_rows = [*ROWS[2:], ["S-9", "2026-13-01", "Oro", "Ålidhemm", "Högerextremism",
                            "Oro för individ", "Socialtjänst", "", "", ""]]
    bad = write_xlsx(tmp_path / "fel.xlsx", bad_rows)
    code, out, _ = run(capsys, "import", str(good), str(bad), "--db", db)
    assert code == 1
    assert "IMPORTERAD  bra.xlsx" in out and "NEKAD  fel.xlsx: 2 problem" in out
    assert "rad 6, kolumn Datum" in out and 'Menade du "Ålidhem"?' in out
    store = Store.open(db)
    assert store.report_count() == 2
    store.close()


def test_dry_run_stores_nothing(tmp_path, db, capsys) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", ROWS)
    code, out, _ = run(capsys, "import", str(path), "--db", db, "--dry-run", "--json")
    result = json.loads(out)[0]
    assert code == 0 and result["godkand"] and result["nya"] == 4 and result["batch_id"] is None
    store = Store.open(db)
    assert store.report_count() == 0 and store.batches() == []
    store.close()


def test_batches_and_rollback(tmp_path, db, capsys) -> None:
    first = write_xlsx(tmp_path / "a.xlsx", ROWS[:2])
    changed = [[*ROWS[0][:4], "Vänsterextremism", *ROWS[0][5:]], ROWS[2]]
    second = write_xlsx(tmp_path / "b.xlsx", changed)
    run(capsys, "import", str(first), "--db", db)
    run(capsys, "import", str(second), "--db", db)
    code, out, _ = run(capsys, "batches", "--db", db)
    assert code == 0 and "a.xlsx" in out and "b.xlsx" in out
    code, out, _ = run(capsys, "rollback", "2", "--db", db, "--user", "bo")
    assert code == 0 and "återställd" in out
    _, out, _ = run(capsys, "indicators", "--by", "form", "--db", db, "--min-cell", "0")
    assert sorted(out.strip().splitlines()[1:]) == ["Högerextremism,1", "Misogyn extremism,1"]
    code, _, err = run(capsys, "rollback", "2", "--db", db)
    assert code == 1 and "redan återställd" in err


def test_usage_errors_exit_two(db, capsys) -> None:
    code, _, err = run(capsys, "indicators", "--by", "skostorlek", "--db", db)
    assert code == 2 and "Okänd indelning" in err
    with pytest.raises(SystemExit) as exc:
        main(["import"])
    assert exc.value.code == 2


def test_import_while_the_app_holds_the_database_fails_clearly(tmp_path, capsys) -> None:
    import subprocess
    import sys

    db = tmp_path / "held.duckdb"
    path = write_xlsx(tmp_path / "a.xlsx", ROWS)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('ok', flush=True); time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        out = subprocess.run([sys.executable, "-m", "lagesbild", "import", str(path), "--db",
                              str(db)], capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
    assert out.returncode == 1
    assert "används redan av ett annat program" in out.stderr


def test_template_and_demo_commands(tmp_path, db, capsys) -> None:
    out_file = tmp_path / "mall.xlsx"
    assert run(capsys, "template", "--out", str(out_file))[0] == 0
    assert openpyxl.load_workbook(out_file).sheetnames[0] == "Rapporter"
    code, out, _ = run(capsys, "demo", "--db", db)
    assert code == 0 and "Syntetiska demodata" in out
    path = write_xlsx(tmp_path / "riktig.xlsx", ROWS)
    _, out, _ = run(capsys, "import", str(path), "--db", db)
    assert "Demodata fanns i databasen och har tagits bort" in out
    code, _, err = run(capsys, "demo", "--db", db)
    assert code == 1 and "riktiga rapporter" in err


def test_nil_return_on_the_command_line(tmp_path, db, capsys) -> None:
    code, out, _ = run(capsys, "import", "--nil", "--partner", "Socialtjänst", "--quarter",
                       "2026K2", "--db", db)
    assert code == 0 and "REGISTRERAD  Socialtjänst har inga rapporter 2026K2" in out
    code, out, _ = run(capsys, "import", "--nil", "--partner", "Socialtjänst", "--quarter",
                       "2026K2", "--db", db)
    assert code == 0 and "REDAN REGISTRERAD" in out
    code, out, _ = run(capsys, "import", "--nil", "--partner", "Nya skolan", "--quarter",
                       "2026K2", "--db", db)
    assert code == 1 and "finns inte i partnerregistret" in out and "partner add" in out
    path = write_xlsx(tmp_path / "soc.xlsx", ROWS)  # 2026K2 and K3: replaces the nil return
    assert run(capsys, "import", str(path), "--db", db)[0] == 0
    code, out, _ = run(capsys, "import", "--nil", "--partner", "Socialtjänst", "--quarter",
                       "2026K3", "--db", db)
    assert code == 1 and "har redan 3 rapporter för 2026K3" in out
    store = Store.open(db)
    try:
        assert store.cursor().execute("SELECT count(*) FROM nil_returns").fetchone()[0] == 0
    finally:
        store.close()


@pytest.mark.parametrize("args", [
    ["import", "--nil", "--partner", "Polis"],  # no quarter
    ["import", "--nil", "--quarter", "2026K3"],  # no partner
    ["import", "x.xlsx", "--nil", "--partner", "Polis", "--quarter", "2026K3"],  # a file too
    ["import", "x.xlsx", "--quarter", "2026K3"],  # a quarter without --nil
])
def test_import_usage_errors_exit_two(db, capsys, args) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*args, "--db", db])
    assert exc.value.code == 2 and "Fel:" in capsys.readouterr().err


def test_replace_on_the_command_line_withdraws_and_rollback_undoes_it(tmp_path, db,
                                                                      capsys) -> None:
    run(capsys, "import", str(write_xlsx(tmp_path / "a.xlsx", ROWS)), "--db", db)
    fewer = write_xlsx(tmp_path / "b.xlsx", ROWS[:2])  # S-3 (2026K3) is gone; S-4 is 2026K2
    code, out, _ = run(capsys, "import", str(fewer), "--db", db, "--replace", "--json")
    result = json.loads(out)[0]
    assert code == 0 and result["aterkallade"] == 1 and result["batch_id"] == 2
    store = Store.open(db)
    try:
        ids = sorted(r[0] for r in store.cursor().execute(
            "SELECT rapport_id FROM reports").fetchall())
        assert ids == ["S-1", "S-2", "S-4"]
    finally:
        store.close()
    assert run(capsys, "rollback", "2", "--db", db)[0] == 0
    _, out, _ = run(capsys, "indicators", "--by", "kvartal", "--db", db, "--min-cell", "0")
    assert sorted(out.strip().splitlines()[1:]) == ["2026K2,1", "2026K3,3"]


def test_a_workbook_with_quarter_sheets_and_hidden_rows_on_the_command_line(
        tmp_path, db, capsys) -> None:
    from tests.helpers.files import make_partner_workbook

    path = make_partner_workbook({"K2": [HEADERS, ROWS[3]], "K3": [HEADERS, *ROWS[:3]],
                                  "Info": [["Kontakt: samordnaren"]]},
                                 tmp_path / "ar.xlsx", hidden_rows={"K3": [3]})
    code, out, _ = run(capsys, "import", str(path), "--db", db)
    assert code == 0 and "4 rapporter" in out
    assert "Lästa blad: K2, K3" in out and "Info (har ingen rubrikrad)" in out
    assert "1 rad är dold" in out


def test_indicators_mark_a_period_sum_with_a_small_quarter_as_approximate(tmp_path, db,
                                                                         capsys) -> None:
    """Teg: 3 reports in 2026K1 (shown <5), 20 in 2026K2; the data go on to 2026K3, so
    2026K1–2026K2 is the sum of two quarters. The group sees "≈ 23" (20 + 2.5 for the "<5"
    quarter, rounded: nothing the quarters do not show) – not "..", and not an exact 23."""
    def report(i: int, day: dt.date, area: str) -> list:
        return [f"T-{i}", day, "Oro", area, "Högerextremism", "Oro för individ",
                "Socialtjänst", "Man", "16–17", "Nej"]

    rows = [report(i, dt.date(2026, 2, 1 + i), "Teg") for i in range(3)]
    rows += [report(10 + i, dt.date(2026, 5, 1 + i), "Teg") for i in range(20)]
    rows += [report(100 * m + i, dt.date(2026, m, 1 + i), "Centrum") for i in range(12)
             for m in (2, 8)]
    code, _, err = run(capsys, "import", str(write_xlsx(tmp_path / "t.xlsx", rows)),
                       "--db", db)
    assert code == 0, err
    args = ("indicators", "--db", db, "--by", "omrade", "--from", "2026K1", "--to", "2026K2")
    code, out, _ = run(capsys, *args, "--omrade", "Teg")
    assert code == 0 and out.splitlines()[1].startswith("Teg,≈"), out
    quarter = run(capsys, "indicators", "--db", db, "--by", "kvartal", "--from", "2026K1",
                  "--to", "2026K2", "--omrade", "Teg")[1].splitlines()
    assert quarter[1] == "2026K1,<5"  # the part the estimate stands in for
    shown = int(quarter[2].split(",")[1])
    code, out, _ = run(capsys, *args, "--omrade", "Teg", "--format", "json")
    record = json.loads(out)[0]
    assert record["ungefarlig"] is True and record["undertryckt"] is False
    assert record["antal"] == int(shown + 2.5 + 0.5)  # from what the quarters show
    assert out.count("ungefarlig") == 1 and f"Teg,≈{record['antal']}" in run(
        capsys, *args, "--omrade", "Teg")[1]
    exact = json.loads(run(capsys, *args, "--omrade", "Teg", "--format", "json",
                           "--min-cell", "0")[1])[0]
    assert exact["antal"] == 23 and "ungefarlig" not in exact
