"""The Excel template partners fill in: one sheet of reports, instructions and code lists.

Sheet order matters: the import reads the first sheet, so "Rapporter" comes first. The drop-down
lists reference a hidden, protected sheet "Kodlistor" (inline lists are limited to 255 chars).
The template has no example rows, since an example row would be imported as a report.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from lagesbild.domain.codelists import FIELDS, UNKNOWN, Codelists, areas, load
from lagesbild.domain.spreadsheet import write_cell

REPORT_SHEET = "Rapporter"
INSTRUCTION_SHEET = "Instruktioner"
CODELIST_SHEET = "Kodlistor"
LAST_ROW = 1_048_576  # validations cover the whole column below the header
DATE_FORMAT = "yyyy-mm-dd"

_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
# What each column holds: (input-message text, longer explanation for the instructions).
_HELP: dict[str, tuple[str, str]] = {
    "rapport_id": (
        "Eget löpnummer, unikt inom er verksamhet, t.ex. 2026-017. Inte ett diarie- eller "
        "journalnummer.",
        "Ert eget löpnummer för rapporten, unikt inom er verksamhet (t.ex. 2026-017). Skickar "
        "ni samma rapport igen med rättelser ska den ha samma Rapport-ID; då ersätter den nya "
        "versionen den gamla. Använd inte diarie-, journal- eller ärendenummer som kan kopplas "
        "till en person.",
    ),
    "datum": (
        "Datum för händelsen eller när oron uppstod, ÅÅÅÅ-MM-DD.",
        "Datum för händelsen, eller när oron uppstod, som ÅÅÅÅ-MM-DD. Inget klockslag.",
    ),
    "rapporttyp": (
        "Incident = en konkret händelse. Oro = oro för en enskild person.",
        "Incident: en konkret händelse (propaganda, hot, skadegörelse …). Oro: oro för att en "
        "enskild person rör sig mot en våldsbejakande miljö.",
    ),
    "omrade": (
        "Stadsdel eller statistikområde (RegSO) där det hände. Digitalt = på nätet.",
        "Stadsdel, eller hellre statistikområde (RegSO-namn eller RegSO-kod) om det är känt. "
        "Digitalt för händelser på nätet, Okänt om platsen inte är känd. Ange aldrig en adress.",
    ),
    "form": (
        "Form av våldsbejakande extremism. Ej bedömd om ni inte kan bedöma den.",
        "Den form av våldsbejakande extremism som rapporten gäller; se definitionerna nedan. "
        "Välj Ej bedömd om ni inte kan bedöma formen.",
    ),
    "handelse": (
        "Typ av händelse. Välj Oro för individ för orosrapporter.",
        "Typ av händelse; se definitionerna nedan. För rapporttypen Oro: Oro för individ.",
    ),
    "verksamhet": (
        "Er verksamhet, samma värde på alla rader i filen.",
        "Den verksamhet som rapporterar, normalt samma värde på alla rader i er fil.",
    ),
    "kon": (
        "Kön på den person som rapporten gäller. Tomt = Okänt.",
        "Kön på den person som rapporten gäller, om det är känt.",
    ),
    "aldersgrupp": (
        "Åldersgrupp (helst) eller ålder i hela år. Tomt = Okänd.",
        "Åldersgrupp på den person som rapporten gäller (helst). Ni får skriva en ålder i hela "
        "år; den förs då till sin åldersgrupp vid importen och sparas aldrig som ålder.",
    ),
    "konsultation": (
        "Ja om ärendet har tagits upp i konsultationsforum. Tomt = Nej.",
        "Ja om ärendet har tagits upp i konsultationsforum, annars Nej.",
    ),
}


def _choices(codelists: Codelists, name: str) -> list[str]:
    """The values offered in the drop-down list of a coded field."""
    values = codelists.for_field(name).values
    if name != "omrade":
        return values
    special = [v for v in values if v in ("Digitalt", "Okänt")]
    districts = [v for v in values if v not in special]
    regso = sorted((a.name for a in areas()), key=str.casefold)
    return list(dict.fromkeys([*districts, *special, *regso]))


def _coded_fields(codelists: Codelists) -> list[str]:
    return [c["namn"] for c in codelists.columns if c.get("kodlista") and c["namn"] in FIELDS]


def _write_codelists(ws: Worksheet, codelists: Codelists) -> dict[str, str]:
    """One column per coded field; returns field -> absolute range of its values."""
    ranges = {}
    for col, name in enumerate(_coded_fields(codelists), start=1):
        letter = get_column_letter(col)
        write_cell(ws.cell(1, col), codelists.header(name), editable=True).font = Font(bold=True)
        values = _choices(codelists, name)
        for row, value in enumerate(values, start=2):
            write_cell(ws.cell(row, col), value, editable=True)
        ranges[name] = (
            f"{quote_sheetname(ws.title)}!${letter}$2:${letter}${len(values) + 1}"
        )
        ws.column_dimensions[letter].width = max(14, min(45, max(map(len, values)) + 2))
    ws.sheet_state = "hidden"
    ws.protection.sheet = True
    return ranges


def _write_reports(ws: Worksheet, codelists: Codelists, ranges: dict[str, str]) -> None:
    required = set(codelists.required())
    for col, name in enumerate(FIELDS, start=1):
        letter = get_column_letter(col)
        header = codelists.header(name)
        cell = write_cell(ws.cell(1, col), header, editable=True)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        longest = max(map(len, _choices(codelists, name))) if name in ranges else 12
        ws.column_dimensions[letter].width = max(len(header) + 4, 12, min(longest + 3, 34))
        cells = f"{letter}2:{letter}{LAST_ROW}"
        prompt = _HELP[name][0] + (" Obligatorisk." if name in required else "")
        if name in ranges:
            # Område and Åldersgrupp also accept RegSO codes and exact ages: warn, don't stop.
            lenient = name in ("omrade", "aldersgrupp")
            dv = DataValidation(
                type="list", formula1=ranges[name], allow_blank=True,
                errorStyle="warning" if lenient else "stop",
                errorTitle="Värdet finns inte i listan",
                error="Välj ett värde i listan." + (
                    " Ni kan ändå spara värdet om det är en RegSO-kod eller en ålder."
                    if lenient else ""),
            )
        elif name == "datum":
            dv = DataValidation(
                type="date", operator="between", formula1="DATE(2015,1,1)", formula2="TODAY()",
                allow_blank=True, errorTitle="Ogiltigt datum",
                error="Skriv ett datum som ÅÅÅÅ-MM-DD, tidigast 2015-01-01 och inte i framtiden.",
            )
            ws.column_dimensions[letter].number_format = DATE_FORMAT
        else:  # Rapport-ID: text, so that leading zeros are kept
            dv = DataValidation(
                type="textLength", operator="between", formula1="1", formula2="50",
                allow_blank=True, errorTitle="För långt Rapport-ID",
                error="Rapport-ID får vara högst 50 tecken.",
            )
            ws.column_dimensions[letter].number_format = "@"
        dv.showErrorMessage = True
        dv.showInputMessage = True
        dv.promptTitle = header[:32]
        dv.prompt = prompt[:255]
        dv.add(cells)
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 20


def _instructions(codelists: Codelists) -> list[tuple[str, str] | str]:
    """The instruction sheet as rows: a str is a heading, a pair is (label, text)."""
    required = set(codelists.required())
    rows: list[tuple[str, str] | str] = [
        "Rapportmall för den gemensamma lägesbilden av våldsbejakande extremism i Umeå",
        ("Syfte", "Mallen används för att lämna avidentifierade rapporter om incidenter och oro "
                  "till UmeBrås gemensamma lägesbild. Lägesbilden visar bara antal, aldrig "
                  "enskilda rapporter."),
        "Så fyller ni i",
        ("En rad per rapport", "Fyll i bladet Rapporter med en rad per rapport (en händelse "
                               "eller en person som ni känner oro för). Ändra inte rubrikerna "
                               "och lägg inte till egna kolumner."),
        ("Listor", "Kodade kolumner har en rullgardinslista; välj ett värde ur listan."),
        ("Obligatoriska kolumner", ", ".join(codelists.header(f) for f in FIELDS
                                             if f in required) + ". En rad där någon av "
                                   "dessa saknas kan inte importeras."),
        ("Tomma fält", "Frivilliga fält som lämnas tomma räknas som okända: "
                       + ", ".join(f"{codelists.header(f)} = {v}" for f, v in UNKNOWN.items())
                       + "."),
        ("Ålder", "Ange helst åldersgrupp. Ni får skriva en ålder i hela år; den förs då till "
                  "sin åldersgrupp vid importen och sparas aldrig som ålder."),
        "Inga personuppgifter",
        ("Förbjudet", "Skriv INTE namn, personnummer, samordningsnummer, adresser, "
                      "telefonnummer, e-postadresser eller fritext (beskrivningar, kommentarer) "
                      "i filen, inte heller i rubriker eller bredvid tabellen."),
        ("Kontroll", "Filen kontrolleras vid importen. Hittas sådana uppgifter nekas hela "
                     "filen och ni får skicka en rättad fil."),
        "Leverans",
        ("När", "Lämna en fil per kvartal, senast vid den tidpunkt som avtalats med UmeBrå. "
                "Ange ett kvartal utan rapporter genom att meddela samordnaren."),
        ("Hur", "Spara som Excel-fil (.xlsx) och namnge den med verksamhet och kvartal, t.ex. "
                "Socialtjanst_2026K1.xlsx. Lämna filen till UmeBrås samordnare för lägesbilden "
                "via lägesbildens importsida eller kommunens säkra filöverföring. Skicka den "
                "aldrig som vanlig e-postbilaga."),
        ("Rättelser", "Skicka rättade rader på nytt med samma Rapport-ID; den nya versionen "
                      "ersätter den gamla."),
        "Kolumner",
    ]
    for name in FIELDS:
        need = "obligatorisk" if name in required else f"frivillig, tom = {UNKNOWN.get(name, '')}"
        rows.append((f"{codelists.header(name)} ({need})", _HELP[name][1]))
    for name, title in (("rapporttyp", "Rapporttyper"), ("form", "Former av extremism"),
                        ("handelse", "Händelsetyper")):
        rows.append(title)
        rows += [(c.value, c.description) for c in codelists.for_field(name).codes]
    rows.append("Värden i listorna")
    for name in _coded_fields(codelists):
        if name not in ("rapporttyp", "form", "handelse", "omrade"):
            rows.append((codelists.header(name), ", ".join(_choices(codelists, name))))
    districts = [v for v in codelists.for_field("omrade").values if v not in ("Digitalt", "Okänt")]
    rows.append((codelists.header("omrade"), "En stadsdel (" + ", ".join(districts)
                 + "), ett av kommunens statistikområden (RegSO) med namn eller kod (se "
                   "rullgardinslistan), Digitalt eller Okänt."))
    return rows


def write_instructions(ws: Worksheet, items: Sequence[str | tuple[str, str]],
                       label_width: float) -> None:
    """A template's instructions sheet: a heading for each text, a bold label and a wrapped
    text for each (label, text), column A `label_width` wide (every template writes it so)."""
    ws.column_dimensions["A"].width = label_width
    ws.column_dimensions["B"].width = 100
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, item in enumerate(items, start=1):
        if isinstance(item, str):
            cell = write_cell(ws.cell(row, 1), item, editable=True)
            cell.font = Font(bold=True, size=14 if row == 1 else 12)
            continue
        label, text = item
        write_cell(ws.cell(row, 1), label, editable=True).font = Font(bold=True)
        ws.cell(row, 1).alignment = wrap
        write_cell(ws.cell(row, 2), text, editable=True).alignment = wrap
        ws.row_dimensions[row].height = 15 * max(1, -(-len(text) // 95))


def build_workbook(codelists: Codelists | None = None) -> Workbook:
    """The template as an openpyxl workbook: Rapporter, Instruktioner, (hidden) Kodlistor."""
    codelists = codelists or load()
    wb = Workbook()
    reports = wb.active
    reports.title = REPORT_SHEET
    instructions = wb.create_sheet(INSTRUCTION_SHEET)
    lists = wb.create_sheet(CODELIST_SHEET)
    _write_reports(reports, codelists, _write_codelists(lists, codelists))
    write_instructions(instructions, _instructions(codelists), label_width=34)
    wb.active = 0
    return wb


def write_template(
    path_or_buffer: str | os.PathLike[str] | IO[bytes], codelists: Codelists | None = None
) -> None:
    """Write the template (.xlsx) to a path or a binary file object."""
    build_workbook(codelists).save(path_or_buffer)


def template_bytes(codelists: Codelists | None = None) -> bytes:
    """The template as .xlsx bytes, e.g. for a download button."""
    buffer = io.BytesIO()
    write_template(buffer, codelists)
    return buffer.getvalue()
