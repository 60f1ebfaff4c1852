"""The audit log: entries newest first, filters, and no way to change or delete an entry."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from lagesbild.store import Store, audit

PROJECT = Path(__file__).resolve().parents[2]


def test_entries_are_newest_first_with_all_fields(store: Store) -> None:
    audit.log(store, "anna", "import", "ok", "polis.xlsx", "batch 1")
    audit.log(store, "bo", "återställning", "nekad", "batch 1", "saknar behörighet")
    frame = audit.entries(store)
    assert list(frame.columns) == list(audit.COLUMNS)
    assert frame["actor"].tolist() == ["bo", "anna"]
    first = frame.iloc[0]
    assert (first["action"], first["target"], first["outcome"], first["details"]) == (
        "återställning", "batch 1", "nekad", "saknar behörighet")
    assert str(first["logged_at"].tzinfo) == "Europe/Stockholm"


def test_filters(store: Store) -> None:
    audit.log(store, "Anna", "import", "ok", "a.xlsx")
    audit.log(store, "bo", "import", "nekad", "b.xlsx")
    audit.log(store, "anna", "export", "ok", "diagram")
    assert audit.entries(store, actor="anna")["target"].tolist() == ["diagram", "a.xlsx"]
    assert audit.entries(store, action="IMPORT")["target"].tolist() == ["b.xlsx", "a.xlsx"]
    assert audit.entries(store, outcome="nekad")["actor"].tolist() == ["bo"]
    assert audit.entries(store, actor="anna", action="import")["target"].tolist() == ["a.xlsx"]
    assert len(audit.entries(store, since=dt.date.today())) == 3
    assert audit.entries(store, since=dt.date.today() + dt.timedelta(days=1)).empty
    hour_ahead = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert audit.entries(store, since=hour_ahead).empty
    assert len(audit.entries(store, limit=2)) == 2


def test_unknown_outcome_is_refused_and_long_texts_are_cut(store: Store) -> None:
    with pytest.raises(ValueError, match="Okänt utfall"):
        audit.log(store, "anna", "import", "kanske")
    audit.log(store, "anna", "import", "ok", "x" * 5000, "y" * 5000)
    row = audit.entries(store).iloc[0]
    assert len(row["target"]) == audit.MAX_TEXT and row["target"].endswith("…")
    assert len(row["details"]) == audit.MAX_TEXT


def test_the_audit_module_offers_no_way_to_change_or_delete() -> None:
    public = [name for name in dir(audit) if not name.startswith("_")]
    assert not [n for n in public if re.search(r"delete|update|remove|clear|truncate|edit", n,
                                               re.IGNORECASE)]


# Anything that would change or delete audit entries, written as SQL in the source.
_MUTATION = re.compile(
    r"\b(UPDATE\s+\"?audit_log\b|DELETE\s+FROM\s+\"?audit_log\b|TRUNCATE\s+(TABLE\s+)?"
    r"\"?audit_log\b|DROP\s+TABLE\s+(IF\s+EXISTS\s+)?\"?audit_log\b|ALTER\s+TABLE\s+"
    r"\"?audit_log\b|INSERT\s+OR\s+REPLACE\s+INTO\s+\"?audit_log\b)",
    re.IGNORECASE,
)


def _sources() -> list[Path]:
    files = list((PROJECT / "lagesbild").rglob("*.py"))
    files += list((PROJECT / "ui").rglob("*.py")) + list((PROJECT / "pages").rglob("*.py"))
    files += [PROJECT / "app.py", PROJECT / "dashboard.py"]
    return [f for f in files if f.is_file()]


def test_no_module_changes_or_deletes_audit_entries() -> None:
    sources = _sources()
    assert len(sources) > 10
    offenders = [f"{f.relative_to(PROJECT)}: {m.group(0)}" for f in sources
                 for m in _MUTATION.finditer(f.read_text("utf-8"))]
    assert offenders == []
    # ... and the only code that writes to the table is Store.audit.
    writers = [f.relative_to(PROJECT).as_posix() for f in sources
               if re.search(r"INSERT\s+INTO\s+\"?audit_log", f.read_text("utf-8"), re.I)]
    assert writers == ["lagesbild/store/database.py"]


def test_the_mutation_pattern_would_catch_offenders() -> None:
    for sql in ("UPDATE audit_log SET actor = 'x'", 'delete from "audit_log" where true',
                "TRUNCATE audit_log", "DROP TABLE IF EXISTS audit_log",
                "ALTER TABLE audit_log ADD COLUMN x INT"):
        assert _MUTATION.search(sql), sql
    assert not _MUTATION.search("SELECT * FROM audit_log")


# -- finding 4: the log cannot be forged through what it stores ---------------------------------
FORGED = ("x\x1b[2K\r2026-12-01 10:00:00  ok     anna                     import           "
          "polis.xlsx batch 7\n\x9b8m\u202e\x1b[8m")


def audit_output(db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    from lagesbild import cli

    capsys.readouterr()
    assert cli.main(["audit", "--db", str(db), *extra]) == 0
    return capsys.readouterr().out


def test_a_sign_in_name_with_terminal_escapes_cannot_forge_the_printed_log(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Without signing in, a name with escape sequences used to erase the refusal on screen,
    print a fake successful import and hide the following lines."""
    from argon2 import PasswordHasher

    from lagesbild.access import accounts

    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                           parallelism=1))
    db = tmp_path / "db.duckdb"
    store = Store.open(db)
    audit.log(store, "anna", "import", "ok", "riktig.xlsx", "batch 1")
    assert accounts.verify(tmp_path / "konton.json", FORGED, "ett lösenord som är fel",
                           store=store) is None
    audit.log(store, "bo", "export", "ok", "diagram")
    stored = audit.entries(store, action="inloggning")["actor"].iloc[0]
    store.close()
    assert "\x1b" not in stored and "\r" not in stored and "\n" not in stored
    assert stored.startswith("x\\x1b[2K\\r2026-12-01")
    for out in (audit_output(db, capsys), audit_output(db, capsys, "--json")):
        assert not any(ch in out for ch in "\x1b\r\x9b\u202e")
    lines = audit_output(db, capsys).splitlines()
    assert len(lines) == 3  # one line per entry, nothing added, nothing hidden
    assert "nekad" in lines[1] and "\\x1b[2K\\r" in lines[1]
    assert "bo" in lines[0] and "export" in lines[0] and "riktig.xlsx" in lines[2]


def test_entries_written_raw_before_the_rule_are_escaped_when_printed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "db.duckdb"
    store = Store.open(db)
    store.cursor().execute("INSERT INTO audit_log VALUES (now(), ?, 'inloggning', ?, 'nekad', "
                           "?)", [FORGED, "mål\x1b]0;titel\x07", "detaljer\x1b[1A"])
    store.close()
    out = audit_output(db, capsys)
    assert not any(ch in out for ch in "\x1b\r\x9b\u202e\x07")
    assert len(out.splitlines()) == 1
    assert "\\x1b]0;titel\\x07" in out


def test_every_writer_of_the_log_escapes(store: Store) -> None:
    store.audit("a\x1bb", "kodlista\n", audit.NEKAD, target="t\r", details="d\u202e")
    row = audit.entries(store).iloc[0]
    assert [row["actor"], row["action"], row["target"], row["details"]] == [
        "a\\x1bb", "kodlista\\n", "t\\r", "d\\u202e"]
