"""At 1366 × 768 (the office's screens) the busy pages fit without sideways scrolling.

Each page is filled with long values (the longest segment name, long worker and heir names,
every premium rate and quota), screenshotted into test-artifacts/, and checked with JS: no
table is wider than its container and the page is not wider than the window.
"""

import datetime

import pytest
from django.contrib.auth.models import Group

from accounts.roles import OPERATOR, PIMPINAN
from enrollment.models import EnrollmentStatus, ProgramYear, QuotaTarget
from participants.models import Kecamatan, Segment, WorkerType
from tests.enrollment.factories import EnrollmentFactory
from tests.factories import HeirFactory, UserFactory, WorkerFactory

from .layout import OFFICE_SCREEN, overflowing_tables, screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

LONG_NAME = "Raden Ayu Sri Wahyuningsih Kusumawardhani Purbaningrum"


@pytest.fixture
def office(page):
    page.set_viewport_size(OFFICE_SCREEN)
    return page


@pytest.fixture
def busy_year():
    """2024 with every rate (migration), quotas per segment and kecamatan, and participants."""
    year = ProgramYear.objects.get(year=2024)
    year.budget = 5_000_000_000
    year.status = "berjalan"
    year.save()
    QuotaTarget.objects.create(program_year=year, worker_type=WorkerType.BPU, target=14_000)
    QuotaTarget.objects.create(program_year=year, worker_type=WorkerType.PU, target=600)
    for segment in Segment.objects.order_by("sort_order")[:6]:
        QuotaTarget.objects.create(
            program_year=year, worker_type=WorkerType.BPU, segment=segment, target=800
        )
    for kecamatan in Kecamatan.objects.all():
        QuotaTarget.objects.create(
            program_year=year, worker_type=WorkerType.BPU, kecamatan=kecamatan, target=5000
        )
    longest = max(Segment.objects.all(), key=lambda s: len(s.name))
    workers = []
    for n, segment in enumerate(Segment.objects.all()):
        worker = WorkerFactory(
            full_name=f"{LONG_NAME} {n}",
            segment=segment if n else longest,
            address="Jalan Raya Panglima Sudirman Gang Mawar Merah Nomor 123 B",
            phone="+6281234567890",
            birth_date=datetime.date(1980, 1, 1),
        )
        HeirFactory(worker=worker, name=f"{LONG_NAME} Putri {n}")
        workers.append(worker)
    for worker in workers[:8]:
        EnrollmentFactory(
            worker=worker,
            program_year=year,
            status=EnrollmentStatus.VERIFIED,
            monthly_premium=16_800,
            committed_amount=201_600,
        )
    return year, workers


def check(page, url: str, name: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    screenshot(page, f"1366-{name}")
    assert overflowing_tables(page) == [], name


def test_staff_pages_fit_an_office_screen(office, login, busy_year):
    year, workers = busy_year
    login(UserFactory(username="admin", is_superuser=True))
    check(office, "/admin/", "admin-home")
    check(office, "/admin/participants/worker/", "worker-list")
    check(office, f"/admin/participants/worker/{workers[0].pk}/change/", "worker-page-heirs")
    check(office, "/admin/participants/heir/", "heirs-list")
    check(office, f"/admin/enrollment/programyear/{year.pk}/change/", "program-year-rates")
    check(office, "/admin/enrollment/enrollment/", "enrollment-list")
    check(office, "/dashboard/?year=2024", "dashboard-staff")


def test_an_operator_sees_the_worker_list_fit_too(office, login, busy_year):
    operator = UserFactory(username="operator")
    operator.groups.add(Group.objects.get(name=OPERATOR))
    login(operator)
    check(office, "/admin/participants/worker/", "worker-list-operator")
    # The columns staff filter by are on screen, not scrolled off to the right.
    header = office.inner_text("#result_list thead")
    for column in ("Status DTKS", "Hidup", "Aktif"):
        assert column.lower() in header.lower()
        cell = office.locator("#result_list thead th", has_text=column).first
        box = cell.bounding_box()
        assert box["x"] + box["width"] <= OFFICE_SCREEN["width"], column


def test_the_dashboard_and_its_print_fit_for_an_official(office, busy_year):
    official = UserFactory(username="pimpinan", is_staff=False)
    official.groups.add(Group.objects.get(name=PIMPINAN))
    office.goto("/dashboard/login/")
    office.fill("#id_username", "pimpinan")
    office.fill("#id_password", "rahasia-sekali-123")
    office.click("button[type=submit], input[type=submit]")
    office.wait_for_selector("svg")
    check(office, "/dashboard/?year=2024", "dashboard-official")
    check(office, "/dashboard/2024/report/", "dashboard-report")


def test_the_printed_report_wraps_long_segment_labels(office, busy_year):
    official = UserFactory(username="pimpinan", is_staff=False)
    official.groups.add(Group.objects.get(name=PIMPINAN))
    office.goto("/dashboard/login/")
    office.fill("#id_username", "pimpinan")
    office.fill("#id_password", "rahasia-sekali-123")
    office.click("button[type=submit], input[type=submit]")
    office.wait_for_selector("svg")
    office.goto("/dashboard/2024/report/")
    office.emulate_media(media="print")
    # A4 portrait's printable width at 96 dpi (210 mm − margins): about 720 px.
    office.set_viewport_size({"width": 720, "height": 1000})
    longest = max(Segment.objects.all(), key=lambda s: len(s.name)).name
    label = office.locator("#segment table.data th[scope=row]", has_text=longest)
    assert label.is_visible()
    # Whole on the page: inside the printable width, not cut by its cell.
    box = label.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 720
    # The SVG chart, whose labels cannot wrap, gives way to the table in print.
    assert office.locator("#segment .chart-wrap").is_hidden()
    artifact = screenshot(office, "print-report-a4")
    assert artifact.exists()
    assert overflowing_tables(office) == []
    # The label is whole on the page: not cut by its cell (no ellipsis, no hidden overflow).
    clipped = label.evaluate("(el) => el.scrollWidth > el.clientWidth + 1")
    assert not clipped
    office.pdf(path=str(artifact.with_suffix(".pdf")), format="A4")
