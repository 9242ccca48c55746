"""Dinas Sosial's "found list" answer: only the NIKs found (IDDTKS, NOMOR_KK, NOMOR_NIK, NAMA,
often '|'-separated text); the workers of the request it answers missing from it were not
found. Real files: a '|'-separated .txt extract and an xlsx, through the command and the admin."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from importer.engine import UNCHANGED, UPDATED, apply_plan, build_plan
from importer.errors import FileRejected
from importer.models import ImportJob
from participants.models import DtksStatus, Worker
from targeting.exports import dtks_request_export
from targeting.models import DtksRequestItem
from targeting.resources import DtksResultImporter
from tests.factories import WorkerFactory, cli_user_args
from tests.targeting.conftest import user_with, xlsx

pytestmark = pytest.mark.django_db

SOURCE = "Dinas Sosial Kota Madiun"
CHECKED_ON = datetime.date(2024, 1, 12)


@pytest.fixture
def request_of_three():
    """Three workers sent to Dinas Sosial in one request, and one who was not in it."""
    sent = WorkerFactory.create_batch(3)
    outside = WorkerFactory(
        dtks_status=DtksStatus.REGISTERED, dtks_desil=4, dtks_checked_on=datetime.date(2023, 6, 1)
    )
    exporter = user_with("export_personal_data", username="pengirim")
    exported = dtks_request_export(
        user=exporter, workers=Worker.objects.filter(pk__in=[w.pk for w in sent]), selection=""
    )
    return exported.log, sent, outside


def found_list_txt(workers) -> bytes:
    """An extract as Dinas Sosial sends it: '|'-separated, upper-case headers, CRLF lines."""
    lines = ["IDDTKS|NOMOR_KK|NOMOR_NIK|NAMA"]
    for number, worker in enumerate(workers, start=1):
        lines.append(
            f"3577{number:012d}|{worker.kk_number}|{worker.nik}|{worker.full_name.upper()}"
        )
    return ("\r\n".join(lines) + "\r\n").encode()


def importer(log=None):
    return DtksResultImporter(
        checked_on=CHECKED_ON, source=SOURCE, request_id=log.pk if log else None
    )


def test_the_request_keeps_its_workers(request_of_three):
    log, sent, outside = request_of_three
    assert set(DtksRequestItem.objects.filter(export=log).values_list("worker", flat=True)) == {
        w.pk for w in sent
    }
    assert log.row_count == 3


def test_a_pipe_separated_found_list_marks_the_missing_ones_not_found(
    request_of_three, tmp_path, capsys
):
    log, (found_a, missing, found_b), outside = request_of_three
    path = tmp_path / "hasil_padan_dtks.txt"
    path.write_bytes(found_list_txt([found_a, found_b]))

    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import_dtks", str(path), "--json", "--source", SOURCE,
            "--checked-on", "2024-01-12", "--answers-request", str(log.pk), *cli_user_args(),
        )  # fmt: skip
        raise SystemExit(0)

    report = json.loads(capsys.readouterr().out)
    assert exit_info.value.code == 0, report
    assert (report["updated"], report["invalid"]) == (3, 0)
    for worker, status in ((found_a, DtksStatus.REGISTERED), (found_b, DtksStatus.REGISTERED),
                           (missing, DtksStatus.NOT_REGISTERED)):  # fmt: skip
        worker.refresh_from_db()
        assert (worker.dtks_status, worker.dtks_checked_on, worker.dtks_source) == (
            status,
            CHECKED_ON,
            SOURCE,
        )
    outside.refresh_from_db()  # not in the request: the list says nothing about them
    assert (outside.dtks_status, outside.dtks_desil) == (DtksStatus.REGISTERED, 4)


def test_the_same_found_list_again_changes_nothing(request_of_three):
    log, (found_a, missing, found_b), _outside = request_of_three
    data = found_list_txt([found_a, found_b])
    plan = build_plan(importer(log), data, "hasil.txt")
    apply_plan(importer(log), plan, user=None)

    again = build_plan(importer(log), data, "hasil.txt")
    assert [r.status for r in again.rows] == [UNCHANGED, UNCHANGED, UNCHANGED]


def test_an_xlsx_found_list_with_a_previously_registered_worker_missing(request_of_three):
    log, (found, missing, other), _outside = request_of_three
    missing.dtks_status, missing.dtks_desil = DtksStatus.REGISTERED, 2
    missing.dtks_checked_on = datetime.date(2023, 1, 1)
    missing.save()
    rows = [["IDDTKS", "NOMOR_KK", "NOMOR_NIK", "NAMA"],
            ["357700000001", found.kk_number, found.nik, found.full_name],
            ["357700000002", other.kk_number, other.nik, other.full_name]]  # fmt: skip

    plan = build_plan(importer(log), xlsx(rows), "hasil.xlsx")

    by_nik = {r.key: r for r in plan.rows}
    assert by_nik[missing.nik].status == UPDATED
    assert by_nik[missing.nik].row == 0  # not a row of the file
    assert by_nik[missing.nik].changes["dtks_status"][1] == DtksStatus.NOT_REGISTERED
    assert by_nik[missing.nik].data["dtks_desil"] is None  # the old desil goes with the status
    assert by_nik[found.nik].data["dtks_status"] == DtksStatus.REGISTERED
    [note] = importer(log).plan_notes(plan)
    assert log.file_name in note and "1 " in note


def test_a_found_list_without_its_request_is_refused_with_how_to_fix(request_of_three):
    _log, (found, *_rest), _outside = request_of_three
    with pytest.raises(FileRejected) as caught:
        build_plan(importer(), found_list_txt([found]), "hasil.txt")
    assert caught.value.code == "missing_columns"
    assert "Status DTKS" in str(caught.value)


def test_a_status_file_still_needs_every_status_filled(request_of_three):
    log, (first, second, _third), _outside = request_of_three
    rows = [["NIK", "Status DTKS"], [first.nik, "Terdaftar"], [second.nik, ""]]
    plan = build_plan(importer(log), xlsx(rows), "hasil.xlsx")
    assert [(r.key, r.status) for r in plan.rows] == [
        (first.nik, UPDATED),
        (second.nik, "invalid"),
    ]  # a status table: the request's other workers are left alone


def test_admin_upload_of_a_found_list_answering_a_request(client, request_of_three):
    log, (found_a, missing, found_b), _outside = request_of_three
    client.force_login(user_with("view_dtkscheck", "import_dtks_results"))
    url = reverse("admin:targeting_dtkscheck_import")
    assert log.file_name in client.get(url).content.decode()  # offered as a choice

    response = client.post(
        url,
        {
            "import_file": SimpleUploadedFile("hasil.txt", found_list_txt([found_a, found_b])),
            "checked_on": "12-01-2024",
            "source": SOURCE,
            "answers": log.pk,
        },
    )
    job = ImportJob.objects.get()
    assert job.options["request_id"] == log.pk
    page = client.get(response["Location"]).content.decode()
    assert 'class="count-updated">3<' in page
    client.post(reverse("admin:targeting_dtkscheck_process_import"), {"job": job.pk})
    missing.refresh_from_db()
    assert missing.dtks_status == DtksStatus.NOT_REGISTERED
