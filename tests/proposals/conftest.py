import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group

from accounts.roles import OPERATOR, PENGUSUL, VERIFIKATOR
from tests.enrollment.factories import ProgramYearFactory, QuotaTargetFactory
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _today():
    """Tests run on 15 January 2024 unless they travel (the rules depend on dates)."""
    with time_machine.travel(datetime.datetime(2024, 1, 15, 9, 0, tzinfo=datetime.UTC), tick=False):
        yield


def in_role(username: str, role: str):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def proposer(db):
    return in_role("kel-kelun", PENGUSUL)


@pytest.fixture
def other_proposer(db):
    return in_role("opd-dishub", PENGUSUL)


@pytest.fixture
def operator(db):
    return in_role("operator", OPERATOR)


@pytest.fixture
def verifier(db):
    return in_role("verifikator", VERIFIKATOR)


@pytest.fixture
def year(db):
    year = ProgramYearFactory(year=2024, budget=1_000_000_000)
    QuotaTargetFactory(program_year=year, target=100)
    return year
