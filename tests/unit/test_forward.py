"""Every command works while the dashboard holds the database: it runs inside the app, on the
app's store, and the caller gets the same output, files and exit code as without the app.

The app here is the real lifespan (database, channel) in this process (tests/helpers/service.py);
the command line reaches it over the real socket. The cross-process case (`streamlit run`) is
in tests/browser/test_browser_operations.py.
"""

from __future__ import annotations

import base64
import getpass
import json
import stat
import sys
import threading
import time
from pathlib import Path

import openpyxl
import pytest

from lagesbild import cli
from lagesbild.cli.forward import AUDIT_ACTION, _write_files
from lagesbild.service.channel import ask, socket_for
from lagesbild.store import Store, audit
from lagesbild.store.backup import verify_backup
from tests.helpers.files import HEADERS, make_xlsx, report_rows
from tests.helpers.service import served


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_runs_in_the_app_on_its_store_and_is_audited_with_the_callers_uid(
        demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = make_xlsx([HEADERS, *report_rows(7)], tmp_path / "soc_2026K1.xlsx")
    with served() as app:
        before = app.store.report_count()
        code, out, err = run(capsys, "import", str(file))
        assert code == 0, err
        assert out.startswith("IMPORTERAD  soc_2026K1.xlsx som import")  # its own name
        assert "lagesbild-kommando-" not in out + err  # no stand-in path shows
        newest = app.store.batches()[0]
        assert newest["file_name"] == "soc_2026K1.xlsx"
        assert newest["imported_by"] == getpass.getuser()
        assert app.store.report_count() == 7  # the real file replaced the demo data
        assert before != 7
        entry = audit.entries(app.store, action=AUDIT_ACTION).iloc[0]
        assert entry["target"] == "import" and entry["outcome"] == audit.OK
        assert f"uid={__import__('os').getuid()}" in entry["details"]
        code, out, _ = run(capsys, "import", str(file))  # the same again: already imported
        assert code == 0 and out.startswith("REDAN IMPORTERAD")
        code, out, err = run(capsys, "import", str(tmp_path / "saknas.xlsx"))
        assert code == 1 and "Filen finns inte" in out
    assert Store.open(demo_db).report_count() == 7  # written to the file the app held


def test_export_lands_where_the_caller_asked_private_and_named_as_typed(
        demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    here = tmp_path / "min_mapp"
    here.mkdir()
    monkeypatch.chdir(here)
    with served():
        code, out, err = run(capsys, "export", "--format", "xlsx", "--out", "ut.xlsx")
        assert code == 0, err
        assert "Sparad: ut.xlsx" in out and "lagesbild-kommando-" not in out
        assert stat.S_IMODE((here / "ut.xlsx").stat().st_mode) == 0o600
        assert openpyxl.load_workbook(here / "ut.xlsx").sheetnames
        assert [p.name for p in here.iterdir()] == ["ut.xlsx"]
        (here / "ut.xlsx").write_bytes(b"gammal")
        (here / "ut.xlsx").chmod(0o644)  # an older export, readable by all
        assert run(capsys, "export", "--format", "xlsx", "--out", "ut.xlsx")[0] == 0
    assert stat.S_IMODE((here / "ut.xlsx").stat().st_mode) == 0o600
    assert openpyxl.load_workbook(here / "ut.xlsx").sheetnames  # replaced, as without the app


def test_backup_while_served_restores_to_the_same_indicators(
        demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "annat.txt").write_text("x")
    with served():
        code, out, err = run(capsys, "backup", "kopia")
        assert code == 0, err
        assert "sparad och kontrollerad i kopia:" in out
        live = run(capsys, "indicators", "--by", "kvartal,form,omrade", "--min-cell", "0")
        code, _, err = run(capsys, "backup", "full")  # as without the app: not over files
        assert code == 1 and "inte en tom katalog" in err
        assert [p.name for p in (tmp_path / "full").iterdir()] == ["annat.txt"]
    manifest = verify_backup(tmp_path / "kopia")
    assert stat.S_IMODE((tmp_path / "kopia").stat().st_mode) == 0o700
    assert "installningar.toml" in manifest["extra_files"]
    new = tmp_path / "ny.duckdb"
    assert run(capsys, "restore", "kopia", "--db", str(new))[0] == 0
    restored = run(capsys, "indicators", "--by", "kvartal,form,omrade", "--min-cell", "0",
                   "--db", str(new))
    assert live[0] == restored[0] == 0
    assert restored[1] == live[1] and live[1].count("\n") > 50


def test_restore_and_account_changes_are_refused_through_the_app(
        demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with served() as app:
        assert run(capsys, "backup", str(tmp_path / "k"))[0] == 0
        code, _, err = run(capsys, "restore", str(tmp_path / "k"), "--force")
        assert code == 1 and "sudo systemctl stop lagesbild" in err
        sock = socket_for(demo_db)
        for argv in (["restore", str(tmp_path / "k"), "--force"],
                     ["user", "add", "mallory", "--role", "analytiker", "--password-stdin"]):
            reply = ask(sock, {"cmd": "cli", "db": str(app.db), "argv": argv, "cwd": "/",
                               "user": "mallory"})
            assert reply["exit"] == 1 and "Fel:" in reply["stderr"], argv
        refused = audit.entries(app.store, action=AUDIT_ACTION, outcome=audit.NEKAD)
        assert sorted(refused["target"]) == ["restore", "user"]
    assert not Path(str(demo_db) + ".ersatt").exists()
    assert list(tmp_path.glob("*.ersatt-*")) == []


def test_each_forwarded_command_gets_only_its_own_output(
        demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Four commands at once while another thread of the app prints: nothing mixes."""
    dims = ["form", "omrade", "kvartal", "verksamhet"]
    with served() as app:
        sock = socket_for(demo_db)
        expected = {d: run(capsys, "indicators", "--by", d, "--min-cell", "0")[1] for d in dims}
        stop = threading.Event()

        def noise() -> None:
            while not stop.is_set():
                print("BRUS", file=sys.stdout)
                time.sleep(0.001)

        def ask_for(dim: str) -> dict:
            return ask(sock, {"cmd": "cli", "db": str(app.db), "cwd": "/", "user": "x",
                              "argv": ["indicators", "--by", dim, "--min-cell", "0"]})

        threads = [threading.Thread(target=noise)]
        replies: dict[str, dict] = {}
        threads += [threading.Thread(target=lambda d=d: replies.__setitem__(d, ask_for(d)))
                    for d in dims * 2]
        for thread in threads:
            thread.start()
        for thread in threads[1:]:
            thread.join(120)
        stop.set()
        threads[0].join()
    for dim in dims:
        assert replies[dim]["stdout"] == expected[dim] and replies[dim]["exit"] == 0
    assert "BRUS" in capsys.readouterr().out  # the other thread's output went where it goes


def test_the_caller_writes_only_under_the_paths_it_named(tmp_path: Path) -> None:
    data = b"innehall"
    item = {"data": base64.b64encode(data).decode(), "sha256": __import__("hashlib").sha256(
        data).hexdigest()}
    allowed = [str(tmp_path / "ut")]
    _write_files({str(tmp_path / "ut" / "a.txt"): item}, allowed)
    assert (tmp_path / "ut" / "a.txt").read_bytes() == data
    for bad in (str(tmp_path / "utanfor.txt"), str(tmp_path / "ut2" / "x"), "/etc/passwd"):
        with pytest.raises(ValueError, match="utanför"):
            _write_files({bad: item}, allowed)
    with pytest.raises(ValueError, match="skadad"):
        _write_files({str(tmp_path / "ut" / "b.txt"): {**item, "sha256": "0" * 64}}, allowed)
    assert not (tmp_path / "ut" / "b.txt").exists()


def test_health_answers_from_the_app_or_the_file_and_fails_when_something_is_wrong(
        demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with served():
        code, out, _ = run(capsys, "health")
        assert code == 1 and "dashboarden (process" in out
        assert "ingen säkerhetskopia ännu" in out
        assert run(capsys, "backup", str(tmp_path / "k"))[0] == 0
        code, out, _ = run(capsys, "health", "--json")
        report = json.loads(out)
        assert code == 0 and report["ok"] and report["svarar"] == "dashboarden"
        assert report["rapporter"] > 1000 and report["schemaversion"] >= 2
        assert report["senaste_sakerhetskopia"] and report["ledigt_utrymme_byte"] > 0
    code, out, _ = run(capsys, "health")
    assert code == 0 and "databasfilen (ingen dashboard kör)" in out
    code, out, _ = run(capsys, "health", "--db", str(tmp_path / "saknas.duckdb"))
    assert code == 1 and "finns inte" in out
    assert not (tmp_path / "saknas.duckdb").exists()  # a health check creates nothing


def test_a_file_held_by_a_program_that_does_not_answer_is_reported(tmp_path: Path) -> None:
    import subprocess

    db = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('ok', flush=True); time.sleep(60)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        for argv in (["health"], ["backup", str(tmp_path / "k")]):
            out = subprocess.run([sys.executable, "-m", "lagesbild", *argv, "--db", str(db)],
                                 capture_output=True, text=True, timeout=120,
                                 cwd=Path(__file__).resolve().parents[2])
            assert out.returncode == 1, argv
            assert "används redan av ett annat program" in out.stdout + out.stderr
            assert "Inget program svarar" in out.stdout + out.stderr
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert not (tmp_path / "k").exists()


def test_concurrent_imports_and_backups_through_the_app_are_whole(
        demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Imports and backups at once: every import is stored whole and every backup is one
    snapshot, holding a whole number of imports."""
    files = [make_xlsx([HEADERS, *report_rows(25, start=1 + 25 * i)], tmp_path / f"f{i}.xlsx")
             for i in range(7)]
    with served() as app:
        assert run(capsys, "import", str(files[0]))[0] == 0  # the demo data go first
        jobs = [["import", str(f)] for f in files[1:]]
        jobs += [["backup", str(tmp_path / f"b{i}")] for i in range(3)]
        codes: list[int] = []
        threads = [threading.Thread(target=lambda a=a: codes.append(cli.main(a)))
                   for a in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert codes == [0] * len(jobs), capsys.readouterr()
        assert app.store.report_count() == 25 * len(files)
    for i in range(3):
        manifest = verify_backup(tmp_path / f"b{i}")
        assert manifest["tables"]["reports"]["rows"] % 25 == 0
        assert manifest["tables"]["report_versions"]["rows"] % 25 == 0
