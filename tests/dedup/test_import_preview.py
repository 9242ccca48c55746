"""Issue 14 item 2: at import, rows that may be the same person as another row of the file or
a registered worker are flagged on the preview (reasons, a link to the record), never merged;
staff may mark a row "not the same person" before confirming (recorded as different people),
the other flagged pairs go to the review queue. Web, background worker and command alike."""

import datetime
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError
from django.urls import reverse

from dedup.importing import check_rows
from dedup.matching import Person
from dedup.models import DuplicatePair, PairStatus, WorkerKey, fingerprint
from dedup.scan import find_duplicates
from importer.models import ImportJob, ImportStatus
from participants.models import Kelurahan, Worker
from participants.privacy import mask_identity_number
from tests.factories import UserFactory, WorkerFactory
from tests.importer.helpers import run_worker

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:participants_worker_import")
CONFIRM_URL = reverse("admin:participants_worker_process_import")
HEADER = "NIK,Nama,Tgl Lahir,JK,Kelurahan,Kecamatan,Jenis Pekerja,Kategori,No HP"
BORN = datetime.date(1975, 8, 17)
SITI = "3577015708750021"  # Siti Aminah, born 17-08-1975, woman
SWAPPED = "3577015708750012"  # the same NIK with the last two digits swapped
OTHER = "3577015708750040"


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def line(nik: str, name: str, phone: str = "") -> str:
    return f"{nik},{name},17-08-1975,P,Kartoharjo,,BPU,PKL,{phone}"


@pytest.fixture(autouse=True)
def private_staging_dir(settings, tmp_path):
    settings.SIAGA_IMPORT_STAGING_DIR = tmp_path / "staging"


def _client_with(client, username, *codenames):
    user = UserFactory(username=username)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def uploader(client):
    """An importer without view_full_nik: NIKs on the preview are masked for them."""
    return _client_with(client, "petugas", "import_workers", "view_worker")


@pytest.fixture
def siti():
    return WorkerFactory(
        nik=SITI, full_name="Siti Aminah", birth_date=BORN, sex="P",
        kelurahan=Kelurahan.objects.get(name="Kartoharjo"), phone="+6285700000001",
    )  # fmt: skip


def upload(client, content: bytes) -> ImportJob:
    response = client.post(IMPORT_URL, {"import_file": SimpleUploadedFile("daftar.csv", content)})
    assert response.status_code == 302, response.content.decode()[:500]
    return ImportJob.objects.latest("pk")


def preview(client, job) -> str:
    url = reverse("admin:participants_worker_import_preview", args=[job.pk])
    return client.get(url).content.decode()


def section(page: str) -> str:
    start = page.index('id="possible-duplicates"')
    return page[start : page.index("</fieldset>", start)]


def test_the_preview_warns_with_reasons_score_and_a_link_to_the_worker(uploader, siti):
    job = upload(uploader, csv_bytes(line(SWAPPED, "Hj. St. Aminah"), line(OTHER, "Sri Wahyuni")))
    assert (job.rows_new, job.rows_duplicate) == (2, 1)
    page = preview(uploader, job)
    found = section(page)
    assert reverse("admin:participants_worker_change", args=[siti.pk]) in found
    assert "nama mirip 100%" in found and "tanggal lahir sama" in found
    assert "NIK beda satu digit" in found
    assert 'name="not_duplicate" value="2"' in found
    assert 'value="3"' not in found  # Sri Wahyuni is nobody else
    # The row table carries the same warning on the row itself.
    assert page.count("possible-duplicate") >= 2
    # The uploader may not see full NIKs: the worker's NIK is masked, never in full.
    assert SITI not in page and mask_identity_number(SITI) in found
    assert Worker.objects.count() == 1  # nothing written before confirming


def test_an_importer_who_may_see_full_niks_sees_them(client, siti):
    viewer = _client_with(client, "operator", "import_workers", "view_worker", "view_full_nik")
    job = upload(viewer, csv_bytes(line(SWAPPED, "Siti Aminah")))
    assert SITI in section(preview(viewer, job))


