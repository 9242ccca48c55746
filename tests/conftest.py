import os
import shutil

import pytest

from tests.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def reference_data(transactional_db):
    """Kelurahan, segments, default rates and roles, loaded by the data migrations' own code.

    Transactional tests run after the others and flush the database between tests, so the
    rows the data migrations created may be gone; ``serialized_rollback`` would clash with
    content types that the flush recreated. Every loader here is idempotent.
    """
    import importlib

    from django.apps import apps

    from accounts.roles import sync_roles

    for module in (
        "participants.migrations.0002_reference_data",
        "participants.migrations.0008_money_segment_risk_class",
        "enrollment.migrations.0002_default_rates",
        "complaints.migrations.0001_initial",
        "notifications.migrations.0001_initial",
    ):
        importlib.import_module(module).load(apps, None)
    sync_roles(apps)


# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# (creating users, reading results) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = (
    os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        if os.environ.get("SIAGA_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (SIAGA_REQUIRE_BROWSER=1) but was not found.")
        pytest.skip("Chromium is not installed (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
