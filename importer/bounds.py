"""Bounded reading: check a spreadsheet's size before the reader allocates anything for it.

python-calamine builds each sheet as one dense block from its first to its last used cell
(``Range::from_sparse``), reserves room for a declared dimension (xls) or a declared number
of shared strings (xlsx), and parses every sheet of an xls/ods file when it is opened. A
5 KB file with one cell in XFD1048576 therefore asks for 512 GB and the process aborts,
which no ``except`` can catch. So before calamine sees a file, this module inspects it
cheaply and refuses it, with an Indonesian message, when its declared or actual rows,
columns, cells, sheets or shared strings exceed the limits below:

* xlsx: the zip directory (entry count, unpacked sizes, compression ratio), the workbook's
  sheet list, the shared-strings header and count, and the data sheet's ``<dimension>`` and
  real cell positions, streamed in 1 MB pieces (a byte-level scan; sheets whose cells carry
  no ``r`` reference are walked element by element instead);
* ods: the zip as above, and every table of content.xml (calamine reads them all) with its
  repeated rows and columns expanded arithmetically, never materialised;
* xls: the BIFF records of every sheet (calamine reads them all): the DIMENSIONS record,
  which calamine reserves, and the position of every cell record.

The limits are settings (``SIAGA_IMPORT_MAX_ROWS`` …) that an importer may lower.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from xml.parsers import expat

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .errors import FileRejected

CHUNK = 1 << 20
MAX_XML_DEPTH = 64
# Calamine keeps each cell in 32 bytes (40 while collecting); a block of this many cells is
# the most a sheet may ask for, whatever its shape.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384


@dataclass(frozen=True)
class Limits:
    rows: int
    columns: int
    cells: int
    sheets: int
    zip_entries: int
    unpacked_bytes: int

    @classmethod
    def from_settings(cls, *, rows: int | None = None, columns: int | None = None) -> Limits:
        return cls(
            rows=rows or settings.SIAGA_IMPORT_MAX_ROWS,
            columns=columns or settings.SIAGA_IMPORT_MAX_COLUMNS,
            cells=settings.SIAGA_IMPORT_MAX_CELLS,
            sheets=settings.SIAGA_IMPORT_MAX_SHEETS,
            zip_entries=settings.SIAGA_IMPORT_MAX_ZIP_ENTRIES,
            unpacked_bytes=settings.SIAGA_IMPORT_MAX_UNPACKED_BYTES,
        )


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (as the spreadsheet shows columns)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: bytes | str) -> int:
    """A -> 0, AA -> 26; raises ValueError for anything that is not column letters."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    if not letters or not letters.isalpha() or not letters.isascii():
        raise ValueError(letters)
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number - 1


def _n(value: int) -> str:
    return intcomma(value)


def _damaged(file_name: str) -> FileRejected:
    return FileRejected(
        _(
            "The file %(name)s is damaged or not a real spreadsheet; open it in the "
            "spreadsheet program and save it again."
        )
        % {"name": file_name},
        code="corrupt",
    )


