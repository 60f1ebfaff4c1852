"""What the pages show that could be turned against users (the security review): the import
history names no analyst to the preparation group (finding 6), and every text from outside the
code (URL values, event titles, activities, code-list descriptions, names) is plain text
(findings 1 and 2; the same in Chromium is in tests/browser/test_browser_security.py)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from lagesbild.access import policy, roles
from lagesbild.store import Store
from tests.helpers.apptest import assert_ok, sign_in_locally, texts
from tests.helpers.files import HEADERS, report_rows

ANALYST = "anna.analytiker"
UNDOER = "cecilia.analytiker"


def csv_file(start: int) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([HEADERS, *report_rows(3, start)])
    return out.getvalue().encode()


def imported_and_rolled_back(db: Path) -> None:
    """Two imports by an analyst; another analyst rolls the second back."""
    store = Store.open(db)
    try:
        analyst = roles.User(ANALYST, roles.ANALYTIKER, "lokal")
        for start, name in ((1, "polis.csv"), (10, "skola.csv")):
            checked = policy.guarded_check(store, analyst, csv_file(start), name)
            receipt = policy.guarded_import(store, analyst, checked)
        assert receipt.batch_id is not None
        policy.guarded_rollback(store, roles.User(UNDOER, roles.ANALYTIKER, "lokal"),
                                receipt.batch_id)
    finally:
        store.close()


def test_the_import_history_names_no_analyst_to_the_preparation_group(
        demo_db: Path, local_accounts: Path) -> None:
    imported_and_rolled_back(demo_db)
    at = sign_in_locally("bo")
    at.switch_page("pages/rapportering.py").run()
    assert_ok(at)
    shown = texts(at)
    assert "Importhistorik" in shown and "polis.csv" in shown
    assert ANALYST not in shown and UNDOER not in shown
    assert "Analytiker" in shown  # the role instead
    at = sign_in_locally("anna")  # analysts still see who did it
    at.switch_page("pages/rapportering.py").run()
    assert ANALYST in texts(at) and UNDOER in texts(at)


# -- text from outside the code is shown as plain text (findings 1 and 2) ----------------------
# What an adversary puts in a link, an event title, an activity, a code list or a name.
HOSTILE = ("**x** [länk](https://evil.example/p) ![bild](http://evil.example/i.png) "
           "<img src=x onerror=alert(1)> \x1b[2K")
# Fragments that may never reach Markdown as they are (they would be bold text, a link, an
# image, HTML or a terminal escape).
RAW = ("**x**", "](https://evil", "![bild]", "<img", "\x1b", "https://evil", "http://evil")


def markdown_bodies(at: object) -> str:
    """The Markdown source of every element that renders Markdown, sidebar included."""
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title",
                 "subheader", "header"):
        parts += [str(getattr(el, "value", "")) for el in at.get(kind)]
    parts += [str(m.proto.help) for m in at.metric]
    return "\n".join(parts)


def assert_plain(at: object, *texts: str) -> None:
    from lagesbild.domain.text import literal_markdown

    body = markdown_bodies(at)
    for raw in RAW:
        assert raw not in body, raw
    for text in texts:
        assert literal_markdown(text) in body, text


def test_hostile_url_values_are_echoed_as_plain_text(demo_db: Path) -> None:
    """Finding 1: `?fran=**Sessionen har gått ut.** [Logga in igen här](https://…)` rendered a
    bold warning and a working link in the sidebar; `form=![p](http://…)` fetched an image."""
    from tests.helpers.apptest import start

    at = start({"fran": "**Sessionen har gått ut.** [Logga in igen här](https://evil.example/p)",
                "form": "![p](http://evil.example/i.png)", "omrade": "<img src=x onerror=x>"})
    assert_ok(at)
    caption = " ".join(c.value for c in at.sidebar.caption)
    assert "kändes inte igen" in caption
    for raw in ("**Sessionen", "](https://evil", "![p]", "<img", "https://evil"):
        assert raw not in caption, raw


def test_hostile_event_titles_and_activities_are_plain_text(demo_db: Path) -> None:
    """Finding 2: event titles in the Uppföljning caption and the overdue activities
    rendered as Markdown, remote images included."""
    import datetime as dt

    from lagesbild.domain.periods import latest_complete_quarter, quarter_start, shift_quarter
    from tests.helpers.apptest import start

    today = dt.date.today()
    quarter = shift_quarter(latest_complete_quarter(today), -1)
    title = HOSTILE[:80]
    store = Store.open(demo_db)
    try:
        analyst = roles.User("anna", roles.ANALYTIKER, "lokal")
        policy.add_event(store, analyst, quarter_start(quarter) + dt.timedelta(days=10),
                         "Nationell hotnivå", title, today)
        policy.save_activity(store, analyst, {
            "aktivitet": HOSTILE[:120], "mal": "Målet", "omrade": "Samverkan",
            "ansvarig": "UmeBrå", "start_kvartal": "2024K1",
            "klart_kvartal": latest_complete_quarter(today), "status": "Pågår"}, today)
        stored_title = store.cursor().execute(
            "SELECT titel FROM events ORDER BY handelse_id DESC LIMIT 1").fetchone()[0]
    finally:
        store.close()
    at = start()
    at.switch_page("pages/uppfoljning.py").run()
    assert_ok(at)
    assert_plain(at, HOSTILE[:120])  # the overdue activity
    for page in ("pages/uppfoljning.py", "pages/trender.py", "pages/oversikt.py"):
        at.switch_page(page).run()
        assert_ok(at)
        assert_plain(at, stored_title)  # in the list of events under the charts
        charts = [el.proto.spec for el in at.get("plotly_chart")]
        assert not any("<img" in spec or "<a " in spec.lower() for spec in charts), page


def test_hostile_code_list_descriptions_and_names_are_plain_text(
        demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 2: code-list descriptions on Om lägesbilden rendered as Markdown. (The code
    lists live in the database: the hostile description comes as a new version of a list.)"""
    import csv as csv_module

    from lagesbild.intake.codelists import csv_bytes, import_codelist
    from tests.helpers.apptest import start

    store = Store.open(demo_db)
    try:
        rows = list(csv_module.reader(io.StringIO(csv_bytes("former").decode("utf-8"))))
        rows[1][rows[0].index("beskrivning")] = HOSTILE.replace('"', "'")
        out = io.StringIO()
        csv_module.writer(out, lineterminator="\n").writerows(rows)
        result = import_codelist(store, out.getvalue().encode("utf-8"), "former.csv", "former",
                                 "anna")
        assert result.accepted, [p.message() for p in result.problems]
    finally:
        store.close()
    at = start()
    at.switch_page("pages/om.py").run()
    assert_ok(at)
    assert_plain(at, HOSTILE.replace('"', "'"))


def test_a_hostile_name_from_the_identity_provider_is_plain_text(
        demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lagesbild.access import signin
    from tests.helpers.apptest import start_oidc

    mapping = tmp_path / "roller.toml"
    mapping.write_text('[grupper]\n"g" = "beredningsgrupp"\n', "utf-8")
    monkeypatch.setenv(signin.ROLES_ENV, str(mapping))
    for groups, where in ((["g"], "sidebar"), (["annan"], "main")):
        at = start_oidc({"email": HOSTILE, "email_verified": True, "sub": "s",
                         "name": HOSTILE, "groups": groups})
        assert_ok(at)
        body = markdown_bodies(at) + " ".join(c.value for c in at.sidebar.caption)
        for raw in RAW:
            assert raw not in body, (where, raw)
