"""Two staff verifying the last free quota place at the same moment: exactly one succeeds.
Two staff saving the same unique thing at once: the loser gets the rule's message, not a 500.

Runs on PostgreSQL with two real connections (one per thread); SQLite has no row locks and
serialises whole-database writes, so the race cannot happen there.
"""

import datetime
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from enrollment import limits, services
from enrollment.models import Enrollment, EnrollmentStatus
from participants.models import Kelurahan, Segment, Worker
from participants.services import worker_create
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory, QuotaTargetFactory
from tests.factories import UserFactory, WorkerFactory, worker_admin_form

pytestmark = [
    # Transactional tests flush the database: reference_data reloads kelurahan, rates and roles.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and two real connections (DATABASE_URL=postgres://…)",
    ),
]


def race(enrollments, user, **kwargs):
    """Verify each enrollment in its own thread (own connection), released together."""
    barrier = threading.Barrier(len(enrollments))
    outcomes: dict[int, str] = {}

    def verify(enrollment):
        try:
            barrier.wait(timeout=10)
            services.enrollment_verify(enrollment=enrollment, user=user, **kwargs)
            outcomes[enrollment.pk] = "ok"
        except ValidationError as exc:
            outcomes[enrollment.pk] = exc.error_list[0].code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=verify, args=(e,)) for e in enrollments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_only_one_of_two_verifications_takes_the_last_quota_place():
    year = ProgramYearFactory(year=2024, budget=10_000_000)
    QuotaTargetFactory(program_year=year, target=1)
    user = UserFactory()
    enrollments = [EnrollmentFactory(program_year=year) for _ in range(2)]

    outcomes = race(enrollments, user)

    assert sorted(outcomes.values()) == ["ok", "quota_full"]
    assert Enrollment.objects.filter(status=EnrollmentStatus.VERIFIED).count() == 1


def test_only_one_of_two_verifications_takes_the_last_of_the_budget():
    year = ProgramYearFactory(year=2024, budget=16_800 * 12)
    user = UserFactory()
    enrollments = [EnrollmentFactory(program_year=year) for _ in range(2)]

    outcomes = race(enrollments, user)

    assert sorted(outcomes.values()) == ["budget_exceeded", "ok"]
    assert limits.year_committed(year) == year.budget


# --- lost races on unique constraints answer with the rule's message (issue 13.4) -------------


def _wait_for_a_lock_waiter(timeout: float = 10.0) -> None:
    """Block until another connection of this database waits on a row/index lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second request never waited on the first one's row")


def while_held(first, second):
    """``first()`` writes in an open transaction; ``second()`` then runs on another connection
    and queues behind that uncommitted row (it passed every check, it cannot see the row);
    ``first`` commits, and ``second`` hits the unique constraint. Returns ``second``'s
    result or exception: the exact interleaving of a lost race, every time."""
    written, release = threading.Event(), threading.Event()
    outcome: dict = {}

    def hold():
        try:
            with transaction.atomic():
                first()
                written.set()
                release.wait(timeout=15)
        finally:
            connections.close_all()

    def race_it():
        try:
            outcome["value"] = second()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever was raised
            outcome["error"] = exc
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert written.wait(timeout=10)
    racer = threading.Thread(target=race_it)
    racer.start()
    try:
        _wait_for_a_lock_waiter()
    finally:
        release.set()
        holder.join(timeout=30)
        racer.join(timeout=30)
    return outcome


def test_the_same_worker_proposed_twice_at_once_gets_already_enrolled():
    year = ProgramYearFactory(year=2024)
    worker = WorkerFactory()
    user = UserFactory()

    def propose():
        return services.enrollment_propose(worker=worker, program_year=year, user=user)

    outcome = while_held(propose, propose)

    assert isinstance(outcome.get("error"), ValidationError), outcome
    assert {e.code for e in outcome["error"].error_list} == {"already_enrolled"}
    assert Enrollment.objects.filter(worker=worker).count() == 1


def test_a_lost_proposal_race_over_http_shows_the_message_on_the_form():
    year = ProgramYearFactory(year=2024)
    worker = WorkerFactory()
    user = UserFactory(is_superuser=True)
    client = Client()
    client.force_login(user)
    add = reverse("admin:enrollment_enrollment_add")

    def propose():
        return services.enrollment_propose(worker=worker, program_year=year, user=user)

    def post():
        return client.post(add, {"worker": worker.pk, "program_year": year.pk}, follow=True)

    outcome = while_held(propose, post)

    response = outcome["value"]
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(add)
    shown = [str(m) for m in response.context["messages"]]
    assert any("2024" in m and "sudah" in m for m in shown), shown
    assert Enrollment.objects.filter(worker=worker).count() == 1


def test_eight_staff_proposing_one_worker_at_once_get_no_server_error():
    year = ProgramYearFactory(year=2024)
    worker = WorkerFactory()
    user = UserFactory(is_superuser=True)
    clients = []
    for _ in range(8):
        client = Client()
        client.force_login(user)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def post(client):
        try:
            barrier.wait(timeout=10)
            response = client.post(
                reverse("admin:enrollment_enrollment_add"),
                {"worker": worker.pk, "program_year": year.pk},
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(statuses) == 8
    assert set(statuses) <= {200, 302}  # the form again, or a redirect: never 500
    assert Enrollment.objects.filter(worker=worker).count() == 1


def test_the_same_nik_added_twice_at_once_gets_the_unique_message():
    user = UserFactory()
    template = WorkerFactory.build()
    fields = {
        f.name: getattr(template, f.name)
        for f in Worker._meta.concrete_fields
        if not f.primary_key and f.name not in ("created_at", "updated_at")
    }

    def create():
        return worker_create(user=user, **fields)

    outcome = while_held(create, create)

    assert isinstance(outcome.get("error"), ValidationError), outcome
    assert "nik" in outcome["error"].message_dict
    assert Worker.objects.filter(nik=template.nik).count() == 1


def test_a_constraint_hit_outside_the_services_answers_409_not_500():
    """The admin's worker add form saves through ModelAdmin: the middleware is the net."""
    user = UserFactory(is_superuser=True)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    data = worker_admin_form()

    def create():
        return worker_create(
            user=user,
            nik=data["nik"],
            full_name="Orang Lain",
            birth_date=datetime.date(1985, 3, 12),
            sex="P",
            kelurahan=Kelurahan.objects.get(name="Kelun"),
            worker_type="BPU",
            segment=Segment.objects.get(code="pkl"),
        )

    outcome = while_held(
        create, lambda: client.post(reverse("admin:participants_worker_add"), data)
    )

    response = outcome["value"]
    assert response.status_code == 409
    assert "bersamaan" in response.content.decode() or "sama" in response.content.decode()
    assert Worker.objects.filter(nik=data["nik"]).count() == 1
