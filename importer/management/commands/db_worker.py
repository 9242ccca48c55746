"""``manage.py db_worker``: django-tasks-db's worker, made a good neighbour on SQLite.

The library's worker opens an EXCLUSIVE transaction on every poll (once a second), so on the
embedded SQLite default it took the write lock even with nothing to do, and staff saving a
form at that moment waited for it. This worker first asks, with a plain read that takes no
lock (WAL), whether any task is ready, and only then claims one the library's way. On
PostgreSQL the cheap read is just as harmless.

This command overrides the library's ``db_worker`` (``importer`` comes before
``django_tasks_db`` in ``INSTALLED_APPS``), so ``make run``, the docs and deployments keep
the usual name and all options.
"""

from __future__ import annotations

import time

from django.db import close_old_connections
from django.db.utils import OperationalError
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception


class Worker(db_worker.Worker):
    def _ready_tasks(self):
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        return tasks

    def _claim(self, tasks) -> tuple[DBTaskResult | None, bool]:
        """Claim one ready task; (task or None, whether the queue could be read)."""
        # Idle polling is a lock-free read; only a queue with work takes the write lock.
        if not tasks.exists():
            return None, True
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
                return task_result, True
        except OperationalError as error:
            if is_locked_database_exception(error):
                return None, False
            raise

    def run(self) -> None:
        db_worker.logger.info(
            "Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names)
        )
        while self.running:
            close_old_connections()
            task_result, read = self._claim(self._ready_tasks())
            if task_result is not None:
                self.run_task(task_result)
            elif self.batch and read:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            close_old_connections()
            if self.running and task_result is None:
                time.sleep(self.interval)


class Command(db_worker.Command):
    help = db_worker.Command.help

    def handle(self, *args, **options):
        original = db_worker.Worker
        db_worker.Worker = Worker
        try:
            return super().handle(*args, **options)
        finally:
            db_worker.Worker = original
