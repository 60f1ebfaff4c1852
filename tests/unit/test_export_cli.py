"""`lagesbild export` through lagesbild.cli.main on a copy of the demo database."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader

from lagesbild.cli import main
from lagesbild.export import images
from lagesbild.export.pack import DEFAULT_CHARTS, PUBLIC_CHARTS
from lagesbild.store import Store

needs_browser = pytest.mark.skipif(
    not images.browser_available() and os.environ.get("CI") != "true",
    reason="Chromium saknas (i CI körs testerna alltid)")


@pytest.fixture(scope="session")
def browser():
    """One warm browser for the whole test session (shared with the other export tests)."""
    with images.warm():
        images.start()
        yield


@pytest.fixture
def db(demo_db_file: Path, tmp_path: Path) -> str:
    copy = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_file, copy)
    return str(copy)


def _audit(db: str) -> list[tuple]:
    store = Store.open(db)
    try:
        return store.cursor().execute(
            "SELECT actor, action, target, outcome, details FROM audit_log "
            "WHERE action = 'export' ORDER BY 1").fetchall()
    finally:
        store.close()


def test_xlsx_with_filters_and_audit(db, tmp_path, capsys):
    out = tmp_path / "ut"
    out.mkdir()
    code = main(["export", "--db", db, "--user", "sekreterare", "--from", "2025K4", "--to",
                 "2026K3", "--format", "xlsx", "--out", str(out), "--omrade", "centrum,TEG",
                 "--rapporttyp", "Oro"])
    assert code == 0, capsys.readouterr().err
    path = out / "2026K3_lagesbild_omrade_centrum_teg_rapporttyp_oro.xlsx"
    assert path.exists() and path.name.isascii()
    book = load_workbook(path)
    about = {r[0]: r[1] for r in book["Om tabellerna"].iter_rows(values_only=True)}
    assert about["Period"] == "2025K4–2026K3" and "Centrum, Teg" in about["Urval"]
    assert "Rapporttyp: Oro" in about["Urval"]
    (entry,) = _audit(db)
    assert entry[:4] == ("sekreterare", "export", path.name, "ok")
    assert "xlsx" in entry[4] and "omrade=Centrum,Teg" in entry[4]
    assert "rapporttyp=Oro" in entry[4]


def test_xlsx_is_protected_unless_an_exact_export_is_asked_for(db, tmp_path, capsys):
    sheets = {}
    for variant, extra in (("skyddad", []), ("exakt", ["--exact"])):
        out = tmp_path / f"{variant}.xlsx"
        code = main(["export", "--db", db, "--user", "anna", "--from", "2025K4", "--to",
                     "2026K3", "--format", "xlsx", "--out", str(out), "--charts",
                     "per_verksamhet", *extra])
        assert code == 0, capsys.readouterr().err
        book = load_workbook(out)
        about = {r[0]: r[1] for r in book["Om tabellerna"].iter_rows(values_only=True)}
        sheets[variant] = ({r[0]: r[1] for r in book["Per verksamhet"].iter_rows(
            min_row=2, values_only=True)}, about["Röjandekontroll"])
    (protected, note), (exact, exact_note) = sheets["skyddad"], sheets["exakt"]
    assert "Små avvikelser kan förekomma för att skydda enskilda." in note
    assert "Exakta antal" in exact_note
    assert all(isinstance(v, int) for v in exact.values())
    # 2025K4–2026K3 is published as the sum of two cells (2025K4 and the demo's year 2026,
    # which ends in 2026K3), each at most 2 from its true count
    far = {k: (protected[k], v) for k, v in exact.items()
           if isinstance(protected.get(k), int) and abs(protected[k] - v) > 4}
    assert not far, far
    assert protected != exact  # perturbed
    protected_entry, exact_entry = sorted(_audit(db), key=lambda e: e[2])[::-1]
    assert "exakta antal" not in protected_entry[4]
    assert exact_entry[4].startswith("exakta antal, internt")
    assert main(["export", "--db", db, "--format", "xlsx", "--exact", "--public"]) == 2


@needs_browser
def test_pptx_default_pack(db, tmp_path, capsys, browser):
    out = tmp_path / "motet.pptx"
    code = main(["export", "--db", db, "--from", "2025K4", "--to", "2026K3", "--format",
                 "pptx", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    deck = Presentation(out)
    assert len(deck.slides) == 3 + len(DEFAULT_CHARTS) + 1
    assert "Sparad:" in capsys.readouterr().out
    assert _audit(db)[0][2] == "motet.pptx"


@needs_browser
def test_png_writes_one_file_per_chart(db, tmp_path, capsys, browser):
    out = tmp_path / "bilder"
    code = main(["export", "--db", db, "--to", "2026K3", "--format", "png", "--out", str(out),
                 "--charts", "per_omrade,per_verksamhet", "--form", "Högerextremism"])
    assert code == 0, capsys.readouterr().err
    files = sorted(p.name for p in out.iterdir())
    assert files == ["2026K3_rapporter_per_stadsdel_form_hogerextremism.png",
                     "2026K3_rapporter_per_verksamhet_form_hogerextremism.png"]
    data = (out / files[0]).read_bytes()
    assert images.png_size(data) == (images.WIDTH * images.SCALE, images.HEIGHT * images.SCALE)
    entry = _audit(db)[0]
    assert entry[3] == "ok" and "png" in entry[4] and "period 2024K4–2026K3" in entry[4]


@needs_browser
def test_public_pdf(db, tmp_path, capsys, browser):
    code = main(["export", "--db", db, "--from", "2025K4", "--to", "2026K3", "--format", "pdf",
                 "--out", str(tmp_path), "--public"])
    assert code == 0, capsys.readouterr().err
    path = tmp_path / "2026K3_lagesbild_publik.pdf"
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    assert len(reader.pages) == 3 + len(PUBLIC_CHARTS) + 1  # + support lines
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert "Stöd och kontakter" in text and "<10" in text
    assert "publik" in _audit(db)[0][4]


def test_usage_errors(db, capsys):
    assert main(["export", "--db", db, "--omrade", "Mars", "--format", "xlsx"]) == 2
    assert "Okänt värde för --omrade: Mars" in capsys.readouterr().err
    assert main(["export", "--db", db, "--charts", "kon_alder", "--public",
                 "--format", "xlsx"]) == 2
    assert main(["export", "--db", db, "--from", "2026K3", "--to", "2025K1",
                 "--format", "xlsx"]) == 2
    assert main(["export", "--db", db, "--from", "2026X3", "--format", "xlsx"]) == 2
    with pytest.raises(SystemExit):
        main(["export", "--db", db, "--format", "docx"])
    assert _audit(db) == []


def test_empty_database_fails_clearly(tmp_path, capsys):
    code = main(["export", "--db", str(tmp_path / "tom.duckdb"), "--format", "xlsx",
                 "--out", str(tmp_path)])
    assert code == 1
    assert "inga rapporter" in capsys.readouterr().err
