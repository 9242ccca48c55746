"""The audit record of every spreadsheet import (UU 27/2022 asks for a record of processing)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Stored errors are capped so one broken 100,000-row file cannot bloat the audit table.
MAX_STORED_ERRORS = 2000


class ImportStatus(models.TextChoices):
    """A job's life: accepted → staging → previewed → (queued →) running → imported, or one of
    the other outcomes. Each step is saved in its own transaction (``services``), and the
    final "imported" in the same transaction as the data, so a killed process always leaves
    a job that says where it stopped."""

    ACCEPTED = "accepted", _("File accepted")
    STAGING = "staging", _("Being read and checked")
    PREVIEWED = "previewed", _("Checked, waiting for confirmation")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DRY_RUN = "dry_run", _("Checked only (nothing written)")
    IMPORTED = "imported", _("Imported")
    REFUSED = "refused", _("Not imported: invalid rows")
    UNREADABLE = "unreadable", _("File could not be read")
    FAILED = "failed", _("Failed: nothing written")
    ABANDONED = "abandoned", _("Abandoned")


class ImportSource(models.TextChoices):
    ADMIN = "admin", _("Admin")
    COMMAND = "command", _("Command line")


class ImportJob(models.Model):
    """Who imported which file (by checksum, never by content), when, and with what outcome."""

    kind = models.CharField(_("kind"), max_length=40)
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"), default=0)
    source = models.CharField(
        _("started from"), max_length=10, choices=ImportSource.choices, default=ImportSource.ADMIN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("outcome"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.ACCEPTED
    )
    skip_invalid = models.BooleanField(_("invalid rows skipped"), default=False)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_new = models.PositiveIntegerField(_("new"), default=0)
    rows_updated = models.PositiveIntegerField(_("updated"), default=0)
    rows_conflict = models.PositiveIntegerField(
        _("identity conflicts"),
        default=0,
        help_text=_("Rows whose NIK is registered to someone with another name and birth date."),
    )
    # Row numbers of the identity conflicts staff ticked on the preview: only those are written.
    accepted_conflicts = models.JSONField(
        _("identity conflicts accepted (rows)"), default=list, blank=True
    )
    rows_duplicate = models.PositiveIntegerField(
        _("possible duplicates"),
        default=0,
        help_text=_(
            "Rows that may be the same person as another row of the file or a registered "
            "worker (never merged: imported, and the pair goes to the review queue unless "
            "marked not the same person)."
        ),
    )
    # Row numbers staff marked "not the same person" on the preview: their pairs are recorded
    # as different people (who and when) instead of going to the review queue.
    not_duplicates = models.JSONField(
        _("rows marked not the same person"), default=list, blank=True
    )
    rows_unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rows_invalid = models.PositiveIntegerField(_("invalid"), default=0)
    message = models.TextField(_("message"), blank=True)
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    # Server-side file holding the validated rows between preview and confirmation; emptied
    # (and the file deleted) as soon as the import finishes or is abandoned.
    staged_file = models.CharField(_("staged rows file"), max_length=255, blank=True)
    # Long files run as background tasks (django-tasks): the upload waits here for the worker,
    # which deletes it as soon as it has read it.
    upload_file = models.CharField(
        _("uploaded file awaiting the worker"), max_length=255, blank=True
    )
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    # The importer's per-run settings (e.g. a DTKS result's check date and source), from
    # ``SpreadsheetImporter.options``: the background worker rebuilds the importer with them.
    options = models.JSONField(_("import options"), default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    # The importer's class (dotted path), so a job can be retried from the job list alone.
    importer_path = models.CharField(_("importer"), max_length=200, blank=True)
    # Liveness of the process reading or writing the job: "host:pid:start time", and a
    # timestamp it refreshes. A job whose process is gone (or whose heartbeat is older than
    # SIAGA_IMPORT_LEASE_SECONDS) is failed with ``interrupted`` set.
    worker = models.CharField(_("process"), max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    interrupted = models.BooleanField(_("interrupted by a server stop"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        permissions = [("import_workers", _("Can import worker spreadsheets"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ImportStatus.values), name="importjob_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.file_name} ({self.created_at:%d-%m-%Y %H:%M})"
            if self.created_at
            else self.file_name
        )

    @property
    def is_open(self) -> bool:
        return self.status == ImportStatus.PREVIEWED

    @property
    def is_waiting(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def can_retry(self) -> bool:
        """Interrupted by a server stop, with its upload or its checked rows still kept."""
        return (
            self.status == ImportStatus.FAILED
            and self.interrupted
            and bool(self.upload_file or self.staged_file)
        )

    @property
    def can_cancel(self) -> bool:
        return self.status == ImportStatus.PREVIEWED or self.can_retry


# A process is working on the job (or about to): it shows a progress page.
ACTIVE_STATUSES = (
    ImportStatus.ACCEPTED,
    ImportStatus.STAGING,
    ImportStatus.QUEUED,
    ImportStatus.RUNNING,
)
# A process owns the job and keeps its heartbeat.
OWNED_STATUSES = (ImportStatus.ACCEPTED, ImportStatus.STAGING, ImportStatus.RUNNING)