def check_extent(
    limits: Limits, sheet: str, *, rows: int, columns: int, cells: int = 0, declared: bool = False
) -> None:
    """Refuse a sheet whose used area (rows × columns from A1) or cell count is over a limit.

    ``declared`` says the figures come from the file's own description of itself (the
    xlsx ``dimension``, the xls DIMENSIONS record) rather than from its cells.
    """
    corner = f"{column_letters(max(columns, 1) - 1)}{max(rows, 1)}"
    hint = _(
        "Press Ctrl+End in the sheet to see its last used cell; delete the rows and columns "
        "after the list (select them, right-click, Delete) and save again, or split the list "
        "into several files."
    )
    if rows > limits.rows:
        message = _(
            "Sheet %(sheet)s %(how)s %(rows)s rows (up to cell %(corner)s); at most %(max)s rows "
            "can be imported at once."
        ) % {
            "sheet": sheet,
            "how": _("declares") if declared else _("uses"),
            "rows": _n(rows),
            "corner": corner,
            "max": _n(limits.rows),
        }
        raise FileRejected(f"{message} {hint}", code="too_many_rows")
    if columns > limits.columns:
        message = _(
            "Sheet %(sheet)s %(how)s %(columns)s columns (up to cell %(corner)s); at most "
            "%(max)s columns can be imported."
        ) % {
            "sheet": sheet,
            "how": _("declares") if declared else _("uses"),
            "columns": _n(columns),
            "corner": corner,
            "max": _n(limits.columns),
        }
        raise FileRejected(f"{message} {hint}", code="too_many_columns")
    if max(cells, rows * columns) > limits.cells:
        message = _(
            "Sheet %(sheet)s spans %(cells)s cells (up to cell %(corner)s); at most %(max)s "
            "cells can be imported at once."
        ) % {
            "sheet": sheet,
            "cells": _n(max(cells, rows * columns)),
            "corner": corner,
            "max": _n(limits.cells),
        }
        raise FileRejected(f"{message} {hint}", code="too_many_cells")


def check_sheet_count(limits: Limits, count: int) -> None:
    if count > limits.sheets:
        raise FileRejected(
            _(
                "The workbook has %(count)s sheets; at most %(max)s are accepted. Copy the list "
                "into a new workbook and upload that."
            )
            % {"count": _n(count), "max": _n(limits.sheets)},
            code="too_many_sheets",
        )


# --- zip containers (xlsx, ods) ---------------------------------------------------------------


def check_zip(archive: zipfile.ZipFile, file_name: str, limits: Limits) -> None:
    """Refuse an archive that would unpack to far more than any real candidate list.

    Only the zip directory is read. The sizes it declares can lie; ``read_entry`` stops
    at the declared size and the CRC check then fails, so a lie is caught as damage.
    """
    infos = archive.infolist()
    if len(infos) > limits.zip_entries:
        raise FileRejected(
            _(
                "The file %(name)s holds %(count)s parts; a spreadsheet has far fewer. "
                "Save the list again from the spreadsheet program."
            )
            % {"name": file_name, "count": _n(len(infos))},
            code="zip_bomb",
        )
    unpacked = sum(info.file_size for info in infos)
    packed = max(1, sum(info.compress_size for info in infos))
    biggest = max((info.file_size for info in infos), default=0)
    if unpacked > limits.unpacked_bytes or unpacked / packed > 1000 or biggest > (1 << 32):
        raise FileRejected(
            _(
                "The file %(name)s would unpack to %(size)s, far more than a candidate list; "
                "it is refused. Save the list again from the spreadsheet program."
            )
            % {"name": file_name, "size": filesizeformat(unpacked)},
            code="zip_bomb",
        )


def _entry(archive: zipfile.ZipFile, path: str) -> zipfile.ZipInfo | None:
    """The archive member ``path``, found case-insensitively as calamine does."""
    wanted = path.lstrip("/").lower()
    for info in archive.infolist():
        if info.filename.lower() == wanted:
            return info
    return None


def read_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield the member's bytes 1 MB at a time (never more than its declared size)."""
    with archive.open(info) as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo, file_name: str) -> bytes:
    """A small part (workbook list, relationships), refused when it is not small."""
    if info.file_size > 16 * CHUNK:
        raise _damaged(file_name)
    return archive.read(info)


