"""PostgreSQL and SQLite: the trigger-maintained summary tables stay equal to a fresh
computation after every kind of write (enrollment lifecycle, worker edits, heirs
added/changed/removed). On SQLite the triggers list stale workers and the read refreshes
them (``summary_differences`` refreshes first, as the dashboard does)."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection

from dashboard.selectors import dashboard_figures
from dashboard.summary import (
    VENDORS,
    refresh_stale,
    summary_deferred,
    summary_differences,
    summary_rebuild,
)
from enrollment import services
from participants.models import DtksStatus, Kelurahan, Relationship, Segment
from participants.services import worker_update
from tests.dashboard.conftest import at
from tests.factories import HeirFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor not in VENDORS,
        reason="summary tables and their triggers exist on PostgreSQL and SQLite only",
    ),
]


def fact_sum(column: str, worker) -> int:
    """``column`` of the worker's 2025 fact row, as the triggers stored it."""
    refresh_stale()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT SUM({column}) FROM dashboard_enrollmentfact WHERE worker_id = %s"
            " AND year = 2025",
            [worker.pk],
        )
        return cursor.fetchone()[0] or 0


def test_summary_is_correct_after_every_write(program):
    assert summary_differences() == []
    workers = program["workers"]
    staff = program["staff"]
    before = dashboard_figures(program["y2025"]).participants

    worker = workers[10]
    worker_update(
        worker=worker,
        user=staff,
        data={
            "kelurahan": Kelurahan.objects.exclude(pk=worker.kelurahan_id).first(),
            "segment": Segment.objects.exclude(pk=worker.segment_id).first(),
            "dtks_status": DtksStatus.REGISTERED,
            "dtks_desil": 2,
            "dtks_checked_on": datetime.date(2024, 1, 2),
        },
    )
    assert summary_differences() == []

    heir = HeirFactory(worker=worker, relationship=Relationship.CHILD, birth_date=None)
    assert summary_differences() == []
    kindergarten = fact_sum("heirs_tk", worker)
    heir.school_level = "tk"  # no birth date: school-age by its level
    heir.save()
    assert summary_differences() == []
    assert fact_sum("heirs_tk", worker) == kindergarten + 1
    heir.birth_date = datetime.date(2015, 1, 1)
    heir.school_level = "sd"
    heir.save()
    assert summary_differences() == []
    assert fact_sum("heirs_tk", worker) == kindergarten
    heir.delete()
    assert summary_differences() == []

    proposed = program["y2025"].enrollments.filter(status="diusulkan").first()
    with at(datetime.date(2025, 6, 3)):
        services.enrollment_reject(enrollment=proposed, user=staff, reason="tidak memenuhi")
    assert summary_differences() == []

    # A bulk write (one statement, many rows) is summarised once and correctly.
    Segment.objects.all()  # noqa: B018 - keep segment cache cold
    # (the exact amount in millionths of a rupiah moves with it: a CHECK keeps them in step)
    program["y2024"].enrollments.update(committed_amount=1, committed_micro=1_000_000)
    assert summary_differences() == []
    assert dashboard_figures(program["y2025"]).participants == before


def test_rebuild_and_check_commands(program, capsys):
    assert summary_differences() == []
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM dashboard_cubecell WHERE dim = 'sex'")
    assert summary_differences() != []
    with pytest.raises(Exception, match="differs"):
        call_command("dashboard_rebuild", "--check")
    summary_rebuild()
    assert summary_differences() == []
    call_command("dashboard_rebuild", "--check")
    assert "matches" in capsys.readouterr().out


def test_a_deferred_bulk_load_is_summarised_once_at_the_end(program):
    worker = program["workers"][2]
    with summary_deferred():
        HeirFactory(
            worker=worker, relationship=Relationship.CHILD, birth_date=None, school_level="smp"
        )
        if connection.vendor == "postgresql":
            assert summary_differences() != []  # not refreshed statement by statement
    assert summary_differences() == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM dashboard_staleworker")
            assert cursor.fetchone()[0] == 0  # the rebuild at the end emptied the list


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's stale-worker list")
def test_sqlite_writes_only_list_the_worker_and_the_read_refreshes_it(program):
    summary_differences()  # refreshes everything the fixture wrote
    worker = program["workers"][4]
    before = dashboard_figures(program["y2025"]).participants
    HeirFactory(worker=worker, relationship=Relationship.CHILD, birth_date=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT worker_id FROM dashboard_staleworker")
        assert cursor.fetchall() == [(worker.pk,)]
    proposed = program["y2025"].enrollments.filter(status="diusulkan").first()
    with at(datetime.date(2025, 6, 3)):
        services.enrollment_verify(
            enrollment=proposed, user=program["supervisor"], override_quota_reason="uji"
        )
    assert dashboard_figures(program["y2025"]).participants == before + 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM dashboard_staleworker")
        assert cursor.fetchone()[0] == 0
    assert summary_differences() == []


def test_a_large_renewal_is_summarised_once_and_correctly(program, monkeypatch):
    """From ``BULK_WRITES_FROM`` renewals on the dashboard defers its refresh to the end."""
    from enrollment import renewal
    from enrollment.models import PremiumRate, ProgramYear
    from tests.enrollment.factories import ProgramYearFactory

    deferred = []

    def spy():
        deferred.append(True)
        return summary_deferred()

    monkeypatch.setattr(renewal, "BULK_WRITES_FROM", 1)
    monkeypatch.setattr(services, "BULK_WRITE_WRAPPERS", [spy])
    y2025 = ProgramYear.objects.get(year=2025)
    y2026 = ProgramYearFactory(
        year=2026, budget=10_000_000_000, pu_wage_base=y2025.pu_wage_base, umk=y2025.umk
    )
    for rate in PremiumRate.objects.filter(program_year=y2025):
        rate.pk, rate.program_year = None, y2026
        rate.save()
    with at(datetime.date(2025, 12, 1)):
        report = renewal.enrollments_renew(from_year=y2025, to_year=y2026, user=None)
    assert report.created and deferred == [True]
    assert summary_differences() == []
