"""Import jobs: run an import end to end, or stage it for preview and confirm it later.

Every path records an ``ImportJob`` from the moment the file is accepted, and moves it through
its states (accepted → staging → previewed → queued → running → imported/…) each in its own
transaction; "imported" is saved in the same transaction as the data, so the job and the
data never disagree. The process working on a job names itself on it and refreshes a
heartbeat; a job whose process died (``import_recover_stale``) is failed as interrupted and
can be retried (its upload or checked rows are kept for that) or cancelled (they are deleted
at once). The uploaded bytes are only held in memory, or for the background worker until it
has checked them; the checked rows are deleted once the job is confirmed or abandoned.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from . import staging
from .engine import (
    CONFLICT,
    INVALID,
    Plan,
    SpreadsheetImporter,
    accepted_rows,
    build_plan,
)
from .errors import FileRejected, WriteRefused
from .models import MAX_STORED_ERRORS, OWNED_STATUSES, ImportJob, ImportSource, ImportStatus
from .reading import sha256_of


def interrupted_message() -> str:
    return _(
        "The server stopped during the import; nothing was written — upload the file again "
        "or retry."
    )


@dataclass
class ImportOutcome:
    job: ImportJob
    plan: Plan | None
    written: dict[str, int] | None = None


class _Superseded(Exception):
    """The job stopped being this process's while it wrote (failed as interrupted, retried
    elsewhere): the write is rolled back."""


def _user_or_none(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# --- liveness -----------------------------------------------------------------------------


def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (tells a reused process id apart), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[19]


def worker_id() -> str:
    """This process, as "host:pid:start time" (computed each time: gunicorn forks)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid) or ''}"[:120]


def process_alive(worker: str) -> bool | None:
    """Whether the process named ``worker`` still runs: None when it cannot be told here
    (another host, no /proc), then the heartbeat decides."""
    host, _sep, rest = worker.partition(":")
    pid_text, _sep, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    if started and Path("/proc").is_dir():
        return _start_time(pid) == started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return None
    return True


def _beat(job_id: int, worker: str, stop: threading.Event) -> None:
    interval = settings.SIAGA_IMPORT_HEARTBEAT_SECONDS
    try:
        while not stop.wait(interval):
            # Its own connection, outside the import's transaction. On SQLite a long write
            # holds the database lock, so a beat may fail: the process check covers that.
            with contextlib.suppress(DatabaseError):
                ImportJob.objects.filter(pk=job_id, worker=worker).update(
                    heartbeat_at=timezone.now()
                )
    finally:
        connection.close()


@contextlib.contextmanager
def _heartbeat(job: ImportJob) -> Iterator[None]:
    """Refresh the job's heartbeat from a thread while this process works on it.

    Not inside a caller's transaction (tests, a wrapping atomic block): the job's states are
    not visible to others then anyway, and the beat would wait for that transaction's lock.
    """
    if connection.in_atomic_block:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_beat, args=(job.pk, job.worker, stop), name=f"import-{job.pk}", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=settings.SIAGA_IMPORT_HEARTBEAT_SECONDS)


def _claim(job: ImportJob, from_statuses: tuple[str, ...], status: str) -> bool:
    """Move ``job`` to ``status`` for this process if it is still in ``from_statuses``; saved
    at once (its own transaction), so a crash afterwards leaves the job saying so."""
    worker, now = worker_id(), timezone.now()
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, status__in=from_statuses).update(
            status=status, worker=worker, heartbeat_at=now, interrupted=False, message=""
        )
    if claimed:
        job.status, job.worker, job.heartbeat_at = status, worker, now
        job.interrupted, job.message = False, ""
    return bool(claimed)


def job_is_stale(job: ImportJob, now: Any = None) -> bool:
    """A job a process owns whose process is gone, or silent for longer than the lease."""
    if job.status not in OWNED_STATUSES or not job.worker:
        return False
    alive = process_alive(job.worker)
    if alive is not None:
        return not alive
    now = now or timezone.now()
    lease = timezone.timedelta(seconds=settings.SIAGA_IMPORT_LEASE_SECONDS)
    return job.heartbeat_at is None or job.heartbeat_at < now - lease


