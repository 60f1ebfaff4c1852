"""Versioned schema migrations of the DuckDB store. Append new versions; never edit old ones.

Every kind of versioned data (reports, trainings, the activity plan, context events) is a
`Dataset`: an append-only versions table (one row per key and batch), a current-state table
(the newest version from a batch that is not rolled back, plus derived columns such as
`kvartal`), its key columns and the batch kind that writes it. The store imports, classifies,
rolls back and removes demo data of every dataset with the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

from lagesbild.domain.contracts import (
    ACTIVITY_COLUMNS,
    EVENT_COLUMNS,
    REPORT_COLUMNS,
    TRAINING_COLUMNS,
)

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "rapporter, batcher, befolkning och granskningslogg", [
        """CREATE TABLE batches (
            batch_id INTEGER PRIMARY KEY,
            kind VARCHAR NOT NULL,              -- rapporter, befolkning, kodlista, …
            file_name VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,
            imported_at TIMESTAMPTZ NOT NULL,
            imported_by VARCHAR NOT NULL,
            partners VARCHAR,                   -- reporting sectors in the file, '; '-separated
            period_from DATE,
            period_to DATE,
            rows_total INTEGER NOT NULL DEFAULT 0,
            rows_new INTEGER NOT NULL DEFAULT 0,
            rows_changed INTEGER NOT NULL DEFAULT 0,
            rows_unchanged INTEGER NOT NULL DEFAULT 0,
            rows_duplicate INTEGER NOT NULL DEFAULT 0,
            codelist_version VARCHAR,
            is_demo BOOLEAN NOT NULL DEFAULT false,
            rolled_back_at TIMESTAMPTZ,
            rolled_back_by VARCHAR
        )""",
        """CREATE TABLE report_versions (
            batch_id INTEGER NOT NULL,
            partner VARCHAR NOT NULL, rapport_id VARCHAR NOT NULL, datum DATE NOT NULL,
            rapporttyp VARCHAR NOT NULL, omrade VARCHAR NOT NULL, regso VARCHAR,
            form VARCHAR NOT NULL, handelse VARCHAR NOT NULL, verksamhet VARCHAR NOT NULL,
            kon VARCHAR NOT NULL, aldersgrupp VARCHAR NOT NULL, konsultation VARCHAR NOT NULL
        )""",
        # The current state: one row per (partner, rapport_id), the newest version from a
        # batch that is not rolled back. Rebuilt for the affected keys on import and rollback.
        """CREATE TABLE reports (
            batch_id INTEGER NOT NULL,
            partner VARCHAR NOT NULL, rapport_id VARCHAR NOT NULL, datum DATE NOT NULL,
            rapporttyp VARCHAR NOT NULL, omrade VARCHAR NOT NULL, regso VARCHAR,
            form VARCHAR NOT NULL, handelse VARCHAR NOT NULL, verksamhet VARCHAR NOT NULL,
            kon VARCHAR NOT NULL, aldersgrupp VARCHAR NOT NULL, konsultation VARCHAR NOT NULL,
            kvartal VARCHAR NOT NULL              -- e.g. 2026K3, derived from datum
        )""",
        """CREATE TABLE population_versions (
            batch_id INTEGER NOT NULL,
            regsokod VARCHAR NOT NULL, ar INTEGER NOT NULL, befolkning INTEGER NOT NULL
        )""",
        """CREATE TABLE audit_log (
            logged_at TIMESTAMPTZ NOT NULL,
            actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL,            -- inloggning, import, återställning, export, …
            target VARCHAR,
            outcome VARCHAR NOT NULL,           -- ok, nekad, fel
            details VARCHAR
        )""",
    ]),
]


_TRAINING = """
            insats_id VARCHAR NOT NULL, datum DATE NOT NULL, typ VARCHAR NOT NULL,
            tema VARCHAR NOT NULL, malgrupp VARCHAR NOT NULL, antal_deltagare INTEGER NOT NULL,
            varav_kvinnor INTEGER, varav_man INTEGER"""
_ACTIVITY = """
            aktivitet_id VARCHAR NOT NULL, aktivitet VARCHAR NOT NULL, mal VARCHAR NOT NULL,
            omrade VARCHAR NOT NULL,            -- area of the action plan
            ansvarig VARCHAR NOT NULL,          -- an organisational unit, never a person
            start_kvartal VARCHAR NOT NULL,     -- e.g. 2025K1
            klart_kvartal VARCHAR NOT NULL,     -- due quarter
            status VARCHAR NOT NULL,            -- Planerad, Pågår, Klar, Stoppad
            borttagen BOOLEAN NOT NULL DEFAULT false"""
_EVENT = """
            handelse_id VARCHAR NOT NULL, datum DATE NOT NULL, kategori VARCHAR NOT NULL,
            titel VARCHAR NOT NULL,
            borttagen BOOLEAN NOT NULL DEFAULT false"""

MIGRATIONS.append(
    (2, "utbildningsinsatser, aktivitetsplan och omvärldshändelser", [
        f"CREATE TABLE training_versions (batch_id INTEGER NOT NULL, {_TRAINING})",
        f"CREATE TABLE trainings (batch_id INTEGER NOT NULL, {_TRAINING},\n"
        "            kvartal VARCHAR NOT NULL)",
        f"CREATE TABLE activity_versions (batch_id INTEGER NOT NULL, {_ACTIVITY})",
        f"CREATE TABLE activities (batch_id INTEGER NOT NULL, {_ACTIVITY})",
        f"CREATE TABLE event_versions (batch_id INTEGER NOT NULL, {_EVENT})",
        f"CREATE TABLE events (batch_id INTEGER NOT NULL, {_EVENT},\n"
        "            kvartal VARCHAR NOT NULL)",
    ])
)

LATEST_VERSION = MIGRATIONS[-1][0]
# Batches of population figures (`population_versions`) have this kind.
POPULATION_KIND = "befolkning"

_QUARTER = "(year(datum)::VARCHAR || 'K' || quarter(datum)::VARCHAR)"


@dataclass(frozen=True)
class Dataset:
    """One kind of versioned data and the tables that hold it."""

    name: str  # Swedish, for messages: "rapporter", "utbildningsinsatser", …
    kind: str  # batches.kind of the batches that write it
    versions: str  # append-only: batch_id + columns
    current: str  # batch_id + columns + derived columns
    key: tuple[str, ...]
    columns: tuple[str, ...]  # every stored column (key included), in table order
    derived: tuple[tuple[str, str], ...] = ()  # (column, SQL over the columns)
    partners: str | None = None  # column whose values are listed in batches.partners
    date: str | None = None  # column that gives batches.period_from / period_to
    deletable: bool = False  # has a `borttagen` column: removal is a new version


REPORTS = Dataset("rapporter", "rapporter", "report_versions", "reports",
                  ("partner", "rapport_id"), REPORT_COLUMNS, (("kvartal", _QUARTER),),
                  partners="partner", date="datum")
TRAININGS = Dataset("utbildningsinsatser", "utbildningar", "training_versions", "trainings",
                    ("insats_id",), TRAINING_COLUMNS, (("kvartal", _QUARTER),), date="datum")
ACTIVITIES = Dataset("aktiviteter", "aktivitetsplan", "activity_versions", "activities",
                     ("aktivitet_id",), ACTIVITY_COLUMNS, deletable=True)
EVENTS = Dataset("omvärldshändelser", "omvarld", "event_versions", "events", ("handelse_id",),
                 EVENT_COLUMNS, (("kvartal", _QUARTER),), date="datum", deletable=True)
DATASETS: tuple[Dataset, ...] = (REPORTS, TRAININGS, ACTIVITIES, EVENTS)


def dataset_of_kind(kind: str) -> Dataset | None:
    """The dataset that batches of `kind` write, or None (e.g. 'befolkning')."""
    return next((d for d in DATASETS if d.kind == kind), None)


def dataset_named(kind: str) -> Dataset:
    """The dataset that batches of `kind` write (KeyError for a kind without one)."""
    found = dataset_of_kind(kind)
    if found is None:
        raise KeyError(kind)
    return found
