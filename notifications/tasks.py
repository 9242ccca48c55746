"""Background task: send the outbox (django-tasks, run by ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task

from .services import messages_send_due


@task()
def send_notifications(limit: int = 1000) -> int:
    return len(messages_send_due(limit=limit).sent)
