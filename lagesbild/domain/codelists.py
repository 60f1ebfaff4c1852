"""Code lists from data/kodlistor: valid values, their aliases and their versions.

Every field with a fixed set of values (form, event type, sector, …) has one CSV file. Matching
ignores case, surrounding spaces, diacritics and the kind of dash, and goes through aliases.
Areas have two levels: districts (`omrade.csv`) and SCB's RegSO areas (`omraden_umea.csv`);
a report may name either, and a RegSO area rolls up to its district. A district that is no
place in the municipality (Digitalt, Okänt: column `plats` = nej in omrade.csv) has no
population and is not on the map: `no_place()` lists them.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lagesbild.domain import config
from lagesbild.domain.text import match_key

# Canonical field names, in template order.
FIELDS = (
    "rapport_id", "datum", "rapporttyp", "omrade", "form", "handelse",
    "verksamhet", "kon", "aldersgrupp", "konsultation",
)
# The value an empty optional field is stored as.
UNKNOWN = {"kon": "Okänt", "aldersgrupp": "Okänd", "konsultation": "Nej"}
# Code list file (without .csv) behind each coded field.
LIST_OF_FIELD = {
    "rapporttyp": "rapporttyp", "omrade": "omrade", "form": "former", "handelse": "handelse",
    "verksamhet": "verksamhet", "kon": "kon", "aldersgrupp": "aldersgrupp",
    "konsultation": "konsultation",
}
# Exact ages are banded into these (lower bound, label); an exact age is never stored.
AGE_BANDS = ((0, "0–12"), (13, "13–15"), (16, "16–17"), (18, "18–24"), (25, "25–39"), (40, "40+"))


@dataclass(frozen=True)
class Code:
    """One valid value of a code list."""

    value: str
    aliases: tuple[str, ...] = ()
    valid_from: str = ""  # first quarter in use, e.g. "2024K1"; "" = always
    valid_to: str = ""  # last quarter in use; "" = still valid
    replaced_by: str = ""
    description: str = ""
    place: bool = True  # omrade.csv, column plats: a place in the municipality (map, population)


@dataclass(frozen=True)
class CodeList:
    name: str
    codes: tuple[Code, ...]
    lookup: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def values(self) -> list[str]:
        return [c.value for c in self.codes]

    def match(self, raw: object) -> str | None:
        """The canonical value for a raw cell, or None when it is not in the list."""
        return self.lookup.get(match_key(raw))

    def suggest(self, raw: object) -> str | None:
        """The nearest valid value, for 'menade du …?' hints."""
        key = match_key(raw)
        hits = difflib.get_close_matches(key, list(self.lookup), n=1, cutoff=0.6)
        return self.lookup[hits[0]] if hits else None


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _build(name: str, codes: list[Code], extra: dict[str, str] | None = None) -> CodeList:
    lookup: dict[str, str] = dict(extra or {})
    for code in codes:  # values win over aliases of other values
        for alias in code.aliases:
            lookup.setdefault(match_key(alias), code.value)
    for code in codes:
        lookup[match_key(code.value)] = code.value
    return CodeList(name, tuple(codes), lookup)


NOT_A_PLACE = ("nej", "n", "no")  # values of the column plats that say "no place"


def is_place(plats: str) -> bool:
    """The column plats of a district: anything but nej (empty: a place)."""
    return plats.strip().lower() not in NOT_A_PLACE


def read_codelist(path: Path) -> CodeList:
    """Read one code-list CSV (columns varde, alias, giltig_fran, giltig_till, ersatts_av, …)."""
    codes = [
        Code(
            value=row["varde"],
            aliases=tuple(a.strip() for a in row.get("alias", "").split("|") if a.strip()),
            valid_from=row.get("giltig_fran", ""),
            valid_to=row.get("giltig_till", ""),
            replaced_by=row.get("ersatts_av", ""),
            description=row.get("beskrivning", ""),
            place=is_place(row.get("plats", "")),
        )
        for row in _read_csv(path)
        if row.get("varde")
    ]
    return _build(path.stem, codes)


@dataclass(frozen=True)
class Area:
    """A RegSO statistical area and the district it belongs to."""

    code: str
    name: str
    district: str
    population: int | None


@cache
def areas(path: Path | None = None) -> tuple[Area, ...]:
    """SCB's RegSO areas of the municipality, from data/omraden_umea.csv."""
    rows = _read_csv(path or config.AREAS_FILE)
    return tuple(
        Area(r["regsokod"], r["regsonamn"], r["omrade"],
             int(r["befolkning"]) if r.get("befolkning") else None)
        for r in rows
    )


@dataclass(frozen=True)
class AreaMatch:
    district: str
    regso: str | None  # the RegSO code when the report named a RegSO area


class ColumnVocabulary:
    """The header vocabulary of a spreadsheet type, from rows of a kolumner*.csv file
    (namn, rubrik, alias, obligatorisk): what `reading.read_sheet` needs to find columns."""

    columns: tuple[dict[str, str], ...]

    def required(self) -> list[str]:
        return [c["namn"] for c in self.columns if c["obligatorisk"].lower() == "ja"]

    def header(self, name: str) -> str:
        return next(c["rubrik"] for c in self.columns if c["namn"] == name)

    def header_lookup(self) -> dict[str, str]:
        """match_key(header or alias) -> canonical field name."""
        lookup: dict[str, str] = {}
        for col in self.columns:
            for alias in [col["rubrik"], col["namn"], *col["alias"].split("|")]:
                if alias.strip():
                    lookup[match_key(alias)] = col["namn"]
        return lookup


