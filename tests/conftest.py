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
    ):
        importlib.import_module(module).load(apps, None)
    sync_roles(apps)
