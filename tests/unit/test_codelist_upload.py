"""Uploading a new version of a code list: validation, the batch, the history file, access."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lagesbild.access import roles
from lagesbild.access.policy import guarded_import_codelist
from lagesbild.domain import codelists
from lagesbild.intake.codelists import KIND, import_codelist, values_in_use
from lagesbild.store import Store, audit
from tests.helpers.files import valid_personnummer

SOURCE = Path(__file__).resolve().parents[2] / "data" / "kodlistor"
ANNA = roles.User("anna", roles.ANALYTIKER, "lokal")
BO = roles.User("bo", roles.BEREDNINGSGRUPP, "lokal")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "kodlistor"
    shutil.copytree(SOURCE, copy)
    yield copy
    codelists.load.cache_clear()


def current(folder: Path, name: str = "former") -> str:
    return (folder / f"{name}.csv").read_text("utf-8-sig")


def with_row(folder: Path, row: str, name: str = "former") -> bytes:
    return (current(folder, name).rstrip("\n") + "\n" + row + "\n").encode("utf-8")


def messages(result) -> str:
    return "\n".join(p.message() + repr(p.as_dict()) for p in result.problems)


def test_a_good_upload_replaces_the_list_and_keeps_the_previous_one(demo_store: Store,
                                                                    folder: Path):
    before_text = current(folder)
    before = codelists.load(folder).version
    data = with_row(folder, "Ny form,Nyform,2026K1,,,En ny form.")
    result = import_codelist(demo_store, data, "former_ny.csv", "former", "anna", folder)
    assert result.accepted, messages(result)
    assert result.change.added == ["Ny form"] and not result.change.removed
    assert "Ny form" in codelists.load(folder).lists["former"].values
    assert codelists.load(folder).version != before
    assert (folder / "historik" / f"former-{result.batch_id}.csv").read_text(
        "utf-8-sig") == before_text
    batch = demo_store.batches()[0]
    assert (batch["batch_id"], batch["kind"], batch["partners"], batch["file_name"]) == (
        result.batch_id, KIND, "former", "former_ny.csv")
    assert batch["imported_by"] == "anna" and batch["rows_new"] == 1
    log = audit.entries(demo_store)
    assert ((log["action"] == KIND) & (log["target"] == "former")
            & (log["outcome"] == "ok")).any()


def test_semicolons_and_cp1252_are_read(store: Store, folder: Path):
    text = current(folder, "kon").replace(",", ";") + "Övrigt;;;;;Annat kön.\n"
    result = import_codelist(store, text.encode("cp1252"), "kon.csv", "kon", "anna", folder)
    assert result.accepted, messages(result)
    assert "Övrigt" in codelists.load(folder).lists["kon"].values


def test_a_value_in_use_that_is_missing_is_refused(demo_store: Store, folder: Path):
    used = values_in_use(demo_store, "former", folder)
    assert used
    gone = used[0]
    lines = current(folder).splitlines()
    kept = [line for line in lines if not line.startswith(gone + ",")]
    assert len(kept) == len(lines) - 1
    before = (folder / "former.csv").read_bytes()
    result = import_codelist(demo_store, ("\n".join(kept) + "\n").encode(), "f.csv", "former",
                             "anna", folder)
    assert not result.accepted
    assert gone in result.problems[0].reason and "alias" in result.problems[0].fix
    assert (folder / "former.csv").read_bytes() == before
    assert not [b for b in demo_store.batches() if b["kind"] == KIND]


@pytest.mark.parametrize(("row", "column"), [
    ("Vänsterextremism,,,,,Dubblett", "varde"),
    ("Ny form,,2026Q5,,,Fel kvartal", "giltig_fran"),
    ("Ny form,,,,Finns inte,Fel ersättning", "ersatts_av"),
    (",,,,,Tomt värde", "varde"),
    # values become chart labels, where plotly would read <a href> as a link
    ("<a href='https://evil.example'>Klicka</a>,,,,,Länk", "varde"),
    ("Ny form,Ny<b>form,,,,Markup i alias", "alias"),
    ("Ny\x1b[2Kform,,,,,Styrtecken", "varde"),
])
def test_bad_rows_are_refused(store: Store, folder: Path, row: str, column: str):
    before = (folder / "former.csv").read_bytes()
    result = import_codelist(store, with_row(folder, row), "f.csv", "former", "anna", folder)
    assert not result.accepted
    assert any(p.column == column and p.row is not None for p in result.problems), \
        messages(result)
    assert all(p.fix for p in result.problems)
    assert (folder / "former.csv").read_bytes() == before
    assert not (folder / "historik").exists()


def test_an_alias_pointing_at_two_values_is_refused(store: Store, folder: Path):
    result = import_codelist(store, with_row(folder, "Ny form,Vit makt,,,,"), "f.csv",
                             "former", "anna", folder)
    assert not result.accepted and result.problems[0].column == "alias"


def test_personal_data_is_refused_and_never_repeated(store: Store, folder: Path):
    number = valid_personnummer()
    result = import_codelist(store, with_row(folder, f"Ny form,,,,,Kontakt {number}"),
                             "f.csv", "former", "anna", folder)
    assert not result.accepted
    assert any(p.column == "beskrivning" and "personuppgift" in p.reason
               for p in result.problems)
    assert number not in messages(result)
    assert number.replace("-", "") not in messages(result)


def test_only_code_lists_may_be_replaced(store: Store, folder: Path):
    data = (folder / "kolumner.csv").read_bytes()
    result = import_codelist(store, data, "kolumner.csv", "kolumner", "anna", folder)
    assert not result.accepted and "Okänd kodlista" in result.problems[0].reason


def test_the_preparation_group_may_not_replace_a_code_list(store: Store, folder: Path):
    before = (folder / "former.csv").read_bytes()
    with pytest.raises(roles.AccessDenied):
        guarded_import_codelist(store, BO, with_row(folder, "Ny form,,,,,"), "f.csv", "former",
                                folder)
    assert (folder / "former.csv").read_bytes() == before
    log = audit.entries(store)
    assert ((log["outcome"] == audit.NEKAD) & (log["actor"] == "bo")).any()
    result = guarded_import_codelist(store, ANNA, with_row(folder, "Ny form,,,,,"), "f.csv",
                                     "former", folder)
    assert result.accepted, messages(result)
