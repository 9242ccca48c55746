"""The DTKS request list: who may download it, what it holds, and that every download is logged."""

import datetime
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from openpyxl import load_workbook

from participants.models import DtksStatus
from participants.privacy import mask_identity_number
from targeting.models import ExportLog
from tests.factories import WorkerFactory
from tests.targeting.conftest import user_with

pytestmark = pytest.mark.django_db

WORKERS_URL = reverse("admin:participants_worker_changelist")
DTKS_URL = reverse("admin:targeting_dtkscheck_changelist")


def run_action(client, url, workers, query=""):
    return client.post(
        f"{url}{query}",
        {
            "action": "download_dtks_request_list",
            ACTION_CHECKBOX_NAME: [w.pk for w in workers],
        },
    )


def sheet_rows(response):
    workbook = load_workbook(io.BytesIO(response.content))
    return [list(r) for r in workbook.active.iter_rows(values_only=True)]


@pytest.fixture
def exporter(client):
    client.force_login(
        user_with("view_worker", "view_dtkscheck", "export_personal_data", "view_full_nik")
    )
    return client


def test_it_downloads_exactly_what_the_check_needs(exporter):
    worker = WorkerFactory(full_name="Siti Aminah", birth_date=datetime.date(1985, 3, 4))

    response = run_action(exporter, WORKERS_URL, [worker])

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="daftar-cek-dtks-')
    header, row = sheet_rows(response)
    assert header == [
        "No", "NIK", "No KK", "Nama", "Tanggal Lahir", "Kelurahan", "Kecamatan",
        "Status DTKS", "Desil",
    ]  # fmt: skip
    assert row[:7] == [1, worker.nik, worker.kk_number, "Siti Aminah", "04-03-1985",
                       "Kartoharjo", "Kartoharjo"]  # fmt: skip


def test_formula_looking_names_are_escaped(exporter):
    worker = WorkerFactory()
    # Older rows may predate the no-formula validator: the export must still be safe.
    type(worker).objects.filter(pk=worker.pk).update(full_name="=HYPERLINK(1)")

    _, row = sheet_rows(run_action(exporter, WORKERS_URL, [worker]))

    assert row[3] == "'=HYPERLINK(1)"


def test_every_download_is_logged_with_who_what_and_how_many(exporter):
    workers = WorkerFactory.create_batch(3)

    run_action(exporter, DTKS_URL, workers[:2], query="?dtks_due=never")

    log = ExportLog.objects.get()
    assert log.kind == "dtks_request"
    assert log.created_by.username == "petugas"
    assert log.row_count == 2
    assert "dtks_due=never" in log.selection
    assert len(log.file_sha256) == 64


def test_staff_without_the_export_permission_are_refused_and_nothing_is_logged(client):
    client.force_login(user_with("view_worker", "view_dtkscheck", "view_full_nik"))
    worker = WorkerFactory()

    for url in (WORKERS_URL, DTKS_URL):
        response = run_action(client, url, [worker])
        # The action declares its permission: not offered, the list again, no file.
        assert response.status_code == 200
        assert "Content-Disposition" not in response
    assert not ExportLog.objects.exists()


def test_without_the_full_nik_permission_the_list_is_masked(client):
    client.force_login(user_with("view_worker", "view_dtkscheck", "export_personal_data"))
    worker = WorkerFactory()

    _, row = sheet_rows(run_action(client, WORKERS_URL, [worker]))

    assert row[1:3] == [mask_identity_number(worker.nik), mask_identity_number(worker.kk_number)]


def test_the_export_log_is_read_only_even_for_administrators(admin_client):
    WorkerFactory()
    assert admin_client.get(reverse("admin:targeting_exportlog_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:targeting_exportlog_add")).status_code == 403


def test_check_due_filter(exporter):
    never = WorkerFactory(full_name="Belum Dicek")
    stale = WorkerFactory(
        full_name="Dicek Lama",
        dtks_status=DtksStatus.NOT_REGISTERED,
        dtks_checked_on=datetime.date(2022, 12, 31),
    )
    recent = WorkerFactory(
        full_name="Dicek Baru",
        dtks_status=DtksStatus.REGISTERED,
        dtks_desil=2,
        dtks_checked_on=datetime.date(2023, 6, 1),
    )

    def names(value):
        page = exporter.get(DTKS_URL, {"dtks_due": value}).content.decode()
        return {w.full_name for w in (never, stale, recent) if w.full_name in page}

    assert names("never") == {"Belum Dicek"}
    assert names("stale") == {"Dicek Lama"}
    assert names("due") == {"Belum Dicek", "Dicek Lama"}
    assert names("recent") == {"Dicek Baru"}


def test_the_worker_list_offers_the_filter_and_the_download(exporter):
    WorkerFactory(full_name="Belum Dicek")
    page = exporter.get(WORKERS_URL, {"dtks_due": "never"}).content.decode()
    assert "Belum Dicek" in page
    assert "Unduh daftar cek DTKS" in page


def test_a_nik_searched_for_is_masked_in_the_log(exporter):
    worker = WorkerFactory()
    run_action(exporter, WORKERS_URL, [worker], query=f"?q={worker.nik}")
    selection = ExportLog.objects.get().selection
    assert worker.nik not in selection
    assert f"{worker.nik[:4]}********{worker.nik[-4:]}" in selection
