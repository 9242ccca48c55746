"""The flows staff and officials rely on, in a real browser (Debian's Chromium)."""

import datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import PIMPINAN, VERIFIKATOR
from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear, QuotaTarget
from enrollment.premiums import first_of_next_month
from enrollment.services import program_year_copy_rates
from participants.models import Worker, WorkerType
from tests.enrollment.factories import ProgramYearFactory
from tests.factories import UserFactory, WorkerFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spreadsheets"


def test_import_a_spreadsheet_through_preview_and_confirm(page, login):
    login(UserFactory(username="operator", is_superuser=True))
    page.goto("/admin/participants/worker/")
    page.click("a.import_link")
    page.set_input_files("input[type=file]", str(FIXTURES / "clean.xlsx"))
    page.click("input[type=submit].default")
    counts = {
        kind: page.inner_text(f"#import-counts .count-{kind}")
        for kind in ("new", "updated", "unchanged", "invalid")
    }
    assert counts == {"new": "4", "updated": "0", "unchanged": "0", "invalid": "0"}
    assert Worker.objects.count() == 0  # nothing written before confirming
    page.click("form.import-confirm input[type=submit].default")
    page.wait_for_selector(".messagelist")
    assert page.inner_text(".messagelist").strip() == (
        "Impor selesai: 4 baru, 0 diperbarui, 0 tidak berubah, 0 baris tidak valid dilewati."
    )
    assert Worker.objects.count() == 4
    assert Worker.objects.filter(full_name="Budi Santoso", kelurahan__name="Oro-oro Ombo").exists()


def test_verify_enrollments_with_a_bulk_action(page, login):
    # The browser runs on today's date: a proposal made now starts on the first of next month.
    starts = first_of_next_month(timezone.localdate())
    source = ProgramYear.objects.get(year=2024)  # the rates the data migration loads
    year = ProgramYearFactory(year=starts.year, budget=10_000_000, status="berjalan")
    if year.pk != source.pk and not year.rates.exists():
        program_year_copy_rates(program_year=year, source=source)
    QuotaTarget.objects.create(program_year=year, worker_type=WorkerType.BPU, target=2)
    from enrollment.services import enrollment_propose

    workers = WorkerFactory.create_batch(3, birth_date=datetime.date(1985, 1, 1))
    for worker in workers:
        enrollment_propose(worker=worker, program_year=year, user=None)
    verifier = UserFactory(username="verifikator")
    verifier.groups.add(Group.objects.get(name=VERIFIKATOR))
    login(verifier)
    page.goto("/admin/enrollment/enrollment/")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "verify_selected")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    messages = page.locator(".messagelist > li").all_inner_texts()
    verified = Enrollment.objects.filter(status=EnrollmentStatus.VERIFIED).count()
    assert verified == 2  # the quota of 2 is a hard limit
    assert messages[0] == "2 kepesertaan diverifikasi."
    assert messages[1].startswith("1 kepesertaan tidak diubah:")
    refused = Enrollment.objects.get(status=EnrollmentStatus.PROPOSED).worker
    assert refused.full_name in messages[1] and "kuota" in messages[1].lower()


def test_the_dashboard_renders_charts_and_numbers_for_an_official(page):
    official = UserFactory(username="pimpinan", is_staff=False)
    official.groups.add(Group.objects.get(name=PIMPINAN))
    page.goto("/dashboard/login/")
    page.fill("#id_username", "pimpinan")
    page.fill("#id_password", "rahasia-sekali-123")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_selector("svg")
    assert page.locator("svg").count() >= 3
    assert page.locator("svg title").count() >= 1  # text alternatives
    assert "Rp" in page.inner_text("body")


def test_an_official_cannot_reach_personal_data(page):
    worker = WorkerFactory()
    official = UserFactory(username="pimpinan", is_staff=False)
    official.groups.add(Group.objects.get(name=PIMPINAN))
    page.goto("/dashboard/login/")
    page.fill("#id_username", "pimpinan")
    page.fill("#id_password", "rahasia-sekali-123")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_selector("svg")
    assert worker.nik not in page.content()
    page.goto(f"/admin/participants/worker/{worker.pk}/change/")
    assert "/admin/login/" in page.url
    assert worker.nik not in page.content() and worker.full_name not in page.content()
