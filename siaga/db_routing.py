"""Read replicas for reporting: the officials' dashboard may read from a PostgreSQL replica.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` database alias. Code that only
reports (the dashboard's figures, JSON, xlsx and print) runs inside :func:`reporting_reads`;
there, :class:`ReportingRouter` sends every ORM read to the replica and
:func:`reporting_connection` gives raw SQL the replica's connection. Everything else — logins,
sessions, permissions, every write, and reads outside the block — stays on ``default``, so a
replica that lags a few seconds behind never hides a change from the person who just made it;
only the officials' aggregate figures may be that far behind.

Without a replica nothing changes: the router answers "no opinion" and the reporting
connection is ``default``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_reporting: ContextVar[bool] = ContextVar("siaga_reporting_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in connections


def reporting_alias() -> str:
    """The alias a reporting read should use right now."""
    if _reporting.get() and replica_configured():
        return REPLICA
    return DEFAULT_DB_ALIAS


def reporting_connection():
    return connections[reporting_alias()]


@contextmanager
def reporting_reads() -> Iterator[None]:
    """Route the block's reads to the replica, when there is one."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


class ReportingRouter:
    """Reads inside :func:`reporting_reads` go to the replica; nothing else is routed."""

    def db_for_read(self, model, **hints):
        if _reporting.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as default.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica is migrated by replication, never directly.
        return db != REPLICA
