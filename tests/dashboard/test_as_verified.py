"""The dashboard counts a participant by the segment and kelurahan they were verified under,
as the quotas do: editing the worker afterwards moves nothing (issue 11.3)."""

import pytest

from dashboard.selectors import dashboard_figures
from enrollment.models import EnrollmentStatus
from participants.models import Kelurahan, Segment
from participants.services import worker_update
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.enrollment.helpers import advance

pytestmark = pytest.mark.django_db


def by_key(rows) -> dict[str, int]:
    return {row.key: row.participants for row in rows if row.participants}


def test_editing_a_verified_worker_does_not_move_their_place_on_the_dashboard():
    year = ProgramYearFactory(year=2024, budget=10_000_000)
    enrollment = advance(EnrollmentFactory(program_year=year), EnrollmentStatus.VERIFIED)
    worker = enrollment.worker
    verified_segment = worker.segment_id
    before = dashboard_figures(year)
    pkl = Segment.objects.get(code="pkl")
    elsewhere = Kelurahan.objects.exclude(kecamatan=worker.kelurahan.kecamatan).first()

    worker_update(worker=worker, user=None, data={"segment": pkl, "kelurahan": elsewhere})

    after = dashboard_figures(year)
    assert by_key(after.segments) == by_key(before.segments) == {str(verified_segment): 1}
    assert by_key(after.kelurahan) == by_key(before.kelurahan)
    assert str(elsewhere.pk) not in by_key(after.kelurahan)
