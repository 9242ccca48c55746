"""The admin's Impor flow: upload, preview, confirm without re-reading, downloads, safety."""

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from importer import staging
from importer.models import ImportJob, ImportStatus
from importer.services import import_purge_stale
from participants.models import Heir, Worker
from participants.resources import WorkerResource
from tests.factories import HeirFactory, UserFactory, WorkerFactory

FILES = Path(__file__).parent.parent / "fixtures" / "spreadsheets"
IMPORT_URL = reverse("admin:participants_worker_import")
CONFIRM_URL = reverse("admin:participants_worker_process_import")
CHANGELIST_URL = reverse("admin:participants_worker_changelist")

pytestmark = pytest.mark.django_db


def upload(client, name, content=None):
    content = content if content is not None else (FILES / name).read_bytes()
    return client.post(IMPORT_URL, {"import_file": SimpleUploadedFile(name, content)})


def preview_url(job):
    return reverse("admin:participants_worker_import_preview", args=[job.pk])


@pytest.fixture(autouse=True)
def private_staging_dir(settings, tmp_path):
    settings.SIAGA_IMPORT_STAGING_DIR = tmp_path / "staging"


@pytest.fixture
def importer_client(client):
    user = UserFactory(username="petugas")
    user.user_permissions.add(
        Permission.objects.get(codename="import_workers"),
        Permission.objects.get(codename="view_worker"),
    )
    client.force_login(user)
    return client


def test_it_shows_the_import_button_and_template_link_to_those_allowed(importer_client):
    page = importer_client.get(CHANGELIST_URL).content.decode()
    assert f'<a href="{IMPORT_URL}" class="import_link">Impor</a>' in page
    assert reverse("admin:participants_worker_import_template") in page


def test_staff_without_the_permission_get_no_button_and_no_access(client):
    user = UserFactory(username="tamu")
    user.user_permissions.add(Permission.objects.get(codename="view_worker"))
    client.force_login(user)
    assert IMPORT_URL not in client.get(CHANGELIST_URL).content.decode()
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, "clean.xlsx").status_code == 403
    assert not ImportJob.objects.exists()


def test_upload_preview_confirm(importer_client):
    response = upload(importer_client, "clean.xlsx")
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == preview_url(job)
    assert not Worker.objects.exists()  # nothing written before confirmation

    page = importer_client.get(preview_url(job)).content.decode()
    assert 'class="count-new">4<' in page
    assert "Budi Santoso" in page

    response = importer_client.post(CONFIRM_URL, {"job": job.pk})
    assert response.status_code == 302
    assert Worker.objects.count() == 4
    job.refresh_from_db()
    assert (job.status, job.rows_new, job.staged_file) == (ImportStatus.IMPORTED, 4, "")
    assert job.created_by.username == "petugas"


def test_confirm_writes_the_checked_rows_without_reading_the_file_again(importer_client):
    upload(importer_client, "clean.xlsx")
    job = ImportJob.objects.get()
    staged = staging.staging_dir() / job.staged_file
    assert staged.exists()
    # The upload is gone; only the staged, checked rows remain until confirmation.
    importer_client.post(CONFIRM_URL, {"job": job.pk})
    assert Worker.objects.count() == 4
    assert not staged.exists()


def test_preview_shows_what_an_update_changes(importer_client):
    WorkerFactory(nik="3577011204850001", full_name="Budi S", birth_date="1985-04-12")
    upload(importer_client, "clean.xlsx")
    job = ImportJob.objects.get()
    assert (job.rows_new, job.rows_updated) == (3, 1)
    page = importer_client.get(preview_url(job) + "?status=updated").content.decode()
    assert "Budi S" in page and "Budi Santoso" in page
    assert "Siti Aminah" in page  # the heir to be added