class _Xml:
    """A streaming expat parser that refuses DTDs (entity bombs) and deep nesting."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.parser = expat.ParserCreate()
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self._refuse
        self.parser.EntityDeclHandler = self._refuse
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.depth = 0
        self._locals: dict[str, str] = {}

    def _refuse(self, *args: object) -> None:
        raise _damaged(self.file_name)

    def local(self, name: str) -> str:
        found = self._locals.get(name)
        if found is None:
            found = self._locals[name] = name.rpartition(":")[2]
        return found

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise _damaged(self.file_name)
        self.start(self.local(name), attrs)

    def _end(self, name: str) -> None:
        self.depth -= 1
        self.end(self.local(name))

    def start(self, name: str, attrs: dict[str, str]) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def feed(self, chunks: Iterator[bytes]) -> None:
        try:
            for chunk in chunks:
                self.parser.Parse(chunk, False)
            self.parser.Parse(b"", True)
        except (expat.ExpatError, ValueError, zipfile.BadZipFile, EOFError, OSError):
            raise _damaged(self.file_name) from None


class _Attributes(_Xml):
    """Collect the attributes of every element named ``wanted``."""

    def __init__(self, file_name: str, wanted: str) -> None:
        super().__init__(file_name)
        self.wanted = wanted
        self.found: list[dict[str, str]] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == self.wanted:
            self.found.append(attrs)


def _attributes(data: bytes, file_name: str, wanted: str) -> list[dict[str, str]]:
    scan = _Attributes(file_name, wanted)
    scan.feed(iter([data]))
    return scan.found


def _xlsx_sheet_paths(archive: zipfile.ZipFile, file_name: str) -> list[tuple[str, str | None]]:
    """(sheet name, worksheet part) in workbook order, as calamine lists the sheets."""
    workbook = _entry(archive, "xl/workbook.xml")
    if workbook is None:
        raise _damaged(file_name)
    sheets = _attributes(read_small(archive, workbook, file_name), file_name, "sheet")
    rels_info = _entry(archive, "xl/_rels/workbook.xml.rels")
    targets: dict[str, str] = {}
    if rels_info is not None:
        for rel in _attributes(
            read_small(archive, rels_info, file_name), file_name, "Relationship"
        ):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id", "")] = target
    result = []
    for sheet in sheets:
        rid = next((v for k, v in sheet.items() if k.rpartition(":")[2] == "id"), "")
        result.append((sheet.get("name", ""), targets.get(rid)))
    return result


SST_HEADER = re.compile(rb"<(?:[\w.-]+:)?sst\b[^>]*>")
COUNT_ATTR = re.compile(rb'\b(?:uniqueCount|count)\s*=\s*["\']\s*(\d+)')
SI_TAG = re.compile(rb"<(?:[\w.-]+:)?si[\s>/]")


def _check_shared_strings(archive: zipfile.ZipFile, file_name: str, limits: Limits) -> None:
    """Calamine reserves the declared ``uniqueCount`` of shared strings: check it first."""
    info = _entry(archive, "xl/sharedStrings.xml")
    if info is None:
        return
    count, tail, header_seen = 0, b"", False
    for chunk in read_chunks(archive, info):
        buffer = tail + chunk
        if not header_seen and (header := SST_HEADER.search(buffer)):
            header_seen = True
            for declared in COUNT_ATTR.findall(header.group()):
                if int(declared) > limits.cells:
                    _too_many_strings(int(declared), limits)
        cut = max(0, buffer.rfind(b"<"))  # every tag before the last "<" is complete
        count += len(SI_TAG.findall(buffer, 0, cut))
        tail = buffer[cut:]
        if len(tail) > CHUNK:
            raise _damaged(file_name)
        if count > limits.cells:
            _too_many_strings(count, limits)
    count += len(SI_TAG.findall(tail))
    if count > limits.cells:
        _too_many_strings(count, limits)


def _too_many_strings(count: int, limits: Limits) -> None:
    raise FileRejected(
        _(
            "The workbook lists %(count)s different texts; at most %(max)s cells can be "
            "imported at once. Copy the list into a new workbook and upload that."
        )
        % {"count": _n(count), "max": _n(limits.cells)},
        code="too_many_cells",
    )


DIMENSION = re.compile(rb'<(?:[\w.-]+:)?dimension\b[^>]*\bref\s*=\s*["\']([^"\']*)["\']')
# Cell and row references: ` r="B12"` on cells, ` r="12"` on rows.
# (A literal space keeps the search fast; other spacing falls back to the element walk.)
REF_ROW = re.compile(rb' r="[A-Za-z]*(\d+)"')
REF_LETTERS = re.compile(rb' r="([A-Za-z]+)\d')
CELL_TAGS = (b"<c ", b"<c>", b"<c/")
ROW_TAGS = (b"<row ", b"<row>", b"<row/")


def _tags(buffer: bytes, tags: tuple[bytes, ...]) -> int:
    """How many elements named like ``tags`` start in ``buffer``, with or without a prefix."""
    count = sum(buffer.count(tag) for tag in tags)
    if b":" + tags[0][1:2] in buffer:  # prefixed elements (<x:c …>): count those too
        count += sum(buffer.count(b":" + tag[1:]) for tag in tags)
    return count


def parse_reference(ref: str) -> tuple[int, int]:
    """ "B12" -> (rows, columns) = (12, 2): the extent up to and including that cell."""
    ref = ref.replace("$", "").strip()
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    if not digits:
        raise ValueError(ref)
    return int(digits), column_index(letters) + 1


def _check_dimension(buffer: bytes, sheet: str, limits: Limits) -> None:
    match = DIMENSION.search(buffer)
    if not match:
        return
    try:
        last = match.group(1).decode("ascii").split(":")[-1]
        rows, columns = parse_reference(last)
    except (ValueError, UnicodeDecodeError):
        return  # calamine refuses a malformed dimension itself, with an error we translate
    check_extent(limits, sheet, rows=rows, columns=columns, declared=True)


def _scan_xlsx_sheet(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: str, file_name: str, limits: Limits
) -> None:
    """Find the sheet's real extent without building it.

    Fast path: every cell and row carries its ``r`` reference (Excel, LibreOffice, Google
    Sheets and every library write them), so the largest row number and the set of column
    letters are pulled out by regular expressions over 1 MB pieces. If the references do not
    account for every cell, the sheet is walked element by element as calamine does.
    """
    max_row, letters, cells, rows, refs = 0, set(), 0, 0, 0
    tail, first = b"", True
    for chunk in read_chunks(archive, info):
        buffer = tail + chunk
        cut = buffer.rfind(b">") + 1
        buffer, tail = buffer[:cut], buffer[cut:]
        if len(tail) > CHUNK:  # a megabyte without a tag end is no sheet
            raise _damaged(file_name)
        if first:
            _check_dimension(buffer, sheet, limits)
            first = False
        numbers = REF_ROW.findall(buffer)
        refs += len(numbers)
        if numbers:
            max_row = max(max_row, *map(int, numbers))
        letters.update(REF_LETTERS.findall(buffer))
        cells += _tags(buffer, CELL_TAGS)
        rows += _tags(buffer, ROW_TAGS)
        columns = max((column_index(x) + 1 for x in letters), default=0)
        check_extent(limits, sheet, rows=max_row, columns=columns, cells=cells)
    if refs != cells + rows:
        _walk_xlsx_sheet(archive, info, sheet, file_name, limits)


class _SheetWalk(_Xml):
    """Calamine's own position rules (``XlsxCellReader::next_cell``), cell by cell."""

    def __init__(self, file_name: str, sheet: str, limits: Limits) -> None:
        super().__init__(file_name)
        self.sheet, self.limits = sheet, limits
        self.row = self.col = 0
        self.cell: tuple[int, int] | None = None
        self.max_row = self.max_col = self.count = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "c":
            ref = attrs.get("r")
            if ref:
                try:
                    row, self.col = parse_reference(ref)
                except ValueError:
                    raise _damaged(self.file_name) from None
                self.col -= 1
                self.cell = (row, self.col)
            else:
                self.cell = (self.row + 1, self.col)
        elif name == "row":
            ref = attrs.get("r")
            if ref:
                if not ref.isdigit():
                    raise _damaged(self.file_name)
                self.row = int(ref) - 1

    def end(self, name: str) -> None:
        if name == "c" and self.cell is not None:
            row, col = self.cell
            self.count += 1
            self.max_row, self.max_col = max(self.max_row, row), max(self.max_col, col + 1)
            self.col += 1
            self.cell = None
            if self.count % 4096 == 0 or row > self.limits.rows or col >= self.limits.columns:
                self.check()
        elif name == "row":
            self.row += 1
            self.col = 0

    def check(self) -> None:
        check_extent(
            self.limits, self.sheet, rows=self.max_row, columns=self.max_col, cells=self.count
        )


