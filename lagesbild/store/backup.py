"""Backups of the database as Parquet files, and restoring a database from one.

`backup(store, DIR)` writes a consistent snapshot of every table with DuckDB's
`EXPORT DATABASE … (FORMAT parquet)` (schema.sql, load.sql and one Parquet file per table) and
then `manifest.json`: the schema version, the row count of every table and the sha256 of every
file. A directory without a manifest is not a finished backup. The files outside the database
that a restore needs (accounts, roles, settings, code lists: the caller names them) are copied
into `filer/` and listed with their sha256 too. The folder is 0700 and every file 0600.
`verify_readable(DIR)` reads a backup back (checksums, then every row into a scratch database).

`restore(DIR, PATH)` checks the manifest (every file present and unchanged), builds a NEW
database file next to PATH from the backup, checks the row counts, migrates it to the current
schema and only then moves it into place. An existing database is never overwritten:

* a healthy one is left alone unless `force=True`, and is then kept as PATH.ersatt-<time>;
* a damaged one (it cannot be opened or read) is moved aside to PATH.trasig-<time>;
* one that is in use (the dashboard is running) stops the restore.

`restore_files(DIR, targets)` puts the files in `filer/` back (a changed one only with
`force=True`, the old one kept beside as .ersatt-<time>).

Command line: `lagesbild backup DIR` and `lagesbild restore DIR [--db PATH] [--force]`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import duckdb

from lagesbild.store import Store, StoreError, audit
from lagesbild.store.schema import LATEST_VERSION

MANIFEST = "manifest.json"
FORMAT = 1
FILES = "filer"  # the files outside the database, by the name the caller gave them
_LOCKED = re.compile(r"\block\b", re.IGNORECASE)  # "Could not set lock", not "in block at"
_COPY = re.compile(r"^COPY\s+(.+?)\s+FROM\s+'((?:[^']|'')*)'\s*(\(.*\))?\s*;\s*$")


class BackupError(StoreError):
    """A backup could not be made or restored. The message is Swedish and says what to do."""


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    schema_version: int
    tables: dict[str, int]
    moved_aside: Path | None  # where the previous database file went, if there was one
    previous_state: str  # "saknades", "frisk", "skadad"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _tables(cur: duckdb.DuckDBPyConnection) -> list[str]:
    rows = cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main' "
        "AND database_name = current_database() ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def _value(cur: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The value of an aggregate query (which always returns one row)."""
    row = cur.execute(sql).fetchone()
    assert row is not None
    return row[0]


def _copy_statements(load_sql: str) -> list[tuple[str, str]]:
    """(quoted table, file name) of every COPY in an exported load.sql."""
    found = []
    for line in load_sql.splitlines():
        match = _COPY.match(line.strip())
        if match:
            found.append((match.group(1), Path(match.group(2).replace("''", "'")).name))
    return found


def _unquote(identifier: str) -> str:
    if identifier.startswith('"') and identifier.endswith('"'):
        return identifier[1:-1].replace('""', '"')
    return identifier


def _copy_files(files: Mapping[str, Path], target: Path) -> dict[str, str]:
    """Copy each named file (or every file of a named folder) to target/filer/NAME; returns
    {relative path: sha256}. Missing ones are left out."""
    copied = {}
    for name, source in sorted(files.items()):
        if not source.exists():
            continue
        members = ([(PurePosixPath(name), source)] if source.is_file() else
                   [(PurePosixPath(name, *p.relative_to(source).parts), p)
                    for p in sorted(source.rglob("*")) if p.is_file()])
        for relative, path in members:
            out = target / FILES / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out)
            copied[str(relative)] = _sha256(out)
    return copied


def _make_private(target: Path) -> None:
    """The backup's folders 0700 and files 0600, whatever the umask was."""
    os.chmod(target, 0o700)
    for path in target.rglob("*"):
        os.chmod(path, 0o700 if path.is_dir() else 0o600)


