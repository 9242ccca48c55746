"""Each row of the README's role table, done for real by each role: who has a ✔ gets it done,
the others are refused and nothing changes. (Every URL and action is also walked in
tests/project/test_access.py; these check the effect, not only the status.)"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from accounts.roles import ADMINISTRATOR, OPERATOR, PIMPINAN, ROLES, VERIFIKATOR
from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear
from participants.models import Heir, Worker
from participants.privacy import mask_identity_number
from targeting.models import ExportLog
from tests.factories import HeirFactory, WorkerFactory
from tests.project import access_rules as rules
from tests.project.access_world import TODAY, build_world

pytestmark = pytest.mark.django_db

ALL = [OPERATOR, VERIFIKATOR, PIMPINAN, ADMINISTRATOR]


@pytest.fixture
def world(db):
    with time_machine.travel(TODAY, tick=False):
        yield build_world()


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def login(world, role) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def refused(response, role) -> bool:
    """Staff without the row get 403; Pimpinan (not staff) are sent to the admin login."""
    if role == PIMPINAN:
        return response.status_code == 302 and "/admin/login/" in response["Location"]
    return response.status_code == 403


def test_the_roles_exist_with_their_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    pimpinan = Group.objects.get(name=PIMPINAN)
    assert [p.codename for p in pimpinan.permissions.all()] == ["view_dashboard"]


def test_the_administrator_role_holds_every_permission_of_every_app():
    administrator = Group.objects.get(name=ADMINISTRATOR)
    assert administrator.permissions.count() == Permission.objects.count()
    apps_covered = set(administrator.permissions.values_list("content_type__app_label", flat=True))
    assert {"axes", "django_tasks_database", "auth", "participants", "enrollment"} <= apps_covered


@pytest.mark.parametrize("role", ALL)
def test_see_workers_and_heirs(world, role):
    client = login(world, role)
    for name in ("admin:participants_worker_changelist", "admin:participants_heir_changelist"):
        response = client.get(reverse(name))
        if role in rules.SEE_REGISTRY.roles:
            assert response.status_code == 200
            assert world.objects[Worker].full_name in response.content.decode()
        else:
            assert refused(response, role)


@pytest.mark.parametrize("role", ALL)
def test_add_and_change_workers_and_heirs(world, role):
    worker = world.objects[Worker]
    heir = world.objects[Heir]
    client = login(world, role)
    response = client.post(
        reverse("admin:participants_heir_change", args=[heir.pk]),
        {
            "worker": worker.pk,
            "name": "Nama Baru",
            "nik": heir.nik,
            "relationship": heir.relationship,
            "birth_date": "2015-06-01",
            "school_level": "",
        },
    )
    heir.refresh_from_db()
    if role in rules.CHANGE_REGISTRY.roles:
        assert response.status_code == 302, response.content[:2000]
        assert heir.name == "Nama Baru"
    else:
        assert refused(response, role)
        assert heir.name != "Nama Baru"


@pytest.mark.parametrize("role", ALL)
def test_full_nik_or_masked(world, role):
    worker = world.objects[Worker]
    response = login(world, role).get(reverse("admin:participants_worker_change", args=[worker.pk]))
    if role == PIMPINAN:
        assert refused(response, role)
        return
    body = response.content.decode()
    assert response.status_code == 200
    if role in rules.FULL_NIK.roles:
        assert worker.nik in body
    else:
        assert worker.nik not in body and mask_identity_number(worker.nik) in body


@pytest.mark.parametrize("role", ALL)
def test_import_candidate_lists_and_heirs(world, role):
    client = login(world, role)
    for name in ("admin:participants_worker_import", "admin:targeting_heirfollowup_import"):
        response = client.get(reverse(name))
        if role in rules.IMPORT.roles:
            assert response.status_code == 200
        else:
            assert refused(response, role)


@pytest.mark.parametrize("role", ALL)
def test_propose_enrollments_and_renew(world, role):
    worker = WorkerFactory()
    year = world.objects[ProgramYear]
    client = login(world, role)
    response = client.post(
        reverse("admin:enrollment_enrollment_add"),
        {"worker": worker.pk, "program_year": year.pk, "reason": "usulan kelurahan"},
    )
    proposed = Enrollment.objects.filter(worker=worker, program_year=year).exists()
    # Renewal proposes next year's cover: the same row.
    renewal = client.post(
        reverse("admin:enrollment_programyear_changelist"),
        {"action": "renew_into_next_year", "_selected_action": [year.pk]},
    )
    renewed = Enrollment.objects.filter(program_year__year=2025).count()
    if role in rules.PROPOSE.roles:
        assert response.status_code == 302 and proposed
        assert renewal.status_code == 302 and renewed >= 1
    else:
        assert refused(response, role) and not proposed
        assert renewed == 0
        assert renewal.status_code == 302  # Verifikator: not offered; Pimpinan: login


@pytest.mark.parametrize("role", ALL)
def test_verify_submit_terminate_reject_and_end_expired(world, role):
    proposed = Enrollment.objects.get(status=EnrollmentStatus.PROPOSED)
    year = world.objects[ProgramYear]
    client = login(world, role)
    client.post(
        reverse("admin:enrollment_enrollment_changelist"),
        {"action": "verify_selected", "_selected_action": [proposed.pk]},
    )
    proposed.refresh_from_db()
    with time_machine.travel(datetime.datetime(2025, 1, 2, 9, 0, tzinfo=datetime.UTC)):
        client = login(world, role)  # the session of March has expired by January
        client.post(
            reverse("admin:enrollment_programyear_changelist"),
            {"action": "end_expired", "_selected_action": [year.pk]},
        )
    active_left = Enrollment.objects.filter(program_year=year, status=EnrollmentStatus.ACTIVE)
    if role in rules.DECIDE.roles:
        assert proposed.status == EnrollmentStatus.VERIFIED
        assert not active_left.exists()
    else:
        assert proposed.status == EnrollmentStatus.PROPOSED
        assert active_left.exists()


@pytest.mark.parametrize("role", ALL)
def test_verify_beyond_the_quota_is_offered_to_supervisors(world, role):
    proposed = Enrollment.objects.get(status=EnrollmentStatus.PROPOSED)
    response = login(world, role).post(
        reverse("admin:enrollment_enrollment_changelist"),
        {"action": "verify_beyond_quota", "_selected_action": [proposed.pk]},
    )
    if role in rules.OVERRIDE.roles:
        assert response.status_code == 200
        assert response.templates[0].name == "admin/enrollment/action_reason.html"
    elif role == PIMPINAN:
        assert refused(response, role)
    else:
        # Operator: no action is offered on enrollments at all, the list again.
        assert response.status_code == 200
        assert response.templates[0].name == "admin/enrollment/enrollment/change_list.html"
    proposed.refresh_from_db()
    assert proposed.status == EnrollmentStatus.PROPOSED


@pytest.mark.parametrize("role", ALL)
def test_bpjs_files_invoices_and_claims(world, role):
    client = login(world, role)
    year = world.objects[ProgramYear]
    pages = [
        reverse("admin:enrollment_programyear_bpjs_export", args=[year.pk]),
        reverse("admin:enrollment_premiuminvoice_changelist"),
        reverse("admin:enrollment_claim_changelist"),
        reverse("admin:enrollment_enrollment_import"),
    ]
    for url in pages:
        response = client.get(url)
        if role in rules.BPJS.roles:
            assert response.status_code == 200, url
        else:
            assert refused(response, role), url


@pytest.mark.parametrize("role", ALL)
def test_dtks_request_list_and_result_import(world, role):
    client = login(world, role)
    worker = world.objects[Worker]
    response = client.get(reverse("admin:targeting_dtkscheck_import"))
    download = client.post(
        reverse("admin:participants_worker_changelist"),
        {"action": "download_dtks_request_list", "_selected_action": [worker.pk]},
    )
    logged = ExportLog.objects.exclude(kind="worker_list").exists()
    if role in rules.DTKS.roles:
        assert response.status_code == 200
        assert download.status_code == 200 and download["Content-Disposition"].startswith(
            "attachment"
        )
        assert logged
    else:
        assert refused(response, role)
        # Pimpinan: the login; Operator: the action is not offered to them (they have
        # "propose" on workers), so Django answers "no action selected" back to the list.
        assert download.status_code == {PIMPINAN: 302, OPERATOR: 302}[role]
        if role == OPERATOR:
            assert download["Location"] == reverse("admin:participants_worker_changelist")
        assert not logged


@pytest.mark.parametrize("role", ALL)
def test_export_personal_data_is_logged(world, role):
    client = login(world, role)
    url = reverse("admin:participants_worker_export")
    before = ExportLog.objects.count()
    response = client.get(url)
    if role not in rules.EXPORT.roles:
        assert refused(response, role)
        assert refused(client.post(url, {"format": "1"}), role)
        assert ExportLog.objects.count() == before
        return
    form = response.context["form"]
    data = {"format": "1", "resource": "0"}
    for name, field in form.fields.items():
        if name.startswith("workerresource_") or getattr(field, "is_selectable_field", False):
            data[name] = "on"
    exported = client.post(url, data)
    assert exported.status_code == 200
    assert ExportLog.objects.count() == before + 1


@pytest.mark.parametrize("role", ALL)
def test_see_program_years_enrollments_priority_lists_imports(world, role):
    client = login(world, role)
    pages = [
        reverse("admin:enrollment_programyear_changelist"),
        reverse("admin:enrollment_enrollment_changelist"),
        reverse("admin:targeting_targetingrule_priority", args=[world.rule_pk]),
        reverse("admin:importer_importjob_changelist"),
    ]
    for url in pages:
        response = client.get(url)
        if role in rules.SEE_PROGRAM.roles:
            assert response.status_code == 200, url
        else:
            assert refused(response, role), url


@pytest.mark.parametrize("role", ALL)
def test_quota_dashboard_and_reports(world, role):
    client = login(world, role)
    for url in ["/dashboard/", "/dashboard/2024.json", "/dashboard/2024/report/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        # Aggregate figures only: no NIK and no name of a worker.
        assert not re.search(r"(?<!\d)\d{16}(?!\d)", body), url
        assert world.objects[Worker].full_name not in body
    assert role in rules.DASHBOARD.roles
    assert Client().get("/dashboard/").status_code == 302


@pytest.mark.parametrize("role", ALL)
def test_set_budgets_and_rates(world, role):
    year = world.objects[ProgramYear]
    client = login(world, role)
    page = client.get(reverse("admin:enrollment_programyear_change", args=[year.pk]))
    if role == PIMPINAN:
        assert refused(page, role)
        return
    assert page.status_code == 200
    may = role in rules.SET_PROGRAM.roles
    # Only who may set budgets sees an editable budget field.
    assert ('name="budget"' in page.content.decode()) is may
    response = client.post(
        reverse("admin:enrollment_programyear_change", args=[year.pk]),
        {"year": 2024, "budget": 5, "coverage_start": "2024-01-01", "coverage_end": "2024-12-31"},
    )
    year.refresh_from_db()
    assert year.budget == 1_000_000_000
    assert (response.status_code == 200) is may  # the form again: the inlines are missing
    if not may:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ALL)
def test_user_accounts_and_login_records(world, role):
    client = login(world, role)
    for name in ("admin:auth_user_changelist", "admin:axes_accessattempt_changelist"):
        response = client.get(reverse(name))
        if role in rules.ACCOUNTS.roles:
            assert response.status_code == 200
        else:
            assert refused(response, role)


@pytest.mark.parametrize("role", ALL)
def test_purge_records(world, role):
    """A non-superuser Administrator purges; the audit trail keeps the record."""
    heir = HeirFactory(worker=world.objects[Worker])
    client = login(world, role)
    assert not world.users[role].is_superuser
    response = client.post(
        reverse("admin:participants_heir_delete", args=[heir.pk]), {"post": "yes"}
    )
    gone = not Heir.objects.filter(pk=heir.pk).exists()
    if role in rules.PURGE.roles:
        assert response.status_code == 302 and gone
        assert Heir.history.filter(id=heir.pk, history_type="-").exists()
    else:
        assert refused(response, role) and not gone
