"""Submission batches: who may prepare and approve, sign-offs in tiers, returns with reasons,
the append-only decision log, and the gate before BPJS."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError

from approvals import gate, services
from approvals.models import BatchItem, BatchStatus, Decision, DecisionAction, SnapshotRow
from approvals.snapshot import snapshot_sha256
from enrollment import services as enrollment_services
from tests.enrollment.factories import EnrollmentFactory


def test_verifikator_prepares_and_another_kabid_approves_freezing_the_snapshot(
    year, verified, verifikator, kabid
):
    batch = services.batch_prepare(program_year=year, user=verifikator)
    assert batch.status == BatchStatus.SUBMITTED
    assert batch.items.count() == 5
    batch = services.batch_approve(batch=batch, user=kabid)
    assert batch.status == BatchStatus.APPROVED
    rows = list(SnapshotRow.objects.filter(batch=batch))
    assert {r.enrollment_id_frozen for r in rows} == {e.pk for e in verified}
    assert batch.snapshot_sha256 == snapshot_sha256(rows)
    assert [d.action for d in batch.decisions.all()] == [
        DecisionAction.SUBMIT,
        DecisionAction.APPROVE,
    ]


def test_approver_cannot_approve_their_own_batch(year, verified, kabid):
    kabid.user_permissions.add(Permission.objects.get(codename="add_submissionbatch"))
    kabid = type(kabid).objects.get(pk=kabid.pk)
    batch = services.batch_prepare(program_year=year, user=kabid)
    with pytest.raises(PermissionDenied, match="orang lain yang harus menyetujuinya"):
        services.batch_approve(batch=batch, user=kabid)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SUBMITTED
    assert not batch.decisions.filter(action=DecisionAction.APPROVE).exists()


def test_roles_who_may_prepare_and_approve(year, verified, verifikator, kabid, operator, pimpinan):
    for user in (operator, pimpinan, kabid):
        with pytest.raises(PermissionDenied):
            services.batch_prepare(program_year=year, user=user)
    batch = services.batch_prepare(program_year=year, user=verifikator)
    for user in (operator, pimpinan, verifikator):
        with pytest.raises(PermissionDenied):
            services.batch_approve(batch=batch, user=user)
        with pytest.raises(PermissionDenied):
            services.batch_return(batch=batch, user=user, note="x")
    services.batch_approve(batch=batch, user=kabid)


def test_two_signoffs_when_the_setting_asks_for_two(
    settings, year, verified, verifikator, kabid, kabid2
):
    settings.SIAGA_APPROVALS_REQUIRED = 2
    batch = services.batch_prepare(program_year=year, user=verifikator)
    batch = services.batch_approve(batch=batch, user=kabid)
    assert batch.status == BatchStatus.SUBMITTED
    assert not SnapshotRow.objects.filter(batch=batch).exists()
    with pytest.raises(ValidationError, match="sudah menyetujui batch"):
        services.batch_approve(batch=batch, user=kabid)
    batch = services.batch_approve(batch=batch, user=kabid2)
    assert batch.status == BatchStatus.APPROVED
    assert SnapshotRow.objects.filter(batch=batch).count() == 5


def test_return_with_per_row_reasons_frees_the_other_rows(year, verified, verifikator, kabid):
    batch = services.batch_prepare(program_year=year, user=verifikator)
    bad = verified[1]
    with pytest.raises(ValidationError, match="Isi alasan kepesertaan"):
        services.batch_return(batch=batch, user=kabid, rejections={bad.pk: "  "})
    with pytest.raises(ValidationError, match="Sebutkan mengapa batch dikembalikan"):
        services.batch_return(batch=batch, user=kabid)
    services.batch_return(batch=batch, user=kabid, rejections={bad.pk: "KTP tidak terbaca"})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RETURNED
    item = BatchItem.objects.get(batch=batch, enrollment=bad)
    assert item.rejected and item.rejection_reason == "KTP tidak terbaca"
    log = batch.decisions.get(action=DecisionAction.RETURN)
    assert log.rejected_rows == [{"enrollment": bad.pk, "reason": "KTP tidak terbaca"}]
    # The whole year's verified rows may go into a new batch (the rejected one once fixed).
    again = services.batch_prepare(program_year=year, user=verifikator)
    assert again.items.count() == 5
    with pytest.raises(ValidationError):
        services.batch_approve(batch=batch, user=kabid)  # a returned batch is closed


def test_an_enrollment_is_in_one_open_batch_only(year, verified, verifikator):
    services.batch_prepare(program_year=year, user=verifikator, enrollments=verified[:2])
    with pytest.raises(ValidationError, match="sudah ada dalam batch"):
        services.batch_prepare(program_year=year, user=verifikator, enrollments=verified[1:3])
    proposed = EnrollmentFactory(program_year=year)
    with pytest.raises(ValidationError, match="bukan terverifikasi"):
        services.batch_prepare(program_year=year, user=verifikator, enrollments=[proposed])
    rest = services.batch_prepare(program_year=year, user=verifikator)
    assert rest.items.count() == 3


def test_decision_log_is_append_only_for_everyone(year, verified, verifikator, kabid):
    batch = services.batch_prepare(program_year=year, user=verifikator)
    services.batch_approve(batch=batch, user=kabid)
    decision = Decision.objects.filter(batch=batch).first()
    decision.note = "changed"
    with pytest.raises(PermissionDenied):
        decision.save()
    with pytest.raises(PermissionDenied):
        decision.delete()
    with pytest.raises(PermissionDenied):
        Decision.objects.filter(batch=batch).update(note="x")
    with pytest.raises(PermissionDenied):
        Decision.objects.filter(batch=batch).delete()
    row = SnapshotRow.objects.filter(batch=batch).first()
    row.full_name = "Lain"
    with pytest.raises(PermissionDenied):
        row.save()
    assert Decision.objects.get(pk=decision.pk).note != "changed"
    assert Decision.objects.filter(batch=batch).count() == 2


def test_gate_names_what_is_not_approved(year, verified, verifikator, kabid):
    assert gate.unapproved_enrollment_ids(year) == {e.pk for e in verified}
    with pytest.raises(ValidationError, match="tidak ada dalam batch usulan yang disetujui"):
        gate.require_approved(verified)
    batch = services.batch_prepare(program_year=year, user=verifikator, enrollments=verified[:3])
    assert gate.unapproved_enrollment_ids(year) == {e.pk for e in verified}  # awaiting ≠ approved
    services.batch_approve(batch=batch, user=kabid)
    assert gate.unapproved_enrollment_ids(year) == {e.pk for e in verified[3:]}
    gate.require_approved(verified[:3])
    with pytest.raises(ValidationError) as refused:
        gate.require_approved(verified)
    head, *rows = refused.value.messages
    assert head.startswith("2 kepesertaan belum ada dalam batch usulan yang disetujui")
    assert "/admin/approvals/submissionbatch/" in head
    assert len(rows) == 2


def test_approval_refuses_rows_that_moved_on(year, verified, verifikator, kabid):
    batch = services.batch_prepare(program_year=year, user=verifikator)
    enrollment_services.enrollment_reject(enrollment=verified[0], user=None, reason="Ganda")
    with pytest.raises(ValidationError, match="kembalikan batch ini"):
        services.batch_approve(batch=batch, user=kabid)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SUBMITTED


def test_snapshot_keeps_the_place_the_enrollment_was_verified_under(
    year, verified, verifikator, kabid
):
    """Kelurahan and segment come from the enrollment (taken at verification), so a worker
    who moves before or after approval changes neither the snapshot nor its hash."""
    from participants.models import Kelurahan, Segment

    mover = verified[0]
    verified_kelurahan, verified_segment = mover.kelurahan, mover.segment
    elsewhere = Kelurahan.objects.exclude(pk=verified_kelurahan.pk).first()
    other_segment = Segment.objects.exclude(pk=verified_segment.pk).first()
    worker = mover.worker
    worker.kelurahan, worker.segment = elsewhere, other_segment
    worker.save()  # moved after verification, before approval

    batch = services.batch_prepare(program_year=year, user=verifikator)
    batch = services.batch_approve(batch=batch, user=kabid)
    row = SnapshotRow.objects.get(batch=batch, enrollment_id_frozen=mover.pk)
    assert (row.kelurahan, row.kecamatan, row.segment) == (
        verified_kelurahan.name,
        verified_kelurahan.kecamatan.name,
        verified_segment.name,
    )

    worker.kelurahan = Kelurahan.objects.exclude(pk__in=[elsewhere.pk]).last()
    worker.save()  # and again after approval
    rows = list(SnapshotRow.objects.filter(batch=batch))
    assert SnapshotRow.objects.get(pk=row.pk).kelurahan == verified_kelurahan.name
    assert snapshot_sha256(rows) == batch.snapshot_sha256
