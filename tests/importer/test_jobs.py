"""Import jobs: saved from acceptance, failed when their process dies, retried or cancelled."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from importer import services, staging
from importer.models import ImportJob, ImportStatus
from importer.services import import_stage, job_is_stale, worker_id
from participants.models import Worker
from participants.resources import WorkerImporter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parents[1] / "fixtures" / "spreadsheets"
INTERRUPTED = (
    "Server berhenti saat impor; tidak ada data yang ditulis — unggah ulang berkasnya atau "
    "coba lagi."
)


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    settings.SIAGA_IMPORT_STAGING_DIR = tmp_path / "staging"


@pytest.fixture
def uploader():
    user = UserFactory(username="petugas", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="import_workers"))
    return user


def dead_worker() -> str:
    """This host and pid, but another start time: the way a reused pid looks."""
    return f"{socket.gethostname()}:{os.getpid()}:0"


def staged_job(user, **fields) -> ImportJob:
    data = (FILES / "clean.xlsx").read_bytes()
    job = import_stage(importer=WorkerImporter(), data=data, file_name="clean.xlsx", user=user).job
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


def url(name, job):
    return reverse(f"admin:participants_worker_import_{name}", args=[job.pk])


def test_the_job_exists_before_the_file_is_read(uploader, monkeypatch):
    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # stands for the process dying while it reads

    monkeypatch.setattr(services, "build_plan", crash)
    data = (FILES / "clean.xlsx").read_bytes()
    with pytest.raises(KeyboardInterrupt):
        import_stage(importer=WorkerImporter(), data=data, file_name="clean.xlsx", user=uploader)
    job = ImportJob.objects.get()
    assert (job.status, job.worker, job.created_by) == (ImportStatus.STAGING, worker_id(), uploader)
    assert job.importer_path == "participants.resources.WorkerImporter"


def test_liveness_by_process_on_this_host_and_by_heartbeat_elsewhere(uploader, settings):
    job = staged_job(uploader, status=ImportStatus.RUNNING, worker=worker_id())
    assert not job_is_stale(job)  # this very process
    job.worker = dead_worker()
    assert job_is_stale(job)
    settings.SIAGA_IMPORT_LEASE_SECONDS = 60
    job.worker = "another-host:12:34"
    job.heartbeat_at = timezone.now() - timezone.timedelta(seconds=30)
    assert not job_is_stale(job)
    job.heartbeat_at = timezone.now() - timezone.timedelta(seconds=90)
    assert job_is_stale(job)
    job.status = ImportStatus.PREVIEWED  # nobody works on a previewed job: never stale
    assert not job_is_stale(job)


def test_a_dead_job_is_shown_failed_and_can_be_cancelled_at_once(client, uploader):
    job = staged_job(uploader, status=ImportStatus.RUNNING, worker=dead_worker())
    staged = staging.staging_dir() / job.staged_file
    client.force_login(uploader)

    status = client.get(url("status", job)).json()
    assert status["status"] == "failed"
    assert status["next_url"] == url("progress", job)
    job.refresh_from_db()
    assert (job.interrupted, job.message, job.can_retry) == (True, INTERRUPTED, True)
    assert client.get(url("preview", job))["Location"] == url("progress", job)
    page = client.get(url("progress", job)).content.decode()
    assert INTERRUPTED in page and url("retry", job) in page and url("cancel", job) in page
    assert staged.exists()  # kept for a retry

    client.post(url("cancel", job))
    job.refresh_from_db()
    assert (job.status, job.staged_file, staged.exists()) == ("abandoned", "", False)
    assert not Worker.objects.exists()


def test_retry_queues_the_write_again(client, uploader, django_capture_on_commit_callbacks):
    job = staged_job(uploader, status=ImportStatus.FAILED, interrupted=True, message=INTERRUPTED)
    client.force_login(uploader)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url("retry", job))
    assert response["Location"] == url("progress", job)
    job.refresh_from_db()
    assert (job.status, job.interrupted, job.message) == (ImportStatus.QUEUED, False, "")
    assert len(callbacks) == 1  # the confirm task, enqueued once committed


def test_an_interrupted_job_without_its_files_can_only_be_uploaded_again(client, uploader):
    job = staged_job(uploader, status=ImportStatus.STAGING, worker=dead_worker(), staged_file="")
    client.force_login(uploader)
    page = client.get(url("progress", job)).content.decode()
    job.refresh_from_db()
    assert (job.status, job.can_retry) == (ImportStatus.FAILED, False)
    assert "Unggah ulang berkas" in page and url("retry", job) not in page
    client.post(url("retry", job))
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED


def test_a_write_whose_job_was_failed_meanwhile_is_rolled_back(uploader, monkeypatch):
    job = staged_job(uploader)
    write = WorkerImporter.write

    def write_then_get_recovered(self, rows, *, user):
        written = write(self, rows, user=user)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, interrupted=True, message=INTERRUPTED
        )
        return written

    monkeypatch.setattr(WorkerImporter, "write", write_then_get_recovered)
    outcome = services.import_confirm(
        importer=WorkerImporter(), job=job, user=uploader, skip_invalid=False
    )
    assert outcome.job.status == ImportStatus.FAILED
    assert not Worker.objects.exists()


def test_the_job_list_offers_retry_and_cancel_to_the_uploader_only(admin_client, client, uploader):
    uploader.user_permissions.add(Permission.objects.get(codename="view_importjob"))
    mine = staged_job(uploader, status=ImportStatus.RUNNING, worker=dead_worker())
    client.force_login(uploader)
    changelist = reverse("admin:importer_importjob_changelist")
    page = client.get(changelist).content.decode()
    mine.refresh_from_db()
    assert mine.status == ImportStatus.FAILED  # the list recovered it
    assert "retry_jobs" in page and "cancel_jobs" in page

    other = UserFactory(username="lain", is_staff=True)
    other.user_permissions.add(Permission.objects.get(codename="import_workers"))
    other.user_permissions.add(Permission.objects.get(codename="view_importjob"))
    client.force_login(other)
    client.post(changelist, {"action": "cancel_jobs", "_selected_action": [mine.pk]})
    mine.refresh_from_db()
    assert mine.status == ImportStatus.FAILED  # not theirs

    viewer = UserFactory(username="pembaca", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_importjob"))
    client.force_login(viewer)
    assert "retry_jobs" not in client.get(changelist).content.decode()  # no import permission

    client.force_login(uploader)
    client.post(changelist, {"action": "cancel_jobs", "_selected_action": [mine.pk]})
    mine.refresh_from_db()
    assert (mine.status, mine.staged_file) == (ImportStatus.ABANDONED, "")