def import_check_alive(job: ImportJob) -> ImportJob:
    """Fail ``job`` as interrupted if its process died; return it up to date."""
    if job_is_stale(job):
        _fail_interrupted(job)
        job.refresh_from_db()
    return job


def _fail_interrupted(job: ImportJob) -> bool:
    """Mark a dead process's job failed (only if it is still the state we saw). Its upload or
    checked rows stay for a retry; cancelling or the purge deletes them."""
    try:
        with transaction.atomic():
            failed = ImportJob.objects.filter(
                pk=job.pk, status=job.status, worker=job.worker
            ).update(
                status=ImportStatus.FAILED,
                interrupted=True,
                message=interrupted_message(),
                finished_at=timezone.now(),
                progress=0,
            )
    except DatabaseError:  # e.g. SQLite still locked by a write that is in fact running
        return False
    return bool(failed)


def import_recover_stale() -> int:
    """Fail every job whose process died, and delete files left by finished jobs (a process
    killed between its commit and the clean-up). Run at each upload, by the task worker
    before each task, by the job list and by ``purge_imports``."""
    failed = 0
    for job in ImportJob.objects.filter(status__in=OWNED_STATUSES).exclude(worker=""):
        if job_is_stale(job) and _fail_interrupted(job):
            failed += 1
    finished = ImportJob.objects.exclude(status__in=[*OWNED_STATUSES, ImportStatus.QUEUED])
    finished = finished.exclude(status=ImportStatus.PREVIEWED).exclude(interrupted=True)
    for job in finished.exclude(staged_file="", upload_file=""):
        _delete_files(job)
        ImportJob.objects.filter(pk=job.pk).update(staged_file="", upload_file="")
    return failed


# --- jobs -----------------------------------------------------------------------------------


def _store_plan_counts(job: ImportJob, plan: Plan) -> None:
    counts = plan.counts()
    job.rows_total = counts["rows"]
    job.rows_new = counts["new"]
    job.rows_updated = counts["updated"]
    job.rows_conflict = counts["conflict"]
    job.rows_duplicate = counts["duplicate"]
    job.rows_unchanged = counts["unchanged"]
    job.rows_invalid = counts["invalid"]
    job.errors = [e.as_dict() for e in plan.errors()[:MAX_STORED_ERRORS]]


def importer_path(importer: SpreadsheetImporter) -> str:
    """The dotted path a background task gets to find the importer's class again."""
    return f"{type(importer).__module__}.{type(importer).__qualname__}"


def _new_job(
    importer: SpreadsheetImporter, data: bytes, file_name: str, user: Any, source: str
) -> ImportJob:
    """The job of a file just accepted, saved at once (before it is read)."""
    job = ImportJob(
        kind=importer.kind,
        file_name=file_name[:255],
        file_sha256=sha256_of(data),
        file_size=len(data),
        source=source,
        created_by=_user_or_none(user),
        options=importer.options(),
        importer_path=importer_path(importer),
        status=ImportStatus.ACCEPTED,
        worker=worker_id(),
        heartbeat_at=timezone.now(),
    )
    job.save()
    return job


def importer_for_job(path: str, job: ImportJob) -> SpreadsheetImporter:
    """The importer ``job`` was started with: its class by dotted path, with the per-run
    options stored on the job (a task gets only JSON arguments, not the importer)."""
    return import_string(path or job.importer_path).from_options(job.options)


def _delete_files(job: ImportJob) -> None:
    staging.delete_stage(job.staged_file)
    staging.delete_stage(job.upload_file)


def _finish(job: ImportJob, status: str, message: str = "") -> ImportJob:
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    job.interrupted = False
    _delete_files(job)
    job.staged_file = ""
    job.upload_file = ""
    job.save()
    return job


def checkpoint(name: str) -> None:
    """A named point of an import where the crash tests stop a real process.

    Only active when SIAGA_IMPORT_PAUSE_AT (comma-separated names) is set in the environment
    of the process: it then writes ``<SIAGA_IMPORT_PAUSE_DIR>/<name>`` and waits to be killed.
    """
    wanted = os.environ.get("SIAGA_IMPORT_PAUSE_AT", "")
    if not wanted or name not in wanted.split(","):
        return
    Path(os.environ["SIAGA_IMPORT_PAUSE_DIR"], name).write_text(str(os.getpid()))
    while True:  # pragma: no cover - ended by the test's SIGKILL
        time.sleep(1)


