"""Files exchanged with BPJS Ketenagakerjaan: the registration export and the invoice list.

The export layout is documented in docs/enrollment.md ("BPJS export"). BPJS's answer to the
export (NIK, KPJ number, coverage start) is read by the importer engine: see
``resources.BpjsActivationImporter``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from importer.exports import safe_cell
from participants.models import WorkerType

from .models import Enrollment, EnrollmentStatus, PremiumRate, ProgramYear

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
                enrollment.declared_wage if is_pu else bpu_bracket,
                enrollment.get_risk_class_display() if is_pu else "",
                "JKK, JKM",
                enrollment.coverage_start.strftime("%d-%m-%Y"),
                enrollment.monthly_premium or 0,
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


# --- reading ------------------------------------------------------------------------------------


def _normalise_header(value: object) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(value or "").lower()).strip()


NIK_HEADERS = {"nik", "no nik", "nomor nik", "nomor induk kependudukan"}
KPJ_HEADERS = {"kpj", "no kpj", "nomor kpj", "no kartu", "nomor kartu", "kpj number"}


def read_table(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """Rows of the first sheet of an xlsx or a csv as (row number, {normalised header: value})."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            sample = handle.read(4096)
            handle.seek(0)
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
            rows = list(csv.reader(handle, dialect))
    else:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()
    if not rows:
        return []
    headers = [_normalise_header(h) for h in rows[0]]
    table = []
    for number, values in enumerate(rows[1:], start=2):
        if all(v in (None, "") for v in values):
            continue
        table.append((number, dict(zip(headers, values, strict=False))))
    return table


def _pick(row: dict[str, Any], names: set[str]) -> Any:
    for key, value in row.items():
        if key in names:
            return value
    return None


def parse_amount_cell(value: object) -> int | None:
    """Whole rupiah from a number cell or text like ``16.800`` / ``Rp 16,800``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    digits = re.sub(r"^rp\s*|[.,\s]", "", str(value or "").strip().lower())
    return int(digits) if digits.isdigit() else None


def _text_cell(value: object) -> str:
    return str(value).strip().lstrip("'") if value is not None else ""


@dataclass
class ParsedFile:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def read_invoice_lines_file(path: str | Path) -> ParsedFile:
    """Parse a BPJS invoice's participant list: NIK, KPJ (optional), amount."""
    result = ParsedFile()
    amount_headers = {"iuran", "jumlah", "amount", "nominal", "jumlah iuran", "tagihan"}
    for number, row in read_table(path):
        nik_cell = _pick(row, NIK_HEADERS)
        if isinstance(nik_cell, int | float):
            result.errors.append(
                (number, gettext("NIK is stored as a number; format the NIK column as Text."))
            )
            continue
        amount_cell = _pick(row, amount_headers)
        amount = parse_amount_cell(amount_cell)
        if amount is None:
            result.errors.append(
                (
                    number,
                    gettext("Amount %(value)s is not a whole number.") % {"value": amount_cell},
                )
            )
            continue
        result.rows.append(
            {
                "row": number,
                "nik": _text_cell(nik_cell),
                "kpj": _text_cell(_pick(row, KPJ_HEADERS)),
                "amount": amount,
            }
        )
    return result
