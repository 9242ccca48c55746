"""The registration export Siaga sends to BPJS Ketenagakerjaan.

The layout is documented in docs/enrollment.md ("BPJS export"). What BPJS sends back is read
by the importer engine: the activation file (NIK, KPJ number, coverage start) by
``resources.BpjsActivationImporter``, an invoice's participant list (NIK, KPJ, amount) by
``resources.InvoiceLinesImporter``.
"""

from __future__ import annotations

from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from importer.exports import safe_cell
from participants.models import WorkerType

from .models import MICRO, Enrollment, EnrollmentStatus, PremiumRate, ProgramYear, WageBase

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
    """Write the year's submitted (didaftarkan) enrollments as xlsx to ``stream``.

    Returns the number of participants written. Every cell is written as text or a whole
    number; NIK and dates are text so Excel keeps all 16 digits and the day order.
    """
    enrollments = (
        Enrollment.objects.filter(program_year=program_year, status=EnrollmentStatus.SUBMITTED)
        .select_related("worker", "worker__kelurahan__kecamatan", "worker__segment")
        .order_by("worker__kelurahan__code", "worker__full_name", "pk")
    )
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
    for count, enrollment in enumerate(enrollments.iterator(chunk_size=2000), start=1):
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
