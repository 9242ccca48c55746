"""Each role reaches what its work needs and nothing else: every admin and custom URL, walked."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, reverse

from accounts.roles import ADMINISTRATOR, OPERATOR, PIMPINAN, ROLES, VERIFIKATOR
from tests.factories import HeirFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF_ROLES = [OPERATOR, VERIFIKATOR, ADMINISTRATOR]


def client_for(role):
    user = UserFactory(is_staff=role != PIMPINAN)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client, user


def test_the_roles_exist_with_their_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    pimpinan = Group.objects.get(name=PIMPINAN)
    assert [p.codename for p in pimpinan.permissions.all()] == ["view_dashboard"]


def admin_pages():
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        yield model_admin, "view", reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        yield model_admin, "add", reverse(f"admin:{opts.app_label}_{opts.model_name}_add")


def custom_admin_urls():
    """Admin URLs that take no arguments beyond the standard changelist/add."""
    for model_admin in admin.site._registry.values():
        for pattern in model_admin.get_urls():
            if not isinstance(pattern, URLPattern) or pattern.pattern.regex.groups:
                continue
            route = str(pattern.pattern)
            if route in ("", "add/") or not pattern.name:
                continue
            yield reverse(f"admin:{pattern.name}")


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_get_200_where_they_have_a_permission_and_403_elsewhere(role):
    client, user = client_for(role)
    for model_admin, action, url in admin_pages():
        response = client.get(url)
        if action == "view":
            allowed = model_admin.has_view_or_change_permission(_request(user))
        else:
            allowed = model_admin.has_add_permission(_request(user))
        expected = 200 if allowed else 403
        assert response.status_code == expected, (role, url, response.status_code)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_no_custom_admin_page_fails_for_any_role(role):
    client, _ = client_for(role)
    for url in custom_admin_urls():
        status = client.get(url).status_code
        assert status in (200, 302, 403, 405), (role, url, status)


def test_pimpinan_reach_the_dashboard_but_no_admin_page_and_no_personal_data():
    heir = HeirFactory()
    client, _ = client_for(PIMPINAN)
    for _model_admin, _action, url in admin_pages():
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    for url in custom_admin_urls():
        assert client.get(url).status_code in (302, 403), url
    year = datetime.date.today().year
    for url in ["/dashboard/", f"/dashboard/{year}.json"]:
        response = client.get(url)
        assert response.status_code in (200, 404), url  # 404: no program year yet
        assert heir.worker.nik not in response.content.decode()
        assert heir.worker.full_name not in response.content.decode()


def test_operators_and_pimpinan_cannot_export_personal_data():
    for role in (OPERATOR, PIMPINAN):
        client, _ = client_for(role)
        assert client.get(reverse("admin:participants_worker_export")).status_code in (302, 403)


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request
