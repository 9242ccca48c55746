"""Move enrollments through the real services (tests never set statuses by hand)."""

from __future__ import annotations

import datetime

from enrollment import services
from enrollment.models import Enrollment, EnrollmentStatus

_kpj_counter = iter(range(10_000_000_000, 99_999_999_999))


def next_kpj() -> str:
    return f"{next(_kpj_counter):011d}"


def approve(enrollments, *, approvers: int | None = None):
    """Put verified ``enrollments`` into a submission batch and approve it (the step before
    anything may go to BPJS, docs/approvals.md), as helper Verifikator and Kepala Bidang
    users. Returns the approved batch."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts.roles import KEPALA_BIDANG, VERIFIKATOR
    from approvals import services as approvals

    def member(username: str, role: str):
        user, _created = get_user_model().objects.get_or_create(
            username=username, defaults={"is_staff": True}
        )
        user.groups.add(Group.objects.get(name=role))
        return get_user_model().objects.get(pk=user.pk)

    enrollments = list(enrollments)
    batch = approvals.batch_prepare(
        program_year=enrollments[0].program_year,
        user=member("test-verifikator", VERIFIKATOR),
        enrollments=enrollments,
    )
    for n in range(approvers or approvals.approvals_required()):
        batch = approvals.batch_approve(batch=batch, user=member(f"test-kabid-{n}", KEPALA_BIDANG))
    return batch


def advance(enrollment: Enrollment, to: str, *, user=None) -> Enrollment:
    """Verify / submit / activate ``enrollment`` until it reaches status ``to`` (approving
    it in a one-row submission batch before it is submitted)."""
    order = [
        EnrollmentStatus.PROPOSED,
        EnrollmentStatus.VERIFIED,
        EnrollmentStatus.SUBMITTED,
        EnrollmentStatus.ACTIVE,
    ]
    while order.index(enrollment.status) < order.index(to):
        if enrollment.status == EnrollmentStatus.PROPOSED:
            services.enrollment_verify(enrollment=enrollment, user=user)
        elif enrollment.status == EnrollmentStatus.VERIFIED:
            from approvals.gate import approved_enrollment_ids

            if enrollment.pk not in approved_enrollment_ids(enrollment.program_year):
                approve([enrollment])
            services.enrollment_submit(enrollment=enrollment, user=user)
        else:
            services.enrollment_activate(
                enrollment=enrollment,
                kpj_number=next_kpj(),
                coverage_start=enrollment.coverage_start or datetime.date(2024, 1, 1),
                user=user,
            )
    return enrollment
