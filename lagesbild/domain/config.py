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
class Settings:
    disclosure: Disclosure
    public_disclosure: Disclosure
    cli_limits: ImportLimits
    web_limits: ImportLimits


@cache
def settings() -> Settings:
    """Read data/installningar.toml once per process."""
    raw = tomllib.loads(SETTINGS_FILE.read_text("utf-8")) if SETTINGS_FILE.exists() else {}
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
    )
