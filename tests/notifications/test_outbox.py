"""The outbox: messages queued, in the transaction of the change, when BPJS activates cover,
the renewal proposes next year and a claim moves on; rendered in Indonesian from the editable
templates when sent; queued once per person, kind and object; delivered once, retried with
backoff on failure (a broken template too), failures visible in the admin."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from enrollment import claims, renewal, services
from enrollment.models import ClaimStatus, ClaimType, EnrollmentStatus
from notifications import services as outbox
from notifications.models import DeliveryStatus, MessageKind, MessageTemplate, OutboxMessage
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.enrollment.helpers import advance
from tests.factories import UserFactory, WorkerFactory

pytestmark = pytest.mark.django_db
D = DeliveryStatus
MARCH = datetime.datetime(2024, 3, 15, 9, 0, tzinfo=datetime.UTC)


class FakeSender:
    """Records what it sends; fails the first ``failures`` sends."""

    def __init__(self, failures: int = 0):
        self.sent: list[tuple[str, str, str]] = []
        self.failures = failures

    def send(self, *, recipient, body, key):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("gateway down")
        self.sent.append((recipient, body, key))
        return f"ref-{len(self.sent)}"


@pytest.fixture
def staff():
    return UserFactory(username="verifikator")


def activated(staff, django_capture_on_commit_callbacks, **worker_fields):
    year = ProgramYearFactory(year=2024)
    enrollment = EnrollmentFactory(program_year=year, worker=WorkerFactory(**worker_fields))
    advance(enrollment, EnrollmentStatus.SUBMITTED, user=staff)
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_activate(
            enrollment=enrollment,
            kpj_number="24012345678",
            coverage_start=datetime.date(2024, 3, 1),
            user=staff,
        )
    return enrollment


@time_machine.travel(MARCH, tick=False)
def test_activation_queues_the_kpj_number_in_indonesian(staff, django_capture_on_commit_callbacks):
    enrollment = activated(
        staff, django_capture_on_commit_callbacks, full_name="Siti Aminah", phone="+628123450001"
    )
    message = OutboxMessage.objects.get()
    assert message.kind == MessageKind.ACTIVATION and message.worker == enrollment.worker
    assert message.recipient == "+628123450001" and message.status == D.PENDING
    assert message.body == ""  # rendered when sent
    assert message.context["kpj"] == "24012345678" and message.context["mulai"] == "2024-03-01"
    message.body = outbox.message_text(message)
    assert message.body.startswith("Yth. Siti Aminah, Anda terdaftar sebagai peserta")
    assert "Nomor KPJ Anda: 24012345678" in message.body
    # Dates with Indonesian month names, whatever the language of the request.
    assert "berlaku 1 Maret 2024 s.d. 31 Desember 2024" in message.body
    assert message.key == f"aktivasi:{enrollment.worker_id}:enrollment:{enrollment.pk}"


@time_machine.travel(MARCH, tick=False)
def test_queueing_twice_queues_once(staff, django_capture_on_commit_callbacks):
    enrollment = activated(staff, django_capture_on_commit_callbacks)
    assert outbox.queue_activations(enrollment_ids=[enrollment.pk]) == 0
    assert OutboxMessage.objects.count() == 1


@time_machine.travel(MARCH, tick=False)
def test_the_message_is_queued_in_the_activations_transaction(staff):
    """Inserted before the commit, with the change: nothing is left to a later callback that
    a crash could lose, and a rolled-back activation leaves no message."""
    year = ProgramYearFactory(year=2024)
    enrollment = advance(EnrollmentFactory(program_year=year), EnrollmentStatus.SUBMITTED)

    class Crash(Exception):
        pass

    with pytest.raises(Crash), transaction.atomic():
        services.enrollment_activate(
            enrollment=enrollment,
            kpj_number="24012345678",
            coverage_start=datetime.date(2024, 3, 1),
            user=staff,
        )
        assert OutboxMessage.objects.count() == 1  # queued inside the transaction
        raise Crash
    assert not OutboxMessage.objects.exists()
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.SUBMITTED


@time_machine.travel(MARCH, tick=False)
def test_a_bulk_activation_queues_every_message_in_a_bounded_number_of_queries(
    staff, django_assert_max_num_queries
):
    year = ProgramYearFactory(year=2024)

    def submitted(n: int, first_kpj: int) -> list:
        enrollments = [
            advance(EnrollmentFactory(program_year=year), EnrollmentStatus.SUBMITTED)
            for _ in range(n)
        ]
        return [
            services.Activation(
                enrollment_id=e.pk,
                kpj_number=str(first_kpj + i),
                coverage_start=datetime.date(2024, 3, 1),
            )
            for i, e in enumerate(enrollments)
        ]

    few, many = submitted(3, 24000000001), submitted(40, 24000000101)
    with CaptureQueriesContext(connection) as queries:
        services.enrollments_activate(program_year=year, activations=few, user=staff)
    with django_assert_max_num_queries(len(queries.captured_queries)):
        services.enrollments_activate(program_year=year, activations=many, user=staff)
    assert OutboxMessage.objects.filter(kind=MessageKind.ACTIVATION).count() == 43


@time_machine.travel(MARCH, tick=False)
def test_a_worker_without_a_phone_is_recorded_as_not_sent(
    staff, django_capture_on_commit_callbacks
):
    activated(staff, django_capture_on_commit_callbacks, phone="")
    message = OutboxMessage.objects.get()
    assert message.status == D.SKIPPED and message.last_error
    assert outbox.messages_send_due(sender=FakeSender()).sent == []


@time_machine.travel(datetime.datetime(2024, 11, 1, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_the_renewal_queues_a_message_per_renewed_participant(
    staff, django_capture_on_commit_callbacks
):
    y2024 = ProgramYearFactory(year=2024)
    y2025 = ProgramYearFactory(year=2025, status="perencanaan")
    advance(EnrollmentFactory(program_year=y2024), EnrollmentStatus.ACTIVE)
    with django_capture_on_commit_callbacks(execute=True):
        report = renewal.enrollments_renew(from_year=y2024, to_year=y2025, user=staff)
    [worker_id] = report.created
    message = OutboxMessage.objects.get(kind=MessageKind.RENEWAL)
    assert message.worker_id == worker_id
    assert (
        "Siaga Kita tahun 2024 diusulkan untuk diperpanjang pada tahun 2025"
        in outbox.message_text(message)
    )


@time_machine.travel(MARCH, tick=False)
def test_each_claim_status_is_told_once(staff, django_capture_on_commit_callbacks):
    enrollment = advance(
        EnrollmentFactory(program_year=ProgramYearFactory(year=2024)), EnrollmentStatus.ACTIVE
    )
    with django_capture_on_commit_callbacks(execute=True):
        claim = claims.claim_record(
            enrollment=enrollment,
            claim_type=ClaimType.JKK,
            event_date=datetime.date(2024, 3, 10),
            user=staff,
        )
    with django_capture_on_commit_callbacks(execute=True):
        claim.status = ClaimStatus.PAID
        claim.benefit_amount = 2_500_000
        claims.claim_update(claim=claim)
    with django_capture_on_commit_callbacks(execute=True):
        claim.notes = "Bukti transfer diterima"
        claims.claim_update(claim=claim)  # no new status: no new message
    bodies = [
        outbox.message_text(m)
        for m in OutboxMessage.objects.filter(kind=MessageKind.CLAIM_STATUS).order_by("pk")
    ]
    assert len(bodies) == 2
    assert "klaim JKK atas kejadian tanggal 10 Maret 2024 kini berstatus: Dilaporkan" in bodies[0]
    assert "berstatus: Dibayar (manfaat Rp 2.500.000)" in bodies[1]


def test_a_template_that_cannot_be_rendered_is_refused():
    template = MessageTemplate.objects.get(kind=MessageKind.RENEWAL)
    template.body = "Yth. {{ nama }, {% if %}"
    with pytest.raises(ValidationError) as exc:
        template.full_clean()
    assert "body" in exc.value.message_dict


def test_the_template_is_used_as_it_is_when_sent(staff):
    enrollment = EnrollmentFactory(
        program_year=ProgramYearFactory(year=2024), worker=WorkerFactory(full_name="Budi")
    )
    outbox.queue_renewals(enrollment_ids=[enrollment.pk])
    MessageTemplate.objects.filter(kind=MessageKind.RENEWAL).update(
        body="Halo {{ nama }}, diperpanjang {{ tahun }}."
    )
    sender = FakeSender()
    outbox.messages_send_due(sender=sender)
    assert [body for _to, body, _key in sender.sent] == ["Halo Budi, diperpanjang 2024."]
    assert OutboxMessage.objects.get().body == "Halo Budi, diperpanjang 2024."  # as sent


@pytest.mark.parametrize("broken", ["missing", "syntax"])
def test_a_broken_template_fails_the_send_visibly_and_is_sent_once_fixed(settings, broken):
    """Neither the activation nor the queueing needs the template: a broken one is a send
    failure with its error on the message, retried once an Administrator fixes it."""
    settings.SIAGA_NOTIFICATIONS_MAX_ATTEMPTS = 1
    [message] = queued()
    good = MessageTemplate.objects.get(kind=MessageKind.RENEWAL).body
    if broken == "missing":
        MessageTemplate.objects.filter(kind=MessageKind.RENEWAL).delete()
    else:  # saved past the form's check (a data fix, an import)
        MessageTemplate.objects.filter(kind=MessageKind.RENEWAL).update(body="Yth. {% if %}")
    sender = FakeSender()
    with time_machine.travel(MARCH, tick=False):
        report = outbox.messages_send_due(sender=sender)
    assert report.failed == [message.pk] and sender.sent == []
    message.refresh_from_db()
    assert message.status == D.FAILED
    expected = "TemplateMissing" if broken == "missing" else "TemplateSyntaxError"
    assert message.last_error.startswith(expected)
    MessageTemplate.objects.update_or_create(kind=MessageKind.RENEWAL, defaults={"body": good})
    with time_machine.travel(MARCH, tick=False):
        assert outbox.messages_retry(ids=[message.pk]) == 1
        assert outbox.messages_send_due(sender=sender).sent == [message.pk]
        assert outbox.messages_send_due(sender=sender).sent == []
    assert len(sender.sent) == 1 and "diperpanjang" in sender.sent[0][1]


def test_queueing_can_be_suppressed_for_demo_data():
    enrollment = EnrollmentFactory(program_year=ProgramYearFactory(year=2024))
    with outbox.queueing_suppressed():
        assert outbox.queue_renewals(enrollment_ids=[enrollment.pk]) == 0
    assert not OutboxMessage.objects.exists()
    assert outbox.queue_renewals(enrollment_ids=[enrollment.pk]) == 1


def test_a_switched_off_template_queues_nothing():
    MessageTemplate.objects.filter(kind=MessageKind.RENEWAL).update(is_active=False)
    enrollment = EnrollmentFactory(program_year=ProgramYearFactory(year=2024))
    assert outbox.queue_renewals(enrollment_ids=[enrollment.pk]) == 0
    assert not OutboxMessage.objects.exists()


def queued(n: int = 1) -> list[OutboxMessage]:
    """``n`` messages queued on MARCH, due at once."""
    year = ProgramYearFactory(year=2024)
    enrollments = [EnrollmentFactory(program_year=year) for _ in range(n)]
    with time_machine.travel(MARCH, tick=False):
        outbox.queue_renewals(enrollment_ids=[e.pk for e in enrollments])
    return list(OutboxMessage.objects.order_by("pk"))


def test_it_sends_each_due_message_once():
    queued(3)
    sender = FakeSender()
    with time_machine.travel(MARCH, tick=False):
        report = outbox.messages_send_due(sender=sender, batch=2)
        again = outbox.messages_send_due(sender=sender)
    assert len(report.sent) == 3 and again.sent == []
    assert len(sender.sent) == 3 and len({key for _to, _body, key in sender.sent}) == 3
    for message in OutboxMessage.objects.all():
        assert message.status == D.SENT and message.attempts == 1
        assert message.sent_at == MARCH and message.provider_reference.startswith("ref-")


def test_a_failure_is_retried_with_backoff_and_shown(settings):
    settings.SIAGA_NOTIFICATIONS_RETRY_SECONDS = 60
    [message] = queued()
    sender = FakeSender(failures=2)
    with time_machine.travel(MARCH, tick=False):
        report = outbox.messages_send_due(sender=sender)
    assert report.retrying == [message.pk]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (D.PENDING, 1)
    assert message.last_error == "ConnectionError: gateway down"
    assert message.next_attempt_at == MARCH + datetime.timedelta(seconds=60)
    with time_machine.travel(MARCH + datetime.timedelta(seconds=30), tick=False):
        assert outbox.messages_send_due(sender=sender).retrying == []  # not due yet
    with time_machine.travel(MARCH + datetime.timedelta(seconds=61), tick=False):
        outbox.messages_send_due(sender=sender)
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.next_attempt_at == MARCH + datetime.timedelta(seconds=61 + 120)  # doubled
    with time_machine.travel(MARCH + datetime.timedelta(seconds=200), tick=False):
        outbox.messages_send_due(sender=sender)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (D.SENT, 3, "")
    assert len(sender.sent) == 1


def test_after_the_last_attempt_it_fails_until_staff_retry(settings):
    settings.SIAGA_NOTIFICATIONS_MAX_ATTEMPTS = 2
    [message] = queued()
    sender = FakeSender(failures=5)
    with time_machine.travel(MARCH, tick=False) as clock:
        outbox.messages_send_due(sender=sender)
        clock.shift(datetime.timedelta(days=1))
        report = outbox.messages_send_due(sender=sender)
    assert report.failed == [message.pk]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (D.FAILED, 2)
    assert outbox.messages_send_due(sender=sender).sent == []
    assert outbox.messages_retry(ids=[message.pk]) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (D.PENDING, 0)


def test_a_message_left_sending_by_a_dead_sender_is_failed_not_resent():
    [message] = queued()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=D.SENDING, claimed_at=MARCH, attempts=1
    )
    sender = FakeSender()
    with time_machine.travel(MARCH + datetime.timedelta(minutes=5), tick=False):
        assert outbox.messages_send_due(sender=sender).interrupted == 0  # still in its lease
    with time_machine.travel(MARCH + datetime.timedelta(minutes=11), tick=False):
        assert outbox.messages_send_due(sender=sender).interrupted == 1
    message.refresh_from_db()
    assert message.status == D.FAILED and "mungkin sudah terkirim" in message.last_error
    assert sender.sent == []


def test_the_command_uses_the_configured_sender(settings, tmp_path):
    settings.SIAGA_NOTIFICATIONS_SENDER = "notifications.senders.FileSender"
    settings.SIAGA_NOTIFICATIONS_DIR = str(tmp_path)
    [message] = queued()
    with time_machine.travel(MARCH, tick=False):
        call_command("send_notifications", stdout=StringIO())
    [log] = tmp_path.glob("outbox-2024-03-15.jsonl")
    assert message.key in log.read_text(encoding="utf-8")
    message.refresh_from_db()
    assert message.status == D.SENT


def test_the_admin_shows_failures_and_sends_them_again(admin_client):
    [message] = queued()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=D.FAILED, attempts=6, last_error="ConnectionError: gateway down"
    )
    html = admin_client.get("/admin/notifications/outboxmessage/?status__exact=gagal").content
    assert b"ConnectionError: gateway down" in html
    response = admin_client.post(
        "/admin/notifications/outboxmessage/",
        {"action": "retry_selected", "_selected_action": [message.pk]},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == D.PENDING
