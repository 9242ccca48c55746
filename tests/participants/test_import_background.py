"""Long files go to the database-backed task queue; a progress page follows them."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from importer import staging
from importer.models import ImportJob, ImportStatus
from importer.services import import_stage_queued
from participants.models import Worker
from participants.resources import WorkerImporter
from tests.factories import UserFactory
from tests.importer.helpers import run_worker

FILES = Path(__file__).parent.parent / "fixtures" / "spreadsheets"
IMPORT_URL = reverse("admin:participants_worker_import")
CONFIRM_URL = reverse("admin:participants_worker_process_import")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def every_file_is_long(settings, tmp_path):
    settings.SIAGA_IMPORT_STAGING_DIR = tmp_path / "staging"
    settings.SIAGA_IMPORT_BACKGROUND_BYTES = 0


@pytest.fixture
def importer_client(client):
    user = UserFactory(username="petugas")
    user.user_permissions.add(Permission.objects.get(codename="import_workers"))
    client.force_login(user)
    return client


def url(name, job):
    return reverse(f"admin:participants_worker_import_{name}", args=[job.pk])


def upload(client, name="clean.xlsx"):
    data = (FILES / name).read_bytes()
    return client.post(IMPORT_URL, {"import_file": SimpleUploadedFile(name, data)})


def test_the_db_worker_runs_the_check_and_the_write(
    importer_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(importer_client)
    job = ImportJob.objects.get()
    assert response["Location"] == url("progress", job)
    assert job.status == ImportStatus.QUEUED
    upload_path = staging.staging_dir() / job.upload_file
    assert upload_path.exists()

    progress_page = importer_client.get(url("progress", job)).content.decode()
    assert 'id="import-progress"' in progress_page
    assert importer_client.get(url("status", job)).json()["next_url"] is None

    run_worker()
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows_new) == (ImportStatus.PREVIEWED, 100, 4)
    assert not upload_path.exists()  # the worker deleted the upload once read
    assert importer_client.get(url("status", job)).json()["next_url"] == url("preview", job)

    with django_capture_on_commit_callbacks(execute=True):
        response = importer_client.post(CONFIRM_URL, {"job": job.pk})
    assert response["Location"] == url("progress", job)
    assert not Worker.objects.exists()
    run_worker()
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTED
    assert Worker.objects.count() == 4
    assert importer_client.get(url("status", job)).json()["next_url"] == reverse(
        "admin:participants_worker_changelist"
    )


def test_the_page_says_so_when_no_worker_is_running(importer_client):
    upload(importer_client)
    job = ImportJob.objects.get()
    assert importer_client.get(url("status", job)).json()["worker_missing"] is False
    ImportJob.objects.filter(pk=job.pk).update(
        queued_at=timezone.now() - timezone.timedelta(minutes=1)
    )
    assert importer_client.get(url("status", job)).json()["worker_missing"] is True
    page = importer_client.get(url("progress", job)).content.decode()
    assert "make run" in page


def test_an_unreadable_long_file_is_reported(importer_client):
    upload(importer_client, "corrupt.xlsx")
    job = ImportJob.objects.get()
    import_stage_queued(importer=WorkerImporter(), job_id=job.pk)  # what the worker runs
    job.refresh_from_db()
    assert job.status == ImportStatus.UNREADABLE
    assert job.upload_file == ""
    assert importer_client.get(url("status", job)).json()["next_url"] == IMPORT_URL


def test_a_ticked_identity_conflict_is_written_by_the_worker_and_no_other(
    importer_client, django_capture_on_commit_callbacks
):
    import datetime

    from tests.factories import WorkerFactory

    budi = WorkerFactory(
        nik="3577011204850001", full_name="Budi Santoso", birth_date=datetime.date(1985, 4, 12)
    )
    ani = WorkerFactory(
        nik="3577025203900002", full_name="Ani Lestari", birth_date=datetime.date(1990, 3, 12)
    )
    content = (
        b"NIK,Nama,Tgl Lahir,JK,Kelurahan,Jenis Pekerja,Kategori\n"
        b"3577011204850001,Slamet,01-01-1970,L,Kartoharjo,BPU,PKL\n"
        b"3577025203900002,Sri,02-02-1971,P,Kartoharjo,BPU,PKL\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        importer_client.post(IMPORT_URL, {"import_file": SimpleUploadedFile("daftar.csv", content)})
    run_worker()
    job = ImportJob.objects.get()
    assert (job.status, job.rows_conflict) == (ImportStatus.PREVIEWED, 2)
    with django_capture_on_commit_callbacks(execute=True):
        importer_client.post(CONFIRM_URL, {"job": job.pk, "accept_conflict": "3"})
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.accepted_conflicts) == (ImportStatus.IMPORTED, [3])
    budi.refresh_from_db()
    ani.refresh_from_db()
    assert (budi.full_name, ani.full_name) == ("Budi Santoso", "Sri")