@dataclass(frozen=True)
class Codelists(ColumnVocabulary):
    """All code lists of one version, loaded from a folder."""

    lists: dict[str, CodeList]
    area_lookup: dict[str, AreaMatch]
    columns: tuple[dict[str, str], ...]
    version: str

    def for_field(self, name: str) -> CodeList:
        return self.lists[LIST_OF_FIELD[name]]

    def match(self, name: str, raw: object) -> str | None:
        """Canonical value of a coded field (for `omrade`: the district)."""
        if name == "omrade":
            hit = self.match_area(raw)
            return hit.district if hit else None
        return self.for_field(name).match(raw)

    def match_area(self, raw: object) -> AreaMatch | None:
        key = match_key(raw)
        if key in self.area_lookup:
            return self.area_lookup[key]
        district = self.lists["omrade"].match(raw)
        return AreaMatch(district, None) if district else None

    def suggest(self, name: str, raw: object) -> str | None:
        if name == "omrade":
            keys = list(self.area_lookup) + list(self.lists["omrade"].lookup)
            hits = difflib.get_close_matches(match_key(raw), keys, n=1, cutoff=0.6)
            if not hits:
                return None
            hit = self.area_lookup.get(hits[0])
            if hit:
                return next(a.name for a in areas() if a.code == hit.regso) if hit.regso else (
                    hit.district)
            return self.lists["omrade"].lookup[hits[0]]
        return self.for_field(name).suggest(raw)


def no_place(lists: Codelists | None = None) -> tuple[str, ...]:
    """Districts that are no place in the municipality (Digitalt, Okänt): they have no
    population (no rate per inhabitant) and are not drawn on the map."""
    return tuple(code.value for code in (lists or load()).lists["omrade"].codes
                 if not code.place)


def band_age(age: float) -> str | None:
    """The age band of an exact age, or None when it is not a plausible age."""
    if age < 0 or age > 120 or age != int(age):
        return None
    return next(label for lower, label in reversed(AGE_BANDS) if age >= lower)


def _version(lists: dict[str, CodeList], folder: Path, area_file: Path) -> str:
    """A fingerprint of the content: every code of every list, the column files and the areas
    (the same lists read from files or from the database have the same version)."""
    import hashlib

    digest = hashlib.sha256()
    for name in sorted(lists):
        digest.update(name.encode() + b"\0")
        for code in lists[name].codes:
            digest.update("\x1f".join([code.value, "|".join(code.aliases), code.valid_from,
                                       code.valid_to, code.replaced_by, code.description,
                                       "" if code.place else "nej"]).encode() + b"\x1e")
    for path in sorted(folder.glob("kolumner*.csv")) + [area_file]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


# The code lists of the databases in use (see `activate`): (owner id, {list name: codes}), the
# last opened last; the last one is in use.
_active: list[tuple[int, dict[str, tuple[Code, ...]]]] = []
_listeners: list[Callable[[], None]] = []


def activate(owner: object, lists: Mapping[str, Sequence[Code]]) -> None:
    """Make these the code lists `load()` returns (the database's current versions; the files
    in data/kodlistor are only the defaults a new database starts from). `owner` is the store
    that holds them: `deactivate(owner)` when it closes (the one opened before it is then in
    use again)."""
    frozen = {name: tuple(codes) for name, codes in lists.items()}
    before = _active[-1][1] if _active else None
    _active[:] = [item for item in _active if item[0] != id(owner)]
    _active.append((id(owner), frozen))
    if before != frozen:
        _changed()


def deactivate(owner: object) -> None:
    """Forget the lists `owner` set (back to those of the store opened before, or the files)."""
    before = _active[-1][1] if _active else None
    _active[:] = [item for item in _active if item[0] != id(owner)]
    if (_active[-1][1] if _active else None) != before:
        _changed()


def on_change(callback: Callable[[], None]) -> None:
    """Call `callback` whenever the active code lists change (to clear caches built on them)."""
    _listeners.append(callback)


def _changed() -> None:
    load.cache_clear()
    for callback in _listeners:
        callback()


@cache
def load(folder: Path | None = None, area_file: Path | None = None) -> Codelists:
    """The code lists in use: those of the database (see `activate`) or, for a folder given
    (and when no database has set them), every code list in the folder (default
    data/kodlistor); and the RegSO areas."""
    active = _active[-1][1] if folder is None and _active else {}
    folder = folder or config.CODELIST_DIR
    area_file = area_file or config.AREAS_FILE
    lists = {p.stem: read_codelist(p) for p in sorted(folder.glob("*.csv"))
             if not p.stem.startswith("kolumner")}  # kolumner*.csv define headers
    for name, codes in active.items():
        lists[name] = _build(name, list(codes))
    area_lookup: dict[str, AreaMatch] = {}
    for area in areas(area_file):
        match = AreaMatch(area.district, area.code)
        area_lookup[match_key(area.code)] = match
        area_lookup[match_key(area.name)] = match
    columns = tuple(_read_csv(folder / "kolumner.csv"))
    return Codelists(lists, area_lookup, columns, _version(lists, folder, area_file))


def defaults(folder: Path | None = None) -> dict[str, CodeList]:
    """The code lists of the files (data/kodlistor): what a new database starts from."""
    return load(Path(folder or config.CODELIST_DIR)).lists
