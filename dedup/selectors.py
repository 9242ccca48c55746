"""Who is covered twice: this year's people on another payer's list."""

from __future__ import annotations

from django.utils.translation import gettext

from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear

from .models import OtherCover

CHECKED_STATUSES = [
    EnrollmentStatus.PROPOSED,
    EnrollmentStatus.VERIFIED,
    EnrollmentStatus.SUBMITTED,
    EnrollmentStatus.ACTIVE,
]


def other_payers(*, program_year_id: int, nik: str) -> list[str]:
    """Payers whose list for the year holds this NIK."""
    return list(
        OtherCover.objects.filter(program_year_id=program_year_id, nik=nik)
        .order_by("payer")
        .values_list("payer", flat=True)
    )


def other_cover_warnings(*, worker, program_year) -> list:
    """Eligibility's warning for a worker another payer already covers this year.

    The year's lists are read once per ``ProgramYear`` instance, so bulk callers (renewal,
    propose top N) pay one query, not one per worker."""
    from enrollment.eligibility import Finding

    listed = getattr(program_year, "_other_cover", None)
    if listed is None:
        listed = {}
        for nik, payer in OtherCover.objects.filter(program_year_id=program_year.pk).values_list(
            "nik", "payer"
        ):
            listed.setdefault(nik, []).append(payer)
        program_year._other_cover = listed
    payers = listed.get(worker.nik)
    if not payers:
        return []
    return [
        Finding(
            "covered_by_other_payer",
            gettext("Another payer already covers this NIK this year: %(payers)s.")
            % {"payers": ", ".join(sorted(payers))},
        )
    ]


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
