"""The staff header (admin ↔ dashboard ↔ priority list ↔ imports) and the admin home by work."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.roles import ADMINISTRATOR, OPERATOR, PIMPINAN, VERIFIKATOR
from enrollment.models import EnrollmentStatus
from importer.models import ImportJob, ImportStatus
from targeting.models import TargetingRule
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<a href="([^"]+)" data-nav="([a-z]+)"')
STAFF_ROLES = {OPERATOR: True, VERIFIKATOR: True, ADMINISTRATOR: True, PIMPINAN: False}


def user_in(role: str, *, staff: bool | None = None):
    user = UserFactory(
        username=f"u-{role.lower()}", is_staff=STAFF_ROLES[role] if staff is None else staff
    )
    user.groups.add(Group.objects.get(name=role))
    return user


def nav_links(client: Client, url: str) -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return {key: href for href, key in NAV.findall(response.content.decode())}


@pytest.fixture
def rule():
    year = ProgramYearFactory(year=2025, status="perencanaan")
    return TargetingRule.objects.get_or_create(program_year=year)[0]


EXPECTED = {
    OPERATOR: {"admin", "workers", "imports", "enrollments", "priority", "complaints", "dashboard"},
    VERIFIKATOR: {
        "admin",
        "workers",
        "imports",
        "enrollments",
        "priority",
        "complaints",
        "dashboard",
    },
    ADMINISTRATOR: {
        "admin",
        "workers",
        "imports",
        "enrollments",
        "priority",
        "complaints",
        "dashboard",
    },
    PIMPINAN: {"dashboard"},
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_it_shows_each_role_the_links_it_can_open_and_every_one_opens(client, role, rule):
    user = user_in(role)
    client.force_login(user)
    start = "/dashboard/" if role == PIMPINAN else "/admin/"
    links = nav_links(client, start)
    assert set(links) == EXPECTED[role]
    for key, href in links.items():
        response = client.get(href)
        assert response.status_code == 200, (role, key, href)
        # The same header on the page the link leads to.
        assert set(nav_links(client, href)) == EXPECTED[role]


def test_it_links_imports_by_what_the_user_may_do(client):
    client.force_login(user_in(OPERATOR))
    assert nav_links(client, "/admin/")["imports"] == "/admin/participants/worker/import/"
    client.force_login(user_in(VERIFIKATOR))
    assert nav_links(client, "/admin/")["imports"] == "/admin/importer/importjob/"


def test_it_leads_to_the_priority_list_of_the_latest_open_year(client, rule):
    ProgramYearFactory(year=2024)
    TargetingRule.objects.get_or_create(
        program_year__year=2024, defaults={"program_year": ProgramYearFactory(year=2024)}
    )
    client.force_login(user_in(OPERATOR))
    assert (
        nav_links(client, "/admin/")["priority"]
        == f"/admin/targeting/targetingrule/{rule.pk}/priority/"
    )


def test_it_marks_the_current_page(client):
    client.force_login(user_in(OPERATOR))
    html = client.get("/admin/participants/worker/").content.decode()
    assert re.search(r'data-nav="workers" aria-current="page"', html)
    assert not re.search(r'data-nav="admin" aria-current="page"', html)


def test_it_shows_no_admin_link_to_staff_without_staff_status(client):
    # A verifikator account created without "staff status": the admin would refuse it.
    client.force_login(user_in(VERIFIKATOR, staff=False))
    assert set(nav_links(client, "/dashboard/")) == {"dashboard"}
    html = client.get("/dashboard/").content.decode()
    assert "/admin/participants/worker/?kelurahan" not in html  # no drill-down links either


def test_it_gives_the_drill_down_links_to_staff_who_may_see_workers(client):
    client.force_login(user_in(OPERATOR))
    html = client.get("/dashboard/").content.decode()
    assert "/admin/participants/worker/?kelurahan__id__exact=" in html


def test_an_anonymous_login_page_has_no_staff_links(client):
    assert nav_links(client, "/admin/login/") == {}
    assert nav_links(client, "/dashboard/login/") == {}


# --- the admin home ------------------------------------------------------------------------


def sections(html: str) -> list[str]:
    return re.findall(r'<span class="section">([^<]+)</span>', html)


def test_the_home_is_organised_by_the_offices_work_for_an_administrator(client, superuser):
    client.force_login(superuser)
    html = client.get("/admin/").content.decode()
    assert sections(html) == [
        "Registri",
        "Usulan dan pemutakhiran data",
        "Tahun program dan kuota",
        "BPJS",
        "Tagihan dan klaim",
        "Tepat sasaran",
        "Pengaduan dan pesan",
        "Pengaturan",
    ]
    shown = " ".join(
        sections(html) + re.findall(r'<th scope="row"[^>]*><a [^>]+>([^<]+)</a>', html)
    )
    assert "axes" not in shown.lower() and "task" not in shown.lower()
    assert "Upaya masuk (akun terkunci)" in shown
    assert "Tugas latar belakang" in html  # the task results, under an Indonesian name


def test_operators_see_no_library_sections(client):
    client.force_login(user_in(OPERATOR))
    html = client.get("/admin/").content.decode()
    # BPJS: other payers' cover lists, which operators may look at (no library sections).
    assert sections(html) == [
        "Registri",
        "Usulan dan pemutakhiran data",
        "Tahun program dan kuota",
        "BPJS",
        "Tepat sasaran",
        "Pengaduan dan pesan",
        "Pengaturan",
    ]
    assert "/admin/axes/" not in html and "django_tasks" not in html


def todo_rows(html: str) -> list[tuple[str, str, int]]:
    block = html.split('id="todo"')[1].split("</table>")[0]
    return [
        (href.replace("&amp;", "&"), label, int(n))
        for href, label, n in re.findall(
            r'<a href="([^"]+)">([^<]+)</a></th><td class="siaga-count">(\d+)</td>', block
        )
    ]


def test_the_home_lists_what_waits_for_a_verifikator_with_counts_and_links(client):
    year = ProgramYearFactory(year=2024)
    EnrollmentFactory.create_batch(3, program_year=year)
    priced = {
        "monthly_premium": 16_800,
        "monthly_premium_micro": 16_800_000_000,
        "committed_amount": 201_600,
        "committed_micro": 201_600_000_000,
    }
    EnrollmentFactory.create_batch(2, program_year=year, status=EnrollmentStatus.VERIFIED, **priced)
    EnrollmentFactory(program_year=year, status=EnrollmentStatus.SUBMITTED, **priced)
    EnrollmentFactory(
        program_year=year, status=EnrollmentStatus.ACTIVE, kpj_number="12345678901", **priced
    )
    closed = ProgramYearFactory(year=2023, status="ditutup")
    EnrollmentFactory(program_year=closed)  # a closed year waits for nobody
    client.force_login(user_in(VERIFIKATOR))
    rows = todo_rows(client.get("/admin/").content.decode())
    base = f"/admin/enrollment/enrollment/?program_year__id__exact={year.pk}&status__exact="
    assert rows == [
        (base + "diusulkan", "Usulan untuk diverifikasi, 2024", 3),
        (base + "diverifikasi", "Terverifikasi, untuk didaftarkan ke BPJS, 2024", 2),
        (base + "didaftarkan", "Jawaban BPJS ditunggu, 2024", 1),
    ]
    for href, _label, n in rows:
        response = client.get(href)
        assert response.status_code == 200
        assert response.content.decode().count('class="action-select"') == n


def test_the_home_lists_an_operators_imports_to_confirm_and_not_others(client):
    operator = user_in(OPERATOR)
    other = UserFactory(username="lain")
    mine = ImportJob.objects.create(
        kind="workers",
        file_name="daftar.xlsx",
        created_by=operator,
        status=ImportStatus.PREVIEWED,
        rows_total=12,
    )
    ImportJob.objects.create(
        kind="workers",
        file_name="punya-orang-lain.xlsx",
        created_by=other,
        status=ImportStatus.PREVIEWED,
        rows_total=5,
    )
    ImportJob.objects.create(
        kind="workers",
        file_name="selesai.xlsx",
        created_by=operator,
        status=ImportStatus.IMPORTED,
        rows_total=7,
    )
    EnrollmentFactory(program_year=ProgramYearFactory(year=2024))
    client.force_login(operator)
    rows = todo_rows(client.get("/admin/").content.decode())
    assert rows == [
        (
            f"/admin/participants/worker/import/{mine.pk}/",
            "Impor untuk dikonfirmasi: daftar.xlsx (Impor pekerja)",
            12,
        )
    ]


def test_an_official_never_reaches_the_admin_home(client):
    client.force_login(user_in(PIMPINAN))
    assert client.get("/admin/").status_code == 302


def test_the_home_counts_in_a_few_queries(client, django_assert_max_num_queries):
    year = ProgramYearFactory(year=2024)
    EnrollmentFactory.create_batch(5, program_year=year)
    client.force_login(user_in(ADMINISTRATOR))
    # Session, user, profile/language, permissions, then one grouped query per to-do source
    # (imports, complaints, proposals, program years, enrollments, targeting, recent
    # actions) and the session's save: the number does not grow with the data.
    with django_assert_max_num_queries(16):
        assert client.get("/admin/").status_code == 200
    EnrollmentFactory.create_batch(20, program_year=year)
    with django_assert_max_num_queries(16):
        assert client.get("/admin/").status_code == 200
