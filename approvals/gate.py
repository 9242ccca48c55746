"""Nothing reaches BPJS unapproved: the check the BPJS export (and anything else that sends
participants out of the office) must call before it writes a row.

An enrollment is approved when it appears in the frozen snapshot of an approved batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear

from .models import BatchStatus, SnapshotRow

# Statuses on the way to BPJS: they must have been approved.
GATED_STATUSES = (EnrollmentStatus.VERIFIED, EnrollmentStatus.SUBMITTED)


def approved_enrollment_ids(program_year: ProgramYear) -> set[int]:
    return set(
        SnapshotRow.objects.filter(
            batch__program_year=program_year, batch__status=BatchStatus.APPROVED
        ).values_list("enrollment_id_frozen", flat=True)
    )


def unapproved_enrollment_ids(program_year: ProgramYear) -> set[int]:
    """The year's verified or submitted enrollments that no approved batch contains."""
    gated = Enrollment.objects.filter(program_year=program_year, status__in=GATED_STATUSES)
    return set(gated.values_list("pk", flat=True)) - approved_enrollment_ids(program_year)


def require_approved(enrollments: Iterable[Enrollment]) -> None:
    """Refuse (with every unapproved row named) unless all enrollments are approved."""
    enrollments = list(enrollments)
    approved: dict[int, set[int]] = {}
    missing = []
    for enrollment in enrollments:
        year_id = enrollment.program_year_id
        if year_id not in approved:
            approved[year_id] = approved_enrollment_ids(enrollment.program_year)
        if enrollment.pk not in approved[year_id]:
            missing.append(enrollment)
    if missing:
        raise ValidationError(
            [
                _("%(name)s (enrollment %(id)s) is in no approved submission batch.")
                % {"name": e.worker.full_name, "id": e.pk}
                for e in missing[:50]
            ]
            + (
                [_("… and %(count)s more.") % {"count": len(missing) - 50}]
                if len(missing) > 50
                else []
            ),
            code="not_approved",
        )
