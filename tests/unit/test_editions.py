"""The quarter's lägesbild as an approved edition (issue 17): drafts, review, approval by role,
frozen numbers and texts, revisions, exports from an edition and the command line."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lagesbild import editions
from lagesbild.access import accounts, policy
from lagesbild.access.roles import (
    ANALYTIKER,
    BEREDNINGSGRUPP,
    GODKANNARE,
    ROLES,
    AccessDenied,
    User,
)
from lagesbild.cli import main
from lagesbild.domain import config
from lagesbild.export import PackRequest, build_pack
from lagesbild.export.files import pack_bytes
from lagesbild.numbers import summary
from lagesbild.numbers.query import Filters
from lagesbild.store import Store, audit
from lagesbild.views import keyfigures
from tests.helpers.files import valid_personnummer
from tests.helpers.reports import import_late_file

Q = "2026K3"
ANNA = User("anna", ANALYTIKER, "lokal")
BO = User("bo", BEREDNINGSGRUPP, "lokal")
GUNNEL = User("gunnel", GODKANNARE, "lokal")
ASSESSMENT = "Centrum har fler rapporter om propaganda.\n**Inte fetstil** [ingen](länk)"


def drafted(store: Store) -> editions.Version:
    """2026K3 drafted, written, shared and commented on, not yet approved."""
    policy.start_edition_draft(store, ANNA, Q)
    policy.save_edition_texts(store, ANNA, Q, {"omraden": ASSESSMENT,
                                               "form:Högerextremism": "Oförändrat läge."})
    policy.share_edition(store, ANNA, Q)
    policy.comment_edition(store, BO, Q, "omraden", "Stämmer med skolornas bild.")
    found = editions.draft_of(store, Q)
    assert found is not None
    return found


def workbook_cells(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}


def test_done_when_an_approved_edition_keeps_its_numbers_and_texts_after_a_late_file(
        demo_store: Store) -> None:
    drafted(demo_store)
    first = policy.approve_edition(demo_store, GUNNEL, Q, dt.date(2026, 10, 15))
    assert (first.version, first.approved_role, first.approved_on) == (
        1, GODKANNARE, dt.date(2026, 10, 15))
    before = editions.edition_pack(demo_store, Q, figures=False)
    before_xlsx = workbook_cells(pack_bytes(before, "xlsx"))
    assert policy.edition_revision(demo_store, BO, Q).revised is False

    import_late_file(demo_store)  # a late file changes 2026K3's counts

    after = editions.edition_pack(demo_store, Q, figures=False)
    pd.testing.assert_frame_equal(after.key_table, before.key_table)
    for sheet, frame in before.tables.items():
        pd.testing.assert_frame_equal(after.tables[sheet], frame)
    assert workbook_cells(pack_bytes(after, "xlsx")) == before_xlsx
    assert ("Områden (stadsdelar)", ASSESSMENT) in after.assessment
    assert after.edition == "Fastställd lägesbild 2026K3, version 1, fastställd 2026-10-15"
    assert after.edition in after.footer and "Preliminärt" not in after.footer
    # live data have moved: the live pack differs and says it is preliminary
    live = build_pack(demo_store, PackRequest(after.filters, ("trend_totalt",)))
    assert live.footer.startswith("Preliminärt")
    assert not live.key_table.equals(after.key_table)

    revision = policy.edition_revision(demo_store, BO, Q)
    assert revision is not None and revision.revised
    total = next(c for c in revision.changes if c.key == "nyckeltal:totalt")
    then = next(r for r in before.key_table.itertuples(index=False)
                if r[0] == "Rapporter totalt")[1]
    rule = config.settings().disclosure
    now = summary.key_figures(demo_store, Q, Filters(), rule)["totalt"]
    assert (total.then, total.now) == (then, now.display)  # both protected cells
    assert total.difference == now.value - int(then)
    assert total.line().startswith(f"Rapporter totalt: {then} → {now.display} (+")
    assert any(c.key == "omrade:Centrum" for c in revision.changes)
    assert policy.edition_list(demo_store, BO)["Revidering"].iloc[0] == \
        "reviderad sedan fastställandet"

    # a second version needs a revision note, then both versions stay available
    policy.start_edition_draft(demo_store, ANNA, Q)
    assert editions.texts(demo_store, Q, 2)["omraden"] == ASSESSMENT  # starts from v1
    with pytest.raises(editions.EditionError, match="revisionsanteckning"):
        policy.approve_edition(demo_store, GUNNEL, Q, dt.date(2026, 11, 2))
    second = policy.approve_edition(demo_store, GUNNEL, Q, dt.date(2026, 11, 2),
                                    "En sen fil från Polis.")
    assert second.version == 2 and second.revision_note == "En sen fil från Polis."
    assert policy.edition_revision(demo_store, BO, Q).revised is False
    pd.testing.assert_frame_equal(
        editions.edition_pack(demo_store, Q, 1, figures=False).key_table, before.key_table)
    assert not editions.edition_pack(demo_store, Q, figures=False).key_table.equals(
        before.key_table)
    listed = policy.edition_list(demo_store, BO)
    assert listed[["Version", "Fastställd av"]].values.tolist() == [
        [2, "Godkännare"], [1, "Godkännare"]]


def test_the_editions_numbers_are_the_protected_published_ones(demo_store: Store) -> None:
    drafted(demo_store)
    policy.approve_edition(demo_store, ANNA, Q)
    internal = editions.edition_pack(demo_store, Q)
    assert [i.figure.layout.title.text for i in internal.charts] == [  # drawn from the tables
        i.title for i in internal.charts]
    public = editions.edition_pack(demo_store, Q, public=True, figures=False)
    settings = config.settings()
    assert internal.disclosure == settings.disclosure
    assert public.disclosure == settings.public_disclosure
    expected = keyfigures.key_table(summary.key_figures(
        demo_store, Q, internal.filters, settings.disclosure))
    pd.testing.assert_frame_equal(internal.key_table, expected)
    exact = keyfigures.key_table(summary.key_figures(demo_store, Q, internal.filters, None))
    assert not internal.key_table.equals(exact)  # perturbed, not the analysts' counts
    for item in internal.charts:  # every frozen table follows the protected convention
        if "antal" in item.data:
            hidden = item.data["undertryckt"].astype(bool)
            assert item.data.loc[hidden, "antal"].isna().all()
    # the public variant has its own text only: the others quote finer numbers
    assert public.assessment == []
    assert "Preliminärt" not in public.footer and "version 1" in public.footer


def test_the_privacy_guard_checks_every_text_and_stores_nothing_refused(
        demo_store: Store) -> None:
    policy.start_edition_draft(demo_store, ANNA, Q)
    number = valid_personnummer()
    with pytest.raises(editions.EditionError, match="personnummer") as refused:
        policy.save_edition_texts(demo_store, ANNA, Q, {
            "helhet": "Ny text", "omraden": f"Gäller {number} i Centrum"})
    assert number not in str(refused.value) and "Områden" in str(refused.value)
    assert "Ny text" not in editions.texts(demo_store, Q, 1).values()  # all or nothing
    policy.share_edition(demo_store, ANNA, Q)
    with pytest.raises(editions.EditionError, match="e-postadress"):
        policy.comment_edition(demo_store, BO, Q, "helhet", "Skriv till anna@umea.se")
    assert editions.comments(demo_store, Q, 1) == []
    refusals = audit.entries(demo_store, outcome=audit.NEKAD)
    assert number not in refusals.to_csv() and "anna@umea.se" not in refusals.to_csv()


def test_roles_review_and_approval_are_checked_and_logged(demo_store: Store) -> None:
    policy.start_edition_draft(demo_store, ANNA, Q)
    assert policy.edition_versions(demo_store, BO, Q) == []  # not shared yet
    with pytest.raises(AccessDenied):
        policy.save_edition_texts(demo_store, BO, Q, {"helhet": "x"})
    with pytest.raises(editions.EditionError, match="inte delat"):
        policy.comment_edition(demo_store, BO, Q, "helhet", "Tidig kommentar")
    policy.share_edition(demo_store, ANNA, Q)
    assert [v.version for v in policy.edition_versions(demo_store, BO, Q)] == [1]
    policy.comment_edition(demo_store, GUNNEL, Q, "helhet", "Bra.")
    with pytest.raises(AccessDenied):
        policy.approve_edition(demo_store, BO, Q)
    policy.approve_edition(demo_store, GUNNEL, Q)
    log = audit.entries(demo_store)
    actions = set(zip(log["action"], log["outcome"], strict=True))
    assert {("lägesbild utkast", "ok"), ("lägesbild kommentar", "ok"),
            ("lägesbild fastställd", "ok"), ("lägesbild fastställd", "nekad"),
            ("lägesbild utkast", "nekad")} <= actions
    with pytest.raises(editions.EditionError):  # an approved version is never written again
        policy.save_edition_texts(demo_store, ANNA, Q, {"helhet": "Ändrad i efterhand"})
    data, name = policy.edition_file(demo_store, BO, Q, "xlsx")
    assert name == "2026K3_lagesbild_v1.xlsx" and data[:2] == b"PK"
    assert ("export", "ok") in set(zip(*[audit.entries(demo_store)[c]
                                         for c in ("action", "outcome")], strict=True))


def test_analysts_approve_by_default_but_not_when_the_setting_says_no(
        demo_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert GODKANNARE in ROLES and ANNA.can("approve") and not BO.can("approve")
    settings = tmp_path / "installningar.toml"
    settings.write_text("[lagesbild]\nanalytiker_faststaller = false\n", "utf-8")
    monkeypatch.setenv(config.SETTINGS_ENV, str(settings))
    config.settings.cache_clear()
    try:
        assert not ANNA.can("approve") and GUNNEL.can("approve")
        policy.start_edition_draft(demo_store, ANNA, Q)
        with pytest.raises(AccessDenied):
            policy.approve_edition(demo_store, ANNA, Q)
    finally:
        config.settings.cache_clear()


def run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_command_line_approves_checks_the_user_exports_and_diffs(
        demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = accounts.accounts_path()
    accounts.add_user(path, "gunnel", GODKANNARE, "ett-långt-lösenord-2026")
    accounts.add_user(path, "bo", BEREDNINGSGRUPP, "ett-långt-lösenord-2026")
    assert run("edition", "approve", "--quarter", Q, "--user", "bo", capsys=capsys)[0] == 1
    code, _out, err = run("edition", "approve", "--quarter", Q, "--user", "nils",
                          capsys=capsys)
    assert code == 1 and "finns varken bland kontona" in err
    assert run("edition", "approve", "--quarter", "2026K9", "--user", "gunnel",
               capsys=capsys)[0] == 2
    code, out, _err = run("edition", "approve", "--quarter", Q, "--user", "gunnel",
                          "--date", "2026-10-15", capsys=capsys)
    assert code == 0 and "version 1" in out and "Godkännare" in out
    code, out, _err = run("edition", "diff", "--quarter", Q, capsys=capsys)
    assert code == 0 and "oförändrad" in out

    with _open(demo_db) as store:
        import_late_file(store)
    code, out, _err = run("edition", "diff", "--quarter", Q, capsys=capsys)
    lines = out.strip().splitlines()
    assert code == 0 and "reviderad sedan fastställandet" in lines[0]
    assert lines[1].startswith("Rapporter totalt: ") and "Område Centrum" in out

    first = tmp_path / "v1.xlsx"
    assert run("edition", "export", "--quarter", Q, "--format", "xlsx", "--out", str(first),
               capsys=capsys)[0] == 0
    code, out, _err = run("edition", "approve", "--quarter", Q, "--user", "gunnel",
                          "--note", "Sen fil.", capsys=capsys)
    assert code == 0 and "version 2" in out
    again = tmp_path / "v1_igen.xlsx"
    assert run("edition", "export", "--quarter", Q, "--format", "xlsx", "--out", str(again),
               "--version", "1", capsys=capsys)[0] == 0
    assert workbook_cells(again.read_bytes()) == workbook_cells(first.read_bytes())
    latest = tmp_path / "v2.xlsx"
    run("edition", "export", "--quarter", Q, "--format", "xlsx", "--out", str(latest),
        capsys=capsys)
    assert workbook_cells(latest.read_bytes()) != workbook_cells(first.read_bytes())
    about = workbook_cells(latest.read_bytes())["Om tabellerna"]
    assert ("Status", "Fastställd lägesbild 2026K3, version 2, fastställd "
            f"{dt.date.today().isoformat()}") in about
    code, out, _err = run("edition", "list", capsys=capsys)
    assert out.splitlines()[0].startswith("2026K3 version 2: fastställd")
    assert run("edition", "export", "--quarter", "2026K2", "--format", "pdf", "--out",
               str(tmp_path / "x.pdf"), capsys=capsys)[0] == 1
    code, out, _err = run("edition", "show", "--quarter", Q, capsys=capsys)
    assert "Revisionsanteckning: Sen fil." in out and "Byggd på: data_version" in out


class _open:
    """The demo database, opened for a moment (the command line has closed it)."""

    def __init__(self, path: Path) -> None:
        self.store = Store.open(path)

    def __enter__(self) -> Store:
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()
