"""The import pipeline every spreadsheet importer shares: read, plan, then write.

``build_plan`` reads the file and asks the kind-specific ``SpreadsheetImporter`` to classify
each row as new / updated / unchanged / invalid. ``apply_plan`` hands the valid rows to the
importer's ``write`` inside one transaction, so a failure part-way writes nothing.
A plan can be staged (see ``staging``) and applied later without reading the file again.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .bounds import Limits
from .columns import ColumnSpec, Layout, Record
from .errors import FileRejected, RowError
from .reading import open_sheet, sha256_of

NEW, UPDATED, UNCHANGED, INVALID = "new", "updated", "unchanged", "invalid"
# A row that would replace a record of what looks like another person (the worker import: same
# NIK, different name and date of birth). Written only when staff accept that very row.
CONFLICT = "conflict"
STATUSES = (NEW, UPDATED, CONFLICT, UNCHANGED, INVALID)


@dataclass
class PlannedRow:
    """What the import will do with one data row."""

    row: int
    status: str
    key: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, list[Any]] = field(default_factory=dict)  # field -> [old, new]
    errors: list[RowError] = field(default_factory=list)
    cells: list[Any] | None = None  # the original cells, kept for invalid rows only
    # Findings that do not block the row (e.g. a birth date the NIK's digits disagree with).
    warnings: list[str] = field(default_factory=list)
    # Records this row may be the same person as (the worker import: dedup.importing), each
    # {"score", "reasons", "nik", "name", "row" (another row of the file) or "worker_id"}.
    # Never merged: shown on the preview, where staff may tick "not the same person".
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    # Set at confirmation (not staged): staff ticked "not the same person" for this row.
    not_duplicate: bool = False

    def to_stage(self) -> list[Any]:
        item = [
            self.row,
            self.status,
            self.key,
            self.data,
            self.changes,
            [[e.column, e.code, e.message] for e in self.errors],
            self.cells,
        ]
        if self.warnings or self.duplicates:
            item.append(self.warnings)
        if self.duplicates:
            item.append(self.duplicates)
        return item

    @classmethod
    def from_stage(cls, item: list[Any]) -> PlannedRow:
        row, status, key, data, changes, errors, cells, *rest = item
        return cls(
            row,
            status,
            key,
            data,
            changes,
            [RowError(row, *e) for e in errors],
            cells,
            list(rest[0]) if rest else [],
            list(rest[1]) if len(rest) > 1 else [],
        )


def shown(value: Any) -> Any:
    """A value as the preview and the error file show it: dates day-first, as typed."""
    if isinstance(value, datetime.date):
        return value.strftime("%d-%m-%Y")
    return value


def invalid_row(record: Record, key_field: str = "nik") -> PlannedRow:
    """The plan for a row with errors: its key, the errors and its original cells."""
    # The key as typed when its parser refused it, so staff can find the row.
    key = record.values.get(key_field) or getattr(record, "typed", {}).get(key_field) or ""
    return PlannedRow(
        record.row,
        INVALID,
        str(key),
        errors=record.errors,
        cells=[shown(c) for c in record.cells],
    )


def check_repeat(record: Record, layout: Layout, field: str, value: Any, seen: dict) -> None:
    """A value that must be unique in the file: the later row is the invalid one."""
    if value in seen:
        record.add_error(
            layout.header_of(field),
            "duplicate_in_file",
            _("This row repeats row %(row)d of the file.") % {"row": seen[value]},
        )
    else:
        seen[value] = record.row


@dataclass
class Plan:
    kind: str
    file_name: str
    sha256: str
    size: int
    sheet_name: str
    header_row: int
    headers: list[str]
    ignored_headers: list[str]
    rows: list[PlannedRow]
    # Invalid rows beyond SIAGA_IMPORT_MAX_KEPT_INVALID: counted, not kept (memory, staging).
    invalid_omitted: int = 0

    def counts(self) -> dict[str, int]:
        counter = Counter(r.status for r in self.rows)
        counts = {"rows": len(self.rows), **{s: counter.get(s, 0) for s in STATUSES}}
        counts["duplicate"] = sum(1 for r in self.rows if r.duplicates)
        counts["rows"] += self.invalid_omitted
        counts[INVALID] += self.invalid_omitted
        return counts

    def omitted_note(self) -> str:
        """The sentence staff see when only the first invalid rows are listed."""
        if not self.invalid_omitted:
            return ""
        kept = sum(1 for r in self.rows if r.status == INVALID)
        return _(
            "Only the first %(kept)d invalid rows are listed (and in the file of invalid "
            "rows); %(omitted)d more invalid rows were counted but not kept. Fix the listed "
            "rows in the original list and check it again."
        ) % {"kept": kept, "omitted": self.invalid_omitted}

    def errors(self) -> list[RowError]:
        return [e for r in self.rows for e in r.errors]

    def rows_with(self, status: str) -> list[PlannedRow]:
        return [r for r in self.rows if r.status == status]

    def to_stage(self) -> dict[str, Any]:
        meta = {k: v for k, v in self.__dict__.items() if k != "rows"}
        return {"meta": meta, "rows": [r.to_stage() for r in self.rows]}

    @classmethod
    def from_stage(cls, payload: dict[str, Any]) -> Plan:
        return cls(**payload["meta"], rows=[PlannedRow.from_stage(r) for r in payload["rows"]])


def max_kept_invalid() -> int:
    return settings.SIAGA_IMPORT_MAX_KEPT_INVALID


def _slim_invalid(records: Iterator[Record], keep: int) -> Iterator[Record]:
    """Pass records on; beyond the first ``keep`` rows with errors, drop what an invalid row
    would carry (its cells and all but its first error), so ten million broken rows cost
    little even while ``plan_rows`` still sees each one (duplicate checks, counts)."""
    invalid = 0
    for record in records:
        if record.errors:
            invalid += 1
            if invalid > keep:
                record.cells = []
                del record.errors[1:]
        yield record


def _keep_first_invalid(rows: list[PlannedRow], keep: int) -> tuple[list[PlannedRow], int]:
    """The planned rows with only the first ``keep`` invalid ones, and how many were dropped."""
    invalid = 0
    kept = []
    for row in rows:
        if row.status == INVALID:
            invalid += 1
            if invalid > keep:
                continue
        kept.append(row)
    return kept, max(0, invalid - keep)


class SpreadsheetImporter:
    """Base for one kind of import; subclasses declare the columns and the two hooks."""

    kind: str = ""
    title: str = ""
    spec: ColumnSpec
    preferred_sheet: str | None = None
    permission: str = ""
    # Lower than the SIAGA_IMPORT_MAX_ROWS / _COLUMNS settings for a kind whose files are
    # always small; None keeps the setting.
    max_rows: int | None = None
    max_columns: int | None = None

    def limits(self) -> Limits:
        return Limits.from_settings(rows=self.max_rows, columns=self.max_columns)

    def options(self) -> dict[str, Any]:
        """This run's settings besides the file (JSON types), stored on the ``ImportJob`` so
        a background task can rebuild the same importer with ``from_options``."""
        return {}

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> SpreadsheetImporter:
        return cls(**options)

    def plan_rows(self, layout: Layout, records: Iterator[Record]) -> list[PlannedRow]:
        raise NotImplementedError

    def write(self, rows: list[PlannedRow], *, user: Any) -> dict[str, int]:
        """Write valid rows (status new/updated); called inside a transaction."""
        raise NotImplementedError

    def template_bytes(self) -> bytes:
        raise NotImplementedError

    def preview_changes(self, planned: PlannedRow) -> list[tuple[str, Any, Any]] | None:
        """What the preview shows of one row as (label, old, new); None for the default (its
        ``changes``, or a few fields of a new row). For importers that keep per-row display
        out of the staged rows, which may number hundreds of thousands."""
        return None

    def plan_notes(self, plan: Plan) -> list[str]:
        """Sentences the preview shows above the rows, e.g. what confirming will replace."""
        return []


def max_upload_bytes() -> int:
    return settings.SIAGA_IMPORT_MAX_BYTES


def check_size(size: int) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise FileRejected(
            _(
                "The file is %(size)s; files larger than %(limit)s are refused. Split the list "
                "into several files."
            )
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )


def build_plan(
    importer: SpreadsheetImporter,
    data: bytes,
    file_name: str,
    *,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Read and validate a whole file in memory; raise ``FileRejected`` if it is unreadable.

    ``progress`` (for background jobs) is called with a percentage now and then while rows
    are read and checked.
    """
    check_size(len(data))
    try:
        sheet = open_sheet(
            data, file_name, preferred_sheet=importer.preferred_sheet, limits=importer.limits()
        )
        layout, records = importer.spec.parse_rows(sheet)
        records = _slim_invalid(records, max_kept_invalid())
        if progress is not None:
            records = _reporting(records, sheet.estimated_rows, progress)
        rows = importer.plan_rows(layout, records)
    except MemoryError:
        # A last guard: the limits keep real lists far below this.
        raise FileRejected(
            _("The file %(name)s is too large to check at once; split the list into several files.")
            % {"name": file_name},
            code="too_large",
        ) from None
    rows, omitted = _keep_first_invalid(rows, max_kept_invalid())
    if not rows and not omitted:
        raise FileRejected(
            _("The sheet %(sheet)s has a header row but no data rows.") % {"sheet": sheet.name},
            code="no_rows",
        )
    return Plan(
        kind=importer.kind,
        file_name=file_name,
        sha256=sha256_of(data),
        size=len(data),
        sheet_name=sheet.name,
        header_row=layout.header_row,
        headers=layout.headers,
        ignored_headers=layout.ignored,
        rows=rows,
        invalid_omitted=omitted,
    )


