"""Import jobs: run an import end to end, or stage it for preview and confirm it later.

Every path records an ``ImportJob`` (who, when, file name, checksum, counts, outcome). The
uploaded bytes are only held in memory; only validated rows are staged, and that staged file
is deleted once the job is confirmed or abandoned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from . import staging
from .engine import CONFLICT, INVALID, Plan, SpreadsheetImporter, apply_plan, build_plan
from .errors import FileRejected, WriteRefused
from .models import MAX_STORED_ERRORS, ImportJob, ImportSource, ImportStatus
from .reading import sha256_of


@dataclass
class ImportOutcome:
    job: ImportJob
    plan: Plan | None
    written: dict[str, int] | None = None


def _user_or_none(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _store_plan_counts(job: ImportJob, plan: Plan) -> None:
    counts = plan.counts()
    job.rows_total = counts["rows"]
    job.rows_new = counts["new"]
    job.rows_updated = counts["updated"]
    job.rows_conflict = counts["conflict"]
    job.rows_unchanged = counts["unchanged"]
    job.rows_invalid = counts["invalid"]
    job.errors = [e.as_dict() for e in plan.errors()[:MAX_STORED_ERRORS]]


def _new_job(
    importer: SpreadsheetImporter, data: bytes, file_name: str, user: Any, source: str
) -> ImportJob:
    return ImportJob(
        kind=importer.kind,
        file_name=file_name[:255],
        file_sha256=sha256_of(data),
        file_size=len(data),
        source=source,
        created_by=_user_or_none(user),
        options=importer.options(),
    )


def importer_path(importer: SpreadsheetImporter) -> str:
    """The dotted path a background task gets to find the importer's class again."""
    return f"{type(importer).__module__}.{type(importer).__qualname__}"


def importer_for_job(path: str, job: ImportJob) -> SpreadsheetImporter:
    """The importer ``job`` was started with: its class by dotted path, with the per-run
    options stored on the job (a task gets only JSON arguments, not the importer)."""
    return import_string(path).from_options(job.options)


def _finish(job: ImportJob, status: str, message: str = "") -> ImportJob:
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    staging.delete_stage(job.staged_file)
    job.staged_file = ""
    job.save()
    return job


def import_run(
    *,
    importer: SpreadsheetImporter,
    data: bytes,
    file_name: str,
    user: Any = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    source: str = ImportSource.COMMAND,
    accepted_conflicts: list[int] | None = None,
) -> ImportOutcome:
    """Read, validate and (unless refused or a dry run) write a file in one go.

    Identity conflicts are written only for the row numbers in ``accepted_conflicts``."""
    job = _new_job(importer, data, file_name, user, source)
    job.skip_invalid = skip_invalid
    try:
        plan = build_plan(importer, data, file_name)
    except FileRejected as exc:
        job.errors = [{"row": 0, "column": "", "code": exc.code, "message": exc.message}]
        return ImportOutcome(_finish(job, ImportStatus.UNREADABLE, exc.message), None)
    _store_plan_counts(job, plan)
    if plan.counts()[INVALID] and not skip_invalid:
        status = ImportStatus.DRY_RUN if dry_run else ImportStatus.REFUSED
        return ImportOutcome(_finish(job, status), plan)
    job.accepted_conflicts = _conflict_rows(plan, accepted_conflicts)
    if dry_run:
        return ImportOutcome(_finish(job, ImportStatus.DRY_RUN), plan)
    return _write(importer, job, plan, user)


def _conflict_rows(plan: Plan, accepted: Any) -> list[int]:
    """The accepted row numbers that really are identity conflicts of ``plan``."""
    conflicts = {r.row for r in plan.rows if r.status == CONFLICT}
    wanted = set()
    for value in accepted or ():
        try:
            wanted.add(int(value))
        except (TypeError, ValueError):
            continue
    return sorted(wanted & conflicts)


def _write(importer: SpreadsheetImporter, job: ImportJob, plan: Plan, user: Any) -> ImportOutcome:
    try:
        written = apply_plan(
            importer,
            plan,
            user=_user_or_none(user),
            accepted_conflicts=_conflict_rows(plan, job.accepted_conflicts),
        )
    except DatabaseError as exc:
        # Nothing was written (one transaction); the job row is saved after the rollback.
        message = _("The database refused the import, nothing was written: %(error)s") % {
            "error": type(exc).__name__
        }
        return ImportOutcome(_finish(job, ImportStatus.FAILED, message), plan)
    except WriteRefused as exc:
        message = _("The import was stopped, nothing was written: %(reason)s") % {
            "reason": exc.message
        }
        return ImportOutcome(_finish(job, ImportStatus.FAILED, message), plan)
    return ImportOutcome(_finish(job, ImportStatus.IMPORTED), plan, written)


def import_stage(
    *, importer: SpreadsheetImporter, data: bytes, file_name: str, user: Any
) -> ImportOutcome:
    """Validate an uploaded file and keep its checked rows server-side for a preview."""
    import_purge_stale()
    job = _new_job(importer, data, file_name, user, ImportSource.ADMIN)
    return _stage(importer, job, data)


