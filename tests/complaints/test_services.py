"""Complaints: deadlines from the service level, status moves, escalation of overdue tickets
to the head of office (once per deadline), and the audit trail of every change."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.roles import KEPALA_BIDANG
from complaints import services
from complaints.models import Escalation, ServiceLevel, Ticket, TicketStatus
from complaints.selectors import complaint_counts
from tests.enrollment.factories import EnrollmentFactory
from tests.factories import UserFactory, WorkerFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2024, 3, 4, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clerk():
    return UserFactory(username="loket")


@pytest.fixture
def head():
    user = UserFactory(username="kabid")
    user.groups.add(Group.objects.get(name=KEPALA_BIDANG))
    return user


def open_ticket(clerk, category="tidak_aktif", **kwargs):
    return services.ticket_open(
        worker=kwargs.pop("worker", None) or WorkerFactory(),
        category=category,
        channel="whatsapp",
        description="Kartu BPJS belum aktif",
        user=clerk,
        **kwargs,
    )


def test_it_sets_the_deadline_from_the_categorys_service_level(clerk):
    assert ServiceLevel.objects.get(category="tidak_aktif").days == 7  # seeded by migration
    with time_machine.travel(MONDAY, tick=False):
        ticket = open_ticket(clerk)
        ServiceLevel.objects.filter(category="data_salah").update(days=3)
        other = open_ticket(clerk, category="data_salah")
    assert ticket.deadline == datetime.date(2024, 3, 11)
    assert other.deadline == datetime.date(2024, 3, 7)
    assert ticket.status == TicketStatus.NEW and ticket.opened_by == clerk


def test_it_is_overdue_only_after_the_deadline_day_and_while_open(clerk):
    with time_machine.travel(MONDAY, tick=False):
        ticket = open_ticket(clerk)
    assert not ticket.is_overdue(datetime.date(2024, 3, 11))
    assert ticket.is_overdue(datetime.date(2024, 3, 12))
    assert list(Ticket.objects.overdue(datetime.date(2024, 3, 12))) == [ticket]
    services.ticket_resolve(ticket=ticket, resolution="Sudah diaktifkan BPJS", user=clerk)
    assert not Ticket.objects.overdue(datetime.date(2024, 3, 12)).exists()


def test_an_enrollment_or_claim_of_another_worker_is_refused(clerk):
    enrollment = EnrollmentFactory()
    with pytest.raises(ValidationError) as exc:
        open_ticket(clerk, worker=WorkerFactory(), enrollment=enrollment)
    assert "enrollment" in exc.value.message_dict
    assert not Ticket.objects.exists()


def test_assigning_moves_a_new_ticket_into_progress(clerk):
    officer = UserFactory(username="petugas")
    ticket = open_ticket(clerk)
    ticket = services.ticket_assign(ticket=ticket, assignee=officer, user=clerk)
    assert ticket.assignee == officer and ticket.status == TicketStatus.IN_PROGRESS
    outsider = UserFactory(username="warga", is_staff=False)
    with pytest.raises(ValidationError):
        services.ticket_assign(ticket=ticket, assignee=outsider, user=clerk)


def test_resolving_needs_a_resolution_and_a_closed_ticket_stays_closed(clerk):
    ticket = open_ticket(clerk)
    with pytest.raises(ValidationError) as exc:
        services.ticket_set_status(ticket=ticket, status=TicketStatus.RESOLVED, user=clerk)
    assert exc.value.error_dict["resolution"][0].code == "resolution_missing"
    ticket = services.ticket_resolve(ticket=ticket, resolution="Data diperbaiki", user=clerk)
    assert ticket.resolved_at is not None
    # Reopened when the answer did not help, then closed for good.
    ticket = services.ticket_set_status(ticket=ticket, status=TicketStatus.IN_PROGRESS, user=clerk)
    assert ticket.resolved_at is None
    ticket = services.ticket_resolve(ticket=ticket, resolution="Selesai", user=clerk, close=True)
    with pytest.raises(ValidationError) as exc:
        services.ticket_set_status(ticket=ticket, status=TicketStatus.IN_PROGRESS, user=clerk)
    assert exc.value.error_dict["status"][0].code == "ticket_transition"


def test_every_change_is_in_the_audit_trail_with_who_made_it(clerk):
    officer = UserFactory(username="petugas")
    ticket = open_ticket(clerk)
    services.ticket_assign(ticket=ticket, assignee=officer, user=clerk)
    services.ticket_resolve(ticket=ticket, resolution="Kartu dikirim", user=officer)
    versions = list(ticket.history.order_by("history_id"))
    assert [(v.history_type, v.status, v.history_user) for v in versions] == [
        ("+", "baru", clerk),
        ("~", "diproses", clerk),
        ("~", "selesai", officer),
    ]
    assert versions[-1].resolution == "Kartu dikirim"


def test_overdue_tickets_are_escalated_to_the_head_of_office_once(clerk, head):
    with time_machine.travel(MONDAY, tick=False):
        late = open_ticket(clerk)  # due 11 March
        open_ticket(clerk, category="lainnya")  # due 18 March
    with time_machine.travel(datetime.datetime(2024, 3, 11, 23, 0, tzinfo=datetime.UTC)):
        # 12 March in Madiun (UTC+7): the deadline has passed.
        report = services.tickets_escalate_overdue()
    assert [e.ticket for e in report.escalated] == [late]
    late.refresh_from_db()
    assert late.escalated_to == head and late.assignee == head  # nobody had it: the head does
    assert late.escalated_at is not None
    with time_machine.travel(datetime.datetime(2024, 3, 13, 9, 0, tzinfo=datetime.UTC)):
        again = services.tickets_escalate_overdue()
        call_command("escalate_complaints", stdout=StringIO())
    assert again.escalated == [] and again.already == 1
    assert Escalation.objects.get().deadline == datetime.date(2024, 3, 11)
    # The escalation is in the audit trail, by nobody (the system).
    last = late.history.latest()
    assert last.history_change_reason and last.history_user is None


def test_an_assigned_ticket_keeps_its_officer_when_escalated(clerk, head):
    officer = UserFactory(username="petugas")
    with time_machine.travel(MONDAY, tick=False):
        ticket = open_ticket(clerk, assignee=officer)
    with time_machine.travel(datetime.datetime(2024, 3, 20, 9, 0, tzinfo=datetime.UTC)):
        services.tickets_escalate_overdue()
    ticket.refresh_from_db()
    assert ticket.assignee == officer and ticket.escalated_to == head
    assert Escalation.objects.get().assignee_then == officer


def test_the_escalation_setting_names_the_head(clerk, head, settings):
    other = UserFactory(username="kadis")
    settings.SIAGA_COMPLAINTS_ESCALATE_TO = "kadis"
    with time_machine.travel(MONDAY, tick=False):
        ticket = open_ticket(clerk)
    with time_machine.travel(datetime.datetime(2024, 4, 1, tzinfo=datetime.UTC)):
        services.tickets_escalate_overdue()
    ticket.refresh_from_db()
    assert ticket.escalated_to == other


def test_counts_per_category_for_officials(clerk):
    with time_machine.travel(MONDAY, tick=False):
        open_ticket(clerk)
        open_ticket(clerk)
        done = open_ticket(clerk, category="klaim")
        services.ticket_resolve(ticket=done, resolution="Dibayar", user=clerk)
    with time_machine.travel(datetime.datetime(2024, 3, 12, 9, 0, tzinfo=datetime.UTC)):
        rows = {r.category: r for r in complaint_counts()}
    assert (rows["tidak_aktif"].open, rows["tidak_aktif"].overdue) == (2, 2)
    assert (rows["klaim"].open, rows["klaim"].answered_recently) == (0, 1)
    assert rows["lainnya"].open == 0
