"""Exports that are safe to open in a spreadsheet program.

Text starting with ``=``, ``+``, ``-``, ``@`` (or a tab/carriage return) would be run as a
formula by Excel, LibreOffice or WPS ("CSV injection"); every export prefixes it with an
apostrophe, which spreadsheet programs show as plain text. Siaga's importer drops that
apostrophe again when the file comes back. ``safe_cell`` is the one function every export
(worker list, BPJS registration, DTKS request, invalid rows, dashboard) passes text through.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from participants.validators import CONTROL_CHARACTERS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# "+6281234567890" or "-5" are numbers to a spreadsheet, not formulas; leave them readable.
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def escape_formula(value: Any) -> Any:
    """Return ``value`` with a leading apostrophe if a spreadsheet would evaluate it."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def safe_cell(value: Any) -> Any:
    """A cell value a spreadsheet shows as text and never runs; other types pass unchanged.

    Control characters that xlsx cannot hold (refused on input since, but possibly in older
    records) become U+FFFD so the export still works and shows where something was dropped.
    """
    if isinstance(value, str):
        if CONTROL_CHARACTERS.search(value):
            value = CONTROL_CHARACTERS.sub("\ufffd", value)
        return escape_formula(value)
    return value


def write_xlsx(
    stream: IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str = "Data",
    text_columns: Iterable[int] = (),
) -> None:
    """Write one sheet; cells in ``text_columns`` are stored as text ("@") so NIKs survive."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    text_columns = set(text_columns)
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=safe_cell(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        out = []
        for index, value in enumerate(row):
            if isinstance(value, datetime.datetime):
                value = value.replace(tzinfo=None)
            cell = WriteOnlyCell(sheet, value=safe_cell(value))
            if index in text_columns and isinstance(value, str):
                cell.number_format = "@"
            out.append(cell)
        sheet.append(out)
    workbook.save(stream)


ERROR_NOTES_HEADER = "Keterangan kesalahan"


def invalid_rows_xlsx(
    stream: IO[bytes], headers: Sequence[str], rows: Iterable[Any], *, sheet_title: str
) -> None:
    """Invalid rows with their original columns plus "Keterangan kesalahan", for re-upload.

    ``rows`` are planned rows (``cells`` and ``errors``). The sheet keeps the original headers
    and name so the fixed file is read exactly like the first one.
    """
    body = []
    for planned in rows:
        notes = "; ".join(
            f"{e.column}: {e.message}" if e.column else e.message for e in planned.errors
        )
        body.append([*(planned.cells or [""] * len(headers)), notes])
    write_xlsx(
        stream,
        [*headers, ERROR_NOTES_HEADER],
        body,
        sheet_title=sheet_title,
        text_columns=range(len(headers) + 1),
    )