def test_rows_of_one_file_that_look_alike_flag_each_other(uploader):
    job = upload(
        uploader,
        csv_bytes(line(SITI, "Siti Aminah", "0857-0000-0001"), line(SWAPPED, "St. Aminah")),
    )
    assert job.rows_duplicate == 2
    found = section(preview(uploader, job))
    assert "baris 2" in found and "baris 3" in found
    assert "No HP sama" not in found  # the second row has no phone


def test_unticked_rows_are_imported_apart_and_queued_never_merged(uploader, siti):
    job = upload(uploader, csv_bytes(line(SWAPPED, "Hj. St. Aminah")))
    uploader.post(CONFIRM_URL, {"job": job.pk})
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTED
    siti.refresh_from_db()
    assert siti.full_name == "Siti Aminah"  # untouched
    new = Worker.objects.get(nik=SWAPPED)
    assert new.full_name == "Hj. St. Aminah"
    pair = DuplicatePair.objects.get()
    assert (pair.nik_a, pair.nik_b, pair.status) == (SWAPPED, SITI, PairStatus.OPEN)
    assert (pair.worker_a, pair.worker_b) == (new, siti)
    assert pair.score == 100 and "tanggal lahir sama" in pair.reasons
    assert pair.history.count() == 1  # the queue entry has its audit row
    page = uploader.get(reverse("admin:participants_worker_changelist"), follow=True)
    assert "antrean" in page.content.decode()


def test_a_ticked_row_records_different_people_who_and_when(uploader, siti):
    job = upload(uploader, csv_bytes(line(SWAPPED, "Hj. St. Aminah"), line(OTHER, "Sri")))
    uploader.post(CONFIRM_URL, {"job": job.pk, "not_duplicate": ["2", "3", "x"]})
    job.refresh_from_db()
    assert (job.status, job.not_duplicates) == (ImportStatus.IMPORTED, [2])  # 3 not flagged
    pair = DuplicatePair.objects.get()
    assert pair.status == PairStatus.DISTINCT
    assert pair.decided_by == uploader.user and pair.decided_at is not None
    new = Worker.objects.get(nik=SWAPPED)
    assert pair.fingerprint == fingerprint(new, siti)
    assert pair.history.get().history_user == uploader.user
    # It never comes back: not in the scan, not at the next import.
    assert not [c for c in find_duplicates() if {c.a.nik, c.b.nik} == {SITI, SWAPPED}]
    again = upload(uploader, csv_bytes(line(SWAPPED, "Hj. St. Aminah")))
    assert again.rows_duplicate == 0


def test_ticking_one_row_of_a_pair_within_the_file_decides_the_pair(uploader):
    job = upload(uploader, csv_bytes(line(SITI, "Siti Aminah"), line(SWAPPED, "St. Aminah")))
    uploader.post(CONFIRM_URL, {"job": job.pk, "not_duplicate": "3"})
    pair = DuplicatePair.objects.get()
    assert (pair.nik_a, pair.nik_b, pair.status) == (SWAPPED, SITI, PairStatus.DISTINCT)
    assert Worker.objects.count() == 2


def test_nothing_is_written_when_the_import_fails(uploader, siti, monkeypatch):
    import importer.services

    def fail(name):
        if name == "writing":
            raise DatabaseError("disk full")

    monkeypatch.setattr(importer.services, "checkpoint", fail)
    job = upload(uploader, csv_bytes(line(SWAPPED, "Hj. St. Aminah")))
    keys_before = WorkerKey.objects.count()
    uploader.post(CONFIRM_URL, {"job": job.pk, "not_duplicate": "2"})
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert list(Worker.objects.values_list("nik", flat=True)) == [SITI]
    assert not DuplicatePair.objects.exists()
    assert WorkerKey.objects.count() == keys_before


def test_imported_workers_are_checked_by_the_next_import(uploader):
    first = upload(uploader, csv_bytes(line(SITI, "Siti Aminah")))
    uploader.post(CONFIRM_URL, {"job": first.pk})
    worker = Worker.objects.get(nik=SITI)
    assert WorkerKey.objects.filter(worker=worker).exists()
    second = upload(uploader, csv_bytes(line(SWAPPED, "Siti Aminah")))
    assert second.rows_duplicate == 1
    assert reverse("admin:participants_worker_change", args=[worker.pk]) in preview(
        uploader, second
    )


