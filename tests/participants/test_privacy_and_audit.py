import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from participants.models import Worker
from participants.privacy import mask_identity_number
from tests.factories import HeirFactory, UserFactory, WorkerFactory

pytestmark = pytest.mark.django_db


def staff_with(*codenames):
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_mask_keeps_region_and_serial():
    assert mask_identity_number("3577010101900001") == "3577********0001"
    assert mask_identity_number("") == ""


def test_staff_without_the_permission_see_masked_niks_everywhere(client):
    heir = HeirFactory(nik="3577015203100002")
    worker = heir.worker
    client.force_login(staff_with("view_worker", "change_worker", "view_heir", "change_heir"))
    listing = client.get(reverse("admin:participants_worker_changelist")).content.decode()
    assert worker.nik not in listing
    assert mask_identity_number(worker.nik) in listing
    page = client.get(
        reverse("admin:participants_worker_change", args=[worker.pk])
    ).content.decode()
    assert worker.nik not in page and worker.kk_number not in page
    assert heir.nik not in page
    heir_page = client.get(
        reverse("admin:participants_heir_change", args=[heir.pk])
    ).content.decode()
    assert heir.nik not in heir_page and worker.nik not in heir_page


def test_staff_with_the_permission_see_full_niks(client):
    worker = WorkerFactory()
    client.force_login(staff_with("view_worker", "view_full_nik"))
    listing = client.get(reverse("admin:participants_worker_changelist")).content.decode()
    assert worker.nik in listing


def test_staff_cannot_delete_only_an_administrator_can(admin_client):
    """Purging is the delete permission, which only the Administrator role holds (superuser or
    not: README role table)."""
    from django.contrib.auth.models import Group

    from accounts.roles import ADMINISTRATOR, OPERATOR

    worker = WorkerFactory()
    client = Client()
    operator = staff_with("view_worker", "change_worker")
    operator.groups.add(Group.objects.get(name=OPERATOR))
    client.force_login(operator)
    url = reverse("admin:participants_worker_delete", args=[worker.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Worker.objects.filter(pk=worker.pk).exists()
    administrator = staff_with()
    administrator.groups.add(Group.objects.get(name=ADMINISTRATOR))
    assert not administrator.is_superuser
    client.force_login(administrator)
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Worker.objects.filter(pk=worker.pk).exists()
    # The purge stays in the audit trail.
    assert Worker.history.filter(id=worker.pk, history_type="-").exists()


def test_deactivating_needs_a_reason():
    worker = WorkerFactory()
    worker.is_active = False
    with pytest.raises(Exception) as exc:
        worker.full_clean()
    assert "deactivation_reason" in exc.value.message_dict


def test_every_change_is_audited_with_who_and_the_old_and_new_values(admin_client, superuser):
    worker = WorkerFactory(full_name="Budi")
    url = reverse("admin:participants_worker_change", args=[worker.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "full_name": "Budi Santoso",
            "birth_date": worker.birth_date.strftime("%d/%m/%Y"),
            "heirs-TOTAL_FORMS": "0",
            "heirs-INITIAL_FORMS": "0",
            "is_active": "on",
            "kelurahan": worker.kelurahan_id,
            "segment": worker.segment_id,
        }
    )
    data.pop("has_disability", None)
    data.pop("employer_covered", None)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = worker.history.latest()
    assert latest.history_user == superuser
    delta = latest.diff_against(latest.prev_record)
    changes = [(c.field, c.old, c.new) for c in delta.changes]
    assert ("full_name", "Budi", "Budi Santoso") in changes
    assert ("updated_by", None, superuser.pk) in changes
    history_page = admin_client.get(reverse("admin:participants_worker_history", args=[worker.pk]))
    assert history_page.status_code == 200


def test_imported_workers_get_an_audit_trail_entry(superuser):
    from pathlib import Path

    from importer.engine import apply_plan, build_plan
    from participants.resources import WorkerImporter

    data = (Path(__file__).parents[1] / "fixtures" / "spreadsheets" / "clean.xlsx").read_bytes()
    importer = WorkerImporter()
    apply_plan(importer, build_plan(importer, data, "clean.xlsx"), user=superuser)
    worker = Worker.objects.get(full_name="Budi Santoso")
    entry = worker.history.get()
    assert (entry.history_type, entry.history_user, entry.nik) == ("+", superuser, worker.nik)
    assert Worker.history.filter(history_type="+").count() == Worker.objects.count() == 4
