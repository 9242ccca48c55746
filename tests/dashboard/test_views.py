import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("dashboard:login"))
    assert client.get("/dashboard/2025.json").status_code == 302


def test_staff_without_the_permission_is_refused(client, program):
    client.force_login(UserFactory(username="operator", is_staff=True))
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/2025.json").status_code == 403
    assert client.get("/dashboard/2025.xlsx").status_code == 403
    assert client.get("/dashboard/2025/report/").status_code == 403


def test_an_official_logs_in_without_admin_rights(client, official):
    response = client.post(
        reverse("dashboard:login"),
        {"username": official.username, "password": "rahasia-sekali-123"},
    )
    assert response.status_code == 302
    assert response.url == reverse("dashboard:index")


def test_the_page_shows_the_year_in_indonesian_without_personal_data(client, official, program):
    client.force_login(official)
    response = client.get("/dashboard/", {"year": 2025})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dasbor kuota 2025" in page
    assert "Rp 2.000.000.000" in page
    assert "<svg" in page and "<title" in page and "<desc" in page
    assert '<th scope="row">TK/PAUD</th>' in page  # school-age heirs in kindergarten
    for worker in program["workers"]:
        assert worker.nik not in page
        assert worker.full_name not in page
        assert worker.kk_number not in page
    # No drill-down links for an official without access to the worker list.
    assert "kelurahan__id__exact" not in page


def test_drill_down_links_for_staff_who_may_see_workers(client, official, program):
    official.user_permissions.add(Permission.objects.get(codename="view_worker"))
    client.force_login(official)
    kelurahan = program["workers"][0].kelurahan
    changelist = reverse("admin:participants_worker_changelist")
    link = f"{changelist}?kelurahan__id__exact={kelurahan.pk}"
    # Without staff status the admin refuses the worker list: no link to it.
    assert link not in client.get("/dashboard/", {"year": 2025}).content.decode()
    official.is_staff = True
    official.save()
    page = client.get("/dashboard/", {"year": 2025}).content.decode()
    assert link in page
    assert client.get(link).status_code == 200


def test_the_kelurahan_table_sorts_on_the_server(client, official, program):
    client.force_login(official)
    asc = client.get("/dashboard/", {"year": 2025, "sort": "name", "dir": "asc"})
    names = [r.label for r in asc.context["kelurahan_rows"]]
    assert names == sorted(names)
    desc = client.get("/dashboard/", {"year": 2025, "sort": "participants"})
    counts = [r.participants for r in desc.context["kelurahan_rows"]]
    assert counts == sorted(counts, reverse=True)


def test_json_has_the_same_figures_and_filters(client, official_exact, program):
    official = official_exact
    client.force_login(official)
    data = client.get("/dashboard/2025.json").json()
    page = client.get("/dashboard/", {"year": 2025}).context["d"]
    assert data["participants"] == page.participants
    assert data["budget"]["committed"] == page.budget.committed
    assert sum(r["participants"] for r in data["breakdowns"]["kelurahan"]) == page.participants
    kelurahan = program["workers"][0].kelurahan
    narrowed = client.get("/dashboard/2025.json", {"kelurahan": kelurahan.pk}).json()
    assert narrowed["filters"]["kelurahan"] == kelurahan.code
    assert narrowed["participants"] == next(
        r["participants"] for r in data["breakdowns"]["kelurahan"] if r["key"] == str(kelurahan.pk)
    )
    assert client.get("/dashboard/2025.json", {"segment": "999999"}).status_code == 400
    assert client.get("/dashboard/1999.json").status_code == 404
    assert json.dumps(data)  # plain JSON types only


def test_xlsx_has_one_sheet_per_breakdown(client, official_exact, program):
    official = official_exact
    client.force_login(official)
    response = client.get("/dashboard/2025.xlsx", {"worker_type": "BPU"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 15  # summary, 11 breakdowns, trend, targeting, complaints
    assert book.sheetnames[-1] == "Pengaduan"
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    data = client.get("/dashboard/2025.json", {"worker_type": "BPU"}).json()
    assert summary["Tempat terisi"] == data["participants"]


def test_printable_report(client, official, program):
    client.force_login(official)
    response = client.get("/dashboard/2025/report/", {"worker_type": "PU"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-print" in page
    assert "dashboard.css" in page
    assert 'data-figure="complaints.klaim.overdue"' in page
    assert "?overdue=1" not in page  # no admin links on the printed page
