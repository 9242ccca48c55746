import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from participants.privacy import mask_identity_number
from targeting.models import ExportLog
from tests.factories import UserFactory, WorkerFactory

pytestmark = pytest.mark.django_db

EXPORT = reverse("admin:participants_worker_export")


def staff_client(*codenames):
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client, user


def export_form(client):
    page = client.get(EXPORT)
    assert page.status_code == 200
    form = page.context["form"]
    data = {"format": "1"}  # CSV (XLSX is 0)
    for name, field in form.fields.items():
        if name.startswith("workerresource_") or getattr(field, "is_selectable_field", False):
            data[name] = "on"
    data.setdefault("resource", "0")
    return data


def test_export_needs_its_own_permission():
    client, _ = staff_client("view_worker")
    assert client.get(EXPORT).status_code == 403
    assert client.post(EXPORT, {"format": "1"}).status_code == 403
    assert not ExportLog.objects.exists()


def test_export_is_masked_and_logged_without_the_full_nik_permission():
    worker = WorkerFactory(full_name="Siti Aminah")
    client, user = staff_client("view_worker", "export_personal_data")
    response = client.post(EXPORT, export_form(client))
    assert response.status_code == 200
    content = response.content.decode("utf-8-sig")
    assert "Siti Aminah" in content
    assert worker.nik not in content and mask_identity_number(worker.nik) in content
    log = ExportLog.objects.get()
    assert (log.created_by, log.row_count, log.kind) == (user, 1, "worker_list")


def test_export_shows_full_niks_to_those_who_may_see_them():
    worker = WorkerFactory()
    client, _ = staff_client("view_worker", "export_personal_data", "view_full_nik")
    content = client.post(EXPORT, export_form(client)).content.decode("utf-8-sig")
    assert worker.nik in content
