"""Dinas Sosial's answer comes back: matching by NIK, status words, desil, idempotence, the
command and the admin's preview/confirm."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from importer.models import ImportJob, ImportStatus
from participants.models import DtksStatus, Worker
from tests.factories import WorkerFactory, cli_user_args
from tests.importer.helpers import run_worker
from tests.targeting.conftest import user_with, xlsx

pytestmark = pytest.mark.django_db

CHECKED_ON = "2024-01-10"
SOURCE = "Dinas Sosial Kota Madiun"


def run(tmp_path, capsys, rows, *args, name="hasil.xlsx"):
    path = tmp_path / name
    path.write_bytes(xlsx(rows))
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import_dtks", str(path), "--json", "--source", SOURCE, "--checked-on", CHECKED_ON,
            *cli_user_args(args),
        )  # fmt: skip
        raise SystemExit(0)
    return exit_info.value.code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("Terdaftar", DtksStatus.REGISTERED),
        ("terdaftar", DtksStatus.REGISTERED),
        ("YA", DtksStatus.REGISTERED),
        ("DTKS", DtksStatus.REGISTERED),
        ("Tidak Terdaftar", DtksStatus.NOT_REGISTERED),
        ("tidak", DtksStatus.NOT_REGISTERED),
        ("Non DTKS", DtksStatus.NOT_REGISTERED),
        ("NON-DTKS", DtksStatus.NOT_REGISTERED),
    ],
)
def test_status_words_staff_and_dinas_sosial_use(tmp_path, capsys, typed, status):
    worker = WorkerFactory()
    code, report = run(tmp_path, capsys, [["NIK", "Status"], [worker.nik, typed]])
    assert code == 0, report
    worker.refresh_from_db()
    assert worker.dtks_status == status
    assert worker.dtks_checked_on == datetime.date(2024, 1, 10)
    assert worker.dtks_source == SOURCE


def test_it_sets_desil_and_reads_the_request_list_headers_back(tmp_path, capsys):
    first, second = WorkerFactory.create_batch(2)
    rows = [
        ["No", "NIK", "No KK", "Nama", "Tanggal Lahir", "Kelurahan", "Kecamatan",
         "Status DTKS", "Desil"],
        [1, first.nik, first.kk_number, first.full_name, "01-01-1980", "Kartoharjo",
         "Kartoharjo", "Terdaftar", 3],
        [2, second.nik, second.kk_number, second.full_name, "01-01-1980", "Kartoharjo",
         "Kartoharjo", "Tidak Terdaftar", None],
    ]  # fmt: skip

    code, report = run(tmp_path, capsys, rows)

    assert (code, report["updated"], report["invalid"]) == (0, 2, 0)
    first.refresh_from_db()
    assert (first.dtks_status, first.dtks_desil) == (DtksStatus.REGISTERED, 3)


def test_reuploading_the_same_file_changes_nothing(tmp_path, capsys):
    worker = WorkerFactory()
    rows = [["NIK", "Status DTKS", "Desil"], [worker.nik, "Terdaftar", "Desil 2"]]
    run(tmp_path, capsys, rows)
    worker.refresh_from_db()
    history = worker.history.count()
    updated_at = worker.updated_at

    code, report = run(tmp_path, capsys, rows)

    assert (code, report["updated"], report["unchanged"]) == (0, 0, 1)
    worker.refresh_from_db()
    assert worker.updated_at == updated_at
    assert worker.history.count() == history


def test_unknown_niks_are_reported_and_never_created(tmp_path, capsys):
    worker = WorkerFactory()
    stranger = "3577014101900099"
    rows = [["NIK", "Status"], [worker.nik, "Terdaftar"], [stranger, "Terdaftar"]]

    code, report = run(tmp_path, capsys, rows)

    assert code == 1
    assert [e["code"] for e in report["errors"]] == ["nik_not_registered"]
    assert report["errors"][0]["row"] == 3
    assert not Worker.objects.filter(nik=stranger).exists()
    worker.refresh_from_db()
    assert worker.dtks_status == DtksStatus.UNCHECKED  # one transaction: nothing written

    code, report = run(tmp_path, capsys, rows, "--skip-invalid")
    assert (code, report["updated"]) == (0, 1)
    assert not Worker.objects.filter(nik=stranger).exists()


@pytest.mark.parametrize(
    ("row", "code"),
    [
        (["Terdaftar", 11], "desil_invalid"),
        (["Tidak Terdaftar", 4], "desil_not_registered"),
        (["Mungkin", None], "dtks_status_invalid"),
    ],
)
def test_invalid_results_are_refused_with_a_reason(tmp_path, capsys, row, code):
    worker = WorkerFactory()
    exit_code, report = run(tmp_path, capsys, [["NIK", "Status", "Desil"], [worker.nik, *row]])
    assert exit_code == 1
    assert [e["code"] for e in report["errors"]] == [code]


def test_a_new_result_replaces_the_old_one_including_the_desil(tmp_path, capsys):
    worker = WorkerFactory(
        dtks_status=DtksStatus.REGISTERED,
        dtks_desil=2,
        dtks_checked_on=datetime.date(2022, 5, 1),
        dtks_source="Dinsos 2022",
    )
    run(tmp_path, capsys, [["NIK", "Status"], [worker.nik, "Tidak Terdaftar"]])
    worker.refresh_from_db()
    assert (worker.dtks_status, worker.dtks_desil) == (DtksStatus.NOT_REGISTERED, None)
    assert worker.history.first().history_change_reason


def test_dry_run_writes_nothing(tmp_path, capsys):
    worker = WorkerFactory()
    code, report = run(tmp_path, capsys, [["NIK", "Status"], [worker.nik, "Ya"]], "--dry-run")
    assert (code, report["updated"], report["written"]) == (0, 1, False)
    worker.refresh_from_db()
    assert worker.dtks_status == DtksStatus.UNCHECKED


def test_a_malformed_check_date_is_refused(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(xlsx([["NIK", "Status"]]))
    with pytest.raises(CommandError, match="--checked-on"):
        call_command("import_dtks", str(path), "--source", SOURCE, "--checked-on", "10-01-2024")


def test_admin_upload_preview_and_confirm(client):
    client.force_login(user_with("view_dtkscheck", "import_dtks_results"))
    worker = WorkerFactory()
    content = xlsx([["NIK", "Hasil"], [worker.nik, "Terdaftar"]])

    response = client.post(
        reverse("admin:targeting_dtkscheck_import"),
        {
            "import_file": SimpleUploadedFile("hasil.xlsx", content),
            "checked_on": "10-01-2024",
            "source": SOURCE,
        },
    )

    job = ImportJob.objects.get()
    assert response["Location"] == reverse(
        "admin:targeting_dtkscheck_import_preview", args=[job.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert 'class="count-updated">1<' in page
    worker.refresh_from_db()
    assert worker.dtks_status == DtksStatus.UNCHECKED  # nothing before confirmation

    client.post(reverse("admin:targeting_dtkscheck_process_import"), {"job": job.pk})

    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTED
    worker.refresh_from_db()
    assert worker.dtks_status == DtksStatus.REGISTERED
    assert worker.dtks_checked_on == datetime.date(2024, 1, 10)
    assert worker.updated_by.username == "petugas"
    entry = worker.history.first()
    assert (entry.history_user.username, entry.dtks_status) == ("petugas", DtksStatus.REGISTERED)
    assert entry.history_date.date() == datetime.date(2024, 1, 15)
    assert worker.history.count() == 2  # created, then the DTKS result


def test_admin_upload_needs_the_check_date_and_source(client):
    client.force_login(user_with("view_dtkscheck", "import_dtks_results"))
    content = xlsx([["NIK", "Hasil"]])
    response = client.post(
        reverse("admin:targeting_dtkscheck_import"),
        {"import_file": SimpleUploadedFile("hasil.xlsx", content)},
    )
    assert response.status_code == 200
    assert not ImportJob.objects.exists()


def test_staff_without_the_import_permission_cannot_upload(client):
    client.force_login(user_with("view_dtkscheck"))
    assert client.get(reverse("admin:targeting_dtkscheck_import")).status_code == 403


def test_a_long_result_file_keeps_its_check_date_and_source_in_the_background(
    client, settings, django_capture_on_commit_callbacks
):
    """Files above SIAGA_IMPORT_BACKGROUND_BYTES are checked and written by the task worker,
    which rebuilds the importer from the job: the upload's date and source must survive."""
    settings.SIAGA_IMPORT_BACKGROUND_BYTES = 0
    client.force_login(user_with("view_dtkscheck", "import_dtks_results"))
    worker = WorkerFactory()
    content = xlsx([["NIK", "Status DTKS", "Desil"], [worker.nik, "Terdaftar", 3]])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:targeting_dtkscheck_import"),
            {
                "import_file": SimpleUploadedFile("hasil.xlsx", content),
                "checked_on": "10-01-2024",
                "source": SOURCE,
            },
        )
    job = ImportJob.objects.get()
    progress = reverse("admin:targeting_dtkscheck_import_progress", args=[job.pk])
    assert response["Location"] == progress
    assert job.status == ImportStatus.QUEUED
    assert job.options == {"checked_on": "2024-01-10", "source": SOURCE, "request_id": None}

    run_worker()
    job.refresh_from_db()
    assert (job.status, job.rows_updated, job.rows_invalid) == (ImportStatus.PREVIEWED, 1, 0)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:targeting_dtkscheck_process_import"), {"job": job.pk})
    assert response["Location"] == progress
    run_worker()

    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTED
    worker.refresh_from_db()
    assert (worker.dtks_status, worker.dtks_desil) == (DtksStatus.REGISTERED, 3)
    assert worker.dtks_checked_on == datetime.date(2024, 1, 10)
    assert worker.dtks_source == SOURCE
