"""Versioned schema migrations of the DuckDB store. Append new versions; never edit old ones.

Every kind of versioned data (reports, trainings, the activity plan, context events, and the
reference data: population, the partner register, the code lists, and the nil returns) is a
`Dataset`: an append-only versions table (one row per key and batch), a current-state table
(the newest version from a batch that is not rolled back, plus derived columns such as
`kvartal`), its key columns and the batch kind that writes it. The store imports, classifies,
rolls back and removes demo data of every dataset with the same code.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from lagesbild.domain.contracts import (
    ACTIVITY_COLUMNS,
    EVENT_COLUMNS,
    REPORT_COLUMNS,
    TRAINING_COLUMNS,
)

# A migration statement is SQL, SEED_DEFAULTS (the store's Python step that fills in the
# defaults), or a function that makes the SQL when the migration runs (for a value that must be
# fresh per database, such as the cell-key secret).
SEED_DEFAULTS = "-- seed defaults"
Statement = str | Callable[[], str]
MIGRATIONS: list[tuple[int, str, list[Statement]]] = [
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

# -- version 3: the intake's reference data and report identity -------------------------------
# Invisible characters a report id may carry (see lagesbild.domain.text.INVISIBLE).
_INVISIBLE_SQL = "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
_NORMALISED_ID = f"trim(nfc_normalize(regexp_replace(rapport_id, '{_INVISIBLE_SQL}', '', 'g')))"
_PARTNER = """
            namn VARCHAR NOT NULL,              -- the organisation, never a person
            verksamhet VARCHAR NOT NULL,        -- its sector (code list verksamhet)
            numrering VARCHAR NOT NULL,         -- löpande, per-år or per-kvartal
            aktiv_fran VARCHAR,                 -- first quarter it reports for, e.g. 2026K1
            aktiv_till VARCHAR,                 -- last quarter
            foretradare VARCHAR                 -- the partner it took over from (coverage)
