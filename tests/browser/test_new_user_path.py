"""The first hour of a new office, as the README describes it, in a real browser at 1366 × 768.

An operator logs in, imports the candidate list, finds a worker by phone, proposes one from
the worker page and the rest from the worker list; a verifikator sees the proposals waiting on
the admin home, verifies them, is told the BPJS file waits for approval, prepares a
submission batch, a Kepala Bidang approves it, and the verifikator downloads the BPJS file
(which submits them); all reach
the dashboard from the header. Every step is screenshotted into test-artifacts/new-user-*.png
and checked against the database and the exact messages staff read.
"""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import KEPALA_BIDANG, OPERATOR, VERIFIKATOR
from approvals.models import BatchStatus, SubmissionBatch
from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear, QuotaTarget
from enrollment.services import program_year_copy_rates
from importer.models import ImportJob, ImportStatus
from participants.models import Worker, WorkerType
from tests.factories import UserFactory

from .layout import OFFICE_SCREEN, overflowing_tables, screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

User = get_user_model()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spreadsheets"
IMPORTED_NIKS = {"3577011204850001", "3577025203900002", "3577030405750003", "3577016708000004"}


@pytest.fixture
def next_year():
    """Next calendar year, in planning, with the rates copied from the latest year and quotas:
    the year an office prepares in the months before it starts."""
    year = timezone.localdate().year + 1
    program_year = ProgramYear.objects.create(
        year=year,
        budget=2_000_000_000,
        coverage_start=datetime.date(year, 1, 1),
        coverage_end=datetime.date(year, 12, 31),
        # The office sets the year's UMK, on which wage earners' (PU) premiums are priced.
        umk=Decimal("2190216.37"),
    )
    source = ProgramYear.objects.exclude(pk=program_year.pk).order_by("-year").first()
    program_year_copy_rates(program_year=program_year, source=source)
    QuotaTarget.objects.create(program_year=program_year, worker_type=WorkerType.BPU, target=10)
    QuotaTarget.objects.create(program_year=program_year, worker_type=WorkerType.PU, target=10)
    return program_year


def staff(role: str, username: str):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


def step(page, name: str) -> None:
    """Keep what the user saw, and check the page fits the screen."""
    screenshot(page, f"new-user-{name}")
    assert overflowing_tables(page) == [], name


def messages(page) -> list[str]:
    page.wait_for_selector(".messagelist")
    return [text.strip() for text in page.locator(".messagelist > li").all_inner_texts()]


def log_out(page) -> None:
    page.click("#logout-form button")


