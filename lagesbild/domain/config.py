"""Where things live and the settings an administrator may change (data/installningar.toml)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("LAGESBILD_DATA", PROJECT_DIR / "data"))
CODELIST_DIR = DATA_DIR / "kodlistor"
AREAS_FILE = DATA_DIR / "omraden_umea.csv"
POPULATION_FILE = DATA_DIR / "befolkning.csv"
GEOJSON_FILE = DATA_DIR / "umea_regso2025.geojson"
SETTINGS_FILE = DATA_DIR / "installningar.toml"
SETTINGS_ENV = "LAGESBILD_SETTINGS"
DEFAULT_DB = DATA_DIR / "lagesbild.duckdb"


def database_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The DuckDB file: an explicit path, else $LAGESBILD_DB, else data/lagesbild.duckdb."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("LAGESBILD_DB") or DEFAULT_DB)


@dataclass(frozen=True)
class Disclosure:
    """Disclosure-control setting (cell-key method, lagesbild.numbers.disclosure): counts
    1..threshold-1 are hidden; rounding > 1 publishes the others randomly rounded to that
    base, otherwise with a small perturbation (at most ±2)."""

    threshold: int = 5
    rounding: int = 0


# The one note on every page and export with protected numbers.
DISCLOSURE_NOTE = "Små avvikelser kan förekomma för att skydda enskilda."


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int = 200 * 2**20
    max_rows: int = 1_000_000
    max_uncompressed_bytes: int = 1000 * 2**20


@dataclass(frozen=True)
class Server:
    """Who may reach the dashboard when it is shared through a reverse proxy ([server])."""

    host_names: tuple[str, ...] = ()  # the names users type (Host header), lower case
    proxies: tuple[str, ...] = ("127.0.0.1", "::1")  # peers whose X-Forwarded-For is believed


@dataclass(frozen=True)
class SignIn:
    """Sessions and the identity provider ([inloggning])."""

    idle_minutes: float = 30.0  # a signed-in user is signed out after this long without use
    oidc_trusted_email: bool = False  # True: an e-mail counts without email_verified


@dataclass(frozen=True)
class Backups:
    """Scheduled backups made by the running app ([sakerhetskopia])."""

    time_of_day: str | None = "02:30"  # HH:MM local time; None: no scheduled backups
    keep: int = 14  # how many scheduled backups are kept (the oldest are removed)
    folder: str | None = None  # None: the folder sakerhetskopior/ beside the database
    catch_up_seconds: float = 60.0  # after start, when the newest is over a day old


@dataclass(frozen=True)
class Settings:
    disclosure: Disclosure
    public_disclosure: Disclosure
    cli_limits: ImportLimits
    web_limits: ImportLimits
    server: Server = Server()
    sign_in: SignIn = SignIn()
    backups: Backups = Backups()
    analysts_approve: bool = True  # analysts may approve the quarter's lägesbild


def settings_path() -> Path:
    """The settings file: $LAGESBILD_SETTINGS, else data/installningar.toml."""
    return Path(os.environ.get(SETTINGS_ENV) or SETTINGS_FILE)


def _names(value: object, key: str, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} i {path} ska vara en lista med texter, t.ex. "
                         f'{key} = ["lagesbild.umea.se"].')
    return tuple(v.strip().lower().rstrip(".") for v in value if v.strip())


def _server(raw: dict, path: Path) -> Server:
    default = Server()
    return Server(
        host_names=_names(raw.get("vardnamn", []), "vardnamn", path),
        proxies=_names(raw.get("proxy", list(default.proxies)), "proxy", path),
    )


def _sign_in(raw: dict, path: Path) -> SignIn:
    idle = float(raw.get("inaktiv_minuter", SignIn.idle_minutes))
    if not idle > 0:
        raise ValueError(f"inaktiv_minuter i {path} måste vara större än 0 (standard 30).")
    return SignIn(idle_minutes=idle,
                  oidc_trusted_email=bool(raw.get("oidc_betrodd_epost", False)))


def _backups(raw: dict, path: Path) -> Backups:
    time_of_day = str(raw.get("tid", "02:30")).strip() or None
    if time_of_day is not None:
        hour, _, minute = time_of_day.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise ValueError(f"[sakerhetskopia] tid = {time_of_day!r} i {path} ska "
                             "vara en tid som \"02:30\" (eller \"\" för inga automatiska).")
    keep = int(raw.get("behall", 14))
    if keep < 1:
        raise ValueError(f"[sakerhetskopia] behall i {path} ska vara minst 1.")
    return Backups(time_of_day, keep, str(raw.get("katalog", "")).strip() or None,
                   float(raw.get("vid_start_efter_sekunder", 60)))


@cache
def settings() -> Settings:
    """Read data/installningar.toml (or $LAGESBILD_SETTINGS) once per process."""
    path = settings_path()
    raw = tomllib.loads(path.read_text("utf-8")) if path.exists() else {}
    roja = raw.get("roja", {})
    publik = roja.get("publik", {})
    imp = raw.get("import", {})
    mb = 2**20
    unzip = int(imp.get("max_okomprimerat_megabyte", 1000)) * mb
    return Settings(
        disclosure=Disclosure(int(roja.get("troskel", 5)), int(roja.get("avrundning", 0))),
        public_disclosure=Disclosure(
            int(publik.get("troskel", 10)), int(publik.get("avrundning", 5))
        ),
        cli_limits=ImportLimits(
            int(imp.get("max_megabyte", 200)) * mb, int(imp.get("max_rader", 1_000_000)), unzip
        ),
        web_limits=ImportLimits(
            int(imp.get("max_megabyte_webb", 50)) * mb,
            int(imp.get("max_rader_webb", 200_000)),
            unzip,
        ),
        server=_server(raw.get("server", {}), path),
        sign_in=_sign_in(raw.get("inloggning", {}), path),
        backups=_backups(raw.get("sakerhetskopia", {}), path),
        analysts_approve=bool(raw.get("lagesbild", {}).get("analytiker_faststaller", True)),
    )
