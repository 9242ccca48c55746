"""The dashboard's figures as plain data (JSON) and as an xlsx workbook (one sheet per
breakdown, plus the trend, the targeting figures and the complaints per category). Both are
built from ``dashboard.selectors.Dashboard`` and ``complaints.selectors.complaint_counts`` so
they match the page."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from complaints.selectors import ANSWERED_WINDOW_DAYS, CategoryRow
from enrollment.models import EnrollmentStatus
from importer.exports import safe_cell
from participants.models import DtksStatus

from .labels import MONTH_LABELS
from .privacy import shown
from .selectors import DESILS, Dashboard, Row, TargetingFigures


def _share(value) -> float | None:
    """A share as a JSON/xlsx number; None where the count behind it is suppressed."""
    return None if value is None else float(value)


def _row(row: Row) -> dict:
    data = {
        "key": row.key,
        "label": row.label,
        "participants": shown(row.participants),
        "active": shown(row.active),
        "target": row.target,
    }
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


def _targeting_row(t: TargetingFigures) -> dict:
    data = {"key": t.key, "label": t.area}
    if t.code:
        data["code"] = t.code
    if t.kecamatan:
        data["kecamatan"] = t.kecamatan
    shares = t.desil_shares
    data.update(
        {
            "participants": shown(t.participants),
            "checked": shown(t.checked),
            "checked_share": _share(t.checked_share),
            "registered": shown(t.registered),
            "registered_share": _share(t.registered_share),
            "not_registered": shown(t.not_registered),
            "not_registered_share": _share(t.not_registered_share),
            "unchecked": shown(t.unchecked),
            "unchecked_share": _share(t.unchecked_share),
            "by_desil": {str(desil): shown(n) for desil, n in t.by_desil.items()},
            "by_desil_share": {str(desil): _share(shares[desil]) for desil in t.by_desil},
            "with_school_age_heirs": shown(t.with_school_age_heirs),
            "school_age_heirs_share": _share(t.school_age_heirs_share),
        }
    )
    return data


def targeting_dict(d: Dashboard) -> dict:
    t = d.targeting
    return {
        "definition": "of the participants: DTKS/DTSEN check result, desil (1-10) and "
        "participants with at least one school-age heir; shares in percent of participants",
        "school_age_on": t.school_age_on.isoformat(),
        "total": _targeting_row(t.total),
        "kecamatan": [_targeting_row(r) for r in t.kecamatan],
        "kelurahan": [_targeting_row(r) for r in t.kelurahan],
    }


def complaints_dict(rows: list[CategoryRow]) -> dict:
    """Counts per category, all program years and areas (no personal data: shown exactly)."""
    return {
        "definition": "open = new, in progress or waiting; overdue = open and past the "
        f"category's deadline; answered = resolved or closed in the last {ANSWERED_WINDOW_DAYS} "
        "days; all program years and areas",
        "answered_window_days": ANSWERED_WINDOW_DAYS,
        "by_category": [
            {
                "key": r.category,
                "label": r.label,
                "open": r.open,
                "overdue": r.overdue,
                "answered": r.answered_recently,
            }
            for r in rows
        ],
    }


def as_dict(d: Dashboard, complaints: list[CategoryRow] | None = None) -> dict:
    f = d.filters
    data = {
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
        "active": shown(d.active),
        "participants": shown(d.participants),
        "target": d.target,
        "suppressed_below": d.suppressed_below,
        "over_commitment": d.over_commitment,
        "budget": {
            "allocated": d.budget.allocated,
            "committed": d.budget.committed,
            "realised": d.budget.realised,
            "remaining": d.budget.remaining,
            "committed_by_selection": shown(d.committed_selection),
        },
        "pipeline": {
            status: shown(d.by_status.get(status, 0)) for status in EnrollmentStatus.values
        },
        "renewals": {"due": shown(d.renewals_due), "done": shown(d.renewals_done)},
        "breakdowns": {key: [_row(r) for r in rows] for key, _title, rows in breakdowns(d)},
        "trend": [{k: shown(v) for k, v in row.items()} for row in trend_rows(d)],
        "targeting": targeting_dict(d),
        "computed_at": d.computed_at.isoformat(),
    }
    if complaints is not None:
        data["complaints"] = complaints_dict(complaints)
    return data


def as_xlsx(d: Dashboard, complaints: list[CategoryRow] | None = None) -> bytes:
    wb = Workbook()
    bold = Font(bold=True)
    summary = wb.active
    summary.title = _("Summary")[:31]
    lines = [
        (_("Program year"), d.program_year.year),
        (_("Covered now (active)"), shown(d.active)),
        (_("Places taken"), shown(d.participants)),
        (_("Target"), d.target),
        (_("Budget allocated (Rp)"), d.budget.allocated),
        (_("Budget committed (Rp)"), d.budget.committed),
        (_("Budget realised (Rp)"), d.budget.realised),
        (_("Budget remaining (Rp)"), d.budget.remaining),
        (_("Committed by the selection (Rp)"), shown(d.committed_selection)),
        (_("Renewals due"), shown(d.renewals_due)),
        (_("Renewals done"), shown(d.renewals_done)),
    ]
    lines += [(str(EnrollmentStatus(s).label), shown(n)) for s, n in d.by_status.items()]
    lines += [(_("Over-committed"), line) for line in d.over_commitment]
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
            share = None if row.share is None else round(row.share, 1)
            sheet.append([label, shown(row.participants), shown(row.active), row.target, share])
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
                shown(row["verified"]),
                shown(row["verified_previous_year"]),
                shown(row["activated"]),
                shown(row["activated_previous_year"]),
            ]
        )
    for cell in trend[1]:
        cell.font = bold
    _targeting_sheet(wb.create_sheet(_("Targeting")[:31]), d)
    if complaints is not None:
        _complaints_sheet(wb.create_sheet(_("Complaints")[:31]), complaints)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _targeting_sheet(sheet, d: Dashboard) -> None:
    """One row per area (the selection, then each kecamatan and kelurahan): counts and
    shares (% of the area's participants) of the DTKS check result, desil and heirs."""
    checked_label = _("Checked against DTKS")
    results = [
        (checked_label, "checked"),
        (str(DtksStatus.REGISTERED.label), "registered"),
        (str(DtksStatus.NOT_REGISTERED.label), "not_registered"),
        (str(DtksStatus.UNCHECKED.label), "unchecked"),
    ]
    heirs_label = _("With school-age heirs")
    header = [_("Level"), _("Area"), _("District (kecamatan)"), _("Participants")]
    for label, _attr in results:
        header += [label, f"{label} (%)"]
    header += [f"Desil {desil}" for desil in DESILS]
    header += [f"Desil {desil} (%)" for desil in DESILS]
    header += [heirs_label, f"{heirs_label} (%)"]
    sheet.append(header)
    t = d.targeting
    levels = [
        (_("Total"), [t.total]),
        (_("District"), t.kecamatan),
        (_("Urban village"), t.kelurahan),
    ]
    for level, rows in levels:
        for row in rows:
            line = [
                level,
                safe_cell(row.area),
                safe_cell(row.kecamatan) or None,
                shown(row.participants),
            ]
            for _label, attr in results:
                line += [shown(getattr(row, attr)), _share(getattr(row, f"{attr}_share"))]
            shares = row.desil_shares
            line += [shown(row.by_desil[desil]) for desil in DESILS]
            line += [_share(shares[desil]) for desil in DESILS]
            line += [shown(row.with_school_age_heirs), _share(row.school_age_heirs_share)]
            sheet.append(line)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["B"].width = 30
    sheet.freeze_panes = "C2"


def _complaints_sheet(sheet, rows: list[CategoryRow]) -> None:
    answered = _("Answered in the last %(days)d days") % {"days": ANSWERED_WINDOW_DAYS}
    sheet.append([_("Category"), _("Open"), _("Overdue"), answered])
    for r in rows:
        sheet.append([r.label, r.open, r.overdue, r.answered_recently])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 34
