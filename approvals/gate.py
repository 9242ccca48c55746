"""Nothing reaches BPJS unapproved: the check the BPJS export (and anything else that sends
participants out of the office) must call before it writes a row.

An enrollment is approved when it appears in the frozen snapshot of an approved batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear

from .models import BatchStatus, SnapshotRow

# Statuses on the way to BPJS: they must have been approved.
GATED_STATUSES = (EnrollmentStatus.VERIFIED, EnrollmentStatus.SUBMITTED)
# Rows named one by one in a refusal; the rest are counted.
MAX_NAMED = 50


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


def batches_page() -> str:
    """Where staff put enrollments into a batch and see its approval: the batch list."""
    return reverse("admin:approvals_submissionbatch_changelist")


def require_approved(enrollments: Iterable[Enrollment], *, action: str = "") -> None:
    """Refuse (with the count, every unapproved row named, and where to fix it) unless all
    enrollments are in the frozen snapshot of an approved batch.

    ``action`` says what was refused (e.g. "The BPJS registration file"); the message then
    starts with it.
    """
    enrollments = list(enrollments)
    approved: dict[int, set[int]] = {}
    missing = []
    for enrollment in enrollments:
        year_id = enrollment.program_year_id
        if year_id not in approved:
            approved[year_id] = approved_enrollment_ids(enrollment.program_year)
        if enrollment.pk not in approved[year_id]:
            missing.append(enrollment)
    if not missing:
        return
    head = ngettext(
        "%(count)d enrollment is in no approved submission batch: put it in a batch and have "
        "it approved by the Kepala Bidang first (Submission batches: %(url)s).",
        "%(count)d enrollments are in no approved submission batch: put them in a batch and "
        "have it approved by the Kepala Bidang first (Submission batches: %(url)s).",
        len(missing),
    ) % {"count": len(missing), "url": batches_page()}
    if action:
        head = _("%(action)s is refused. %(reason)s") % {"action": action, "reason": head}
    lines = (
        [head]
        + [
            _("%(name)s (enrollment %(id)s) is in no approved submission batch.")
            % {"name": e.worker.full_name, "id": e.pk}
            for e in missing[:MAX_NAMED]
        ]
        + (
            [_("… and %(count)s more.") % {"count": len(missing) - MAX_NAMED}]
            if len(missing) > MAX_NAMED
            else []
        )
    )
    raise ValidationError([ValidationError(line, code="not_approved") for line in lines])
