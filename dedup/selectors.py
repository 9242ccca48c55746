"""Who is covered twice: this year's people on another payer's list."""

from __future__ import annotations

from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear

from .models import OtherCover

CHECKED_STATUSES = [
    EnrollmentStatus.PROPOSED,
    EnrollmentStatus.VERIFIED,
    EnrollmentStatus.SUBMITTED,
    EnrollmentStatus.ACTIVE,
]


def other_payers(*, program_year_id: int, nik: str) -> list[str]:
    """Payers whose list for the year holds this NIK (eligibility's warning)."""
    return list(
        OtherCover.objects.filter(program_year_id=program_year_id, nik=nik)
        .order_by("payer")
        .values_list("payer", flat=True)
    )


def double_cover(program_year: ProgramYear) -> list[dict]:
    """The year's open enrollments whose worker appears on another payer's list."""
    listed: dict[str, list[str]] = {}
    for nik, payer in OtherCover.objects.filter(program_year=program_year).values_list(
        "nik", "payer"
    ):
        listed.setdefault(nik, []).append(payer)
    if not listed:
        return []
    rows = []
    enrollments = (
        Enrollment.objects.filter(program_year=program_year, status__in=CHECKED_STATUSES)
        .filter(worker__nik__in=list(listed))
        .select_related("worker")
        .order_by("worker__full_name")
    )
    for enrollment in enrollments:
        rows.append(
            {
                "enrollment_id": enrollment.pk,
                "worker_id": enrollment.worker_id,
                "nik": enrollment.worker.nik,
                "name": enrollment.worker.full_name,
                "status": enrollment.get_status_display(),
                "payers": sorted(listed[enrollment.worker.nik]),
            }
        )
    return rows
