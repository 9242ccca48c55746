from django.core.management import call_command
from django.db import connection
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult


def run_worker():
    """Run the queued tasks as ``manage.py db_worker`` does.

    On PostgreSQL the real worker closes the test's connection (its close_old_connections
    sees autocommit off inside the test transaction), so there the queued rows are run the
    way the worker runs them.
    """
    if connection.vendor == "sqlite":
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
        return
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.READY):
        result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        DBTaskResult.objects.filter(pk=result.pk).update(status=TaskResultStatus.SUCCESSFUL)
