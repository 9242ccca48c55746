"""The two kinds of import problems: a whole file that cannot be read, and a bad cell."""

from __future__ import annotations

from dataclasses import asdict, dataclass


class FileRejected(Exception):
    """The file itself cannot be read (wrong type, corrupt, no header, too large).

    ``message`` is an Indonesian sentence for staff; ``code`` is stable for programs and tests.
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code


class CellError(Exception):
    """A value that cannot be accepted; raised by parsers, turned into a ``RowError``."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code


class WriteRefused(Exception):
    """A rule the importer checks again while writing refused a row, e.g. because the record
    changed between preview and confirmation. Raised from ``write()``: the transaction is
    rolled back, so nothing is written, and the job is recorded as failed with ``message``."""

    def __init__(self, message: str, *, code: str = "write_refused") -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one row, located the way staff see the sheet.

    ``row`` is the row number the spreadsheet program shows (1-based, title and header rows
    included); ``column`` is the header as written in the file ("" for a whole-row problem).
    """

    row: int
    column: str
    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)
