"""Reading a spreadsheet file into rows of cells, whatever program saved it.

xlsx, xls and ods go through python-calamine (a Rust reader, much faster than openpyxl/xlrd/
odfpy and typed: text stays ``str``, numbers ``int``/``float``, date cells ``date``), but
only after ``bounds`` has checked that the sheet's declared and real size are within the
limits (calamine allocates the whole used range at once). CSV and text files are streamed
row by row through the csv module with the delimiter (',', ';' or tab) and the encoding
(UTF-32/UTF-16 with a BOM, as Excel's "Unicode Text" writes, UTF-8 with or without BOM,
else Windows-1252) detected, and stop at the row limit. The type is taken from the file's
content, not its name, so a renamed or mislabelled file is caught here. Errors raised inside
the libraries are turned into Indonesian messages; their English text is only logged.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import statistics
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from . import bounds
from .bounds import Limits
from .errors import FileRejected
from .parsers import Cell, normalized_key

logger = logging.getLogger(__name__)

# .txt and .tsv: Excel's "Unicode Text" (tab-separated UTF-16) and "Text (Tab delimited)".
TEXT_EXTENSIONS = (".csv", ".txt", ".tsv")
EXTENSIONS = (".xlsx", ".xls", ".ods", *TEXT_EXTENSIONS)
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
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


def detect_kind(data: bytes, file_name: str, limits: Limits | None = None) -> str:
    """Return "xlsx", "xls", "ods" or "csv" from the content; refuse anything else."""
    limits = limits or Limits.from_settings()
    suffix = Path(file_name).suffix.lower()
    if suffix not in EXTENSIONS:
        raise FileRejected(
            _("Files of type %(suffix)s cannot be imported; use .xlsx, .xls, .ods, .csv or .txt.")
            % {"suffix": suffix or _("(no extension)")},
            code="unsupported_extension",
        )
    if not data.strip() or not data.strip(b"\x00 \t\r\n\xef\xbb\xbf\xff\xfe"):
        raise FileRejected(_("The file is empty."), code="empty_file")
    if data.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                bounds.check_zip(archive, file_name, limits)
                names = {name.lower() for name in archive.namelist()}
                if "xl/workbook.xml" in names:
                    return "xlsx"
                if "mimetype" in names and archive.read("mimetype").startswith(ODS_MIMETYPE):
                    return "ods"
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError):
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
    if text_encoding(data) in ("utf-8-sig", "cp1252") and b"\x00" in data[:65536]:
        raise FileRejected(
            _("The file %(name)s is named %(suffix)s but is not a text file.")
            % {"name": file_name, "suffix": suffix},
            code="wrong_type",
        )
    return "csv"


def text_encoding(data: bytes) -> str:
    """The encoding of a text table: a BOM says it (UTF-32, UTF-8, UTF-16 as Excel's "Unicode
    Text" writes); UTF-16 without one shows as a zero byte beside every ASCII letter; else
    UTF-8 if the bytes are valid UTF-8, else Windows-1252 (Excel's "CSV" on Windows)."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding
    head = data[:4096]
    if len(head) >= 4 and head.count(0) * 3 > len(head):
        odd_zeros = head[1::2].count(0)
        even_zeros = head[0::2].count(0)
        if odd_zeros > even_zeros * 4:
            return "utf-16-le"
        if even_zeros > odd_zeros * 4:
            return "utf-16-be"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), 1 << 20):  # checked piece by piece, not copied whole
            decoder.decode(data[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def decode_text(data: bytes) -> str:
    """The whole text of a small text file, in the encoding ``text_encoding`` finds."""
    return data.decode(text_encoding(data), errors="replace")


def detect_delimiter(text: str) -> str:
    """',' or ';' (Excel in Indonesian locale writes ';'), tab or '|' (database extracts such as
    Dinas Sosial's DTKS answers): the one giving most columns."""
    sample = text[:65536].splitlines()[:30]
    best, best_width = ",", (0, 0)
    for delimiter in (";", ",", "\t", "|"):
        try:
            widths = [len(row) for row in csv.reader(sample, delimiter=delimiter) if any(row)]
        except csv.Error:
            continue
        # The typical row's width, then the widest (the header) when rows have one cell.
        width = (statistics.median(widths), max(widths)) if widths else (0, 0)
        if width > best_width:
            best, best_width = delimiter, width
    return best


def _csv_error(exc: csv.Error, line: int) -> FileRejected:
    """The csv module's English errors as Indonesian sentences (its text is only logged)."""
    logger.info("CSV reader error near line %d: %s", line, exc)
    if "field larger than field limit" in str(exc):
        return FileRejected(
            _(
                "Line %(line)s of the file holds one cell longer than %(limit)s characters. "
                'Usually a quotation mark (") that is never closed makes the rest of the file '
                "one cell: check the cells around that line, or save the list as .xlsx."
            )
            % {"line": intcomma(line), "limit": intcomma(csv.field_size_limit())},
            code="field_too_long",
        )
    return FileRejected(
        _(
            "The CSV file cannot be read near line %(line)s: it is damaged or not a CSV file. "
            "Open it in the spreadsheet program and save it again."
        )
        % {"line": intcomma(line)},
        code="corrupt",
    )


def _text_rows(data: bytes, name: str, limits: Limits) -> Iterator[tuple[int, list[Cell]]]:
    """Stream a text table row by row; stop with a message beyond the row/column limits."""
    encoding = text_encoding(data)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")
    sample = data[:65536].decode(encoding, errors="ignore")
    reader = csv.reader(stream, delimiter=detect_delimiter(sample))
    cells = 0
    try:
        for number, row in enumerate(reader, start=1):
            width = len(row)
            while width and not row[width - 1].strip():
                width -= 1
            if not width:
                yield number, []
                continue
            cells += width
            if number > limits.rows or width > limits.columns or cells > limits.cells:
                bounds.check_extent(limits, name, rows=number, columns=width, cells=cells)
            yield number, row[:width]
    except csv.Error as exc:
        raise _csv_error(exc, reader.line_num) from None
    finally:
        stream.detach()


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


def _library_error(exc: BaseException, file_name: str, kind: str) -> FileRejected:
    """A calamine error (or panic) as an Indonesian message; the English detail is logged."""
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
        raise exc
    detail = f"{type(exc).__name__}: {exc}"
    logger.warning("Spreadsheet reader refused %s (%s): %s", file_name, kind, detail[:300])
    lowered = detail.lower()
    if "password" in lowered or "encrypt" in lowered:
        return FileRejected(
            _(
                "The file %(name)s is protected with a password. Open it, remove the "
                "password (File → Info → Protect Workbook) and save it again."
            )
            % {"name": file_name},
            code="password_protected",
        )
    if isinstance(exc, MemoryError) or "limit" in lowered:
        return FileRejected(
            _("The file %(name)s is too large to read at once; split the list into several files.")
            % {"name": file_name},
            code="too_many_cells",
        )
    return FileRejected(
        _(
            "The file %(name)s is damaged or not a real %(kind)s spreadsheet. Open it in the "
            "spreadsheet program and save it again as .xlsx."
        )
        % {"name": file_name, "kind": kind},
        code="corrupt",
    )


def _workbook_rows(
    workbook: CalamineWorkbook, sheet: Any, file_name: str, kind: str
) -> Iterator[tuple[int, list[Cell]]]:
    try:
        # calamine yields rows from the sheet's first row even when it is empty, so the
        # count matches the row numbers the spreadsheet program shows.
        yield from enumerate(sheet.iter_rows(), start=1)
    except BaseException as exc:  # noqa: BLE001 - pyo3 panics derive from BaseException
        raise _library_error(exc, file_name, kind) from None
    finally:
        workbook.close()


def check_bounds(data: bytes, file_name: str, kind: str, limits: Limits, preferred: str | None):
    """Refuse a workbook whose declared or real extent is over ``limits`` (see ``bounds``)."""
    try:
        if kind == "xls":
            bounds.check_xls(data, file_name, limits)
            return
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if kind == "xlsx":
                bounds.check_xlsx(
                    archive, file_name, limits, lambda names: pick_sheet(names, preferred)
                )
            else:
                bounds.check_ods(archive, file_name, limits)
    except FileRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError):
        raise FileRejected(
            _("The file %(name)s is damaged (incomplete or corrupt); save it again.")
            % {"name": file_name},
            code="corrupt",
        ) from None


def open_sheet(
    data: bytes,
    file_name: str,
    *,
    preferred_sheet: str | None = None,
    limits: Limits | None = None,
) -> Sheet:
    """Open the data sheet of a spreadsheet given as bytes; raise ``FileRejected`` if unreadable
    or over ``limits`` (default: the ``SIAGA_IMPORT_MAX_*`` settings)."""
    limits = limits or Limits.from_settings()
    kind = detect_kind(data, file_name, limits)
    if kind == "csv":
        name = Path(file_name).name
        # A first pass of the csv module alone (C speed, nothing kept) checks the real rows
        # and columns before any cell is checked: ten million rows are refused in a second,
        # not after 200,000 rows have been validated.
        for _row in _text_rows(data, name, limits):
            pass
        return Sheet(
            name=name,
            kind=kind,
            rows=_text_rows(data, name, limits),
            estimated_rows=data.count(b"\n") + 1,
        )
    check_bounds(data, file_name, kind, limits, preferred_sheet)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
    except BaseException as exc:  # noqa: BLE001 - calamine raises unrelated types, even panics
        raise _library_error(exc, file_name, kind) from None
    if not names:
        raise FileRejected(_("The spreadsheet has no sheets."), code="no_sheet")
    index = pick_sheet(names, preferred_sheet)
    try:
        sheet = workbook.get_sheet_by_index(index)
    except BaseException as exc:  # noqa: BLE001
        workbook.close()
        raise _library_error(exc, file_name, kind) from None
    return Sheet(
        name=names[index],
        kind=kind,
        rows=_workbook_rows(workbook, sheet, file_name, kind),
        sheet_names=names,
        estimated_rows=sheet.height,
    )