def _walk_xlsx_sheet(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: str, file_name: str, limits: Limits
) -> None:
    walk = _SheetWalk(file_name, sheet, limits)
    walk.feed(read_chunks(archive, info))
    walk.check()


def check_xlsx(
    archive: zipfile.ZipFile, file_name: str, limits: Limits, pick: Callable[[list[str]], int]
) -> None:
    """Check the parts calamine will read for the sheet ``pick(names)`` chooses."""
    sheets = _xlsx_sheet_paths(archive, file_name)
    check_sheet_count(limits, len(sheets))
    _check_shared_strings(archive, file_name, limits)
    if not sheets:
        return
    name, path = sheets[pick([s[0] for s in sheets])]
    info = _entry(archive, path) if path else None
    if info is not None:
        _scan_xlsx_sheet(archive, info, name, file_name, limits)


# --- ods ----------------------------------------------------------------------------------------


class _OdsWalk(_Xml):
    """Every table's extent with repeated rows/columns counted, never expanded."""

    def __init__(self, file_name: str, limits: Limits) -> None:
        super().__init__(file_name)
        self.limits = limits
        self.tables = 0
        self.sheet = ""
        self.in_row = False

    def _repeat(self, attrs: dict[str, str], key: str) -> int:
        value = attrs.get(key, "1")
        if not value.isdigit():
            raise _damaged(self.file_name)
        return max(1, int(value))

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "table":
            self.tables += 1
            check_sheet_count(self.limits, self.tables)
            self.sheet = attrs.get("table:name", "")
            self.rows_before = 0  # rows (with repeats) before the current row
            self.last_row = 0  # extent up to the last row holding a value
            self.columns = 0
            self.stored = 0
        elif name == "table-row":
            self.in_row = True
            self.row_repeat = self._repeat(attrs, "table:number-rows-repeated")
            self.col = 0
            self.row_last_col = 0
        elif name in ("table-cell", "covered-table-cell") and self.in_row:
            repeat = self._repeat(attrs, "table:number-columns-repeated")
            valued = (
                "office:value-type" in attrs or "table:formula" in attrs or "office:value" in attrs
            )
            self.cell = (self.col, repeat, valued)
            self.col += repeat
        elif self.in_row and getattr(self, "cell", None) and name == "p":
            col, repeat, _valued = self.cell
            self.cell = (col, repeat, True)

    def end(self, name: str) -> None:
        if name in ("table-cell", "covered-table-cell") and getattr(self, "cell", None):
            col, repeat, valued = self.cell
            if valued:
                self.row_last_col = col + repeat
            self.cell = None
        elif name == "table-row" and self.in_row:
            self.in_row = False
            if self.row_last_col:
                self.last_row = self.rows_before + self.row_repeat
                self.columns = max(self.columns, self.row_last_col)
                self.stored += self.row_last_col
            self.rows_before += self.row_repeat
            check_extent(
                self.limits,
                self.sheet,
                rows=self.last_row,
                columns=self.columns,
                cells=self.stored,
            )