def _plan(
    importer: SpreadsheetImporter,
    job: ImportJob,
    data: bytes,
    progress: Callable[[int], None] | None = None,
) -> Plan | ImportJob:
    """Read and check ``data`` for ``job`` (already claimed as staging); a refused file
    finishes the job as unreadable and returns it."""
    with _heartbeat(job):
        checkpoint("staging")
        try:
            return build_plan(importer, data, job.file_name, progress=progress)
        except FileRejected as exc:
            job.errors = [{"row": 0, "column": "", "code": exc.code, "message": exc.message}]
            return _finish(job, ImportStatus.UNREADABLE, exc.message)


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
    not_duplicates: list[int] | None = None,
) -> ImportOutcome:
    """Read, validate and (unless refused or a dry run) write a file in one go.

    Identity conflicts are written only for the row numbers in ``accepted_conflicts``. Rows
    flagged as possibly the same person as another record are written as their own record;
    those in ``not_duplicates`` have their pairs recorded as different people, the others'
    pairs go to the review queue (dedup)."""
    import_recover_stale()
    job = _new_job(importer, data, file_name, user, source)
    job.skip_invalid = skip_invalid
    _claim(job, (ImportStatus.ACCEPTED,), ImportStatus.STAGING)
    plan = _plan(importer, job, data)
    if isinstance(plan, ImportJob):
        return ImportOutcome(plan, None)
    _store_plan_counts(job, plan)
    if plan.counts()[INVALID] and not skip_invalid:
        status = ImportStatus.DRY_RUN if dry_run else ImportStatus.REFUSED
        return ImportOutcome(_finish(job, status), plan)
    job.accepted_conflicts = _conflict_rows(plan, accepted_conflicts)
    job.not_duplicates = _flagged_rows(plan, not_duplicates)
    if dry_run:
        return ImportOutcome(_finish(job, ImportStatus.DRY_RUN), plan)
    job.save()
    _claim(job, (ImportStatus.STAGING,), ImportStatus.RUNNING)
    return _write(importer, job, plan, user)


def _row_numbers(values: Any) -> set[int]:
    wanted = set()
    for value in values or ():
        try:
            wanted.add(int(value))
        except (TypeError, ValueError):
            continue
    return wanted


def _conflict_rows(plan: Plan, accepted: Any) -> list[int]:
    """The accepted row numbers that really are identity conflicts of ``plan``."""
    conflicts = {r.row for r in plan.rows if r.status == CONFLICT}
    return sorted(_row_numbers(accepted) & conflicts)


def _flagged_rows(plan: Plan, ticked: Any) -> list[int]:
    """The ticked row numbers that really are rows of ``plan`` flagged as possible
    duplicates (and not invalid)."""
    flagged = {r.row for r in plan.rows if r.duplicates and r.status != INVALID}
    return sorted(_row_numbers(ticked) & flagged)


def _write(importer: SpreadsheetImporter, job: ImportJob, plan: Plan, user: Any) -> ImportOutcome:
    """Write the plan's valid rows and mark the job imported, in one transaction."""
    valid = accepted_rows(plan, job.accepted_conflicts, job.not_duplicates)
    try:
        with _heartbeat(job), transaction.atomic():
            written = importer.write(valid, user=_user_or_none(user))
            checkpoint("writing")
            # The job turns "imported" in the data's own transaction, and only if it is still
            # this process's running job (not failed meanwhile as interrupted): on PostgreSQL
            # the UPDATE waits for, or makes wait, a concurrent recovery of the same row.
            done = ImportJob.objects.filter(
                pk=job.pk, status=ImportStatus.RUNNING, worker=job.worker
            ).update(
                status=ImportStatus.IMPORTED,
                message="",
                finished_at=timezone.now(),
                skip_invalid=job.skip_invalid,
                progress=100,
            )
            if not done:
                raise _Superseded
    except _Superseded:
        worker = job.worker
        job.refresh_from_db()
        if job.status == ImportStatus.RUNNING and job.worker == worker:  # cannot normally be
            return ImportOutcome(_finish(job, ImportStatus.FAILED, interrupted_message()), plan)
        return ImportOutcome(job, plan)
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
    checkpoint("committed")
    return ImportOutcome(_finish(job, ImportStatus.IMPORTED), plan, written)


