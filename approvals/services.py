"""Submission batches: prepare (Verifikator), approve or return (Kepala Bidang), freeze.

Every decision is written to the append-only ``Decision`` log in the same transaction as the
change it records. Rows are locked (``select_for_update``) so two approvers deciding at once
cannot both freeze, and one enrollment cannot land in two open batches.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear

from .models import (
    BatchItem,
    BatchStatus,
    Decision,
    DecisionAction,
    SnapshotRow,
    SubmissionBatch,
)
from .snapshot import SNAPSHOT_RELATED, snapshot_rows, snapshot_sha256

# Enrollments that may be put into a batch: verified, not yet sent to BPJS.
BATCHABLE_STATUSES = (EnrollmentStatus.VERIFIED,)


def approvals_required() -> int:
    return max(1, int(getattr(settings, "SIAGA_APPROVALS_REQUIRED", 1)))


def _require(user, perm: str, message: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(message)


def enrollments_in_open_or_approved_batches(program_year: ProgramYear) -> set[int]:
    """Enrollments already awaiting approval or approved (not rejected rows of any batch)."""
    return set(
        BatchItem.objects.filter(
            batch__program_year=program_year,
            batch__status__in=[BatchStatus.SUBMITTED, BatchStatus.APPROVED],
            rejected=False,
        ).values_list("enrollment_id", flat=True)
    )


def batchable_enrollments(program_year: ProgramYear):
    """Verified enrollments of the year that are in no open or approved batch."""
    return Enrollment.objects.filter(
        program_year=program_year, status__in=BATCHABLE_STATUSES
    ).exclude(pk__in=enrollments_in_open_or_approved_batches(program_year))


def _next_number(program_year: ProgramYear) -> str:
    prefix = getattr(settings, "SIAGA_BATCH_NUMBER_FORMAT", "{seq:03d}/SIAGA-USUL/{year}")
    seq = SubmissionBatch.objects.filter(program_year=program_year).count() + 1
    while True:
        number = prefix.format(seq=seq, year=program_year.year)
        if not SubmissionBatch.objects.filter(number=number).exists():
            return number
        seq += 1


@transaction.atomic
def batch_prepare(
    *,
    program_year: ProgramYear,
    user,
    enrollments: Iterable[Enrollment] | None = None,
    title: str = "",
) -> SubmissionBatch:
    """Gather verified enrollments (all batchable ones of the year when none are given)."""
    _require(
        user,
        "approvals.add_submissionbatch",
        _("Only a Verifikator may prepare a submission batch."),
    )
    ProgramYear.objects.select_for_update().get(pk=program_year.pk)  # one preparer at a time
    taken = enrollments_in_open_or_approved_batches(program_year)
    if enrollments is None:
        chosen = list(batchable_enrollments(program_year).order_by("pk"))
    else:
        chosen = list(enrollments)
    if not chosen:
        raise ValidationError(
            _("There are no verified enrollments of %(year)s outside a batch to put forward.")
            % {"year": program_year.year},
            code="batch_empty",
        )
    errors = []
    for enrollment in chosen:
        if enrollment.program_year_id != program_year.pk:
            errors.append(
                _("Enrollment %(id)s belongs to another program year.") % {"id": enrollment.pk}
            )
        elif enrollment.status not in BATCHABLE_STATUSES:
            errors.append(
                _("Enrollment %(id)s (%(name)s) is %(status)s, not verified.")
                % {
                    "id": enrollment.pk,
                    "name": enrollment.worker.full_name,
                    "status": enrollment.get_status_display(),
                }
            )
        elif enrollment.pk in taken:
            errors.append(
                _("Enrollment %(id)s (%(name)s) is already in an open or approved batch.")
                % {"id": enrollment.pk, "name": enrollment.worker.full_name}
            )
    if errors:
        raise ValidationError(errors, code="batch_invalid")
    batch = SubmissionBatch.objects.create(
        program_year=program_year,
        number=_next_number(program_year),
        title=title,
        approvals_required=approvals_required(),
        prepared_by=user,
    )
    BatchItem.objects.bulk_create(
        [BatchItem(batch=batch, enrollment=enrollment) for enrollment in chosen], batch_size=2000
    )
    Decision.objects.create(
        batch=batch,
        action=DecisionAction.SUBMIT,
        by=user,
        note=_("%(count)s verified enrollments put forward.") % {"count": len(chosen)},
    )
    return batch


def _lock_open(batch: SubmissionBatch) -> SubmissionBatch:
    locked = SubmissionBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != BatchStatus.SUBMITTED:
        raise ValidationError(
            _("Batch %(number)s is %(status)s; only a batch awaiting approval can be decided.")
            % {"number": locked.number, "status": locked.get_status_display()},
            code="batch_not_open",
        )
    return locked


def _check_approver(batch: SubmissionBatch, user) -> None:
    _require(
        user,
        "approvals.approve_submissionbatch",
        _("Only a Kepala Bidang may approve or return a submission batch."),
    )
    if batch.prepared_by_id == user.pk:
        raise PermissionDenied(_("You prepared this batch; someone else must approve it."))


@transaction.atomic
def batch_approve(*, batch: SubmissionBatch, user, note: str = "") -> SubmissionBatch:
    """Record one sign-off; the last one required freezes the batch's snapshot."""
    batch = _lock_open(batch)
    _check_approver(batch, user)
    if batch.decisions.filter(action=DecisionAction.APPROVE, by=user).exists():
        raise ValidationError(
            _("You have already approved batch %(number)s; it needs another approver.")
            % {"number": batch.number},
            code="already_signed",
        )
    items = list(
        batch.items.filter(rejected=False).select_related(
            *(f"enrollment__{name}" for name in SNAPSHOT_RELATED)
        )
    )
    moved = [i.enrollment for i in items if i.enrollment.status not in BATCHABLE_STATUSES]
    if moved:
        raise ValidationError(
            [
                _("Row %(name)s (enrollment %(id)s) is now %(status)s; return the batch instead.")
                % {
                    "name": e.worker.full_name,
                    "id": e.pk,
                    "status": e.get_status_display(),
                }
                for e in moved
            ],
            code="batch_rows_moved",
        )
    Decision.objects.create(batch=batch, action=DecisionAction.APPROVE, by=user, note=note)
    signed = batch.decisions.filter(action=DecisionAction.APPROVE).values("by").distinct().count()
    if signed >= batch.approvals_required:
        rows = snapshot_rows(item.enrollment for item in items)
        SnapshotRow.objects.bulk_create(
            [SnapshotRow(batch=batch, **row) for row in rows], batch_size=2000
        )
        batch.status = BatchStatus.APPROVED
        batch.approved_at = timezone.now()
        batch.snapshot_sha256 = snapshot_sha256(rows)
        batch.snapshot_count = len(rows)
        batch.save(update_fields=["status", "approved_at", "snapshot_sha256", "snapshot_count"])
    return batch