def check_ods(archive: zipfile.ZipFile, file_name: str, limits: Limits) -> None:
    info = _entry(archive, "content.xml")
    if info is None:
        raise _damaged(file_name)
    _OdsWalk(file_name, limits).feed(read_chunks(archive, info))


# --- xls (BIFF inside an OLE2 compound document) --------------------------------------------


# Number, Label, RString, BoolErr, RK, LabelSst, Formula: the records calamine turns into cells
# (blank cells are not kept, so they do not count).
XLS_CELL_RECORDS = {0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006}


def _xls_stream(data: bytes, file_name: str) -> bytes:
    from xlrd.compdoc import CompDoc  # the OLE2 reader of xlrd (installed with tablib[xls])

    try:
        document = CompDoc(data, logfile=_NullLog())
        for name in ("Workbook", "Book", "WORKBOOK", "BOOK"):
            stream = document.get_named_stream(name)
            if stream is not None:
                return stream
    except Exception:  # xlrd raises CompDocError, IndexError, struct.error… for damage
        raise _damaged(file_name) from None
    raise _damaged(file_name)


class _NullLog:
    def write(self, text: str) -> None:
        pass


def _records(stream: bytes, start: int) -> Iterator[tuple[int, int, int]]:
    """(record type, offset of its data, length) from ``start`` to the end of the stream."""
    position, end = start, len(stream)
    while position + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, position)
        yield kind, position + 4, length
        position += 4 + length


