"""Behind the TLS proxy the login log (django-axes) records and locks out the client's
address, taken from X-Forwarded-For, not the proxy's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PROXY = "127.0.0.1"


def fail_login(client: Client, forwarded: str | None, username: str = "petugas"):
    headers = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(
        "/admin/login/", {"username": username, "password": "salah-sekali"}, **headers
    )


@override_settings(SIAGA_TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_the_client_address_is_recorded():
    UserFactory(username="petugas")
    fail_login(Client(), "198.51.100.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.7"]


@override_settings(SIAGA_TRUSTED_PROXY_COUNT=1)
def test_an_address_the_client_invents_is_not_trusted():
    """The proxy appends the real address; what the client sent stands to its left."""
    fail_login(Client(), "10.9.9.9, 198.51.100.7")
    fail_login(Client(), "not-an-address, 198.51.100.7")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


@override_settings(SIAGA_TRUSTED_PROXY_COUNT=1, AXES_FAILURE_LIMIT=3)
def test_the_lockout_is_per_client_not_for_everyone_behind_the_proxy():
    user = UserFactory(username="petugas")
    for _ in range(3):
        fail_login(Client(), "198.51.100.7")
    locked = fail_login(Client(), "198.51.100.7")
    assert locked.status_code == 429
    # Another office PC, same username: not locked out by the first one's failures.
    other = Client()
    response = other.post(
        "/admin/login/",
        {"username": user.username, "password": "rahasia-sekali-123"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert response.status_code == 302


@override_settings(SIAGA_TRUSTED_PROXY_COUNT=2)
def test_two_proxies_take_the_second_address_from_the_right():
    fail_login(Client(), "10.9.9.9, 198.51.100.7, 10.0.0.2")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.7"]


@override_settings(SIAGA_TRUSTED_PROXY_COUNT=0)
def test_without_a_proxy_the_header_is_ignored():
    fail_login(Client(), "198.51.100.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [PROXY]


@override_settings(SIAGA_TRUSTED_PROXY_COUNT=1)
def test_a_missing_header_falls_back_to_the_connection():
    fail_login(Client(), None)
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [PROXY]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"BEHIND_TLS_PROXY": "True"}, "1"),
        ({}, "0"),
        ({"BEHIND_TLS_PROXY": "True", "AXES_PROXY_COUNT": "2"}, "2"),
    ],
)
def test_the_proxy_count_follows_the_environment(env, expected):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"BEHIND_TLS_PROXY", "AXES_PROXY_COUNT", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'siaga.settings'; "
        "django.setup(); from django.conf import settings; "
        "print(settings.SIAGA_TRUSTED_PROXY_COUNT, settings.AXES_CLIENT_IP_CALLABLE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == [expected, "siaga.client_ip.client_ip_address"], result.stderr
