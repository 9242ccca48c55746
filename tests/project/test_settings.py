"""Settings come from the environment; production refuses unsafe configuration."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "False",
    "SECRET_KEY": "x7Kq2-production-like-secret-key-for-check-deploy-only-9fZ3wLm",
    "ALLOWED_HOSTS": "siaga.madiunkota.go.id",
    "DATABASE_URL": "sqlite:////tmp/siaga-deploy-check.sqlite3",
}


def manage(*args, env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_values():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_without_a_secret_key_refuses_to_start():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_settings_defaults():
    from django.conf import settings

    assert settings.LANGUAGE_CODE == "id"
    assert ("en", "English") in [(code, str(name)) for code, name in settings.LANGUAGES] or any(
        code == "en" for code, _ in settings.LANGUAGES
    )
    assert settings.TIME_ZONE == "Asia/Jakarta"


@pytest.mark.django_db
def test_ensure_local_admin_creates_one_administrator_once():
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    out = StringIO()
    call_command("ensure_local_admin", stdout=out)
    assert "kata sandi:" in out.getvalue()  # the command speaks Indonesian
    out = StringIO()
    call_command("ensure_local_admin", stdout=out)
    assert "Superuser sudah ada; tidak ada yang dikerjakan." in out.getvalue()
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_english_is_available(client):
    from django.utils import translation

    with translation.override("en"):
        from participants.models import Worker

        assert str(Worker._meta.verbose_name) == "worker"
    with translation.override("id"):
        assert str(Worker._meta.verbose_name) == "pekerja"
