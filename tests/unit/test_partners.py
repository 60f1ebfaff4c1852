"""The partner register and report identity: which partner each row belongs to, numbering
scopes, mending history (reassigning a batch, successors), complete deliveries and withdrawals,
the change preview, and the schema migration that starts the register."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from lagesbild.cli import main
from lagesbild.domain.config import ImportLimits
from lagesbild.intake import partners
from lagesbild.intake.deliveries import withdraw_report
from lagesbild.intake.partners_edit import save_partner
from lagesbild.intake.pipeline import import_file
from lagesbild.numbers.coverage import coverage, missing_partners
from lagesbild.numbers.query import Filters
from lagesbild.store import Store
from lagesbild.store.schema import LATEST_VERSION, MIGRATIONS
from tests.helpers.files import HEADERS, make_xlsx, school_rows

LIMITS = ImportLimits()
TODAY = dt.date(2026, 11, 24)


def imported(store: Store, path: Path, **options):
    return import_file(path, path.name, store, LIMITS, "anna", today=TODAY, **options)


def add(store: Store, name: str, sector: str, numbering: str = "löpande", **more) -> None:
    checked, receipt = save_partner(store, name, sector, numbering, by="anna", **more)
    assert receipt is not None, [p.message() for p in checked.problems]


def current(store: Store) -> list[tuple]:
    return store.cursor().execute(
        "SELECT partner, rapport_id, id_period, kvartal FROM reports ORDER BY ALL").fetchall()


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


# -- the register ----------------------------------------------------------------------------------
def test_a_new_database_has_one_partner_per_sector(store: Store):
    from lagesbild.domain import codelists

    sectors = codelists.load().for_field("verksamhet").values
    register = partners.register(store)
    assert [p.name for p in register] == sectors
    assert all(p.sector == p.name and p.numbering == "löpande" for p in register)
    assert store.batches() == []  # the defaults are no import


def test_partner_add_and_list_on_the_command_line(tmp_path: Path, capsys):
    db = str(tmp_path / "p.duckdb")
    code, out = run(capsys, "partner", "add", "Ersboda skola", "--sector", "Grundskola",
                    "--numbering", "per-år", "--db", db, "--user", "anna")
    assert code == 0 and "Ersboda skola är tillagd" in out
    code, out = run(capsys, "partner", "list", "--db", db)
    line = next(line for line in out.splitlines() if line.startswith("Ersboda skola"))
    assert "Grundskola" in line and "per-år" in line
    code, out = run(capsys, "partner", "add", "Ersboda skola", "--sector", "Grundskola",
                    "--numbering", "per-år", "--db", db)
    assert code == 0 and "inget ändrades" in out
    code, out = run(capsys, "partner", "add", "Ny", "--sector", "Bageri", "--db", db)
    assert code == 1 and "Okänd verksamhet" in out
    with pytest.raises(SystemExit) as usage:
        main(["partner", "add", "X", "--sector", "Polis", "--numbering", "ibland", "--db", db])
    assert usage.value.code == 2
    store = Store.open(db)
    try:
        assert store.batches()[0]["kind"] == "partner"
    finally:
        store.close()


def test_a_partner_with_personal_data_in_its_name_is_refused(store: Store):
    checked, receipt = save_partner(store, "Kalle 19791102-4177", "Polis", by="anna")
    assert receipt is None and "personnummer" in checked.problems[0].reason
    assert "4177" not in " ".join(p.message() for p in checked.problems)


# -- which partner a row belongs to ----------------------------------------------------------------
def test_the_chosen_partner_must_exist_and_the_fix_is_the_command(store: Store,
                                                                  tmp_path: Path):
    path = make_xlsx([HEADERS, *school_rows(2)], tmp_path / "f.xlsx")
    checked, _ = imported(store, path, partner="Okänd skola")
    (problem,) = checked.problems
    assert "finns inte i partnerregistret" in problem.reason
    assert 'lagesbild partner add "Okänd skola" --sector' in problem.fix


def test_a_partner_column_decides_and_must_agree_with_the_chosen_partner(store: Store,
                                                                         tmp_path: Path):
    add(store, "Ersboda skola", "Grundskola")
    add(store, "Ålidhems skola", "Grundskola")
    rows = [[*r, "Ersboda skola"] for r in school_rows(2)]
    rows += [[*r, "Ålidhems skola"] for r in school_rows(2, seed=5)]  # the same ids
    path = make_xlsx([[*HEADERS, "Avsändare"], *rows], tmp_path / "sammanstallning.xlsx")
    checked, receipt = imported(store, path)
    assert receipt is not None and receipt.rows_new == 4, checked.problems
    assert {p for p, *_ in current(store)} == {"Ersboda skola", "Ålidhems skola"}
    store2 = Store.open(tmp_path / "b.duckdb")
    try:
        add(store2, "Ersboda skola", "Grundskola")
        add(store2, "Ålidhems skola", "Grundskola")
        checked, _ = imported(store2, path, partner="Ersboda skola")
        (problem,) = checked.problems
        assert "anger partnern ”Ålidhems skola”" in problem.reason and "(2 rader)" in \
            problem.reason
        assert problem.column == "Avsändare" and problem.row == 4
    finally:
        store2.close()


def test_an_unknown_name_in_the_partner_column_is_refused_with_the_command(store: Store,
                                                                           tmp_path: Path):
    rows = [[*r, "Nya skolan"] for r in school_rows(3)]
    path = make_xlsx([[*HEADERS, "Partner"], *rows], tmp_path / "f.xlsx")
    checked, _ = imported(store, path)
    (problem,) = checked.problems
    assert problem.reason == "Partnern ”Nya skolan” finns inte i partnerregistret (3 rader)"
    assert 'partner add "Nya skolan" --sector "Grundskola"' in problem.fix


def test_an_inactive_default_leaves_one_partner_for_the_sector(store: Store, tmp_path: Path):
    add(store, "Grundskola", "Grundskola", active_to="2026K2")
    add(store, "Ersboda skola", "Grundskola", active_from="2026K3")
    k2 = make_xlsx([HEADERS, *school_rows(2, quarter=2)], tmp_path / "k2.xlsx")
    k3 = make_xlsx([HEADERS, *school_rows(2, quarter=3, prefix="k3-")], tmp_path / "k3.xlsx")
    imported(store, k2)
    imported(store, k3)
    assert {(p, q) for p, _, _, q in current(store)} == {("Grundskola", "2026K2"),
                                                         ("Ersboda skola", "2026K3")}


def test_numbering_per_year_keeps_the_years_apart(store: Store, tmp_path: Path):
    add(store, "Region Västerbotten", "Region Västerbotten", "per-år")
    for year in (2025, 2026):
        imported(store, make_xlsx([HEADERS, *school_rows(2, year=year, prefix="",
                                                          sector="Region Västerbotten")],
                                  tmp_path / f"{year}.xlsx"))
    assert [(i, y) for _, i, y, _ in current(store)] == [
        ("001", "2025"), ("001", "2026"), ("002", "2025"), ("002", "2026")]


# -- the preview and the confirmation --------------------------------------------------------------
def test_the_preview_lists_every_change_and_the_cli_asks_for_confirmation(tmp_path: Path,
                                                                          capsys):
    db = str(tmp_path / "c.duckdb")
    first = make_xlsx([HEADERS, *school_rows(7, sector="Polis")], tmp_path / "a.xlsx")
    changed = school_rows(7, sector="Polis")
    for row in changed:
        row[4] = "Vänsterextremism" if row[4] != "Vänsterextremism" else "Högerextremism"
    second = make_xlsx([HEADERS, *changed], tmp_path / "b.xlsx")
    assert run(capsys, "import", str(first), "--db", db)[0] == 0
    code, out = run(capsys, "import", str(second), "--db", db, "--dry-run", "--json")
    result = json.loads(out)[0]
    assert code == 1 and result["behover_bekraftelse"] and result["batch_id"] is None
    assert len(result["andringar"]) == 7
    assert result["andringar"][0] == {"partner": "Polis", "rapport_id": "2026-001",
                                      "falt": "Form av extremism", "fran": "Vänsterextremism",
                                      "till": "Högerextremism"}
    code, out = run(capsys, "import", str(second), "--db", db)
    assert code == 1 and "VÄNTAR PÅ BEKRÄFTELSE" in out and "--confirm-changes" in out
    assert "Filen ändrar 7 befintliga rader" in out
    code, out = run(capsys, "import", str(second), "--db", db, "--confirm-changes")
    assert code == 0 and "IMPORTERAD" in out and "ändrade 7" in out
    store = Store.open(db)
    try:
        forms = {f for (f,) in store.cursor().execute("SELECT form FROM reports").fetchall()}
        assert "Vänsterextremism" not in forms or len(forms) > 1
        assert len(store.batches()) == 2
    finally:
        store.close()


def test_five_changes_need_no_confirmation(store: Store, tmp_path: Path):
    rows = school_rows(5, sector="Polis")
    imported(store, make_xlsx([HEADERS, *rows], tmp_path / "a.xlsx"))
    for row in rows:
        row[9] = "Ja"  # the consultation forum, nothing that changes the report's identity
    checked, receipt = imported(store, make_xlsx([HEADERS, *rows], tmp_path / "b.xlsx"))
    assert not checked.needs_confirmation and receipt.rows_changed == 5
    assert {c.field for c in checked.changes} == {"Konsultationsforum"}


# -- complete deliveries and withdrawals -----------------------------------------------------------
def test_a_complete_delivery_withdraws_what_it_no_longer_has(store: Store, tmp_path: Path):
    add(store, "Polisen Umeå", "Polis")
    six = school_rows(6, sector="Polis")
    imported(store, make_xlsx([HEADERS, *six], tmp_path / "a.xlsx"), partner="Polisen Umeå")
    imported(store, make_xlsx([HEADERS, *school_rows(2, quarter=2, prefix="k2-",
                                                     sector="Polis")], tmp_path / "k2.xlsx"),
             partner="Polisen Umeå")
    fixed = make_xlsx([HEADERS, *six[:4]], tmp_path / "rattad.xlsx")
    plain, receipt = imported(store, fixed, partner="Polisen Umeå")
    assert receipt.rows_withdrawn == 0 and store.report_count() == 8  # only adds and updates
    checked, receipt = imported(store, make_xlsx([HEADERS, *six[:4]], tmp_path / "hel.xlsx"),
                                partner="Polisen Umeå", replace=True)
    assert checked.counts["withdrawn"] == 2 and receipt.rows_withdrawn == 2
    assert store.report_count() == 6  # K2 is outside the file's quarters and stays
    gone = {r[1] for r in current(store)}
    assert {"2026-005", "2026-006"}.isdisjoint(gone) and "k2-001" in gone
    store.rollback(receipt.batch_id, "anna")
    assert store.report_count() == 8


def test_a_single_report_is_withdrawn_and_comes_back_with_a_rollback(store: Store,
                                                                     tmp_path: Path):
    imported(store, make_xlsx([HEADERS, *school_rows(3, sector="Polis")], tmp_path / "a.xlsx"))
    receipt = withdraw_report(store, "Polis", "2026-002", "", "anna")
    assert receipt.rows_withdrawn == 1 and store.report_count() == 2
    assert missing_partners(store, "2026K3") == []  # the quarter is still delivered
    store.rollback(receipt.batch_id, "anna")
    assert store.report_count() == 3


# -- mending history -------------------------------------------------------------------------------
def test_reassigning_a_batch_brings_back_the_reports_it_overwrote(store: Store,
                                                                  tmp_path: Path):
    a = make_xlsx([HEADERS, *school_rows(4, seed=0)], tmp_path / "ersboda.xlsx")
    b = make_xlsx([HEADERS, *school_rows(4, seed=7)], tmp_path / "alidhem.xlsx")
    imported(store, a)
    _, overwritten = imported(store, b, confirmed=True)  # before the register: one partner
    assert store.report_count() == 4
    add(store, "Ålidhems skola", "Grundskola")
    receipt = partners.reassign(store, overwritten.batch_id, "Ålidhems skola", "anna")
    assert store.report_count() == 8 and receipt.rows_total == 4
    batch = store.batches()[0]
    assert batch["reassigned_from"] == overwritten.batch_id
    assert next(b for b in store.batches()
                if b["batch_id"] == overwritten.batch_id)["rolled_back_at"] is not None
    store.rollback(receipt.batch_id, "anna")  # undone: the original batch counts again
    assert store.report_count() == 4
    assert {p for p, *_ in current(store)} == {"Grundskola"}


def test_a_successor_carries_on_the_predecessor_in_coverage(store: Store, tmp_path: Path):
    for quarter in (1, 2):
        imported(store, make_xlsx([HEADERS, *school_rows(2, quarter=quarter,
                                                          prefix=f"q{quarter}-")],
                                  tmp_path / f"k{quarter}.xlsx"))
    add(store, "Grundskola", "Grundskola", active_to="2026K2")
    add(store, "Ersboda skola", "Grundskola", active_from="2026K3", predecessor="Grundskola")
    imported(store, make_xlsx([HEADERS, *school_rows(2, quarter=3, prefix="e-")],
                              tmp_path / "k3.xlsx"))
    assert missing_partners(store, "2026K3") == []
    table = coverage(store, Filters("2026K3", "2026K3"))
    status = dict(zip(table["verksamhet"], table["status"], strict=True))
    assert status.get("Ersboda skola") == "levererat"
    assert status.get("Grundskola") != "saknas"
    # the successor is expected from the start: a quarter without it is missing
    assert missing_partners(store, "2026K4") == ["Ersboda skola"]


# -- the migration ---------------------------------------------------------------------------------
def test_a_migrated_database_starts_the_register_and_imports_as_before(tmp_path: Path):
    path = tmp_path / "gammal.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description "
                "VARCHAR, applied_at TIMESTAMPTZ)")
    for version, description, statements in MIGRATIONS[:2]:
        for statement in statements:
            con.execute(statement)
        con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, description])
    con.execute("INSERT INTO batches (batch_id, kind, file_name, sha256, imported_at, "
                "imported_by, partners) VALUES (1, 'rapporter', 'gammal.xlsx', 'x', now(), "
                "'anna', 'Polis')")
    row = ["Polis", "P-\u0041\u030a", dt.date(2026, 7, 3), "Incident", "Centrum", None,
           "Högerextremism", "Propaganda", "Polis", "Okänt", "Okänd", "Nej"]
    con.execute("INSERT INTO report_versions VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row)
    con.execute("INSERT INTO reports VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '2026K3')",
                row)
    con.close()
    store = Store.open(path)
    try:
        assert store.schema_version == LATEST_VERSION
        assert partners.find(partners.register(store), "Polis") is not None
        assert current(store) == [("Polis", "P-Å", "", "2026K3")]  # the id normalised
        rows = school_rows(1, sector="Polis", prefix="P-")
        rows[0][0] = "P-Å"
        checked, receipt = imported(store, make_xlsx([HEADERS, *rows], tmp_path / "ny.xlsx"),
                                    confirmed=True)
        assert receipt is not None and receipt.rows_new == 0 and receipt.rows_changed == 1
        assert store.report_count() == 1
    finally:
        store.close()
