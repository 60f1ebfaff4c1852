"""The refusals every reader of the package shares: a FileRefused with one Swedish problem,
sizes as Swedes write them, and the fixes for a file that is no spreadsheet, damaged or locked."""

from __future__ import annotations

from typing import NoReturn

from lagesbild.domain.problems import FileRefused, Problem

_FORMATS_FIX = ("Välj en Excel-arbetsbok (.xlsx, .xls), en OpenDocument-fil (.ods) eller en "
                "CSV-fil. Utgå gärna från mallen för rapporter.")
DAMAGED_FIX = ("Öppna filen i Excel eller LibreOffice, spara den på nytt och importera igen. "
               "Har filen laddats ner eller skickats med e-post: hämta den en gång till.")


def refuse(file_name: str, reason: str, fix: str, *, sheet: str | None = None,
           row: int | None = None) -> NoReturn:
    raise FileRefused([Problem(file_name, reason, fix, sheet=sheet, row=row)])


def mb(size: int) -> str:
    """A size as Swedes write it: '12,5 MB', or '40 kB' below a megabyte."""
    if size < 2**20:
        return f"{max(size // 1024, 1)} kB"
    return f"{size / 2**20:.1f}".replace(".", ",") + " MB"


def not_spreadsheet(file_name: str, what: str) -> NoReturn:
    refuse(file_name, f"Filen är inte ett kalkylark{what}", _FORMATS_FIX)


def password_protected(file_name: str) -> NoReturn:
    refuse(file_name, "Arbetsboken är lösenordsskyddad och kan inte läsas",
           "Ta bort lösenordet i Excel (Arkiv > Info > Skydda arbetsbok > Kryptera med "
           "lösenord, töm fältet), spara och importera igen.")