def import_stage(
    *, importer: SpreadsheetImporter, data: bytes, file_name: str, user: Any
) -> ImportOutcome:
    """Validate an uploaded file and keep its checked rows server-side for a preview."""
    import_purge_stale()
    job = _new_job(importer, data, file_name, user, ImportSource.ADMIN)
    _claim(job, (ImportStatus.ACCEPTED,), ImportStatus.STAGING)
    return _stage(importer, job, data)


def _stage(
    importer: SpreadsheetImporter,
    job: ImportJob,
    data: bytes,
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    plan = _plan(importer, job, data, progress)
    if isinstance(plan, ImportJob):
        return ImportOutcome(plan, None)
    _store_plan_counts(job, plan)
    job.staged_file = staging.write_stage(plan.to_stage())
    upload, job.upload_file = job.upload_file, ""
    job.status = ImportStatus.PREVIEWED
    job.progress = 100
    job.save()
    staging.delete_stage(upload)  # the worker has checked the upload: it is not kept
    return ImportOutcome(job, plan)


def import_enqueue(
    *, importer: SpreadsheetImporter, data: bytes, file_name: str, user: Any
) -> ImportJob:
    """Queue a long file for the background worker; it stages the rows like ``import_stage``."""
    import_purge_stale()
    job = _new_job(importer, data, file_name, user, ImportSource.ADMIN)
    job.upload_file = staging.write_upload(data)
    job.status = ImportStatus.QUEUED
    job.queued_at = timezone.now()
    job.worker = ""
    job.save()
    _enqueue_stage(job)
    return job


def _enqueue_stage(job: ImportJob) -> None:
    from .tasks import stage_import

    path = job.importer_path
    transaction.on_commit(lambda: stage_import.enqueue(job_id=job.pk, importer_path=path))


def import_stage_queued(*, importer: SpreadsheetImporter, job_id: int) -> ImportJob | None:
    """Run by the worker: check the queued upload, stage its rows, then delete the upload."""
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).first()
    if job is None or not _claim(job, (ImportStatus.QUEUED,), ImportStatus.STAGING):
        return None
    ImportJob.objects.filter(pk=job.pk).update(progress=0)
    try:
        data = staging.read_upload(job.upload_file)
    except FileNotFoundError:
        return _finish(job, ImportStatus.ABANDONED, _("The uploaded file is no longer available."))

    def progress(percent: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(progress=percent, heartbeat_at=timezone.now())

    return _stage(importer, job, data, progress).job


def import_confirm_later(
    *, importer: SpreadsheetImporter, job: ImportJob, user: Any, skip_invalid: bool
) -> ImportJob:
    """Queue the write of a staged job for the background worker."""
    job.skip_invalid = skip_invalid
    with transaction.atomic():
        queued = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWED).update(
            status=ImportStatus.QUEUED,
            queued_at=timezone.now(),
            progress=0,
            skip_invalid=skip_invalid,
            worker="",
        )
    job.refresh_from_db()
    if queued:
        _enqueue_confirm(job, getattr(_user_or_none(user), "pk", None))
    return job


def _enqueue_confirm(job: ImportJob, user_id: int | None) -> None:
    from .tasks import confirm_import

    path, skip_invalid = job.importer_path, job.skip_invalid
    transaction.on_commit(
        lambda: confirm_import.enqueue(
            job_id=job.pk, importer_path=path, user_id=user_id, skip_invalid=skip_invalid
        )
    )


def import_staged_plan(job: ImportJob) -> Plan | None:
    """The plan staged for a job, or None when it is gone (finished or purged)."""
    if not job.staged_file or not (
        job.status in (ImportStatus.PREVIEWED, ImportStatus.QUEUED, ImportStatus.RUNNING)
        or job.can_retry
    ):
        return None
    try:
        return Plan.from_stage(staging.read_stage(job.staged_file))
    except (FileNotFoundError, ValueError):
        return None


def import_accept_conflicts(*, job: ImportJob, rows: Any) -> list[int]:
    """Record which identity conflicts staff ticked (before a confirm, web or background):
    only those rows are written; anything that is not a conflict row of the plan is ignored."""
    import_record_choices(job=job, accepted_conflicts=rows, not_duplicates=job.not_duplicates)
    return job.accepted_conflicts