def test_a_new_office_from_login_to_the_dashboard(page, login, next_year):
    year = next_year.year
    page.set_viewport_size(OFFICE_SCREEN)

    # --- Operator: log in, import the candidate list (preview, then confirm) ---------------
    login(staff(OPERATOR, "operator"))
    page.wait_for_selector("#todo")
    assert page.inner_text("#todo").strip().endswith("Tidak ada yang menunggu Anda.")
    step(page, "01-operator-home")
    page.click("nav.siaga-nav a[data-nav=imports]")
    page.set_input_files("input[type=file]", str(FIXTURES / "clean.xlsx"))
    page.click("input[type=submit].default")
    page.wait_for_selector("#import-counts")
    counts = {
        kind: page.inner_text(f"#import-counts .count-{kind}")
        for kind in ("new", "updated", "unchanged", "invalid")
    }
    assert counts == {"new": "4", "updated": "0", "unchanged": "0", "invalid": "0"}
    step(page, "02-import-preview")
    # Left for later, the checked import waits on the admin home with its row count.
    page.click("nav.siaga-nav a[data-nav=admin]")
    waiting = page.locator("#todo a", has_text="clean.xlsx")
    assert waiting.inner_text() == "Impor untuk dikonfirmasi: clean.xlsx (Impor pekerja)"
    waiting.click()
    page.click("form.import-confirm input[type=submit].default")
    assert messages(page) == [
        "Impor selesai: 4 baru, 0 diperbarui, 0 tidak berubah, 0 baris tidak valid dilewati."
    ]
    assert set(Worker.objects.values_list("nik", flat=True)) == IMPORTED_NIKS
    assert ImportJob.objects.get().status == ImportStatus.IMPORTED
    step(page, "03-import-done")

    # --- find a worker by the phone number as people say it, propose from the worker page --
    page.fill("#searchbar", "0812 3456 7890")
    page.press("#searchbar", "Enter")
    page.wait_for_url("**/worker/?q=*")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "Budi Santoso" in rows.first.inner_text()
    rows.first.locator("th a").click()
    page.click("a.siaga-propose")
    page.select_option("#id_program_year", str(next_year.pk))
    step(page, "04-propose-from-worker-page")
    page.click("input[name=_save]")
    budi = Enrollment.objects.get(worker__full_name="Budi Santoso")
    assert (budi.program_year_id, budi.status) == (next_year.pk, EnrollmentStatus.PROPOSED)

    # --- propose the others from the worker list: action, then the year --------------------
    page.click("nav.siaga-nav a[data-nav=workers]")
    page.wait_for_selector("#result_list")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "propose_for_program_year")
    page.click("button[name=index]")
    page.select_option("#id_program_year", str(next_year.pk))
    page.select_option("#id_risk_class", "sedang")  # Cahyo Nugroho is a wage earner (PU)
    step(page, "05-propose-action")
    page.click("input[type=submit].default")
    success, refused = messages(page)
    assert success == f"3 pekerja diusulkan untuk {year}."
    assert refused.startswith("1 pekerja tidak diusulkan:") and "Budi Santoso" in refused
    assert (
        Enrollment.objects.filter(program_year=next_year, status=EnrollmentStatus.PROPOSED).count()
        == 4
    )
    assert Enrollment.objects.get(worker__full_name="Cahyo Nugroho").risk_class == "sedang"
    log_out(page)

    # --- Verifikator: what waits on the home, verify, submit, the BPJS file ---------------
    login(staff(VERIFIKATOR, "verifikator"))
    todo = page.locator("#todo a", has_text="Usulan untuk diverifikasi")
    assert todo.inner_text() == f"Usulan untuk diverifikasi, {year}"
    assert (
        page.locator("#todo tr", has_text="Usulan untuk diverifikasi")
        .locator(".siaga-count")
        .inner_text()
        == "4"
    )
    step(page, "06-verifikator-home")
    todo.click()
    page.wait_for_url("**status__exact=diusulkan")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 4
    page.check("#action-toggle")
    page.select_option("select[name=action]", "verify_selected")
    page.click("button[name=index]")
    assert messages(page) == ["4 kepesertaan diverifikasi."]
    assert Enrollment.objects.filter(status=EnrollmentStatus.VERIFIED).count() == 4
    step(page, "07-verified")

    # Nothing goes to BPJS unapproved: the file's page says so and points to the batches.
    page.click("nav.siaga-nav a[data-nav=admin]")
    page.locator("#todo a", has_text="untuk didaftarkan ke BPJS").click()
    page.wait_for_url("**status__exact=diverifikasi")
    page.goto(f"/admin/enrollment/programyear/{next_year.pk}/change/")
    page.click("text=Berkas pendaftaran BPJS (xlsx)")
    refusal = page.inner_text("#unapproved")
    assert "4 kepesertaan belum ada dalam batch usulan yang disetujui" in refusal
    page.click("text=Buka batch usulan")
    page.goto("/admin/approvals/submissionbatch/prepare/")
    page.select_option("#id_program_year", str(next_year.pk))
    page.click("input[type=submit].default")
    assert messages(page) == [f"Batch 001/SIAGA-USUL/{year} berisi 4 baris menunggu persetujuan."]
    batch = SubmissionBatch.objects.get()
    log_out(page)

    # --- Kepala Bidang approves the batch: its snapshot is frozen --------------------------
    login(staff(KEPALA_BIDANG, "kabid"))
    page.goto(f"/admin/approvals/submissionbatch/{batch.pk}/decide/")
    page.click("input[name=_approve]")
    assert messages(page)[0].startswith(f"Persetujuan Anda atas batch {batch.number} dicatat")
    batch.refresh_from_db()
    assert (batch.status, batch.snapshot_count) == (BatchStatus.APPROVED, 4)
    log_out(page)

    # Making the BPJS registration file is the step that submits the verified enrollments.
    login(User.objects.get(username="verifikator"))
    page.goto(f"/admin/enrollment/programyear/{next_year.pk}/change/")
    page.click("text=Berkas pendaftaran BPJS (xlsx)")
    with page.expect_download() as download:
        page.click("form input[type=submit].default")
    assert Enrollment.objects.filter(status=EnrollmentStatus.SUBMITTED).count() == 4
    page.goto("/admin/")
    due = page.locator("#todo tr", has_text="Jawaban BPJS ditunggu")
    assert due.locator(".siaga-count").inner_text() == "4"
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    nik_column = [str(cell).upper() for cell in rows[0]].index("NIK")
    assert {row[nik_column] for row in rows[1:]} == IMPORTED_NIKS
    step(page, "08-bpjs-file")

    # --- the dashboard, from the header --------------------------------------------------
    page.click("nav.siaga-nav a[data-nav=dashboard]")
    page.wait_for_selector("svg")
    page.select_option("#id_year", str(year))
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("svg")
    assert page.inner_text("h1") == f"Dasbor kuota {year}"
    pipeline = dict(
        (row.locator("th").inner_text(), row.locator("td").inner_text())
        for row in page.locator("#pipeline tbody tr").all()
    )
    assert pipeline["Didaftarkan ke BPJS"] == "4"
    # Back to the admin from the dashboard's header.
    assert page.locator("nav.siaga-nav a[data-nav=admin]").count() == 1
    step(page, "09-dashboard")
