"""The Lägesbilder page (issue 17) through AppTest: an analyst drafts 2026K3, the preparation
group comments, an approver approves it, a late file revises it, and the overview says so."""

from __future__ import annotations

from html import unescape
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lagesbild.access import accounts, roles
from lagesbild.store import Store, audit
from tests.helpers.apptest import PASSWORD, assert_ok, sign_in_locally, texts
from tests.helpers.files import valid_personnummer
from tests.helpers.reports import import_late_file

PAGE = "pages/lagesbilder.py"
Q = "2026K3"
WRITTEN = "Centrum: **fler** rapporter om propaganda [se](https://x.se)"


def button(at: AppTest, label: str):  # noqa: ANN201 - AppTest's Button
    return next(b for b in at.button if b.label == label)


def on_page(name: str) -> AppTest:
    at = sign_in_locally(name)
    at.switch_page(PAGE).run()
    assert_ok(at)
    at.selectbox(key="lagesbild_kvartal").set_value(Q).run()
    assert_ok(at)
    return at


def late_file(db: Path) -> None:
    store = Store.open(db)
    try:
        import_late_file(store)
    finally:
        store.close()


def test_draft_review_approval_and_revision_on_the_page(demo_db: Path,
                                                         local_accounts: Path) -> None:
    accounts.add_user(local_accounts, "gunnel", roles.GODKANNARE, PASSWORD)
    # the analyst starts and writes the draft; a personal identity number is refused
    at = on_page("anna")
    button(at, f"Påbörja utkast för {Q}").click().run()
    assert_ok(at)
    assert any("påbörjat" in s.value for s in at.success)
    assert any("avidentifierade" in c.value for c in at.caption)  # the reminder
    number = valid_personnummer()
    at.text_area(key=f"text_{Q}_1_omraden").set_value(f"Gäller {number}").run()
    button(at, "Spara texterna").click().run()
    assert any("personnummer" in e.value for e in at.error)
    assert number not in texts(at).replace(f"Gäller {number}", "")  # only in the field
    at.text_area(key=f"text_{Q}_1_omraden").set_value(WRITTEN).run()
    button(at, "Spara texterna").click().run()
    button(at, "Dela med beredningsgruppen").click().run()
    assert_ok(at)
    assert any("delat" in s.value for s in at.success)

    # the preparation group reads the text as plain text and comments; it cannot approve
    at = on_page("bo")
    shown = [m.value for m in at.markdown if m.value.startswith("Centrum&#58;")]
    assert shown and "**" not in shown[0] and "&#42;&#42;fler&#42;&#42;" in shown[0]
    assert not any(t.key and t.key.startswith("text_") for t in at.text_area)
    assert not any(b.label.startswith("Fastställ") for b in at.button)
    at.text_input(key=f"kommentar_{Q}_omraden").set_value("Stämmer med skolornas bild.")
    at.button(key=f"skicka_kommentar_{Q}_omraden").click().run()
    assert_ok(at)
    assert any("Stämmer med skolornas bild." in unescape(c.value) for c in at.caption)

    # the approver approves it
    at = on_page("gunnel")
    button(at, "Fastställ version 1").click().run()
    assert_ok(at)
    assert any("är fastställd" in s.value for s in at.success)
    assert any("Godkännare" in s.value for s in at.success)
    assert not at.warning or not any("Reviderad" in w.value for w in at.warning)

    # a late file: the edition page and the overview show the revision and its size
    late_file(demo_db)
    at = on_page("anna")
    warning = next(unescape(w.value) for w in at.warning
                   if "Reviderad sedan fastställandet" in w.value)
    assert "Rapporter totalt:" in warning and "(+" in warning
    assert any(b.label == "Excel" for b in at.get("download_button"))
    assert any("&#42;&#42;fler" in m.value for m in at.markdown)  # the frozen text
    at.switch_page("pages/oversikt.py").run()
    assert_ok(at)
    notice = next(unescape(w.value) for w in at.warning
                  if "Reviderad sedan fastställandet" in w.value)
    assert "Rapporter totalt:" in notice and "version 1" in notice

    # a second version, with a revision note; both stay available
    at = on_page("anna")
    button(at, "Påbörja version 2 (revidering)").click().run()
    at.text_area(key="lagesbild_revision").set_value("En sen fil från Polis.")
    button(at, "Fastställ version 2").click().run()
    assert_ok(at)
    radio = at.radio(key=f"lagesbild_version_{Q}")
    assert len([o for o in radio.options if "fastställd" in o]) == 2

    store = Store.open(demo_db)
    try:
        log = audit.entries(store)
    finally:
        store.close()
    assert {"lägesbild utkast", "lägesbild kommentar", "lägesbild fastställd"} <= set(
        log["action"])
    assert number not in log.to_csv()
