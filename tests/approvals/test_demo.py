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


def test_seed_demo_leaves_the_demo_years_approved_so_every_document_can_be_made(db):
    """``seed_demo`` ends with approved batches (demo signers): every document of the demo
    year can be made on its data at once, and the BPJS file of each batch."""
    from io import StringIO

    from approvals.bpjs import export_batch
    from approvals.documents import generate
    from approvals.models import DocumentKind
    from enrollment.models import PremiumInvoice, ProgramYear

    out = StringIO()
    call_command("seed_demo", "--workers", "300", "--year", "2024", stdout=out)
    assert "participants approved" in out.getvalue()
    for number in (2023, 2024):
        year = ProgramYear.objects.get(year=number)
        assert gate.unapproved_enrollment_ids(year) == set()
        batches = SubmissionBatch.objects.filter(program_year=year)
        assert batches.exists()
        assert {b.status for b in batches} == {BatchStatus.APPROVED}
    year = ProgramYear.objects.get(year=2024)
    batch = SubmissionBatch.objects.filter(program_year=year).first()
    invoice = PremiumInvoice.objects.filter(program_year=year).first()
    assert invoice is not None
    made = {
        DocumentKind.LAMPIRAN_SK: {},
        DocumentKind.BA_VERIFIKASI: {"batch": batch},
        DocumentKind.REKAP: {},
        DocumentKind.BA_REKONSILIASI: {"invoice": invoice},
        DocumentKind.LAPORAN_KLAIM: {},
    }
    for kind, extra in made.items():
        for file_format in ("pdf", "xlsx"):
            document = generate(kind, program_year=year, file_format=file_format, **extra)
            assert document.content, (kind, file_format)
    assert export_batch(batch)
