"""Files from BPJS Ketenagakerjaan, on the importer engine (header matching, cell parsing,
preview/confirm, invalid-rows file, one-transaction write, ``ImportJob`` audit).

``BpjsActivationImporter`` reads NIK, KPJ number and coverage start for one program year and
activates the matching *submitted* enrollments through ``services.enrollments_activate``, so
the status history, the budget check and the locks are those of any other activation. It never
creates anything: a NIK without a submitted enrollment in the year is reported as an invalid
row with the reason.

``InvoiceLinesImporter`` reads the participant list of one premium invoice (NIK, KPJ, amount)
and replaces the invoice's lines, each matched to the year's enrollment by NIK. A NIK without
an enrollment is kept as an unlinked line: it is what the reconciliation reports as billed
but not active.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from importer.bulk import filter_in, insert_rows
from importer.columns import Column, ColumnSpec, Layout, Record
from importer.engine import (
    NEW,
    UNCHANGED,
    Plan,
    PlannedRow,
    SpreadsheetImporter,
    check_repeat,
    invalid_row,
    shown,
)
from importer.errors import CellError, WriteRefused
from importer.exports import write_xlsx
from importer.parsers import Cell, clean_text, parse_date, parse_nik, parse_rupiah
from participants.models import Worker
from siaga.formatting import rupiah

from . import services
from .models import (
    Enrollment,
    EnrollmentStatus,
    InvoiceLine,
    PremiumInvoice,
    ProgramYear,
    kpj_validator,
)

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


NIK_ALIASES = ("No KTP", "Nomor KTP", "Nomor Induk Kependudukan", "No NIK", "Nomor NIK")
KPJ_ALIASES = ("KPJ", "Nomor KPJ", "No Kartu", "Nomor Kartu", "No Kartu Peserta", "Nomor Peserta",
               "No Peserta", "KPJ Number")  # fmt: skip

BPJS_ACTIVATION_COLUMNS = ColumnSpec(
    [
        Column("nik", "NIK", NIK_ALIASES, required=True, parser=parse_nik),
        Column("kpj_number", "No KPJ", KPJ_ALIASES, required=True, parser=parse_kpj),
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
    "worker__death_date",
    "worker__is_active",
    "worker__deactivation_reason",
    "status",
    "kpj_number",
    "coverage_start",
    "coverage_end",
)


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

    def options(self) -> dict[str, Any]:
        return {"program_year_id": self.program_year.pk if self.program_year else None}

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> BpjsActivationImporter:
        year_id = options.get("program_year_id")
        return cls(program_year=ProgramYear.objects.filter(pk=year_id).first() if year_id else None)

    def plan_rows(self, layout: Layout, records: Iterator[Record]) -> list[PlannedRow]:
        if self.program_year is None:
            raise ValueError("A BPJS activation import needs its program year.")
        records = list(records)
        niks = sorted({r.values["nik"] for r in records if "nik" in r.values})
        kpjs = sorted({r.values["kpj_number"] for r in records if "kpj_number" in r.values})
        enrollments: dict[str, dict[str, Any]] = {}
        in_year = Enrollment.objects.filter(program_year=self.program_year)
        for workers in filter_in(Worker.objects.all(), "nik", niks):
            for row in in_year.filter(worker__in=workers).values(*ENROLLMENT_FIELDS):
                enrollments[row["worker__nik"]] = row
        kpj_workers = services.kpj_holders(kpjs)
        seen_nik: dict[str, int] = {}
        seen_kpj: dict[str, int] = {}
        planned = []
        for record in records:
            values = record.values
            nik, kpj = values.get("nik"), values.get("kpj_number")
            if nik is not None:
                check_repeat(record, layout, "nik", nik, seen_nik)
            if kpj is not None:
                check_repeat(record, layout, "kpj_number", kpj, seen_kpj)
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
                planned.append(invalid_row(record))
            elif unchanged:
                planned.append(PlannedRow(record.row, UNCHANGED, nik))
            else:
                planned.append(self._activation(record, enrollment))
        return planned

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
        absent = services.worker_presence_error(
            Worker(
                death_date=enrollment["worker__death_date"],
                is_active=enrollment["worker__is_active"],
                deactivation_reason=enrollment["worker__deactivation_reason"],
            )
        )
        if absent is not None:
            record.add_error(layout.header_of("nik"), absent.code, absent.messages[0])
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
            "coverage_start": [shown(planned_start) if planned_start != start else None,
                               shown(start)],
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


# --- the participant list of a premium invoice -------------------------------------------------

INVOICE_LINES_COLUMNS = ColumnSpec(
    [
        Column("nik", "NIK", NIK_ALIASES, required=True, parser=parse_nik),
        Column("kpj_number", "No KPJ", KPJ_ALIASES, parser=parse_kpj),
        Column("amount", "Iuran",
               ("Jumlah Iuran", "Nominal", "Nominal Iuran", "Amount", "Jumlah", "Tagihan",
                "Jumlah Tagihan", "Total Iuran", "Besar Iuran", "Iuran Per Bulan"),
               required=True, parser=parse_rupiah),
    ]
)  # fmt: skip


class InvoiceLinesImporter(SpreadsheetImporter):
    """BPJS's list of the participants billed on one premium invoice: NIK, KPJ, amount.

    Confirming replaces the invoice's whole list, so every valid row is a line to store ("new")
    and uploading the same file again gives the same lines. Each NIK is matched to its
    enrollment in the invoice's year; a NIK without one is not an error but a line without an
    enrollment, which the reconciliation shows as billed but not active. Invalid rows: a NIK or
    amount that cannot be read (a NIK typed as a number, an amount that is not whole rupiah),
    a malformed KPJ, a NIK repeated in the file.
    """

    kind = "invoice_lines"
    title = gettext_lazy("BPJS invoice participant list")
    spec = INVOICE_LINES_COLUMNS
    permission = "enrollment.change_premiuminvoice"

    def __init__(self, *, invoice: PremiumInvoice | None = None) -> None:
        self.invoice = invoice

    def options(self) -> dict[str, Any]:
        return {"invoice_id": self.invoice.pk if self.invoice else None}

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> InvoiceLinesImporter:
        invoice_id = options.get("invoice_id")
        invoice = (
            PremiumInvoice.objects.select_related("program_year").filter(pk=invoice_id).first()
            if invoice_id
            else None
        )
        return cls(invoice=invoice)

    def _enrollments(self, niks: list[str]) -> dict[str, tuple[int, str]]:
        """NIK -> (enrollment id, status) in the invoice's year, one query per chunk of NIKs."""
        statuses = {s.value: s.value for s in EnrollmentStatus}  # one shared str per status
        found: dict[str, tuple[int, str]] = {}
        for workers in filter_in(Worker.objects.all(), "nik", niks):
            matched = workers.filter(enrollments__program_year=self.invoice.program_year_id)
            for nik, enrollment_id, status in matched.order_by().values_list(
                "nik", "enrollments__id", "enrollments__status"
            ):
                found[nik] = (enrollment_id, statuses.get(status, status))
        return found

    def plan_rows(self, layout: Layout, records: Iterator[Record]) -> list[PlannedRow]:
        if self.invoice is None:
            raise ValueError("An invoice participant list needs its invoice.")
        records = list(records)
        enrollments = self._enrollments([r.values["nik"] for r in records if "nik" in r.values])
        seen: dict[str, int] = {}
        planned = []
        for record in records:
            values = record.values
            nik = values.get("nik")
            if nik is not None:
                check_repeat(record, layout, "nik", nik, seen)
            if record.errors:
                planned.append(invalid_row(record))
                continue
            enrollment_id, status = enrollments.get(nik, (None, ""))
            data = {
                "nik": nik,
                "kpj_number": values.get("kpj_number", ""),
                "amount": values["amount"],
                "enrollment_id": enrollment_id,
                "enrollment_status": status,
            }
            planned.append(PlannedRow(record.row, NEW, nik, data=data))
        return planned

    def preview_changes(self, planned: PlannedRow) -> list[tuple[str, Any, Any]] | None:
        if planned.status != NEW:
            return None
        data = planned.data
        label = {c.field: c.label for c in self.spec.columns}
        shown: list[tuple[str, Any, Any]] = []
        if data["kpj_number"]:
            shown.append((label["kpj_number"], None, data["kpj_number"]))
        shown.append((label["amount"], None, rupiah(data["amount"])))
        if data["enrollment_id"] is None:
            explanation = self._unmatched_text()
        else:
            explanation = EnrollmentStatus(data["enrollment_status"]).label
        shown.append((_("Enrollment"), None, explanation))
        return shown

    def _unmatched_text(self) -> str:
        year = self.invoice.program_year.year if self.invoice else ""
        return _(
            "none in %(year)s: kept as a line without enrollment, shown as billed but not active"
        ) % {"year": year}

    def plan_notes(self, plan: Plan) -> list[str]:
        if self.invoice is None:
            return []
        unmatched = sum(1 for r in plan.rows if r.status == NEW and r.data["enrollment_id"] is None)
        current = self.invoice.lines.count()
        notes = [
            ngettext(
                "Confirming replaces the %(count)d line now on invoice %(invoice)s.",
                "Confirming replaces the %(count)d lines now on invoice %(invoice)s.",
                current,
            )
            % {"count": current, "invoice": self.invoice}
        ]
        if unmatched:
            notes.append(
                ngettext(
                    "%(count)d billed NIK has no enrollment in %(year)s: it is kept as a line "
                    "without enrollment and shown on the reconciliation as billed but not "
                    "active.",
                    "%(count)d billed NIKs have no enrollment in %(year)s: they are kept as "
                    "lines without enrollment and shown on the reconciliation as billed but not "
                    "active.",
                    unmatched,
                )
                % {"count": unmatched, "year": self.invoice.program_year.year}
            )
        return notes

    def write(self, rows: list[PlannedRow], *, user: Any) -> dict[str, int]:
        """Replace the invoice's lines with ``rows``: one DELETE, then a bulk insert (COPY on
        PostgreSQL), inside the caller's transaction.

        The year row is locked and checked again: a year closed since the preview refuses the
        write, as any other change to a closed year.
        """
        if self.invoice is None:
            raise WriteRefused(_("The invoice no longer exists."), code="invoice_missing")
        if not rows:
            raise WriteRefused(
                _("No valid row: the invoice's participant list was left as it was."),
                code="no_valid_rows",
            )
        year = ProgramYear.objects.select_for_update().get(pk=self.invoice.program_year_id)
        try:
            services.ensure_year_open(year)
        except ValidationError as exc:
            raise WriteRefused("; ".join(exc.messages), code="year_closed") from exc
        invoice = PremiumInvoice.objects.select_for_update().filter(pk=self.invoice.pk).first()
        if invoice is None:
            raise WriteRefused(_("The invoice no longer exists."), code="invoice_missing")
        invoice.lines.all().delete()
        stored = insert_rows(
            InvoiceLine,
            [
                {
                    "invoice_id": invoice.pk,
                    "nik": r.data["nik"],
                    "kpj_number": r.data["kpj_number"],
                    "amount": r.data["amount"],
                    "enrollment_id": r.data["enrollment_id"],
                }
                for r in rows
            ],
        )
        unmatched = sum(1 for r in rows if r.data["enrollment_id"] is None)
        return {"lines": stored, "without_enrollment": unmatched}

    def template_bytes(self) -> bytes:
        buffer = io.BytesIO()
        write_xlsx(
            buffer,
            [c.label for c in INVOICE_LINES_COLUMNS.columns],
            [],
            sheet_title="Daftar Tagihan",
            text_columns=[0, 1],
        )
        return buffer.getvalue()
