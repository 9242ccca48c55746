import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_pages_carry_a_content_security_policy(client):
    response = client.get(reverse("admin:login"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy


def test_repeated_wrong_passwords_lock_the_login(client):
    UserFactory(username="operator")
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": "operator", "password": "salah"}, REMOTE_ADDR="10.0.0.9")
    response = client.post(
        url, {"username": "operator", "password": "rahasia-sekali-123"}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 429
    assert "Terlalu banyak" in response.content.decode()


@override_settings(DEBUG=False)
def test_error_pages_are_in_indonesian_and_show_no_internals(client):
    response = client.get("/tidak-ada/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Halaman tidak ditemukan" in content
    assert "Traceback" not in content


def test_sessions_expire_after_inactivity(settings):
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
