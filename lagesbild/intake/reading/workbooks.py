"""Reading a workbook (xlsx, xlsm, xls, ods): parsed once by fastexcel (python-calamine
underneath) straight into Arrow, python-calamine alone when fastexcel is missing or fails;
every sheet with a complete header row is read, the others named with the reason."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, NoReturn

import python_calamine as calamine

from lagesbild.domain.problems import FileRefused
from lagesbild.intake.reading.grid import HEADER_SEARCH_ROWS, Grid
from lagesbild.intake.reading.headers import TableFinder
from lagesbild.intake.reading.refusals import DAMAGED_FIX, password_protected, refuse
from lagesbild.intake.reading.sheet import ReadFile, Sheet, TypedRows
from lagesbild.intake.reading.zipguard import SheetFacts

if TYPE_CHECKING:  # mypy cannot type a module that may be None (python/mypy#1297)
    import fastexcel
else:
    try:  # fastexcel reads a sheet straight into Arrow; without it python-calamine does the work
        import fastexcel
    except ImportError:  # pragma: no cover – fastexcel is installed with the project
        fastexcel = None

NOT_READ_NO_HEADER = "har ingen rubrikrad"
NOT_READ_INCOMPLETE = "saknar obligatoriska kolumner"
NOT_READ_HIDDEN = "är dolt (visa bladet om det ska läsas)"

NameCheck = Callable[[list[str]], None]


_SKIP = "skip"  # a sheet that is passed over
_Loaded = tuple[Grid, int, Callable[[int], TypedRows] | None] | str


def _fast_reader(data: bytes) -> fastexcel.ExcelReader | None:
    if fastexcel is None:
        return None
    try:
        return fastexcel.read_excel(data)
    except Exception:  # noqa: BLE001 – python-calamine will say what is wrong with the file
        return None


def _typed_rows(data: bytes, sheet_name: str, rows: int) -> TypedRows:
    """The first `rows` rows of a workbook sheet as python-calamine's typed cells."""
    book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False, nrows=rows)


class WorkbookReader(TableFinder):
    """Reads the tables of one workbook."""

    def from_workbook(self, data: bytes, ods: bool = False,
                      facts: dict[str, SheetFacts] | None = None,
                      name_check: NameCheck | None = None) -> ReadFile:
        """An xlsx, xls or ods: every sheet with a complete header row (see `read_file`)."""
        try:
            book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            sheets = [m for m in book.sheets_metadata
                      if m.typ == calamine.SheetTypeEnum.WorkSheet]
        except Exception as error:  # noqa: BLE001 – every calamine failure means a bad file
            self._unreadable(error)
        names = [m.name for m in sheets]
        if name_check is not None:
            name_check(names)
        facts = facts or {}
        reader = _fast_reader(data)
        found: list[tuple[bool, str, Grid, int, Callable[[int], TypedRows]]] = []
        not_read: list[tuple[str, str]] = []
        for meta in sheets:
            visible = meta.visible == calamine.SheetVisibleEnum.Visible
            loaded = self._fast_grid(reader, meta.name, ods) if reader is not None else None
            if loaded is None:  # no fastexcel, or it failed: python-calamine decides
                loaded = self._calamine_grid(book, meta.name)
            if isinstance(loaded, str):  # _SKIP
                not_read.append((meta.name, NOT_READ_NO_HEADER))
                continue
            grid, height, typed = loaded
            index = self.header_index(grid.head())
            if index is None:
                not_read.append((meta.name, NOT_READ_NO_HEADER))
                continue
            if height - 1 - index[0] > 2 * self.limits.max_rows:
                self._too_many_rows(meta.name)
            found.append((visible, meta.name, grid, index[0],
                          typed or partial(_typed_rows, data, meta.name)))
        complete = [f for f in found if self.complete(f[2].head(), f[3])]
        chosen = [f for f in complete if f[0]] or complete
        if not chosen:
            if not found:
                self._no_header()
            _, name, grid, row, typed = min(found, key=lambda f: not f[0])
            self.build(name, grid, row, typed)  # refuses: the missing columns
            raise AssertionError("an incomplete header row is refused")  # pragma: no cover
        read: list[Sheet] = []
        total = 0
        chosen_names = {f[1] for f in chosen}
        complete_names = {f[1] for f in complete}
        for visible, name, grid, row, typed in found:
            if name not in chosen_names:
                not_read.append((name, NOT_READ_HIDDEN if name in complete_names and not visible
                                 else NOT_READ_INCOMPLETE))
                continue
            sheet = self.build(name, grid, row, typed, facts.get(name))
            total += len(sheet)
            if total > self.limits.max_rows:
                self._too_many_rows(name)
            read.append(sheet)
        order = {name: i for i, name in enumerate(names)}
        not_read.sort(key=lambda item: order.get(item[0], 0))
        return ReadFile(self.file_name, read, not_read, names)

    def _fast_grid(
        self, reader: fastexcel.ExcelReader, name: str, ods: bool,
    ) -> _Loaded | None:
        """(grid, height, None) of a sheet read by fastexcel, _SKIP for a sheet far too high
        without a header row, None when fastexcel fails."""
        try:
            loaded = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0)
            if self._surely_too_high(loaded.total_height):
                head = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0,
                                         n_rows=HEADER_SEARCH_ROWS)
                grid = Grid.from_fastexcel(head.to_arrow(), head.available_columns(), None,
                                            ods)
                self._refuse_if_header(grid.head(), name)
                return _SKIP
            batch, errors = loaded.to_arrow_with_errors()
            grid = Grid.from_fastexcel(batch, loaded.available_columns(), errors, ods)
        except FileRefused:
            raise
        except Exception:  # noqa: BLE001 – python-calamine tells a bad file from a fastexcel bug
            return None
        return grid, loaded.total_height, None

    def _calamine_grid(self, book: calamine.CalamineWorkbook, name: str) -> _Loaded:
        """(grid, height, typed rows) of a sheet read by python-calamine, or _SKIP."""
        try:
            sheet = book.get_sheet_by_name(name)
            height = sheet.end[0] + 1 if sheet.end is not None else 0
            if self._surely_too_high(height):
                head = sheet.to_python(skip_empty_area=False, nrows=HEADER_SEARCH_ROWS)
                self._refuse_if_header(head, name)
                return _SKIP
            rows = sheet.to_python(skip_empty_area=False)
        except FileRefused:
            raise
        except Exception as error:  # noqa: BLE001
            self._unreadable(error)
        return Grid.from_typed(rows), height, lambda count: rows[:count]

    def _surely_too_high(self, height: int) -> bool:
        """Whether a sheet has far more rows than allowed wherever its header row is, so that
        it is refused (or skipped, without a header) before its cells are converted."""
        return height - HEADER_SEARCH_ROWS > 2 * self.limits.max_rows

    def _refuse_if_header(self, head: Sequence[Sequence[object]], name: str) -> None:
        if self.header_index(head) is not None:
            self._too_many_rows(name)

    def _unreadable(self, error: Exception) -> NoReturn:
        if isinstance(error, calamine.PasswordError):
            password_protected(self.file_name)
        refuse(self.file_name, "Filen är skadad eller ofullständig", DAMAGED_FIX)
