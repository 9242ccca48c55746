"""Two senders at once never send a message twice (PostgreSQL row locks, two connections).

SQLite has no row locks; there a sender's claim takes the database's write lock (IMMEDIATE
transactions), so senders are serialised and the conditional claim does the rest.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from notifications import services as outbox
from notifications.models import DeliveryStatus, OutboxMessage
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and two real connections (DATABASE_URL=postgres://…)",
    ),
]


class SlowSender:
    def __init__(self):
        self.sent: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def send(self, *, recipient, body, key):
        time.sleep(0.01)  # a gateway round trip: the other sender claims meanwhile
        with self.lock:
            self.sent.append((threading.current_thread().name, key))
        return key


def queue(n: int) -> None:
    year = ProgramYearFactory(year=2024)
    enrollments = [EnrollmentFactory(program_year=year) for _ in range(n)]
    outbox.queue_renewals(enrollment_ids=[e.pk for e in enrollments])


def test_two_senders_at_once_send_every_message_exactly_once():
    queue(40)
    sender = SlowSender()
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            outbox.messages_send_due(sender=sender, batch=5)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, name=f"sender-{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    keys = [key for _name, key in sender.sent]
    assert len(keys) == 40 and len(set(keys)) == 40
    assert {name for name, _key in sender.sent} == {"sender-0", "sender-1"}  # both worked
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {
        (DeliveryStatus.SENT, 1)
    }


def test_a_sender_skips_the_messages_another_is_claiming():
    queue(4)
    first_two = list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True)[:2])
    locked = threading.Event()
    release = threading.Event()

    def claiming_elsewhere():
        with transaction.atomic():
            list(OutboxMessage.objects.select_for_update().filter(pk__in=first_two))
            locked.set()
            release.wait(timeout=10)
        connections.close_all()

    other = threading.Thread(target=claiming_elsewhere)
    other.start()
    assert locked.wait(timeout=10)
    sender = SlowSender()
    try:
        report = outbox.messages_send_due(sender=sender)  # does not wait for the lock
    finally:
        release.set()
        other.join(timeout=10)
    assert sorted(report.sent) == sorted(
        OutboxMessage.objects.exclude(pk__in=first_two).values_list("pk", flat=True)
    )
    assert set(OutboxMessage.objects.filter(pk__in=first_two).values_list("status", flat=True)) == {
        DeliveryStatus.PENDING
    }
