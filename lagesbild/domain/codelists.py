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
            place=row.get("plats", "").lower() not in NOT_A_PLACE,
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


def _fingerprint(folder: Path, area_file: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.csv")) + [area_file]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


@cache
def load(folder: Path | None = None, area_file: Path | None = None) -> Codelists:
    """Load every code list in the folder (default data/kodlistor) and the RegSO areas."""
    folder = folder or config.CODELIST_DIR
    area_file = area_file or config.AREAS_FILE
    lists = {p.stem: read_codelist(p) for p in sorted(folder.glob("*.csv"))
             if not p.stem.startswith("kolumner")}  # kolumner*.csv define headers
    area_lookup: dict[str, AreaMatch] = {}
    for area in areas(area_file):
        match = AreaMatch(area.district, area.code)
        area_lookup[match_key(area.code)] = match
        area_lookup[match_key(area.name)] = match
    columns = tuple(_read_csv(folder / "kolumner.csv"))
    return Codelists(lists, area_lookup, columns, _fingerprint(folder, area_file))
