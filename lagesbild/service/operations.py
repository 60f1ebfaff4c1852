"""Operations: backups that are checked and recorded, where they go, and the health check.

Every backup - scheduled by the app, or asked for on the command line - goes through
`make_backup`: the database plus the files outside it that a restore needs (`extra_files`:
accounts, roles, settings, code lists, areas and population), then read back
(`backup.verify_readable`), then recorded in `status.json` in the backup folder (the latest
attempt and the latest verified backup), which `backup_status` reads for the analysts' sidebar
and for `lagesbild health`. Scheduled backups are folders `auto-<time>` in `backup_root`
(default `sakerhetskopior/` beside the database); only the newest `keep` verified ones stay.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lagesbild.access.accounts import accounts_path
from lagesbild.access.signin import roles_path
from lagesbild.domain import config
from lagesbild.domain.formatting import LOCAL_TIME
from lagesbild.store import Store, audit
from lagesbild.store import backup as backups
from lagesbild.store.schema import LATEST_VERSION

LOG = logging.getLogger("lagesbild.operations")
BACKUP_FOLDER = "sakerhetskopior"
STATUS_FILE = "status.json"
AUTO_PREFIX = "auto-"
STALE_AFTER = dt.timedelta(days=2)  # analysts are warned when the newest backup is older
MIN_FREE_BYTES = 1 << 30  # below 1 GiB free beside the database, health reports a problem
AUTOMATIC, MANUAL = "automatisk", "manuell"

_backup_lock = threading.Lock()  # one backup at a time in a process


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def extra_files() -> dict[str, Path]:
    """The files outside the database that a restore needs, by their name in a backup."""
    files = {"konton.json": accounts_path(), "roller.toml": roles_path(),
             "installningar.toml": config.settings_path(),
             "stodlinjer.toml": config.DATA_DIR / "stodlinjer.toml"}
    for name in ("CODELIST_DIR", "AREAS_FILE", "POPULATION_FILE"):  # unless in the database
        path = getattr(config, name, None)
        if path is not None:
            files[Path(path).name] = Path(path)
    return files


def backup_root(db: str | os.PathLike[str]) -> Path:
    """Where scheduled backups and status.json live: [sakerhetskopia] katalog (relative to
    the database's folder), else sakerhetskopior/ beside the database."""
    base = Path(os.path.abspath(db)).parent
    folder = config.settings().backups.folder
    return base / folder if folder else base / BACKUP_FOLDER


@dataclass(frozen=True)
class BackupRecord:
    """One backup attempt, as status.json keeps it."""

    at: str  # ISO time (UTC) when it finished
    kind: str  # AUTOMATIC or MANUAL
    ok: bool  # written and read back
    directory: str | None
    message: str
    reports: int | None = None

    @property
    def when(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.at)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> BackupRecord:
        return cls(str(raw["at"]), str(raw["kind"]), bool(raw["ok"]), raw.get("directory"),
                   str(raw.get("message", "")), raw.get("reports"))


@dataclass(frozen=True)
class BackupStatus:
    """The latest attempt and the latest verified backup of a database."""

    latest: BackupRecord | None
    latest_ok: BackupRecord | None

    def problem(self, now: dt.datetime | None = None) -> str | None:
        """What an analyst must know (Swedish), or None when backups are in order."""
        now = now or _now()
        if self.latest is not None and not self.latest.ok:
            return (f"Den senaste säkerhetskopieringen ({shown_time(self.latest.when)}) "
                    f"misslyckades: {self.latest.message}")
        if self.latest_ok is None:
            return "Det finns ingen säkerhetskopia ännu."
        if now - self.latest_ok.when > STALE_AFTER:
            return (f"Den senaste säkerhetskopian är från {shown_time(self.latest_ok.when)}, "
                    "mer än två dygn sedan. Kontrollera att tjänsten är igång, eller kör "
                    "`lagesbild backup KATALOG`.")
        return None


def shown_time(when: dt.datetime) -> str:
    return when.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")


def _status_path(db: str | os.PathLike[str]) -> Path:
    return backup_root(db) / STATUS_FILE


def backup_status(db: str | os.PathLike[str]) -> BackupStatus:
    """What status.json says about the database's backups (nothing when it cannot be read)."""
    try:
        raw = json.loads(_status_path(db).read_text("utf-8"))
        latest, latest_ok = raw.get("senaste"), raw.get("senaste_kontrollerade")
        return BackupStatus(BackupRecord.from_dict(latest) if latest else None,
                            BackupRecord.from_dict(latest_ok) if latest_ok else None)
    except (OSError, ValueError, KeyError, TypeError):
        return BackupStatus(None, None)


def _record(db: str | os.PathLike[str], record: BackupRecord) -> None:
    """Write the attempt into status.json (atomically); a failure to do so is only logged."""
    path = _status_path(db)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        previous = backup_status(db)
        status = {"senaste": asdict(record),
                  "senaste_kontrollerade": asdict(record) if record.ok else (
                      asdict(previous.latest_ok) if previous.latest_ok else None)}
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(status, ensure_ascii=False, indent=2) + "\n", "utf-8")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except OSError as exc:
        LOG.warning("could not record the backup in %s: %s", path, exc)