def test_invalid_rows_block_confirmation_until_staff_choose_to_skip_them(importer_client):
    upload(importer_client, "problems.xlsx")
    job = ImportJob.objects.get()
    page = importer_client.get(preview_url(job) + "?status=invalid").content.decode()
    assert "Desa/Kelurahan" in page and "Atlantis" in page
    importer_client.post(CONFIRM_URL, {"job": job.pk})
    assert not Worker.objects.exists()
    job.refresh_from_db()
    assert job.status == ImportStatus.REFUSED


def test_valid_rows_can_be_imported_and_invalid_ones_downloaded(importer_client):
    upload(importer_client, "problems.xlsx")
    job = ImportJob.objects.get()
    download = importer_client.get(
        reverse("admin:participants_worker_import_invalid_rows", args=[job.pk])
    )
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(download.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["No", "NIK", "Nama Lengkap"]
    assert header[-1] == "Keterangan kesalahan"
    assert sheet.max_row == 6  # header + 5 invalid rows
    assert "Atlantis" in [c.value for c in sheet[5]]
    assert "Kelurahan" in sheet.cell(row=5, column=len(header)).value

    importer_client.post(CONFIRM_URL, {"job": job.pk, "skip_invalid": "1"})
    assert list(Worker.objects.values_list("nik", flat=True)) == ["3577011204850021"]


def test_the_fixed_invalid_rows_file_can_be_uploaded_again(importer_client):
    upload(importer_client, "problems.xlsx")
    job = ImportJob.objects.get()
    download = importer_client.get(
        reverse("admin:participants_worker_import_invalid_rows", args=[job.pk])
    )
    upload(importer_client, "baris-salah.xlsx", download.content)
    again = ImportJob.objects.latest("pk")
    assert again.rows_total == 5
    assert again.status == ImportStatus.PREVIEWED


def test_preview_is_paginated(importer_client):
    lines = ["NIK,Nama,Tgl Lahir,JK,Kelurahan,Jenis Pekerja,Kategori"]
    lines += [f"35770112048{n:05d},Pekerja {n},12-04-1985,L,Klegen,BPU,PKL" for n in range(1, 71)]
    upload(importer_client, "banyak.csv", "\n".join(lines).encode())
    job = ImportJob.objects.get()
    first = importer_client.get(preview_url(job)).content.decode()
    second = importer_client.get(preview_url(job) + "?page=2").content.decode()
    assert "Pekerja 1<" not in second and "Pekerja 1" in first
    assert "Pekerja 70" in second


def test_a_failure_part_way_writes_nothing(importer_client):
    """All-or-nothing: the heir insert fails after workers were inserted and updated."""
    budi = WorkerFactory(nik="3577011204850001", full_name="Budi S", birth_date="1985-04-12")
    upload(importer_client, "clean.xlsx")
    job = ImportJob.objects.get()
    assert (job.rows_new, job.rows_updated) == (3, 1)
    # Between preview and confirm someone records the same heir NIK by hand: the bulk insert
    # of heirs then violates heir_unique_nik_per_worker, after the worker writes succeeded.
    HeirFactory(worker=budi, name="Siti", nik="3577014102870003")
    importer_client.post(CONFIRM_URL, {"job": job.pk})
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert Worker.objects.count() == 1
    budi.refresh_from_db()
    assert budi.full_name == "Budi S"
    assert Heir.objects.count() == 1
    assert job.staged_file == ""


def test_unreadable_uploads_are_explained_and_recorded(importer_client):
    response = upload(importer_client, "corrupt.xlsx")
    assert response.status_code == 200
    assert ImportJob.objects.get().status == ImportStatus.UNREADABLE
    assert ImportJob.objects.get().message in response.content.decode()


def test_files_over_the_limit_are_refused_before_reading(importer_client, settings):
    settings.SIAGA_IMPORT_MAX_BYTES = 1000
    response = upload(importer_client, "clean.xlsx")
    assert response.status_code == 200
    assert not ImportJob.objects.exists() or ImportJob.objects.get().status != "previewed"
    assert not Worker.objects.exists()


def test_cancel_deletes_the_staged_rows(importer_client):
    upload(importer_client, "clean.xlsx")
    job = ImportJob.objects.get()
    staged = staging.staging_dir() / job.staged_file
    importer_client.post(reverse("admin:participants_worker_import_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.ABANDONED
    assert not staged.exists()
    assert importer_client.post(CONFIRM_URL, {"job": job.pk}).status_code == 302
    assert not Worker.objects.exists()


def test_stale_staged_files_are_purged_and_their_jobs_closed(importer_client):
    upload(importer_client, "clean.xlsx")
    job = ImportJob.objects.get()
    staged = staging.staging_dir() / job.staged_file
    assert import_purge_stale(max_age=-1) == 1
    assert not staged.exists()
    job.refresh_from_db()
    assert (job.status, job.staged_file) == (ImportStatus.ABANDONED, "")
    call_command("purge_imports")  # the cron-able command runs cleanly when nothing is stale


def test_another_member_of_staff_cannot_see_someone_elses_preview(importer_client, client):
    upload(importer_client, "clean.xlsx")
    job = ImportJob.objects.get()
    other = UserFactory(username="lain")
    other.user_permissions.add(Permission.objects.get(codename="import_workers"))
    client.force_login(other)
    assert client.get(preview_url(job)).status_code == 403
    assert client.post(CONFIRM_URL, {"job": job.pk}).status_code == 403


def test_the_official_template_round_trips(importer_client):
    response = importer_client.get(reverse("admin:participants_worker_import_template"))
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[0] == "Data Pekerja"
    sheet = workbook["Data Pekerja"]
    headers = [c.value for c in sheet[1]]
    assert headers[:2] == ["NIK", "Nama"]
    assert sheet.cell(row=2, column=1).number_format == "@"  # NIK column is text
    assert len(workbook.sheetnames) == 2  # plus instructions
    values = {
        "NIK": "3577011204850031", "Nama": "Joko", "Tanggal Lahir": "12-04-1985",
        "Jenis Kelamin": "L", "Kelurahan": "Klegen", "Jenis Pekerja": "BPU", "Kategori": "PKL",
        "No HP": "081234567890",
    }  # fmt: skip
    for column, header in enumerate(headers, start=1):
        if header in values:
            sheet.cell(row=2, column=column, value=values[header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload(importer_client, "isi.xlsx", buffer.getvalue())
    job = ImportJob.objects.get()
    assert (job.rows_new, job.rows_invalid) == (1, 0)


def test_import_jobs_are_visible_in_the_admin(admin_client):
    upload(admin_client, "clean.xlsx")
    page = admin_client.get(reverse("admin:importer_importjob_changelist")).content.decode()
    assert "clean.xlsx" in page
    job = ImportJob.objects.get()
    assert (
        admin_client.get(reverse("admin:importer_importjob_change", args=[job.pk])).status_code
        == 200
    )


def test_exports_escape_formula_looking_text():
    WorkerFactory(address='=HYPERLINK("http://x")', full_name="Budi")
    dataset = WorkerResource().export()
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert row["Alamat"] == '\'=HYPERLINK("http://x")'
    assert row["No HP"] == "+6281234567890"


def test_the_export_page_opens(admin_client):
    assert admin_client.get(reverse("admin:participants_worker_export")).status_code == 200


def test_the_preview_masks_niks_for_staff_without_the_full_nik_permission(importer_client):
    upload(importer_client, "clean.xlsx")
    job = ImportJob.objects.get()
    niks = [r.key for r in staging_plan(job).rows]
    page = importer_client.get(preview_url(job)).content.decode()
    for nik in niks:
        assert nik not in page
        assert f"{nik[:4]}********{nik[-4:]}" in page
    user = job.created_by
    user.user_permissions.add(Permission.objects.get(codename="view_full_nik"))
    importer_client.force_login(user)
    assert niks[0] in importer_client.get(preview_url(job)).content.decode()


def staging_plan(job):
    from importer.services import import_staged_plan

    return import_staged_plan(job)
