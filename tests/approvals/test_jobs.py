"""Long documents run as background jobs with a progress page (like imports); small ones
stay immediate. The file waits in the database, for who may generate documents, until it
expires."""

import datetime
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import jobs, services
from approvals.documents import generate
from approvals.models import (
    DocumentJob,
    DocumentJobStatus,
    DocumentKind,
    GeneratedDocument,
)
from tests.importer.helpers import run_worker


@pytest.fixture
def approved(year, verified, verifikator, kabid):
    batch = services.batch_prepare(program_year=year, user=verifikator)
    return services.batch_approve(batch=batch, user=kabid)


@pytest.fixture
def small_limit(settings):
    """Five approved rows count as a long document."""
    settings.SIAGA_DOCUMENT_BACKGROUND_ROWS = 2


def ask(client, **params):
    return client.get(reverse("admin:approvals_document"), {"year": 2024, **params})


@pytest.mark.parametrize("file_format", ["pdf", "xlsx"])
def test_a_long_document_is_queued_followed_and_downloaded(
    client, year, approved, kabid, small_limit, django_capture_on_commit_callbacks, file_format
):
    client.force_login(kabid)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, kind=DocumentKind.LAMPIRAN_SK, format=file_format)
    job = DocumentJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:approvals_document_job", args=[job.pk])
    assert (job.status, job.rows, job.requested_by) == (DocumentJobStatus.QUEUED, 5, kabid)
    assert not GeneratedDocument.objects.exists()  # nothing made within the request
    page = client.get(response["Location"]).content.decode()
    assert 'id="document-progress"' in page and "sekitar 5 baris" in page
    status_url = reverse("admin:approvals_document_job_status", args=[job.pk])
    assert client.get(status_url).json()["download_url"] == ""

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.progress) == (DocumentJobStatus.DONE, 100)
    state = client.get(status_url).json()
    assert state["status_display"] == "Siap"
    download = client.get(state["download_url"])
    assert download["Content-Disposition"] == f'attachment; filename="{job.filename}"'
    record = GeneratedDocument.objects.get()
    assert (record.generated_by, record.kind, record.file_format) == (
        kabid,
        DocumentKind.LAMPIRAN_SK,
        file_format,
    )
    assert download["X-Content-SHA256"] == record.sha256
    assert hashlib.sha256(download.content).hexdigest() == record.sha256
    # The same bytes as made within a request.
    direct = generate(DocumentKind.LAMPIRAN_SK, program_year=year, file_format=file_format)
    assert direct.content == download.content


def test_small_documents_stay_immediate(client, year, approved, kabid):
    client.force_login(kabid)
    response = ask(client, kind=DocumentKind.LAMPIRAN_SK, format="pdf")
    assert response["Content-Disposition"].startswith("attachment")
    assert not DocumentJob.objects.exists()


def test_who_may_follow_and_download_a_job(
    client, year, approved, kabid, verifikator, operator, pimpinan, small_limit
):
    job = jobs.document_job_start(
        kind=DocumentKind.REKAP, program_year=year, file_format="pdf", user=kabid
    )
    jobs.document_job_run(job.pk)
    urls = [
        reverse(name, args=[job.pk])
        for name in (
            "admin:approvals_document_job",
            "admin:approvals_document_job_status",
            "admin:approvals_document_job_download",
        )
    ]
    client.force_login(verifikator)  # may generate documents: may download this one too
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    client.force_login(operator)
    assert [client.get(url).status_code for url in urls] == [403, 403, 403]
    client.force_login(pimpinan)
    assert {client.get(url).status_code for url in urls} == {403}


def test_a_refused_document_fails_the_job_with_the_reason(year, kabid, small_limit):
    """No approved batch: the SK attachment is refused, and the job says why."""
    job = jobs.document_job_start(
        kind=DocumentKind.LAMPIRAN_SK, program_year=year, file_format="pdf", user=kabid
    )
    job = jobs.document_job_run(job.pk)
    assert job.status == DocumentJobStatus.FAILED
    assert "belum memiliki batch usulan yang disetujui" in job.message
    assert job.content is None
    assert jobs.document_job_run(job.pk) is None  # not queued any more: skipped


def test_progress_is_reported_while_rows_are_written(year, approved, kabid, monkeypatch):
    from approvals import render

    monkeypatch.setattr(render, "PROGRESS_EVERY", 2)
    seen = []
    generate(
        DocumentKind.LAMPIRAN_SK,
        program_year=year,
        progress=lambda done, total: seen.append((done, total)),
    )
    # Five participants and the totals per worker type (one row: all BPU).
    assert seen == [(2, 6), (4, 6), (6, 6)]


def test_a_job_whose_worker_died_is_failed(year, kabid, settings):
    job = jobs.document_job_start(
        kind=DocumentKind.REKAP, program_year=year, file_format="pdf", user=kabid
    )
    DocumentJob.objects.filter(pk=job.pk).update(
        status=DocumentJobStatus.RUNNING,
        worker="another-host:123:456",  # cannot be checked from here: the heartbeat decides
        heartbeat_at=timezone.now()
        - datetime.timedelta(seconds=settings.SIAGA_IMPORT_LEASE_SECONDS + 1),
    )
    job = jobs.document_job_check_alive(DocumentJob.objects.get(pk=job.pk))
    assert job.status == DocumentJobStatus.FAILED
    assert "Server berhenti" in job.message


def test_finished_jobs_and_their_files_expire(year, approved, kabid, settings):
    job = jobs.document_job_start(
        kind=DocumentKind.REKAP, program_year=year, file_format="pdf", user=kabid
    )
    jobs.document_job_run(job.pk)
    assert jobs.document_jobs_purge() == 0  # still fresh
    DocumentJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now()
        - datetime.timedelta(hours=settings.SIAGA_DOCUMENT_JOB_KEEP_HOURS + 1)
    )
    assert jobs.document_jobs_purge() == 1
    assert not DocumentJob.objects.exists()
    assert GeneratedDocument.objects.count() == 1  # the record stays
