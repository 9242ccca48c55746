import datetime
import io

import pytest
import time_machine
from django.contrib.auth.models import Permission
from openpyxl import Workbook

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _today():
    """Targeting rules depend on dates: tests run on 15 January 2024 unless they travel."""
    with time_machine.travel(datetime.datetime(2024, 1, 15, 9, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture(autouse=True)
def private_staging_dir(settings, tmp_path):
    settings.SIAGA_IMPORT_STAGING_DIR = tmp_path / "staging"


def user_with(*codenames, username="petugas"):
    user = UserFactory(username=username)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def xlsx(rows, *, title="Sheet1") -> bytes:
    """A workbook whose cells are typed as given (str stays text, like a Text-formatted cell)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
