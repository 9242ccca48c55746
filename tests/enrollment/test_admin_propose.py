"""Proposing from the registry: the worker page's button, the worker list's action, and the
proposal form that finds workers by NIK or name (autocomplete), never by internal id."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import OPERATOR, VERIFIKATOR
from enrollment.admin.workers import MAX_PROPOSE_SELECTION
from enrollment.models import Enrollment, EnrollmentStatus, ProgramYearStatus
from participants.models import WorkerType
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.factories import UserFactory, WorkerFactory

pytestmark = pytest.mark.django_db
WORKERS = reverse("admin:participants_worker_changelist")
ACTION = "propose_for_program_year"


def user_in(role):
    user = UserFactory(username=role.lower())
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def operator(client):
    user = user_in(OPERATOR)
    client.force_login(user)
    return user


def run_action(client, workers, **extra):
    data = {"action": ACTION, "_selected_action": [w.pk for w in workers], **extra}
    return client.post(WORKERS, data, follow=True)


def messages_of(response) -> list[str]:
    return [re.sub(r"<[^>]+>", " ", str(m)) for m in response.context["messages"]]


# --- the worker page's button --------------------------------------------------------------


def test_the_worker_page_offers_proposing_with_the_worker_and_year_filled_in(
    client, operator, year
):
    worker = WorkerFactory()
    response = client.get(reverse("admin:participants_worker_change", args=[worker.pk]))
    html = response.content.decode()
    link = re.search(r'<a href="([^"]+)" class="siaga-propose">Usulkan ke tahun program</a>', html)
    assert link, "no propose button"
    url = link.group(1).replace("&amp;", "&")
    assert url == f"/admin/enrollment/enrollment/add/?worker={worker.pk}&program_year={year.pk}"
    form = client.get(url)
    assert form.status_code == 200
    assert form.context["adminform"].form.initial["worker"] == str(worker.pk)
    # The worker is shown by name and masked NIK in the search widget, not as a bare id.
    page = form.content.decode()
    assert re.search(rf'<option value="{worker.pk}" selected>{worker.full_name} \(', page)
    assert 'name="worker"' in page and "admin-autocomplete" in page


def test_the_button_is_not_shown_to_staff_who_cannot_propose(client, year):
    client.force_login(user_in(VERIFIKATOR))
    worker = WorkerFactory()
    html = client.get(reverse("admin:participants_worker_change", args=[worker.pk])).content
    assert b"siaga-propose" not in html


def test_the_proposal_forms_worker_search_finds_by_nik_with_dashes_and_by_name(client, operator):
    wanted = WorkerFactory(full_name="Rina Kartika")
    WorkerFactory(full_name="Joko Susilo")
    params = {
        "app_label": "enrollment",
        "model_name": "enrollment",
        "field_name": "worker",
    }
    nik = wanted.nik
    for term in (nik, f"{nik[:4]}-{nik[4:8]}-{nik[8:12]}-{nik[12:]}", "kartika"):
        response = client.get(reverse("admin:autocomplete"), {**params, "term": term})
        assert response.status_code == 200
        results = response.json()["results"]
        assert [r["id"] for r in results] == [str(wanted.pk)], term
        # Operators see the masked NIK in the choice text like everywhere in __str__.
        assert nik not in results[0]["text"]


def test_the_enrollment_add_form_no_longer_asks_for_a_raw_id(admin_client, year):
    html = admin_client.get(reverse("admin:enrollment_enrollment_add")).content.decode()
    assert "vForeignKeyRawIdAdminField" not in html
    assert 'data-model-name="worker"' in html or "admin-autocomplete" in html


# --- the worker list's action ----------------------------------------------------------------


def test_the_action_asks_for_the_year_first_then_proposes_through_the_service(
    client, operator, year
):
    ProgramYearFactory(year=2025, status=ProgramYearStatus.PLANNING)
    workers = WorkerFactory.create_batch(3, birth_date=datetime.date(1985, 1, 1))
    response = run_action(client, workers)
    assert response.status_code == 200
    assert not Enrollment.objects.exists()  # nothing before the year is chosen
    form = response.context["form"]
    assert form["program_year"].value() == year.pk  # the running year preselected
    assert [y.year for y in form.fields["program_year"].queryset] == [2025, 2024]
    response = run_action(client, workers, apply="1", program_year=year.pk, reason="musyawarah")
    assert sorted(Enrollment.objects.values_list("worker_id", flat=True)) == sorted(
        w.pk for w in workers
    )
    for enrollment in Enrollment.objects.all():
        assert enrollment.status == EnrollmentStatus.PROPOSED
        assert enrollment.created_by == operator
        event = enrollment.events.get()
        assert (event.by, event.reason, event.to_status) == (operator, "musyawarah", "diusulkan")
    assert messages_of(response) == ["3 pekerja diusulkan untuk 2024."]


def test_the_action_proposes_the_eligible_and_lists_each_refusal(client, operator, year):
    fine = WorkerFactory(birth_date=datetime.date(1985, 1, 1))
    already = EnrollmentFactory(program_year=year).worker
    covered = WorkerFactory(employer_covered=True)
    response = run_action(
        client, [fine, already, covered], apply="1", program_year=year.pk, reason=""
    )
    assert set(Enrollment.objects.values_list("worker_id", flat=True)) == {fine.pk, already.pk}
    success, failure = messages_of(response)
    assert success == "1 pekerja diusulkan untuk 2024."
    assert failure.startswith("2 pekerja tidak diusulkan:")
    assert already.full_name in failure and covered.full_name in failure


def test_the_action_needs_a_risk_class_for_wage_earners(client, operator, year):
    pu = WorkerFactory(worker_type=WorkerType.PU, monthly_income=3_000_000)
    response = run_action(client, [pu], apply="1", program_year=year.pk)
    assert "risk_class" in response.context["form"].errors
    assert not Enrollment.objects.exists()
    run_action(client, [pu], apply="1", program_year=year.pk, risk_class="rendah")
    assert Enrollment.objects.get().risk_class == "rendah"


def test_the_action_refuses_a_selection_too_large_for_one_by_one_proposals(
    client, operator, year, monkeypatch
):
    monkeypatch.setattr("enrollment.admin.workers.MAX_PROPOSE_SELECTION", 2)
    workers = WorkerFactory.create_batch(3)
    response = run_action(client, workers)
    assert not Enrollment.objects.exists()
    [message] = messages_of(response)
    assert "paling banyak 2 pekerja" in message and "3 dipilih" in message
    assert MAX_PROPOSE_SELECTION == 500


def test_the_action_is_offered_only_to_staff_who_may_propose(client, year):
    client.force_login(user_in(VERIFIKATOR))
    response = client.get(WORKERS)
    assert ACTION not in response.content.decode()
    worker = WorkerFactory()
    response = run_action(client, [worker], apply="1", program_year=year.pk)
    assert not Enrollment.objects.exists()


def test_the_action_declares_its_permission():
    from django.contrib import admin

    from participants.models import Worker

    action = admin.site._registry[Worker].get_action(ACTION)[0]
    assert list(action.allowed_permissions) == ["propose"]


def test_the_worker_page_lists_the_workers_enrollments_read_only(client, operator, year):
    enrollment = EnrollmentFactory(program_year=year)
    page = client.get(
        reverse("admin:participants_worker_change", args=[enrollment.worker.pk])
    ).content.decode()
    assert "Kepesertaan per tahun program" in page
    link = reverse("admin:enrollment_enrollment_change", args=[enrollment.pk])
    assert f'<li><a href="{link}">2024</a>: Diusulkan</li>' in page
    never = WorkerFactory()
    page = client.get(reverse("admin:participants_worker_change", args=[never.pk])).content
    assert b"Belum terdaftar di tahun program mana pun." in page


def test_the_claim_form_finds_the_enrollment_by_nik_too(admin_client, year):
    wanted = EnrollmentFactory(program_year=year)
    EnrollmentFactory(program_year=year)
    html = admin_client.get(reverse("admin:enrollment_claim_add")).content.decode()
    assert "vForeignKeyRawIdAdminField" not in html and "admin-autocomplete" in html
    nik = wanted.worker.nik
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "enrollment",
            "model_name": "claim",
            "field_name": "enrollment",
            "term": f"{nik[:8]} {nik[8:]}",
        },
    )
    assert [r["id"] for r in response.json()["results"]] == [str(wanted.pk)]


def test_the_heir_form_finds_the_worker_by_name(admin_client):
    wanted = WorkerFactory(full_name="Sumarni Hadi")
    WorkerFactory(full_name="Tono Wijaya")
    html = admin_client.get(reverse("admin:participants_heir_add")).content.decode()
    assert "vForeignKeyRawIdAdminField" not in html and "admin-autocomplete" in html
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "participants",
            "model_name": "heir",
            "field_name": "worker",
            "term": "sumarni",
        },
    )
    assert [r["id"] for r in response.json()["results"]] == [str(wanted.pk)]
