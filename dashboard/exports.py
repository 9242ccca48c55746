"""The dashboard's figures as plain data (JSON) and as an xlsx workbook (one sheet per
breakdown). Both are built from ``dashboard.selectors.Dashboard`` so they match the page."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from enrollment.models import EnrollmentStatus
from importer.exports import safe_cell

from .labels import MONTH_LABELS
from .selectors import Dashboard, Row


def _row(row: Row) -> dict:
    data = {"key": row.key, "label": row.label, "participants": row.participants}
    if row.active or row.extra or row.target is not None:
        data["active"] = row.active
        data["target"] = row.target
    data.update(row.extra)
    return data


def breakdowns(d: Dashboard) -> list[tuple[str, str, list[Row]]]:
    """(JSON key, translated title, rows) of every breakdown, in page order."""
    return [
        ("worker_type", _("Worker type"), d.by_worker_type),
        ("segment", _("Segment"), d.segments),
        ("kecamatan", _("District (kecamatan)"), d.kecamatan),
        ("kelurahan", _("Urban village (kelurahan)"), d.kelurahan),
        ("dtks", _("DTKS status"), d.dtks),
        ("desil", _("Welfare decile (desil)"), d.desil),
        ("sex", _("Sex"), d.sex),
        ("age", _("Age band"), d.age),
        ("heirs", _("Heirs"), d.heirs),
        ("school_age_heirs", _("School-age heirs"), d.school_age_any),
        ("school_level", _("School-age heirs by school level"), d.school_levels),
    ]


def trend_rows(d: Dashboard) -> list[dict]:
    rows = []
    for month in range(0, 14):
        verified = d.trend["verified"].get(month, [0, 0])
        activated = d.trend["activated"].get(month, [0, 0])
        if month in (0, 13) and not any(verified + activated):
            continue
        rows.append(
            {
                "month": month,
                "verified": verified[0],
                "verified_previous_year": verified[1],
                "activated": activated[0],
                "activated_previous_year": activated[1],
            }
        )
    return rows


def month_label(month: int) -> str:
    if month == 0:
        return _("Before January")
    if month == 13:
        return _("After December")
    return str(MONTH_LABELS[month - 1])


def as_dict(d: Dashboard) -> dict:
    f = d.filters
    return {
        "year": d.program_year.year,
        "previous_year": d.previous_year.year if d.previous_year else None,
        "filters": {
            "kecamatan": f.kecamatan.code if f.kecamatan else None,
            "kelurahan": f.kelurahan.code if f.kelurahan else None,
            "segment": f.segment.code if f.segment else None,
            "worker_type": f.worker_type,
        },
        "definition": "participants = enrollments with status in "
        "diverifikasi, didaftarkan, aktif, berakhir",
        "participants": d.participants,
        "target": d.target,
        "budget": {
            "allocated": d.budget.allocated,
            "committed": d.budget.committed,
            "realised": d.budget.realised,
            "remaining": d.budget.remaining,
            "committed_by_selection": d.committed_selection,
        },
        "pipeline": {status: d.by_status.get(status, 0) for status in EnrollmentStatus.values},
        "renewals": {"due": d.renewals_due, "done": d.renewals_done},
        "breakdowns": {key: [_row(r) for r in rows] for key, _title, rows in breakdowns(d)},
        "trend": trend_rows(d),
        "computed_at": d.computed_at.isoformat(),
    }


def as_xlsx(d: Dashboard) -> bytes:
    wb = Workbook()
    bold = Font(bold=True)
    summary = wb.active
    summary.title = _("Summary")[:31]
    lines = [
        (_("Program year"), d.program_year.year),
        (_("Participants"), d.participants),
        (_("Target"), d.target),
        (_("Budget allocated (Rp)"), d.budget.allocated),
        (_("Budget committed (Rp)"), d.budget.committed),
        (_("Budget realised (Rp)"), d.budget.realised),
        (_("Budget remaining (Rp)"), d.budget.remaining),
        (_("Committed by the selection (Rp)"), d.committed_selection),
        (_("Renewals due"), d.renewals_due),
        (_("Renewals done"), d.renewals_done),
    ]
    lines += [(str(EnrollmentStatus(s).label), n) for s, n in d.by_status.items()]
    for label, value in lines:
        summary.append([label, value])
    for cell in summary["A"]:
        cell.font = bold
    summary.column_dimensions["A"].width = 38
    for _key, title, rows in breakdowns(d):
        sheet = wb.create_sheet(title[:31])
        sheet.append([title, _("Participants"), _("Active"), _("Target"), _("Share (%)")])
        for row in rows:
            # Segment and region names are typed by staff: defused like every export.
            label = safe_cell(row.label)
            sheet.append([label, row.participants, row.active, row.target, round(row.share, 1)])
        for cell in sheet[1]:
            cell.font = bold
        sheet.column_dimensions["A"].width = 34
    trend = wb.create_sheet(_("Trend")[:31])
    trend.append(
        [
            _("Month"),
            _("Verified"),
            _("Verified, previous year"),
            _("Activated"),
            _("Activated, previous year"),
        ]
    )
    for row in trend_rows(d):
        trend.append(
            [
                month_label(row["month"]),
                row["verified"],
                row["verified_previous_year"],
                row["activated"],
                row["activated_previous_year"],
            ]
        )
    for cell in trend[1]:
        cell.font = bold
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
