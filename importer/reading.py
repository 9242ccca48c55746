"""Reading a spreadsheet file into rows of cells, whatever program saved it.

xlsx, xls and ods go through python-calamine (a Rust reader, much faster than openpyxl/xlrd/
odfpy and typed: text stays ``str``, numbers ``int``/``float``, date cells ``date``).
CSV goes through the csv module with the delimiter (',' or ';') and the encoding (UTF-8 with
or without BOM, else Windows-1252) detected. The type is taken from the file's content,
not its name, so a renamed or mislabelled file is caught here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import statistics
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from .errors import FileRejected
from .parsers import Cell, normalized_key

EXTENSIONS = (".xlsx", ".xls", ".ods", ".csv", ".txt")
# Delimited text: CSV, or a text extract (Dinas Sosial's DTKS answers are '|'-separated .txt).
TEXT_EXTENSIONS = (".csv", ".txt")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


@dataclass
class Sheet:
    """The rows of one sheet; ``rows`` yields (row number as shown by the program, cells)."""

    name: str
    kind: str
    rows: Iterator[tuple[int, list[Cell]]]
    sheet_names: list[str] = field(default_factory=list)
    estimated_rows: int = 0  # for progress bars; may count trailing empty rows


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _refuse_zip_bomb(archive: zipfile.ZipFile, file_name: str) -> None:
    """Refuse an archive that would unpack to far more than any real candidate list.

    xlsx and ods are zip files; a hostile one can hold a sheet that inflates to gigabytes.
    The sizes in the zip directory are checked before anything is decompressed.
    """
    unpacked = sum(info.file_size for info in archive.infolist())
    packed = max(1, sum(info.compress_size for info in archive.infolist()))
    if unpacked > settings.SIAGA_IMPORT_MAX_UNPACKED_BYTES or unpacked / packed > 1000:
        raise FileRejected(
            _(
                "The file %(name)s would unpack to %(size)s, far more than a candidate list; "
                "it is refused. Save the list again from the spreadsheet program."
            )
            % {"name": file_name, "size": filesizeformat(unpacked)},
            code="zip_bomb",
        )


def detect_kind(data: bytes, file_name: str) -> str:
    """Return "xlsx", "xls", "ods" or "csv" from the content; refuse anything else."""
    suffix = Path(file_name).suffix.lower()
    if suffix not in EXTENSIONS:
        raise FileRejected(
            _("Files of type %(suffix)s cannot be imported; use .xlsx, .xls, .ods, .csv or .txt.")
            % {"suffix": suffix or _("(no extension)")},
            code="unsupported_extension",
        )
    if not data.strip():
        raise FileRejected(_("The file is empty."), code="empty_file")
    if data.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                _refuse_zip_bomb(archive, file_name)
                names = set(archive.namelist())
                if "xl/workbook.xml" in names:
                    return "xlsx"
                if "mimetype" in names and archive.read("mimetype").startswith(ODS_MIMETYPE):
                    return "ods"
        except zipfile.BadZipFile:
            raise FileRejected(
                _("The file %(name)s is damaged (incomplete or corrupt); save it again.")
                % {"name": file_name},
                code="corrupt",
            ) from None
        raise FileRejected(
            _("The file %(name)s is not a spreadsheet (perhaps a Word document).")
            % {"name": file_name},
            code="wrong_type",
        )
    if data.startswith(OLE2_MAGIC):
        # An xlsx saved with a password is an OLE2 container holding the encrypted package.
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise FileRejected(
                _(
                    "The file %(name)s is protected with a password. Open it, remove the "
                    "password (File → Info → Protect Workbook) and save it again."
                )
                % {"name": file_name},
                code="password_protected",
            )
        return "xls"
    if suffix not in TEXT_EXTENSIONS:
        head = data[:512].lstrip().lower()
        what = _("a web page (HTML)") if head.startswith((b"<", b"\xef\xbb\xbf<")) else None
        if head.startswith(b"%pdf"):
            what = _("a PDF document")
        raise FileRejected(
            _(
                "The file %(name)s is named %(suffix)s but is %(what)s. Open it in the "
                "spreadsheet program and save it again as .xlsx."
            )
            % {"name": file_name, "suffix": suffix, "what": what or _("not a spreadsheet")},
            code="wrong_type",
        )
    if b"\x00" in data[:65536]:
        raise FileRejected(
            _("The file %(name)s is named .csv but is not a text file.") % {"name": file_name},
            code="wrong_type",
        )
    return "csv"


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 as Excel writes "CSV" on Windows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def detect_delimiter(text: str) -> str:
    """',' or ';' (Excel in Indonesian locale writes ';'), tab or '|' (database extracts such as
    Dinas Sosial's DTKS answers): the one giving most columns."""
    sample = text[:65536].splitlines()[:30]
    best, best_width = ",", 0
    for delimiter in (";", ",", "\t", "|"):
        widths = [len(row) for row in csv.reader(sample, delimiter=delimiter) if any(row)]
        width = statistics.median(widths) if widths else 0
        if width > best_width:
            best, best_width = delimiter, width
    return best


def _csv_rows(text: str) -> Iterator[tuple[int, list[Cell]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=detect_delimiter(text))
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise FileRejected(
            _("The CSV file cannot be read near line %(line)d: %(error)s")
            % {"line": reader.line_num, "error": exc},
            code="corrupt",
        ) from None


def sheet_from_rows(name: str, rows: list[list[Cell]]) -> Sheet:
    """Rows already in memory (e.g. a tablib Dataset) as a sheet; row 1 is the first row."""
    return Sheet(name=name, kind="rows", rows=enumerate(rows, start=1), estimated_rows=len(rows))


def pick_sheet(sheet_names: list[str], preferred: str | None) -> int:
    """The sheet named like the official template's, else the first one."""
    if preferred:
        wanted = normalized_key(preferred)
        for index, name in enumerate(sheet_names):
            if normalized_key(name) == wanted:
                return index
    return 0


def _workbook_rows(workbook: CalamineWorkbook, sheet: Any) -> Iterator[tuple[int, list[Cell]]]:
    try:
        # calamine yields rows from the sheet's first row even when it is empty, so the
        # count matches the row numbers the spreadsheet program shows.
        yield from enumerate(sheet.iter_rows(), start=1)
    except CalamineError as exc:
        raise FileRejected(
            _("The spreadsheet cannot be read: %(error)s") % {"error": exc}, code="corrupt"
        ) from None
    finally:
        workbook.close()


def open_sheet(data: bytes, file_name: str, *, preferred_sheet: str | None = None) -> Sheet:
    """Open the data sheet of a spreadsheet given as bytes; raise ``FileRejected`` if unreadable."""
    kind = detect_kind(data, file_name)
    if kind == "csv":
        text = decode_text(data)
        return Sheet(
            name=Path(file_name).name,
            kind=kind,
            rows=_csv_rows(text),
            estimated_rows=text.count("\n") + 1,
        )
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise FileRejected(
            _("The file %(name)s is damaged or not a real %(kind)s spreadsheet (%(error)s).")
            % {"name": file_name, "kind": kind, "error": type(exc).__name__},
            code="corrupt",
        ) from None
    if not names:
        raise FileRejected(_("The spreadsheet has no sheets."), code="no_sheet")
    index = pick_sheet(names, preferred_sheet)
    try:
        sheet = workbook.get_sheet_by_index(index)
    except Exception as exc:
        workbook.close()
        raise FileRejected(
            _("The spreadsheet cannot be read: %(error)s") % {"error": exc}, code="corrupt"
        ) from None
    return Sheet(
        name=names[index],
        kind=kind,
        rows=_workbook_rows(workbook, sheet),
        sheet_names=names,
        estimated_rows=sheet.height,
    )
