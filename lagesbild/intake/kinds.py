"""The kinds of data the intake takes in, each a declaration for the one pipeline.

A `Kind` says what is particular about a kind of data and nothing else: its contract (the
header vocabulary a file is read with), its dataset (the table and the key it is stored
under), how one sheet's cells become canonical rows, and – where it has them – how rows get
their partner (reports), what a complete delivery covers (`scope`), and what else a batch of
it writes (reports replace nil returns). The steps themselves are lagesbild.intake.pipeline's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from lagesbild.domain import codelists as codelist_module
from lagesbild.domain.codelists import ColumnVocabulary
from lagesbild.domain.periods import parse_quarter, quarter_label
from lagesbild.domain.problems import Problem
from lagesbild.intake import partners as partner_register
from lagesbild.intake.codelists import CODELIST_KIND
from lagesbild.intake.followup.kinds import ACTIVITY_KIND, TRAINING_KIND, event_kind
from lagesbild.intake.kind import Context, Kind, Validated, declare
from lagesbild.intake.reading import Sheet
from lagesbild.intake.validate import as_text, validate_sheet
from lagesbild.store.schema import (
    NIL_RETURNS,
    PARTNERS,
    POPULATION,
    REPORTS,
    Dataset,
)


# -- reports ---------------------------------------------------------------------------------------
def _report_vocabulary(context: Context) -> ColumnVocabulary:
    return context.codelists


def _validate_reports(sheet: Sheet, context: Context) -> Validated:
    validated = validate_sheet(sheet, context.codelists, context.today, dedupe=False)
    return Validated(validated.reports, validated.problems, 0, sheet.numbers)


def _identify_reports(sheet: Sheet, rows: pa.Table, context: Context) \
        -> tuple[pa.Table, list[Problem]]:
    return partner_register.identify(sheet, rows, partner_register.register(context.store),
                                     context.partner, sheet.file_name)


def _replaced_nil_returns(rows: pa.Table, context: Context) \
        -> tuple[tuple[Dataset, pa.Table], ...]:
    """The nil returns of the partners and quarters the reports are for: later reports
    replace them (withdrawn in the same batch)."""
    if context.store is None:
        return ()
    current = context.store.select_current(NIL_RETURNS)
    if not len(current):
        return ()
    pairs = REPORT_KIND.scope_of(rows)
    wanted = set(zip(pairs.column("partner").to_pylist(), pairs.column("kvartal").to_pylist(),
                     strict=True))
    gone = [r for r in current.to_pylist() if (r["partner"], r["kvartal"]) in wanted]
    if not gone:
        return ()
    return ((NIL_RETURNS, pa.table({
        "partner": [r["partner"] for r in gone], "kvartal": [r["kvartal"] for r in gone],
        "borttagen": [True] * len(gone)})),)


REPORT_KIND = declare(Kind(
    "rapporter", "rapporter", REPORTS, _report_vocabulary, _validate_reports,
    identify=_identify_reports, also=_replaced_nil_returns, scope=("partner", "kvartal"),
    key_column="rapport_id", shown_key=("partner", "rapport_id"), moved_by="datum",
    different_if=("datum", "omrade", "form", "handelse"), confirms=True,
    file_label="en rapportfil", removes_demo=True))


# -- population ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _PopulationVocabulary(ColumnVocabulary):
    columns: tuple[dict[str, str], ...] = (
        {"namn": "regsokod", "rubrik": "regsokod",
         "alias": "RegSO|RegSO-kod|Kod|Områdeskod|Statistikområde", "obligatorisk": "ja"},
        {"namn": "ar", "rubrik": "ar", "alias": "År|Year", "obligatorisk": "ja"},
        {"namn": "befolkning", "rubrik": "befolkning",
         "alias": "Folkmängd|Folkmangd|Antal|Invånare|Antal invånare", "obligatorisk": "ja"},
    )
    min_header_matches: int = 1
    missing_reason: str = "Kolumn saknas: {header}"


POPULATION_VOCABULARY = _PopulationVocabulary()
FIRST_YEAR = 1968


def _validate_population(sheet: Sheet, context: Context) -> Validated:
    known = {a.code for a in codelist_module.areas()}
    this_year = context.today.year
    column_of = {f: j for j, f in enumerate(sheet.fields) if f}
    headers = {f: sheet.headers[j] for f, j in column_of.items()}
    problems: list[Problem] = []
    out: dict[str, list[object]] = {"regsokod": [], "ar": [], "befolkning": []}
    numbers: list[int] = []
    seen: dict[tuple[str, int], int] = {}

    def problem(row: int, field: str, reason: str, fix: str, value: str | None) -> None:
        problems.append(Problem(sheet.file_name, reason, fix, sheet=sheet.sheet_name, row=row,
                                column=headers.get(field, field), value=value))

    for number, cells in zip(sheet.row_numbers, sheet.rows, strict=True):
        text = {f: as_text(cells[j]) if j < len(cells) else "" for f, j in column_of.items()}
        code = text["regsokod"].upper()
        ok = True
        if code not in known:
            problem(number, "regsokod", "Okänd RegSO-kod", "Använd en av kommunens RegSO-koder "
                    "2480R001–2480R042 (se data/omraden_umea.csv).", text["regsokod"])
            ok = False
        year = text["ar"]
        if not (year.isdigit() and FIRST_YEAR <= int(year) <= this_year + 1):
            problem(number, "ar", "Ogiltigt år", f"Skriv året med fyra siffror, "
                    f"{FIRST_YEAR}–{this_year + 1}.", year)
            ok = False
        count = text["befolkning"].replace(" ", "").replace("\u00a0", "")
        if not count.isdigit():
            reason = ("Befolkningen är negativ" if count.startswith("-") and count[1:].isdigit()
                      else "Befolkningen är inte ett heltal")
            problem(number, "befolkning", reason, "Skriv antalet invånare som ett heltal 0 "
                    "eller större, utan decimaler.", text["befolkning"])
            ok = False
        if not ok:
            continue
        key = (code, int(year))
        if key in seen:
            problems.append(Problem(sheet.file_name, f"{code} {year} finns på flera rader",
                                    f"Behåll en av raderna (den första är rad {seen[key]}).",
                                    sheet=sheet.sheet_name, row=number))
            continue
        seen[key] = number
        for name, value in zip(out, (code, int(year), int(count)), strict=True):
            out[name].append(value)
        numbers.append(number)
    table = pa.table({"regsokod": pa.array(out["regsokod"], pa.string()),
                      "ar": pa.array(out["ar"], pa.int32()),
                      "befolkning": pa.array(out["befolkning"], pa.int32())})
    return Validated(table, problems, 0, pa.array(numbers, pa.int64()))


POPULATION_KIND = declare(Kind(
    POPULATION.kind, "befolkningssiffror", POPULATION,
    lambda context: POPULATION_VOCABULARY, _validate_population, audit_action="referensdata",
    key_column="regsokod", shown_key=("regsokod", "ar"),
    template_hint="Filen ska ha kolumnerna regsokod, ar och befolkning (en rad per område och "
                  "år), som data/befolkning.csv.", file_label="en befolkningstabell"))


# -- the partner register --------------------------------------------------------------------------
def _validate_partner_rows(sheet: Sheet, context: Context) -> Validated:
    rows, problems = partner_register.validate_partners(
        sheet, partner_register.register(context.store))
    return Validated(rows, problems, 0, sheet.numbers)


PARTNER_KIND = declare(Kind(
    PARTNERS.kind, "partner", PARTNERS, lambda context: partner_register.VOCABULARY,
    _validate_partner_rows, audit_action="referensdata", key_column="namn",
    shown_key=("namn",),
    template_hint="Filen ska ha kolumnerna Partner och Verksamhet (och gärna Numrering, Aktiv "
                  "från, Aktiv till och Föregångare)."))


# -- nil returns -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _NilVocabulary(ColumnVocabulary):
    columns: tuple[dict[str, str], ...] = (
        {"namn": "partner", "rubrik": "Partner", "alias": "", "obligatorisk": "ja"},
        {"namn": "kvartal", "rubrik": "Kvartal", "alias": "", "obligatorisk": "ja"},
    )
    min_header_matches: int = 1


def _validate_nil(sheet: Sheet, context: Context) -> Validated:
    register = partner_register.register(context.store)
    problems: list[Problem] = []
    out: dict[str, list[str]] = {"partner": [], "kvartal": []}
    this = quarter_label(context.today.year, (context.today.month - 1) // 3 + 1)
    for number, (name, text) in zip(sheet.row_numbers, sheet.rows, strict=True):
        partner = partner_register.find(register, str(name or ""))
        try:
            quarter = quarter_label(*parse_quarter(str(text or "")))
        except ValueError:
            problems.append(Problem(sheet.file_name, "Kvartalet går inte att tolka",
                                    "Skriv kvartalet som 2026K3.", row=number, column="Kvartal",
                                    value=str(text or "")))
            continue
        if partner is None:
            problems.append(Problem(sheet.file_name, f"Partnern ”{name}” finns inte i "
                                    "partnerregistret", "Registrera partnern med `"
                                    + partner_register.add_command(str(name or "NAMN"))
                                    + "`, eller välj en partner som finns.", row=number,
                                    column="Partner"))
            continue
        if quarter > this:
            problems.append(Problem(sheet.file_name, f"{quarter} har inte börjat",
                                    "En leverans utan rapporter gäller ett kvartal som har "
                                    "börjat eller är slut.", row=number, column="Kvartal"))
            continue
        if not partner.active_in(quarter):
            problems.append(Problem(sheet.file_name, f"{partner.name} är inte aktiv {quarter} "
                                    f"(aktiv {partner.period()})", "Kontrollera kvartalet eller "
                                    "partnerns aktiva period.", row=number, column="Kvartal"))
            continue
        if context.store is not None:
            start, end = _quarter_dates(quarter)
            reports = context.store.select_current(
                REPORTS, "partner = ? AND datum BETWEEN ? AND ?", [partner.name, start, end])
            if len(reports):
                problems.append(Problem(
                    sheet.file_name, f"{partner.name} har redan {len(reports)} rapporter för "
                    f"{quarter}", "En leverans utan rapporter kan bara registreras för ett "
                    "kvartal som saknar rapporter. Ska rapporterna bort: importera partnerns "
                    "fullständiga leverans med Ersätt (--replace), eller återkalla dem.",
                    row=number, column="Kvartal"))
                continue
        out["partner"].append(partner.name)
        out["kvartal"].append(quarter)
    table = pa.table({k: pa.array(v, pa.string()) for k, v in out.items()})
    return Validated(table, problems, 0, sheet.numbers if not problems else None)


def _quarter_dates(quarter: str) -> tuple[dt.date, dt.date]:
    from lagesbild.domain.periods import quarter_end, quarter_start

    return quarter_start(quarter), quarter_end(quarter)


NIL_KIND = declare(Kind(
    NIL_RETURNS.kind, "leveranser utan rapporter", NIL_RETURNS, lambda context: _NilVocabulary(),
    _validate_nil, audit_action="inga rapporter", key_column="kvartal",
    shown_key=("partner", "kvartal")))


def nil_sheet(partner: str, quarter: str, file_name: str) -> Sheet:
    return Sheet(file_name, None, 1, ["Partner", "Kvartal"], ["partner", "kvartal"],
                 [[partner, quarter]], [2])


KINDS = (REPORT_KIND, TRAINING_KIND, ACTIVITY_KIND, POPULATION_KIND, PARTNER_KIND, NIL_KIND,
         CODELIST_KIND)


def kind_named(name: str) -> Kind:
    """The kind whose batches have this kind (KeyError for one that has none)."""
    for kind in (*KINDS, event_kind()):
        if kind.name == name:
            return kind
    raise KeyError(name)
