import datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission

from tests.enrollment.factories import ProgramYearFactory
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _today():
    """Enrollment rules depend on dates: tests run on 15 January 2024 unless they travel."""
    with time_machine.travel(datetime.datetime(2024, 1, 15, 9, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def staff(db):
    return UserFactory(username="petugas")


@pytest.fixture
def supervisor(db):
    user = UserFactory(username="supervisor")
    user.user_permissions.add(Permission.objects.get(codename="override_quota"))
    return user


@pytest.fixture
def year(db):
    return ProgramYearFactory(year=2024, budget=1_000_000_000)
