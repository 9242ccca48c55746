"""Background tasks (django-tasks with the database backend, run by ``manage.py db_worker``).

Arguments are JSON-serialisable: the importer is named by its dotted path and rebuilt with
the per-run options stored on its ``ImportJob`` (``services.importer_for_job``).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tasks import task

from .models import ImportJob, ImportStatus
from .services import (
    import_confirm_queued,
    import_recover_stale,
    import_stage_queued,
    importer_for_job,
)

# Each task first fails the jobs of processes that died (a worker restarted after a crash
# picks up its predecessor's jobs this way), then claims its own job: a job that is no
# longer queued (cancelled, already done, claimed by another worker) is skipped.


@task()
def stage_import(job_id: int, importer_path: str) -> str:
    import_recover_stale()
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).first()
    if job is None:
        return "skipped"
    job = import_stage_queued(importer=importer_for_job(importer_path, job), job_id=job_id)
    return job.status if job else "skipped"


@task()
def confirm_import(job_id: int, importer_path: str, user_id: int | None, skip_invalid: bool) -> str:
    import_recover_stale()
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).first()
    if job is None:
        return "skipped"
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    job = import_confirm_queued(
        importer=importer_for_job(importer_path, job),
        job_id=job_id,
        user=user,
        skip_invalid=skip_invalid,
    )
    return job.status if job else "skipped"
