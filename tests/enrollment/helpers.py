"""Move enrollments through the real services (tests never set statuses by hand)."""

from __future__ import annotations

import datetime

from enrollment import services
from enrollment.models import Enrollment, EnrollmentStatus

_kpj_counter = iter(range(10_000_000_000, 99_999_999_999))


def next_kpj() -> str:
    return f"{next(_kpj_counter):011d}"


def advance(enrollment: Enrollment, to: str, *, user=None) -> Enrollment:
    """Verify / submit / activate ``enrollment`` until it reaches status ``to``."""
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
            services.enrollment_submit(enrollment=enrollment, user=user)
        else:
            services.enrollment_activate(
                enrollment=enrollment,
                kpj_number=next_kpj(),
                coverage_start=enrollment.coverage_start or datetime.date(2024, 1, 1),
                user=user,
            )
    return enrollment