"""
_NIL = """
            partner VARCHAR NOT NULL, kvartal VARCHAR NOT NULL"""
_CODE = """
            lista VARCHAR NOT NULL, varde VARCHAR NOT NULL, alias VARCHAR NOT NULL,
            giltig_fran VARCHAR NOT NULL, giltig_till VARCHAR NOT NULL,
            ersatts_av VARCHAR NOT NULL, beskrivning VARCHAR NOT NULL,
            plats VARCHAR NOT NULL DEFAULT '',  -- nej: a district that is no place (Digitalt)
            ordning INTEGER NOT NULL"""
_POPULATION = """
            regsokod VARCHAR NOT NULL, ar INTEGER NOT NULL, befolkning INTEGER NOT NULL"""
# The batch that holds the defaults a new (or migrated) database starts from.
DEFAULTS_BATCH = 0
DEFAULTS_KIND = "standardvärden"

MIGRATIONS.append(
    (3, "partnerregister, inga rapporter, referensdata i databasen, rapporternas identitet", [
        # a report's identity: (partner, normalised id, the year or quarter its numbering
        # restarts in); a withdrawn report is a version marked borttagen
        "ALTER TABLE report_versions ADD COLUMN id_period VARCHAR DEFAULT ''",
        "ALTER TABLE report_versions ADD COLUMN borttagen BOOLEAN DEFAULT false",
        "ALTER TABLE reports ADD COLUMN id_period VARCHAR DEFAULT ''",
        f"UPDATE report_versions SET rapport_id = {_NORMALISED_ID} "
        f"WHERE rapport_id <> {_NORMALISED_ID}",
        f"UPDATE reports SET rapport_id = {_NORMALISED_ID} WHERE rapport_id <> {_NORMALISED_ID}",
        """DELETE FROM reports WHERE rowid IN (SELECT rowid FROM (
               SELECT rowid, row_number() OVER (PARTITION BY partner, rapport_id, id_period
                                                ORDER BY batch_id DESC) AS n FROM reports)
               WHERE n > 1)""",
        # what a receipt says beyond the counts
        "ALTER TABLE batches ADD COLUMN rows_withdrawn INTEGER DEFAULT 0",
        "ALTER TABLE batches ADD COLUMN rows_hidden INTEGER DEFAULT 0",
        "ALTER TABLE batches ADD COLUMN sheets_not_read VARCHAR",
        "ALTER TABLE batches ADD COLUMN reassigned_from INTEGER",
        f"CREATE TABLE partner_versions (batch_id INTEGER NOT NULL, {_PARTNER})",
        f"CREATE TABLE partners (batch_id INTEGER NOT NULL, {_PARTNER})",
        f"CREATE TABLE nil_versions (batch_id INTEGER NOT NULL, {_NIL},\n"
        "            borttagen BOOLEAN DEFAULT false)",
        f"CREATE TABLE nil_returns (batch_id INTEGER NOT NULL, {_NIL})",
        f"CREATE TABLE codelist_versions (batch_id INTEGER NOT NULL, {_CODE},\n"
        "            borttagen BOOLEAN DEFAULT false)",
        f"CREATE TABLE codelists (batch_id INTEGER NOT NULL, {_CODE})",
        f"CREATE TABLE population (batch_id INTEGER NOT NULL, {_POPULATION})",
        """INSERT INTO population SELECT v.batch_id, v.regsokod, v.ar, v.befolkning
           FROM population_versions v JOIN batches b USING (batch_id)
           WHERE b.rolled_back_at IS NULL
           QUALIFY row_number() OVER (PARTITION BY v.regsokod, v.ar
                                      ORDER BY v.batch_id DESC) = 1""",
        # every version is stored once from now on: a current row is not also a version
        """DELETE FROM population_versions v USING population c
           WHERE v.batch_id = c.batch_id AND v.regsokod = c.regsokod AND v.ar = c.ar""",
        """DELETE FROM report_versions v USING reports c
           WHERE v.batch_id = c.batch_id AND v.partner = c.partner
             AND v.rapport_id = c.rapport_id AND v.id_period = c.id_period""",
        """DELETE FROM training_versions v USING trainings c
           WHERE v.batch_id = c.batch_id AND v.insats_id = c.insats_id""",
        """DELETE FROM activity_versions v USING activities c
           WHERE v.batch_id = c.batch_id AND v.aktivitet_id = c.aktivitet_id""",
        """DELETE FROM event_versions v USING events c
           WHERE v.batch_id = c.batch_id AND v.handelse_id = c.handelse_id""",
        SEED_DEFAULTS,  # Python: see lagesbild.store.database._seed_defaults
    ])
)
# Batches of population figures (`population_versions`) have this kind.
POPULATION_KIND = "befolkning"

_QUARTER = "(year(datum)::VARCHAR || 'K' || quarter(datum)::VARCHAR)"
# How a partner numbers its reports: the part of a report's identity beside the id.
NUMBERINGS = ("löpande", "per-år", "per-kvartal")


@dataclass(frozen=True)
class Dataset:
    """One kind of versioned data and the tables that hold it."""

    name: str  # Swedish, for messages: "rapporter", "utbildningsinsatser", …
    kind: str  # batches.kind of the batches that write it
    versions: str  # append-only: batch_id + columns (+ the withdrawn flag)
    current: str  # batch_id + columns + derived columns
    key: tuple[str, ...]
    columns: tuple[str, ...]  # every stored column (key included)
    derived: tuple[tuple[str, str], ...] = ()  # (column, SQL over the columns)
    partners: str | None = None  # column whose values are listed in batches.partners
    date: str | None = None  # column that gives batches.period_from / period_to
    deletable: bool = False  # has a `borttagen` column: removal is a new version
    # A boolean column of the versions only: a version with it true withdraws its key (the
    # key then has no current row; rollback brings it back).
    withdrawn: str | None = None
    # SQL for a stored column an incoming table may leave out.
    defaults: tuple[tuple[str, str], ...] = ()


REPORTS = Dataset("rapporter", "rapporter", "report_versions", "reports",
                  ("partner", "rapport_id", "id_period"), (*REPORT_COLUMNS, "id_period"),
                  (("kvartal", _QUARTER),), partners="partner", date="datum",
                  withdrawn="borttagen", defaults=(("id_period", "''"),))


# -- record keys of the cell-key method (lagesbild.numbers.disclosure) ------------------------
# Every report has a record key `rkey`, an integer 0..KEY_MODULUS-1: the first 32 bits of
# SHA-256(secret, identity) modulo KEY_MODULUS (bias below 1e-6), where the identity is the
# report's key columns (REPORTS.key) and the secret is 256 random bits made once per database
# (table cell_key_secret, created by migration 4). The key is a pure function of the
# identity, so a report keeps it across re-imports, corrections, rollbacks and rebuilds of
# `reports`, and it is derived again whenever a row of `reports` is written (REPORTS.derived).
# SHA-256 rather than DuckDB's hash(), which may change between versions. Never rotate the
# secret: a new secret gives every published cell a new, independent perturbation, and the old
# and new values together are two noise draws of the same count. A migration that changes
# REPORTS.key must run `UPDATE reports SET rkey = <record_key_sql()>` as well.
# 5040 = 7! is divisible by every integer 1..10, so the perturbation tables' probabilities
# with such denominators are exact.
KEY_MODULUS = 5040
SECRET_TABLE = "cell_key_secret"


def record_key_sql(identity: Sequence[str] = REPORTS.key,
                   secret: str = f"(SELECT secret FROM {SECRET_TABLE})") -> str:
    """SQL for a report's record key from its identity columns; `secret` is an SQL
    expression (default: the database's stored secret)."""
    parts = " || chr(31) || ".join(
        [secret, *(f"coalesce(CAST({c} AS VARCHAR), '')" for c in identity)])
    return f"((('0x' || left(sha256({parts}), 8))::UBIGINT) % {KEY_MODULUS})::SMALLINT"


def new_secret() -> str:
    """A fresh per-database secret: 256 bits from the operating system, as hex."""
    return secrets.token_hex(32)


def _insert_secret() -> str:
    secret = new_secret()
    if len(secret) < 32 or any(c not in "0123456789abcdef" for c in secret):
        raise ValueError("The cell-key secret must be hexadecimal, at least 128 bits.")
    return f"INSERT INTO {SECRET_TABLE} VALUES ('{secret}')"


REPORTS = replace(REPORTS, derived=(*REPORTS.derived, ("rkey", record_key_sql(REPORTS.key))))
MIGRATIONS.append(
    (4, "cellnycklar för röjandekontrollen", [
        f"CREATE TABLE {SECRET_TABLE} (secret VARCHAR NOT NULL)",
        _insert_secret,
        "ALTER TABLE reports ADD COLUMN rkey SMALLINT",  # written by name (REPORTS.derived)
        f"UPDATE reports SET rkey = {record_key_sql(REPORTS.key)}",
    ])
)
# -- version 5: the quarter's lägesbild as approved editions (lagesbild.editions) -------------
# One row per (kvartal, version): the draft of the next version and every approved version.
# Texts and comments are append-only (the newest text of a section is the current one); an
# approved version's frozen content (its published tables as Parquet, a JSON manifest, the
# exact counts its revisions are detected on) is written once, when it is approved.
MIGRATIONS.append(
    (5, "fastställda lägesbilder: utkast, kommentarer, frysta tal och texter", [
        """CREATE TABLE editions (
            kvartal VARCHAR NOT NULL,
            version INTEGER NOT NULL,           -- 1, 2, …: a new version after a revision
            status VARCHAR NOT NULL,            -- utkast, delad, fastställd
            created_at TIMESTAMPTZ NOT NULL,
            created_by VARCHAR NOT NULL,
            shared_at TIMESTAMPTZ,
            shared_by VARCHAR,
            approved_at TIMESTAMPTZ,            -- when it was recorded
            approved_on DATE,                   -- the decision's date
            approved_by VARCHAR,
            approved_role VARCHAR,
            revision_note VARCHAR,
            data_version VARCHAR,               -- JSON: the store's data version it froze
            reference_versions VARCHAR,         -- JSON: code lists, partners, population
            PRIMARY KEY (kvartal, version)
        )""",
        """CREATE TABLE edition_texts (
            kvartal VARCHAR NOT NULL, version INTEGER NOT NULL, section VARCHAR NOT NULL,
            text VARCHAR NOT NULL, written_at TIMESTAMPTZ NOT NULL, written_by VARCHAR NOT NULL
        )""",
        """CREATE TABLE edition_comments (
            kvartal VARCHAR NOT NULL, version INTEGER NOT NULL, section VARCHAR NOT NULL,
            comment VARCHAR NOT NULL, written_at TIMESTAMPTZ NOT NULL,
            written_by VARCHAR NOT NULL, role VARCHAR NOT NULL
        )""",
        """CREATE TABLE edition_parts (
            kvartal VARCHAR NOT NULL, version INTEGER NOT NULL,
            part VARCHAR NOT NULL,              -- manifest/intern, table/publik/3, exakt, …
            content BLOB NOT NULL,
            PRIMARY KEY (kvartal, version, part)
        )""",
    ])
)
LATEST_VERSION = MIGRATIONS[-1][0]
TRAININGS = Dataset("utbildningsinsatser", "utbildningar", "training_versions", "trainings",
                    ("insats_id",), TRAINING_COLUMNS, (("kvartal", _QUARTER),), date="datum")
ACTIVITIES = Dataset("aktiviteter", "aktivitetsplan", "activity_versions", "activities",
                     ("aktivitet_id",), ACTIVITY_COLUMNS, deletable=True)
EVENTS = Dataset("omvärldshändelser", "omvarld", "event_versions", "events", ("handelse_id",),
                 EVENT_COLUMNS, (("kvartal", _QUARTER),), date="datum", deletable=True)
POPULATION = Dataset("befolkningssiffror", POPULATION_KIND, "population_versions", "population",
                     ("regsokod", "ar"), ("regsokod", "ar", "befolkning"))
PARTNERS = Dataset("partner", "partner", "partner_versions", "partners", ("namn",),
                   ("namn", "verksamhet", "numrering", "aktiv_fran", "aktiv_till",
                    "foretradare"), partners="namn")
NIL_RETURNS = Dataset("leveranser utan rapporter", "inga rapporter", "nil_versions",
                      "nil_returns", ("partner", "kvartal"), ("partner", "kvartal"),
                      partners="partner", withdrawn="borttagen")
CODELISTS = Dataset("kodlistor", "kodlista", "codelist_versions", "codelists",
                    ("lista", "varde"), ("lista", "varde", "alias", "giltig_fran", "giltig_till",
                                         "ersatts_av", "beskrivning", "plats", "ordning"),
                    partners="lista", withdrawn="borttagen")
DATASETS: tuple[Dataset, ...] = (REPORTS, TRAININGS, ACTIVITIES, EVENTS, POPULATION, PARTNERS,
                                 NIL_RETURNS, CODELISTS)
# Reference data: what the numbers are read against rather than counted.
REFERENCE = (POPULATION, PARTNERS, CODELISTS)


def dataset_of_kind(kind: str) -> Dataset | None:
    """The dataset that batches of `kind` write, or None."""
    return next((d for d in DATASETS if d.kind == kind), None)


def dataset_named(kind: str) -> Dataset:
    """The dataset that batches of `kind` write (KeyError for a kind without one)."""
    found = dataset_of_kind(kind)
    if found is None:
        raise KeyError(kind)
    return found