def backup(store: Store, directory: str | os.PathLike[str], by: str = "system",
           files: Mapping[str, Path] | None = None) -> dict:
    """Write a backup of the whole database into `directory` (new or empty), with copies of
    `files` ({name: file or folder}, see the module text); returns the manifest."""
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} finns redan och är inte en tom katalog. Välj en ny "
                          "katalog för säkerhetskopian, t.ex. med dagens datum i namnet.")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    cur = store.cursor()
    cur.execute("BEGIN TRANSACTION")  # one snapshot for the counts and the export
    try:
        version = _value(cur, "SELECT max(version) FROM schema_version")
        counts = {t: _value(cur, f"SELECT count(*) FROM {_quote(t)}") for t in _tables(cur)}
        literal = str(target.resolve()).replace("'", "''")
        cur.execute(f"EXPORT DATABASE '{literal}' (FORMAT parquet)")
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    files_of = {_unquote(t): f for t, f in
                _copy_statements((target / "load.sql").read_text("utf-8"))}
    extra = _copy_files(files or {}, target)
    manifest = {
        "format": FORMAT,
        "program": "lagesbild",
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "created_by": by,
        "schema_version": int(version),
        "duckdb_version": duckdb.__version__,
        "tables": {t: {"rows": int(n), "file": files_of.get(t)} for t, n in counts.items()},
        "files": {p.name: _sha256(p) for p in sorted(target.iterdir()) if p.is_file()},
        "extra_files": extra,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                   "utf-8")
    _make_private(target)
    audit.log(store, by, "säkerhetskopia", audit.OK, str(target),
              f"{sum(counts.values())} rader i {len(counts)} tabeller")
    return manifest


def verify_backup(directory: str | os.PathLike[str]) -> dict:
    """The manifest of a complete, unchanged backup; raises BackupError otherwise."""
    source = Path(directory)
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} är ingen färdig säkerhetskopia ({MANIFEST} saknas). Välj "
                          "katalogen som `lagesbild backup` skrev.")
    try:
        manifest = json.loads(path.read_text("utf-8"))
        files: dict[str, str] = manifest["files"]
        tables: dict[str, dict] = manifest["tables"]
        version = int(manifest["schema_version"])
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"{path} är skadad och går inte att läsa. Använd en annan "
                          "säkerhetskopia.") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Säkerhetskopian i {source} har ett okänt format.")
    if version > LATEST_VERSION:
        raise BackupError(f"Säkerhetskopian har schemaversion {version}, men programmet känner "
                          f"bara till version {LATEST_VERSION}. Uppdatera programmet först.")
    bad = []
    for name, digest in files.items():
        file = source / Path(name).name
        if not file.is_file():
            bad.append(f"{name} saknas")
        elif _sha256(file) != digest:
            bad.append(f"{name} är ändrad eller skadad")
    for name, digest in _extra_files(manifest).items():
        file = source / FILES / name
        if not file.is_file():
            bad.append(f"{FILES}/{name} saknas")
        elif _sha256(file) != digest:
            bad.append(f"{FILES}/{name} är ändrad eller skadad")
    for table, info in tables.items():
        if info.get("file") not in files:
            bad.append(f"filen för tabellen {table} saknas i manifestet")
    if not {"schema.sql", "load.sql"} <= files.keys():
        bad.append("schema.sql eller load.sql saknas")
    if bad:
        raise BackupError(f"Säkerhetskopian i {source} är inte hel: {'; '.join(bad)}. Använd "
                          "en annan säkerhetskopia.")
    return manifest


def _extra_files(manifest: dict) -> dict[str, str]:
    """{relative path under filer/: sha256}; a path that leaves the folder is refused."""
    extra = manifest.get("extra_files") or {}
    for name in extra:
        parts = PurePosixPath(name).parts
        if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
            raise BackupError(f"Säkerhetskopian nämner en otillåten fil ({name}). Använd en "
                              "annan säkerhetskopia.")
    return dict(extra)


def verify_readable(directory: str | os.PathLike[str]) -> dict:
    """Read a finished backup back: every checksum, then every row into a scratch database
    whose row counts must equal the manifest's. Returns the manifest; raises BackupError."""
    source = Path(directory)
    manifest = verify_backup(source)
    con = duckdb.connect(":memory:")
    try:
        _load(con, source, manifest)
    except duckdb.Error as exc:
        raise BackupError(f"Säkerhetskopian i {source} går inte att läsa tillbaka ({exc}). "
                          "Ta en ny säkerhetskopia.") from None
    finally:
        con.close()
    return manifest


def restore_files(directory: str | os.PathLike[str], targets: Mapping[str, Path],
                  force: bool = False) -> dict[str, str]:
    """Put the backup's files (filer/) back where `targets` ({name: file or folder}) says.

    A missing file is written; an identical one is left alone; a changed one is replaced
    only with `force` (the current one is kept beside as .ersatt-<time>). Returns
    {file: "återställd" | "oförändrad" | "ersatt" | "behölls (ändrad)"}; names the backup
    has but `targets` lacks are left out."""
    source = Path(directory)
    manifest = verify_backup(source)
    done: dict[str, str] = {}
    for name, digest in sorted(_extra_files(manifest).items()):
        top, *rest = PurePosixPath(name).parts
        if top not in targets:
            continue
        place = targets[top].joinpath(*rest)
        if place.exists() and _sha256(place) == digest:
            done[str(place)] = "oförändrad"
            continue
        if place.exists() and not force:
            done[str(place)] = "behölls (ändrad)"
            continue
        outcome = "återställd"
        if place.exists():
            _move_aside(place, "ersatt")
            outcome = "ersatt"
        place.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / FILES / name, place)
        done[str(place)] = outcome
    return done