def check_xls(data: bytes, file_name: str, limits: Limits) -> None:
    """Check every sheet of an xls workbook, as calamine builds them all when it opens it."""
    stream = _xls_stream(data, file_name)
    sheets: list[tuple[int, str]] = []
    for kind, offset, length in _records(stream, 0):
        if kind == 0x0085 and length >= 8:  # BoundSheet8: stream offset of the sheet
            sheets.append((struct.unpack_from("<I", stream, offset)[0], str(len(sheets) + 1)))
            check_sheet_count(limits, len(sheets))
        elif kind == 0x00FC and length >= 8:  # SST: total and unique string counts
            unique = struct.unpack_from("<I", stream, offset + 4)[0]
            if unique > limits.cells:
                _too_many_strings(unique, limits)
        elif kind == 0x000A:  # EOF of the workbook globals
            break
    for position, label in sheets:
        _check_xls_sheet(stream, position, _("number %(n)s") % {"n": label}, limits)


def _check_xls_sheet(stream: bytes, start: int, sheet: str, limits: Limits) -> None:
    max_row = max_col = count = depth = 0
    for kind, offset, length in _records(stream, start):
        if kind == 0x0809:  # BOF: a (possibly nested) substream starts
            depth += 1
        elif kind == 0x000A:
            depth -= 1
            if depth <= 0:
                break
        elif kind == 0x0200 and length in (10, 14):  # DIMENSIONS, reserved by calamine
            if length == 14:
                first_row, last_row = struct.unpack_from("<II", stream, offset)
                first_col, last_col = struct.unpack_from("<HH", stream, offset + 8)
            else:
                first_row, last_row, first_col, last_col = struct.unpack_from(
                    "<HHHH", stream, offset
                )
            rows = max(0, last_row - first_row) + 1
            columns = max(0, last_col - first_col) + 1
            check_extent(limits, sheet, rows=rows, columns=columns, declared=True)
        elif kind in XLS_CELL_RECORDS and length >= 4:
            row, col = struct.unpack_from("<HH", stream, offset)
            count += 1
            max_row, max_col = max(max_row, row + 1), max(max_col, col + 1)
        elif kind == 0x00BD and length >= 6:  # MulRk: a run of number cells
            row, first = struct.unpack_from("<HH", stream, offset)
            last = struct.unpack_from("<H", stream, offset + length - 2)[0]
            count += max(0, last - first + 1)
            max_row, max_col = max(max_row, row + 1), max(max_col, last + 1)
        else:
            continue
        if count % 4096 == 0 or max_row > limits.rows or max_col > limits.columns:
            check_extent(limits, sheet, rows=max_row, columns=max_col, cells=count)
    check_extent(limits, sheet, rows=max_row, columns=max_col, cells=count)