@transaction.atomic
def batch_return(
    *, batch: SubmissionBatch, user, rejections: dict[int, str] | None = None, note: str = ""
) -> SubmissionBatch:
    """Send a batch back. ``rejections`` maps enrollment IDs to the reason each was refused.

    The rows not rejected are free again for a new batch once the Verifikator has fixed
    what the note asks for.
    """
    batch = _lock_open(batch)
    _check_approver(batch, user)
    rejections = {int(k): (v or "").strip() for k, v in (rejections or {}).items()}
    if not rejections and not note.strip():
        raise ValidationError(
            _("Say why the batch goes back: a note, or a reason for each rejected row."),
            code="return_needs_reason",
        )
    items = {i.enrollment_id: i for i in batch.items.all()}
    errors = []
    for enrollment_id, reason in rejections.items():
        if enrollment_id not in items:
            errors.append(
                _("Enrollment %(id)s is not in batch %(number)s.")
                % {"id": enrollment_id, "number": batch.number}
            )
        elif not reason:
            errors.append(
                _("Give the reason enrollment %(id)s is rejected.") % {"id": enrollment_id}
            )
    if errors:
        raise ValidationError(errors, code="return_invalid")
    for enrollment_id, reason in rejections.items():
        item = items[enrollment_id]
        item.rejected = True
        item.rejection_reason = reason
        item.save(update_fields=["rejected", "rejection_reason"])
    Decision.objects.create(
        batch=batch,
        action=DecisionAction.RETURN,
        by=user,
        note=note.strip(),
        rejected_rows=[{"enrollment": k, "reason": v} for k, v in sorted(rejections.items())],
    )
    batch.status = BatchStatus.RETURNED
    batch.save(update_fields=["status"])
    return batch
