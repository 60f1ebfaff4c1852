"""The partner register and the identity of a report.

A partner is an organisation that sends reports (a school, the police, a department), never a
person: name, sector (verksamhet), how it numbers its reports, the quarters it is active and,
optionally, the partner it took over from. The register is reference data in the database
(dataset `partners`), edited through the intake pipeline like every other kind; a new or
migrated database starts with one partner per sector value, named after it and numbered
"löpande", so that files import as before.

The partner of each report row is, in this order:
1. the partner chosen for the file (`--partner`, or the page's choice); a Partner column must
   then agree, or the file is refused;
2. else the file's Partner/Avsändare column;
3. else the sector value, when exactly one partner with that sector is active in the report's
   quarter; otherwise the file is refused with "ange avsändare".
An unknown partner is refused with the command that registers it.

A report's identity is (partner, Rapport-ID normalised, plus the year or the quarter when the
partner's numbering restarts): `id_period` is '' (löpande), '2026' (per-år) or '2026K3'
(per-kvartal).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.codelists import ColumnVocabulary
from lagesbild.domain.periods import parse_quarter, quarter_label
from lagesbild.domain.problems import Problem
from lagesbild.domain.text import match_key
from lagesbild.intake.reading import Cell, Sheet
from lagesbild.store import Receipt, Store
from lagesbild.store.schema import NUMBERINGS, PARTNERS, REPORTS

LOPANDE, PER_AR, PER_KVARTAL = NUMBERINGS
NUMBERING_TEXT = {LOPANDE: "löpande (numreringen börjar aldrig om)",
                  PER_AR: "per år (numreringen börjar om varje år)",
                  PER_KVARTAL: "per kvartal (numreringen börjar om varje kvartal)"}
MAX_NAME = 80


@dataclass(frozen=True)
class Partner:
    name: str
    sector: str
    numbering: str = LOPANDE
    active_from: str | None = None  # first quarter, e.g. 2026K1
    active_to: str | None = None
    predecessor: str | None = None

    def active_in(self, quarter: str) -> bool:
        return ((not self.active_from or self.active_from <= quarter)
                and (not self.active_to or quarter <= self.active_to))

    def period(self) -> str:
        if not self.active_from and not self.active_to:
            return "alltid"
        return f"{self.active_from or '…'}–{self.active_to or '…'}"


def register(store: Store | None) -> list[Partner]:
    """The partners of the database (without one: one per sector value)."""
    if store is None:
        return [Partner(v, v) for v in codelist_module.load().for_field("verksamhet").values]
    rows = store.select_current(PARTNERS).to_pylist()
    return [Partner(r["namn"], r["verksamhet"], r["numrering"], r["aktiv_fran"],
                    r["aktiv_till"], r["foretradare"]) for r in rows]


def find(partners: Sequence[Partner], name: str | None) -> Partner | None:
    if not name:
        return None
    key = match_key(name)
    return next((p for p in partners if match_key(p.name) == key), None)


def add_command(name: str, sector: str | None = None) -> str:
    sector_text = f'"{sector}"' if sector else "VERKSAMHET"
    return f'lagesbild partner add "{name}" --sector {sector_text}'


def _quarters(dates: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(pc.cast(pc.year(dates), pa.string()),
                                       pc.cast(pc.quarter(dates), pa.string()), "K")


def id_periods(numbering: pa.Array, dates: pa.Array) -> pa.Array:
    """The part of each report's identity that its partner's numbering gives."""
    years = pc.cast(pc.year(dates), pa.string())
    quarters = _quarters(dates)
    empty = pa.repeat(pa.scalar("", pa.string()), len(dates))
    return pc.if_else(pc.equal(numbering, PER_KVARTAL), quarters,
                      pc.if_else(pc.equal(numbering, PER_AR), years, empty))


# -- identifying the partner of each report --------------------------------------------------------
class _Finder:
    """Resolves (partner cell, sector, quarter) to a partner, collecting problems."""

    def __init__(self, partners: list[Partner], chosen: str | None, file_name: str,
                 sheet: Sheet):
        self.partners = partners
        self.by_name = {match_key(p.name): p for p in partners}
        self.by_sector: dict[str, list[Partner]] = {}
        for p in partners:
            self.by_sector.setdefault(match_key(p.sector), []).append(p)
        self.chosen_name = chosen
        self.chosen = find(partners, chosen) if chosen else None
        self.file_name = file_name
        self.sheet = sheet
        self.problems: list[Problem] = []
        self.partner_column = sheet.fields.index("partner") if "partner" in sheet.fields \
            else None
        self.sector_column = (sheet.headers[sheet.fields.index("verksamhet")]
                              if "verksamhet" in sheet.fields else "Rapporterande verksamhet")

    def column_header(self) -> str:
        assert self.partner_column is not None
        return self.sheet.headers[self.partner_column]

    def problem(self, row: int | None, count: int, reason: str, fix: str,
                column: str | None = None, value: str | None = None) -> None:
        many = f" ({count} rader)" if count > 1 else ""
        self.problems.append(Problem(self.file_name, reason + many, fix,
                                     sheet=self.sheet.sheet_name, row=row, column=column,
                                     value=value))

    def resolve(self, cell: str, sector: str, quarter: str, row: int | None, count: int) \
            -> Partner | None:
        if self.chosen is not None:
            if cell and match_key(cell) != match_key(self.chosen.name):
                self.problem(row, count, f"Raden anger partnern ”{cell}”, men filen importeras "
                             f"för {self.chosen.name}",
                             f"Rätta kolumnen {self.column_header()} eller välj rätt partner "
                             "för filen. En fil från flera partner importeras utan vald partner.",
                             self.column_header(), cell)
                return None
            return self._active(self.chosen, quarter, row, count)
        if cell:
            partner = self.by_name.get(match_key(cell))
            if partner is None:
                self.problem(row, count, f"Partnern ”{cell}” finns inte i partnerregistret",
                             "Registrera partnern (kommandot `" + add_command(cell, sector)
                             + "`, eller under Partnerregister på sidan Ladda upp) eller rätta "
                             "namnet, och importera igen.", self.column_header(), cell)
                return None
            return self._active(partner, quarter, row, count)
        candidates = [p for p in self.by_sector.get(match_key(sector), [])
                      if p.active_in(quarter)]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            self.problem(row, count, f"Ingen partner med verksamheten {sector} är aktiv "
                         f"{quarter}", "Ange avsändare: välj partner för filen (`--partner "
                         "NAMN`, eller på sidan), lägg till kolumnen Partner, eller registrera "
                         "partnern med `" + add_command("NAMN", sector) + "`.",
                         self.sector_column, sector)
            return None
        names = ", ".join(p.name for p in candidates)
        self.problem(row, count, f"Flera partner har verksamheten {sector} ({names}); det går "
                     "inte att avgöra vem som skickat rapporten",
                     "Ange avsändare: välj partner för filen (`--partner NAMN`, eller på "
                     "sidan), eller lägg till kolumnen Partner med partnerns namn på varje "
                     "rad.", self.sector_column, sector)
        return None

    def _active(self, partner: Partner, quarter: str, row: int | None, count: int) \
            -> Partner | None:
        if partner.active_in(quarter):
            return partner
        self.problem(row, count, f"Rapporten gäller {quarter}, men {partner.name} är aktiv "
                     f"{partner.period()}", "Kontrollera datumet, eller ändra partnerns aktiva "
                     "period i partnerregistret.", "Datum")
        return None


def identify(sheet: Sheet, rows: pa.Table, partners: list[Partner], chosen: str | None,
             file_name: str) -> tuple[pa.Table, list[Problem]]:
    """The rows with their partner and id_period (see the module text), or the problems."""
    finder = _Finder(partners, chosen, file_name, sheet)
    if chosen and finder.chosen is None:
        return rows, [Problem(file_name, f"Partnern ”{chosen}” finns inte i partnerregistret",
                              "Registrera partnern med `" + add_command(chosen) + "` (eller "
                              "under Partnerregister på sidan Ladda upp), eller välj en "
                              "partner som finns (`lagesbild partner list`).")]
    n = len(rows)
    if not n:
        return rows.append_column("id_period", pa.array([], pa.string())), []
    # every row's (partner cell, sector, quarter) as one integer, to resolve each once
    dates = rows.column("datum").combine_chunks()
    sectors = pc.dictionary_encode(rows.column("verksamhet").combine_chunks())
    sector_names = sectors.dictionary.to_pylist()
    quarter_number = (pc.year(dates).to_numpy(zero_copy_only=False).astype(np.int64) * 4
                      + pc.quarter(dates).to_numpy(zero_copy_only=False) - 1)
    first_quarter = int(quarter_number.min())
    span = int(quarter_number.max()) - first_quarter + 1
    combined = (sectors.indices.to_numpy(zero_copy_only=False).astype(np.int64) * span
                + quarter_number - first_quarter)
    cell_names: list[str] = [""]
    if finder.partner_column is not None:
        cells = pc.dictionary_encode(pc.fill_null(
            pc.utf8_trim_whitespace(sheet.columns[finder.partner_column]), ""))
        cell_names = cells.dictionary.to_pylist()
        combined += (cells.indices.to_numpy(zero_copy_only=False).astype(np.int64)
                     * span * len(sector_names))
    keys, first_rows, inverse, counts = np.unique(combined, return_index=True,
                                                  return_inverse=True, return_counts=True)
    names: list[str | None] = []
    numbering: list[str | None] = []
    numbers = sheet.numbers
    for key, first, count in zip(keys.tolist(), first_rows.tolist(), counts.tolist(),
                                 strict=True):
        cell, rest = divmod(key, span * len(sector_names))
        sector, offset = divmod(rest, span)
        quarter = _quarter_of_number(first_quarter + offset)
        row = numbers[first].as_py() if 0 <= first < len(numbers) else None
        found = finder.resolve(cell_names[cell], sector_names[sector], quarter, row, count)
        names.append(found.name if found else None)
        numbering.append(found.numbering if found else None)
    if finder.problems:
        finder.problems.sort(key=lambda p: p.row or 0)
        return rows, finder.problems
    take = pa.array(inverse.reshape(-1))
    partner = pa.array(names, pa.string()).take(take)
    rows = rows.set_column(rows.column_names.index("partner"), "partner", partner)
    if all(scheme == LOPANDE for scheme in numbering):
        periods = pa.repeat(pa.scalar("", pa.string()), n)
    else:
        periods = id_periods(pa.array(numbering, pa.string()).take(take), dates)
    return rows.append_column("id_period", periods), []


def _quarter_of_number(number: int) -> str:
    """'2026K3' for year * 4 + quarter - 1."""
    year, index = divmod(number, 4)
    return quarter_label(year, index + 1)


# -- the register as a kind of data ----------------------------------------------------------------
@dataclass(frozen=True)
class PartnerVocabulary(ColumnVocabulary):
    """The columns of a partner register file (and of the register's form)."""

    columns: tuple[dict[str, str], ...] = (
        {"namn": "namn", "rubrik": "Partner", "alias": "Namn|Organisation|Avsändare",
         "obligatorisk": "ja"},
        {"namn": "verksamhet", "rubrik": "Verksamhet",
         "alias": "Rapporterande verksamhet|Sektor", "obligatorisk": "ja"},
        {"namn": "numrering", "rubrik": "Numrering", "alias": "Numrering av rapporter",
         "obligatorisk": "nej"},
        {"namn": "aktiv_fran", "rubrik": "Aktiv från", "alias": "Från|Första kvartal",
         "obligatorisk": "nej"},
        {"namn": "aktiv_till", "rubrik": "Aktiv till", "alias": "Till|Sista kvartal",
         "obligatorisk": "nej"},
        {"namn": "foretradare", "rubrik": "Föregångare", "alias": "Efterträder|Tidigare partner",
         "obligatorisk": "nej"},
    )
    min_header_matches: int = 2


VOCABULARY = PartnerVocabulary()
_NUMBERING_ALIASES = {match_key(a): n for n, aliases in {
    LOPANDE: ("löpande", "lopande", "aldrig", "nej", ""),
    PER_AR: ("per-år", "per år", "år", "årsvis", "varje år"),
    PER_KVARTAL: ("per-kvartal", "per kvartal", "kvartal", "kvartalsvis", "varje kvartal"),
}.items() for a in aliases}


def parse_numbering(text: str | None) -> str | None:
    return _NUMBERING_ALIASES.get(match_key(text or ""))


def validate_partners(sheet: Sheet, existing: list[Partner]) \
        -> tuple[pa.Table, list[Problem]]:
    """Canonical register rows (PARTNERS columns) of a sheet, or the problems."""
    lists = codelist_module.load()
    sectors = lists.for_field("verksamhet")
    column_of = {f: j for j, f in enumerate(sheet.fields) if f}
    problems: list[Problem] = []
    out: dict[str, list[object]] = {c: [] for c in PARTNERS.columns}
    names = {match_key(p.name) for p in existing}

    def cell(row: list[Cell], name: str) -> str:
        j = column_of.get(name)
        value = row[j] if j is not None and j < len(row) else None
        return " ".join(str(value).split()) if value not in (None, "") else ""

    def problem(number: int, name: str, reason: str, fix: str, value: str = "") -> None:
        j = column_of.get(name)
        problems.append(Problem(sheet.file_name, reason, fix, sheet=sheet.sheet_name,
                                row=number, column=sheet.headers[j] if j is not None
                                else VOCABULARY.header(name), value=value or None))

    incoming = {match_key(cell(r, "namn")) for r in sheet.rows}
    for number, row in zip(sheet.row_numbers, sheet.rows, strict=True):
        name = cell(row, "namn")
        if not name:
            problem(number, "namn", "Partnerns namn saknas", "Skriv organisationens namn, "
                    "t.ex. Ersboda skola.")
        elif len(name) > MAX_NAME:
            problem(number, "namn", "Namnet är för långt", f"Högst {MAX_NAME} tecken.")
        sector_text = cell(row, "verksamhet")
        sector = sectors.match(sector_text) if sector_text else None
        if sector is None:
            problem(number, "verksamhet", "Okänd verksamhet" if sector_text else
                    "Verksamhet saknas", f"Välj en av: {', '.join(sectors.values)}.",
                    sector_text)
        numbering = parse_numbering(cell(row, "numrering"))
        if numbering is None:
            problem(number, "numrering", "Okänd numrering", "Skriv löpande, per-år eller "
                    "per-kvartal: när börjar partnerns numrering av rapporter om?",
                    cell(row, "numrering"))
        quarters = []
        for column in ("aktiv_fran", "aktiv_till"):
            text = cell(row, column)
            try:
                quarters.append(quarter_label(*parse_quarter(text)) if text else None)
            except ValueError:
                problem(number, column, "Kvartalet går inte att tolka",
                        "Skriv kvartalet som 2026K1, eller lämna tomt.", text)
                quarters.append(None)
        if quarters[0] and quarters[1] and quarters[1] < quarters[0]:
            problem(number, "aktiv_till", "Aktiv till ligger före Aktiv från",
                    "Kontrollera kvartalen.", quarters[1])
        before = cell(row, "foretradare")
        if before and match_key(before) not in names | incoming:
            problem(number, "foretradare", f"Föregångaren ”{before}” finns inte i "
                    "partnerregistret", "Skriv namnet på en registrerad partner.", before)
        elif before and match_key(before) == match_key(name):
            problem(number, "foretradare", "En partner kan inte efterträda sig själv",
                    "Lämna Föregångare tomt eller skriv en annan partner.", before)
        previous = find(existing, before) if before else None
        for column, value in zip(PARTNERS.columns, (
                name, sector, numbering, quarters[0], quarters[1],
                previous.name if previous else before or None), strict=True):
            out[column].append(value)
    table = pa.table({c: pa.array(v, pa.string()) for c, v in out.items()})
    return table, problems


def partner_sheet(name: str, sector: str, numbering: str = LOPANDE,
                  active_from: str | None = None, active_to: str | None = None,
                  predecessor: str | None = None, file_name: str = "partnerregistret") \
        -> Sheet:
    """One register entry as a one-row Sheet, checked like a file."""
    fields: list[str | None] = list(PARTNERS.columns)
    return Sheet(file_name, None, 1, [VOCABULARY.header(str(f)) for f in fields], fields,
                 [[name, sector, numbering, active_from, active_to, predecessor]], [2])


# -- mending history -------------------------------------------------------------------------------
def reassign(store: Store, batch_id: int, partner_name: str, by: str) -> Receipt:
    """Give every report of a past batch to another partner (see Store.reassign_batch)."""
    from lagesbild.intake.followup.edits import EditRefused

    partner = find(register(store), partner_name)
    if partner is None:
        raise EditRefused(f"Partnern ”{partner_name}” finns inte i partnerregistret. "
                          f"Registrera den först med `{add_command(partner_name)}`.")
    rows = store.batch_rows(REPORTS, batch_id)
    if not len(rows):
        raise EditRefused(f"Import {batch_id} innehåller inga rapporter.")
    rows = rows.set_column(rows.column_names.index("partner"), "partner",
                           pa.repeat(pa.scalar(partner.name), len(rows)))
    periods = id_periods(pa.repeat(pa.scalar(partner.numbering), len(rows)),
                         rows.column("datum").combine_chunks())
    rows = rows.set_column(rows.column_names.index("id_period"), "id_period", periods)
    return store.reassign_batch(batch_id, rows, by)


def successors(partners: Sequence[Partner]) -> dict[str, list[str]]:
    """{predecessor: its successors}."""
    found: dict[str, list[str]] = {}
    for p in partners:
        if p.predecessor:
            found.setdefault(p.predecessor, []).append(p.name)
    return found


def today_quarter(today: dt.date | None = None) -> str:
    day = today or dt.date.today()
    return quarter_label(day.year, (day.month - 1) // 3 + 1)
