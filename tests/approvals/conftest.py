import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group

from accounts.roles import KEPALA_BIDANG, OPERATOR, PIMPINAN, VERIFIKATOR
from enrollment.models import EnrollmentStatus
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.enrollment.helpers import advance
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2024, 5, 6, 9, 0, tzinfo=datetime.UTC), tick=False):
        yield


def member(username: str, role: str):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def verifikator(db):
    return member("verifikator", VERIFIKATOR)


@pytest.fixture
def kabid(db):
    return member("kabid", KEPALA_BIDANG)


@pytest.fixture
def kabid2(db):
    return member("kabid2", KEPALA_BIDANG)


@pytest.fixture
def operator(db):
    return member("operator", OPERATOR)


@pytest.fixture
def pimpinan(db):
    return member("pimpinan", PIMPINAN)


@pytest.fixture
def year(db):
    return ProgramYearFactory(year=2024, budget=1_000_000_000)


@pytest.fixture
def verified(year):
    """Five verified enrollments of 2024."""
    return [
        advance(EnrollmentFactory(program_year=year), EnrollmentStatus.VERIFIED) for _ in range(5)
    ]
