"""Demo data: the demo year's participants end in approved batches, so documents show."""

from django.core.management import call_command

from approvals import gate
from approvals.models import BatchStatus, SubmissionBatch
from enrollment.models import EnrollmentStatus
from tests.enrollment.factories import EnrollmentFactory
from tests.enrollment.helpers import advance


def test_approve_demo_batches_leaves_every_participant_approved(year, verified, capsys):
    active = advance(EnrollmentFactory(program_year=year), EnrollmentStatus.ACTIVE)
    call_command("approve_demo_batches", "--year", "2024")
    batches = SubmissionBatch.objects.filter(program_year=year)
    assert {b.status for b in batches} == {BatchStatus.APPROVED}
    assert sum(b.snapshot_count for b in batches) == 6
    assert gate.unapproved_enrollment_ids(year) == set()
    assert active.pk in gate.approved_enrollment_ids(year)
    signer = batches.first().decisions.get(action="setujui").by
    assert signer.staff_profile.nip == "197005121995031002"
    call_command("approve_demo_batches", "--year", "2024")  # idempotent: nothing new
    assert SubmissionBatch.objects.filter(program_year=year).count() == batches.count()
    assert "Tidak ada peserta" in capsys.readouterr().out
