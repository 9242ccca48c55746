import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from enrollment import claims, scholarship
from enrollment.models import ClaimType, EnrollmentStatus, TerminationReason
from participants.models import Relationship, SchoolLevel
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.enrollment.helpers import advance
from tests.factories import HeirFactory

S = EnrollmentStatus
pytestmark = pytest.mark.django_db


def test_jkm_claim_marks_the_worker_deceased_and_terminates(year, staff):
    enrollment = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    next_year = ProgramYearFactory(year=2025)
    later = EnrollmentFactory(program_year=next_year, worker=enrollment.worker)
    claim = claims.claim_record(
        enrollment=enrollment,
        claim_type=ClaimType.JKM,
        event_date=datetime.date(2024, 1, 8),
        user=staff,
        benefit_amount=42_000_000,
    )
    assert claim.fatal
    enrollment.refresh_from_db()
    enrollment.worker.refresh_from_db()
    later.refresh_from_db()
    assert enrollment.worker.death_date == datetime.date(2024, 1, 8)
    assert enrollment.status == S.TERMINATED
    assert enrollment.termination_reason == TerminationReason.DECEASED
    assert enrollment.coverage_end == datetime.date(2024, 1, 8)
    assert later.status == S.TERMINATED


def test_non_fatal_jkk_claim_changes_nothing_else(year, staff):
    enrollment = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    claims.claim_record(
        enrollment=enrollment,
        claim_type=ClaimType.JKK,
        event_date=datetime.date(2024, 1, 3),
        user=staff,
    )
    enrollment.refresh_from_db()
    assert enrollment.status == S.ACTIVE
    assert enrollment.worker.death_date is None


def test_claim_outside_coverage_or_before_activation_is_refused(year, staff):
    proposed = EnrollmentFactory(program_year=year)
    with pytest.raises(ValidationError) as exc:
        claims.claim_record(
            enrollment=proposed,
            claim_type=ClaimType.JKK,
            event_date=datetime.date(2024, 1, 3),
            user=staff,
        )
    assert exc.value.code == "claim_not_active"
    active = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    with pytest.raises(ValidationError) as exc:
        claims.claim_record(
            enrollment=active,
            claim_type=ClaimType.JKK,
            event_date=datetime.date(2023, 12, 31),
            user=staff,
        )
    assert exc.value.code == "claim_outside_coverage"


def test_scholarship_follow_up_lists_school_age_children(year, staff):
    enrollment = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    worker = enrollment.worker
    pupil = HeirFactory(worker=worker, birth_date=datetime.date(2014, 3, 1))
    grown = HeirFactory(worker=worker, birth_date=datetime.date(1995, 3, 1))  # 28
    spouse = HeirFactory(worker=worker, relationship=Relationship.SPOUSE, birth_date=None)
    claims.claim_record(
        enrollment=enrollment,
        claim_type=ClaimType.JKK,
        fatal=True,
        event_date=datetime.date(2024, 1, 5),
        user=staff,
    )
    [case] = scholarship.scholarship_cases(datetime.date(2024, 1, 15))
    assert case.worker == worker
    assert {c.heir: c.status for c in case.children} == {
        pupil: scholarship.RECIPIENT,
        grown: scholarship.EXCLUDED,
    }
    assert case.other_heirs == [spouse]


def test_scholarship_follow_up_lists_a_kindergarten_child_without_birth_date(
    year, staff, admin_client
):
    """The JKM scholarship starts at TK: a TK child is listed even without a birth date."""
    enrollment = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    worker = enrollment.worker
    kindergarten = HeirFactory(
        worker=worker, name="Sekar", birth_date=None, school_level=SchoolLevel.TK
    )
    not_yet = HeirFactory(worker=worker, birth_date=None, school_level=SchoolLevel.NOT_YET)
    claims.claim_record(
        enrollment=enrollment,
        claim_type=ClaimType.JKK,
        fatal=True,
        event_date=datetime.date(2024, 1, 5),
        user=staff,
    )
    [case] = scholarship.scholarship_cases(datetime.date(2024, 1, 15))
    assert {c.heir: c.status for c in case.children} == {
        kindergarten: scholarship.RECIPIENT,
        not_yet: scholarship.FUTURE,
    }
    page = admin_client.get(reverse("admin:enrollment_claim_scholarship")).content.decode()
    assert "TK/PAUD" in page  # the Indonesian label
