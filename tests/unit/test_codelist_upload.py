"""Uploading a new version of a code list: validation, the batch, the previous version kept in
the database (rollback restores it exactly), access."""

from __future__ import annotations

from pathlib import Path

import pytest

from lagesbild.access import roles
from lagesbild.access.policy import guarded_import_codelist
from lagesbild.domain import codelists
from lagesbild.intake.codelists import KIND, csv_bytes, import_codelist, values_in_use
from lagesbild.store import Store, audit
from tests.helpers.files import valid_personnummer

SOURCE = Path(__file__).resolve().parents[2] / "data" / "kodlistor"
ANNA = roles.User("anna", roles.ANALYTIKER, "lokal")
BO = roles.User("bo", roles.BEREDNINGSGRUPP, "lokal")


def current(name: str = "former") -> str:
    """The list in use, as the CSV the page offers for download."""
    return csv_bytes(name).decode("utf-8")


def with_row(row: str, name: str = "former") -> bytes:
    return (current(name).rstrip("\n") + "\n" + row + "\n").encode("utf-8")


def values(name: str = "former") -> list[str]:
    return codelists.load().lists[name].values


def messages(result) -> str:
    return "\n".join(p.message() + repr(p.as_dict()) for p in result.problems)


def test_a_good_upload_replaces_the_list_and_keeps_the_previous_one(demo_store: Store):
    before_text = current()
    before = codelists.load().version
    # the database starts from the shipped file
    assert codelists.load().lists["former"].codes == codelists.load(SOURCE).lists["former"].codes
    data = with_row("Ny form,Nyform,2026K1,,,En ny form.")
    result = import_codelist(demo_store, data, "former_ny.csv", "former", "anna")
    assert result.accepted, messages(result)
    assert result.change.added == ["Ny form"] and not result.change.removed
    assert "Ny form" in values()
    assert codelists.load().version != before
    batch = demo_store.batches()[0]
    assert (batch["batch_id"], batch["kind"], batch["partners"], batch["file_name"]) == (
        result.batch_id, KIND, "former", "former_ny.csv")
    assert batch["imported_by"] == "anna" and batch["rows_new"] == 1
    log = audit.entries(demo_store)
    assert ((log["action"] == KIND) & (log["target"] == "former")
            & (log["outcome"] == "ok")).any()
    # the previous version is kept: rolling the batch back restores it exactly
    demo_store.rollback(result.batch_id, "anna")
    assert current() == before_text and "Ny form" not in values()
    assert codelists.load().version == before


def test_rolling_back_a_removal_brings_the_value_back(store: Store):
    lines = current("kon").splitlines()
    kept = [line for line in lines if not line.startswith("Okänt,")]
    assert len(kept) == len(lines) - 1
    result = import_codelist(store, ("\n".join(kept) + "\n").encode(), "kon.csv", "kon", "a")
    assert result.accepted, messages(result)
    assert result.change.removed == ["Okänt"] and "Okänt" not in values("kon")
    assert store.rollback(result.batch_id, "a") > 0
    assert "Okänt" in values("kon") and current("kon") == "\n".join(lines) + "\n"


def test_semicolons_and_cp1252_are_read(store: Store):
    text = current("kon").replace(",", ";") + "Övrigt;;;;;Annat kön.\n"
    result = import_codelist(store, text.encode("cp1252"), "kon.csv", "kon", "anna")
    assert result.accepted, messages(result)
    assert "Övrigt" in values("kon")


def test_a_code_list_as_a_workbook_is_read(store: Store, tmp_path: Path):
    from tests.helpers.files import make_xlsx

    rows = [line.split(",") for line in current("kon").splitlines()]
    path = make_xlsx([*rows, ["Övrigt", "", "", "", "", "Annat kön."]], tmp_path / "kon.xlsx")
    result = import_codelist(store, path.read_bytes(), "kon.xlsx", "kon", "anna")
    assert result.accepted, messages(result)
    assert "Övrigt" in values("kon")


def test_a_value_in_use_that_is_missing_is_refused(demo_store: Store):
    used = values_in_use(demo_store, "former")
    assert used
    gone = used[0]
    lines = current().splitlines()
    kept = [line for line in lines if not line.startswith(gone + ",")]
    assert len(kept) == len(lines) - 1
    before = current()
    result = import_codelist(demo_store, ("\n".join(kept) + "\n").encode(), "f.csv", "former",
                             "anna")
    assert not result.accepted
    assert gone in result.problems[0].reason and "alias" in result.problems[0].fix
    assert current() == before
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
def test_bad_rows_are_refused(store: Store, row: str, column: str):
    before = current()
    result = import_codelist(store, with_row(row), "f.csv", "former", "anna")
    assert not result.accepted
    assert any(p.column == column and p.row is not None for p in result.problems), \
        messages(result)
    assert all(p.fix for p in result.problems)
    assert current() == before
    assert not [b for b in store.batches() if b["kind"] == KIND]


def test_an_alias_pointing_at_two_values_is_refused(store: Store):
    result = import_codelist(store, with_row("Ny form,Vit makt,,,,"), "f.csv",
                             "former", "anna")
    assert not result.accepted and result.problems[0].column == "alias"


def test_personal_data_is_refused_and_never_repeated(store: Store):
    number = valid_personnummer()
    result = import_codelist(store, with_row(f"Ny form,,,,,Kontakt {number}"),
                             "f.csv", "former", "anna")
    assert not result.accepted
    assert any(p.column == "beskrivning" and "personuppgift" in p.reason
               for p in result.problems)
    assert number not in messages(result)
    assert number.replace("-", "") not in messages(result)


def test_only_code_lists_may_be_replaced(store: Store):
    data = (SOURCE / "kolumner.csv").read_bytes()
    result = import_codelist(store, data, "kolumner.csv", "kolumner", "anna")
    assert not result.accepted and "Okänd kodlista" in result.problems[0].reason


def test_the_preparation_group_may_not_replace_a_code_list(store: Store):
    before = current()
    with pytest.raises(roles.AccessDenied):
        guarded_import_codelist(store, BO, with_row("Ny form,,,,,"), "f.csv", "former")
    assert current() == before
    log = audit.entries(store)
    assert ((log["outcome"] == audit.NEKAD) & (log["actor"] == "bo")).any()
    result = guarded_import_codelist(store, ANNA, with_row("Ny form,,,,,"), "f.csv",
                                     "former")
    assert result.accepted, messages(result)
