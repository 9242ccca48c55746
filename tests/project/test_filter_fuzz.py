"""Odd query strings never answer 500: every changelist's filter parameters (each list filter,
the date hierarchy, search, ordering, page, unknown keys) and the custom pages' parameters,
with impossible dates, huge numbers, text where numbers belong and control characters.

A bad value answers with the list (200), or with the unfiltered list and a message (302 to
``?e=1``, Django's "invalid lookup" answer, which then shows the list)."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.roles import ADMINISTRATOR
from enrollment.models import ProgramYear
from participants.models import Heir, Worker

from .access_world import TODAY, build_world

pytestmark = pytest.mark.django_db

# One of each kind of trouble (the machine is small: each value costs a request per parameter).
BAD_VALUES = [
    "2024-02-31",  # impossible date
    "9999-99-99",  # not a date at all
    "0001-01-01",  # a date whose arithmetic (ages, years back) overflows
    "99999999999999999999999999",  # beyond any integer column
    "-1",
    "abc",  # text where a number or a choice belongs
    "²",  # a "digit" int() refuses
    "\x00",  # refused by PostgreSQL in text
]
UNKNOWN_KEYS = ["zzz", "worker__nik__startswith", "pk__in", "id__gt", "status__exact"]


@pytest.fixture
def world(db):
    with time_machine.travel(TODAY, tick=False):
        yield build_world()


def changelist_parameters(model_admin, user) -> list[str]:
    """Every query parameter a changelist reads: its filters', the date hierarchy's, search,
    ordering, page, and some it does not know."""
    request = RequestFactory().get("/")
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    names = [name for spec in changelist.filter_specs for name in spec.expected_parameters()]
    if model_admin.date_hierarchy:
        names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return names


def check(client, url, params, failures, label):
    response = client.get(url, params)
    if response.status_code == 302 and "e=1" in response["Location"]:
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        if not messages:
            failures.append(f"{label}: sent back to the unfiltered list without a message")
        response = client.get(response["Location"])
    if response.status_code not in (200, 400, 404):
        failures.append(f"{label}: {response.status_code}")


def test_every_changelist_parameter_with_bad_values(world):
    user = world.users[ADMINISTRATOR]
    client = Client()
    client.force_login(user)
    failures: list[str] = []
    with time_machine.travel(TODAY, tick=False):
        for model, model_admin in admin.site._registry.items():
            opts = model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            for name in changelist_parameters(model_admin, user):
                for value in BAD_VALUES:
                    check(client, url, {name: value}, failures, f"{url}?{name}={value[:20]!r}")
            # Search, ordering, page, popup field and keys the list does not know.
            for name in ["q", "o", "p", "e", "_to_field", *UNKNOWN_KEYS]:
                for value in ("abc", "99999999999999999999999999", "\x00"):
                    check(client, url, {name: value}, failures, f"{url}?{name}={value!r}")
            # The date hierarchy's parts together: a valid year with an impossible day.
            if model_admin.date_hierarchy:
                field = model_admin.date_hierarchy
                for year, month, day in [
                    ("2024", "2", "31"),
                    ("9999", "12", "31"),
                    ("1", "1", "1"),
                ]:
                    params = {
                        f"{field}__year": year,
                        f"{field}__month": month,
                        f"{field}__day": day,
                    }
                    check(client, url, params, failures, f"{url}?{params}")
    assert not failures, "\n".join(failures)


def test_the_reported_odd_query_strings_answer_with_a_message(world):
    client = Client()
    client.force_login(world.users[ADMINISTRATOR])
    heirs = reverse("admin:participants_heir_changelist")
    for value in ("2024-02-31", "9999-99-99"):
        response = client.get(heirs, {"school_age_on": value})
        assert response.status_code == 200
        messages = [str(m) for m in response.context["messages"]]
        assert any(value in m for m in messages), messages
        # Unfiltered: every heir is listed.
        assert response.context["cl"].result_count == Heir.objects.count()
    jobs = reverse("admin:importer_importjob_changelist")
    response = client.get(jobs, {"created_at__year": "99999999999"})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert any("tidak dapat dibaca" in str(m) for m in response.context["messages"])


def test_custom_pages_with_bad_query_values(world):
    client = Client()
    client.force_login(world.users[ADMINISTRATOR])
    worker = world.objects[Worker]
    year = world.objects[ProgramYear]
    pages = [
        (reverse("admin:participants_worker_change", args=[worker.pk]), ["school_age_on"]),
        (reverse("admin:enrollment_claim_scholarship"), ["on"]),
        (
            reverse("admin:targeting_targetingrule_priority", args=[world.rule_pk]),
            ["worker_type", "page"],
        ),
        (reverse("admin:enrollment_enrollment_import"), ["program_year"]),
        (reverse("admin:enrollment_premiuminvoice_import"), ["invoice"]),
        (
            "/dashboard/",
            ["year", "kecamatan", "kelurahan", "segment", "worker_type", "sort", "dir"],
        ),
        (f"/dashboard/{year.year}.json", ["kecamatan", "kelurahan", "segment", "worker_type"]),
        (f"/dashboard/{year.year}.xlsx", ["kecamatan", "kelurahan", "segment", "worker_type"]),
        (f"/dashboard/{year.year}/report/", ["kecamatan", "kelurahan", "segment", "worker_type"]),
    ]
    failures: list[str] = []
    with time_machine.travel(TODAY, tick=False):
        for url, names in pages:
            for name in names:
                for value in BAD_VALUES:
                    response = client.get(url, {name: value})
                    # JSON and xlsx answer a bad filter with 400 and the form's errors.
                    if response.status_code not in (200, 400, 404):
                        failures.append(f"{url}?{name}={value[:20]!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-02-29", "2024-02-29"),
        (" 2024-03-15 ", "2024-03-15"),
        ("2024-02-31", None),
        ("9999-99-99", None),
        ("0001-01-01", None),
        ("9999-12-31", None),
        ("1899-12-31", None),
        ("1900-01-01", "1900-01-01"),
        ("15-03-2024", None),
        ("", None),
        (None, None),
    ],
)
def test_query_dates_are_read_or_refused(value, expected):
    from siaga.admin_base import parse_query_date

    day = parse_query_date(value)
    assert (day.isoformat() if day else None) == expected
