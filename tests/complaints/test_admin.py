"""Complaints in the admin: opened from the worker page and the worker search, the queue
escalates what is overdue when it opens, the ticket page goes through the services, each
role gets what its README row says, and officials see the counts on the dashboard."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group

from accounts.roles import ADMINISTRATOR, KEPALA_BIDANG, OPERATOR, PIMPINAN, VERIFIKATOR
from complaints import services
from complaints.models import Escalation, Ticket, TicketStatus
from tests.factories import UserFactory, WorkerFactory

pytestmark = pytest.mark.django_db
MONDAY = datetime.datetime(2024, 3, 4, 9, 0, tzinfo=datetime.UTC)
TICKETS = "/admin/complaints/ticket/"


def user_in(role: str, username: str | None = None):
    user = UserFactory(username=username or f"u-{role.lower()}", is_staff=role != PIMPINAN)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def operator(client):
    user = user_in(OPERATOR)
    client.force_login(user)
    return user


def test_the_worker_page_and_the_search_link_to_a_new_complaint(client, operator):
    worker = WorkerFactory(full_name="Sri Rahayu")
    url = f"{TICKETS}add/?worker={worker.pk}"
    page = client.get(f"/admin/participants/worker/{worker.pk}/change/").content.decode()
    assert f'href="{url}"'.replace("&", "&amp;") in page or f'href="{url}"' in page
    found = client.get("/admin/participants/worker/?q=Sri+Rahayu").content.decode()
    assert "siaga-open-ticket" in found and f"?worker={worker.pk}" in found
    form = client.get(url).content.decode()
    assert f'<option value="{worker.pk}" selected>' in form


def test_a_complaint_opened_in_the_admin_gets_its_deadline(client, operator):
    worker = WorkerFactory()
    with time_machine.travel(MONDAY, tick=False):
        response = client.post(
            f"{TICKETS}add/",
            {
                "worker": worker.pk,
                "category": "klaim",
                "channel": "datang",
                "description": "Klaim JKK belum cair",
                "assignee": operator.pk,
            },
        )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.deadline == datetime.date(2024, 3, 11)  # klaim: 7 days
    assert ticket.opened_by == operator and ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.history.get().history_user == operator


def test_the_ticket_page_refuses_a_resolution_without_text(client, operator):
    ticket = services.ticket_open(
        worker=WorkerFactory(), category="lainnya", channel="email", description="x", user=operator
    )
    url = f"{TICKETS}{ticket.pk}/change/"
    response = client.post(url, {"status": "selesai", "assignee": "", "resolution": ""})
    assert response.status_code == 200
    assert "Tuliskan" in response.content.decode() or "resolution" in str(
        response.context["adminform"].form.errors
    )
    response = client.post(
        url, {"status": "selesai", "assignee": operator.pk, "resolution": "Dijawab lewat email"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (TicketStatus.RESOLVED, operator)
    assert [v.history_user for v in ticket.history.all()] == [operator, operator, operator]


def test_opening_the_queue_escalates_overdue_complaints_once(client, operator):
    head = user_in(KEPALA_BIDANG, "kabid")
    with time_machine.travel(MONDAY, tick=False):
        ticket = services.ticket_open(
            worker=WorkerFactory(), category="tidak_aktif", channel="telepon", description="x",
            user=operator,
        )  # fmt: skip
    with time_machine.travel(datetime.datetime(2024, 3, 15, 9, 0, tzinfo=datetime.UTC)):
        html = client.get(f"{TICKETS}?overdue=1").content.decode()
        client.get(TICKETS)
        assert Escalation.objects.filter(ticket=ticket, escalated_to=head).count() == 1
        assert str(ticket) in html
        # The head sees it on the admin home and in the queue.
        client.force_login(head)
        home = client.get("/admin/").content.decode()
        assert "Pengaduan yang dieskalasi kepada Anda" in home
        assert client.get(f"{TICKETS}?mine=escalated").status_code == 200


@pytest.mark.parametrize(
    ("role", "view", "add"),
    [
        (OPERATOR, 200, 200),
        (VERIFIKATOR, 200, 200),
        (KEPALA_BIDANG, 200, 403),
        (ADMINISTRATOR, 200, 200),
        (PIMPINAN, 302, 302),
    ],
)
def test_each_role_gets_the_queue_as_its_row_says(client, role, view, add):
    client.force_login(user_in(role))
    assert client.get(TICKETS).status_code == view
    assert client.get(f"{TICKETS}add/").status_code == add


def test_officials_see_complaint_counts_by_category_on_the_dashboard(client):
    clerk = UserFactory(username="loket")
    with time_machine.travel(MONDAY, tick=False):
        for _ in range(2):
            services.ticket_open(
                worker=WorkerFactory(), category="tidak_aktif", channel="telepon",
                description="x", user=clerk,
            )  # fmt: skip
    client.force_login(user_in(PIMPINAN))
    with time_machine.travel(datetime.datetime(2024, 3, 20, 9, 0, tzinfo=datetime.UTC)):
        html = client.get("/dashboard/?year=2024").content.decode()
    assert 'data-complaints="tidak_aktif.open">2<' in html
    assert 'data-complaints="tidak_aktif.overdue">2<' in html
    assert "/admin/complaints/" not in html  # no drill-down into personal data for officials
