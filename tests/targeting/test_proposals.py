"""Propose the top N: through enrollment's services, within quota and budget, rule recorded."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.urls import reverse

from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear, ProgramYearStatus
from enrollment.services import enrollment_verify
from participants.models import DtksStatus, Segment, WorkerType
from targeting.models import ProposalBatch, TargetingRule
from targeting.services import proposals_from_priority
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory, QuotaTargetFactory
from tests.factories import UserFactory, WorkerFactory
from tests.targeting.conftest import user_with

BPU_YEAR_COST = 16_800 * 12


def in_dtks(desil, **kwargs):
    return WorkerFactory(
        dtks_status=DtksStatus.REGISTERED,
        dtks_desil=desil,
        dtks_checked_on=datetime.date(2023, 12, 1),
        **kwargs,
    )


@pytest.mark.django_db
def test_it_proposes_the_best_ranked_and_records_the_rule_with_each_proposal():
    year = ProgramYearFactory(year=2024)
    TargetingRule.objects.create(program_year=year, desil_points=7)
    poorest, middle, richest = in_dtks(1), in_dtks(5), in_dtks(9)
    WorkerFactory()  # unchecked: last
    user = UserFactory()

    outcome = proposals_from_priority(
        program_year=year, worker_type=WorkerType.BPU, count=3, user=user
    )

    assert [e.worker_id for e in outcome.proposed] == [poorest.pk, middle.pk, richest.pk]
    assert all(e.status == EnrollmentStatus.PROPOSED for e in outcome.proposed)
    batch = ProposalBatch.objects.get()
    assert batch.rule_snapshot["desil_points"] == 7
    assert batch.stopped_because == ""
    item = poorest.enrollments.get().priority_proposal
    assert (item.batch, item.rank, item.score) == (batch, 1, 20 + 7 * 10 + 10)
    assert sum(p["points"] for p in item.explanation) == item.score
    assert item.enrollment.events.get().reason  # the history says where the proposal came from


@pytest.mark.django_db
def test_it_stops_at_the_quota_counting_verified_and_proposed_enrollments():
    year = ProgramYearFactory(year=2024)
    quota = QuotaTargetFactory(program_year=year, worker_type=WorkerType.BPU, target=3)
    enrollment_verify(enrollment=EnrollmentFactory(program_year=year), user=None)
    EnrollmentFactory(program_year=year)  # proposed, not yet verified: holds a place too
    WorkerFactory.create_batch(4)

    outcome = proposals_from_priority(
        program_year=year, worker_type=WorkerType.BPU, count=4, user=None
    )

    assert len(outcome.proposed) == 1
    assert str(quota) in outcome.batch.stopped_because
    assert Enrollment.objects.filter(program_year=year).count() == 3


@pytest.mark.django_db
def test_it_skips_candidates_whose_segment_quota_is_full_and_takes_the_next():
    year = ProgramYearFactory(year=2024)
    first = in_dtks(1)
    QuotaTargetFactory(
        program_year=year, worker_type=WorkerType.BPU, segment=first.segment, target=0
    )
    other_segment = Segment.objects.exclude(pk=first.segment_id).first()
    second = WorkerFactory(segment=other_segment)

    outcome = proposals_from_priority(
        program_year=year, worker_type=WorkerType.BPU, count=1, user=None
    )

    assert [e.worker_id for e in outcome.proposed] == [second.pk]
    assert [w.pk for w, _ in outcome.skipped] == [first.pk]
    assert outcome.proposed[0].priority_proposal.rank == 2


@pytest.mark.django_db
def test_it_stops_at_the_budget_counting_the_cost_of_pending_proposals():
    year = ProgramYearFactory(year=2024, budget=BPU_YEAR_COST * 3)
    EnrollmentFactory(program_year=year)  # proposed: its cost is already spoken for
    WorkerFactory.create_batch(5)

    outcome = proposals_from_priority(
        program_year=year, worker_type=WorkerType.BPU, count=5, user=None
    )

    assert len(outcome.proposed) == 2
    assert outcome.batch.stopped_because == "Anggaran 2024 sudah habis."
    assert Enrollment.objects.filter(program_year=year).count() == 3


@pytest.mark.django_db
def test_a_cheaper_candidate_further_down_does_not_jump_the_queue():
    year = ProgramYearFactory(year=2024, budget=BPU_YEAR_COST + 1000)
    in_dtks(1, worker_type=WorkerType.PU, monthly_income=50_000_000)  # ranked first, too dear
    cheap = WorkerFactory(worker_type=WorkerType.PU, monthly_income=1_000_000)  # would fit

    outcome = proposals_from_priority(
        program_year=year, worker_type=WorkerType.PU, count=1, user=None
    )

    assert outcome.proposed == []
    assert not cheap.enrollments.exists()
    assert "Anggaran" in outcome.batch.stopped_because


@pytest.mark.django_db
def test_closed_years_refuse():
    year = ProgramYearFactory(year=2024)
    year.status = ProgramYearStatus.CLOSED
    year.save()
    with pytest.raises(ValidationError):
        proposals_from_priority(program_year=year, worker_type=WorkerType.BPU, count=1, user=None)
    assert not ProposalBatch.objects.exists()


@pytest.mark.django_db
def test_pu_proposals_carry_their_segments_risk_class():
    year = ProgramYearFactory(year=2024)
    # The data migration's defaults: PKK very low, building work (jasa konstruksi) high.
    office = Segment.objects.get(code="pkk")
    building = Segment.objects.get(code="jasa-konstruksi")
    clerk = in_dtks(2, worker_type=WorkerType.PU, monthly_income=3_000_000, segment=office)
    builder = WorkerFactory(worker_type=WorkerType.PU, monthly_income=3_000_000, segment=building)
    outcome = proposals_from_priority(
        program_year=year, worker_type=WorkerType.PU, count=2, user=None
    )
    assert {e.worker_id: e.risk_class for e in outcome.proposed} == {
        clerk.pk: "sangat_rendah",
        builder.pk: "tinggi",
    }


@pytest.mark.django_db
def test_priority_page_lists_explains_and_proposes(client):
    year = ProgramYearFactory(year=2024)
    rule = TargetingRule.objects.create(program_year=year)
    worker = in_dtks(2, full_name="Calon Utama")
    client.force_login(user_with("view_targetingrule", "add_enrollment"))
    url = reverse("admin:targeting_targetingrule_priority", args=[rule.pk])

    page = client.get(url).content.decode()
    assert "Calon Utama" in page
    assert worker.nik not in page  # masked without the full-NIK permission
    assert "9 × 5 = 45" in page

    response = client.post(url, {"worker_type": "BPU", "count": 1, "risk_class": ""})
    batch = ProposalBatch.objects.get()
    assert response["Location"] == reverse("admin:targeting_proposalbatch_change", args=[batch.pk])
    assert worker.enrollments.get().status == EnrollmentStatus.PROPOSED


@pytest.mark.django_db
def test_only_staff_who_may_propose_enrollments_can_propose(client):
    year = ProgramYearFactory(year=2024)
    rule = TargetingRule.objects.create(program_year=year)
    WorkerFactory()
    client.force_login(user_with("view_targetingrule"))
    url = reverse("admin:targeting_targetingrule_priority", args=[rule.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"worker_type": "BPU", "count": 1}).status_code == 403
    assert not Enrollment.objects.exists()


# --- concurrency -------------------------------------------------------------------------------

concurrent = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks and two real connections (DATABASE_URL=postgres://…)",
)


def race(count_each):
    """Two members of staff press "Propose" at the same moment, each on its own connection."""
    year = ProgramYear.objects.get(year=2024)
    barrier = threading.Barrier(2)
    results = []

    def propose():
        try:
            barrier.wait(timeout=10)
            outcome = proposals_from_priority(
                program_year=year, worker_type=WorkerType.BPU, count=count_each, user=None
            )
            results.append(len(outcome.proposed))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=propose) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(results)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
@concurrent
def test_two_simultaneous_runs_never_exceed_the_quota():
    year = ProgramYearFactory(year=2024, budget=1_000_000_000)
    QuotaTargetFactory(program_year=year, worker_type=WorkerType.BPU, target=5)
    WorkerFactory.create_batch(10)

    results = race(count_each=4)

    assert results == [1, 4]
    assert Enrollment.objects.filter(program_year=year).count() == 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
@concurrent
def test_two_simultaneous_runs_never_exceed_the_budget():
    year = ProgramYearFactory(year=2024, budget=BPU_YEAR_COST * 3)
    WorkerFactory.create_batch(10)

    results = race(count_each=2)

    assert results == [1, 2]
    assert Enrollment.objects.filter(program_year=year).count() == 3
    assert len({e.worker_id for e in Enrollment.objects.all()}) == 3


@pytest.mark.django_db
def test_administrators_set_the_weights_per_year(admin_client, superuser):
    year = ProgramYearFactory(year=2024)
    response = admin_client.post(
        reverse("admin:targeting_targetingrule_add"),
        {
            "program_year": year.pk,
            "dtks_registered_points": 30,
            "desil_points": 4,
            "school_age_heir_points": 15,
            "bpu_points": 10,
            "disability_points": 12,
            "waiting_points": 1,
            "waiting_max_periods": 12,
            "notes": "Keputusan Kepala Dinas 2024",
        },
    )
    assert response.status_code == 302
    rule = TargetingRule.objects.get(program_year=year)
    assert (rule.dtks_registered_points, rule.updated_by) == (30, superuser)
    page = admin_client.get(reverse("admin:targeting_targetingrule_change", args=[rule.pk]))
    assert (
        reverse("admin:targeting_targetingrule_priority", args=[rule.pk]) in page.content.decode()
    )


@pytest.mark.django_db
def test_staff_who_may_only_view_cannot_change_the_weights(client):
    rule = TargetingRule.objects.create(program_year=ProgramYearFactory(year=2024))
    client.force_login(user_with("view_targetingrule"))
    url = reverse("admin:targeting_targetingrule_change", args=[rule.pk])
    client.post(url, {"program_year": rule.program_year_id, "dtks_registered_points": 99})
    rule.refresh_from_db()
    assert rule.dtks_registered_points == 20
