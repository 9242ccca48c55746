import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from enrollment import renewal, services
from enrollment.models import Enrollment, EnrollmentStatus
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory, QuotaTargetFactory
from tests.enrollment.helpers import advance
from tests.factories import WorkerFactory

S = EnrollmentStatus
pytestmark = pytest.mark.django_db


@pytest.fixture
def years(db):
    return (
        ProgramYearFactory(year=2024, budget=1_000_000_000),
        ProgramYearFactory(year=2025, budget=1_000_000_000),
    )


def active_in(year, **worker_fields):
    return advance(
        EnrollmentFactory(program_year=year, worker=WorkerFactory(**worker_fields)), S.ACTIVE
    )


def test_renewal_proposes_active_participants_once(years, staff):
    y2024, y2025 = years
    first, second = active_in(y2024), active_in(y2024)
    report = renewal.enrollments_renew(from_year=y2024, to_year=y2025, user=staff)
    assert set(report.created) == {first.worker_id, second.worker_id}
    renewed = Enrollment.objects.get(program_year=y2025, worker=first.worker)
    assert renewed.status == S.PROPOSED
    assert renewed.renewed_from == first
    assert renewed.coverage_start == datetime.date(2025, 1, 1)

    again = renewal.enrollments_renew(from_year=y2024, to_year=y2025, user=staff)
    assert again.created == []
    assert again.already == 2
    assert Enrollment.objects.filter(program_year=y2025).count() == 2


def test_renewal_skips_the_ineligible_with_the_reason(years, staff):
    y2024, y2025 = years
    gone = active_in(y2024)
    gone.worker.death_date = datetime.date(2024, 1, 5)
    gone.worker.save()
    old = active_in(y2024, birth_date=datetime.date(1959, 6, 1))  # 65 in 2024, 65 still on 1/1/25
    too_old = active_in(y2024, birth_date=datetime.date(1959, 1, 1))  # 66 on 1 January 2025
    terminated = EnrollmentFactory(program_year=y2024)
    services.enrollment_reject(enrollment=terminated, user=staff, reason="ganda")

    report = renewal.enrollments_renew(from_year=y2024, to_year=y2025, user=staff)
    assert report.created == [old.worker_id]
    reasons = {r.worker_id: r.reason for r in report.not_renewed}
    assert set(reasons) == {gone.worker_id, too_old.worker_id}
    assert "meninggal" in reasons[gone.worker_id].lower() or "died" in reasons[gone.worker_id]


def test_renewal_stops_at_the_next_years_quota_and_budget(staff):
    y2024 = ProgramYearFactory(year=2024, budget=1_000_000_000)
    y2025 = ProgramYearFactory(year=2025, budget=2 * 201_600)
    QuotaTargetFactory(program_year=y2025, target=3)
    enrollments = [active_in(y2024) for _ in range(4)]
    report = renewal.enrollments_renew(from_year=y2024, to_year=y2025, user=staff)
    assert report.created == [e.worker_id for e in enrollments[:2]]
    assert len(report.not_renewed) == 2
    assert all("2025" in r.reason for r in report.not_renewed)


def test_renewal_counts_existing_proposals_against_the_quota(years, staff):
    y2024, y2025 = years
    QuotaTargetFactory(program_year=y2025, target=1)
    EnrollmentFactory(program_year=y2025)  # already proposed for 2025
    active_in(y2024)
    report = renewal.enrollments_renew(from_year=y2024, to_year=y2025, user=staff)
    assert report.created == []
    assert len(report.not_renewed) == 1


def test_command_dry_run_changes_nothing(years):
    y2024, _ = years
    active_in(y2024)
    out = StringIO()
    call_command("renew_enrollments", "--from", "2024", "--to", "2025", "--dry-run", stdout=out)
    assert "1 would be proposed" in out.getvalue()
    assert not Enrollment.objects.filter(program_year__year=2025).exists()

    call_command("renew_enrollments", "--from", "2024", "--to", "2025", stdout=out)
    call_command("renew_enrollments", "--from", "2024", "--to", "2025", stdout=out)
    assert "0 proposed, 1 already in 2025" in out.getvalue()
    assert Enrollment.objects.filter(program_year__year=2025).count() == 1


