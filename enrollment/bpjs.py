"""The registration export Siaga sends to BPJS Ketenagakerjaan.

The layout is documented in docs/enrollment.md ("BPJS export"). What BPJS sends back is read
by the importer engine: the activation file (NIK, KPJ number, coverage start) by
``resources.BpjsActivationImporter``, an invoice's participant list (NIK, KPJ, amount) by
``resources.InvoiceLinesImporter``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from openpyxl import Workbook
from openpyxl.styles import Font

from importer.exports import safe_cell
from participants.models import WorkerType

from .models import (
    MICRO,
    BpjsExport,
    Enrollment,
    EnrollmentStatus,
    PremiumRate,
    ProgramYear,
    WageBase,
)
from .services import (
    _record_moves_bulk,
    ensure_year_open,
    require_approved_for_bpjs,
    user_or_none,
    worker_presence_error,
)

S = EnrollmentStatus

CITY_NAME = "KOTA MADIUN"

# (header, width). Order and names follow the fields BPJS Ketenagakerjaan's collective
# registration asks for; see docs/enrollment.md for the reasons.
EXPORT_COLUMNS: list[tuple[str, int]] = [
    ("NO", 6),
    ("NIK", 19),
    ("NAMA LENGKAP", 30),
    ("TEMPAT LAHIR", 16),
    ("TANGGAL LAHIR", 14),
    ("JENIS KELAMIN", 8),
    ("ALAMAT", 30),
    ("RT", 5),
    ("RW", 5),
    ("KELURAHAN", 18),
    ("KECAMATAN", 14),
    ("KABUPATEN/KOTA", 14),
    ("NO HP", 16),
    ("JENIS KEPESERTAAN", 10),
    ("JENIS PEKERJAAN", 24),
    ("UPAH/PENGHASILAN", 14),
    ("KELAS RISIKO", 14),
    ("PROGRAM", 10),
    ("TANGGAL MULAI KEPESERTAAN", 14),
    ("IURAN PER BULAN", 12),
    ("ID SIAGA", 10),
]


def _bpu_income_bracket(rates: dict[str, PremiumRate]) -> int:
    # BPU JKK is 1% of the declared income bracket: the bracket is JKK × 100.
    rate = rates.get(WorkerType.BPU)
    return rate.jkk_amount * 100 if rate and rate.jkk_amount else 0


def _ordered(enrollments: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    return enrollments.select_related(
        "worker", "worker__kelurahan__kecamatan", "worker__segment"
    ).order_by("worker__kelurahan__code", "worker__full_name", "pk")


def _exact(micro: int | None) -> Decimal | int:
    """An exact amount (millionths of a rupiah) as the number BPJS computes, fraction kept."""
    if micro is None:
        return 0
    value = Decimal(micro) / MICRO
    return int(value) if value == value.to_integral_value() else value


def _pu_wage(program_year: ProgramYear, enrollment: Enrollment) -> Decimal | int:
    """The PU contribution base: the year's UMK (with its cents) or the declared wage."""
    if program_year.pu_wage_base == WageBase.UMK:
        umk = Decimal(program_year.umk)
        return int(umk) if umk == umk.to_integral_value() else umk
    return enrollment.declared_wage


def export_submitted(program_year: ProgramYear, stream) -> int:
    """Write the year's submitted (didaftarkan) enrollments as xlsx to ``stream`` (a file
    sent again: they were submitted by an earlier export). Returns the number written.
    Refused, naming them, if any is in no approved submission batch."""
    submitted = _ordered(
        Enrollment.objects.filter(program_year=program_year, status=EnrollmentStatus.SUBMITTED)
    )
    require_approved_for_bpjs(submitted, action=gettext("The BPJS registration file"))
    return write_workbook(program_year, submitted, stream)


