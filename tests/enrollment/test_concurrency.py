"""Two staff verifying the last free quota place at the same moment: exactly one succeeds.

Runs on PostgreSQL with two real connections (one per thread); SQLite has no row locks and
serialises whole-database writes, so the race cannot happen there.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from enrollment import limits, services
from enrollment.models import Enrollment, EnrollmentStatus
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory, QuotaTargetFactory
from tests.factories import UserFactory

pytestmark = [
    # Transactional tests flush the database: reference_data reloads kelurahan, rates and roles.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and two real connections (DATABASE_URL=postgres://…)",
    ),
]


def race(enrollments, user, **kwargs):
    """Verify each enrollment in its own thread (own connection), released together."""
    barrier = threading.Barrier(len(enrollments))
    outcomes: dict[int, str] = {}

    def verify(enrollment):
        try:
            barrier.wait(timeout=10)
            services.enrollment_verify(enrollment=enrollment, user=user, **kwargs)
            outcomes[enrollment.pk] = "ok"
        except ValidationError as exc:
            outcomes[enrollment.pk] = exc.error_list[0].code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=verify, args=(e,)) for e in enrollments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_only_one_of_two_verifications_takes_the_last_quota_place():
    year = ProgramYearFactory(year=2024, budget=10_000_000)
    QuotaTargetFactory(program_year=year, target=1)
    user = UserFactory()
    enrollments = [EnrollmentFactory(program_year=year) for _ in range(2)]

    outcomes = race(enrollments, user)

    assert sorted(outcomes.values()) == ["ok", "quota_full"]
    assert Enrollment.objects.filter(status=EnrollmentStatus.VERIFIED).count() == 1


def test_only_one_of_two_verifications_takes_the_last_of_the_budget():
    year = ProgramYearFactory(year=2024, budget=16_800 * 12)
    user = UserFactory()
    enrollments = [EnrollmentFactory(program_year=year) for _ in range(2)]

    outcomes = race(enrollments, user)

    assert sorted(outcomes.values()) == ["budget_exceeded", "ok"]
    assert limits.year_committed(year) == year.budget
