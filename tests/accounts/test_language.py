"""Indonesian first: the browser's language never switches Siaga; the user's choice does."""

import pytest
from django.urls import reverse

from accounts.models import StaffProfile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _login_page(client, **headers):
    return client.get(reverse("admin:login"), **headers)


def test_an_english_browser_still_gets_indonesian(client):
    response = _login_page(client, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "id"
    assert "Nama pengguna" in response.content.decode()


def test_the_switch_before_login_sets_the_browser_cookie(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/admin/login/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login/"
    page = _login_page(client)
    assert page.headers["Content-Language"] == "en"
    assert "Username" in page.content.decode()


def test_the_choice_is_remembered_for_the_user_in_a_new_browser(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    assert StaffProfile.objects.get(user=user).language == "en"

    client.logout()
    client.cookies.clear()
    client.force_login(user)
    page = client.get(reverse("admin:index"))
    assert page.headers["Content-Language"] == "en"

    client.post(reverse("set_language"), {"language": "id", "next": "/admin/"})
    assert StaffProfile.objects.get(user=user).language == "id"
    assert client.get(reverse("admin:index")).headers["Content-Language"] == "id"


def test_switch_refuses_get_unknown_languages_and_foreign_redirects(client):
    assert client.get(reverse("set_language")).status_code == 405
    response = client.post(
        reverse("set_language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"
    assert _login_page(client).headers["Content-Language"] == "id"
