"""A record's earlier versions ("Riwayat") can be looked at by who may see the record and are
never saved back, whatever is POSTed and by whom."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from accounts.roles import ADMINISTRATOR, OPERATOR, VERIFIKATOR
from enrollment.models import ProgramYear, ProgramYearStatus
from participants.models import Worker

from .access_world import TODAY, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    with time_machine.travel(TODAY, tick=False):
        yield build_world()


def login(world, role) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def version_url(model, obj, version) -> str:
    opts = model._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[obj.pk, version]
    )


def test_every_version_page_opens_read_only(world):
    """Enrollments, claims and invoices included (their history excluded a field they lack)."""
    client = login(world, ADMINISTRATOR)
    history_admins = [
        (m, a) for m, a in admin.site._registry.items() if isinstance(a, SimpleHistoryAdmin)
    ]
    labels = {m._meta.label for m, _a in history_admins}
    assert {"enrollment.Enrollment", "enrollment.Claim", "enrollment.PremiumInvoice"} <= labels
    for model, _model_admin in history_admins:
        obj = world.objects[model]
        for version in model.history.model.objects.filter(id=obj.pk).values_list(
            "history_id", flat=True
        ):
            response = client.get(version_url(model, obj, version))
            assert response.status_code == 200, (model, version)
            body = response.content.decode()
            assert 'name="_save"' not in body and "_change_history" not in body, model
            assert 'class="readonly"' in body, model


@pytest.mark.parametrize("role", [OPERATOR, VERIFIKATOR, ADMINISTRATOR])
def test_a_post_to_a_version_page_never_saves(world, role):
    """The reported attacks: a program year's budget, age limits and status through the
    version page; a worker's death date removed through it."""
    year = world.objects[ProgramYear]
    year.status = ProgramYearStatus.CLOSED
    year.save()
    worker = world.objects[Worker]
    worker.death_date = datetime.date(2024, 3, 1)
    worker.save()
    year_versions = year.history.count()
    min_age = year.min_age
    worker_versions = worker.history.count()
    client = login(world, role)
    with time_machine.travel(TODAY, tick=False):
        answer = client.post(
            version_url(ProgramYear, year, year.history.earliest().history_id),
            {
                "year": year.year,
                "status": ProgramYearStatus.RUNNING,
                "budget": 1,
                "coverage_start": "2024-01-01",
                "coverage_end": "2024-12-31",
                "min_age": min_age + 1,
                "max_age": 99,
                "_change_history": "1",
            },
        )
        assert answer.status_code == 405
        answer = client.post(
            version_url(Worker, worker, worker.history.earliest().history_id),
            {"death_date": "", "_change_history": "1", "full_name": worker.full_name},
        )
        assert answer.status_code == 405
    year.refresh_from_db()
    worker.refresh_from_db()
    assert (year.status, year.budget, year.min_age) == (
        ProgramYearStatus.CLOSED,
        1_000_000_000,
        min_age,
    )
    assert year.history.count() == year_versions
    assert worker.death_date == datetime.date(2024, 3, 1)
    assert worker.history.count() == worker_versions


def test_the_version_page_of_a_worker_masks_the_nik_without_the_permission(world):
    from .access_world import user_without_full_nik

    worker = world.objects[Worker]
    client = Client()
    client.force_login(user_without_full_nik())
    version = worker.history.latest().history_id
    body = client.get(version_url(Worker, worker, version)).content.decode()
    assert worker.nik not in body and worker.kk_number not in body
    assert worker.full_name in body
