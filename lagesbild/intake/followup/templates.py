"""Excel templates for the follow-up spreadsheets: trainings and the activity plan.

Same layout as the report template (lagesbild/template.py): the data sheet first (the import
reads the first sheet with a header row), then instructions, then a hidden, protected sheet
"Kodlistor" that the drop-down lists reference. The trainings template has no example rows
(an example row would be imported); the activity-plan template can be filled with the current
plan, so that it is maintained by download → edit → upload.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from lagesbild.domain.contracts import ACTIVITY, TRAINING, Contract, contract
from lagesbild.domain.spreadsheet import write_cell
from lagesbild.intake.template import write_instructions

INSTRUCTION_SHEET = "Instruktioner"
CODELIST_SHEET = "Kodlistor"
DATA_SHEET = {TRAINING: "Insatser", ACTIVITY: "Aktivitetsplan"}
LAST_ROW = 1_048_576
DATE_FORMAT = "yyyy-mm-dd"
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")

# Input message per column (at most 255 characters).
_PROMPT: dict[str, str] = {
    "insats_id": "Eget löpnummer för insatsen, t.ex. 2026-07. En rad per insats och målgrupp: "
                 "når en insats två verksamheter, ge raderna t.ex. 2026-07a och 2026-07b.",
    "datum": "Datum då insatsen genomfördes, ÅÅÅÅ-MM-DD (första dagen om den var flera dagar).",
    "typ": "Utbildning, studiebesök, konferens eller handledning.",
    "tema": "Insatsens huvudtema, ur listan (inte fritext).",
    "malgrupp": "Deltagarnas verksamhet.",
    "antal_deltagare": "Antal deltagare, ett heltal.",
    "varav_kvinnor": "Frivilligt: hur många av deltagarna som var kvinnor.",
    "varav_man": "Frivilligt: hur många av deltagarna som var män.",
    "aktivitet_id": "Eget löpnummer för aktiviteten, t.ex. A-03. Behåll samma ID när "
                    "aktiviteten uppdateras.",
    "aktivitet": "Kort namn på aktiviteten (högst 120 tecken).",
    "mal": "Vad aktiviteten ska leda till (högst 300 tecken).",
    "omrade": "Det område i handlingsplanen som aktiviteten hör till.",
    "ansvarig": "Ansvarig organisatorisk enhet – aldrig en persons namn.",
    "start_kvartal": "Kvartal då aktiviteten startar, t.ex. 2025K1.",
    "klart_kvartal": "Kvartal då aktiviteten ska vara klar, t.ex. 2026K2.",
    "status": "Planerad, Pågår, Klar eller Stoppad.",
}

_PURPOSE = {
    TRAINING: ("Mallen används för att registrera utbildningar, studiebesök, konferenser och "
               "handledning inom arbetet mot våldsbejakande extremism, så att beredningsgruppen "
               "kan följa vilka verksamheter som har nåtts. Uppgifterna gäller insatser och "
               "antal deltagare, aldrig enskilda personer."),
    ACTIVITY: ("Mallen är UmeBrås tvååriga aktivitetsplan mot våldsbejakande extremism: en rad "
               "per aktivitet med mål, ansvarig enhet, start- och klartkvartal och status. "
               "Ladda upp filen igen efter varje uppdatering; ändrade rader blir nya versioner "
               "och historiken sparas."),
}


def _write_codelists(ws: Worksheet, spec: Contract) -> dict[str, str]:
    ranges = {}
    for col, name in enumerate(spec.coded_fields(), start=1):
        letter = get_column_letter(col)
        write_cell(ws.cell(1, col), spec.header(name), editable=True).font = Font(bold=True)
        values = spec.codelist(name).values
        for row, value in enumerate(values, start=2):
            write_cell(ws.cell(row, col), value, editable=True)
        ranges[name] = f"{quote_sheetname(ws.title)}!${letter}$2:${letter}${len(values) + 1}"
        ws.column_dimensions[letter].width = max(14, min(45, max(map(len, values)) + 2))
    ws.sheet_state = "hidden"
    ws.protection.sheet = True
    return ranges


def _validation(spec: Contract, name: str, ranges: dict[str, str]) -> DataValidation:
    header = spec.header(name)
    if name in ranges:
        dv = DataValidation(type="list", formula1=ranges[name], allow_blank=True,
                            errorTitle="Värdet finns inte i listan",
                            error="Välj ett värde i listan.")
    elif name == "datum":
        dv = DataValidation(type="date", operator="between", formula1="DATE(2015,1,1)",
                            formula2="TODAY()", allow_blank=True, errorTitle="Ogiltigt datum",
                            error="Skriv ett datum som ÅÅÅÅ-MM-DD, inte i framtiden.")
    elif name in ("antal_deltagare", "varav_kvinnor", "varav_man"):
        dv = DataValidation(type="whole", operator="between",
                            formula1="1" if name == "antal_deltagare" else "0",
                            formula2="5000", allow_blank=True, errorTitle="Ogiltigt antal",
                            error="Skriv ett heltal.")
    elif name in ("start_kvartal", "klart_kvartal"):
        dv = DataValidation(type="textLength", operator="between", formula1="6", formula2="7",
                            allow_blank=True, errorTitle="Ogiltigt kvartal",
                            error="Skriv kvartalet som ÅÅÅÅKn, t.ex. 2026K3.")
    else:
        limit = {"aktivitet": 120, "mal": 300}.get(name, 50)
        dv = DataValidation(type="textLength", operator="between", formula1="1",
                            formula2=str(limit), allow_blank=True, errorTitle="För lång text",
                            error=f"{header} får vara högst {limit} tecken.")
    required = name in spec.required()
    dv.showErrorMessage = True
    dv.showInputMessage = True
    dv.promptTitle = header[:32]
    dv.prompt = (_PROMPT[name] + (" Obligatorisk." if required else ""))[:255]
    return dv


def _write_data(ws: Worksheet, spec: Contract, ranges: dict[str, str],
                rows: Sequence[dict[str, object]]) -> None:
    for col, name in enumerate(spec.fields, start=1):
        letter = get_column_letter(col)
        header = spec.header(name)
        cell = write_cell(ws.cell(1, col), header, editable=True)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        longest = max(map(len, spec.codelist(name).values)) if name in ranges else 12
        width = {"aktivitet": 40, "mal": 50}.get(name, min(longest + 3, 36))
        ws.column_dimensions[letter].width = max(len(header) + 4, 12, width)
        if name == "datum":
            ws.column_dimensions[letter].number_format = DATE_FORMAT
        elif name not in ("antal_deltagare", "varav_kvinnor", "varav_man"):
            ws.column_dimensions[letter].number_format = "@"  # ids and quarters stay text
        dv = _validation(spec, name, ranges)
        dv.add(f"{letter}2:{letter}{LAST_ROW}")
        ws.add_data_validation(dv)
        for row, values in enumerate(rows, start=2):
            value = values.get(name)
            target = write_cell(ws.cell(row, col), value, editable=True)
            if name == "datum" and value is not None:
                target.number_format = DATE_FORMAT
            elif name in ("mal", "aktivitet"):
                target.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"


def _instructions(spec: Contract) -> list[tuple[str, str] | str]:
    required = spec.required()
    rows: list[tuple[str, str] | str] = [
        f"Mall för {spec.title} – UmeBrå, arbetet mot våldsbejakande extremism",
        ("Syfte", _PURPOSE[spec.kind]),
        "Så fyller ni i",
        ("En rad per " + ("insats och målgrupp" if spec.kind == TRAINING else "aktivitet"),
         "Fyll i det första bladet. Ändra inte rubrikerna och lägg inte till egna kolumner."),
        ("Listor", "Kolumner med rullgardinslista är kodlistor: välj ett värde ur listan. "
                   "Andra stavningar godtas bara om de finns som alias i kodlistan."),
        ("Obligatoriska kolumner", ", ".join(spec.header(f) for f in required) + "."),
        ("Rättelser", "Ladda upp rättade rader på nytt med samma ID; den nya versionen ersätter "
                      "den gamla och den gamla finns kvar i historiken."),
        "Inga personuppgifter",
        ("Förbjudet", "Skriv INTE namn, personnummer, telefonnummer eller e-postadresser i "
                      "filen – inte heller som ansvarig. Filen kontrolleras vid importen och "
                      "nekas om sådana uppgifter hittas."),
        "Kolumner",
    ]
    for name in spec.fields:
        need = "obligatorisk" if name in required else "frivillig"
        rows.append((f"{spec.header(name)} ({need})", _PROMPT[name]))
    rows.append("Värden i listorna")
    for name in spec.coded_fields():
        rows.append((spec.header(name), ", ".join(spec.codelist(name).values)))
        if name in ("tema", "omrade"):
            rows += [(f"  {c.value}", c.description) for c in spec.codelist(name).codes]
    return rows


def build_workbook(kind: str, rows: Sequence[dict[str, object]] = ()) -> Workbook:
    """The template of a follow-up spreadsheet (optionally filled with rows)."""
    spec = contract(kind)
    wb = Workbook()
    data = wb.active
    data.title = DATA_SHEET[kind]
    instructions = wb.create_sheet(INSTRUCTION_SHEET)
    lists = wb.create_sheet(CODELIST_SHEET)
    _write_data(data, spec, _write_codelists(lists, spec), rows)
    write_instructions(instructions, _instructions(spec), label_width=36)
    wb.active = 0
    return wb


def template_bytes(kind: str, rows: Sequence[dict[str, object]] = ()) -> bytes:
    """The template as .xlsx bytes, e.g. for a download button."""
    buffer = io.BytesIO()
    build_workbook(kind, rows).save(buffer)
    return buffer.getvalue()
