"""Canonical reports built by code: seven hand-made ones whose counts can be checked by eye, and
generated ones in any number (from the demo generator), as tables or as a partner's CSV file."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import pyarrow as pa

from lagesbild.intake.demo import demo_reports
from lagesbild.store import Store
from lagesbild.store.schema import REPORT_COLUMNS

# The cell-key secret of every database a test makes (tests/conftest.py), so protected
# numbers are the same in every run.
TEST_SECRET = "7e57" * 16

#   partner/verksamhet, datum, rapporttyp, omrade, regso, form, handelse, kon, alder, konsultation
SEVEN = [
    ("Socialtjänst", dt.date(2026, 7, 3), "Oro", "Centrum", "2480R033", "Högerextremism",
     "Oro för individ", "Man", "16–17", "Ja"),
    ("Polis", dt.date(2026, 7, 20), "Incident", "Centrum", None, "Högerextremism",
     "Propaganda", "Okänt", "Okänd", "Nej"),
    ("Socialtjänst", dt.date(2026, 8, 14), "Oro", "Ålidhem", "2480R040", "Misogyn extremism",
     "Oro för individ", "Man", "18–24", "Nej"),
    ("Polis", dt.date(2026, 9, 30), "Incident", "Digitalt", None, "Islamistisk extremism",
     "Digital aktivitet", "Kvinna", "25–39", "Nej"),
    ("Grundskola", dt.date(2026, 4, 2), "Oro", "Ersboda", "2480R004", "Högerextremism",
     "Oro för individ", "Kvinna", "13–15", "Ja"),
    ("Polis", dt.date(2026, 5, 10), "Incident", "Centrum", "2480R038", "Vänsterextremism",
     "Skadegörelse", "Man", "Okänd", "Nej"),
    ("Grundskola", dt.date(2026, 6, 30), "Oro", "Centrum", None, "Högerextremism",
     "Oro för individ", "Okänt", "16–17", "Nej"),
]


def reports_table(rows: list[tuple], prefix: str = "R") -> pa.Table:
    """Canonical reports from (verksamhet, datum, rapporttyp, omrade, regso, form, handelse,
    kon, aldersgrupp, konsultation) tuples."""
    data: dict[str, list] = {c: [] for c in REPORT_COLUMNS}
    for i, (who, day, kind, area, regso, form, event, kon, age, forum) in enumerate(rows):
        values = {"partner": who, "rapport_id": f"{prefix}-{i}", "datum": day,
                  "rapporttyp": kind, "omrade": area, "regso": regso, "form": form,
                  "handelse": event, "verksamhet": who, "kon": kon, "aldersgrupp": age,
                  "konsultation": forum}
        for c in REPORT_COLUMNS:
            data[c].append(values[c])
    return pa.table({c: pa.array(v, type=pa.date32() if c == "datum" else pa.string())
                     for c, v in data.items()})


def load(store: Store, rows: list[tuple], name: str = "test") -> None:
    table = reports_table(rows, prefix=name)
    digest = hashlib.sha256(name.encode() + str(rows).encode()).hexdigest()
    store.import_reports(table, file_name=name, sha256=digest, imported_by="test")


HEADERS = ["Rapport-ID", "Datum", "Rapporttyp", "Område", "Form av extremism", "Händelsetyp",
           "Rapporterande verksamhet", "Kön", "Åldersgrupp", "Konsultationsforum"]
FIELDS = ["rapport_id", "datum", "rapporttyp", "omrade", "form", "handelse", "verksamhet",
          "kon", "aldersgrupp", "konsultation"]


def generated_reports(rows: int, prefix: str = "GEN", seed: int = 11) -> pa.Table:
    """About `rows` valid canonical reports with ids PREFIX-0000001…, from the demo generator."""
    table = demo_reports(until=dt.date(2026, 1, 1), seed=seed, n_target=rows)
    ids = pa.array([f"{prefix}-{i:07d}" for i in range(len(table))], pa.string())
    return table.set_column(table.schema.get_field_index("rapport_id"), "rapport_id", ids)


def write_csv(table: pa.Table, path: Path) -> Path:
    """The reports as a partner's CSV file (Swedish headers, ';', dates as ÅÅÅÅ-MM-DD)."""
    columns = [table.column(f).to_pylist() for f in FIELDS]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADERS)
        for row in zip(*columns, strict=True):
            writer.writerow(["" if v is None else v.isoformat() if isinstance(v, dt.date)
                             else v for v in row])
    return path


def import_late_file(store: Store, count: int = 6) -> None:
    """A late file of `count` police reports of 2026K3 from Centrum (issue 17: it revises an
    approved quarter). Marked as demo data like the demo database it goes into: a real file
    would remove the demo data first."""
    rows = [("Polis", dt.date(2026, 8, 1 + i), "Incident", "Centrum", None, "Högerextremism",
             "Propaganda", "Man", "25–39", "Nej") for i in range(count)]
    store.import_reports(reports_table(rows, prefix="SEN"), file_name="sen_fil.xlsx",
                         sha256="sen" * 20, imported_by="anna", is_demo=True)
