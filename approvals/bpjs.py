"""The BPJS registration file written from an approved batch's frozen snapshot.

Same columns as ``enrollment.bpjs.EXPORT_COLUMNS`` (the layout BPJS asks for), but every value
comes from what was approved, so a registry edit after approval never changes the file, and
the same batch gives the same bytes (XlsxWriter's fixed zip timestamps, the approval date as
the creation date). The integrator wires this into the BPJS export step.
"""

from __future__ import annotations

import datetime
import io

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.bpjs import CITY_NAME, EXPORT_COLUMNS
from enrollment.models import PremiumRate, RiskClass
from importer.exports import safe_cell
from participants.models import WorkerType

from .models import BatchStatus, SnapshotRow, SubmissionBatch

RISK_LABELS = dict(RiskClass.choices)


def export_batch(batch: SubmissionBatch) -> bytes:
    """The xlsx BPJS registration file of one approved batch."""
    import xlsxwriter

    if batch.status != BatchStatus.APPROVED:
        raise ValidationError(
            _("Batch %(number)s is not approved: nothing reaches BPJS unapproved.")
            % {"number": batch.number},
            code="not_approved",
        )
    rate = PremiumRate.objects.filter(
        program_year=batch.program_year_id, worker_type=WorkerType.BPU
    ).first()
    bpu_bracket = rate.jkk_amount * 100 if rate and rate.jkk_amount else 0
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    workbook.set_properties(
        {
            "title": f"Pendaftaran {batch.number}",
            "created": datetime.datetime.combine(
                timezone.localdate(batch.approved_at), datetime.time()
            ),
        }
    )
    sheet = workbook.add_worksheet(f"Pendaftaran {batch.program_year.year}")
    bold = workbook.add_format({"bold": True})
    text = workbook.add_format({"num_format": "@"})
    for col, (name, width) in enumerate(EXPORT_COLUMNS):
        sheet.write_string(0, col, name, bold)
        sheet.set_column(col, col, width, text if name in ("NIK", "TANGGAL LAHIR") else None)
    with_kelurahan = SnapshotRow.objects.filter(batch=batch).order_by("position")
    for row_index, row in enumerate(with_kelurahan.iterator(chunk_size=2000), start=1):
        is_pu = row.worker_type == WorkerType.PU
        values = [
            row_index,
            safe_cell(row.nik),
            safe_cell(row.full_name.upper()),
            safe_cell(row.birth_place.upper()),
            row.birth_date.strftime("%d-%m-%Y"),
            row.sex,
            safe_cell(row.address.upper()),
            safe_cell(row.rt),
            safe_cell(row.rw),
            safe_cell(row.kelurahan.upper()),
            safe_cell(row.kecamatan.upper()),
            CITY_NAME,
            safe_cell(row.phone),
            row.worker_type,
            safe_cell(row.segment),
            row.declared_wage if is_pu else bpu_bracket,
            str(RISK_LABELS.get(row.risk_class, "")) if is_pu else "",
            "JKK, JKM",
            row.coverage_start.strftime("%d-%m-%Y"),
            row.monthly_premium,
            row.enrollment_id_frozen,
        ]
        for col, value in enumerate(values):
            if isinstance(value, int):
                sheet.write_number(row_index, col, value)
            elif value:
                sheet.write_string(row_index, col, value)
    sheet.freeze_panes(1, 2)
    workbook.close()
    return out.getvalue()