def write_workbook(program_year: ProgramYear, enrollments: Iterable[Enrollment], stream) -> int:
    """Write ``enrollments`` as the registration xlsx to ``stream``; return the row count.

    Every cell is written as text or a whole number; NIK and dates are text so Excel keeps
    all 16 digits and the day order.
    """
    if isinstance(enrollments, QuerySet):
        enrollments = enrollments.iterator(chunk_size=2000)
    rates = {
        r.worker_type: r
        for r in PremiumRate.objects.filter(program_year=program_year, worker_type=WorkerType.BPU)
    }
    bpu_bracket = _bpu_income_bracket(rates)

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = f"Pendaftaran {program_year.year}"
    sheet.append([name for name, _w in EXPORT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, (_name, width) in enumerate(EXPORT_COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    count = 0
    for count, enrollment in enumerate(enrollments, start=1):
        worker = enrollment.worker
        is_pu = enrollment.worker_type == WorkerType.PU
        sheet.append(
            [
                count,
                safe_cell(worker.nik),
                safe_cell(worker.full_name.upper()),
                safe_cell(worker.birth_place.upper()),
                worker.birth_date.strftime("%d-%m-%Y"),
                worker.sex,
                safe_cell(worker.address.upper()),
                safe_cell(worker.rt),
                safe_cell(worker.rw),
                safe_cell(worker.kelurahan.name.upper()),
                safe_cell(worker.kelurahan.kecamatan.name.upper()),
                CITY_NAME,
                safe_cell(worker.phone),
                enrollment.worker_type,
                safe_cell(worker.segment.name),
                _pu_wage(program_year, enrollment) if is_pu else bpu_bracket,
                enrollment.get_risk_class_display() if is_pu else "",
                "JKK, JKM",
                enrollment.coverage_start.strftime("%d-%m-%Y"),
                _exact(enrollment.monthly_premium_micro),
                enrollment.pk,
            ]
        )
    # Text columns stay text when staff retype a cell.
    for column in ("B", "E", "S"):
        for cell in sheet[column]:
            cell.number_format = "@"
    sheet.freeze_panes = "C2"
    workbook.save(stream)
    return count


# --- the export that submits ------------------------------------------------------------------


@dataclass
class ExportPlan:
    """What an export of a year would send now, what it leaves out and why."""

    program_year: ProgramYear
    verified: list[Enrollment] = field(default_factory=list)
    resend: list[Enrollment] = field(default_factory=list)
    left_out: list[tuple[Enrollment, str]] = field(default_factory=list)
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def to_send(self) -> list[Enrollment]:
        return sorted(
            [*self.verified, *self.resend],
            key=lambda e: (e.worker.kelurahan.code, e.worker.full_name, e.pk),
        )

    def nothing_to_send(self) -> str:
        """Why the export would be empty (for the page and the refusal); "" if it is not."""
        if self.to_send:
            return ""
        parts = [
            gettext("No verified enrollment of %(year)s is waiting to be sent to BPJS.")
            % {"year": self.program_year.year}
        ]
        if self.left_out:
            parts.append(
                ngettext(
                    "%(count)d verified enrollment is left out because the worker died or "
                    "was deactivated.",
                    "%(count)d verified enrollments are left out because the worker died or "
                    "was deactivated.",
                    len(self.left_out),
                )
                % {"count": len(self.left_out)}
            )
        proposed = self.by_status.get(EnrollmentStatus.PROPOSED, 0)
        if proposed:
            parts.append(
                ngettext(
                    "%(count)d enrollment is still proposed: verify it first.",
                    "%(count)d enrollments are still proposed: verify them first.",
                    proposed,
                )
                % {"count": proposed}
            )
        submitted = self.by_status.get(EnrollmentStatus.SUBMITTED, 0)
        if submitted:
            parts.append(
                ngettext(
                    "%(count)d enrollment was already sent and waits for BPJS's answer; "
                    "choose “send again” to include it.",
                    "%(count)d enrollments were already sent and wait for BPJS's answer; "
                    "choose “send again” to include them.",
                    submitted,
                )
                % {"count": submitted}
            )
        return " ".join(parts)

    def approval_refusal(self) -> list[str]:
        """Why the file may not be made yet because something it carries is unapproved
        (count, rows named, where to approve them); [] when all is approved. Nothing
        reaches BPJS that no approved submission batch holds (docs/approvals.md)."""
        try:
            require_approved_for_bpjs(self.to_send, action=gettext("The BPJS registration file"))
        except ValidationError as exc:
            return exc.messages
        return []


def export_plan(
    program_year: ProgramYear, *, resend: bool = False, lock: bool = False
) -> ExportPlan:
    """The verified enrollments an export would submit (and, with ``resend``, the submitted
    ones not yet active), less those whose worker has died or been deactivated."""
    plan = ExportPlan(program_year=program_year)
    in_year = Enrollment.objects.filter(program_year=program_year)
    plan.by_status = dict(
        in_year.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    wanted = [EnrollmentStatus.VERIFIED, *([EnrollmentStatus.SUBMITTED] if resend else [])]
    candidates = _ordered(in_year.filter(status__in=wanted))
    if lock:
        candidates = candidates.select_for_update(of=("self",))
    for enrollment in candidates:
        absent = worker_presence_error(enrollment.worker)
        if absent is not None:
            plan.left_out.append((enrollment, " ".join(absent.messages)))
        elif enrollment.status == EnrollmentStatus.VERIFIED:
            plan.verified.append(enrollment)
        else:
            plan.resend.append(enrollment)
    return plan


def export_file_name(program_year: ProgramYear) -> str:
    return f"siaga-pendaftaran-bpjs-{program_year.year}-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx"


@transaction.atomic
def bpjs_export_create(
    *,
    program_year: ProgramYear,
    user: AbstractBaseUser | None,
    stream: BinaryIO,
    resend: bool = False,
) -> BpjsExport:
    """Write the registration file for BPJS and submit what it carries, in one transaction.

    Refused, naming them, while any enrollment it would carry is in no approved submission
    batch (``approvals.gate``): nothing reaches BPJS unapproved.

    Sending the file is what submits the verified enrollments (diverifikasi → didaftarkan),
    so the file is made from them, not from enrollments already marked submitted. With
    ``resend`` the submitted ones still waiting for BPJS's answer go in again. Workers who
    died or were deactivated are left out (listed on the record). The record keeps who,
    when, the file's name and SHA-256 and every enrollment it carried; the file itself is
    not kept. Nothing to send is refused with the reason, never an empty file.
    """
    program_year = ProgramYear.objects.select_for_update().get(pk=program_year.pk)
    ensure_year_open(program_year)
    plan = export_plan(program_year, resend=resend, lock=True)
    refusal = plan.nothing_to_send()
    if refusal:
        raise ValidationError(refusal, code="nothing_to_send")
    require_approved_for_bpjs(plan.to_send, action=gettext("The BPJS registration file"))
    file_name = export_file_name(program_year)
    now = timezone.now()
    by = user_or_none(user)
    note = gettext("BPJS registration file %(file)s") % {"file": file_name}
    for enrollment in plan.verified:
        enrollment.status = S.SUBMITTED
        enrollment.status_note = note
        enrollment.status_changed_at = now
    Enrollment.objects.bulk_update(
        plan.verified, ["status", "status_note", "status_changed_at"], batch_size=1000
    )
    _record_moves_bulk(
        plan.verified, S.VERIFIED, S.SUBMITTED, at=now, by=by, reason=note, history_type="~"
    )
    start = stream.tell()
    count = write_workbook(program_year, plan.to_send, stream)
    stream.seek(start)
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    stream.seek(start)
    export = BpjsExport.objects.create(
        program_year=program_year,
        created_at=now,
        created_by=by,
        file_name=file_name,
        file_sha256=digest.hexdigest(),
        row_count=count,
        submitted_count=len(plan.verified),
        left_out="\n".join(f"{e.pk} {e.worker.full_name}: {why}" for e, why in plan.left_out),
    )
    Through = BpjsExport.enrollments.through
    Through.objects.bulk_create(
        [Through(bpjsexport=export, enrollment=e) for e in plan.to_send], batch_size=5000
    )
    return export
