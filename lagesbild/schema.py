"""Versioned schema migrations of the DuckDB store. Append new versions; never edit old ones."""

from __future__ import annotations

# Column order of a report in `report_versions` and `reports` (after the bookkeeping columns).
REPORT_COLUMNS = (
    "partner", "rapport_id", "datum", "rapporttyp", "omrade", "regso", "form", "handelse",
    "verksamhet", "kon", "aldersgrupp", "konsultation",
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

LATEST_VERSION = MIGRATIONS[-1][0]