def _stage(
    importer: SpreadsheetImporter,
    job: ImportJob,
    data: bytes,
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    try:
        plan = build_plan(importer, data, job.file_name, progress=progress)
    except FileRejected as exc:
        job.errors = [{"row": 0, "column": "", "code": exc.code, "message": exc.message}]
        return ImportOutcome(_finish(job, ImportStatus.UNREADABLE, exc.message), None)
    _store_plan_counts(job, plan)
    job.status = ImportStatus.PREVIEWED
    job.progress = 100
    job.staged_file = staging.write_stage(plan.to_stage())
    job.save()
    return ImportOutcome(job, plan)


def import_enqueue(
    *, importer: SpreadsheetImporter, data: bytes, file_name: str, user: Any
) -> ImportJob:
    """Queue a long file for the background worker; it stages the rows like ``import_stage``."""
    from .tasks import stage_import

    import_purge_stale()
    job = _new_job(importer, data, file_name, user, ImportSource.ADMIN)
    job.status = ImportStatus.QUEUED
    job.queued_at = timezone.now()
    job.upload_file = staging.write_upload(data)
    job.save()
    path = importer_path(importer)
    transaction.on_commit(lambda: stage_import.enqueue(job_id=job.pk, importer_path=path))
    return job


def import_stage_queued(*, importer: SpreadsheetImporter, job_id: int) -> ImportJob | None:
    """Run by the worker: read the queued upload (then delete it) and stage its rows."""
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).first()
    if job is None:
        return None
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, progress=0)
    job.status = ImportStatus.RUNNING
    try:
        data = staging.read_upload(job.upload_file)
    except FileNotFoundError:
        return _finish(job, ImportStatus.ABANDONED, _("The uploaded file is no longer available."))
    finally:
        staging.delete_stage(job.upload_file)
        job.upload_file = ""

    def progress(percent: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(progress=percent)

    return _stage(importer, job, data, progress).job


def import_confirm_later(
    *, importer: SpreadsheetImporter, job: ImportJob, user: Any, skip_invalid: bool
) -> ImportJob:
    """Queue the write of a staged job for the background worker."""
    from .tasks import confirm_import

    job.status = ImportStatus.QUEUED
    job.queued_at = timezone.now()
    job.progress = 0
    job.skip_invalid = skip_invalid
    job.save(update_fields=["status", "queued_at", "progress", "skip_invalid"])
    path = importer_path(importer)
    user_id = getattr(_user_or_none(user), "pk", None)
    transaction.on_commit(
        lambda: confirm_import.enqueue(
            job_id=job.pk, importer_path=path, user_id=user_id, skip_invalid=skip_invalid
        )
    )
    return job


def import_staged_plan(job: ImportJob) -> Plan | None:
    """The plan staged for a job, or None when it is gone (finished or purged)."""
    if not job.staged_file or job.status not in (
        ImportStatus.PREVIEWED,
        ImportStatus.QUEUED,
        ImportStatus.RUNNING,
    ):
        return None
    try:
        return Plan.from_stage(staging.read_stage(job.staged_file))
    except (FileNotFoundError, ValueError):
        return None


def import_accept_conflicts(*, job: ImportJob, rows: Any) -> list[int]:
    """Record which identity conflicts staff ticked (before a confirm, web or background):
    only those rows are written; anything that is not a conflict row of the plan is ignored."""
    plan = import_staged_plan(job)
    job.accepted_conflicts = _conflict_rows(plan, rows) if plan is not None else []
    ImportJob.objects.filter(pk=job.pk).update(accepted_conflicts=job.accepted_conflicts)
    return job.accepted_conflicts


def import_confirm(
    *, importer: SpreadsheetImporter, job: ImportJob, user: Any, skip_invalid: bool
) -> ImportOutcome:
    """Write the rows checked at preview time, without reading the file again.

    Identity conflicts are written only for the rows in ``job.accepted_conflicts``."""
    if job.status not in (ImportStatus.PREVIEWED, ImportStatus.QUEUED, ImportStatus.RUNNING):
        return ImportOutcome(job, None)  # already finished: a second click changes nothing
    plan = import_staged_plan(job)
    if plan is None:
        message = _("The checked rows are no longer available; upload the file again.")
        return ImportOutcome(_finish(job, ImportStatus.ABANDONED, message), None)
    job.skip_invalid = skip_invalid
    if plan.counts()[INVALID] and not skip_invalid:
        return ImportOutcome(_finish(job, ImportStatus.REFUSED), plan)
    return _write(importer, job, plan, user)


def import_abandon(*, job: ImportJob) -> ImportJob:
    return _finish(job, ImportStatus.ABANDONED)


def import_purge_stale(max_age: int = staging.STALE_AFTER_SECONDS) -> int:
    """Delete staged rows nobody confirmed in time and mark their jobs abandoned."""
    names = staging.purge_stale(max_age)
    if not names:
        return 0
    return ImportJob.objects.filter(staged_file__in=names).update(
        status=ImportStatus.ABANDONED,
        staged_file="",
        finished_at=timezone.now(),
        message=_("Not confirmed in time; the checked rows were deleted."),
    )