def test_workers_loaded_without_keys_are_still_found():
    """seed_demo and other bulk loads write no keys; the check fills them in."""
    WorkerFactory(nik=SITI, full_name="Siti Aminah", birth_date=BORN, sex="P")
    WorkerKey.objects.all().delete()  # as after a bulk load
    flags = check_rows([(2, Person(nik=SWAPPED, full_name="Siti Aminah", birth_date=BORN))])
    assert [f.nik for f in flags[2]] == [SITI]
    assert WorkerKey.objects.filter(worker__nik=SITI).exists()


def test_an_updated_row_is_compared_as_the_registry_will_hold_it(uploader, siti):
    """A row updating worker A (same NIK) that looks like worker B is flagged against B."""
    other = WorkerFactory(
        nik=SWAPPED, full_name="Siti Aminah", birth_date=BORN, sex="P", phone="+6289900000000"
    )
    job = upload(uploader, csv_bytes(line(SITI, "Siti Aminah", "0812 1111 2222")))
    assert (job.rows_updated, job.rows_duplicate) == (1, 1)
    flags = section(preview(uploader, job))
    assert reverse("admin:participants_worker_change", args=[other.pk]) in flags
    assert reverse("admin:participants_worker_change", args=[siti.pk]) not in flags


def test_the_background_worker_records_the_same(
    uploader, siti, settings, django_capture_on_commit_callbacks
):
    settings.SIAGA_IMPORT_BACKGROUND_BYTES = 0
    content = csv_bytes(line(SWAPPED, "Hj. St. Aminah"))
    with django_capture_on_commit_callbacks(execute=True):
        uploader.post(IMPORT_URL, {"import_file": SimpleUploadedFile("daftar.csv", content)})
    run_worker()
    job = ImportJob.objects.get()
    assert (job.status, job.rows_duplicate) == (ImportStatus.PREVIEWED, 1)
    assert "possible-duplicates" in preview(uploader, job)
    with django_capture_on_commit_callbacks(execute=True):
        uploader.post(CONFIRM_URL, {"job": job.pk, "not_duplicate": "2"})
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.not_duplicates) == (ImportStatus.IMPORTED, [2])
    assert DuplicatePair.objects.get().status == PairStatus.DISTINCT


def test_the_command_prints_the_warnings_and_marks_rows_when_told(capsys, tmp_path, siti):
    UserFactory(username="importir", is_superuser=True)
    path = tmp_path / "daftar.csv"
    path.write_bytes(csv_bytes(line(SWAPPED, "Hj. St. Aminah"), line(OTHER, "Siti Aminah")))
    call_command("import_workers", str(path), "--dry-run", "--json")
    report = json.loads(capsys.readouterr().out)
    flagged = {r["row"]: r for r in report["possible_duplicates"]}
    assert set(flagged) == {2}
    [match] = flagged[2]["matches"]
    assert (match["nik"], match["worker_id"], match["score"]) == (SITI, siti.pk, 100)
    assert "tanggal lahir sama" in match["reasons"]

    call_command("import_workers", str(path), "--user", "importir", "--not-duplicate", "2")
    err = capsys.readouterr().err
    assert "baris 2" in err and SITI in err and "tanggal lahir sama" in err
    pair = DuplicatePair.objects.get(nik_a=SWAPPED, nik_b=SITI)
    assert pair.status == PairStatus.DISTINCT and pair.decided_by.username == "importir"


def test_the_command_without_the_flag_queues_the_pair(capsys, tmp_path, siti):
    UserFactory(username="importir", is_superuser=True)
    path = tmp_path / "daftar.csv"
    path.write_bytes(csv_bytes(line(SWAPPED, "Hj. St. Aminah")))
    call_command("import_workers", str(path), "--user", "importir")
    assert "--not-duplicate 2" in capsys.readouterr().err
    assert DuplicatePair.objects.get().status == PairStatus.OPEN
    assert Worker.objects.count() == 2