def test_admin_action_renews(admin_client, years):
    from django.urls import reverse

    y2024, _ = years
    active_in(y2024)
    admin_client.post(
        reverse("admin:enrollment_programyear_changelist"),
        {"action": "renew_into_next_year", "_selected_action": [y2024.pk]},
    )
    assert Enrollment.objects.filter(program_year__year=2025).count() == 1


def test_renewal_records_each_proposal_like_a_single_one(years, staff):
    """The bulk write leaves the same trail as enrollment_propose: event and audit row."""
    y2024, y2025 = years
    sources = [active_in(y2024) for _ in range(3)]
    renewal.enrollments_renew(from_year=y2024, to_year=y2025, user=staff)
    for source in sources:
        renewed = Enrollment.objects.get(program_year=y2025, worker=source.worker)
        assert renewed.created_by == staff
        assert renewed.status_note == "Perpanjangan dari 2024"
        [event] = renewed.events.all()
        assert (event.from_status, event.to_status, event.by) == ("", S.PROPOSED, staff)
        [audit] = renewed.history.all()
        assert (audit.history_type, audit.history_user) == ("+", staff)
        assert audit.status == S.PROPOSED


@pytest.mark.parametrize("batch_size", [renewal.RENEWAL_BATCH, 3, 1])
def test_renewal_in_small_batches_gives_the_same_result_as_one_batch(staff, batch_size):
    """Pages of 1 or 3 sources: the same proposals, order, refusals and trail as one page."""
    y2024 = ProgramYearFactory(year=2024, budget=1_000_000_000)
    y2025 = ProgramYearFactory(year=2025, budget=1_000_000_000)
    QuotaTargetFactory(program_year=y2025, target=4)
    sources = [active_in(y2024) for _ in range(7)]
    sources[1].worker.death_date = datetime.date(2024, 3, 1)
    sources[1].worker.save()
    report = renewal.enrollments_renew(
        from_year=y2024, to_year=y2025, user=staff, batch_size=batch_size
    )
    index = {s.worker_id: i for i, s in enumerate(sources)}
    assert [index[w] for w in report.created] == [0, 2, 3, 4]  # dead one skipped, quota of 4
    assert [index[r.worker_id] for r in report.not_renewed] == [1, 5, 6]
    renewed = Enrollment.objects.filter(program_year=y2025).order_by("worker_id")
    assert [index[e.worker_id] for e in renewed] == [0, 2, 3, 4]
    for enrollment in renewed:
        assert enrollment.renewed_from == sources[index[enrollment.worker_id]]
        assert (enrollment.events.count(), enrollment.history.count()) == (1, 1)


def test_renewal_budget_stop_in_the_middle_of_a_batch(staff):
    """The budget runs out in the second page: later, cheaper workers still fit."""
    y2024 = ProgramYearFactory(year=2024, budget=1_000_000_000)
    y2025 = ProgramYearFactory(year=2025, budget=3 * 201_600)
    sources = [active_in(y2024) for _ in range(5)]
    report = renewal.enrollments_renew(from_year=y2024, to_year=y2025, user=staff, batch_size=2)
    assert report.created == [s.worker_id for s in sources[:3]]
    assert report.not_renewed_count == 2
    assert all("2025" in r.reason for r in report.not_renewed)
    assert Enrollment.objects.filter(program_year=y2025).count() == 3
    again = renewal.enrollments_renew(from_year=y2024, to_year=y2025, user=staff, batch_size=2)
    assert (again.created, again.already, again.not_renewed_count) == ([], 3, 2)


def test_renewal_lists_a_bounded_number_of_refusals(staff, monkeypatch):
    monkeypatch.setattr(renewal, "NOT_RENEWED_LISTED", 2)
    y2024 = ProgramYearFactory(year=2024, budget=1_000_000_000)
    y2025 = ProgramYearFactory(year=2025, budget=0)
    for _ in range(3):
        active_in(y2024)
    report = renewal.enrollments_renew(from_year=y2024, to_year=y2025, user=staff, dry_run=True)
    assert (len(report.not_renewed), report.not_renewed_count) == (2, 3)
    out = StringIO()
    call_command("renew_enrollments", "--from", "2024", "--to", "2025", stdout=out)
    assert "3 not renewed" in out.getvalue() and "1 more" in out.getvalue()
