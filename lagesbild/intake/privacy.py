"""Privacy guard: find personal data in every cell of a Sheet before anything is imported.

Every cell is scanned: headers, all data columns (imported or not), the title block and cells
beyond the header width. A hit is reported by place only; the value is never repeated.

Rules
- Personnummer and samordningsnummer: 10 or 12 digits not inside a longer run of digits,
  with or without a separator before the last four, as a person types it: '-', '+', a space,
  an en or em dash, a dot (YYMMDD-NNNC, YYYYMMDDNNNC, YYYYMMDD NNNC, YYMMDD–NNNC, …);
  invisible characters (zero-width spaces, soft hyphens) do not hide one. The month must be
  01–12 and the day 01–31, or 61–91 for a samordningsnummer; a 12-digit number must begin with
  century 18, 19 or 20 and be a real date; the Luhn check digit must hold. Number cells with 10
  or 12 digits count too, and 8–9 digits (a 10-digit number whose leading zeros Excel dropped;
  7 digits are left alone, as too many amounts would match).
- E-mail addresses: name@domain.tld.
- Swedish phone numbers: 0 + 7–9 digits (070-123 45 67, 0701234567, 090-12 34 56,
  08-123 456 78) or +46/0046 + 7–9 digits (+46 70 123 45 67), digits grouped by spaces or
  dashes. A date written 03-07-2026 and text with both spaces and several dashes ("08-12 13-16")
  are not phone numbers. Number cells: 9 digits starting 70, 72, 73, 76 or 79 (a mobile number
  without its leading zero) and 11 digits starting 46.
- Never flagged: date and time cells, ISO dates and times as text, ids such as SOC-2026-0042 or
  R-000123, RegSO codes (2480R003), age bands, amounts, and digit strings that fail the checks.

Speed: the cells are scanned column by column in Arrow. One regular expression (RE2, in C)
picks the distinct texts of a column that could hold personal data at all: an '@', six digits
in a row, or the start of a phone number. Only those few texts reach the Python checks (the
rules above; the texts are joined so that each expression runs once over them all), and the
rows of a column are searched only for the texts found. A cell's text does not tell a number
cell from a text cell ('701234567' is a phone number only in a number cell); where the two
readings disagree, the cell's type is looked up in the file.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import accumulate

import pyarrow as pa
import pyarrow.compute as pc

from lagesbild.domain.problems import Problem
from lagesbild.domain.text import strip_invisible
from lagesbild.intake.reading import Sheet, column_letter

PERSONNUMMER = "personnummer"
EMAIL = "e-postadress"
PHONE = "telefonnummer"

REASONS = {
    PERSONNUMMER: "Cellen ser ut att innehålla en personuppgift: ett personnummer eller "
                  "samordningsnummer",
    EMAIL: "Cellen ser ut att innehålla en personuppgift: en e-postadress",
    PHONE: "Cellen ser ut att innehålla en personuppgift: ett telefonnummer",
}
FIX = ("Ta bort personuppgiften ur filen och importera igen. Lägesbilden får bara innehålla "
       "avidentifierade uppgifter.")
# An id column (Rapport-ID, Insats-ID, …) that looks personal is re-formatted, not removed.
ID_FIX = {
    PERSONNUMMER: "Byt format på id:t så att det inte liknar ett personnummer, t.ex. 2026-017 "
                  "eller SOC-2026-0017, och importera igen. Använd aldrig personnummer som id.",
    PHONE: "Byt format på id:t så att det inte liknar ett telefonnummer, t.ex. 2026-017 eller "
           "SOC-2026-0017 (bokstäver eller bindestreck mellan år och löpnummer), och importera "
           "igen.",
    EMAIL: "Byt id:t mot ett löpnummer, t.ex. 2026-017, och importera igen.",
}
NAME_REASON = "Filnamnet ser ut att innehålla en personuppgift"
NAME_FIX = ("Byt namn på filen så att namnet bara anger verksamhet och kvartal, t.ex. "
            "Socialtjanst_2026K3.xlsx, och importera igen. Namnet visas och sparas inte.")
SHEET_REASON = "Bladets namn ser ut att innehålla en personuppgift"
SHEET_FIX = ("Byt namn på bladet (högerklicka på fliken > Byt namn), t.ex. till Rapporter eller "
             "2026K3, spara och importera igen. Namnet visas inte.")
# Every reason the guard gives (a page hides the value of such a problem and says why).
PERSONAL_REASONS = frozenset([*REASONS.values(), NAME_REASON, SHEET_REASON])
# What a file or sheet name that looks personal is shown and stored as.
NAME_PLACEHOLDER = "namn-med-personuppgift"

MIN_LENGTH = 6  # a@b.se; a personnummer or phone number needs 8 digits or more
# Each pattern starts with a plain character class so that `re` skips most text quickly; the
# lookbehinds keep a match from starting inside a longer number or word.
_SEPARATOR = "-+.\u2010-\u2015\u2212"  # hyphens, plus, dot, en/em dash, minus
_PNR = re.compile(rf"(?<!\d)\d{{6}}(?:\d\d)?(?: ?[{_SEPARATOR}] ?| )?\d{{4}}(?!\d)")
_EMAIL = re.compile(r"@(?<=[\w.+-]@)[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
_PHONE = re.compile(
    r"[+0](?<![\w+-][+0])"  # '+46…', '0046…' or '0…', not glued to a word, number or dash
    r"(?:(?<=\+)46[ -]?(?:\(0\)[ -]?)?[1-9]|(?<=0)046[ -]?(?:\(0\)[ -]?)?[1-9]|(?<=0)[1-9])"
    r"(?:[ -]?\d){6,8}(?!\d)"
)
# Every text that a rule can flag matches this (RE2, in C; \\p{Nd} is Python's \\d): an '@',
# 10 or 12 digits, the text of a number cell with 8–12 digits, or the start of a phone number.
_CANDIDATE = "|".join([
    r"@",
    r"(?:^|\P{Nd})\p{Nd}{6}(?:\p{Nd}\p{Nd})?(?: ?[-+.\x{2010}-\x{2015}\x{2212}] ?| )?"
    r"\p{Nd}{4}(?:\P{Nd}|$)",
    r"^[0-9]{8,12}$",
    r"(?:^|[^\w+-])(?:\+46|0046|0)[ -]?(?:\(0\)[ -]?)?[1-9](?:[ -]?\p{Nd}){6}",
    # invisible characters could hide any of the above: such texts are checked in Python
    r"[\x{00ad}\x{180e}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2060}-\x{2064}"
    r"\x{2066}-\x{2069}\x{feff}]",
])
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")  # the text of a number cell
_ZERO_FIRST = re.compile(r"-?0[0-9]")  # '070…' is text: a number cell's text has no leading 0
_EITHER = "?"  # the text and the number reading of a cell disagree: look at the cell itself
_DATE_LIKE = re.compile(r"\d{1,2}-\d{1,2}-\d{2,4}")
_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MOBILE = frozenset({"70", "72", "73", "76", "79"})


def looks_personal(value: object) -> str | None:
    """The kind of personal data a cell value looks like ('personnummer', 'e-postadress',
    'telefonnummer'), or None."""
    if type(value) is str:
        return _text_kind(value)
    if type(value) is int or type(value) is float:
        return _number_kind(value)
    return None


def scan_sheet(sheet: Sheet) -> list[Problem]:
    """One Problem per cell that looks like personal data, in row and column order."""
    names = _column_names(sheet.headers)
    hits: list[tuple[int, int, str]] = []  # (row, column index, kind)
    for j, text in enumerate(sheet.headers):
        kind = looks_personal(text)
        if kind:
            hits.append((sheet.header_row, j, kind))
    unsure: list[tuple[int, int]] = []  # (row, column) of cells that may be numbers
    for j, column in enumerate(sheet.columns):
        if column.null_count < len(column):
            for row, kind in _column_hits(sheet, j):
                if kind is _EITHER:
                    unsure.append((row, j))
                else:
                    hits.append((row, j, kind))
    others = sheet.other_texts
    kinds = _classify([text for _, _, text in others])
    for row, j, text in others:
        kind = kinds.get(text)
        if kind is _EITHER:
            unsure.append((row, j))
        elif kind:
            hits.append((row, j, kind))
    hits.extend((row, j, kind) for (row, j), cell in zip(unsure, sheet.typed_cells(unsure),
                                                         strict=True)
                if (kind := looks_personal(cell)))
    hits.sort()
    ids = {j for j, name in enumerate(sheet.fields) if name and name.endswith("_id")}
    return [
        Problem(sheet.file_name, REASONS[kind],
                ID_FIX[kind] if j in ids and row > sheet.header_row else FIX,
                sheet=sheet.sheet_name, row=row,
                column=names[j] if row > sheet.header_row and j < len(names)
                else column_letter(j))  # the title block and the header row: by letter
        for row, j, kind in hits
    ]


def personal_name(name: str | None) -> bool:
    """Whether a file or sheet name looks like it holds personal data ('_' and spaces count
    as separators between words, so 'elev_19791102-4177.xlsx' is found)."""
    if not name:
        return False
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return any(looks_personal(text) is not None
               for text in (name, stem, name.replace("_", " "), stem.replace("_", " ")))


def masked_name(name: str) -> str:
    """A file name safe to store and show: the placeholder (with the extension) when the name
    looks personal, else the name itself."""
    if not personal_name(name):
        return name
    ext = name.rsplit(".", 1)[1] if "." in name else ""
    return NAME_PLACEHOLDER + (f".{ext}" if ext.isascii() and ext.isalpha() and len(ext) <= 5
                               else "")


def is_masked(name: str) -> bool:
    return name.split(".", 1)[0] == NAME_PLACEHOLDER


def name_problems(file_name: str, sheet_names: Sequence[str | None] = ()) -> list[Problem]:
    """A Problem for a file name (already masked, see `masked_name`) and for each sheet name
    that looks personal; a sheet is then named by its position, never by its name."""
    problems = []
    if is_masked(file_name) or personal_name(file_name):
        problems.append(Problem(masked_name(file_name), NAME_REASON, NAME_FIX))
    for index, name in enumerate(sheet_names, start=1):
        if personal_name(name):
            problems.append(Problem(masked_name(file_name), SHEET_REASON, SHEET_FIX,
                                    sheet=sheet_label(index)))
    return problems


def sheet_label(index: int) -> str:
    """How a sheet whose name may not be shown is named: 'nr 2' (its position)."""
    return f"nr {index}"


def _column_hits(sheet: Sheet, j: int) -> list[tuple[int, str]]:
    """(row, kind) of the cells of column j that look personal; kind _EITHER when that
    depends on whether the cell is a number."""
    texts, indexes = sheet.encoded(j)
    maybe = pc.indices_nonzero(pc.fill_null(pc.match_substring_regex(texts, _CANDIDATE), False))
    if not len(maybe):
        return []
    candidates = texts.take(maybe).to_pylist()
    kinds = _classify(candidates)
    if not kinds:
        return []
    found = pa.array([i for i, text in zip(maybe.to_pylist(), candidates, strict=True)
                      if text in kinds], indexes.type)
    rows = pc.indices_nonzero(pc.is_in(indexes, found))
    numbers = sheet.numbers.take(rows).to_pylist()
    cells = texts.take(indexes.take(rows)).to_pylist()
    return [(number, kinds[text]) for number, text in zip(numbers, cells, strict=True)]


def _column_names(headers: list[str]) -> list[str]:
    """How a column is named in a Problem: its header, or its letter when the header is empty
    or itself looks personal (so that it is not repeated)."""
    return [h if h and not looks_personal(h) else column_letter(j) for j, h in enumerate(headers)]


def _classify(texts: list[str]) -> dict[str, str]:
    """The personal texts among distinct cell texts, with their kind: the kind as text, which
    is also the kind as a number when the text is one ('8112189876'); _EITHER when the two
    differ ('701234567' is a phone number only as a number)."""
    found = _personal_strings(texts)
    for text in texts:
        if _NUMBER.fullmatch(text) and not _ZERO_FIRST.match(text):
            as_number = _number_kind(float(text))
            if as_number != found.get(text):
                found[text] = _EITHER
    return found


def _personal_strings(strings: list[str]) -> dict[str, str]:
    """Like looks_personal for many strings at once: the regular expressions run once over all
    of them joined by newlines (no pattern crosses a newline), so the cost per string is tiny."""
    if not strings:
        return {}
    visible = [strip_invisible(s) for s in strings]
    if visible != strings:  # the found kinds belong to the texts as they were given
        kinds = _personal_strings(visible)
        return {s: kinds[v] for s, v in zip(strings, visible, strict=True) if v in kinds}
    text = "\n".join(strings)
    starts = list(accumulate(map((1).__add__, map(len, strings)), initial=0))
    found: dict[str, str] = {}
    for position, kind in _find(text):
        found.setdefault(strings[bisect_right(starts, position) - 1], kind)
    return found


def _text_kind(text: str) -> str | None:
    text = strip_invisible(text)
    if len(text) < MIN_LENGTH:
        return None
    return next((kind for _, kind in _find(text)), None)


def _find(text: str) -> Iterator[tuple[int, str]]:
    """(position, kind) of the personal data in a text: e-mail first, then personnummer, then
    phone numbers (so the first hit per cell is the most telling kind)."""
    if "@" in text:
        for match in _EMAIL.finditer(text):
            yield match.start(), EMAIL
    for match in _PNR.finditer(text):
        digits = "".join(ch for ch in match.group() if ch.isdigit())
        century = digits[:2] if len(digits) == 12 else None
        if _valid_pnr(century, digits[-10:-4], digits[-4:]):
            yield match.start(), PERSONNUMMER
    for match in _PHONE.finditer(text):
        if _plausible_phone(match.group()):
            yield match.start(), PHONE


def _number_kind(number: float) -> str | None:
    if not 10_000_000 <= number < 1_000_000_000_000:
        return None
    if number.__class__ is float and not number.is_integer():
        return None
    digits = str(int(number))
    if len(digits) == 12 and _valid_pnr(digits[:2], digits[2:8], digits[8:]):
        return PERSONNUMMER
    if len(digits) == 10 and _valid_pnr(None, digits[:6], digits[6:]):
        return PERSONNUMMER
    if len(digits) in (8, 9):  # born 2000–2009: Excel dropped the leading zeros
        padded = digits.zfill(10)
        if _valid_pnr(None, padded[:6], padded[6:]):
            return PERSONNUMMER
        if len(digits) == 9 and digits[:2] in _MOBILE:
            return PHONE
    if len(digits) == 11 and digits.startswith("46") and digits[2] != "0":
        return PHONE
    return None


def _valid_pnr(century: str | None, date: str, last: str) -> bool:
    """Plausible birth date (day + 60 for a samordningsnummer) and a valid Luhn digit."""
    month, day = int(date[2:4]), int(date[4:6])
    if day > 60:
        day -= 60
    if not (1 <= month <= 12 and 1 <= day <= _MONTH_DAYS[month]):
        return False
    if century is not None:
        if century not in ("18", "19", "20"):
            return False
        try:
            dt.date(int(century + date[:2]), month, day)
        except ValueError:
            return False
    return _luhn_ok(date + last)


def _luhn_ok(ten: str) -> bool:
    total = 0
    for i, ch in enumerate(ten):
        digit = int(ch)
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _plausible_phone(text: str) -> bool:
    if _DATE_LIKE.fullmatch(text):
        return False
    return not (" " in text and text.count("-") > 1)
