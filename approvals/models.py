"""Submission batches, their decision log, the frozen snapshot of what was approved, and the
record of every official document generated (issue 15).

A Verifikator gathers verified enrollments into a batch; a Kepala Bidang approves it (as many
distinct approvers as ``SIAGA_APPROVALS_REQUIRED``) or returns it with per-row rejections. On
approval the batch's rows are frozen (``SnapshotRow``) with a SHA-256 of the whole; every
document about the batch is generated from those rows, never from the live registry.
The decision log and the snapshot are append-only: the models refuse updates and deletes.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment, PremiumInvoice, ProgramYear


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk ``update()``/``delete()`` are refused: the rows are a record, not working data."""

    def update(self, **kwargs):
        raise PermissionDenied(_("This record is append-only: it cannot be changed."))

    def delete(self):
        raise PermissionDenied(_("This record is append-only: it cannot be deleted."))


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionDenied(_("This record is append-only: it cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied(_("This record is append-only: it cannot be deleted."))


class BatchStatus(models.TextChoices):
    SUBMITTED = "diajukan", _("Awaiting approval")
    APPROVED = "disetujui", _("Approved")
    RETURNED = "dikembalikan", _("Returned")


class SubmissionBatch(models.Model):
    """Verified enrollments put forward together for the head of office's approval."""

    program_year = models.ForeignKey(
        ProgramYear, on_delete=models.PROTECT, related_name="+", verbose_name=_("program year")
    )
    number = models.CharField(_("document number"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=14, choices=BatchStatus.choices, default=BatchStatus.SUBMITTED
    )
    approvals_required = models.PositiveSmallIntegerField(
        _("sign-offs required"), help_text=_("Taken from the setting when the batch was made.")
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    created_at = models.DateTimeField(_("prepared at"), default=timezone.now)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    snapshot_sha256 = models.CharField(_("snapshot SHA-256"), max_length=64, blank=True)
    snapshot_count = models.PositiveIntegerField(_("participants approved"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("submission batch")
        verbose_name_plural = _("submission batches")
        permissions = [
            ("approve_submissionbatch", _("Can approve or return submission batches")),
            ("generate_documents", _("Can generate and download official documents")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BatchStatus.values), name="approvals_batch_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="disetujui") | ~Q(snapshot_sha256=""),
                name="approvals_approved_has_snapshot",
            ),
            models.CheckConstraint(
                condition=Q(approvals_required__gte=1), name="approvals_required_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class BatchItem(models.Model):
    """One enrollment in a batch; a returned batch marks the rows the approver rejected."""

    batch = models.ForeignKey(
        SubmissionBatch, on_delete=models.PROTECT, related_name="items", verbose_name=_("batch")
    )
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="+", verbose_name=_("enrollment")
    )
    rejected = models.BooleanField(_("rejected"), default=False)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        ordering = ["batch", "id"]
        verbose_name = _("batch row")
        verbose_name_plural = _("batch rows")
        constraints = [
            models.UniqueConstraint(fields=["batch", "enrollment"], name="approvals_item_unique"),
            models.CheckConstraint(
                condition=Q(rejected=False, rejection_reason="")
                | (Q(rejected=True) & ~Q(rejection_reason="")),
                name="approvals_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch} · {self.enrollment_id}"


class DecisionAction(models.TextChoices):
    SUBMIT = "ajukan", _("Submitted for approval")
    APPROVE = "setujui", _("Approved")
    RETURN = "kembalikan", _("Returned")


class Decision(AppendOnlyModel):
    """One entry of a batch's decision log: who decided what, when, and why. Never edited."""

    batch = models.ForeignKey(
        SubmissionBatch, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("batch")
    )
    action = models.CharField(_("decision"), max_length=12, choices=DecisionAction.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    rejected_rows = models.JSONField(
        _("rejected rows"), default=list, blank=True, help_text=_("Enrollment IDs and reasons.")
    )

    class Meta:
        ordering = ["batch", "at", "id"]
        verbose_name = _("decision")
        verbose_name_plural = _("decision log")
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=DecisionAction.values), name="approvals_decision_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch} · {self.get_action_display()}"


class SnapshotRow(AppendOnlyModel):
    """One participant exactly as approved. Registry edits after approval never reach it."""

    batch = models.ForeignKey(
        SubmissionBatch, on_delete=models.PROTECT, related_name="snapshot", verbose_name=_("batch")
    )
    position = models.PositiveIntegerField(_("no."))
    enrollment_id_frozen = models.PositiveBigIntegerField(_("enrollment ID"))
    nik = models.CharField(_("NIK"), max_length=16)
    full_name = models.CharField(_("full name"), max_length=150)
    birth_date = models.DateField(_("date of birth"))
    kecamatan = models.CharField(_("district (kecamatan)"), max_length=100)
    kelurahan = models.CharField(_("village (kelurahan)"), max_length=100)
    segment = models.CharField(_("segment"), max_length=100)
    worker_type = models.CharField(_("worker type"), max_length=3)
    risk_class = models.CharField(_("risk class"), max_length=16, blank=True)
    # What the BPJS registration file needs besides the above (approvals/bpjs.py).
    birth_place = models.CharField(_("place of birth"), max_length=100, blank=True)
    sex = models.CharField(_("sex"), max_length=1, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True)
    rw = models.CharField(_("RW"), max_length=3, blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    declared_wage = models.PositiveBigIntegerField(_("declared wage (Rp)"), default=0)
    monthly_premium = models.PositiveBigIntegerField(_("monthly premium (Rp)"))
    committed_amount = models.PositiveBigIntegerField(_("cost to the year (Rp)"))
    coverage_start = models.DateField(_("coverage start"))
    coverage_end = models.DateField(_("coverage end"))

    class Meta:
        ordering = ["batch", "position"]
        verbose_name = _("approved participant")
        verbose_name_plural = _("approved participants")
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="approvals_snapshot_pos"),
            models.UniqueConstraint(
                fields=["batch", "enrollment_id_frozen"], name="approvals_snapshot_enrollment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch} #{self.position}"


class DocumentKind(models.TextChoices):
    LAMPIRAN_SK = "lampiran-sk", _("Attachment to the Mayor's decree (daftar nominatif)")
    BA_VERIFIKASI = "ba-verifikasi", _("Verification minutes (berita acara verifikasi)")
    REKAP = "rekap", _("Summary per kelurahan and segment (rekapitulasi)")
    BA_REKONSILIASI = "ba-rekonsiliasi", _("Premium reconciliation minutes")
    LAPORAN_KLAIM = "laporan-klaim", _("Claims report and scholarship follow-up")


class DocumentFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Excel (xlsx)"


class GeneratedDocument(AppendOnlyModel):
    """Every official document generated: who, when, with which parameters, and its hash."""

    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    file_format = models.CharField(_("format"), max_length=4, choices=DocumentFormat.choices)
    number = models.CharField(_("document number"), max_length=120)
    program_year = models.ForeignKey(
        ProgramYear, on_delete=models.PROTECT, related_name="+", verbose_name=_("program year")
    )
    batch = models.ForeignKey(
        SubmissionBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("batch"),
    )
    invoice = models.ForeignKey(
        PremiumInvoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice"),
    )
    parameters = models.JSONField(_("parameters"), default=dict)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("generated by"),
        help_text=_("Empty when made from the command line without --user."),
    )
    generated_at = models.DateTimeField(_("generated at"), default=timezone.now)

    class Meta:
        ordering = ["-generated_at", "-id"]
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.number}"


class DocumentJobStatus(models.TextChoices):
    QUEUED = "antre", _("Queued")
    RUNNING = "berjalan", _("Being generated")
    DONE = "selesai", _("Ready")
    FAILED = "gagal", _("Failed")


class DocumentJob(models.Model):
    """A long document generated by the background worker (``approvals.tasks``): its
    progress for the page that follows it, then the file until it is downloaded or expires
    (``SIAGA_DOCUMENT_JOB_KEEP_HOURS``; ``approvals.jobs.document_jobs_purge`` empties the
    content, the ``GeneratedDocument`` record stays). Kept in the database, never on disk."""

    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    file_format = models.CharField(_("format"), max_length=4, choices=DocumentFormat.choices)
    program_year = models.ForeignKey(
        ProgramYear, on_delete=models.CASCADE, related_name="+", verbose_name=_("program year")
    )
    batch = models.ForeignKey(
        SubmissionBatch,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("batch"),
    )
    invoice = models.ForeignKey(
        PremiumInvoice,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice"),
    )
    start = models.DateField(_("period from"), null=True, blank=True)
    end = models.DateField(_("period to"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DocumentJobStatus.choices,
        default=DocumentJobStatus.QUEUED,
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows = models.PositiveIntegerField(_("rows (estimate)"), default=0)
    worker = models.CharField(_("worker process"), max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    document = models.ForeignKey(
        GeneratedDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("generated document"),
    )
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    content = models.BinaryField(_("file"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("document job")
        verbose_name_plural = _("document jobs")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.file_format}) · {self.created_at:%d-%m-%Y %H:%M}"
