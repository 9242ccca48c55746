from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from enrollment import renewal, selectors, services
from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear
from participants.models import Heir, SchoolLevel, Worker, WorkerType

pytestmark = pytest.mark.django_db


def seed(workers: int) -> str:
    out = StringIO()
    call_command("seed_demo", "--workers", str(workers), "--year", "2024", stdout=out)
    return out.getvalue()


def test_small_run_scales_the_published_figures():
    output = seed(1500)  # a tenth of the default
    assert "Seeded 1,500 workers" in output
    year = ProgramYear.objects.get(year=2024)
    active = Enrollment.objects.filter(program_year=year, status=EnrollmentStatus.ACTIVE)
    assert active.filter(worker_type=WorkerType.PU).count() == 775
    assert active.filter(worker_type=WorkerType.BPU).count() == 634
    quotas = {q.worker_type: q.target for q in year.quotas.all()}
    assert quotas == {WorkerType.PU: 782, WorkerType.BPU: 859}
    assert ProgramYear.objects.get(year=2023).is_closed

    figures = selectors.year_figures(year)
    assert 0 < figures.realised < figures.committed <= figures.allocated
    for use in selectors.quota_usage(year):
        assert use.used <= use.quota.target
    # Children of 4-6 in the seed year are in kindergarten (TK), the first scholarship level.
    kindergarten = Heir.objects.filter(school_level=SchoolLevel.TK)
    assert kindergarten.exists()
    assert {h.birth_date.year for h in kindergarten} <= {2018, 2019, 2020}
    assert not Heir.objects.filter(
        school_level=SchoolLevel.NOT_YET, birth_date__year__lt=2021
    ).exists()
    # Every worker the seed marks deceased has a terminated enrollment and a JKM claim.
    deceased = Worker.objects.filter(death_date__isnull=False)
    assert deceased.exists()
    assert not deceased.filter(
        enrollments__status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.PROPOSED]
    ).exists()


class Rollback(Exception):
    pass


def seeded_sample() -> list[tuple]:
    """Seed 300 workers, read a sample, and undo the seed."""
    try:
        with transaction.atomic():
            seed(300)
            sample = list(
                Worker.objects.order_by("pk").values_list("nik", "full_name", "birth_date")
            )
            sample += list(
                Enrollment.objects.order_by("pk").values_list("status", "committed_amount")
            )
            raise Rollback
    except Rollback:
        return sample


def test_is_deterministic():
    assert seeded_sample() == seeded_sample()


def test_seeding_queues_no_message_to_the_fake_people(monkeypatch):
    """Demo people get no activation messages, even if seeding went through the services
    (it writes rows directly today): seed_demo runs with queueing suppressed."""
    from notifications import services as outbox
    from notifications.models import OutboxMessage

    suppressed = []
    real = outbox._queue

    def spy(kind, items):
        suppressed.append(outbox._suppressed.get())
        return real(kind, items)

    monkeypatch.setattr(outbox, "_queue", spy)
    import approvals.demo

    approve = approvals.demo.approve_demo_batches

    def approve_and_queue(year):
        ids = list(Enrollment.objects.filter(program_year__year=year).values_list("pk", flat=True))
        outbox.queue_activations(enrollment_ids=ids)  # as an activation hook would
        return approve(year)

    monkeypatch.setattr(approvals.demo, "approve_demo_batches", approve_and_queue)
    seed(200)
    assert suppressed == [True, True]
    assert not OutboxMessage.objects.exists()
    year = ProgramYear.objects.get(year=2024)
    active = Enrollment.objects.filter(program_year=year, status=EnrollmentStatus.ACTIVE)
    assert outbox.queue_activations(enrollment_ids=list(active.values_list("pk", flat=True)))


def test_seeded_rows_behave_like_real_ones():
    seed(300)
    year = ProgramYear.objects.get(year=2024)
    report = renewal.enrollments_renew(
        from_year=year, to_year=ProgramYear.objects.get(year=2025), user=None, dry_run=True
    )
    assert report.created
    proposed = Enrollment.objects.filter(program_year=year, status=EnrollmentStatus.PROPOSED)
    services.enrollment_verify(enrollment=proposed.first(), user=None)


def test_refuses_a_database_that_already_has_workers():
    seed(100)
    with pytest.raises(CommandError):
        seed(100)


def test_every_seeded_row_has_a_baseline_history():
    """Set-based writes bypass django-simple-history: the seed writes the baseline itself."""
    from enrollment.models import Claim, PremiumInvoice

    output = seed(300)
    for model in (Worker, Heir, Enrollment, Claim, PremiumInvoice):
        rows = model.objects.count()
        assert rows, model
        history = model.history.filter(history_type="+", history_change_reason="seed_demo")
        assert history.count() == rows, model
        assert history.values("id").distinct().count() == rows, model
    worker = Worker.objects.order_by("?").first()
    baseline = worker.history.get()
    assert (baseline.full_name, baseline.nik, baseline.kelurahan_id) == (
        worker.full_name,
        worker.nik,
        worker.kelurahan_id,
    )
    assert baseline.history_date == worker.created_at
    assert "history" in output


def test_seeded_years_end_in_approved_batches():
    """Nothing is left for the approvals gate: the demo data can go to BPJS and into the
    SK attachment at once (issue 15)."""
    from approvals.gate import unapproved_enrollment_ids

    output = seed(200)
    assert "participants approved" in output
    for number in (2023, 2024):
        assert unapproved_enrollment_ids(ProgramYear.objects.get(year=number)) == set()
