"""An official limited to an area or a group (issue 16) sees the dashboard's figures computed
over that scope only: page, JSON, xlsx and report alike, with small cells still hidden."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.scoping import set_user_scope
from dashboard.selectors import Filters, dashboard_figures
from enrollment.models import QUOTA_STATUSES, Enrollment, ProgramYear
from participants.models import Kelurahan, Segment

pytestmark = pytest.mark.django_db


def participants(**lookups) -> int:
    return Enrollment.objects.filter(
        program_year__year=2024, status__in=QUOTA_STATUSES, **lookups
    ).count()


def test_a_kelurahan_official_sees_only_the_area(client, official_exact, program):
    area = list(Kelurahan.objects.order_by("code")[:2])
    set_user_scope(user=official_exact, kelurahan=area)
    client.force_login(official_exact)
    data = client.get(reverse("dashboard:json", args=[2024])).json()
    expected = participants(kelurahan__in=area)
    whole = dashboard_figures(ProgramYear.objects.get(year=2024)).participants
    assert 0 < expected < whole
    assert data["participants"] == expected
    rows = data["breakdowns"]["kelurahan"]
    assert {r["code"] for r in rows} == {k.code for k in area}
    assert sum(r["participants"] for r in data["breakdowns"]["segment"]) == expected
    assert data["over_commitment"] == [] and data["target"] is None
    # A kelurahan outside the scope cannot be asked for.
    outside = Kelurahan.objects.order_by("code")[5]
    refused = client.get(reverse("dashboard:json", args=[2024]), {"kelurahan": outside.pk})
    assert refused.status_code == 400


def test_a_group_official_sees_only_the_group(client, official_exact, program):
    segment = Segment.objects.order_by("pk")[1]
    set_user_scope(user=official_exact, segments=[segment])
    client.force_login(official_exact)
    data = client.get(reverse("dashboard:json", args=[2024])).json()
    assert data["participants"] == participants(segment=segment) > 0
    shown = [r for r in data["breakdowns"]["segment"] if r["participants"]]
    assert [r["label"] for r in shown] == [segment.name]


def test_small_cells_stay_hidden_within_a_scope(client, official, program):
    area = list(Kelurahan.objects.order_by("code")[:1])
    set_user_scope(user=official, kelurahan=area)
    client.force_login(official)
    data = client.get(reverse("dashboard:json", args=[2024])).json()
    assert data["suppressed_below"] is not None


def test_the_scope_narrows_the_selectors_like_a_filter(program):
    year = ProgramYear.objects.get(year=2024)
    area = list(Kelurahan.objects.order_by("code")[:2])
    scoped = Filters(scope_kelurahan_ids=frozenset(k.pk for k in area))
    assert dashboard_figures(year, scoped).participants == participants(kelurahan__in=area)
    nothing = Filters(scope_kelurahan_ids=frozenset())
    assert dashboard_figures(year, nothing).participants == 0
