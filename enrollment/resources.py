"""BPJS Ketenagakerjaan's answer to the registration export, on the importer engine (header
matching, cell parsing, preview/confirm, invalid-rows file, one-transaction write, ``ImportJob``
audit).

``BpjsActivationImporter`` reads NIK, KPJ number and coverage start for one program year and
activates the matching *submitted* enrollments through ``services.enrollment_activate``, so
the status history, the budget check and the locks are those of any other activation. It never
creates anything: a NIK without a submitted enrollment in the year is reported as an invalid
row with the reason.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from importer.columns import Column, ColumnSpec, Layout, Record
from importer.engine import INVALID, NEW, UNCHANGED, PlannedRow, SpreadsheetImporter
from importer.errors import CellError, WriteRefused
from importer.exports import write_xlsx
from importer.parsers import Cell, clean_text, parse_date, parse_nik

from . import services
from .models import Enrollment, EnrollmentStatus, ProgramYear, kpj_validator

CHUNK = 900  # values per IN (...) query: below SQLite's 999-parameter floor.
KPJ_DIGITS = 11


def parse_kpj(value: Cell) -> str:
    """A KPJ number (11 digits), kept as text.

    Eleven digits fit in a spreadsheet number, so a number cell is accepted when it still has
    all of them; a shorter one has lost a leading zero and is refused with the fix.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        if len(text) != KPJ_DIGITS:
            raise CellError(
                _(
                    "KPJ %(value)s is stored as a number and has %(count)d digits instead of "
                    "11, so a leading zero may be lost. Format the KPJ column as Text and type "
                    "the number again."
                )
                % {"value": text, "count": len(text)},
                code="kpj_numeric_cell",
            )
        return text
    if not isinstance(value, str):
        raise CellError(_("A KPJ number is 11 digits."), code="kpj_format")
    text = clean_text(value).replace(" ", "")
    try:
        kpj_validator(text)
    except ValidationError as exc:
        raise CellError(
            _("KPJ %(value)s: %(reason)s") % {"value": text, "reason": " ".join(exc.messages)},
            code="kpj_format",
        ) from None
    return text


BPJS_ACTIVATION_COLUMNS = ColumnSpec(
    [
        Column("nik", "NIK", ("No KTP", "Nomor KTP", "Nomor Induk Kependudukan", "No NIK",
                              "Nomor NIK"),
               required=True, parser=parse_nik),
        Column("kpj_number", "No KPJ",
               ("KPJ", "Nomor KPJ", "No Kartu", "Nomor Kartu", "No Kartu Peserta",
                "Nomor Peserta", "No Peserta", "KPJ Number"),
               required=True, parser=parse_kpj),
        Column("coverage_start", "Tanggal Mulai Kepesertaan",
               ("Tgl Mulai Kepesertaan", "Tanggal Kepesertaan", "Tgl Kepesertaan", "TMT",
                "TMT Kepesertaan", "Mulai", "Mulai Kepesertaan", "Tanggal Mulai", "Tgl Mulai",
                "Coverage Start"),
               required=True, parser=parse_date),
    ]
)  # fmt: skip

