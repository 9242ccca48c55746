"""Demo data: put the demo year's verified participants into approved batches, so every
document can be shown on demo data. ``seed_demo`` (enrollment/demo.py) calls
``approve_demo_batches`` after it has verified its participants; so does the
``approve_demo_batches`` command.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import StaffProfile
from accounts.roles import KEPALA_BIDANG, VERIFIKATOR
from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear

from . import services
from .models import BatchStatus, SnapshotRow

DEMO_PREPARER = "demo-verifikator"
DEMO_APPROVERS = ("demo-kabid", "demo-kabid-2")


def _demo_user(username: str, role: str, name: str, rank: str, nip: str, position: str):
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": True, "first_name": name}
    )
    if created:
        user.set_unusable_password()  # demo signers only: nobody logs in as them
        user.save()
    user.groups.add(Group.objects.get(name=role))
    StaffProfile.objects.update_or_create(
        user=user,
        defaults={"signature_name": name, "rank": rank, "nip": nip, "position": position},
    )
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


@transaction.atomic
def approve_demo_batches(year: int, batch_size: int = 5000) -> list:
    """Batch and approve the year's verified, unbatched enrollments (in chunks of
    ``batch_size``); also put already submitted or active ones that no approved batch holds
    in one approved batch. Returns the batches approved."""
    program_year = ProgramYear.objects.get(year=year)
    preparer = _demo_user(
        DEMO_PREPARER,
        VERIFIKATOR,
        "Dwi Rahmawati, S.E.",
        "Penata, III/c",
        "198703152010012004",
        "Verifikator Siaga Kita",
    )
    approvers = [
        _demo_user(
            DEMO_APPROVERS[0],
            KEPALA_BIDANG,
            "Drs. Bambang Sutrisno, M.M.",
            "Pembina, IV/a",
            "197005121995031002",
            "Kepala Bidang Hubungan Industrial dan Jaminan Sosial",
        ),
        _demo_user(
            DEMO_APPROVERS[1],
            KEPALA_BIDANG,
            "Ir. Sri Wahyuni, M.Si.",
            "Pembina Tingkat I, IV/b",
            "196808201994032005",
            "Sekretaris Dinas",
        ),
    ]
    approved = set(
        SnapshotRow.objects.filter(
            batch__program_year=program_year, batch__status=BatchStatus.APPROVED
        ).values_list("enrollment_id_frozen", flat=True)
    )
    batches = []
    pending = list(
        services.batchable_enrollments(program_year)
        .exclude(pk__in=approved)
        .select_related("worker")
        .order_by("pk")
    )
    # Demo participants already sent on (submitted, active, ended, terminated) before approvals
    # existed: they were in the SK of their year.
    sent_on = list(
        Enrollment.objects.filter(
            program_year=program_year,
            status__in=[
                EnrollmentStatus.SUBMITTED,
                EnrollmentStatus.ACTIVE,
                EnrollmentStatus.ENDED,
            ],
        )
        .exclude(pk__in=approved)
        .select_related("worker")
        .order_by("pk")
    )
    chunks = [pending[i : i + batch_size] for i in range(0, len(pending), batch_size)]
    for chunk in chunks:
        batch = services.batch_prepare(
            program_year=program_year, user=preparer, enrollments=chunk, title="Demo"
        )
        for approver in approvers[: services.approvals_required()]:
            batch = services.batch_approve(batch=batch, user=approver, note="Demo")
        batches.append(batch)
    if sent_on:
        batches.append(_approve_sent_on(program_year, sent_on, preparer, approvers))
    return batches


def _approve_sent_on(program_year, enrollments, preparer, approvers):
    """Demo only: enrollments seeded past verification get an approved batch directly,
    frozen the same way ``batch_approve`` freezes one."""
    from django.utils import timezone

    from .models import BatchItem, Decision, DecisionAction, SubmissionBatch
    from .snapshot import SNAPSHOT_RELATED, snapshot_rows, snapshot_sha256

    batch = SubmissionBatch.objects.create(
        program_year=program_year,
        number=services._next_number(program_year),
        title="Demo (peserta yang sudah didaftarkan)",
        approvals_required=services.approvals_required(),
        prepared_by=preparer,
    )
    BatchItem.objects.bulk_create([BatchItem(batch=batch, enrollment=e) for e in enrollments])
    Decision.objects.create(batch=batch, action=DecisionAction.SUBMIT, by=preparer, note="Demo")
    enrollments = Enrollment.objects.filter(pk__in=[e.pk for e in enrollments]).select_related(
        *SNAPSHOT_RELATED
    )
    rows = snapshot_rows(enrollments)
    SnapshotRow.objects.bulk_create(
        [SnapshotRow(batch=batch, **row) for row in rows], batch_size=2000
    )
    for approver in approvers[: services.approvals_required()]:
        Decision.objects.create(
            batch=batch, action=DecisionAction.APPROVE, by=approver, note="Demo"
        )
    batch.status = BatchStatus.APPROVED
    batch.approved_at = timezone.now()
    batch.snapshot_sha256 = snapshot_sha256(rows)
    batch.snapshot_count = len(rows)
    batch.save()
    return batch