PROGRESS_EVERY_ROWS = 2000


def _reporting(
    records: Iterator[Record], total: int, progress: Callable[[int], None]
) -> Iterator[Record]:
    """Pass records through, reporting reading progress as 0-90 % (checking takes the rest)."""
    for count, record in enumerate(records):
        if count % PROGRESS_EVERY_ROWS == 0:
            progress(min(90, count * 90 // max(total, 1)))
        yield record
    progress(90)


def accepted_rows(
    plan: Plan, accepted_conflicts: Any = (), not_duplicates: Any = ()
) -> list[PlannedRow]:
    """The rows a confirmation writes: new and updated ones, plus the identity conflicts staff
    accepted one by one (by row number), which are written as updates. Rows whose number is
    in ``not_duplicates`` carry ``not_duplicate`` (staff ticked "not the same person")."""
    accepted = {int(r) for r in accepted_conflicts or ()}
    distinct = {int(r) for r in not_duplicates or ()}
    rows = []
    for planned in plan.rows:
        if planned.status in (NEW, UPDATED):
            rows.append(planned)
        elif planned.status == CONFLICT and planned.row in accepted:
            rows.append(
                PlannedRow(
                    planned.row, UPDATED, planned.key, planned.data, planned.changes,
                    warnings=planned.warnings, duplicates=planned.duplicates,
                )
            )  # fmt: skip
        else:
            continue
        rows[-1].not_duplicate = planned.row in distinct
    return rows


def apply_plan(
    importer: SpreadsheetImporter,
    plan: Plan,
    *,
    user: Any,
    accepted_conflicts: Any = (),
    not_duplicates: Any = (),
) -> dict[str, int]:
    """Write the plan's valid rows in one transaction; the caller decides about invalid rows.
    Identity conflicts are written only when their row number is in ``accepted_conflicts``."""
    valid = accepted_rows(plan, accepted_conflicts, not_duplicates)
    with transaction.atomic():
        return importer.write(valid, user=user)