def make_backup(store: Store, directory: str | os.PathLike[str], by: str = "system",
                kind: str = MANUAL, shown_as: str | None = None) -> dict:
    """Back up the database and `extra_files()` into `directory`, read it back, record it;
    returns the manifest. A failure is recorded (and audited) and raised as BackupError.
    `shown_as`: the folder's name for status.json when `directory` is a stand-in."""
    assert store.path is not None, "an in-memory database has no backups"
    target = Path(directory)
    with _backup_lock:
        try:
            manifest = backups.backup(store, target, by=by, files=extra_files())
            backups.verify_readable(target)
        except Exception as exc:  # recorded whatever it was (a full disk, a closed store, …)
            message = str(exc)
            _record(store.path, BackupRecord(_now().isoformat(timespec="seconds"), kind, False,
                                             shown_as or str(target), message))
            with contextlib.suppress(Exception):
                audit.log(store, by, "säkerhetskopia", audit.FEL, shown_as or str(target),
                          message)
            if isinstance(exc, backups.BackupError):
                raise
            raise backups.BackupError(f"Säkerhetskopian kunde inte sparas i {target}: "
                                      f"{exc}") from exc
        reports = int(manifest["tables"].get("reports", {}).get("rows", 0))
        _record(store.path, BackupRecord(_now().isoformat(timespec="seconds"), kind, True,
                                         shown_as or str(target), "kontrollerad", reports))
    return manifest


def scheduled_backup(store: Store, keep: int, now: dt.datetime | None = None) -> Path:
    """One scheduled backup into backup_root/auto-<time>, then keep the newest `keep`
    verified ones (a failed attempt is removed at once and removes nothing else)."""
    assert store.path is not None
    root = backup_root(store.path)
    stamp = (now or _now()).astimezone(LOCAL_TIME).strftime("%Y%m%d-%H%M%S")
    target = root / f"{AUTO_PREFIX}{stamp}"
    n = 2
    while target.exists():
        target = root / f"{AUTO_PREFIX}{stamp}-{n}"
        n += 1
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        make_backup(store, target, by="system", kind=AUTOMATIC)
    except backups.BackupError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    prune(root, keep)
    return target


def prune(root: Path, keep: int) -> list[Path]:
    """Remove scheduled backups beyond the newest `keep` complete ones, and incomplete ones
    older than the newest complete one. Returns what was removed."""
    folders = sorted((p for p in root.glob(f"{AUTO_PREFIX}*") if p.is_dir()), reverse=True)
    complete = [p for p in folders if (p / backups.MANIFEST).is_file()]
    if not complete:
        return []
    newest = complete[0]
    removed = [p for p in folders if p in complete[keep:]
               or (p not in complete and p.name < newest.name)]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


@dataclass(frozen=True)
class Health:
    """What `lagesbild health` reports."""

    database: str
    reports: int | None
    schema_version: int | None
    backups: BackupStatus
    disk_free: int
    problems: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        latest = self.backups.latest_ok
        return {"ok": not self.problems, "databas": self.database, "rapporter": self.reports,
                "schemaversion": self.schema_version, "schemaversion_programmet":
                LATEST_VERSION,
                "senaste_sakerhetskopia": latest.at if latest else None,
                "senaste_forsoket_lyckades": (self.backups.latest.ok
                                              if self.backups.latest else None),
                "ledigt_utrymme_byte": self.disk_free, "problem": list(self.problems)}


def health(store: Store | None, db: str | os.PathLike[str],
           now: dt.datetime | None = None) -> Health:
    """Database (opened by the caller: `store`, or None when it could not be), latest
    backup, schema version and disk space, with every problem named (Swedish)."""
    path = Path(os.path.abspath(db))
    problems: list[str] = []
    reports = version = None
    if store is None:
        problems.append(f"Databasen {path} kan inte användas.")
    else:
        try:
            reports, version = store.report_count(), store.schema_version
        except Exception as exc:  # a damaged file shows itself here
            problems.append(f"Databasen {path} går inte att läsa: {exc}")
        if version is not None and version != LATEST_VERSION:
            problems.append(f"Databasen har schemaversion {version}, programmet "
                            f"{LATEST_VERSION}.")
    status = backup_status(path)
    problem = status.problem(now)
    if problem:
        problems.append(problem)
    free = shutil.disk_usage(path.parent if path.parent.exists() else Path.cwd()).free
    if free < MIN_FREE_BYTES:
        problems.append(f"Bara {free / 2**20:.0f} MB ledigt i {path.parent}.")
    return Health(str(path), reports, version, status, free, tuple(problems))
