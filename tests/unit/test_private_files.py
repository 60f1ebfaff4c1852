"""Files that hold the picture or the accounts are private (finding 8 of the security review):
what `lagesbild export` writes and the accounts file are 0600 and the folders they create 0700,
whatever the umask of the shell that runs the command."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from lagesbild import cli
from lagesbild.access import accounts

PASSWORD = "korrekt häst batteri häftklammer"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A login shell's umask: everything world-readable unless the program says otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_an_exported_pack_and_its_new_folders_are_private(demo_db: Path, tmp_path: Path,
                                                          open_umask: None) -> None:
    shared = tmp_path / "delad"
    shared.mkdir()
    shared.chmod(0o755)
    out = shared / "moten" / "2026" / "paket.xlsx"
    assert cli.main(["export", "--db", str(demo_db), "--format", "xlsx", "--out",
                     str(out)]) == 0
    assert mode(out) == 0o600
    assert mode(out.parent) == 0o700 and mode(out.parent.parent) == 0o700
    assert mode(shared) == 0o755  # a folder that existed is left as it was
    out.chmod(0o644)  # written before by an older version, or copied by hand
    assert cli.main(["export", "--db", str(demo_db), "--format", "xlsx", "--out",
                     str(out)]) == 0
    assert mode(out) == 0o600


def test_the_accounts_file_and_its_new_folder_are_private(tmp_path: Path, open_umask: None,
                                                          monkeypatch: pytest.MonkeyPatch) \
        -> None:
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                           parallelism=1))
    path = tmp_path / "ny" / "konton.json"
    accounts.add_user(path, "anna", "analytiker", PASSWORD)
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    path.chmod(0o644)
    accounts.set_role(path, "anna", "beredningsgrupp")
    assert mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["konton.json"]  # no temporary file left
