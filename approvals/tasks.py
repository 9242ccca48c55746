"""Background tasks of the approvals app (django-tasks, database backend, ``db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def generate_document(job_id: int) -> str:
    """Generate one queued ``DocumentJob`` (approvals.jobs)."""
    from .jobs import document_job_run, document_jobs_purge

    document_jobs_purge()
    job = document_job_run(job_id)
    return job.status if job else "skipped"
