"""Background task: escalate overdue complaints (django-tasks, run by ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task

from .services import tickets_escalate_overdue


@task()
def escalate_overdue_complaints() -> int:
    return len(tickets_escalate_overdue().escalated)
