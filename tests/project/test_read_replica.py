"""The officials' dashboard reads from a PostgreSQL read replica when one is configured
(siaga/db_routing.py), while logins, sessions and writes stay on the primary.

The "replica" here is a real second database: a copy of the test database taken at one
moment. Rows added to the primary afterwards are missing from it, so the figures prove
where the dashboard read, and a login made after the copy proves the session was read from
the primary.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import DEFAULT_DB_ALIAS, connection, connections

from enrollment.models import EnrollmentStatus
from siaga.db_routing import REPLICA, ReportingRouter, reporting_alias, reporting_reads
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.enrollment.helpers import advance
from tests.factories import UserFactory

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="read replicas are a PostgreSQL deployment"
)


def _copy_database(source: str, copy: str) -> None:
    """``CREATE DATABASE copy TEMPLATE source``: PostgreSQL refuses while anyone else is
    connected to the source, and earlier tests in this process (a live server's threads, the
    task worker's) may have left connections open there; end them first."""
    _admin_sql(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
    _admin_sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{source}' AND pid <> pg_backend_pid()"
    )
    _admin_sql(f'CREATE DATABASE "{copy}" TEMPLATE "{source}"')


def _admin_sql(sql: str) -> None:
    import psycopg2

    params = connections[DEFAULT_DB_ALIAS].settings_dict
    conn = psycopg2.connect(
        dbname="postgres",
        user=params["USER"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        password=params["PASSWORD"] or None,
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def _verified(program_year, n: int) -> None:
    for _ in range(n):
        advance(EnrollmentFactory(program_year=program_year), EnrollmentStatus.VERIFIED)


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_the_dashboard_reads_its_figures_from_the_replica(client, settings, django_db_blocker):
    settings.LANGUAGE_CODE = "id"
    year = ProgramYearFactory(year=2025)
    _verified(year, 4)
    official = UserFactory(username="pejabat")
    official.user_permissions.add(
        Permission.objects.get(codename="view_dashboard"),
        Permission.objects.get(codename="view_full_nik"),
    )
    # The copy: the primary and the replica agree on four participants.
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    name = f"{primary['NAME']}_replica"
    connections.close_all()
    _copy_database(primary["NAME"], name)
    connections.settings[REPLICA] = {**primary, "NAME": name, "TEST": {"MIRROR": None}}
    # Django's test case lets a test use only the aliases it declared when it started, and
    # this one adds "replica" itself: give its connection the unpatched method.
    replica = connections[REPLICA]
    replica.ensure_connection = types.MethodType(django_db_blocker._real_ensure_connection, replica)
    try:
        # Written after the copy: only the primary has these.
        _verified(year, 3)
        client.force_login(official)  # the session exists on the primary only

        response = client.get("/dashboard/2025.json")
        assert response.status_code == 200, "login and permissions were read from the primary"
        assert response.json()["participants"] == 4, "the figures came from the replica"

        # Without the replica the same page reads the primary.
        connections[REPLICA].close()
        del connections.settings[REPLICA]
        del connections[REPLICA]
        assert client.get("/dashboard/2025.json").json()["participants"] == 7
    finally:
        if REPLICA in connections.settings:
            connections[REPLICA].close()
            del connections.settings[REPLICA]
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_only_reads_inside_reporting_blocks_are_routed():
    router = ReportingRouter()
    connections.settings[REPLICA] = {**connections[DEFAULT_DB_ALIAS].settings_dict}
    try:
        assert router.db_for_read(None) is None
        assert reporting_alias() == DEFAULT_DB_ALIAS
        with reporting_reads():
            assert router.db_for_read(None) == REPLICA
            assert reporting_alias() == REPLICA
            assert router.db_for_write(None) == DEFAULT_DB_ALIAS
        assert router.db_for_read(None) is None
        assert router.allow_migrate(REPLICA, "participants") is False
        assert router.allow_migrate(DEFAULT_DB_ALIAS, "participants") is True
    finally:
        del connections.settings[REPLICA]
    with reporting_reads():
        assert router.db_for_read(None) is None, "no replica configured: no routing"


def test_a_replica_without_postgresql_is_refused_at_start_up():
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["DATABASE_REPLICA_URL"] = "postgres://siaga_ro@db-replica.internal:5432/siaga"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL needs DATABASE_URL to point at PostgreSQL" in result.stderr