ENROLLMENT_FIELDS = (
    "id",
    "program_year_id",
    "worker_id",
    "worker__nik",
    "status",
    "kpj_number",
    "coverage_start",
    "coverage_end",
)


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _shown(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.strftime("%d-%m-%Y")
    return value


class BpjsActivationImporter(SpreadsheetImporter):
    """BPJS's activation file for one program year: NIK, KPJ number, coverage start.

    A submitted enrollment is activated ("new"); one already active with the same KPJ is
    unchanged, so uploading the same file again changes nothing. Every other row is invalid
    with the reason: NIK not enrolled in the year or not submitted, a NIK or KPJ twice in the
    file, a KPJ that belongs to another worker, a start outside the enrollment's period.
    """

    kind = "bpjs_activation"
    title = gettext_lazy("BPJS activation file")
    spec = BPJS_ACTIVATION_COLUMNS
    permission = services.BPJS_PERMISSION

    def __init__(self, *, program_year: ProgramYear | None = None) -> None:
        # None when a background job confirms a staged plan: write() needs only the rows.
        self.program_year = program_year

    def plan_rows(self, layout: Layout, records: Iterator[Record]) -> list[PlannedRow]:
        if self.program_year is None:
            raise ValueError("A BPJS activation import needs its program year.")
        records = list(records)
        niks = sorted({r.values["nik"] for r in records if "nik" in r.values})
        kpjs = sorted({r.values["kpj_number"] for r in records if "kpj_number" in r.values})
        enrollments: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(niks):
            for row in Enrollment.objects.filter(
                program_year=self.program_year, worker__nik__in=chunk
            ).values(*ENROLLMENT_FIELDS):
                enrollments[row["worker__nik"]] = row
        kpj_workers: dict[str, set[int]] = {}
        for chunk in _chunks(kpjs):
            for kpj, worker_id in Enrollment.objects.filter(kpj_number__in=chunk).values_list(
                "kpj_number", "worker_id"
            ):
                kpj_workers.setdefault(kpj, set()).add(worker_id)
        seen_nik: dict[str, int] = {}
        seen_kpj: dict[str, int] = {}
        planned = []
        for record in records:
            values = record.values
            nik, kpj = values.get("nik"), values.get("kpj_number")
            if nik is not None:
                self._check_repeat(record, layout, "nik", nik, seen_nik)
            if kpj is not None:
                self._check_repeat(record, layout, "kpj_number", kpj, seen_kpj)
            enrollment = enrollments.get(nik) if nik else None
            if nik and enrollment is None:
                record.add_error(
                    layout.header_of("nik"),
                    "not_enrolled",
                    _("No enrollment in %(year)s for this NIK.") % {"year": self.program_year.year},
                )
            unchanged = False
            if enrollment is not None and kpj is not None:
                unchanged = self._check_enrollment(record, layout, enrollment, kpj_workers)
            if record.errors:
                planned.append(
                    PlannedRow(
                        record.row,
                        INVALID,
                        nik or "",
                        errors=record.errors,
                        cells=[_shown(c) for c in record.cells],
                    )
                )
            elif unchanged:
                planned.append(PlannedRow(record.row, UNCHANGED, nik))
            else:
                planned.append(self._activation(record, enrollment))
        return planned

    @staticmethod
    def _check_repeat(
        record: Record, layout: Layout, field: str, value: str, seen: dict[str, int]
    ) -> None:
        if value in seen:
            record.add_error(
                layout.header_of(field),
                "duplicate_in_file",
                _("This row repeats row %(row)d of the file.") % {"row": seen[value]},
            )
        else:
            seen[value] = record.row

    def _check_enrollment(
        self,
        record: Record,
        layout: Layout,
        enrollment: dict[str, Any],
        kpj_workers: dict[str, set[int]],
    ) -> bool:
        """Add the row's errors against the year's enrollment; True when already applied."""
        kpj = record.values["kpj_number"]
        status = enrollment["status"]
        if status == EnrollmentStatus.ACTIVE:
            if enrollment["kpj_number"] == kpj:
                return True
            record.add_error(
                layout.header_of("kpj_number"),
                "active_other_kpj",
                _("The enrollment is already active with KPJ number %(kpj)s.")
                % {"kpj": enrollment["kpj_number"]},
            )
            return False
        if status != EnrollmentStatus.SUBMITTED:
            record.add_error(
                layout.header_of("nik"),
                "not_submitted",
                _("The enrollment is %(status)s, not submitted to BPJS.")
                % {"status": EnrollmentStatus(status).label},
            )
            return False
        if kpj_workers.get(kpj, set()) - {enrollment["worker_id"]}:
            error = services.kpj_taken_error(kpj)
            record.add_error(layout.header_of("kpj_number"), error.code, error.messages[0])
        start = record.values.get("coverage_start")
        if start is not None:
            try:
                services.check_activation_start(
                    program_year=self.program_year,
                    coverage_end=enrollment["coverage_end"],
                    coverage_start=start,
                )
            except ValidationError as exc:
                record.add_error(layout.header_of("coverage_start"), exc.code, exc.messages[0])
        return False

    @staticmethod
    def _activation(record: Record, enrollment: dict[str, Any]) -> PlannedRow:
        values = record.values
        planned_start, start = enrollment["coverage_start"], values["coverage_start"]
        changes = {
            "kpj_number": [None, values["kpj_number"]],
            "coverage_start": [_shown(planned_start) if planned_start != start else None,
                               _shown(start)],
        }  # fmt: skip
        return PlannedRow(
            record.row,
            NEW,
            values["nik"],
            data={
                "enrollment_id": enrollment["id"],
                "program_year_id": enrollment["program_year_id"],
                "kpj_number": values["kpj_number"],
                "coverage_start": values["coverage_start"],
            },
            changes=changes,
        )

    def write(self, rows: list[PlannedRow], *, user: Any) -> dict[str, int]:
        """Activate the rows through ``services.enrollments_activate``, all or none.

        The rows were checked at preview time; a refusal here means an enrollment or the
        year's budget changed since, and the whole import is rolled back.
        """
        if not rows:
            return {"activated": 0}
        row_of = {r.data["enrollment_id"]: r.row for r in rows}
        activations = [
            services.Activation(
                r.data["enrollment_id"], r.data["kpj_number"], r.data["coverage_start"]
            )
            for r in rows
        ]
        try:
            activated = services.enrollments_activate(
                program_year=ProgramYear(pk=rows[0].data["program_year_id"]),
                activations=activations,
                user=user,
                reason=_("BPJS registration file"),
            )
        except services.ActivationRefused as exc:
            raise WriteRefused(
                _("Row %(row)s: %(why)s")
                % {"row": row_of[exc.enrollment_id], "why": "; ".join(exc.messages)},
                code=getattr(exc, "code", None) or "write_refused",
            ) from exc
        except ValidationError as exc:  # e.g. the year was closed after the preview
            raise WriteRefused("; ".join(exc.messages), code="write_refused") from exc
        return {"activated": len(activated)}

    def template_bytes(self) -> bytes:
        buffer = io.BytesIO()
        write_xlsx(
            buffer,
            [c.label for c in BPJS_ACTIVATION_COLUMNS.columns],
            [],
            sheet_title="Aktivasi BPJS",
            text_columns=[0, 1],
        )
        return buffer.getvalue()