def database_state(path: str | os.PathLike[str]) -> str:
    """"saknas", "frisk", "skadad" or "upptagen" (another program has it open)."""
    target = Path(path)
    if not target.exists():
        return "saknas"
    try:
        con = duckdb.connect(str(target), read_only=True)
    except duckdb.Error as exc:
        return "upptagen" if _LOCKED.search(str(exc)) else "skadad"
    try:
        for table in _tables(con):  # read every row: damaged blocks show up here
            con.execute(f"SELECT count(*) FROM (SELECT hash(t) FROM {_quote(table)} t)"
                        ).fetchone()
        con.execute("SELECT max(version) FROM schema_version").fetchone()
    except duckdb.Error:
        return "skadad"
    finally:
        con.close()
    return "frisk"


def _move_aside(path: Path, label: str) -> Path:
    stamp = _stamp()
    aside = path.with_name(f"{path.name}.{label}-{stamp}")
    n = 2
    while aside.exists():
        aside = path.with_name(f"{path.name}.{label}-{stamp}-{n}")
        n += 1
    os.replace(path, aside)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        os.replace(wal, aside.with_name(aside.name + ".wal"))
    return aside


def _load(con: duckdb.DuckDBPyConnection, source: Path, manifest: dict) -> None:
    """Load the backup into the (empty) database of `con`, row counts checked."""
    schema = (source / "schema.sql").read_text("utf-8")
    if schema.strip():
        con.execute(schema)
    for quoted, file in _copy_statements((source / "load.sql").read_text("utf-8")):
        literal = str((source / file).resolve()).replace("'", "''")
        con.execute(f"COPY {quoted} FROM '{literal}' (FORMAT parquet)")
    for table, info in manifest["tables"].items():
        rows = _value(con, f"SELECT count(*) FROM {_quote(table)}")
        if rows != info["rows"]:
            raise BackupError(f"Tabellen {table} fick {rows} rader, men säkerhetskopian "
                              f"ska ha {info['rows']}. Använd en annan säkerhetskopia.")


def _build(source: Path, manifest: dict, target: Path) -> None:
    """A new database file at `target` from the backup, row counts checked."""
    con = duckdb.connect(str(target))
    try:
        _load(con, source, manifest)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def restore(directory: str | os.PathLike[str], db_path: str | os.PathLike[str],
            force: bool = False, by: str = "system") -> RestoreResult:
    """Rebuild the database at `db_path` from a backup (see the module text)."""
    source = Path(directory)
    target = Path(db_path)
    manifest = verify_backup(source)
    state = database_state(target)
    if state == "upptagen":
        raise BackupError(f"Databasen {target} används av ett annat program (troligen "
                          "dashboarden). Stoppa det och försök igen.")
    if state == "frisk" and not force:
        raise BackupError(f"Databasen {target} finns redan och fungerar. Återställ till en ny "
                          "fil med --db NY_FIL, eller ersätt den med --force (den gamla "
                          "sparas då bredvid som .ersatt-<tid>).")
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f"{target.name}.aterstalls-{_stamp()}.tmp")
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        _build(source, manifest, building)
        store = Store.open(building)  # migrates an older backup to the current schema
        try:
            version = store.schema_version
            audit.log(store, by, "återställning från säkerhetskopia", audit.OK, str(source),
                      f"schemaversion {manifest['schema_version']}, skapad "
                      f"{manifest.get('created_at')}")
        finally:
            store.close()
    except BaseException:
        for leftover in (building, building.with_name(building.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    moved = None
    if state == "frisk":
        moved = _move_aside(target, "ersatt")
    elif state == "skadad":
        moved = _move_aside(target, "trasig")
    os.replace(building, target)
    wal = building.with_name(building.name + ".wal")
    if wal.exists():  # normally checkpointed away on close
        os.replace(wal, target.with_name(target.name + ".wal"))
    return RestoreResult(target, version,
                         {t: int(i["rows"]) for t, i in manifest["tables"].items()}, moved,
                         {"saknas": "saknades", "frisk": "frisk", "skadad": "skadad"}[state])