def import_record_choices(*, job: ImportJob, accepted_conflicts: Any, not_duplicates: Any) -> None:
    """Record what staff ticked on the preview before a confirm (web or background): the
    identity conflicts to write, and the rows flagged as possible duplicates that are "not
    the same person". Row numbers that are not such rows of the plan are ignored."""
    plan = import_staged_plan(job)
    job.accepted_conflicts = _conflict_rows(plan, accepted_conflicts) if plan else []
    job.not_duplicates = _flagged_rows(plan, not_duplicates) if plan else []
    ImportJob.objects.filter(pk=job.pk).update(
        accepted_conflicts=job.accepted_conflicts, not_duplicates=job.not_duplicates
    )


def import_confirm(
    *, importer: SpreadsheetImporter, job: ImportJob, user: Any, skip_invalid: bool
) -> ImportOutcome:
    """Write the rows checked at preview time, without reading the file again.

    Identity conflicts are written only for the rows in ``job.accepted_conflicts``."""
    if not _claim(job, (ImportStatus.PREVIEWED,), ImportStatus.RUNNING):
        job.refresh_from_db()
        return ImportOutcome(job, None)  # already finished: a second click changes nothing
    return _confirm_claimed(importer, job, user, skip_invalid)


def import_confirm_queued(
    *, importer: SpreadsheetImporter, job_id: int, user: Any, skip_invalid: bool
) -> ImportJob | None:
    """Run by the worker: write a queued confirmation."""
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).first()
    if job is None or not _claim(job, (ImportStatus.QUEUED,), ImportStatus.RUNNING):
        return None
    return _confirm_claimed(importer, job, user, skip_invalid).job


def _confirm_claimed(
    importer: SpreadsheetImporter, job: ImportJob, user: Any, skip_invalid: bool
) -> ImportOutcome:
    plan = import_staged_plan(job)
    if plan is None:
        message = _("The checked rows are no longer available; upload the file again.")
        return ImportOutcome(_finish(job, ImportStatus.ABANDONED, message), None)
    job.skip_invalid = skip_invalid
    if plan.counts()[INVALID] and not skip_invalid:
        return ImportOutcome(_finish(job, ImportStatus.REFUSED), plan)
    return _write(importer, job, plan, user)


def import_retry(*, job: ImportJob, user: Any) -> bool:
    """Queue an interrupted job again from where it stopped: checking its upload, or writing
    its checked rows. False when there is nothing left to retry (upload the file again)."""
    if not job.can_retry:
        return False
    with transaction.atomic():
        queued = ImportJob.objects.filter(
            pk=job.pk, status=ImportStatus.FAILED, interrupted=True
        ).update(
            status=ImportStatus.QUEUED,
            queued_at=timezone.now(),
            progress=0,
            interrupted=False,
            message="",
            finished_at=None,
            worker="",
        )
        if not queued:
            return False
        job.refresh_from_db()
        if job.upload_file:
            _enqueue_stage(job)
        else:
            _enqueue_confirm(job, getattr(_user_or_none(user), "pk", None))
    return True


def import_abandon(*, job: ImportJob) -> ImportJob:
    """Cancel a previewed or interrupted job; its checked rows and upload are deleted now."""
    return _finish(job, ImportStatus.ABANDONED)


def import_purge_stale(max_age: int = staging.STALE_AFTER_SECONDS) -> int:
    """Fail jobs whose process died; delete staged rows nobody confirmed (or retried) in
    time and mark their jobs abandoned."""
    import_recover_stale()
    names = staging.purge_stale(max_age)
    if not names:
        return 0
    message = _("Not confirmed in time; the checked rows were deleted.")
    closed = ImportJob.objects.filter(staged_file__in=names).update(
        status=ImportStatus.ABANDONED,
        staged_file="",
        upload_file="",
        interrupted=False,
        finished_at=timezone.now(),
        message=message,
    )
    closed += (
        ImportJob.objects.filter(upload_file__in=names)
        .exclude(status__in=[*OWNED_STATUSES, ImportStatus.QUEUED])
        .update(
            status=ImportStatus.ABANDONED,
            upload_file="",
            interrupted=False,
            finished_at=timezone.now(),
            message=message,
        )
    )
    return closed
