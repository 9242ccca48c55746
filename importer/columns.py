"""Declarative column specs, header-row detection and per-row parsing.

An importer declares its columns once (field name, aliases, required, parser); this module
finds the header row below any title rows, maps the file's headers to fields, and turns each
data row into parsed values plus ``RowError``s located as staff see the sheet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .errors import CellError, FileRejected, RowError
from .parsers import Cell, Parser, is_empty, parse_text
from .reading import Sheet

HEADER_SEARCH_ROWS = 30


def header_key(text: object) -> str:
    """Headers match ignoring case, spaces, dots, underscores, dashes and a '*' marker."""
    return re.sub(r"[\s._\-*:]+", "", str(text).lower())


@dataclass(frozen=True)
class Column:
    field: str
    label: str  # the official template's header
    aliases: Sequence[str] = ()
    required: bool = False
    parser: Parser = parse_text
    help_text: str = ""

    def header_keys(self) -> set[str]:
        return {header_key(self.label), *(header_key(a) for a in self.aliases)}


@dataclass
class Record:
    """One data row: parsed values by field, errors, and the original cells for re-export."""

    row: int
    values: dict[str, object]
    errors: list[RowError]
    cells: list[Cell]
    # Cells a parser refused, as typed (trimmed): the preview shows e.g. the NIK of an
    # invalid row as it was written.
    typed: dict[str, str] = field(default_factory=dict)

    def add_error(self, column: str, code: str, message: str) -> None:
        self.errors.append(RowError(self.row, column, code, str(message)))


@dataclass
class Layout:
    """Where each field's column sits in the file, and what the file called it."""

    header_row: int
    headers: list[str]
    positions: dict[str, int]
    ignored: list[str] = field(default_factory=list)

    def header_of(self, field_name: str) -> str:
        return self.headers[self.positions[field_name]]


class ColumnSpec:
    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = list(columns)
        self.by_field = {c.field: c for c in self.columns}
        self.by_key: dict[str, Column] = {}
        for column in self.columns:
            for key in column.header_keys():
                if key in self.by_key:
                    raise ValueError(f"Header alias {key!r} is used twice")
                self.by_key[key] = column

    def match(self, cells: Sequence[Cell]) -> dict[str, int]:
        positions: dict[str, int] = {}
        for index, cell in enumerate(cells):
            if isinstance(cell, str) and (column := self.by_key.get(header_key(cell))):
                positions.setdefault(column.field, index)
        return positions

    def find_layout(self, sheet: Sheet) -> tuple[Layout, Iterator[tuple[int, list[Cell]]]]:
        """Find the header row among the first rows; return it and the remaining rows."""
        looked_at: list[tuple[int, list[Cell]]] = []
        best: tuple[int, list[Cell], dict[str, int]] | None = None
        rows = sheet.rows
        for number, cells in rows:
            looked_at.append((number, cells))
            positions = self.match(cells)
            if len(positions) >= 2 and (best is None or len(positions) > len(best[2])):
                best = (number, cells, positions)
                if len(positions) == len(self.columns):
                    break
            if len(looked_at) >= HEADER_SEARCH_ROWS:
                break
        if best is None:
            raise FileRejected(
                _(
                    "No header row found in the first %(count)d rows of sheet %(sheet)s. "
                    "The columns need headers such as %(examples)s; use the official template."
                )
                % {
                    "count": HEADER_SEARCH_ROWS,
                    "sheet": sheet.name,
                    "examples": ", ".join(c.label for c in self.columns[:4]),
                },
                code="no_header",
            )
        number, cells, positions = best
        headers = ["" if is_empty(c) else str(c).strip() for c in cells]
        self._refuse_duplicates(headers)
        missing = [c.label for c in self.columns if c.required and c.field not in positions]
        if missing:
            raise FileRejected(
                _("Required columns are missing from the header (row %(row)d): %(columns)s.")
                % {"row": number, "columns": ", ".join(missing)},
                code="missing_columns",
            )
        used = set(positions.values())
        ignored = [h for i, h in enumerate(headers) if h and i not in used]
        layout = Layout(number, headers, positions, ignored)
        remaining = (item for item in looked_at if item[0] > number)
        return layout, _chain(remaining, rows)

    def _refuse_duplicates(self, headers: list[str]) -> None:
        seen: dict[str, str] = {}
        for header in headers:
            column = self.by_key.get(header_key(header))
            if column is None:
                continue
            if column.field in seen:
                raise FileRejected(
                    _("Columns %(first)s and %(second)s both hold %(label)s; keep only one.")
                    % {"first": seen[column.field], "second": header, "label": column.label},
                    code="duplicate_column",
                )
            seen[column.field] = header

    def parse_rows(self, sheet: Sheet) -> tuple[Layout, Iterator[Record]]:
        layout, rows = self.find_layout(sheet)
        return layout, self._records(layout, rows)

    def _records(self, layout: Layout, rows: Iterator[tuple[int, list[Cell]]]) -> Iterator[Record]:
        width = len(layout.headers)
        fields = [(self.by_field[f], p, layout.headers[p]) for f, p in layout.positions.items()]
        # Translated once per column, not once per empty cell (a broken file has millions).
        required = {h: _("%(column)s must be filled in.") % {"column": h} for _c, _p, h in fields}
        for number, cells in rows:
            cells = list(cells[:width])
            if all(is_empty(c) for c in cells):
                continue  # empty rows (often trailing) are not data
            if len(cells) < width:
                cells.extend([""] * (width - len(cells)))
            record = Record(number, {}, [], cells)
            values = record.values
            for column, position, header in fields:
                value = cells[position]
                # Inline "is empty": this loop runs once per cell of the file.
                if value is None or value == "" or (value.__class__ is str and value.isspace()):
                    if column.required:
                        record.add_error(header, "required", required[header])
                    continue
                try:
                    values[column.field] = column.parser(value)
                except CellError as exc:
                    record.add_error(header, exc.code, exc.message)
                    record.typed[column.field] = " ".join(str(value).split())
            yield record


def _chain(*iterables):
    for iterable in iterables:
        yield from iterable
